//===- ConvOneDNN.h - oneDNN convolution path -----------------*- C++ -*-===//
//
// Private to the reference kernels.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_LIB_REFERENCE_KERNELS_CONVONEDNN_H
#define QOPT_LIB_REFERENCE_KERNELS_CONVONEDNN_H

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

/// Whether convOneDNN may be used (built in, and not disabled with
/// QOPT_REFERENCE_CONV=blas).
bool oneDNNEnabled();

} // namespace qopt::ref::detail

#endif // QOPT_LIB_REFERENCE_KERNELS_CONVONEDNN_H
