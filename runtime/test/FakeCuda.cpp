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
#include <cstdlib>
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
  int chip = 90;
  int sharedOptin = 227 * 1024;
  int devices = 1;
  std::map<std::string, int> failAt; // function -> call number (1-based) that fails
  std::map<std::string, int> calls;
  std::set<uintptr_t> allocations, modules, streams, graphs, execs;
  int contexts = 0, launches = 0, ptxLoads = 0, cubinLoads = 0;
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

struct Module {
  std::string image;
};

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
  void *m = std::calloc(bytes ? bytes : 1, 1); // deterministic outputs: launches do not run
  if (!m)
    return kOutOfMemory;
  std::lock_guard<std::mutex> lock(state().mutex);
  state().allocations.insert((uintptr_t)m);
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
  auto *m = new Module{copy};
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
  const std::string &image = static_cast<Module *>(module)->image;
  if (image.find(name) == std::string::npos)
    return kNotFound;
  *f = module;
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

} // extern "C"
