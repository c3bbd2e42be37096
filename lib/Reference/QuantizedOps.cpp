//===- QuantizedOps.cpp - Running quantized qnn IR exactly -----*- C++ -*-===//

#include "qopt/Reference/QuantizedOps.h"
#include "OpParams.h"
#include "qopt/Dialect/QNN/QNNOps.h"
#include "qopt/Quant/Arithmetic.h"
#include "qopt/Reference/Executor.h"
#include "qopt/Reference/Kernels.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace qopt;
using namespace qopt::ref;
using llvm::Expected;
using llvm::SmallVector;

static std::string typeStr(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

Expected<DType> qopt::ref::storageDTypeOf(Type t) {
  auto qt = dyn_cast<mlir::quant::QuantizedType>(t);
  if (!qt)
    return llvm::createStringError("expected a quantized type, got " + typeStr(t));
  bool s = qt.isSigned();
  switch (qt.getStorageTypeIntegralWidth()) {
  case 8: return s ? DType::I8 : DType::U8;
  case 16: return s ? DType::I16 : DType::U16;
  case 32:
    if (s)
      return DType::I32;
    break;
  default: break;
  }
  return llvm::createStringError("unsupported quantized storage in " + typeStr(t));
}

Expected<QuantParams> qopt::ref::quantParamsOf(Type t) {
  QuantParams p;
  if (auto u = dyn_cast<mlir::quant::UniformQuantizedType>(t)) {
    p.scales = {u.getScale()};
    p.zeroPoints = {(int32_t)u.getZeroPoint()};
  } else if (auto a = dyn_cast<mlir::quant::UniformQuantizedPerAxisType>(t)) {
    p.scales.assign(a.getScales().begin(), a.getScales().end());
    for (int64_t z : a.getZeroPoints())
      p.zeroPoints.push_back((int32_t)z);
    p.axis = a.getQuantizedDimension();
  } else {
    return llvm::createStringError("expected a uniform quantized type, got " + typeStr(t));
  }
  auto qt = cast<mlir::quant::QuantizedType>(t);
  p.qmin = (int32_t)qt.getStorageTypeMin();
  p.qmax = (int32_t)qt.getStorageTypeMax();
  return p;
}

bool qopt::ref::isQuantizedEvaluation(Operation *op) {
  if (isa<mlir::quant::QuantizeCastOp, mlir::quant::DequantizeCastOp, mlir::quant::StorageCastOp>(op))
    return true;
  for (Type t : llvm::concat<Type>(op->getOperandTypes(), op->getResultTypes()))
    if (isa<mlir::quant::QuantizedType>(getElementTypeOrSelf(t)))
      return true;
  return false;
}

static Expected<QuantParams> paramsOfValue(Value v) {
  return quantParamsOf(getElementTypeOrSelf(v.getType()));
}

/// Narrows the clamp to a real interval [lo, hi] (NaN = unbounded), quantized
/// with the output's own rule so the clamp matches quantize(clip(x)).
static void narrowToReal(IntOutput &out, double lo, double hi) {
  float s = (float)out.params.scale();
  int32_t z = out.params.zeroPoint();
  if (!std::isnan(lo))
    out.lo = std::max(out.lo, qopt::quant::quantize((float)lo, s, z, out.lo, out.hi));
  if (!std::isnan(hi))
    out.hi = std::min(out.hi, qopt::quant::quantize((float)hi, s, z, out.lo, out.hi));
}

Expected<IntOutput> qopt::ref::integerOutputOf(Operation *op) {
  Type elt = getElementTypeOrSelf(op->getResult(0).getType());
  auto params = quantParamsOf(elt);
  if (!params)
    return params.takeError();
  if (params->perAxis())
    return llvm::createStringError("integer ops produce per-tensor results, got " +
                                   typeStr(elt));
  IntOutput out;
  out.params = *params;
  auto dtype = storageDTypeOf(elt);
  if (!dtype)
    return dtype.takeError();
  out.dtype = *dtype;
  out.lo = params->qmin;
  out.hi = params->qmax;
  const double nan = std::nan("");
  if (isa<qnn::ReluOp>(op))
    narrowToReal(out, 0.0, nan);
  if (auto clip = dyn_cast<qnn::ClipOp>(op))
    narrowToReal(out, clip.getMin() ? clip.getMin()->convertToDouble() : nan,
                 clip.getMax() ? clip.getMax()->convertToDouble() : nan);
  if (auto kind = op->getAttrOfType<qnn::ActivationAttr>("activation")) {
    auto ps = op->getAttrOfType<DenseF64ArrayAttr>("activation_params");
    switch (kind.getValue()) {
    case qnn::Activation::relu: narrowToReal(out, 0.0, nan); break;
    case qnn::Activation::clip: narrowToReal(out, ps[0], ps[1]); break;
    default:
      return llvm::createStringError(
          "fused " + qnn::stringifyActivation(kind.getValue()).str() +
          " is not a clamp and cannot end an integer op; it must stay a separate op");
    }
  }
  return out;
}

/// Storage moved by a same-scale op, re-expressed in the result's parameters
/// and clamp when they differ from the input's.
static Expected<Tensor> settle(Expected<Tensor> moved, const QuantParams &in,
                               const IntOutput &out) {
  if (!moved)
    return moved.takeError();
  bool same = in.scales == out.params.scales && in.zeroPoints == out.params.zeroPoints &&
              moved->dtype() == out.dtype && out.lo <= in.qmin && out.hi >= in.qmax;
  if (same)
    return moved;
  return requantizeTensor(*moved, in, out);
}

static std::optional<std::pair<UnaryKind, UnaryParams>> tableKind(Operation *op) {
  UnaryParams p;
  auto k = llvm::TypeSwitch<Operation *, std::optional<UnaryKind>>(op)
               .Case([](qnn::SigmoidOp) { return UnaryKind::Sigmoid; })
               .Case([](qnn::TanhOp) { return UnaryKind::Tanh; })
               .Case([](qnn::ExpOp) { return UnaryKind::Exp; })
               .Case([](qnn::LogOp) { return UnaryKind::Log; })
               .Case([](qnn::SqrtOp) { return UnaryKind::Sqrt; })
               .Case([](qnn::ErfOp) { return UnaryKind::Erf; })
               .Case([](qnn::ReciprocalOp) { return UnaryKind::Reciprocal; })
               .Case([](qnn::FloorOp) { return UnaryKind::Floor; })
               .Case([](qnn::CeilOp) { return UnaryKind::Ceil; })
               .Case([](qnn::RoundOp) { return UnaryKind::Round; })
               .Case([](qnn::HardSwishOp) { return UnaryKind::HardSwish; })
               .Case([](qnn::NegOp) { return UnaryKind::Neg; })
               .Case([](qnn::AbsOp) { return UnaryKind::Abs; })
               .Case([](qnn::SignOp) { return UnaryKind::Sign; })
               .Case([&](qnn::LeakyReluOp o) {
                 p.alpha = o.getAlpha().convertToDouble();
                 return UnaryKind::LeakyRelu;
               })
               .Case([&](qnn::HardSigmoidOp o) {
                 p.alpha = o.getAlpha().convertToDouble();
                 p.beta = o.getBeta().convertToDouble();
                 return UnaryKind::HardSigmoid;
               })
               .Case([](qnn::GeluOp o) {
                 return o.getApproximate() == qnn::GeluApproximation::tanh ? UnaryKind::GeluTanh
                                                                           : UnaryKind::Gelu;
               })
               .Default([](Operation *) { return std::nullopt; });
  if (!k)
    return std::nullopt;
  return std::make_pair(*k, p);
}

bool qopt::ref::isTableUnary(Operation *op) { return tableKind(op).has_value(); }

Expected<Tensor> qopt::ref::applyElementwise(Operation *op, const Tensor &values) {
  if (auto t = tableKind(op))
    return unary(t->first, values, t->second);
  if (isa<qnn::ReluOp>(op))
    return unary(UnaryKind::Relu, values);
  if (auto c = dyn_cast<qnn::ClipOp>(op)) {
    UnaryParams p;
    if (c.getMin())
      p.lo = c.getMin()->convertToDouble();
    if (c.getMax())
      p.hi = c.getMax()->convertToDouble();
    return unary(UnaryKind::Clip, values, p);
  }
  std::optional<BinaryKind> kind;
  if (isa<qnn::AddOp>(op))
    kind = BinaryKind::Add;
  else if (isa<qnn::SubOp>(op))
    kind = BinaryKind::Sub;
  else if (isa<qnn::MulOp>(op))
    kind = BinaryKind::Mul;
  else if (isa<qnn::DivOp>(op))
    kind = BinaryKind::Div;
  if (!kind || op->getNumOperands() != 2 || op->getAttr("activation"))
    return llvm::createStringError("not an elementwise op with a table form");
  for (int side = 0; side < 2; ++side) {
    auto c = op->getOperand(side).getDefiningOp<qnn::ConstantOp>();
    if (!c)
      continue;
    auto k = tensorFromAttr(c.getValue());
    if (!k)
      return k.takeError();
    if (k->numElements() != 1)
      break;
    Tensor scalar = k->reshaped({});
    ArrayRef<int64_t> shape = values.shape();
    return side == 0 ? binary(*kind, scalar, values, shape) : binary(*kind, values, scalar, shape);
  }
  return llvm::createStringError("not a binary op with a single-element constant");
}


static ArrayRef<int64_t> shapeOf(Value v) { return cast<RankedTensorType>(v.getType()).getShape(); }

Expected<Tensor> qopt::ref::evaluateQuantizedOp(Operation *op, ArrayRef<Tensor> in) {
  auto fail = [&](const Twine &msg) -> Expected<Tensor> {
    return llvm::createStringError(msg.str());
  };
  Type resultElt = getElementTypeOrSelf(op->getResult(0).getType());

  // The quant dialect casts.
  if (auto q = dyn_cast<mlir::quant::QuantizeCastOp>(op)) {
    auto p = quantParamsOf(resultElt);
    auto dt = storageDTypeOf(resultElt);
    if (!p || !dt) {
      llvm::consumeError(dt.takeError());
      return p ? fail("unsupported quantized result") : p.takeError();
    }
    return quantizeTensor(in[0], *p, *dt);
  }
  if (isa<mlir::quant::DequantizeCastOp>(op)) {
    auto p = paramsOfValue(op->getOperand(0));
    if (!p)
      return p.takeError();
    auto f = dequantizeTensor(in[0], *p);
    if (!f || resultElt.isF32())
      return f;
    auto want = dtypeFromType(resultElt);
    if (!want)
      return want.takeError();
    return f->castTo(*want);
  }
  if (isa<mlir::quant::StorageCastOp>(op)) {
    auto want = dtypeFromType(resultElt);
    if (!want)
      return want.takeError();
    if (dtypeSize(*want) != dtypeSize(in[0].dtype()))
      return fail("storage cast changes the element size");
    return in[0].bitcast(*want);
  }

  // Every other quantized op produces a per-tensor quantized result.
  auto outOr = integerOutputOf(op);
  if (!outOr)
    return outOr.takeError();
  const IntOutput &out = *outOr;
  SmallVector<QuantParams, 3> ps;
  for (Value v : op->getOperands()) {
    Type elt = getElementTypeOrSelf(v.getType());
    if (auto p = quantParamsOf(elt))
      ps.push_back(*p);
    else {
      llvm::consumeError(p.takeError());
      ps.push_back(QuantParams{});
    }
  }
  auto isQ = [&](unsigned i) { return isa<mlir::quant::QuantizedType>(getElementTypeOrSelf(op->getOperand(i).getType())); };
  auto requireQuantized = [&](unsigned n) -> llvm::Error {
    for (unsigned i = 0; i < n; ++i)
      if (!isQ(i))
        return llvm::createStringError("operand " + std::to_string(i) +
                                       " is float; integer ops take quantized operands");
    return llvm::Error::success();
  };
  ArrayRef<int64_t> outShape = shapeOf(op->getResult(0));

  if (auto table = tableKind(op)) {
    if (auto err = requireQuantized(1))
      return std::move(err);
    auto t = buildUnaryTable(table->first, table->second, ps[0], in[0].dtype(), out);
    if (!t)
      return t.takeError();
    return applyUnaryTable(in[0], *t, out);
  }

  return llvm::TypeSwitch<Operation *, Expected<Tensor>>(op)
      .Case([&](qnn::RequantizeOp) { return requantizeTensor(in[0], ps[0], out); })
      .Case([&](qnn::LutOp) -> Expected<Tensor> {
        DType dt = in[0].dtype();
        if (dt != DType::I8 && dt != DType::U8 && dt != DType::I16)
          return fail("lut input must be 8- or 16-bit");
        int64_t entries = (int64_t)ps[0].qmax - ps[0].qmin + 1;
        if (in[1].dtype() != DType::I8 || in[1].numElements() != entries)
          return fail("lut table must have " + Twine(entries) + " int8 entries");
        auto y = Tensor::allocateUninitialized(out.dtype, in[0].shape());
        if (!y)
          return y.takeError();
        const int8_t *table = in[1].data<int8_t>();
        int32_t qmin = ps[0].qmin, qmax = ps[0].qmax;
        for (int64_t i = 0; i < in[0].numElements(); ++i) {
          int32_t q = dt == DType::I8    ? in[0].data<int8_t>()[i]
                      : dt == DType::U8 ? in[0].data<uint8_t>()[i]
                                        : in[0].data<int16_t>()[i];
          // Storage outside the type's range cannot come from QOpt's own ops;
          // reading it would leave the table.
          if (q < qmin || q > qmax)
            return fail("lut input " + Twine(q) + " outside the type's range [" + Twine(qmin) +
                        ", " + Twine(qmax) + "]");
          // The table holds the output's storage bits.
          y->data<int8_t>()[i] = table[q - qmin];
        }
        return y;
      })
      .Case([&](qnn::ConvOp o) -> Expected<Tensor> {
        if (auto err = requireQuantized(2))
          return std::move(err);
        if (o.getResidual())
          return fail("integer conv with a fused residual is not supported; keep the add apart");
        return intConv(in[0], ps[0], in[1], ps[1], o.getBias() ? &in[2] : nullptr,
                       detail::convParams(o),
                       outShape, out);
      })
      .Case([&](qnn::ConvTransposeOp o) -> Expected<Tensor> {
        if (auto err = requireQuantized(2))
          return std::move(err);
        return intConvTranspose(in[0], ps[0], in[1], ps[1], o.getBias() ? &in[2] : nullptr,
                                detail::convParams(o),
                                outShape, out);
      })
      .Case([&](qnn::MatMulOp) -> Expected<Tensor> {
        if (auto err = requireQuantized(2))
          return std::move(err);
        return intMatMul(in[0], ps[0], in[1], ps[1], outShape, out);
      })
      .Case([&](qnn::GemmOp o) -> Expected<Tensor> {
        if (auto err = requireQuantized(2))
          return std::move(err);
        if (o.getAlpha().convertToDouble() != 1.0 || o.getBeta().convertToDouble() != 1.0)
          return fail("integer gemm needs alpha = beta = 1");
        return intGemm(in[0], ps[0], in[1], ps[1], o.getC() ? &in[2] : nullptr, o.getTransA(),
                       o.getTransB(), out);
      })
      .Case([&](qnn::AddOp) -> Expected<Tensor> {
        if (auto err = requireQuantized(2))
          return std::move(err);
        return intAdd(in[0], ps[0], in[1], ps[1], outShape, out);
      })
      .Case([&](qnn::MulOp) -> Expected<Tensor> {
        if (auto err = requireQuantized(2))
          return std::move(err);
        return intMul(in[0], ps[0], in[1], ps[1], outShape, out);
      })
      .Case([&](qnn::AvgPoolOp o) {
        return intAvgPool(in[0], ps[0], detail::poolParams(o), outShape, out);
      })
      .Case([&](qnn::GlobalAvgPoolOp) { return intGlobalAvgPool(in[0], ps[0], out); })
      .Case([&](qnn::MaxPoolOp o) {
        return settle(maxPool(in[0], detail::poolParams(o), outShape), ps[0], out);
      })
      .Case([&](qnn::GlobalMaxPoolOp) { return settle(globalMaxPool(in[0]), ps[0], out); })
      .Case([&](qnn::ReluOp) { return settle(in[0], ps[0], out); })
      .Case([&](qnn::ClipOp) { return settle(in[0], ps[0], out); })
      .Case([&](qnn::ReshapeOp) { return settle(in[0].reshaped(outShape), ps[0], out); })
      .Case([&](qnn::TransposeOp o) { return settle(transpose(in[0], o.getPerm()), ps[0], out); })
      .Case([&](qnn::SliceOp o) {
        return settle(slice(in[0], o.getStarts(), o.getSteps(), outShape), ps[0], out);
      })
      .Case([&](qnn::ExpandOp) { return settle(expand(in[0], outShape), ps[0], out); })
      .Case([&](qnn::GatherOp o) {
        int64_t axis = qnn::resolveAxis(o.getAxis(), in[0].rank());
        return settle(gather(in[0], in[1], axis), ps[0], out);
      })
      .Case([&](qnn::PadOp o) -> Expected<Tensor> {
        // The pad value is real; it is stored as the input would store it.
        int32_t v = qopt::quant::quantize((float)o.getValue().convertToDouble(), (float)ps[0].scale(),
                                    ps[0].zeroPoint(), ps[0].qmin, ps[0].qmax);
        return settle(pad(in[0], o.getPads(), detail::padMode(o.getMode()), v), ps[0], out);
      })
      .Case([&](qnn::ResizeOp o) -> Expected<Tensor> {
        if (o.getMode() != qnn::ResizeMode::nearest)
          return fail("integer resize supports mode nearest only");
        ResizeParams p;
        p.mode = ResizeMode::Nearest;
        p.transform = static_cast<CoordTransform>(o.getCoordinateTransform());
        p.nearest = static_cast<NearestRounding>(o.getNearestMode());
        p.scales.assign(o.getScales().begin(), o.getScales().end());
        return settle(resize(in[0], p, outShape), ps[0], out);
      })
      .Case([&](qnn::ConcatOp o) -> Expected<Tensor> {
        SmallVector<Tensor> parts;
        SmallVector<const Tensor *> ptrs;
        IntOutput full = out;
        full.lo = out.params.qmin;
        full.hi = out.params.qmax;
        for (auto [i, t] : llvm::enumerate(in)) {
          if (!isQ(i))
            return fail("concat operand " + Twine(i) + " is float");
          auto r = settle(t, ps[i], full);
          if (!r)
            return r.takeError();
          parts.push_back(std::move(*r));
        }
        for (Tensor &t : parts)
          ptrs.push_back(&t);
        int64_t axis = qnn::resolveAxis(o.getAxis(), in[0].rank());
        return concat(ptrs, axis);
      })
      .Default([&](Operation *) {
        return fail("no integer kernel for this op with quantized types");
      });
}
