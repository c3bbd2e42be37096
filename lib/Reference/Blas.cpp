//===- Blas.cpp - BLAS set-up for the reference executor ------*- C++ -*-===//

#include "qopt/Reference/Blas.h"

#include "Kernels/OneDNN.h"

#include <cstdlib>
#include <cstring>
#include <unistd.h>

extern "C" {
char *openblas_get_corename(void);
void openblas_set_num_threads(int);
}

const char *qopt::ref::blasCoreName() { return openblas_get_corename(); }

std::string qopt::ref::computeEngineDescription() {
  std::string blas = std::string("OpenBLAS ") + openblas_get_corename();
  if (detail::oneDNNEnabled())
    return "oneDNN (conv, f32 GEMM) + " + blas;
  return blas;
}

void qopt::ref::setBlasThreads(int threads) {
  if (threads > 0)
    openblas_set_num_threads(threads);
}

void qopt::ref::selectBlasKernels(char **argv) {
  if (std::getenv("OPENBLAS_CORETYPE") || std::getenv("QOPT_BLAS_REEXEC"))
    return;
  const char *core = openblas_get_corename();
  // Only the generic fallbacks are replaced; a core OpenBLAS recognised is
  // trusted as it is.
  if (!core || (std::strcmp(core, "Prescott") != 0 && std::strcmp(core, "Core2") != 0 &&
                std::strcmp(core, "Nehalem") != 0))
    return;
  const char *want = nullptr;
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
    want = "SkylakeX";
  else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    want = "Haswell";
  if (!want)
    return;
  setenv("OPENBLAS_CORETYPE", want, 1);
  setenv("QOPT_BLAS_REEXEC", "1", 1);
  execv("/proc/self/exe", argv);
  // exec failed: keep running with the generic kernels.
  unsetenv("OPENBLAS_CORETYPE");
}
