//===- Blas.h - BLAS set-up for the reference executor --------*- C++ -*-===//

#ifndef QOPT_REFERENCE_BLAS_H
#define QOPT_REFERENCE_BLAS_H

#include <string>

namespace qopt::ref {

/// Makes OpenBLAS use kernels that match this CPU. Debian 12's OpenBLAS
/// (0.3.21) does not recognise recent Xeons under virtualization and falls
/// back to its generic SSE3 ("Prescott") kernels, about half the speed of its
/// AVX-512 ones. The core type is read only when the library loads, so when
/// the fallback was chosen, the user set no OPENBLAS_CORETYPE and the CPU has
/// AVX-512 or AVX2, this re-executes the current program with the matching
/// OPENBLAS_CORETYPE. Returns only if nothing needed to change (or exec
/// failed, in which case the slower kernels are kept).
void selectBlasKernels(char **argv);

/// Threads OpenBLAS uses; 0 keeps its default (all cores).
void setBlasThreads(int threads);

/// The core type OpenBLAS runs with ("SkylakeX", "Haswell", ...).
const char *blasCoreName();

/// The libraries doing the heavy lifting, for logs and benchmark output:
/// "oneDNN (conv, f32 GEMM) + OpenBLAS SkylakeX" or "OpenBLAS SkylakeX".
std::string computeEngineDescription();

} // namespace qopt::ref

#endif // QOPT_REFERENCE_BLAS_H
