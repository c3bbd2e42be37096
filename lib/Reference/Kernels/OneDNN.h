//===- OneDNN.h - oneDNN paths of the reference kernels --------*- C++ -*-===//
//
// Private to the reference kernels.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_LIB_REFERENCE_KERNELS_ONEDNN_H
#define QOPT_LIB_REFERENCE_KERNELS_ONEDNN_H

#include "qopt/Reference/Tensor.h"

namespace qopt::ref::detail {

/// Window of a convolution in ONNX terms, one entry per spatial dim.
struct ConvGeometry {
  llvm::SmallVector<int64_t, 3> strides, dilations, padsBegin, padsEnd;
  int64_t group = 1;
};

/// Computes an f32 NC[D]HW convolution (or transposed convolution) with oneDNN
/// into `out`, whose shape the caller has validated. Returns false, leaving
/// `out` untouched, when oneDNN is not built in or declines the case; the
/// caller then uses its im2col + BLAS path, which computes the same function.
/// With `weightsStable` (w is the caller's own tensor, not a temporary
/// conversion), the weights packed for oneDNN are cached across calls.
bool convOneDNN(const Tensor &x, const Tensor &w, const Tensor *bias, const ConvGeometry &g,
                bool transposed, bool weightsStable, Tensor &out);

/// Row-major f32 GEMM C = alpha op(A) op(B) + beta C through oneDNN. Returns
/// false when oneDNN is not available; the caller then uses OpenBLAS. Using
/// the same library (and thread pool) as the convolutions matters here: two
/// threading runtimes spinning in turn on 2 cores double some latencies.
bool sgemmOneDNN(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha,
                 const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                 int64_t ldc);

/// Whether the oneDNN paths may be used (built in, and not disabled with
/// QOPT_REFERENCE_ENGINE=openblas).
bool oneDNNEnabled();

} // namespace qopt::ref::detail

#endif // QOPT_LIB_REFERENCE_KERNELS_ONEDNN_H
