//===- QuantSupport.h - Shared pieces of the quantization passes -*- C++ -*-===//
//
// Private to lib/Transforms: which ops have integer forms, how parameters
// are chosen from ranges, and how quantized constants are materialized.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_LIB_TRANSFORMS_QUANTSUPPORT_H
#define QOPT_LIB_TRANSFORMS_QUANTSUPPORT_H

#include "qopt/Quant/Calibration.h"
#include "qopt/Reference/Tensor.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"

#include <optional>
#include <string>

namespace qopt::qdq {

/// The ONNX node name in an op's location, or "".
llvm::StringRef nodeName(mlir::Operation *op);

enum class OpClass {
  None,      // stays float
  Compute,   // conv, conv_transpose, matmul, gemm, add, mul, average pools
  Table,     // 8-bit unary ops computed by table lookup
  SameScale, // ops that move values without changing them
};
OpClass classify(mlir::Operation *op);

/// Why an op of a quantizable class has no integer form here (a fused
/// activation that is not a clamp, a residual, 3-D windows, gemm scaling,
/// non-nearest resize, ...), or "".
std::string integerFormObstacle(mlir::Operation *op);

/// Elementwise float ops that compute one value from one tensor `x` alone
/// (and scalar constants): softplus's exp -> add 1 -> log, Elu's
/// less/exp/sub/mul/where, GELU's div/erf/add/mul/mul, x * tanh(softplus(x)),
/// hard_swish then a scalar affine. For 8-bit (or 12-bit) x it is a function
/// of 256 (4096) codes, so one table (qnn.lut) computes it: only x and the
/// output are quantized, where quantizing every intermediate loses what a
/// narrow range cannot hold (exp(x) + 1 with the 1 rounded away, Elu's
/// negative branch collapsed to two codes).
struct TableRegion {
  mlir::Value root;                         // x
  llvm::SmallVector<mlir::Operation *> ops; // in program order
  mlir::Value output;                       // the one value used outside
};
/// The largest region rooted at `x` with at least `minOps` ops whose
/// intermediate values are used only inside it (the latest candidate output
/// first): unary ops with a table form, relu, clip, the arithmetic, min/max
/// and comparison binaries (no fused activation) and where, each of x's
/// shape, every operand x, an earlier step's result, or a single-element
/// constant. None when there is no such region.
/// With `member`, the largest such region that contains it (x may feed
/// several: softplus and Elu of one conv).
std::optional<TableRegion> tableRegion(mlir::Value x, size_t minOps,
                                       mlir::Operation *member = nullptr);
/// The region's output for the given values of x (a 1-D tensor of codes'
/// real values), by the reference kernels of its ops.
llvm::Expected<ref::Tensor> evaluateRegion(const TableRegion &region, mlir::Value x,
                                           const ref::Tensor &values);

/// Whether operand `index` of `op` is a bias (quantized to int32 by
/// qopt-fold-qdq, not to 8 bits).
bool isBiasOperand(mlir::Operation *op, unsigned index);

/// How weights in operand `index` of `op` are quantized: not a weight slot
/// (nullopt), or symmetric per tensor (axis -1) or per output channel.
std::optional<int64_t> weightAxis(mlir::Operation *op, unsigned index, bool perChannel);

struct ActivationScheme {
  bool unsignedStorage = false;
  bool symmetric = false;
};

/// The per-tensor type of an activation with real range [min, max] (which
/// contains 0): scale and zero point so that 0 is exact.
mlir::quant::UniformQuantizedType activationType(mlir::MLIRContext *ctx, quant::Range range,
                                                 const ActivationScheme &scheme);

/// The wide type of a tensor only table ops read: i16 storage narrowed to
/// `bits` (12 by default: [-2048, 2047], 16x the resolution of int8 and a
/// 4 KiB table per layer), symmetric over the whole observed range.
mlir::quant::UniformQuantizedType wideTableInputType(mlir::MLIRContext *ctx,
                                                     quant::Range range, unsigned bits = 12);

/// A constant quantized to 8-bit storage with its element type.
struct QuantizedConstant {
  ref::Tensor storage; // I8 (signless in IR)
  mlir::Type type;     // !quant.uniform per tensor or per axis
};
/// Weights, symmetric in [-127, 127], per tensor (axis -1) or per axis.
/// `minScales` (one per channel, or one for per tensor; may be empty) keeps
/// each scale at least that large, so an int32 bias with scale s_x * s_w[c]
/// cannot overflow for a channel whose weights are all near zero.
llvm::Expected<QuantizedConstant> quantizeWeights(mlir::MLIRContext *ctx, const ref::Tensor &w,
                                                  int64_t axis,
                                                  llvm::ArrayRef<double> minScales = {});
/// Any other constant operand, per tensor from its own min/max.
llvm::Expected<QuantizedConstant> quantizeTensorConstant(mlir::MLIRContext *ctx,
                                                         const ref::Tensor &t,
                                                         const ActivationScheme &scheme);

/// qnn.constant (i8) -> quant.scast -> quant.dcast to `floatType`; returns
/// the dequantized value.
mlir::Value materializeQuantizedConstant(mlir::OpBuilder &b, mlir::Location loc,
                                         const QuantizedConstant &c,
                                         mlir::RankedTensorType floatType,
                                         llvm::StringRef blobHint);

} // namespace qopt::qdq

#endif // QOPT_LIB_TRANSFORMS_QUANTSUPPORT_H
