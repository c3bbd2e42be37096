//===- CudaDriver.cpp - The CUDA driver API, loaded at run time -----------===//

#include "CudaDriver.h"

#include <cstdlib>
#include <dlfcn.h>
#include <mutex>

using namespace qopt::rt;

std::string CudaDriver::describe(const char *call, CUresult r) const {
  const char *name = nullptr, *text = nullptr;
  if (cuGetErrorName(r, &name) != CUDA_SUCCESS || !name)
    name = "unknown CUresult";
  if (cuGetErrorString(r, &text) != CUDA_SUCCESS || !text)
    text = "";
  std::string s = std::string(call) + " failed: " + name + " (" + std::to_string(r) + ")";
  if (*text)
    s += ": " + std::string(text);
  return s;
}

const CudaDriver *qopt::rt::loadCudaDriver(std::string &error) {
  static std::once_flag once;
  static CudaDriver driver;
  static std::string loadError;
  std::call_once(once, [] {
    const char *path = std::getenv("QOPT_CUDA_DRIVER");
    if (!path || !*path)
      path = "libcuda.so.1";
    // RTLD_LOCAL: the driver's symbols must not satisfy anyone else's lookups.
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char *why = dlerror();
      // dlerror() names the library itself.
      loadError = std::string("no CUDA driver found (") +
                  (why ? why : std::string(path) + " cannot be opened") + ")";
      return;
    }
    bool complete = true;
#define QOPT_CUDA_RESOLVE(name, symbol, ...)                                                     \
  driver.name = reinterpret_cast<std::add_pointer_t<__VA_ARGS__>>(dlsym(handle, symbol));                                    \
  if (!driver.name && complete) {                                                                 \
    loadError = std::string("the CUDA driver ") + path + " lacks " + symbol +                     \
                " (a driver for CUDA 12 or newer is needed)";                                     \
    complete = false;                                                                             \
  }
    QOPT_CUDA_FUNCTIONS(QOPT_CUDA_RESOLVE)
#undef QOPT_CUDA_RESOLVE
    if (!complete)
      return; // the handle stays open: a half-resolved table is never used
    using ElapsedTime = std::add_pointer_t<CUresult(float *, CUevent, CUevent)>;
    for (const char *symbol : {"cuEventElapsedTime_v2", "cuEventElapsedTime"})
      if (!driver.cuEventElapsedTime)
        driver.cuEventElapsedTime = reinterpret_cast<ElapsedTime>(dlsym(handle, symbol));
    if (CUresult r = driver.cuInit(0); r != CUDA_SUCCESS) {
      loadError = "the CUDA driver is present but cannot start: " + driver.describe("cuInit", r);
      return;
    }
    driver.cuDriverGetVersion(&driver.driverVersion);
  });
  if (!loadError.empty()) {
    error = loadError;
    return nullptr;
  }
  return &driver;
}
