//===- FakeCuda.cpp - A host-memory stand-in for libcuda.so.1 -------------===//
//
// Loaded by the runtime through QOPT_CUDA_DRIVER in the tests, so that every
// path of the runtime (device checks, module and PTX loading, allocations,
// launches, graph capture, cleanup) runs on machines without a GPU, under
// ASan. Device memory is host memory; launches are counted, not executed.
// The fake_cuda_* functions configure it and report what is still alive, so
// a test can inject a failure into any call and then prove nothing leaked.
//
//===----------------------------------------------------------------------===//

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string>

namespace {

using CUresult = int;
constexpr CUresult kSuccess = 0, kInvalidValue = 1, kOutOfMemory = 2, kNotFound = 500,
                   kInvalidImage = 200, kNoBinaryForGpu = 209;

struct State {
  std::mutex mutex;
  // QOPT_FAKE_CUDA_CHIP=100 makes every bundle load from PTX, whose kernel
  // signatures the fake then checks at each launch.
  int chip = std::getenv("QOPT_FAKE_CUDA_CHIP") ? std::atoi(std::getenv("QOPT_FAKE_CUDA_CHIP")) : 90;
  int sharedOptin = 227 * 1024;
  int devices = 1;
  std::map<std::string, int> failAt; // function -> call number (1-based) that fails
  std::map<std::string, int> calls;
  std::set<uintptr_t> modules, streams, graphs, execs;
  std::map<uintptr_t, size_t> allocations; // base -> bytes
  int contexts = 0, launches = 0, ptxLoads = 0, cubinLoads = 0;
  // The arguments of the last tensor map encoded: the offset of its matrix
  // from the start of the allocation holding it, rows, row bytes, pitch, box
  // rows, box bytes, swizzle.
  uint64_t lastMap[7] = {};
};

State &state() {
  static State s;
  return s;
}

/// Counts the call and says whether this one was chosen to fail.
bool failing(const char *function) {
  State &s = state();
  int n = ++s.calls[function];
  auto it = s.failAt.find(function);
  return it != s.failAt.end() && it->second == n;
}

/// A kernel's parameters as PTX declares them: 'p' a pointer (.u64 .ptr), 's' a scalar.
struct Function {
  std::string name;
  std::string params;
  bool known = false; // from PTX; a cubin's signature is not parsed
};

struct Module {
  std::string image;
  std::map<std::string, Function> functions;
};

/// Reads ".entry NAME( .param .u64 .ptr ..., .param .u32 ... )" from PTX.
void parseEntries(Module &m) {
  const std::string &t = m.image;
  size_t at = 0;
  while ((at = t.find(".entry ", at)) != std::string::npos) {
    size_t open = t.find('(', at), close = t.find(')', at);
    if (open == std::string::npos || close == std::string::npos)
      break;
    std::string name = t.substr(at + 7, open - at - 7);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\n'))
      name.pop_back();
    Function f{name, "", true};
    for (size_t p = t.find(".param", open); p != std::string::npos && p < close;
         p = t.find(".param", p + 6)) {
      size_t end = t.find_first_of(",)", p);
      std::string decl = t.substr(p, end - p);
      f.params += decl.find(".ptr") != std::string::npos || decl.find(".u64") != std::string::npos ? 'p' : 's';
    }
    m.functions[name] = f;
    at = close;
  }
}

bool insideAllocation(uint64_t v) {
  State &s = state();
  auto it = s.allocations.upper_bound((uintptr_t)v);
  if (it == s.allocations.begin())
    return false;
  --it;
  return v <= it->first + it->second;
}

} // namespace

extern "C" {

// --- configuration and inspection, for the tests ---
void fake_cuda_reset(int chip, int sharedOptin, int devices) {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.chip = chip;
  s.sharedOptin = sharedOptin;
  s.devices = devices;
  s.failAt.clear();
  s.calls.clear();
  s.launches = s.ptxLoads = s.cubinLoads = 0;
}
void fake_cuda_fail(const char *function, int nth) {
  std::lock_guard<std::mutex> lock(state().mutex);
  state().failAt[function] = nth;
}
int fake_cuda_calls(const char *function) {
  std::lock_guard<std::mutex> lock(state().mutex);
  return state().calls[function];
}
/// Device allocations, modules, streams, graphs and retained contexts alive.
int fake_cuda_live() {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return (int)(s.allocations.size() + s.modules.size() + s.streams.size() + s.graphs.size() +
               s.execs.size()) +
         s.contexts;
}
int fake_cuda_launches() { return state().launches; }
void fake_cuda_last_tensor_map(uint64_t out[7]) {
  std::lock_guard<std::mutex> lock(state().mutex);
  std::memcpy(out, state().lastMap, sizeof state().lastMap);
}
int fake_cuda_ptx_loads() { return state().ptxLoads; }
int fake_cuda_cubin_loads() { return state().cubinLoads; }

// --- the driver API subset the runtime uses ---
CUresult cuInit(unsigned) { return kSuccess; }
CUresult cuDriverGetVersion(int *v) {
  *v = 13000;
  return kSuccess;
}
CUresult cuGetErrorName(CUresult r, const char **s) {
  *s = r == kOutOfMemory ? "CUDA_ERROR_OUT_OF_MEMORY"
       : r == kNotFound  ? "CUDA_ERROR_NOT_FOUND"
                         : "CUDA_ERROR_INVALID_VALUE";
  return kSuccess;
}
CUresult cuGetErrorString(CUresult r, const char **s) {
  *s = r == kOutOfMemory ? "out of memory" : "fake failure";
  return kSuccess;
}
CUresult cuDeviceGetCount(int *n) {
  *n = state().devices;
  return kSuccess;
}
CUresult cuDeviceGet(int *d, int i) {
  *d = i;
  return kSuccess;
}
CUresult cuDeviceGetName(char *name, int len, int) {
  std::strncpy(name, "Fake GPU", (size_t)len);
  return kSuccess;
}
CUresult cuDeviceGetAttribute(int *v, int attribute, int) {
  State &s = state();
  switch (attribute) {
  case 75: *v = s.chip / 10; break;
  case 76: *v = s.chip % 10; break;
  case 8: *v = 48 * 1024; break;
  case 97: *v = s.sharedOptin; break;
  case 12: *v = 65536; break;
  case 16: *v = 132; break;
  case 1: *v = 1024; break;
  default: *v = 0;
  }
  return kSuccess;
}
CUresult cuDevicePrimaryCtxRetain(void **ctx, int) {
  if (failing("cuDevicePrimaryCtxRetain"))
    return kInvalidValue;
  std::lock_guard<std::mutex> lock(state().mutex);
  ++state().contexts;
  *ctx = reinterpret_cast<void *>(0x1000);
  return kSuccess;
}
CUresult cuDevicePrimaryCtxRelease_v2(int) {
  std::lock_guard<std::mutex> lock(state().mutex);
  --state().contexts;
  return kSuccess;
}
CUresult cuCtxSetCurrent(void *) { return kSuccess; }
CUresult cuMemAlloc_v2(uint64_t *p, size_t bytes) {
  if (failing("cuMemAlloc"))
    return kOutOfMemory;
  // A device with 1 GiB (QOPT_FAKE_CUDA_MEMORY bytes), as a real GPU has a
  // limit: hostile bundles asking for terabytes get the driver's answer, not
  // a host allocation.
  static const uint64_t capacity = std::getenv("QOPT_FAKE_CUDA_MEMORY")
                                       ? std::strtoull(std::getenv("QOPT_FAKE_CUDA_MEMORY"),
                                                       nullptr, 10)
                                       : uint64_t(1) << 30;
  if (bytes > capacity)
    return kOutOfMemory;
  void *m = std::calloc(bytes ? bytes : 1, 1); // deterministic outputs: launches do not run
  if (!m)
    return kOutOfMemory;
  std::lock_guard<std::mutex> lock(state().mutex);
  state().allocations[(uintptr_t)m] = bytes;
  *p = (uintptr_t)m;
  return kSuccess;
}
CUresult cuMemFree_v2(uint64_t p) {
  std::lock_guard<std::mutex> lock(state().mutex);
  if (!state().allocations.erase((uintptr_t)p))
    return kInvalidValue;
  std::free(reinterpret_cast<void *>(p));
  return kSuccess;
}
CUresult cuMemGetInfo_v2(size_t *free, size_t *total) {
  *free = *total = size_t(80) << 30;
  return kSuccess;
}
CUresult cuMemcpyHtoD_v2(uint64_t dst, const void *src, size_t n) {
  if (failing("cuMemcpyHtoD"))
    return kInvalidValue;
  std::memcpy(reinterpret_cast<void *>(dst), src, n);
  return kSuccess;
}
CUresult cuMemcpyHtoDAsync_v2(uint64_t dst, const void *src, size_t n, void *) {
  if (failing("cuMemcpyHtoDAsync"))
    return kInvalidValue;
  std::memcpy(reinterpret_cast<void *>(dst), src, n);
  return kSuccess;
}
CUresult cuMemcpyDtoHAsync_v2(void *dst, uint64_t src, size_t n, void *) {
  std::memcpy(dst, reinterpret_cast<void *>(src), n);
  return kSuccess;
}
CUresult cuMemcpyDtoDAsync_v2(uint64_t dst, uint64_t src, size_t n, void *) {
  std::memmove(reinterpret_cast<void *>(dst), reinterpret_cast<void *>(src), n);
  return kSuccess;
}
CUresult cuMemsetD8Async(uint64_t dst, unsigned char v, size_t n, void *) {
  std::memset(reinterpret_cast<void *>(dst), v, n);
  return kSuccess;
}
CUresult cuModuleLoadDataEx(void **module, const void *image, unsigned, int *, void **) {
  if (failing("cuModuleLoadDataEx"))
    return kInvalidImage;
  // PTX is text that starts with a comment or .version; a cubin is an ELF.
  const char *text = static_cast<const char *>(image);
  bool elf = std::memcmp(text, "\x7f" "ELF", 4) == 0;
  std::string copy;
  if (elf) {
    // The image ends with its section header table (ELF64: e_shoff at 0x28,
    // e_shentsize at 0x3a, e_shnum at 0x3c).
    uint64_t shoff;
    uint16_t shentsize, shnum;
    std::memcpy(&shoff, text + 0x28, 8);
    std::memcpy(&shentsize, text + 0x3a, 2);
    std::memcpy(&shnum, text + 0x3c, 2);
    copy.assign(text, shoff + (uint64_t)shentsize * shnum);
  } else {
    copy = text;
  }
  if (!elf && copy.find(".version") == std::string::npos)
    return kNoBinaryForGpu;
  auto *m = new Module{copy, {}};
  if (!elf)
    parseEntries(*m);
  std::lock_guard<std::mutex> lock(state().mutex);
  (elf ? state().cubinLoads : state().ptxLoads) += 1;
  state().modules.insert((uintptr_t)m);
  *module = m;
  return kSuccess;
}
CUresult cuModuleUnload(void *module) {
  std::lock_guard<std::mutex> lock(state().mutex);
  if (!state().modules.erase((uintptr_t)module))
    return kInvalidValue;
  delete static_cast<Module *>(module);
  return kSuccess;
}
CUresult cuModuleGetFunction(void **f, void *module, const char *name) {
  Module *m = static_cast<Module *>(module);
  if (m->image.find(name) == std::string::npos)
    return kNotFound;
  Function &fn = m->functions[name];
  fn.name = name;
  *f = &fn;
  return kSuccess;
}
CUresult cuFuncSetAttribute(void *, int, int) { return kSuccess; }
CUresult cuStreamCreate(void **stream, unsigned) {
  if (failing("cuStreamCreate"))
    return kOutOfMemory;
  auto *s = new int(0);
  std::lock_guard<std::mutex> lock(state().mutex);
  state().streams.insert((uintptr_t)s);
  *stream = s;
  return kSuccess;
}
CUresult cuStreamDestroy_v2(void *stream) {
  std::lock_guard<std::mutex> lock(state().mutex);
  if (!state().streams.erase((uintptr_t)stream))
    return kInvalidValue;
  delete static_cast<int *>(stream);
  return kSuccess;
}
CUresult cuStreamSynchronize(void *) { return kSuccess; }
CUresult cuLaunchKernel(void *f, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                        unsigned, void *, void **params, void **) {
  if (failing("cuLaunchKernel"))
    return kInvalidValue;
  if (!f || !params)
    return kInvalidValue;
  // Every pointer parameter the PTX declares must point into live device memory.
  const Function *fn = static_cast<const Function *>(f);
  if (fn->known) {
    std::lock_guard<std::mutex> lock(state().mutex);
    // The runtime ends its parameter array with a null: the counts must agree.
    for (size_t i = 0; i <= fn->params.size(); ++i) {
      if ((params[i] == nullptr) != (i == fn->params.size())) {
        std::fprintf(stderr, "fake libcuda: %s declares %zu parameters, the launch passes %s\n",
                     fn->name.c_str(), fn->params.size(), params[i] ? "more" : "fewer");
        return kInvalidValue;
      }
      if (i == fn->params.size())
        break;
      uint64_t v;
      std::memcpy(&v, params[i], 8);
      if (fn->params[i] == 'p' && !insideAllocation(v)) {
        std::fprintf(stderr, "fake libcuda: %s parameter %zu (0x%llx) points outside every allocation\n",
                     fn->name.c_str(), i, (unsigned long long)v);
        return kInvalidValue;
      }
    }
  }
  ++state().launches;
  return kSuccess;
}
CUresult cuStreamBeginCapture_v2(void *, int) { return kSuccess; }
CUresult cuStreamEndCapture(void *, void **graph) {
  auto *g = new int(0);
  std::lock_guard<std::mutex> lock(state().mutex);
  state().graphs.insert((uintptr_t)g);
  *graph = g;
  return kSuccess;
}
CUresult cuGraphInstantiateWithFlags(void **exec, void *, unsigned long long) {
  if (failing("cuGraphInstantiate"))
    return kOutOfMemory;
  auto *e = new int(0);
  std::lock_guard<std::mutex> lock(state().mutex);
  state().execs.insert((uintptr_t)e);
  *exec = e;
  return kSuccess;
}
CUresult cuGraphLaunch(void *, void *) {
  ++state().launches;
  return kSuccess;
}
CUresult cuGraphExecDestroy(void *e) {
  std::lock_guard<std::mutex> lock(state().mutex);
  state().execs.erase((uintptr_t)e);
  delete static_cast<int *>(e);
  return kSuccess;
}
CUresult cuGraphDestroy(void *g) {
  std::lock_guard<std::mutex> lock(state().mutex);
  state().graphs.erase((uintptr_t)g);
  delete static_cast<int *>(g);
  return kSuccess;
}

CUresult cuEventCreate(void **e, unsigned) {
  auto *ev = new int(0);
  std::lock_guard<std::mutex> lock(state().mutex);
  state().graphs.insert((uintptr_t)ev); // counted with the other live objects
  *e = ev;
  return kSuccess;
}
CUresult cuEventDestroy_v2(void *e) {
  std::lock_guard<std::mutex> lock(state().mutex);
  state().graphs.erase((uintptr_t)e);
  delete static_cast<int *>(e);
  return kSuccess;
}
/// Checks what the real cuTensorMapEncodeTiled checks for a 2-D map, and
/// that the matrix lies inside one allocation; the map it writes is a magic
/// word and the arguments.
CUresult cuTensorMapEncodeTiled(void *map, int dataType, unsigned rank, void *address,
                                const unsigned long long *dims,
                                const unsigned long long *strides, const unsigned *box,
                                const unsigned *elementStrides, int interleave, int swizzle,
                                int l2Promotion, int oobFill) {
  if (failing("cuTensorMapEncodeTiled"))
    return kInvalidValue;
  if (!map || (uintptr_t)map % 64 || dataType != 0 || rank != 2 || (uintptr_t)address % 16 ||
      strides[0] % 16 || strides[0] < dims[0] || box[0] == 0 || box[0] > 256 || box[1] == 0 ||
      box[1] > 256 || elementStrides[0] != 1 || elementStrides[1] != 1 || interleave != 0 ||
      swizzle < 0 || swizzle > 3 || l2Promotion != 0 || oobFill != 0)
    return kInvalidValue;
  static const unsigned spans[] = {256, 32, 64, 128};
  if (box[0] > spans[swizzle])
    return kInvalidValue;
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  uint64_t first = (uintptr_t)address, last = first + (dims[1] - 1) * strides[0] + dims[0];
  auto it = s.allocations.upper_bound((uintptr_t)first);
  if (it == s.allocations.begin())
    return kInvalidValue;
  --it;
  if (last > it->first + it->second)
    return kInvalidValue;
  uint64_t words[16] = {0x50414d544f4651ull /* "QOFTMAP" */, first, dims[1], dims[0], strides[0],
                        box[1], box[0], (uint64_t)swizzle};
  std::memcpy(map, words, sizeof words);
  uint64_t last7[7] = {first - it->first, dims[1], dims[0], strides[0], box[1], box[0],
                       (uint64_t)swizzle};
  std::memcpy(s.lastMap, last7, sizeof last7);
  return kSuccess;
}
CUresult cuEventRecord(void *, void *) { return kSuccess; }
CUresult cuEventSynchronize(void *) { return kSuccess; }
CUresult cuEventElapsedTime_v2(float *ms, void *, void *) {
  *ms = 0.5f;
  return kSuccess;
}

} // extern "C"
