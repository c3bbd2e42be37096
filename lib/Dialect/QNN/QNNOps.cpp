//===- QNNOps.cpp - QNN dialect operations -----------------*- C++ -*-===//
//
// Result type inference and verifiers. Shape rules follow the ONNX operator
// specifications; every rule that bad input can break reports an error here
// rather than asserting later in a pass or the executor.
//
//===----------------------------------------------------------------------===//

#include "qopt/Dialect/QNN/QNNOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallSet.h"

#include <cmath>

using namespace mlir;
using namespace qopt::qnn;

//===----------------------------------------------------------------------===//
// Shared shape helpers
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>> qopt::qnn::broadcastShapes(ArrayRef<int64_t> lhs,
                                                           ArrayRef<int64_t> rhs) {
  size_t rank = std::max(lhs.size(), rhs.size());
  SmallVector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t l = i < rank - lhs.size() ? 1 : lhs[i - (rank - lhs.size())];
    int64_t r = i < rank - rhs.size() ? 1 : rhs[i - (rank - rhs.size())];
    if (l != r && l != 1 && r != 1)
      return failure();
    result[i] = l == 1 ? r : l;
  }
  return result;
}

int64_t qopt::qnn::windowOutputSize(int64_t in, int64_t kernel, int64_t stride, int64_t padBegin,
                                    int64_t padEnd, int64_t dilation, bool ceilMode) {
  int64_t span = (kernel - 1) * dilation + 1;
  int64_t padded = in + padBegin + padEnd;
  if (padded < span || stride <= 0)
    return -1;
  int64_t out = (padded - span) / stride + 1;
  if (ceilMode && (padded - span) % stride != 0) {
    ++out;
    // A last window that would start inside the end padding is dropped.
    if ((out - 1) * stride >= in + padBegin)
      --out;
  }
  return out;
}

static bool isQuantized(Type t) { return isa<quant::QuantizedType>(getElementTypeOrSelf(t)); }

bool qopt::qnn::areCompatibleResultTypes(TypeRange inferred, TypeRange actual) {
  if (inferred.size() != actual.size())
    return false;
  for (auto [a, b] : llvm::zip(inferred, actual)) {
    if (a == b)
      continue;
    auto ta = dyn_cast<RankedTensorType>(a), tb = dyn_cast<RankedTensorType>(b);
    if (!ta || !tb || ta.getShape() != tb.getShape())
      return false;
    if (!isQuantized(ta) && !isQuantized(tb))
      return false;
  }
  return true;
}

static RankedTensorType tensorOf(Value v) { return cast<RankedTensorType>(v.getType()); }

static LogicalResult emitErr(std::optional<Location> loc, const Twine &msg) {
  return emitOptionalError(loc, msg);
}

static std::string shapeStr(ArrayRef<int64_t> shape) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "[";
  llvm::interleave(shape, os, ",");
  os << "]";
  return s;
}

/// Element types of two operands must match, but quantized operands may carry
/// different parameters (a quantized add rescales both sides).
static LogicalResult verifySameElementType(Operation *op, Type a, Type b, StringRef what) {
  Type ea = getElementTypeOrSelf(a), eb = getElementTypeOrSelf(b);
  if (ea == eb || (isa<quant::QuantizedType>(ea) && isa<quant::QuantizedType>(eb)))
    return success();
  return op->emitOpError() << what << " element types differ: " << ea << " vs " << eb;
}

static FailureOr<int64_t> normalizeAxis(std::optional<Location> loc, int64_t axis, int64_t rank,
                                        StringRef opName) {
  if (axis < -rank || axis >= rank) {
    (void)emitErr(loc, "'" + opName + "' axis " + Twine(axis) + " is out of range for rank " +
                           Twine(rank));
    return failure();
  }
  return axis < 0 ? axis + rank : axis;
}

/// Checks a fused activation's parameters against its kind.
static LogicalResult verifyFusedActivation(Operation *op) {
  auto kind = op->getAttrOfType<ActivationAttr>("activation");
  auto params = op->getAttrOfType<DenseF64ArrayAttr>("activation_params");
  if (!kind) {
    if (params)
      return op->emitOpError("has activation_params but no activation");
    return success();
  }
  size_t want = 0;
  switch (kind.getValue()) {
  case Activation::relu:
  case Activation::hard_swish: want = 0; break;
  case Activation::leaky_relu: want = 1; break;
  case Activation::clip:
  case Activation::hard_sigmoid: want = 2; break;
  }
  Type elt = getElementTypeOrSelf(op->getResult(0).getType());
  if (kind.getValue() != Activation::relu && kind.getValue() != Activation::clip &&
      !isa<FloatType, quant::QuantizedType>(elt))
    return op->emitOpError() << "activation " << stringifyActivation(kind.getValue())
                             << " needs a float or quantized result, got " << elt;
  size_t have = params ? params.size() : 0;
  if (have != want)
    return op->emitOpError() << "activation " << stringifyActivation(kind.getValue()) << " takes "
                             << want << " parameters, got " << have;
  if (kind.getValue() == Activation::clip) {
    double lo = params[0], hi = params[1];
    if (!std::isnan(lo) && !std::isnan(hi) && lo > hi)
      return op->emitOpError() << "clip activation min " << lo << " exceeds max " << hi;
  }
  return success();
}

#define QNN_COMPATIBLE_RESULTS(OP)                                                          \
  bool OP::isCompatibleReturnTypes(TypeRange l, TypeRange r) {                              \
    return areCompatibleResultTypes(l, r);                                                  \
  }

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

static LogicalResult inferBroadcast(std::optional<Location> loc, StringRef name,
                                    ArrayRef<Value> operands, Type elementType,
                                    SmallVectorImpl<Type> &results) {
  SmallVector<int64_t> shape = llvm::to_vector(tensorOf(operands[0]).getShape());
  for (Value v : operands.drop_front()) {
    auto b = broadcastShapes(shape, tensorOf(v).getShape());
    if (failed(b))
      return emitErr(loc, "'" + name + "' operand shapes " + shapeStr(shape) + " and " +
                              shapeStr(tensorOf(v).getShape()) + " do not broadcast");
    shape = *b;
  }
  results.push_back(RankedTensorType::get(shape, elementType));
  return success();
}

#define QNN_BINARY_OP(OP, BOOL_RESULT, SAME_TYPES)                                          \
  LogicalResult OP::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,         \
                                     Adaptor a, SmallVectorImpl<Type> &results) {           \
    Type elt = BOOL_RESULT ? Type(IntegerType::get(ctx, 1))                                 \
                           : tensorOf(a.getLhs()).getElementType();                         \
    return inferBroadcast(loc, OP::getOperationName(), {a.getLhs(), a.getRhs()}, elt,       \
                          results);                                                         \
  }                                                                                         \
  LogicalResult OP::verify() {                                                              \
    if (failed(verifyFusedActivation(*this)))                                               \
      return failure();                                                                     \
    if (SAME_TYPES)                                                                         \
      return verifySameElementType(*this, getLhs().getType(), getRhs().getType(),           \
                                   "operand");                                              \
    return success();                                                                       \
  }                                                                                         \
  QNN_COMPATIBLE_RESULTS(OP)

QNN_BINARY_OP(AddOp, false, true)
QNN_BINARY_OP(SubOp, false, true)
QNN_BINARY_OP(MulOp, false, true)
QNN_BINARY_OP(DivOp, false, true)
// Pow allows an exponent type different from the base (opset 12+).
QNN_BINARY_OP(PowOp, false, false)
QNN_BINARY_OP(MaxOp, false, true)
QNN_BINARY_OP(MinOp, false, true)
QNN_BINARY_OP(ModOp, false, true)
QNN_BINARY_OP(EqualOp, true, true)
QNN_BINARY_OP(LessOp, true, true)
QNN_BINARY_OP(LessOrEqualOp, true, true)
QNN_BINARY_OP(GreaterOp, true, true)
QNN_BINARY_OP(GreaterOrEqualOp, true, true)
QNN_BINARY_OP(AndOp, true, true)
QNN_BINARY_OP(OrOp, true, true)
QNN_BINARY_OP(XorOp, true, true)

LogicalResult WhereOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor a,
                                        SmallVectorImpl<Type> &results) {
  return inferBroadcast(loc, getOperationName(), {a.getCondition(), a.getX(), a.getY()},
                        tensorOf(a.getX()).getElementType(), results);
}
LogicalResult WhereOp::verify() {
  return verifySameElementType(*this, getX().getType(), getY().getType(), "'x' and 'y'");
}
QNN_COMPATIBLE_RESULTS(WhereOp)

#define QNN_UNARY_OP(OP)                                                                    \
  LogicalResult OP::inferReturnTypes(MLIRContext *, std::optional<Location>, Adaptor a,     \
                                     SmallVectorImpl<Type> &results) {                      \
    results.push_back(a.getInput().getType());                                              \
    return success();                                                                       \
  }                                                                                         \
  QNN_COMPATIBLE_RESULTS(OP)

QNN_UNARY_OP(ReluOp)
QNN_UNARY_OP(SigmoidOp)
QNN_UNARY_OP(TanhOp)
QNN_UNARY_OP(ExpOp)
QNN_UNARY_OP(LogOp)
QNN_UNARY_OP(SqrtOp)
QNN_UNARY_OP(ErfOp)
QNN_UNARY_OP(SinOp)
QNN_UNARY_OP(CosOp)
QNN_UNARY_OP(TanOp)
QNN_UNARY_OP(AsinOp)
QNN_UNARY_OP(AcosOp)
QNN_UNARY_OP(AtanOp)
QNN_UNARY_OP(SinhOp)
QNN_UNARY_OP(CoshOp)
QNN_UNARY_OP(AsinhOp)
QNN_UNARY_OP(AcoshOp)
QNN_UNARY_OP(AtanhOp)
QNN_UNARY_OP(ReciprocalOp)
QNN_UNARY_OP(FloorOp)
QNN_UNARY_OP(CeilOp)
QNN_UNARY_OP(RoundOp)
QNN_UNARY_OP(HardSwishOp)
QNN_UNARY_OP(NegOp)
QNN_UNARY_OP(AbsOp)
QNN_UNARY_OP(SignOp)
QNN_UNARY_OP(NotOp)
QNN_UNARY_OP(LeakyReluOp)
QNN_UNARY_OP(HardSigmoidOp)
QNN_UNARY_OP(GeluOp)
QNN_UNARY_OP(ClipOp)

LogicalResult ClipOp::verify() {
  if (getMin() && getMax() && getMin()->convertToDouble() > getMax()->convertToDouble())
    return emitOpError() << "min " << getMin()->convertToDouble() << " exceeds max "
                         << getMax()->convertToDouble();
  return success();
}

LogicalResult CastOp::verify() {
  if (getInput().getType().getShape() != getOutput().getType().getShape())
    return emitOpError() << "input shape " << shapeStr(getInput().getType().getShape())
                         << " differs from result shape "
                         << shapeStr(getOutput().getType().getShape());
  return success();
}

LogicalResult LutOp::verify() {
  auto in = getInput().getType(), out = getOutput().getType();
  if (in.getShape() != out.getShape())
    return emitOpError() << "input shape " << shapeStr(in.getShape())
                         << " differs from result shape " << shapeStr(out.getShape());
  auto qi = dyn_cast<quant::UniformQuantizedType>(in.getElementType());
  if (!qi || (qi.getStorageTypeIntegralWidth() != 8 && qi.getStorageTypeIntegralWidth() != 16))
    return emitOpError() << "looks up 8- or 16-bit per-tensor quantized values, got "
                         << in.getElementType();
  auto qo = dyn_cast<quant::UniformQuantizedType>(out.getElementType());
  if (!qo || qo.getStorageTypeIntegralWidth() != 8)
    return emitOpError() << "produces 8-bit per-tensor quantized values, got "
                         << out.getElementType();
  // One entry per storage value the input type allows (a narrowed i16 such
  // as i16<-2048:2047> needs 4096).
  int64_t entries = qi.getStorageTypeMax() - qi.getStorageTypeMin() + 1;
  if (getTable().getType().getShape() != ArrayRef<int64_t>{entries})
    return emitOpError() << "table must have " << entries << " entries, got "
                         << shapeStr(getTable().getType().getShape());
  return success();
}

LogicalResult RequantizeOp::verify() {
  auto in = getInput().getType(), out = getOutput().getType();
  if (in.getShape() != out.getShape())
    return emitOpError() << "input shape " << shapeStr(in.getShape())
                         << " differs from result shape " << shapeStr(out.getShape());
  for (Type t : {in.getElementType(), out.getElementType()})
    if (!isa<quant::UniformQuantizedType>(t))
      return emitOpError() << "requantizes per-tensor types only, got " << t;
  auto qi = cast<quant::UniformQuantizedType>(in.getElementType());
  auto qo = cast<quant::UniformQuantizedType>(out.getElementType());
  if (qi.getStorageTypeIntegralWidth() > 16 || qo.getStorageTypeIntegralWidth() > 16)
    return emitOpError() << "requantizes 8- and 16-bit storage only";
  return success();
}

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

/// Checks the window attributes shared by conv, conv_transpose and pools.
static LogicalResult checkWindowAttrs(std::optional<Location> loc, StringRef name,
                                      int64_t spatial, ArrayRef<int64_t> kernel,
                                      ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                                      ArrayRef<int64_t> dilations) {
  if (spatial < 1 || spatial > 3)
    return emitErr(loc, "'" + name + "' supports 1 to 3 spatial dimensions, got " +
                            Twine(spatial));
  if ((int64_t)kernel.size() != spatial || (int64_t)strides.size() != spatial ||
      (int64_t)dilations.size() != spatial || (int64_t)pads.size() != 2 * spatial)
    return emitErr(loc, "'" + name + "' expects " + Twine(spatial) +
                            " kernel dims, strides and dilations and " + Twine(2 * spatial) +
                            " pads");
  // Bounding every window attribute keeps the size arithmetic below (and in
  // the kernels) far from int64 overflow whatever a model file says.
  constexpr int64_t kLimit = int64_t(1) << 31;
  for (int64_t i = 0; i < spatial; ++i) {
    if (kernel[i] <= 0 || strides[i] <= 0 || dilations[i] <= 0)
      return emitErr(loc, "'" + name + "' kernel, strides and dilations must be positive");
    if (kernel[i] > kLimit || strides[i] > kLimit || dilations[i] > kLimit)
      return emitErr(loc, "'" + name + "' kernel, strides and dilations must be at most 2^31");
  }
  for (int64_t p : pads)
    if (p < 0 || p > kLimit)
      return emitErr(loc, "'" + name + "' pads must be in [0, 2^31]");
  return success();
}

LogicalResult ConvOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor a,
                                       SmallVectorImpl<Type> &results) {
  auto in = tensorOf(a.getInput()), w = tensorOf(a.getWeight());
  int64_t rank = in.getRank(), spatial = rank - 2;
  if (w.getRank() != rank)
    return emitErr(loc, "'qnn.conv' weight rank " + Twine(w.getRank()) +
                            " differs from input rank " + Twine(rank));
  ArrayRef<int64_t> ws = w.getShape();
  if (failed(checkWindowAttrs(loc, "qnn.conv", spatial, ws.drop_front(2), a.getStrides(),
                              a.getPads(), a.getDilations())))
    return failure();
  int64_t group = a.getGroup();
  int64_t channels = in.getDimSize(1);
  if (group <= 0 || channels % group != 0 || ws[0] % group != 0 || ws[1] * group != channels)
    return emitErr(loc, "'qnn.conv' input channels " + Twine(channels) + ", weight " +
                            shapeStr(ws) + " and group " + Twine(group) + " are inconsistent");
  SmallVector<int64_t> out{in.getDimSize(0), ws[0]};
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t o = windowOutputSize(in.getDimSize(2 + i), ws[2 + i], a.getStrides()[i],
                                 a.getPads()[i], a.getPads()[spatial + i],
                                 a.getDilations()[i], false);
    if (o <= 0)
      return emitErr(loc, "'qnn.conv' kernel does not fit spatial dimension " + Twine(i));
    out.push_back(o);
  }
  if (Value bias = a.getBias()) {
    auto b = tensorOf(bias);
    if (b.getRank() != 1 || b.getDimSize(0) != ws[0])
      return emitErr(loc, "'qnn.conv' bias must be 1-D of size " + Twine(ws[0]));
  }
  results.push_back(RankedTensorType::get(out, in.getElementType()));
  return success();
}
LogicalResult ConvOp::verify() {
  if (failed(verifyFusedActivation(*this)))
    return failure();
  if (Value r = getResidual()) {
    // Quantized residuals may carry their own scale; otherwise types match.
    bool bothQuantized = isQuantized(r.getType()) && isQuantized(getOutput().getType());
    if (r.getType() != getOutput().getType() &&
        (cast<RankedTensorType>(r.getType()).getShape() != getOutput().getType().getShape() ||
         !bothQuantized))
      return emitOpError() << "residual of type " << r.getType()
                           << " differs from the result type " << getOutput().getType();
  }
  if (!isQuantized(getInput().getType()))
    return verifySameElementType(*this, getInput().getType(), getWeight().getType(),
                                 "input and weight");
  return success();
}
QNN_COMPATIBLE_RESULTS(ConvOp)

LogicalResult ConvTransposeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                                Adaptor a, SmallVectorImpl<Type> &results) {
  auto in = tensorOf(a.getInput()), w = tensorOf(a.getWeight());
  int64_t rank = in.getRank(), spatial = rank - 2;
  if (w.getRank() != rank)
    return emitErr(loc, "'qnn.conv_transpose' weight rank differs from input rank");
  ArrayRef<int64_t> ws = w.getShape();
  if (failed(checkWindowAttrs(loc, "qnn.conv_transpose", spatial, ws.drop_front(2),
                              a.getStrides(), a.getPads(), a.getDilations())))
    return failure();
  int64_t group = a.getGroup();
  if (group <= 0 || ws[0] != in.getDimSize(1) || ws[0] % group != 0)
    return emitErr(loc, "'qnn.conv_transpose' input channels " + Twine(in.getDimSize(1)) +
                            ", weight " + shapeStr(ws) + " and group " + Twine(group) +
                            " are inconsistent");
  if ((int64_t)a.getOutputPadding().size() != spatial)
    return emitErr(loc, "'qnn.conv_transpose' expects " + Twine(spatial) + " output_padding");
  SmallVector<int64_t> out{in.getDimSize(0), ws[1] * group};
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t s = a.getStrides()[i], op = a.getOutputPadding()[i];
    if (op < 0)
      return emitErr(loc, "'qnn.conv_transpose' output_padding must be non-negative");
    int64_t o = s * (in.getDimSize(2 + i) - 1) + op + (ws[2 + i] - 1) * a.getDilations()[i] +
                1 - a.getPads()[i] - a.getPads()[spatial + i];
    if (o <= 0)
      return emitErr(loc, "'qnn.conv_transpose' output dimension " + Twine(i) +
                              " is not positive");
    out.push_back(o);
  }
  if (Value bias = a.getBias()) {
    auto b = tensorOf(bias);
    if (b.getRank() != 1 || b.getDimSize(0) != out[1])
      return emitErr(loc, "'qnn.conv_transpose' bias must be 1-D of size " + Twine(out[1]));
  }
  results.push_back(RankedTensorType::get(out, in.getElementType()));
  return success();
}
LogicalResult ConvTransposeOp::verify() {
  if (failed(verifyFusedActivation(*this)))
    return failure();
  if (!isQuantized(getInput().getType()))
    return verifySameElementType(*this, getInput().getType(), getWeight().getType(),
                                 "input and weight");
  return success();
}
QNN_COMPATIBLE_RESULTS(ConvTransposeOp)

//===----------------------------------------------------------------------===//
// Matrix products
//===----------------------------------------------------------------------===//

LogicalResult MatMulOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor a,
                                         SmallVectorImpl<Type> &results) {
  auto l = tensorOf(a.getLhs()), r = tensorOf(a.getRhs());
  if (l.getRank() == 0 || r.getRank() == 0)
    return emitErr(loc, "'qnn.matmul' operands must have rank >= 1");
  SmallVector<int64_t> ls = llvm::to_vector(l.getShape()), rs = llvm::to_vector(r.getShape());
  bool lVec = ls.size() == 1, rVec = rs.size() == 1;
  if (lVec)
    ls.insert(ls.begin(), 1);
  if (rVec)
    rs.push_back(1);
  if (ls.back() != rs[rs.size() - 2])
    return emitErr(loc, "'qnn.matmul' contraction dimensions differ: " + shapeStr(l.getShape()) +
                            " x " + shapeStr(r.getShape()));
  auto batch = broadcastShapes(ArrayRef<int64_t>(ls).drop_back(2),
                               ArrayRef<int64_t>(rs).drop_back(2));
  if (failed(batch))
    return emitErr(loc, "'qnn.matmul' batch dimensions do not broadcast");
  SmallVector<int64_t> out = *batch;
  if (!lVec)
    out.push_back(ls[ls.size() - 2]);
  if (!rVec)
    out.push_back(rs.back());
  results.push_back(RankedTensorType::get(out, l.getElementType()));
  return success();
}
LogicalResult MatMulOp::verify() {
  if (failed(verifyFusedActivation(*this)))
    return failure();
  return verifySameElementType(*this, getLhs().getType(), getRhs().getType(), "operand");
}
QNN_COMPATIBLE_RESULTS(MatMulOp)

LogicalResult GemmOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor a,
                                       SmallVectorImpl<Type> &results) {
  auto ta = tensorOf(a.getA()), tb = tensorOf(a.getB());
  if (ta.getRank() != 2 || tb.getRank() != 2)
    return emitErr(loc, "'qnn.gemm' operands A and B must be 2-D");
  int64_t m = a.getTransA() ? ta.getDimSize(1) : ta.getDimSize(0);
  int64_t k = a.getTransA() ? ta.getDimSize(0) : ta.getDimSize(1);
  int64_t kb = a.getTransB() ? tb.getDimSize(1) : tb.getDimSize(0);
  int64_t n = a.getTransB() ? tb.getDimSize(0) : tb.getDimSize(1);
  if (k != kb)
    return emitErr(loc, "'qnn.gemm' contraction dimensions differ: " + Twine(k) + " vs " +
                            Twine(kb));
  if (Value c = a.getC()) {
    auto tc = tensorOf(c);
    auto b = broadcastShapes({m, n}, tc.getShape());
    if (tc.getRank() > 2 || failed(b) || (*b)[0] != m || (*b)[1] != n)
      return emitErr(loc, "'qnn.gemm' C of shape " + shapeStr(tc.getShape()) +
                              " does not broadcast to [" + Twine(m) + "," + Twine(n) + "]");
  }
  results.push_back(RankedTensorType::get({m, n}, ta.getElementType()));
  return success();
}
LogicalResult GemmOp::verify() {
  if (failed(verifyFusedActivation(*this)))
    return failure();
  return verifySameElementType(*this, getA().getType(), getB().getType(), "A and B");
}
QNN_COMPATIBLE_RESULTS(GemmOp)

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

template <typename AdaptorT>
static LogicalResult inferPool(std::optional<Location> loc, StringRef name, AdaptorT a,
                               SmallVectorImpl<Type> &results) {
  auto in = tensorOf(a.getInput());
  int64_t spatial = in.getRank() - 2;
  if (failed(checkWindowAttrs(loc, name, spatial, a.getKernelShape(), a.getStrides(),
                              a.getPads(), a.getDilations())))
    return failure();
  SmallVector<int64_t> out{in.getDimSize(0), in.getDimSize(1)};
  for (int64_t i = 0; i < spatial; ++i) {
    if (a.getPads()[i] >= a.getKernelShape()[i] || a.getPads()[spatial + i] >= a.getKernelShape()[i])
      return emitErr(loc, "'" + name + "' pads must be smaller than the kernel");
    int64_t o = windowOutputSize(in.getDimSize(2 + i), a.getKernelShape()[i], a.getStrides()[i],
                                 a.getPads()[i], a.getPads()[spatial + i], a.getDilations()[i],
                                 a.getCeilMode());
    if (o <= 0)
      return emitErr(loc, "'" + name + "' window does not fit spatial dimension " + Twine(i));
    // Only windows starting in the left padding can miss the input (a dilated
    // window stepping over it); such a window has no maximum to report.
    int64_t k = a.getKernelShape()[i], s = a.getStrides()[i], d = a.getDilations()[i],
            pb = a.getPads()[i], inSize = in.getDimSize(2 + i);
    for (int64_t w = 0; w < o && w * s - pb < 0; ++w) {
      int64_t start = w * s - pb, first = (-start + d - 1) / d;
      if (first >= k || start + first * d >= inSize)
        return emitErr(loc, "'" + name + "' window " + Twine(w) + " of spatial dimension " +
                                Twine(i) + " covers no input element");
    }
    out.push_back(o);
  }
  results.push_back(RankedTensorType::get(out, in.getElementType()));
  return success();
}

LogicalResult MaxPoolOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor a,
                                          SmallVectorImpl<Type> &results) {
  return inferPool(loc, getOperationName(), a, results);
}
LogicalResult MaxPoolOp::verify() { return success(); }
QNN_COMPATIBLE_RESULTS(MaxPoolOp)

LogicalResult MaxPoolIndicesOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                                 Adaptor a, SmallVectorImpl<Type> &results) {
  if (failed(inferPool(loc, getOperationName(), a, results)))
    return failure();
  results[0] = RankedTensorType::get(cast<RankedTensorType>(results[0]).getShape(),
                                     IntegerType::get(ctx, 64));
  return success();
}
QNN_COMPATIBLE_RESULTS(MaxPoolIndicesOp)

LogicalResult MaxUnpoolOp::verify() {
  auto x = getInput().getType(), idx = getIndices().getType(), out = getOutput().getType();
  int64_t rank = x.getRank(), spatial = rank - 2;
  if (rank < 3 || rank > 5)
    return emitOpError() << "needs 1 to 3 spatial dimensions, got rank " << rank;
  if (idx.getShape() != x.getShape())
    return emitOpError() << "indices " << shapeStr(idx.getShape()) << " must have the input's shape "
                         << shapeStr(x.getShape());
  if (out.getRank() != rank || out.getDimSize(0) != x.getDimSize(0) ||
      out.getDimSize(1) != x.getDimSize(1) || out.getElementType() != x.getElementType())
    return emitOpError() << "result " << out << " must keep the input's batch, channels and type";
  if ((int64_t)getKernelShape().size() != spatial || (int64_t)getStrides().size() != spatial ||
      (int64_t)getPads().size() != 2 * spatial)
    return emitOpError() << "needs a kernel size and stride per spatial dimension and two pads";
  const int64_t limit = int64_t(1) << 31;
  for (int64_t i = 0; i < spatial; ++i)
    if (getKernelShape()[i] < 1 || getStrides()[i] < 1 || getPads()[i] < 0 ||
        getPads()[spatial + i] < 0 || getKernelShape()[i] > limit || getStrides()[i] > limit ||
        getPads()[i] > limit || getPads()[spatial + i] > limit)
      return emitOpError() << "kernel sizes and strides must be in [1, 2^31], pads in [0, 2^31]";
  return success();
}

LogicalResult AvgPoolOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor a,
                                          SmallVectorImpl<Type> &results) {
  return inferPool(loc, getOperationName(), a, results);
}
LogicalResult AvgPoolOp::verify() { return success(); }
QNN_COMPATIBLE_RESULTS(AvgPoolOp)

#define QNN_GLOBAL_POOL(OP)                                                                 \
  LogicalResult OP::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor a, \
                                     SmallVectorImpl<Type> &results) {                      \
    auto in = tensorOf(a.getInput());                                                       \
    if (in.getRank() < 3)                                                                   \
      return emitErr(loc, "'" + OP::getOperationName() + "' expects rank >= 3");            \
    SmallVector<int64_t> out(in.getRank(), 1);                                              \
    out[0] = in.getDimSize(0);                                                              \
    out[1] = in.getDimSize(1);                                                              \
    results.push_back(RankedTensorType::get(out, in.getElementType()));                     \
    return success();                                                                       \
  }                                                                                         \
  LogicalResult OP::verify() { return success(); }                                          \
  QNN_COMPATIBLE_RESULTS(OP)

QNN_GLOBAL_POOL(GlobalAvgPoolOp)
QNN_GLOBAL_POOL(GlobalMaxPoolOp)

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

LogicalResult BatchNormOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor a, SmallVectorImpl<Type> &results) {
  auto in = tensorOf(a.getInput());
  if (in.getRank() < 2)
    return emitErr(loc, "'qnn.batch_norm' expects rank >= 2");
  for (Value v : {a.getScale(), a.getBias(), a.getMean(), a.getVariance()}) {
    auto t = tensorOf(v);
    if (t.getRank() != 1 || t.getDimSize(0) != in.getDimSize(1))
      return emitErr(loc, "'qnn.batch_norm' parameters must be 1-D of size " +
                              Twine(in.getDimSize(1)));
  }
  results.push_back(in);
  return success();
}
LogicalResult BatchNormOp::verify() {
  if (getEpsilon().convertToDouble() < 0)
    return emitOpError("epsilon must be non-negative");
  return success();
}
QNN_COMPATIBLE_RESULTS(BatchNormOp)

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor a, SmallVectorImpl<Type> &results) {
  auto in = tensorOf(a.getInput());
  auto axis = normalizeAxis(loc, a.getAxis(), in.getRank(), "qnn.layer_norm");
  if (failed(axis))
    return failure();
  ArrayRef<int64_t> normalized = in.getShape().drop_front(*axis);
  for (Value v : {a.getScale(), a.getBias()}) {
    if (!v)
      continue;
    auto b = broadcastShapes(normalized, tensorOf(v).getShape());
    if (failed(b) || ArrayRef<int64_t>(*b) != normalized)
      return emitErr(loc, "'qnn.layer_norm' scale/bias shape " +
                              shapeStr(tensorOf(v).getShape()) +
                              " does not broadcast to the normalized shape " +
                              shapeStr(normalized));
  }
  results.push_back(in);
  return success();
}
LogicalResult LayerNormOp::verify() { return success(); }
QNN_COMPATIBLE_RESULTS(LayerNormOp)

#define QNN_AXIS_OP(OP)                                                                     \
  LogicalResult OP::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor a, \
                                     SmallVectorImpl<Type> &results) {                      \
    auto in = tensorOf(a.getInput());                                                       \
    if (failed(normalizeAxis(loc, a.getAxis(), std::max<int64_t>(in.getRank(), 1),          \
                             OP::getOperationName())))                                      \
      return failure();                                                                     \
    results.push_back(in);                                                                  \
    return success();                                                                       \
  }                                                                                         \
  LogicalResult OP::verify() { return success(); }                                          \
  QNN_COMPATIBLE_RESULTS(OP)

QNN_AXIS_OP(SoftmaxOp)
QNN_AXIS_OP(LogSoftmaxOp)

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  auto in = getInput().getType(), out = getOutput().getType();
  if (in.getNumElements() != out.getNumElements())
    return emitOpError() << "cannot reshape " << shapeStr(in.getShape()) << " ("
                         << in.getNumElements() << " elements) to " << shapeStr(out.getShape())
                         << " (" << out.getNumElements() << " elements)";
  return verifySameElementType(*this, in, out, "input and result");
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor a, SmallVectorImpl<Type> &results) {
  auto in = tensorOf(a.getInput());
  ArrayRef<int64_t> perm = a.getPerm();
  if ((int64_t)perm.size() != in.getRank())
    return emitErr(loc, "'qnn.transpose' perm has " + Twine(perm.size()) +
                            " entries for rank " + Twine(in.getRank()));
  llvm::SmallSet<int64_t, 8> seen;
  SmallVector<int64_t> out;
  for (int64_t p : perm) {
    if (p < 0 || p >= in.getRank() || !seen.insert(p).second)
      return emitErr(loc, "'qnn.transpose' perm " + shapeStr(perm) + " is not a permutation");
    out.push_back(in.getDimSize(p));
  }
  results.push_back(RankedTensorType::get(out, in.getElementType()));
  return success();
}
LogicalResult TransposeOp::verify() { return success(); }
QNN_COMPATIBLE_RESULTS(TransposeOp)

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor a,
                                         SmallVectorImpl<Type> &results) {
  if (a.getInputs().empty())
    return emitErr(loc, "'qnn.concat' needs at least one input");
  auto first = tensorOf(a.getInputs().front());
  auto axis = normalizeAxis(loc, a.getAxis(), first.getRank(), "qnn.concat");
  if (failed(axis))
    return failure();
  SmallVector<int64_t> out = llvm::to_vector(first.getShape());
  out[*axis] = 0;
  for (Value v : a.getInputs()) {
    auto t = tensorOf(v);
    if (t.getRank() != first.getRank())
      return emitErr(loc, "'qnn.concat' inputs differ in rank");
    for (int64_t d = 0; d < t.getRank(); ++d)
      if (d != *axis && t.getDimSize(d) != first.getDimSize(d))
        return emitErr(loc, "'qnn.concat' inputs " + shapeStr(first.getShape()) + " and " +
                                shapeStr(t.getShape()) + " differ outside axis " +
                                Twine(*axis));
    out[*axis] += t.getDimSize(*axis);
  }
  results.push_back(RankedTensorType::get(out, first.getElementType()));
  return success();
}
LogicalResult ConcatOp::verify() {
  for (Value v : getInputs())
    if (failed(verifySameElementType(*this, getInputs().front().getType(), v.getType(),
                                     "input")))
      return failure();
  return success();
}
QNN_COMPATIBLE_RESULTS(ConcatOp)

LogicalResult SliceOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor a,
                                        SmallVectorImpl<Type> &results) {
  auto in = tensorOf(a.getInput());
  int64_t rank = in.getRank();
  if ((int64_t)a.getStarts().size() != rank || (int64_t)a.getEnds().size() != rank ||
      (int64_t)a.getSteps().size() != rank)
    return emitErr(loc, "'qnn.slice' needs one start, end and step per dimension");
  SmallVector<int64_t> out;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t dim = in.getDimSize(d), s = a.getStarts()[d], e = a.getEnds()[d],
            st = a.getSteps()[d];
    if (st == 0)
      return emitErr(loc, "'qnn.slice' step of dimension " + Twine(d) + " is zero");
    bool ok = st > 0 ? (s >= 0 && s <= dim && e >= 0 && e <= dim)
                     : (s >= -1 && s < dim && e >= -1 && e < dim);
    if (!ok)
      return emitErr(loc, "'qnn.slice' bounds of dimension " + Twine(d) +
                              " are not clamped to its size " + Twine(dim));
    // Counted in unsigned arithmetic: steps may be as large as int64 allows.
    uint64_t span = st > 0 ? (e > s ? (uint64_t)(e - s) : 0) : (s > e ? (uint64_t)(s - e) : 0);
    uint64_t mag = st > 0 ? (uint64_t)st : (uint64_t)(-(st + 1)) + 1;
    out.push_back(span == 0 ? 0 : (int64_t)(1 + (span - 1) / mag));
  }
  results.push_back(RankedTensorType::get(out, in.getElementType()));
  return success();
}
LogicalResult SliceOp::verify() { return success(); }
QNN_COMPATIBLE_RESULTS(SliceOp)

LogicalResult GatherOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor a,
                                         SmallVectorImpl<Type> &results) {
  auto data = tensorOf(a.getData()), idx = tensorOf(a.getIndices());
  if (data.getRank() < 1)
    return emitErr(loc, "'qnn.gather' data must have rank >= 1");
  auto axis = normalizeAxis(loc, a.getAxis(), data.getRank(), "qnn.gather");
  if (failed(axis))
    return failure();
  SmallVector<int64_t> out = llvm::to_vector(data.getShape().take_front(*axis));
  llvm::append_range(out, idx.getShape());
  llvm::append_range(out, data.getShape().drop_front(*axis + 1));
  results.push_back(RankedTensorType::get(out, data.getElementType()));
  return success();
}
LogicalResult GatherOp::verify() { return success(); }
QNN_COMPATIBLE_RESULTS(GatherOp)

/// Per-element indices (GatherElements, ScatterElements): data's rank, a
/// valid axis, no larger than data off the axis.
static LogicalResult checkElementIndices(std::optional<Location> loc, StringRef name,
                                         RankedTensorType data, RankedTensorType idx,
                                         int64_t rawAxis) {
  if (data.getRank() < 1 || idx.getRank() != data.getRank())
    return emitErr(loc, "'" + name + "' indices must have the rank of data (" +
                            Twine(data.getRank()) + ")");
  auto axis = normalizeAxis(loc, rawAxis, data.getRank(), name);
  if (failed(axis))
    return failure();
  for (int64_t d = 0; d < data.getRank(); ++d)
    if (d != *axis && idx.getDimSize(d) > data.getDimSize(d))
      return emitErr(loc, "'" + name + "' indices " + shapeStr(idx.getShape()) + " exceed data " +
                              shapeStr(data.getShape()) + " in dimension " + Twine(d));
  if (idx.getNumElements() > 0 && data.getDimSize(*axis) == 0)
    return emitErr(loc, "'" + name + "' indexes the empty axis " + Twine(*axis) + " of data " +
                            shapeStr(data.getShape()));
  return success();
}

LogicalResult GatherElementsOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                                 Adaptor a, SmallVectorImpl<Type> &results) {
  auto data = tensorOf(a.getData()), idx = tensorOf(a.getIndices());
  if (failed(checkElementIndices(loc, "qnn.gather_elements", data, idx, a.getAxis())))
    return failure();
  results.push_back(RankedTensorType::get(idx.getShape(), data.getElementType()));
  return success();
}
QNN_COMPATIBLE_RESULTS(GatherElementsOp)

LogicalResult GridSampleOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                             Adaptor a, SmallVectorImpl<Type> &results) {
  auto x = tensorOf(a.getInput()), grid = tensorOf(a.getGrid());
  if (x.getRank() != 4 || grid.getRank() != 4 || grid.getDimSize(3) != 2 ||
      grid.getDimSize(0) != x.getDimSize(0))
    return emitErr(loc, "'qnn.grid_sample' needs input [N, C, H, W] and grid [N, Ho, Wo, 2], got " +
                            shapeStr(x.getShape()) + " and " + shapeStr(grid.getShape()));
  if (grid.getElementType() != x.getElementType())
    return emitErr(loc, "'qnn.grid_sample' grid must have the input's element type");
  if (x.getDimSize(2) < 1 || x.getDimSize(3) < 1)
    return emitErr(loc, "'qnn.grid_sample' input image " + shapeStr(x.getShape()) + " is empty");
  results.push_back(RankedTensorType::get(
      {x.getDimSize(0), x.getDimSize(1), grid.getDimSize(1), grid.getDimSize(2)},
      x.getElementType()));
  return success();
}
QNN_COMPATIBLE_RESULTS(GridSampleOp)

LogicalResult GatherNDOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor a,
                                           SmallVectorImpl<Type> &results) {
  auto data = tensorOf(a.getData()), idx = tensorOf(a.getIndices());
  int64_t b = a.getBatchDims(), r = data.getRank(), q = idx.getRank();
  if (r < 1 || q < 1)
    return emitErr(loc, "'qnn.gather_nd' data and indices must have rank >= 1");
  if (b < 0 || b >= std::min(r, q))
    return emitErr(loc, "'qnn.gather_nd' batch_dims " + Twine(b) +
                            " must be below the ranks of data and indices");
  int64_t k = idx.getDimSize(q - 1);
  if (k < 1 || b + k > r)
    return emitErr(loc, "'qnn.gather_nd' index tuples of length " + Twine(k) +
                            " do not fit data " + shapeStr(data.getShape()) + " after " +
                            Twine(b) + " batch dimensions");
  if (data.getShape().take_front(b) != idx.getShape().take_front(b))
    return emitErr(loc, "'qnn.gather_nd' batch dimensions of data " + shapeStr(data.getShape()) +
                            " and indices " + shapeStr(idx.getShape()) + " differ");
  if (idx.getNumElements() > 0 && llvm::is_contained(data.getShape().slice(b, k), 0))
    return emitErr(loc, "'qnn.gather_nd' indexes an empty dimension of data " +
                            shapeStr(data.getShape()));
  SmallVector<int64_t> out = llvm::to_vector(idx.getShape().drop_back());
  llvm::append_range(out, data.getShape().drop_front(b + k));
  results.push_back(RankedTensorType::get(out, data.getElementType()));
  return success();
}
QNN_COMPATIBLE_RESULTS(GatherNDOp)

/// Scatter updates carry the data's values: same element type, parameters
/// included, since no update is rescaled.
static LogicalResult checkScatterUpdates(std::optional<Location> loc, StringRef name,
                                         RankedTensorType data, RankedTensorType updates,
                                         ArrayRef<int64_t> want, ScatterReduction reduction) {
  if (updates.getElementType() != data.getElementType())
    return emitErr(loc, "'" + name + "' updates must have the element type of data");
  Type e = data.getElementType();
  if (reduction != ScatterReduction::none && (e.isInteger(1) || isa<quant::QuantizedType>(e))) {
    std::string type;
    llvm::raw_string_ostream os(type);
    os << e;
    return emitErr(loc, "'" + name + "' reduction " + stringifyScatterReduction(reduction) +
                            " needs float or integer data, got " + type);
  }
  if (updates.getShape() != want)
    return emitErr(loc, "'" + name + "' updates have shape " + shapeStr(updates.getShape()) +
                            ", expected " + shapeStr(want));
  return success();
}

LogicalResult ScatterNDOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor a,
                                            SmallVectorImpl<Type> &results) {
  auto data = tensorOf(a.getData()), idx = tensorOf(a.getIndices()),
       upd = tensorOf(a.getUpdates());
  int64_t r = data.getRank(), q = idx.getRank();
  if (r < 1 || q < 1)
    return emitErr(loc, "'qnn.scatter_nd' data and indices must have rank >= 1");
  int64_t k = idx.getDimSize(q - 1);
  if (k < 1 || k > r)
    return emitErr(loc, "'qnn.scatter_nd' index tuples of length " + Twine(k) +
                            " do not fit data " + shapeStr(data.getShape()));
  if (idx.getNumElements() > 0 && llvm::is_contained(data.getShape().take_front(k), 0))
    return emitErr(loc, "'qnn.scatter_nd' indexes an empty dimension of data " +
                            shapeStr(data.getShape()));
  SmallVector<int64_t> want = llvm::to_vector(idx.getShape().drop_back());
  llvm::append_range(want, data.getShape().drop_front(k));
  if (failed(checkScatterUpdates(loc, "qnn.scatter_nd", data, upd, want, a.getReduction())))
    return failure();
  results.push_back(data);
  return success();
}
QNN_COMPATIBLE_RESULTS(ScatterNDOp)

LogicalResult ScatterElementsOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                                  Adaptor a, SmallVectorImpl<Type> &results) {
  auto data = tensorOf(a.getData()), idx = tensorOf(a.getIndices()),
       upd = tensorOf(a.getUpdates());
  if (failed(checkElementIndices(loc, "qnn.scatter_elements", data, idx, a.getAxis())) ||
      failed(checkScatterUpdates(loc, "qnn.scatter_elements", data, upd, idx.getShape(),
                                 a.getReduction())))
    return failure();
  results.push_back(data);
  return success();
}
QNN_COMPATIBLE_RESULTS(ScatterElementsOp)

LogicalResult TopKOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc, Adaptor a,
                                       SmallVectorImpl<Type> &results) {
  auto x = tensorOf(a.getInput());
  if (x.getRank() < 1)
    return emitErr(loc, "'qnn.top_k' input must have rank >= 1");
  if (x.getElementType().isInteger(1))
    return emitErr(loc, "'qnn.top_k' does not order booleans");
  auto axis = normalizeAxis(loc, a.getAxis(), x.getRank(), "qnn.top_k");
  if (failed(axis))
    return failure();
  int64_t k = a.getK(), n = x.getDimSize(*axis);
  if (k < 1 || k > n)
    return emitErr(loc, "'qnn.top_k' k = " + Twine(k) + " must be in [1, " + Twine(n) +
                            "], the size of axis " + Twine(*axis));
  SmallVector<int64_t> out(x.getShape());
  out[*axis] = k;
  results.push_back(RankedTensorType::get(out, IntegerType::get(ctx, 64)));
  return success();
}
QNN_COMPATIBLE_RESULTS(TopKOp)

LogicalResult ExpandOp::verify() {
  auto in = getInput().getType(), out = getOutput().getType();
  auto b = broadcastShapes(in.getShape(), out.getShape());
  if (failed(b) || ArrayRef<int64_t>(*b) != out.getShape())
    return emitOpError() << "cannot broadcast " << shapeStr(in.getShape()) << " to "
                         << shapeStr(out.getShape());
  return verifySameElementType(*this, in, out, "input and result");
}

LogicalResult PadOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor a,
                                      SmallVectorImpl<Type> &results) {
  auto in = tensorOf(a.getInput());
  int64_t rank = in.getRank();
  ArrayRef<int64_t> pads = a.getPads();
  if ((int64_t)pads.size() != 2 * rank)
    return emitErr(loc, "'qnn.pad' expects " + Twine(2 * rank) + " pads");
  SmallVector<int64_t> out;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t dim = in.getDimSize(d), o = dim + pads[d] + pads[rank + d];
    if (o < 0)
      return emitErr(loc, "'qnn.pad' crops dimension " + Twine(d) + " below zero");
    bool padded = pads[d] > 0 || pads[rank + d] > 0;
    if (a.getMode() == PadMode::reflect && (pads[d] >= dim || pads[rank + d] >= dim) && padded)
      return emitErr(loc, "'qnn.pad' reflect pads must be smaller than dimension " + Twine(d));
    if (a.getMode() != PadMode::constant && padded && dim == 0)
      return emitErr(loc, "'qnn.pad' cannot pad an empty dimension in this mode");
    out.push_back(o);
  }
  results.push_back(RankedTensorType::get(out, in.getElementType()));
  return success();
}
LogicalResult PadOp::verify() { return success(); }
QNN_COMPATIBLE_RESULTS(PadOp)

LogicalResult ResizeOp::verify() {
  auto in = getInput().getType(), out = getOutput().getType();
  if (in.getRank() != out.getRank())
    return emitOpError("input and result ranks differ");
  if ((int64_t)getScales().size() != in.getRank())
    return emitOpError() << "expects " << in.getRank() << " scales";
  for (auto [d, s] : llvm::enumerate(getScales())) {
    if (!(s > 0))
      return emitOpError("scales must be positive");
    // The result is either floor(in * scale) or the size the scale came from.
    int64_t i = in.getDimSize(d), o = out.getDimSize(d);
    bool fromScale = (double)o == std::floor((double)i * (double)s);
    bool fromSize = i > 0 && s == (float)o / (float)i;
    if (!fromScale && !fromSize)
      return emitOpError() << "result dimension " << d << " (" << o << ") does not follow from "
                           << i << " x scale " << s;
  }
  return verifySameElementType(*this, in, out, "input and result");
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

template <typename AdaptorT>
static LogicalResult inferReduce(std::optional<Location> loc, StringRef name, AdaptorT a,
                                 SmallVectorImpl<Type> &results) {
  auto in = tensorOf(a.getInput());
  ArrayRef<int64_t> axes = a.getAxes();
  for (size_t i = 0; i < axes.size(); ++i)
    if (axes[i] < 0 || axes[i] >= in.getRank() || (i > 0 && axes[i] <= axes[i - 1]))
      return emitErr(loc, "'" + name + "' axes " + shapeStr(axes) +
                              " must be sorted, unique and in [0, rank)");
  SmallVector<int64_t> out;
  for (int64_t d = 0; d < in.getRank(); ++d) {
    bool reduced = llvm::is_contained(axes, d);
    if (!reduced)
      out.push_back(in.getDimSize(d));
    else if (a.getKeepdims())
      out.push_back(1);
  }
  results.push_back(RankedTensorType::get(out, in.getElementType()));
  return success();
}

#define QNN_REDUCE_OP(OP)                                                                   \
  LogicalResult OP::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor a, \
                                     SmallVectorImpl<Type> &results) {                      \
    return inferReduce(loc, OP::getOperationName(), a, results);                            \
  }                                                                                         \
  LogicalResult OP::verify() { return success(); }                                          \
  QNN_COMPATIBLE_RESULTS(OP)

QNN_REDUCE_OP(ReduceMeanOp)
QNN_REDUCE_OP(ReduceSumOp)
QNN_REDUCE_OP(ReduceMaxOp)
QNN_REDUCE_OP(ReduceMinOp)
QNN_REDUCE_OP(ReduceProdOp)

#define QNN_ARG_REDUCE_OP(OP)                                                               \
  LogicalResult OP::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc, Adaptor a,\
                                     SmallVectorImpl<Type> &results) {                      \
    auto in = tensorOf(a.getInput());                                                       \
    auto axis = normalizeAxis(loc, a.getAxis(), in.getRank(), OP::getOperationName());     \
    if (failed(axis))                                                                       \
      return failure();                                                                     \
    SmallVector<int64_t> out;                                                               \
    for (int64_t d = 0; d < in.getRank(); ++d)                                              \
      if (d != *axis)                                                                       \
        out.push_back(in.getDimSize(d));                                                    \
      else if (a.getKeepdims())                                                             \
        out.push_back(1);                                                                   \
    results.push_back(RankedTensorType::get(out, IntegerType::get(ctx, 64)));               \
    return success();                                                                       \
  }                                                                                         \
  LogicalResult OP::verify() {                                                              \
    int64_t rank = getInput().getType().getRank(), axis = (int64_t)getAxis();             \
    if (axis < -rank || axis >= rank)                                                       \
      return success(); /* reported by type inference */                                    \
    if (getInput().getType().getDimSize(axis < 0 ? axis + rank : axis) == 0)                \
      return emitOpError("cannot reduce an empty axis");                                    \
    return success();                                                                       \
  }                                                                                         \
  QNN_COMPATIBLE_RESULTS(OP)

LogicalResult CumSumOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc, Adaptor a,
                                         SmallVectorImpl<Type> &results) {
  auto in = tensorOf(a.getInput());
  if (in.getRank() == 0)
    return emitErr(loc, "'qnn.cum_sum' needs rank >= 1");
  if (failed(normalizeAxis(loc, a.getAxis(), in.getRank(), getOperationName())))
    return failure();
  results.push_back(in);
  return success();
}
QNN_COMPATIBLE_RESULTS(CumSumOp)

QNN_ARG_REDUCE_OP(ArgMaxOp)
QNN_ARG_REDUCE_OP(ArgMinOp)

#define GET_OP_CLASSES
#include "qopt/Dialect/QNN/QNNOps.cpp.inc"
