//===- Runtime.cpp - Load and run .qbin bundles ---------------------------===//
//
// Load order: read the file, verify the whole bundle (BundleVerify), open the
// driver, pick the device and check what depends on it (chip, shared memory,
// registers), load the modules, upload the weights. The model keeps copies of
// the few things it needs after loading (signature, steps) and drops the
// file image.
//
// Every resource lives in an object whose destructor frees it, so an error at
// any point unwinds cleanly; no exception crosses the C API.
//
//===----------------------------------------------------------------------===//

#include "qopt/runtime/qopt_runtime.h"
#include "qopt/runtime/BundleFile.h"
#include "qopt/runtime/BundleVerify.h"
#include "qopt/runtime/ReadFile.h"

#include "CudaDriver.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <new>
#include <string>
#include <vector>

using namespace qopt;
using namespace qopt::rt;

struct qopt_status {
  qopt_code code;
  std::string message;
};

namespace {

/// Thrown inside the library, turned into a qopt_status at the API boundary.
struct Failure {
  qopt_code code;
  std::string message;
};

[[noreturn]] void fail(qopt_code code, std::string message) {
  throw Failure{code, std::move(message)};
}

void check(const CudaDriver *cu, const std::string &call, CUresult r) {
  if (r == CUDA_SUCCESS)
    return;
  fail(r == CUDA_ERROR_OUT_OF_MEMORY ? QOPT_OUT_OF_MEMORY : QOPT_CUDA_ERROR,
       cu->describe(call.c_str(), r));
}

template <typename F> qopt_status *guard(F &&body) {
  try {
    body();
    return nullptr;
  } catch (Failure &f) {
    return new (std::nothrow) qopt_status{f.code, std::move(f.message)};
  } catch (std::bad_alloc &) {
    return new (std::nothrow) qopt_status{QOPT_OUT_OF_MEMORY, "out of host memory"};
  } catch (std::exception &e) {
    return new (std::nothrow) qopt_status{QOPT_CUDA_ERROR, e.what()};
  }
}

struct TensorInfo {
  std::string name;
  qbin::DType dtype;
  std::vector<int64_t> dims;
  uint64_t bytes;
  bool quantized;
};

/// A tensor map the session encodes (qbin::TensorMap).
struct TensorMapPlan {
  qbin::BufferRef buffer;
  uint64_t rows, rowBytes, pitch;
  uint32_t boxRows, boxBytes;
  int swizzle;
};

struct StepPlan {
  qbin::StepKind kind;
  CUfunction function = nullptr;
  uint32_t grid[3], block[3];
  uint32_t dynamicShared = 0;
  std::vector<qbin::BufferRef> args;
  uint64_t copyBytes = 0;
  std::string origin;
  std::string name; // for profiles
};

/// Makes the model's context current for the lifetime of a call.
struct ContextScope {
  ContextScope(const CudaDriver *cu, CUcontext ctx) { check(cu, "cuCtxSetCurrent", cu->cuCtxSetCurrent(ctx)); }
};

std::string chipName(int chip) { return "sm_" + std::to_string(chip); }

} // namespace

struct qopt_model {
  const CudaDriver *cu = nullptr;
  CUdevice device = 0;
  CUcontext context = nullptr;
  bool retained = false;
  std::vector<CUmodule> modules;
  CUdeviceptr weights = 0;
  uint64_t weightBytes = 0, arenaBytes = 0;
  std::vector<TensorInfo> inputs, outputs;
  std::vector<StepPlan> steps;
  std::vector<TensorMapPlan> tensorMaps;
  std::string description;

  ~qopt_model() {
    if (!cu)
      return;
    // Errors while freeing are ignored: there is nobody left to report them to.
    if (context && cu->cuCtxSetCurrent(context) == CUDA_SUCCESS) {
      if (weights)
        cu->cuMemFree(weights);
      for (CUmodule m : modules)
        cu->cuModuleUnload(m);
    }
    if (retained)
      cu->cuDevicePrimaryCtxRelease(device);
  }
};

struct qopt_session {
  qopt_model *model = nullptr;
  CUstream stream = nullptr;
  CUdeviceptr block = 0;
  std::vector<CUdeviceptr> inputs, outputs;
  std::vector<uint64_t> values;           // argument values of all launches
  std::vector<std::vector<void *>> params; // per step: pointers into values
  bool useGraph = false, syncSteps = false;
  CUgraph graph = nullptr;
  CUgraphExec graphExec = nullptr;

  void dropGraph() {
    if (graphExec)
      model->cu->cuGraphExecDestroy(graphExec);
    if (graph)
      model->cu->cuGraphDestroy(graph);
    graphExec = nullptr;
    graph = nullptr;
  }

  ~qopt_session() {
    const CudaDriver *cu = model->cu;
    if (cu->cuCtxSetCurrent(model->context) != CUDA_SUCCESS)
      return;
    if (stream)
      cu->cuStreamSynchronize(stream);
    dropGraph();
    if (block)
      cu->cuMemFree(block);
    if (stream)
      cu->cuStreamDestroy(stream);
  }
};

namespace {

std::vector<uint8_t> readFile(const char *path) {
  std::vector<uint8_t> bytes;
  if (std::string err = qbin::readRegularFile(path, qbin::kMaxBundleFileBytes, bytes);
      !err.empty())
    fail(err.find("above the limit") != std::string::npos ? QOPT_INVALID_BUNDLE : QOPT_IO_ERROR,
         err);
  return bytes;
}

std::vector<TensorInfo> copySignature(const flatbuffers::Vector<flatbuffers::Offset<qbin::TensorSpec>> &list,
                                      const std::vector<uint64_t> &bytes) {
  std::vector<TensorInfo> out;
  for (size_t i = 0; i < list.size(); ++i) {
    const qbin::TensorSpec *t = list.Get(i);
    out.push_back({t->name()->str(), t->dtype(),
                   std::vector<int64_t>(t->shape()->begin(), t->shape()->end()), bytes[i],
                   t->quant() != nullptr});
  }
  return out;
}

int attribute(const CudaDriver *cu, CUdevice dev, int which) {
  int v = 0;
  check(cu, "cuDeviceGetAttribute", cu->cuDeviceGetAttribute(&v, which, dev));
  return v;
}

/// Chooses the image of `m` that runs on `chip`: the exact chip, else the
/// newest older chip of the same major version (cubins are binary compatible
/// within a major version, upwards), else nullptr (PTX JIT).
const qbin::KernelImage *pickImage(const qbin::Module *m, int chip) {
  const qbin::KernelImage *best = nullptr;
  int bestChip = -1;
  if (m->images())
    for (const qbin::KernelImage *img : *m->images()) {
      const char *target = img->target()->c_str();
      size_t length = img->target()->size();
      int c = qbin::chipNumber(target, length);
      bool runs = qbin::archSpecific(target, length) ? c == chip : c / 10 == chip / 10 && c <= chip;
      if (runs && c > bestChip) {
        best = img;
        bestChip = c;
      }
    }
  return best;
}

void load(qopt_model &model, const uint8_t *file, size_t size, int deviceIndex) {
  qbin::VerifiedBundle vb;
  if (std::string err = qbin::verifyBundle(file, size, vb); !err.empty())
    fail(QOPT_INVALID_BUNDLE, err);
  const qbin::Bundle *b = vb.bundle;
  model.inputs = copySignature(*b->inputs(), vb.inputBytes);
  model.outputs = copySignature(*b->outputs(), vb.outputBytes);
  model.weightBytes = vb.weightBytes;
  model.arenaBytes = b->arena_bytes();

  std::string error;
  const CudaDriver *cu = loadCudaDriver(error);
  if (!cu)
    fail(QOPT_NO_DEVICE, error);
  model.cu = cu;
  int count = 0;
  check(cu, "cuDeviceGetCount", cu->cuDeviceGetCount(&count));
  if (count == 0)
    fail(QOPT_NO_DEVICE, "the CUDA driver sees no GPU");
  if (deviceIndex < 0 || deviceIndex >= count)
    fail(QOPT_NO_DEVICE, "device " + std::to_string(deviceIndex) + " does not exist; this machine has " +
                             std::to_string(count) + " GPU" + (count == 1 ? "" : "s"));
  check(cu, "cuDeviceGet", cu->cuDeviceGet(&model.device, deviceIndex));
  char name[256] = {0};
  check(cu, "cuDeviceGetName", cu->cuDeviceGetName(name, sizeof(name) - 1, model.device));
  int chip = attribute(cu, model.device, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR) * 10 +
             attribute(cu, model.device, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
  int sharedDefault = attribute(cu, model.device, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK);
  int sharedOptin = attribute(cu, model.device, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
  int registersPerBlock = attribute(cu, model.device, CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_BLOCK);
  std::string device = "device " + std::to_string(deviceIndex) + " (" + name + ")";

  std::string targets;
  for (const auto *t : *b->targets())
    targets += (targets.empty() ? "" : ", ") + t->str();

  // Decide every module's image before creating anything on the device, so
  // that an unsupported chip costs no GPU work.
  const auto &modules = *b->modules();
  std::vector<const qbin::KernelImage *> images(modules.size());
  size_t jit = 0;
  for (size_t i = 0; i < modules.size(); ++i) {
    const qbin::Module *m = modules.Get(i);
    images[i] = pickImage(m, chip);
    if (images[i])
      continue;
    bool ptx = m->ptx() && m->ptx()->size() > 0;
    int ptxChip = ptx ? qbin::chipNumber(m->ptx_target()->c_str(), m->ptx_target()->size()) : 0;
    if (!ptx)
      fail(QOPT_UNSUPPORTED_DEVICE, "bundle targets " + targets + ", " + device + " is " +
                                        chipName(chip) + " and no PTX is embedded (module " +
                                        m->name()->str() + ")");
    if (ptxChip != chip && qbin::archSpecific(m->ptx_target()->c_str(), m->ptx_target()->size()))
      fail(QOPT_UNSUPPORTED_DEVICE, "bundle targets " + targets + ", " + device + " is " +
                                        chipName(chip) + "; " + m->ptx_target()->str() +
                                        " code (Hopper's wgmma) runs on " + chipName(ptxChip) +
                                        " alone, and its PTX does not JIT-compile for other "
                                        "chips (module " + m->name()->str() +
                                        "): compile for this chip with --target");
    if (ptxChip > chip)
      fail(QOPT_UNSUPPORTED_DEVICE, "bundle targets " + targets + ", " + device + " is " +
                                        chipName(chip) + " and the embedded PTX needs " +
                                        chipName(ptxChip) + " or newer (module " +
                                        m->name()->str() + ")");
    ++jit;
  }
  // Per-step limits that depend on the device.
  const auto &steps = *b->steps();
  for (size_t i = 0; i < steps.size(); ++i) {
    const qbin::Step *s = steps.Get(i);
    if (s->kind() != qbin::StepKind::Launch)
      continue;
    const qbin::KernelImage *img = images[s->module_()];
    uint64_t threads = (uint64_t)s->block()->Get(0) * s->block()->Get(1) * s->block()->Get(2);
    uint64_t shared = (img ? (uint64_t)img->static_shared_bytes() : 0) + s->dynamic_shared_bytes();
    std::string where = "step " + std::to_string(i) + " (" +
                        (s->origin() ? s->origin()->str() : std::string("?")) + ")";
    if (shared > (uint64_t)sharedOptin)
      fail(QOPT_UNSUPPORTED_DEVICE, where + " needs " + std::to_string(shared) +
                                        " bytes of shared memory, " + device + " allows " +
                                        std::to_string(sharedOptin) + " per block");
    if (img && (uint64_t)img->registers() * threads > (uint64_t)registersPerBlock)
      fail(QOPT_UNSUPPORTED_DEVICE, where + " needs " + std::to_string(img->registers()) +
                                        " registers x " + std::to_string(threads) +
                                        " threads, " + device + " has " +
                                        std::to_string(registersPerBlock) + " per block");
  }

  check(cu, "cuDevicePrimaryCtxRetain", cu->cuDevicePrimaryCtxRetain(&model.context, model.device));
  model.retained = true;
  ContextScope scope(cu, model.context);
  std::vector<size_t> moduleOf;
  for (size_t i = 0; i < modules.size(); ++i) {
    const qbin::Module *m = modules.Get(i);
    CUmodule handle = nullptr;
    if (images[i]) {
      check(cu, "cuModuleLoadDataEx", cu->cuModuleLoadDataEx(&handle, images[i]->cubin()->data(), 0, nullptr, nullptr));
    } else {
      // The driver's PTX compiler: keep its log, it is the only explanation.
      std::string ptx = m->ptx()->str();
      std::vector<char> log(8192, 0);
      int options[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
      void *values[] = {log.data(), reinterpret_cast<void *>((uintptr_t)(log.size() - 1))};
      CUresult r = cu->cuModuleLoadDataEx(&handle, ptx.c_str(), 2, options, values);
      if (r != CUDA_SUCCESS)
        fail(QOPT_CUDA_ERROR, cu->describe("cuModuleLoadDataEx (PTX JIT)", r) + " for module " +
                                  m->name()->str() + ": " + log.data());
    }
    model.modules.push_back(handle);
  }
  if (const auto *maps = b->tensor_maps())
    for (const qbin::TensorMap *t : *maps)
      model.tensorMaps.push_back({*t->buffer(), t->rows(), t->row_bytes(), t->pitch(),
                                  t->box_rows(), t->box_bytes(), (int)t->swizzle()});
  for (size_t i = 0; i < steps.size(); ++i) {
    const qbin::Step *s = steps.Get(i);
    StepPlan plan;
    plan.kind = s->kind();
    for (const qbin::BufferRef *r : *s->args())
      plan.args.push_back(*r);
    plan.copyBytes = s->copy_bytes();
    plan.origin = s->origin() ? s->origin()->str() : std::string();
    plan.name = s->kind() == qbin::StepKind::Launch
                    ? "launch " + s->kernel()->str() + " grid " + std::to_string(s->grid()->Get(0)) +
                          "x" + std::to_string(s->grid()->Get(1)) + "x" +
                          std::to_string(s->grid()->Get(2)) + " block " +
                          std::to_string(s->block()->Get(0) * s->block()->Get(1) * s->block()->Get(2))
                    : "copy " + std::to_string(s->copy_bytes()) + " bytes";
    plan.name += " <- " + plan.origin;
    if (s->kind() == qbin::StepKind::Launch) {
      CUresult r = cu->cuModuleGetFunction(&plan.function, model.modules[s->module_()], s->kernel()->c_str());
      if (r != CUDA_SUCCESS)
        fail(QOPT_INVALID_BUNDLE, "step " + std::to_string(i) + ": kernel '" + s->kernel()->str() +
                                      "' is not in the machine code of module " +
                                      modules.Get(s->module_())->name()->str() + " (" +
                                      cu->describe("cuModuleGetFunction", r) + ")");
      for (int d = 0; d < 3; ++d) {
        plan.grid[d] = s->grid()->Get(d);
        plan.block[d] = s->block()->Get(d);
      }
      plan.dynamicShared = s->dynamic_shared_bytes();
      const qbin::KernelImage *img = images[s->module_()];
      if (plan.dynamicShared + (img ? img->static_shared_bytes() : 0) > (uint32_t)sharedDefault)
        check(cu, "cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)",
              cu->cuFuncSetAttribute(plan.function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                                     (int)plan.dynamicShared));
    }
    model.steps.push_back(std::move(plan));
  }
  if (model.weightBytes) {
      check(cu, "cuMemAlloc (weights, " + std::to_string(model.weightBytes) + " bytes)",
          cu->cuMemAlloc(&model.weights, model.weightBytes));
    check(cu, "cuMemcpyHtoD (weights)", cu->cuMemcpyHtoD(model.weights, b->weights()->data(), model.weightBytes));
  }

  char line[512];
  std::snprintf(line, sizeof line,
                "%s, %s, %d SMs, driver %d.%d\n"
                "bundle: %s, %s, targets %s\n"
                "modules: %zu (%zu from cubin, %zu JIT-compiled from PTX)\n"
                "weights: %llu bytes (shared by sessions); arena: %llu bytes per session\n"
                "steps: %zu\n",
                device.c_str(), chipName(chip).c_str(),
                attribute(cu, model.device, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT),
                cu->driverVersion / 1000, cu->driverVersion % 1000 / 10,
                b->compiler_version()->c_str(), b->precision() ? b->precision()->c_str() : "?",
                targets.c_str(), (size_t)modules.size(), (size_t)modules.size() - jit, jit,
                (unsigned long long)model.weightBytes, (unsigned long long)model.arenaBytes,
                (size_t)steps.size());
  model.description = line;
}

uint64_t alignUp(uint64_t v) { return (v + qbin::kAlignment - 1) / qbin::kAlignment * qbin::kAlignment; }

void createSession(qopt_session &s) {
  qopt_model &m = *s.model;
  const CudaDriver *cu = m.cu;
  ContextScope scope(cu, m.context);
  check(cu, "cuStreamCreate", cu->cuStreamCreate(&s.stream, CU_STREAM_NON_BLOCKING));
  // One device block: [arena][inputs...][outputs...], each 256-byte aligned.
  uint64_t total = alignUp(m.arenaBytes);
  std::vector<uint64_t> inOff, outOff;
  for (const TensorInfo &t : m.inputs) {
    inOff.push_back(total);
    total += alignUp(t.bytes);
  }
  for (const TensorInfo &t : m.outputs) {
    outOff.push_back(total);
    total += alignUp(t.bytes);
  }
  // The tensor maps (TMA descriptors) after them: they hold the addresses
  // of this session's buffers.
  const uint64_t mapOff = total;
  total += alignUp(m.tensorMaps.size() * CU_TENSOR_MAP_BYTES);
  check(cu, "cuMemAlloc (session arena and inputs/outputs, " + std::to_string(total) + " bytes)",
        cu->cuMemAlloc(&s.block, std::max<uint64_t>(total, qbin::kAlignment)));
  for (uint64_t o : inOff)
    s.inputs.push_back(s.block + o);
  for (uint64_t o : outOff)
    s.outputs.push_back(s.block + o);

  auto address = [&](const qbin::BufferRef &r) -> uint64_t {
    switch (r.kind()) {
    case qbin::BufferKind::Arena: return s.block + r.offset();
    case qbin::BufferKind::Weights: return m.weights + r.offset();
    case qbin::BufferKind::Input: return s.inputs[r.index()] + r.offset();
    case qbin::BufferKind::Output: return s.outputs[r.index()] + r.offset();
    case qbin::BufferKind::TensorMap: return s.block + mapOff + r.index() * CU_TENSOR_MAP_BYTES;
    default: return r.offset(); // a scalar's bits
    }
  };
  if (!m.tensorMaps.empty()) {
    struct alignas(64) Encoded {
      uint64_t words[CU_TENSOR_MAP_BYTES / 8];
    };
    std::vector<Encoded> encoded(m.tensorMaps.size());
    for (size_t i = 0; i < m.tensorMaps.size(); ++i) {
      const TensorMapPlan &t = m.tensorMaps[i];
      unsigned long long dims[2] = {t.rowBytes, t.rows}, strides[1] = {t.pitch};
      unsigned box[2] = {t.boxBytes, t.boxRows}, elementStrides[2] = {1, 1};
      CUresult r = cu->cuTensorMapEncodeTiled(
          &encoded[i], CU_TENSOR_MAP_DATA_TYPE_UINT8, 2,
          reinterpret_cast<void *>((uintptr_t)address(t.buffer)), dims, strides, box,
          elementStrides, CU_TENSOR_MAP_INTERLEAVE_NONE, t.swizzle,
          CU_TENSOR_MAP_L2_PROMOTION_NONE, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
      if (r != CUDA_SUCCESS)
        fail(QOPT_CUDA_ERROR, "tensor map " + std::to_string(i) + " (" + std::to_string(t.rows) +
                                  " x " + std::to_string(t.rowBytes) + " bytes, box " +
                                  std::to_string(t.boxRows) + " x " + std::to_string(t.boxBytes) +
                                  "): " + cu->describe("cuTensorMapEncodeTiled", r));
    }
    check(cu, "cuMemcpyHtoD (tensor maps)",
          cu->cuMemcpyHtoD(s.block + mapOff, encoded.data(),
                           encoded.size() * CU_TENSOR_MAP_BYTES));
  }
  size_t count = 0;
  for (const StepPlan &p : m.steps)
    count += p.args.size();
  s.values.reserve(count); // pointers into it are taken below: no reallocation
  for (const StepPlan &p : m.steps) {
    std::vector<void *> ptrs;
    for (const qbin::BufferRef &r : p.args) {
      s.values.push_back(address(r));
      ptrs.push_back(&s.values.back());
    }
    // The driver reads as many parameters as the kernel declares; the null
    // after them lets a test driver check that the counts agree.
    ptrs.push_back(nullptr);
    s.params.push_back(std::move(ptrs));
  }
}

/// Puts every step on the stream (or into the graph being captured).
void enqueue(qopt_session &s, bool syncEach, const std::vector<CUevent> *events = nullptr) {
  const qopt_model &m = *s.model;
  const CudaDriver *cu = m.cu;
  for (size_t i = 0; i < m.steps.size(); ++i) {
    const StepPlan &p = m.steps[i];
    if (events)
      check(cu, "cuEventRecord", cu->cuEventRecord((*events)[i], s.stream));
    CUresult r;
    const char *call;
    if (p.kind == qbin::StepKind::Launch) {
      call = "cuLaunchKernel";
      r = cu->cuLaunchKernel(p.function, p.grid[0], p.grid[1], p.grid[2], p.block[0], p.block[1],
                             p.block[2], p.dynamicShared, s.stream, s.params[i].data(), nullptr);
    } else {
      call = "cuMemcpyDtoDAsync";
      // args are [source, destination]
      r = cu->cuMemcpyDtoDAsync(*static_cast<uint64_t *>(s.params[i][1]),
                                *static_cast<uint64_t *>(s.params[i][0]), p.copyBytes, s.stream);
    }
    if (r == CUDA_SUCCESS && syncEach) {
      call = "cuStreamSynchronize";
      r = cu->cuStreamSynchronize(s.stream);
    }
    if (r != CUDA_SUCCESS)
      fail(r == CUDA_ERROR_OUT_OF_MEMORY ? QOPT_OUT_OF_MEMORY : QOPT_CUDA_ERROR,
           "step " + std::to_string(i) + " (" + p.origin + "): " + cu->describe(call, r));
  }
  if (events)
    check(cu, "cuEventRecord", cu->cuEventRecord(events->back(), s.stream));
}

/// Events that destroy themselves.
struct EventSet {
  const CudaDriver *cu;
  std::vector<CUevent> events;
  EventSet(const CudaDriver *cu, size_t n) : cu(cu) {
    events.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      CUevent e = nullptr;
      check(cu, "cuEventCreate", cu->cuEventCreate(&e, 0));
      events.push_back(e);
    }
  }
  ~EventSet() {
    for (CUevent e : events)
      cu->cuEventDestroy(e);
  }
};

qopt_status *argumentError(const std::string &message) {
  return new (std::nothrow) qopt_status{QOPT_INVALID_ARGUMENT, message};
}

/// Input or output `index` of `list` when it exists and `bytes` (unless 0)
/// is its size; otherwise the error naming what is wrong.
qopt_status *checkTensor(const std::vector<TensorInfo> &list, const char *what, size_t index,
                         size_t bytes = 0) {
  if (index >= list.size())
    return argumentError(std::string(what) + " " + std::to_string(index) +
                         " does not exist; the model has " + std::to_string(list.size()));
  if (bytes && bytes != list[index].bytes)
    return argumentError(std::string(what) + " '" + list[index].name + "' has " +
                         std::to_string(list[index].bytes) + " bytes, " + std::to_string(bytes) +
                         " were given");
  return nullptr;
}

qopt_status *tensorInfo(const std::vector<TensorInfo> &list, const char *what, size_t index,
                        qopt_tensor_info *info) {
  if (!info)
    return argumentError("info is null");
  if (qopt_status *st = checkTensor(list, what, index))
    return st;
  const TensorInfo &t = list[index];
  *info = {t.name.c_str(), (qopt_dtype)t.dtype, qbin::dtypeName(t.dtype), t.dims.size(),
           t.dims.data(), (size_t)t.bytes, t.quantized ? 1 : 0};
  return nullptr;
}

int64_t find(const std::vector<TensorInfo> &list, const char *name) {
  if (!name)
    return -1;
  for (size_t i = 0; i < list.size(); ++i)
    if (list[i].name == name)
      return (int64_t)i;
  return -1;
}

} // namespace

extern "C" {

qopt_code qopt_status_code(const qopt_status *status) { return status ? status->code : QOPT_OK; }
const char *qopt_status_message(const qopt_status *status) {
  return status ? status->message.c_str() : "";
}
void qopt_status_free(qopt_status *status) { delete status; }

qopt_status *qopt_bundle_verify(const void *data, size_t size) {
  if (!data)
    return argumentError("data is null");
  return guard([&] {
    qbin::VerifiedBundle vb;
    // FlatBuffers reads scalars in place: verify an aligned copy when needed.
    std::vector<uint8_t> copy;
    const uint8_t *p = static_cast<const uint8_t *>(data);
    if (reinterpret_cast<uintptr_t>(p) % 8) {
      copy.assign(p, p + size);
      p = copy.data();
    }
    if (std::string err = qbin::verifyBundle(p, size, vb); !err.empty())
      fail(QOPT_INVALID_BUNDLE, err);
  });
}

qopt_status *qopt_model_load_memory(const void *data, size_t size, int device, qopt_model **model) {
  if (!data || !model)
    return argumentError("data or model is null");
  *model = nullptr;
  return guard([&] {
    std::unique_ptr<qopt_model> m(new qopt_model());
    const uint8_t *p = static_cast<const uint8_t *>(data);
    std::vector<uint8_t> bytes(p, p + size);
    load(*m, bytes.data(), bytes.size(), device);
    *model = m.release();
  });
}

qopt_status *qopt_model_load_file(const char *path, int device, qopt_model **model) {
  if (!path || !model)
    return argumentError("path or model is null");
  *model = nullptr;
  return guard([&] {
    std::unique_ptr<qopt_model> m(new qopt_model());
    std::vector<uint8_t> bytes = readFile(path);
    try {
      load(*m, bytes.data(), bytes.size(), device);
    } catch (Failure &f) {
      f.message = std::string(path) + ": " + f.message;
      throw;
    }
    *model = m.release();
  });
}

void qopt_model_free(qopt_model *model) { delete model; }

size_t qopt_model_num_inputs(const qopt_model *model) { return model ? model->inputs.size() : 0; }
size_t qopt_model_num_outputs(const qopt_model *model) { return model ? model->outputs.size() : 0; }

qopt_status *qopt_model_input(const qopt_model *model, size_t index, qopt_tensor_info *info) {
  if (!model)
    return argumentError("model is null");
  return tensorInfo(model->inputs, "input", index, info);
}

qopt_status *qopt_model_output(const qopt_model *model, size_t index, qopt_tensor_info *info) {
  if (!model)
    return argumentError("model is null");
  return tensorInfo(model->outputs, "output", index, info);
}

int64_t qopt_model_find_input(const qopt_model *model, const char *name) {
  return model ? find(model->inputs, name) : -1;
}
int64_t qopt_model_find_output(const qopt_model *model, const char *name) {
  return model ? find(model->outputs, name) : -1;
}

const char *qopt_model_describe(const qopt_model *model) {
  return model ? model->description.c_str() : "";
}

qopt_status *qopt_session_create(qopt_model *model, qopt_session **session) {
  if (!model || !session)
    return argumentError("model or session is null");
  *session = nullptr;
  return guard([&] {
    std::unique_ptr<qopt_session> s(new qopt_session());
    s->model = model;
    createSession(*s);
    *session = s.release();
  });
}

void qopt_session_free(qopt_session *session) { delete session; }

qopt_status *qopt_session_set_input(qopt_session *session, size_t index, const void *data,
                                    size_t bytes) {
  if (!session || !data)
    return argumentError("session or data is null");
  const qopt_model &m = *session->model;
  if (qopt_status *st = checkTensor(m.inputs, "input", index, bytes))
    return st;
  return guard([&] {
    ContextScope scope(m.cu, m.context);
    check(m.cu, "cuMemcpyHtoDAsync", m.cu->cuMemcpyHtoDAsync(session->inputs[index], data, bytes, session->stream));
    check(m.cu, "cuStreamSynchronize", m.cu->cuStreamSynchronize(session->stream));
  });
}

qopt_status *qopt_session_run(qopt_session *session) {
  if (!session)
    return argumentError("session is null");
  return guard([&] {
    const qopt_model &m = *session->model;
    const CudaDriver *cu = m.cu;
    ContextScope scope(cu, m.context);
    if (session->useGraph && !session->syncSteps) {
      if (!session->graphExec) {
        session->dropGraph(); // what a failed capture left behind
        check(cu, "cuStreamBeginCapture",
              cu->cuStreamBeginCapture(session->stream, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL));
        try {
          enqueue(*session, false);
        } catch (...) {
          CUgraph broken = nullptr;
          cu->cuStreamEndCapture(session->stream, &broken);
          if (broken)
            cu->cuGraphDestroy(broken);
          throw;
        }
        check(cu, "cuStreamEndCapture", cu->cuStreamEndCapture(session->stream, &session->graph));
        check(cu, "cuGraphInstantiate", cu->cuGraphInstantiate(&session->graphExec, session->graph, 0));
      }
      check(cu, "cuGraphLaunch", cu->cuGraphLaunch(session->graphExec, session->stream));
    } else {
      enqueue(*session, session->syncSteps);
    }
    check(cu, "cuStreamSynchronize (after the model's last step)", cu->cuStreamSynchronize(session->stream));
  });
}

qopt_status *qopt_session_get_output(qopt_session *session, size_t index, void *data,
                                     size_t bytes) {
  if (!session || !data)
    return argumentError("session or data is null");
  const qopt_model &m = *session->model;
  if (qopt_status *st = checkTensor(m.outputs, "output", index, bytes))
    return st;
  return guard([&] {
    ContextScope scope(m.cu, m.context);
    check(m.cu, "cuMemcpyDtoHAsync", m.cu->cuMemcpyDtoHAsync(data, session->outputs[index], bytes, session->stream));
    check(m.cu, "cuStreamSynchronize", m.cu->cuStreamSynchronize(session->stream));
  });
}

qopt_status *qopt_session_use_cuda_graph(qopt_session *session, int enable) {
  if (!session)
    return argumentError("session is null");
  return guard([&] {
    ContextScope scope(session->model->cu, session->model->context);
    session->useGraph = enable != 0;
    if (!enable)
      session->dropGraph();
  });
}

qopt_status *qopt_session_profile(qopt_session *session, int runs, double *ms, size_t numSteps) {
  if (!session || !ms || runs < 1)
    return argumentError("session or ms is null, or runs < 1");
  const qopt_model &m = *session->model;
  if (numSteps != m.steps.size())
    return argumentError("the model has " + std::to_string(m.steps.size()) + " steps, room for " +
                         std::to_string(numSteps) + " was given");
  return guard([&] {
    const CudaDriver *cu = m.cu;
    if (!cu->cuEventElapsedTime)
      fail(QOPT_CUDA_ERROR, "the CUDA driver has no cuEventElapsedTime");
    ContextScope scope(cu, m.context);
    EventSet set(cu, m.steps.size() + 1);
    std::fill(ms, ms + numSteps, 0.0);
    for (int run = 0; run < runs; ++run) {
      enqueue(*session, false, &set.events);
      check(cu, "cuEventSynchronize", cu->cuEventSynchronize(set.events.back()));
      for (size_t i = 0; i < numSteps; ++i) {
        float t = 0;
        check(cu, "cuEventElapsedTime", cu->cuEventElapsedTime(&t, set.events[i], set.events[i + 1]));
        ms[i] += t / runs;
      }
    }
  });
}

size_t qopt_model_num_steps(const qopt_model *model) { return model ? model->steps.size() : 0; }

const char *qopt_model_step_name(const qopt_model *model, size_t index) {
  return model && index < model->steps.size() ? model->steps[index].name.c_str() : "";
}

qopt_status *qopt_session_sync_each_step(qopt_session *session, int enable) {
  if (!session)
    return argumentError("session is null");
  session->syncSteps = enable != 0;
  return nullptr;
}

} // extern "C"
