//===- OpParams.h - Kernel parameters from qnn op attributes ---*- C++ -*-===//
//
// Private to lib/Reference: the float executor and the quantized one read
// the same attributes into the same kernel structs.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_LIB_REFERENCE_OPPARAMS_H
#define QOPT_LIB_REFERENCE_OPPARAMS_H

#include "qopt/Dialect/QNN/QNNOps.h"
#include "qopt/Reference/Kernels.h"

#include <type_traits>

namespace qopt::ref::detail {

inline llvm::SmallVector<int64_t, 3> toSmall(llvm::ArrayRef<int64_t> a) {
  return {a.begin(), a.end()};
}

/// qnn.conv or qnn.conv_transpose (which also has output_padding).
template <typename ConvLike> ConvParams convParams(ConvLike op) {
  ConvParams p;
  p.strides = toSmall(op.getStrides());
  p.pads = toSmall(op.getPads());
  p.dilations = toSmall(op.getDilations());
  if constexpr (std::is_same_v<ConvLike, qnn::ConvTransposeOp>)
    p.outputPadding = toSmall(op.getOutputPadding());
  p.group = op.getGroup();
  return p;
}

/// qnn.max_pool, qnn.max_pool_indices or qnn.avg_pool (which also has
/// count_include_pad).
template <typename PoolOp> PoolParams poolParams(PoolOp op) {
  PoolParams p;
  p.kernel = toSmall(op.getKernelShape());
  p.strides = toSmall(op.getStrides());
  p.pads = toSmall(op.getPads());
  p.dilations = toSmall(op.getDilations());
  if constexpr (std::is_same_v<PoolOp, qnn::AvgPoolOp>)
    p.countIncludePad = op.getCountIncludePad();
  return p;
}

inline ScatterReduction scatterReduction(qnn::ScatterReduction r) {
  switch (r) {
  case qnn::ScatterReduction::none: return ScatterReduction::None;
  case qnn::ScatterReduction::add: return ScatterReduction::Add;
  case qnn::ScatterReduction::mul: return ScatterReduction::Mul;
  case qnn::ScatterReduction::max: return ScatterReduction::Max;
  case qnn::ScatterReduction::min: return ScatterReduction::Min;
  }
  return ScatterReduction::None;
}

inline PadMode padMode(qnn::PadMode m) {
  switch (m) {
  case qnn::PadMode::constant: return PadMode::Constant;
  case qnn::PadMode::reflect: return PadMode::Reflect;
  case qnn::PadMode::edge: return PadMode::Edge;
  case qnn::PadMode::wrap: return PadMode::Wrap;
  }
  return PadMode::Constant;
}

} // namespace qopt::ref::detail

#endif // QOPT_LIB_REFERENCE_OPPARAMS_H
