//===- ImportElementwise.cpp - ONNX elementwise ops ------------*- C++ -*-===//

#include "ImporterImpl.h"

#include <cmath>

using namespace mlir;
using namespace qopt;
using namespace qopt::onnx_import;

template <typename OpTy> static LogicalResult importBinary(NodeImporter &n) {
  QOPT_TRY(lhs, n.input(0));
  QOPT_TRY(rhs, n.input(1));
  if (n.opset < 7) {
    // Before opset 7, broadcast=1 aligned the smaller operand at `axis`, not
    // at the trailing dimensions; without it shapes had to match.
    QOPT_TRY(bcast, n.attrInt("broadcast", 0));
    if (bcast)
      return n.unsupported("legacy broadcast=1 (axis-aligned broadcasting of opset < 7)");
  }
  QOPT_TRY(v, n.build<OpTy>({lhs, rhs}));
  n.setOutput(0, v);
  return success();
}

/// Max, Min and Sum take one or more inputs, all broadcast together.
template <typename OpTy> static LogicalResult importVariadic(NodeImporter &n) {
  QOPT_TRY(acc, n.input(0));
  for (int i = 1; i < n.numInputs(); ++i) {
    QOPT_TRY(next, n.input(i));
    QOPT_TRY(v, n.build<OpTy>({acc, next}));
    acc = v;
  }
  n.setOutput(0, acc);
  return success();
}

static LogicalResult importMod(NodeImporter &n) {
  QOPT_TRY(lhs, n.input(0));
  QOPT_TRY(rhs, n.input(1));
  QOPT_TRY(fmod, n.attrInt("fmod", 0));
  bool isFloat = isa<FloatType>(cast<RankedTensorType>(lhs.getType()).getElementType());
  if (isFloat && !fmod)
    return n.error("fmod=0 is not defined for floating-point inputs");
  QOPT_TRY(v, n.build<qnn::ModOp>({lhs, rhs}, {n.named("fmod", n.b.getBoolAttr(fmod != 0))}));
  n.setOutput(0, v);
  return success();
}

template <typename OpTy> static LogicalResult importUnary(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(v, n.build<OpTy>({x}));
  n.setOutput(0, v);
  return success();
}

static LogicalResult importLeakyRelu(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(alpha, n.attrFloat("alpha", 0.01f));
  QOPT_TRY(v, n.build<qnn::LeakyReluOp>({x}, {n.named("alpha", n.b.getF32FloatAttr(alpha))}));
  n.setOutput(0, v);
  return success();
}

static LogicalResult importHardSigmoid(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(alpha, n.attrFloat("alpha", 0.2f));
  QOPT_TRY(beta, n.attrFloat("beta", 0.5f));
  QOPT_TRY(v, n.build<qnn::HardSigmoidOp>({x}, {n.named("alpha", n.b.getF32FloatAttr(alpha)),
                                                n.named("beta", n.b.getF32FloatAttr(beta))}));
  n.setOutput(0, v);
  return success();
}

static LogicalResult importGelu(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(approx, n.attrString("approximate", std::string("none")));
  qnn::GeluApproximation a;
  if (approx == "none")
    a = qnn::GeluApproximation::none;
  else if (approx == "tanh")
    a = qnn::GeluApproximation::tanh;
  else
    return n.unsupported("approximate='" + approx + "'");
  QOPT_TRY(v, n.build<qnn::GeluOp>(
                  {x}, {n.named("approximate", qnn::GeluApproximationAttr::get(n.ctx(), a))}));
  n.setOutput(0, v);
  return success();
}

static LogicalResult importClip(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  std::optional<double> lo, hi;
  if (n.opset < 11) {
    if (n.attr("min")) {
      QOPT_TRY(m, n.attrFloat("min", std::nullopt));
      lo = m;
    }
    if (n.attr("max")) {
      QOPT_TRY(m, n.attrFloat("max", std::nullopt));
      hi = m;
    }
  } else {
    for (int i : {1, 2}) {
      if (!n.hasInput(i))
        continue;
      QOPT_TRY(t, n.constantInput(i, i == 1 ? "min" : "max"));
      if (t->numElements() != 1)
        return n.error("Clip bounds must be scalars, got " + t->describe());
      (i == 1 ? lo : hi) = t->getAsDouble(0);
    }
  }
  SmallVector<NamedAttribute> attrs;
  if (lo)
    attrs.push_back(n.named("min", n.b.getF64FloatAttr(*lo)));
  if (hi)
    attrs.push_back(n.named("max", n.b.getF64FloatAttr(*hi)));
  // ONNX Clip with min > max yields max everywhere (per the spec's min(max(x, lo), hi)).
  if (lo && hi && *lo > *hi)
    attrs[0] = n.named("min", n.b.getF64FloatAttr(*hi));
  QOPT_TRY(v, n.build<qnn::ClipOp>({x}, attrs));
  n.setOutput(0, v);
  return success();
}

/// Output 0 is `x` converted to `elt` (or `x` itself when it already is).
static LogicalResult emitCast(NodeImporter &n, Value x, Type elt) {
  auto in = cast<RankedTensorType>(x.getType());
  if (in.getElementType() == elt) {
    n.setOutput(0, x);
    return success();
  }
  QOPT_TRY(v, n.build<qnn::CastOp>({x}, {}, RankedTensorType::get(in.getShape(), elt)));
  n.setOutput(0, v);
  return success();
}

static LogicalResult importCast(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(to, n.attrInt("to", std::nullopt));
  Type elt = elementTypeFromONNX(n.ctx(), (int32_t)to);
  if (!elt)
    return n.unsupported("target dtype " + onnxTypeName((int32_t)to).str());
  return emitCast(n, x, elt);
}

/// CastLike: Cast to the element type of the second input.
static LogicalResult importCastLike(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(like, n.input(1));
  return emitCast(n, x, cast<RankedTensorType>(like.getType()).getElementType());
}

static LogicalResult importWhere(NodeImporter &n) {
  QOPT_TRY(c, n.input(0));
  QOPT_TRY(x, n.input(1));
  QOPT_TRY(y, n.input(2));
  QOPT_TRY(v, n.build<qnn::WhereOp>({c, x, y}));
  n.setOutput(0, v);
  return success();
}

static LogicalResult importIdentity(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  n.setOutput(0, x);
  return success();
}

static LogicalResult importDropout(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  if (n.hasInput(2)) {
    QOPT_TRY(training, n.constantInput(2, "training_mode"));
    if (training->numElements() != 1 || training->getAsInt(0) != 0)
      return n.unsupported("training_mode=true");
  }
  n.setOutput(0, x);
  if (n.hasOutput(1)) {
    // At inference nothing is dropped: the mask is all true.
    ref::Tensor one(ref::DType::Bool, {});
    one.data<uint8_t>()[0] = 1;
    auto xt = cast<RankedTensorType>(x.getType());
    QOPT_TRY(mask, n.build<qnn::ExpandOp>(
                       {n.constant(one, "mask")}, {},
                       RankedTensorType::get(xt.getShape(), n.b.getI1Type())));
    n.setOutput(1, mask);
  }
  return success();
}

void qopt::onnx_import::registerElementwiseHandlers(llvm::StringMap<Handler> &t) {
  t["Add"] = importBinary<qnn::AddOp>;
  t["Sub"] = importBinary<qnn::SubOp>;
  t["Mul"] = importBinary<qnn::MulOp>;
  t["Div"] = importBinary<qnn::DivOp>;
  t["Pow"] = importBinary<qnn::PowOp>;
  t["Equal"] = importBinary<qnn::EqualOp>;
  t["Less"] = importBinary<qnn::LessOp>;
  t["LessOrEqual"] = importBinary<qnn::LessOrEqualOp>;
  t["Greater"] = importBinary<qnn::GreaterOp>;
  t["GreaterOrEqual"] = importBinary<qnn::GreaterOrEqualOp>;
  t["And"] = importBinary<qnn::AndOp>;
  t["Or"] = importBinary<qnn::OrOp>;
  t["Xor"] = importBinary<qnn::XorOp>;
  t["Mod"] = importMod;
  t["Max"] = importVariadic<qnn::MaxOp>;
  t["Min"] = importVariadic<qnn::MinOp>;
  t["Sum"] = importVariadic<qnn::AddOp>;
  t["Relu"] = importUnary<qnn::ReluOp>;
  t["Sigmoid"] = importUnary<qnn::SigmoidOp>;
  t["Tanh"] = importUnary<qnn::TanhOp>;
  t["Exp"] = importUnary<qnn::ExpOp>;
  t["Log"] = importUnary<qnn::LogOp>;
  t["Sqrt"] = importUnary<qnn::SqrtOp>;
  t["Erf"] = importUnary<qnn::ErfOp>;
  t["Sin"] = importUnary<qnn::SinOp>;
  t["Cos"] = importUnary<qnn::CosOp>;
  t["Tan"] = importUnary<qnn::TanOp>;
  t["Asin"] = importUnary<qnn::AsinOp>;
  t["Acos"] = importUnary<qnn::AcosOp>;
  t["Atan"] = importUnary<qnn::AtanOp>;
  t["Sinh"] = importUnary<qnn::SinhOp>;
  t["Cosh"] = importUnary<qnn::CoshOp>;
  t["Asinh"] = importUnary<qnn::AsinhOp>;
  t["Acosh"] = importUnary<qnn::AcoshOp>;
  t["Atanh"] = importUnary<qnn::AtanhOp>;
  t["Reciprocal"] = importUnary<qnn::ReciprocalOp>;
  t["Floor"] = importUnary<qnn::FloorOp>;
  t["Ceil"] = importUnary<qnn::CeilOp>;
  t["Round"] = importUnary<qnn::RoundOp>;
  t["HardSwish"] = importUnary<qnn::HardSwishOp>;
  t["Neg"] = importUnary<qnn::NegOp>;
  t["Abs"] = importUnary<qnn::AbsOp>;
  t["Sign"] = importUnary<qnn::SignOp>;
  t["Not"] = importUnary<qnn::NotOp>;
  t["LeakyRelu"] = importLeakyRelu;
  t["HardSigmoid"] = importHardSigmoid;
  t["Gelu"] = importGelu;
  t["Clip"] = importClip;
  t["Cast"] = importCast;
  t["CastLike"] = importCastLike;
  t["Where"] = importWhere;
  t["Identity"] = importIdentity;
  t["Dropout"] = importDropout;
}
