//===- Kernels.h - CPU reference kernels with ONNX semantics --*- C++ -*-===//
//
// One function per operator family, on Tensor and plain attribute structs, so
// the kernels carry no MLIR dependency. Every kernel validates what it relies
// on (shapes, index ranges) and returns an llvm::Error rather than reading out
// of bounds: the executor runs models users did not write.
//
// Float kernels compute F32 tensors in float (matching ONNX Runtime) and F64 in
// double; F16/BF16 inputs are widened to F32 by the caller and the result is
// rounded back. Integer kernels use the tensor's own type with wrap-around.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_REFERENCE_KERNELS_H
#define QOPT_REFERENCE_KERNELS_H

#include "qopt/Reference/Tensor.h"

#include <optional>

namespace qopt::ref {

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

enum class BinaryKind {
  Add, Sub, Mul, Div, Pow, Max, Min, Mod, FMod,
  Equal, Less, LessOrEqual, Greater, GreaterOrEqual, And, Or, Xor
};
/// NumPy-broadcast binary op. Comparisons and logic ops produce Bool. Integer
/// Div truncates toward zero; integer division by zero is an error. Mod
/// follows Python (sign of divisor), FMod follows C fmod.
llvm::Expected<Tensor> binary(BinaryKind kind, const Tensor &lhs, const Tensor &rhs,
                              llvm::ArrayRef<int64_t> outShape);

enum class UnaryKind {
  Relu, Sigmoid, Tanh, Exp, Log, Sqrt, Erf, Reciprocal, Floor, Ceil, Round, HardSwish,
  Neg, Abs, Sign, Not, LeakyRelu, HardSigmoid, Gelu, GeluTanh, Clip,
  Sin, Cos, Tan, Asin, Acos, Atan, Sinh, Cosh, Asinh, Acosh, Atanh
};
/// Parameters of the parameterized unary ops: LeakyRelu (alpha), HardSigmoid
/// (alpha, beta), Clip (lo, hi; absent = unbounded).
struct UnaryParams {
  double alpha = 0, beta = 0;
  std::optional<double> lo, hi;
};
/// Round is half to even. Integer tensors support Relu, Neg, Abs, Sign, Clip.
llvm::Expected<Tensor> unary(UnaryKind kind, const Tensor &x, const UnaryParams &p = {});

/// cond ? x : y with three-way broadcasting to outShape.
llvm::Expected<Tensor> where(const Tensor &cond, const Tensor &x, const Tensor &y,
                             llvm::ArrayRef<int64_t> outShape);

//===----------------------------------------------------------------------===//
// Convolution and matrix products (float: F32 through OpenBLAS, F64 too)
//===----------------------------------------------------------------------===//

/// Window attributes for 1 to 3 spatial dims; pads = begins then ends.
struct ConvParams {
  llvm::SmallVector<int64_t, 3> strides, dilations, pads, outputPadding;
  int64_t group = 1;
};
/// NC[D]HW input, O(C/group)[D]HW weight, optional 1-D bias. Output shape as
/// inferred by qnn.conv (passed in so kernels need not re-derive it).
llvm::Expected<Tensor> conv(const Tensor &x, const Tensor &w, const Tensor *bias,
                            const ConvParams &p, llvm::ArrayRef<int64_t> outShape);
/// Transposed convolution: weight C x (M/group) x k..., output shape given.
llvm::Expected<Tensor> convTranspose(const Tensor &x, const Tensor &w, const Tensor *bias,
                                     const ConvParams &p, llvm::ArrayRef<int64_t> outShape);
/// NumPy matmul (1-D promotion, batch broadcasting), float or integer.
llvm::Expected<Tensor> matmul(const Tensor &a, const Tensor &b, llvm::ArrayRef<int64_t> outShape);
/// alpha * op(A) op(B) + beta * C, C broadcast to [M, N].
llvm::Expected<Tensor> gemm(const Tensor &a, const Tensor &b, const Tensor *c, float alpha,
                            float beta, bool transA, bool transB);

//===----------------------------------------------------------------------===//
// Pooling and normalization
//===----------------------------------------------------------------------===//

struct PoolParams {
  llvm::SmallVector<int64_t, 3> kernel, strides, pads, dilations;
  bool countIncludePad = false;
};
/// MaxPool/AveragePool over NC + 1..3 spatial dims; outShape carries ceil_mode.
/// Windows are clipped to the padded input; AveragePool divides by the window
/// size inside the padded bounds when countIncludePad, else by the number of
/// real input elements.
llvm::Expected<Tensor> maxPool(const Tensor &x, const PoolParams &p,
                               llvm::ArrayRef<int64_t> outShape);
/// MaxPool's Indices: per window, the flattened input position (plane *
/// plane size + spatial position, row-major or, with columnMajor, the first
/// spatial dim fastest) of the first element equal to the window's maximum
/// (maxPool's value), or of its first element when none is (all NaN).
llvm::Expected<Tensor> maxPoolIndices(const Tensor &x, const PoolParams &p,
                                      llvm::ArrayRef<int64_t> outShape, bool columnMajor);
/// ONNX MaxUnpool: zeros of outShape, then out.flat[indices[i]] = x[i] in
/// row-major order; an index outside the result is an error naming it.
llvm::Expected<Tensor> maxUnpool(const Tensor &x, const Tensor &indices,
                                 llvm::ArrayRef<int64_t> outShape);
llvm::Expected<Tensor> avgPool(const Tensor &x, const PoolParams &p,
                               llvm::ArrayRef<int64_t> outShape);
llvm::Expected<Tensor> globalAvgPool(const Tensor &x);
llvm::Expected<Tensor> globalMaxPool(const Tensor &x);

llvm::Expected<Tensor> batchNorm(const Tensor &x, const Tensor &scale, const Tensor &bias,
                                 const Tensor &mean, const Tensor &var, float epsilon);
/// Normalizes over axis..rank-1 (axis already non-negative).
llvm::Expected<Tensor> layerNorm(const Tensor &x, const Tensor &scale, const Tensor *bias,
                                 int64_t axis, float epsilon);
/// Softmax / LogSoftmax along one non-negative axis (opset 13 semantics).
llvm::Expected<Tensor> softmax(const Tensor &x, int64_t axis, bool log);

//===----------------------------------------------------------------------===//
// Data movement (dtype-agnostic: they move bytes)
//===----------------------------------------------------------------------===//

llvm::Expected<Tensor> transpose(const Tensor &x, llvm::ArrayRef<int64_t> perm);
llvm::Expected<Tensor> concat(llvm::ArrayRef<const Tensor *> inputs, int64_t axis);
/// Per-dimension starts/ends/steps already clamped as qnn.slice requires.
llvm::Expected<Tensor> slice(const Tensor &x, llvm::ArrayRef<int64_t> starts,
                             llvm::ArrayRef<int64_t> steps, llvm::ArrayRef<int64_t> outShape);
/// Indices are I32 or I64; negative indices count from the end; an index out
/// of range is an error naming it.
llvm::Expected<Tensor> gather(const Tensor &data, const Tensor &indices, int64_t axis);
llvm::Expected<Tensor> expand(const Tensor &x, llvm::ArrayRef<int64_t> outShape);
/// ONNX GatherElements along a non-negative axis; indices have data's rank
/// and any shape whose other dims do not exceed data's. An index out of range
/// is an error naming it.
llvm::Expected<Tensor> gatherElements(const Tensor &data, const Tensor &indices, int64_t axis);

/// ONNX GatherND: the last dimension of `indices` holds tuples indexing
/// dims batchDims.. of `data`. An index out of range is an error naming it.
llvm::Expected<Tensor> gatherND(const Tensor &data, const Tensor &indices, int64_t batchDims);

/// How a scatter combines an update with the element it lands on. Max and
/// min return NaN when either side is NaN and order -0 below +0.
enum class ScatterReduction { None, Add, Mul, Max, Min };
/// ONNX ScatterND: updates applied tuple by tuple in row-major order (a
/// repeated tuple with None: the later one wins).
llvm::Expected<Tensor> scatterND(const Tensor &data, const Tensor &indices,
                                 const Tensor &updates, ScatterReduction reduction);
/// ONNX ScatterElements along a non-negative axis, positions of `indices`
/// applied in row-major order.
llvm::Expected<Tensor> scatterElements(const Tensor &data, const Tensor &indices,
                                       const Tensor &updates, int64_t axis,
                                       ScatterReduction reduction);
/// The int64 positions along a non-negative axis of the k first elements in
/// the order larger-first (or smaller-first), ties by the lower position,
/// NaN above every number: ONNX TopK's Indices, always sorted.
llvm::Expected<Tensor> topK(const Tensor &x, int64_t axis, int64_t k, bool largest);

enum class PadMode { Constant, Reflect, Edge, Wrap };
llvm::Expected<Tensor> pad(const Tensor &x, llvm::ArrayRef<int64_t> pads, PadMode mode,
                           double value);

enum class ResizeMode { Nearest, Linear, Cubic };
enum class CoordTransform {
  HalfPixel, Asymmetric, AlignCorners, PytorchHalfPixel, TfHalfPixelForNn, HalfPixelSymmetric
};
enum class NearestRounding { RoundPreferFloor, RoundPreferCeil, Floor, Ceil };
struct ResizeParams {
  ResizeMode mode = ResizeMode::Nearest;
  CoordTransform transform = CoordTransform::HalfPixel;
  NearestRounding nearest = NearestRounding::RoundPreferFloor;
  llvm::SmallVector<float, 4> scales; // one per dimension, output / input
  float cubicCoeffA = -0.75f;
  bool excludeOutside = false;
};
/// ONNX Resize (opset 11-18 semantics without antialias) over every dimension.
llvm::Expected<Tensor> resize(const Tensor &x, const ResizeParams &p,
                              llvm::ArrayRef<int64_t> outShape);
/// The taps `resize` uses along one dimension: output coordinate o reads the
/// input indices idx[begin[o] .. begin[o+1]) with the weights beside them
/// (nearest: one tap of weight 1). Code generators build their index tables
/// from this so they resample exactly as the reference does.
struct ResizeTaps {
  llvm::SmallVector<int64_t> begin, idx;
  llvm::SmallVector<double> weight;
};
llvm::Expected<ResizeTaps> resizeTaps(const ResizeParams &p, int64_t dim, int64_t in,
                                      int64_t out);

enum class GridPadding { Zeros, Border, Reflection };
/// ONNX GridSample on x [N, C, H, W] at grid [N, Ho, Wo, 2], in f32 with
/// ONNX Runtime's formulas (cubic with A = -0.75), each operation rounded as
/// the GPU kernel rounds it. Coordinates are limited to +-2^22 (NaN to
/// -2^22) before use, so hostile grids cannot overflow an index.
llvm::Expected<Tensor> gridSample(const Tensor &x, const Tensor &grid, ResizeMode mode,
                                  GridPadding padding, bool alignCorners);

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

enum class ReduceKind { Mean, Sum, Max, Min, Prod };
/// Axes sorted, unique, non-negative. Reducing an empty set of elements gives
/// the identity (0 for Sum, 1 for Prod, -inf/+inf or the integer limits for
/// Max/Min, NaN for Mean).
llvm::Expected<Tensor> reduce(ReduceKind kind, const Tensor &x, llvm::ArrayRef<int64_t> axes,
                              bool keepdims);

/// Cumulative sum along a non-negative axis (ONNX CumSum).
llvm::Expected<Tensor> cumSum(const Tensor &x, int64_t axis, bool exclusive, bool reverse);

/// ArgMax / ArgMin along a non-negative axis, as int64. Ties pick the first
/// index, or the last with `selectLastIndex`; NaN counts as the extreme value.
llvm::Expected<Tensor> argReduce(bool isMax, const Tensor &x, int64_t axis, bool keepdims,
                                 bool selectLastIndex);

} // namespace qopt::ref

#endif // QOPT_REFERENCE_KERNELS_H
