//===- CudaDriver.h - The CUDA driver API, loaded at run time ---*- C++ -*-===//
//
// The runtime reaches the GPU only through libcuda.so.1, opened with dlopen,
// so that it builds without the CUDA toolkit and loads on machines without a
// driver (and then says so). The declarations below are the subset of cuda.h
// the runtime calls, with the ABI of the versioned entry points (_v2) that
// cuda.h maps the plain names to; the values were checked against CUDA 13's
// cuda.h.
//
// QOPT_CUDA_DRIVER names another driver library (the tests load a host-memory
// fake through it to exercise every failure path without a GPU).
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_RUNTIME_CUDADRIVER_H
#define QOPT_RUNTIME_CUDADRIVER_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

namespace qopt::rt {

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
struct CUctx_st;
struct CUmod_st;
struct CUfunc_st;
struct CUstream_st;
struct CUgraph_st;
struct CUgraphExec_st;
struct CUevent_st;
using CUcontext = CUctx_st *;
using CUmodule = CUmod_st *;
using CUfunction = CUfunc_st *;
using CUstream = CUstream_st *;
using CUgraph = CUgraph_st *;
using CUgraphExec = CUgraphExec_st *;
using CUevent = CUevent_st *;

inline constexpr CUresult CUDA_SUCCESS = 0;
inline constexpr CUresult CUDA_ERROR_OUT_OF_MEMORY = 2;
inline constexpr int CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1;
inline constexpr int CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK = 8;
inline constexpr int CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_BLOCK = 12;
inline constexpr int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
inline constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
inline constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
inline constexpr int CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97;
inline constexpr unsigned CU_STREAM_NON_BLOCKING = 1;
inline constexpr int CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1;
inline constexpr int CU_JIT_ERROR_LOG_BUFFER = 5;
inline constexpr int CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
inline constexpr int CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;
// cuTensorMapEncodeTiled (CUDA 12.0): a CUtensorMap is 128 bytes, 64-byte aligned.
inline constexpr size_t CU_TENSOR_MAP_BYTES = 128;
inline constexpr int CU_TENSOR_MAP_DATA_TYPE_UINT8 = 0;
inline constexpr int CU_TENSOR_MAP_INTERLEAVE_NONE = 0;
inline constexpr int CU_TENSOR_MAP_L2_PROMOTION_NONE = 0;
inline constexpr int CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE = 0;

/// The driver's entry points, resolved once per process.
struct CudaDriver {
#define QOPT_CUDA_FUNCTIONS(X)                                                                    \
  X(cuInit, "cuInit", CUresult(unsigned))                                                     \
  X(cuDriverGetVersion, "cuDriverGetVersion", CUresult(int *))                                \
  X(cuGetErrorName, "cuGetErrorName", CUresult(CUresult, const char **))                      \
  X(cuGetErrorString, "cuGetErrorString", CUresult(CUresult, const char **))                  \
  X(cuDeviceGetCount, "cuDeviceGetCount", CUresult(int *))                                    \
  X(cuDeviceGet, "cuDeviceGet", CUresult(CUdevice *, int))                                    \
  X(cuDeviceGetName, "cuDeviceGetName", CUresult(char *, int, CUdevice))                      \
  X(cuDeviceGetAttribute, "cuDeviceGetAttribute", CUresult(int *, int, CUdevice))             \
  X(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain", CUresult(CUcontext *, CUdevice))    \
  X(cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2", CUresult(CUdevice))            \
  X(cuCtxSetCurrent, "cuCtxSetCurrent", CUresult(CUcontext))                                  \
  X(cuMemAlloc, "cuMemAlloc_v2", CUresult(CUdeviceptr *, size_t))                             \
  X(cuMemFree, "cuMemFree_v2", CUresult(CUdeviceptr))                                         \
  X(cuMemGetInfo, "cuMemGetInfo_v2", CUresult(size_t *, size_t *))                            \
  X(cuMemcpyHtoD, "cuMemcpyHtoD_v2", CUresult(CUdeviceptr, const void *, size_t))             \
  X(cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2",                                                    \
    CUresult(CUdeviceptr, const void *, size_t, CUstream))                                    \
  X(cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2",                                                    \
    CUresult(void *, CUdeviceptr, size_t, CUstream))                                          \
  X(cuMemcpyDtoDAsync, "cuMemcpyDtoDAsync_v2",                                                    \
    CUresult(CUdeviceptr, CUdeviceptr, size_t, CUstream))                                     \
  X(cuMemsetD8Async, "cuMemsetD8Async", CUresult(CUdeviceptr, unsigned char, size_t, CUstream)) \
  X(cuModuleLoadDataEx, "cuModuleLoadDataEx",                                                     \
    CUresult(CUmodule *, const void *, unsigned, int *, void **))                             \
  X(cuModuleUnload, "cuModuleUnload", CUresult(CUmodule))                                     \
  X(cuModuleGetFunction, "cuModuleGetFunction", CUresult(CUfunction *, CUmodule, const char *)) \
  X(cuFuncSetAttribute, "cuFuncSetAttribute", CUresult(CUfunction, int, int))                 \
  X(cuStreamCreate, "cuStreamCreate", CUresult(CUstream *, unsigned))                         \
  X(cuStreamDestroy, "cuStreamDestroy_v2", CUresult(CUstream))                                \
  X(cuStreamSynchronize, "cuStreamSynchronize", CUresult(CUstream))                           \
  X(cuLaunchKernel, "cuLaunchKernel",                                                             \
    CUresult(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,          \
                 unsigned, CUstream, void **, void **))                                           \
  X(cuStreamBeginCapture, "cuStreamBeginCapture_v2", CUresult(CUstream, int))                 \
  X(cuStreamEndCapture, "cuStreamEndCapture", CUresult(CUstream, CUgraph *))                  \
  X(cuGraphInstantiate, "cuGraphInstantiateWithFlags",                                            \
    CUresult(CUgraphExec *, CUgraph, unsigned long long))                                     \
  X(cuGraphLaunch, "cuGraphLaunch", CUresult(CUgraphExec, CUstream))                          \
  X(cuGraphExecDestroy, "cuGraphExecDestroy", CUresult(CUgraphExec))                          \
  X(cuGraphDestroy, "cuGraphDestroy", CUresult(CUgraph))                                          \
  X(cuEventCreate, "cuEventCreate", CUresult(CUevent *, unsigned))                                \
  X(cuEventRecord, "cuEventRecord", CUresult(CUevent, CUstream))                                  \
  X(cuEventSynchronize, "cuEventSynchronize", CUresult(CUevent))                                  \
  X(cuEventDestroy, "cuEventDestroy_v2", CUresult(CUevent))                                      \
  X(cuTensorMapEncodeTiled, "cuTensorMapEncodeTiled",                                             \
    CUresult(void *, int, unsigned, void *, const unsigned long long *,                           \
             const unsigned long long *, const unsigned *, const unsigned *, int, int, int, int))

#define QOPT_CUDA_MEMBER(name, symbol, ...) std::add_pointer_t<__VA_ARGS__> name = nullptr;
  QOPT_CUDA_FUNCTIONS(QOPT_CUDA_MEMBER)
#undef QOPT_CUDA_MEMBER

  /// cuEventElapsedTime_v2 (CUDA 12.8+) or the original; nullptr: no profiling.
  std::add_pointer_t<CUresult(float *, CUevent, CUevent)> cuEventElapsedTime = nullptr;

  int driverVersion = 0;

  /// "cuMemAlloc_v2(...) failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)".
  std::string describe(const char *call, CUresult r) const;
};

/// Opens the driver and calls cuInit once per process. On failure returns
/// nullptr and sets `error` ("no CUDA driver found (libcuda.so.1: ...)").
/// Thread-safe; the driver stays loaded until the process exits.
const CudaDriver *loadCudaDriver(std::string &error);

} // namespace qopt::rt

#endif // QOPT_RUNTIME_CUDADRIVER_H
