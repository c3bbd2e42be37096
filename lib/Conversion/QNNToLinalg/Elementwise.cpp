//===- Elementwise.cpp - casts, tables and elementwise ops to linalg -*- C++ -*-===//
//
// Elementwise ops read their operands through (broadcasting) indexing maps,
// so upstream elementwise fusion can merge chains of them. Integer add and
// mul follow docs/quantization.md: add lifts each side by 2^20 and rescales
// to twice the larger input scale, mul requantizes the centered product.
//
//===----------------------------------------------------------------------===//

#include "FloatOps.h"
#include "Lowering.h"
#include "qopt/Dialect/QNN/QNNOps.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace qopt;
using namespace qopt::lowering;

namespace {

constexpr int kAddShift = 20; // the reference's intAdd lift

RankedTensorType tensorOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// An elementwise generic over the op's result reading `inputs` broadcast.
Value elementwise(OpBuilder &b, Operation *op, ValueRange inputs,
                  function_ref<Value(Body &, ValueRange idx, ValueRange args)> fn) {
  auto yt = cast<RankedTensorType>(op->getResult(0).getType());
  SmallVector<AffineMap> maps;
  for (Value v : inputs)
    maps.push_back(broadcastMap(b.getContext(), logicalShape(v), yt.getShape()));
  return buildGeneric(b, op->getLoc(), storageTensorType(yt), inputs, maps,
                      [&](OpBuilder &nb, Location loc, ValueRange idx, ValueRange args) {
                        Body body{nb, loc};
                        return fn(body, idx, args);
                      });
}

ScalarForm unary(ScalarFn fn) { return ScalarForm{std::move(fn), {0}}; }
ScalarForm binary(ScalarFn fn) { return ScalarForm{std::move(fn), {0, 1}}; }

FailureOr<ScalarForm> quantizeForm(Operation *op) {
  auto yi = elementInfo(op, op->getResult(0));
  if (failed(yi))
    return failure();
  const ref::QuantParams p = yi->params;
  if (p.perAxis())
    return op->emitError("unsupported on the GPU path: per-axis quantize of activations "
                         "(quantize weights at compile time)"),
           failure();
  Type storage = yi->storage;
  return unary([p, storage](Body &body, ValueRange, ValueRange a) {
    return body.quantize(a[0], (float)p.scale(), p.zeroPoint(), p.qmin, p.qmax, storage);
  });
}

FailureOr<ScalarForm> dequantizeForm(OpBuilder &b, Operation *op) {
  auto xi = elementInfo(op, op->getOperand(0));
  if (failed(xi))
    return failure();
  const ref::QuantParams p = xi->params;
  bool isSigned = xi->isSigned;
  Type outElt = getElementTypeOrSelf(op->getResult(0).getType());
  Value scales, zps;
  if (p.perAxis()) {
    SmallVector<float> s(p.scales.begin(), p.scales.end());
    auto st = RankedTensorType::get({(int64_t)s.size()}, b.getF32Type());
    scales = arith::ConstantOp::create(b, op->getLoc(), DenseFPElementsAttr::get(st, ArrayRef(s)));
    zps = i32Tensor(b, op->getLoc(), p.zeroPoints);
  }
  ScalarForm form = unary([=](Body &body, ValueRange idx, ValueRange a) {
    // ONNX DequantizeLinear: the difference is exact, the product is f32.
    Value s, z;
    if (p.perAxis()) {
      s = body.extract(scales, {idx[p.axis]});
      z = body.extract(zps, {idx[p.axis]});
    } else {
      s = body.f32((float)p.scale());
      z = body.i32(p.zeroPoint());
    }
    Value d = body.sub(body.toI32(a[0], isSigned), z);
    Value f = arith::SIToFPOp::create(body.b, body.loc, body.b.getF32Type(), d);
    return body.fromF32(body.mul(f, s), outElt);
  });
  // Its tables are tensors built here, for a generic of its own.
  form.fusable = !p.perAxis();
  return form;
}

/// The position of an input code in a table whose first entry is `qmin`.
Value tableIndex(Body &body, Value code, bool isSigned, int32_t qmin) {
  return arith::IndexCastOp::create(body.b, body.loc, body.b.getIndexType(),
                                    body.sub(body.toI32(code, isSigned), body.i32(qmin)));
}

FailureOr<ScalarForm> lutForm(qnn::LutOp op, Operands in) {
  auto xi = elementInfo(op, op.getInput());
  if (failed(xi))
    return failure();
  int64_t entries = (int64_t)xi->params.qmax - xi->params.qmin + 1;
  if (cast<ShapedType>(in[1].getType()).getNumElements() != entries)
    return op.emitError() << "lut table must have " << entries << " entries", failure();
  Value table = in[1];
  int32_t qmin = xi->params.qmin, qmax = xi->params.qmax;
  bool isSigned = xi->isSigned;
  auto yi = elementInfo(op, op.getResult());
  if (failed(yi))
    return failure();
  Type outStorage = yi->storage;
  return unary([=](Body &body, ValueRange, ValueRange a) {
    // The reference rejects codes outside the type's range; here they are
    // clamped so no read leaves the table.
    Value q = body.toI32(a[0], isSigned);
    q = arith::MaxSIOp::create(body.b, body.loc, q, body.i32(qmin));
    q = arith::MinSIOp::create(body.b, body.loc, q, body.i32(qmax));
    Value v = body.extract(table, {tableIndex(body, q, /*isSigned=*/true, qmin)});
    if (v.getType() != outStorage)
      v = arith::BitcastOp::create(body.b, body.loc, outStorage, v);
    return v;
  });
}

/// A quantized unary op the reference evaluates as a table of its 8-bit
/// input codes (sigmoid, tanh, gelu, ...): the table is the reference's own
/// result on all 256 codes, so the kernel is bit-exact by construction.
FailureOr<ScalarForm> tableUnaryForm(OpBuilder &b, Operation *op) {
  auto xi = elementInfo(op, op->getOperand(0)), yi = elementInfo(op, op->getResult(0));
  if (failed(xi) || failed(yi))
    return failure();
  if (!xi->storage.isInteger(8))
    return op->emitError() << "unsupported on the GPU path: quantized '" << op->getName()
                           << "' of a " << xi->storage << " input (8-bit inputs only)",
           failure();
  auto dtype = ref::storageDTypeOf(getElementTypeOrSelf(op->getOperand(0).getType()));
  if (!dtype)
    return op->emitError() << llvm::toString(dtype.takeError()), failure();
  int32_t qmin = xi->isSigned ? -128 : 0;
  ref::Tensor codes(*dtype, {256});
  for (int64_t i = 0; i < 256; ++i)
    codes.setFromDouble(i, (double)(qmin + i));
  auto y = ref::evaluateQuantizedOp(op, {codes});
  if (!y)
    return op->emitError() << llvm::toString(y.takeError()), failure();
  unsigned width = yi->storage.getIntOrFloatBitWidth();
  SmallVector<APInt> entries;
  for (int64_t i = 0; i < 256; ++i)
    entries.push_back(APInt(width, (int64_t)y->getAsDouble(i), /*isSigned=*/true));
  auto tt = RankedTensorType::get({256}, yi->storage);
  Value table = arith::ConstantOp::create(b, op->getLoc(), DenseIntElementsAttr::get(tt, entries));
  bool isSigned = xi->isSigned;
  ScalarForm form = unary([=](Body &body, ValueRange, ValueRange a) {
    return body.extract(table, {tableIndex(body, a[0], isSigned, qmin)});
  });
  // The table is a tensor built here, for a generic of its own.
  form.fusable = false;
  return form;
}

FailureOr<ScalarForm> intAddForm(Operation *op) {
  FailureOr<IntBinaryFn> add = intAddOf(op);
  if (failed(add))
    return failure();
  IntBinaryFn fn = *add;
  return binary([fn](Body &body, ValueRange, ValueRange a) { return fn(body, a[0], a[1]); });
}

FailureOr<ScalarForm> intMulForm(Operation *op) {
  auto ai = elementInfo(op, op->getOperand(0)), bi = elementInfo(op, op->getOperand(1));
  if (failed(ai) || failed(bi))
    return failure();
  auto r = requantFor(op, ai->params.scale() * bi->params.scale());
  if (failed(r))
    return failure();
  int32_t za = ai->params.zeroPoint(), zb = bi->params.zeroPoint();
  bool sA = ai->isSigned, sB = bi->isSigned;
  Requant req = *r;
  return binary([=](Body &body, ValueRange, ValueRange a) {
    Value x = body.sub(body.toI32(a[0], sA), body.i32(za));
    Value y = body.sub(body.toI32(a[1], sB), body.i32(zb));
    return body.requantize(body.mul(x, y), req);
  });
}

/// Float Pow as the reference computes it (qopt/Quant/FloatMath.h): squares
/// and cubes by multiplication, other exponents by math.powf (libdevice on
/// the GPU, outside the bit-exact contract). A constant exponent's test is
/// folded away by canonicalization.
Value floatPow(Body &body, Value x, Value y) {
  ArithOps ops{body};
  return fmath::pow(ops, x, y, [&](Value base, Value e) {
    return math::PowFOp::create(body.b, body.loc, base, e).getResult();
  });
}

/// Float binary ops and the float fused activation of add.
FailureOr<ScalarForm> floatBinaryForm(Operation *op) {
  Type outElt = getElementTypeOrSelf(op->getResult(0).getType());
  return binary([op, outElt](Body &body, ValueRange, ValueRange a) {
    Value x = body.toF32(a[0]), y = body.toF32(a[1]);
    Value r = llvm::TypeSwitch<Operation *, Value>(op)
                  .Case([&](qnn::AddOp) { return body.add(x, y); })
                  .Case([&](qnn::SubOp) { return body.sub(x, y); })
                  .Case([&](qnn::MulOp) { return body.mul(x, y); })
                  .Case([&](qnn::DivOp) {
                    return arith::DivFOp::create(body.b, body.loc, x, y).getResult();
                  })
                  .Case([&](qnn::MaxOp) {
                    return arith::MaximumFOp::create(body.b, body.loc, x, y).getResult();
                  })
                  .Case([&](qnn::MinOp) {
                    return arith::MinimumFOp::create(body.b, body.loc, x, y).getResult();
                  })
                  .Case([&](qnn::PowOp) { return floatPow(body, x, y); });
    return body.fromF32(floatActivation(body, op, r), outElt);
  });
}

/// Float unary ops.
ScalarForm floatUnaryForm(Operation *op) {
  Type outElt = getElementTypeOrSelf(op->getResult(0).getType());
  return unary([op, outElt](Body &body, ValueRange, ValueRange a) -> Value {
    OpBuilder &nb = body.b;
    Location loc = body.loc;
    Value x = body.toF32(a[0]);
    Value zero = body.f32(0.0), one = body.f32(1.0);
    ArithOps ops{body};
    Value r =
        llvm::TypeSwitch<Operation *, Value>(op)
            .Case([&](qnn::ReluOp) {
              Value lt = arith::CmpFOp::create(nb, loc, arith::CmpFPredicate::OLT, x, zero);
              return body.select(lt, zero, x);
            })
            .Case([&](qnn::ClipOp c) {
              Value v = x;
              if (c.getMin()) {
                Value lo = body.f32(c.getMin()->convertToDouble());
                v = body.select(
                    arith::CmpFOp::create(nb, loc, arith::CmpFPredicate::OLT, v, lo), lo, v);
              }
              if (c.getMax()) {
                Value hi = body.f32(c.getMax()->convertToDouble());
                v = body.select(
                    arith::CmpFOp::create(nb, loc, arith::CmpFPredicate::OGT, v, hi), hi, v);
              }
              return v;
            })
            .Case([&](qnn::SigmoidOp) { return fmath::sigmoid(ops, x); })
            .Case([&](qnn::TanhOp) { return fmath::tanh(ops, x); })
            .Case([&](qnn::ExpOp) { return fmath::exp(ops, x); })
            .Case([&](qnn::SqrtOp) { return ops.sqrt(x); })
            .Case([&](qnn::NegOp) { return arith::NegFOp::create(nb, loc, x).getResult(); })
            .Case([&](qnn::AbsOp) { return math::AbsFOp::create(nb, loc, x).getResult(); })
            .Case([&](qnn::HardSwishOp) {
              Value g = arith::DivFOp::create(nb, loc, x, body.f32(6.0));
              g = body.add(g, body.f32(0.5));
              Value lt = arith::CmpFOp::create(nb, loc, arith::CmpFPredicate::OLT, g, zero);
              Value gt = arith::CmpFOp::create(nb, loc, arith::CmpFPredicate::OGT, g, one);
              return body.mul(x, body.select(lt, zero, body.select(gt, one, g)));
            })
            .Case([&](qnn::LogOp) { return fmath::log(ops, x); })
            .Case([&](qnn::ErfOp) { return fmath::erf(ops, x); })
            .Case([&](qnn::ReciprocalOp) {
              return arith::DivFOp::create(nb, loc, one, x).getResult();
            })
            .Case([&](qnn::FloorOp) { return math::FloorOp::create(nb, loc, x).getResult(); })
            .Case([&](qnn::CeilOp) { return math::CeilOp::create(nb, loc, x).getResult(); })
            // ONNX Round: halves to even.
            .Case([&](qnn::RoundOp) { return math::RoundEvenOp::create(nb, loc, x).getResult(); })
            .Case([&](qnn::SignOp) {
              // -1, 0 or 1; NaN stays NaN.
              auto is = [&](arith::CmpFPredicate p) {
                return arith::CmpFOp::create(nb, loc, p, x, zero).getResult();
              };
              return body.select(is(arith::CmpFPredicate::OGT), one,
                                 body.select(is(arith::CmpFPredicate::OLT), body.f32(-1.0),
                                             body.select(is(arith::CmpFPredicate::OEQ), zero, x)));
            })
            .Case([&](qnn::SinOp) { return math::SinOp::create(nb, loc, x).getResult(); })
            .Case([&](qnn::CosOp) { return math::CosOp::create(nb, loc, x).getResult(); })
            .Case([&](qnn::TanOp) { return math::TanOp::create(nb, loc, x).getResult(); })
            .Case([&](qnn::AsinOp) { return math::AsinOp::create(nb, loc, x).getResult(); })
            .Case([&](qnn::AcosOp) { return math::AcosOp::create(nb, loc, x).getResult(); })
            .Case([&](qnn::AtanOp) { return math::AtanOp::create(nb, loc, x).getResult(); })
            .Case([&](qnn::SinhOp) { return math::SinhOp::create(nb, loc, x).getResult(); })
            .Case([&](qnn::CoshOp) { return math::CoshOp::create(nb, loc, x).getResult(); })
            .Case([&](qnn::AsinhOp) { return math::AsinhOp::create(nb, loc, x).getResult(); })
            .Case([&](qnn::AcoshOp) { return math::AcoshOp::create(nb, loc, x).getResult(); })
            .Case([&](qnn::AtanhOp) { return math::AtanhOp::create(nb, loc, x).getResult(); })
            .Case([&](qnn::LeakyReluOp o) {
              Value lt = arith::CmpFOp::create(nb, loc, arith::CmpFPredicate::OLT, x, zero);
              return body.select(lt, body.mul(body.f32(o.getAlpha().convertToDouble()), x), x);
            })
            .Case([&](qnn::HardSigmoidOp o) {
              Value g = body.add(body.mul(body.f32(o.getAlpha().convertToDouble()), x),
                                 body.f32(o.getBeta().convertToDouble()));
              Value lt = arith::CmpFOp::create(nb, loc, arith::CmpFPredicate::OLT, g, zero);
              Value gt = arith::CmpFOp::create(nb, loc, arith::CmpFPredicate::OGT, g, one);
              return body.select(lt, zero, body.select(gt, one, g));
            })
            .Case([&](qnn::GeluOp o) {
              return o.getApproximate() == qnn::GeluApproximation::tanh
                         ? fmath::geluTanh(ops, x)
                         : fmath::gelu(ops, x);
            })
            .Default([](Operation *) { return Value(); });
    return r ? body.fromF32(r, outElt) : Value();
  });
}

/// Comparisons, logic, Mod and the arithmetic of plain (not quantized)
/// integers: ONNX's semantics on signless storage.
FailureOr<ScalarForm> plainBinaryForm(Operation *op) {
  Type inElt = getElementTypeOrSelf(op->getOperand(0).getType());
  bool isFloat = isa<FloatType>(inElt);
  if (isFloat && isa<qnn::AddOp, qnn::SubOp, qnn::MulOp, qnn::DivOp, qnn::MaxOp, qnn::MinOp,
                     qnn::PowOp>(op))
    return floatBinaryForm(op);
  if (!isFloat && isa<qnn::PowOp>(op))
    return op->emitError("unsupported on the GPU path: integer Pow"), failure();
  return binary([op, isFloat, inElt](Body &body, ValueRange, ValueRange a) -> Value {
    OpBuilder &nb = body.b;
    Location loc = body.loc;
    Value x = a[0], y = a[1];
    auto cmp = [&](arith::CmpFPredicate f, arith::CmpIPredicate i) -> Value {
      return isFloat ? arith::CmpFOp::create(nb, loc, f, x, y).getResult()
                     : arith::CmpIOp::create(nb, loc, i, x, y).getResult();
    };
    using F = arith::CmpFPredicate;
    using I = arith::CmpIPredicate;
    return llvm::TypeSwitch<Operation *, Value>(op)
        .Case([&](qnn::EqualOp) { return cmp(F::OEQ, I::eq); })
        .Case([&](qnn::LessOp) { return cmp(F::OLT, I::slt); })
        .Case([&](qnn::LessOrEqualOp) { return cmp(F::OLE, I::sle); })
        .Case([&](qnn::GreaterOp) { return cmp(F::OGT, I::sgt); })
        .Case([&](qnn::GreaterOrEqualOp) { return cmp(F::OGE, I::sge); })
        .Case([&](qnn::AndOp) { return arith::AndIOp::create(nb, loc, x, y).getResult(); })
        .Case([&](qnn::OrOp) { return arith::OrIOp::create(nb, loc, x, y).getResult(); })
        .Case([&](qnn::XorOp) { return arith::XOrIOp::create(nb, loc, x, y).getResult(); })
        .Case([&](qnn::ModOp m) -> Value {
          if (isFloat) // fmod = 1 (the verifier requires it for floats): C's fmod.
            return arith::RemFOp::create(nb, loc, x, y);
          Value r = arith::RemSIOp::create(nb, loc, x, y);
          if (m.getFmod())
            return r;
          // Python's %: a nonzero remainder takes the divisor's sign.
          Value zero = body.intConst(inElt, 0);
          Value fix = body.andi(body.cmpi(I::ne, r, zero),
                                body.cmpi(I::ne, body.cmpi(I::slt, r, zero),
                                          body.cmpi(I::slt, y, zero)));
          return body.select(fix, body.add(r, y), r);
        })
        .Case([&](qnn::AddOp) { return body.add(x, y); })
        .Case([&](qnn::SubOp) { return body.sub(x, y); })
        .Case([&](qnn::MulOp) { return body.mul(x, y); })
        // ONNX integer Div truncates toward zero, as C does.
        .Case([&](qnn::DivOp) { return arith::DivSIOp::create(nb, loc, x, y).getResult(); })
        .Case([&](qnn::MaxOp) { return arith::MaxSIOp::create(nb, loc, x, y).getResult(); })
        .Case([&](qnn::MinOp) { return arith::MinSIOp::create(nb, loc, x, y).getResult(); })
        .Default([](Operation *) { return Value(); });
  });
}

bool isPlainBinary(Operation *op) {
  return isa<qnn::AddOp, qnn::SubOp, qnn::MulOp, qnn::DivOp, qnn::MaxOp, qnn::MinOp, qnn::PowOp,
             qnn::ModOp, qnn::EqualOp, qnn::LessOp, qnn::LessOrEqualOp, qnn::GreaterOp,
             qnn::GreaterOrEqualOp, qnn::AndOp, qnn::OrOp, qnn::XorOp>(op);
}

/// ONNX Cast between floats, integers and bool. Unsigned integers live in
/// signless storage of their width; the qnn types say how to widen them.
FailureOr<ScalarForm> castForm(qnn::CastOp op) {
  Type fromQ = getElementTypeOrSelf(op.getInput().getType());
  Type toQ = getElementTypeOrSelf(op.getResult().getType());
  auto signless = [](Type t) -> Type {
    if (auto it = dyn_cast<IntegerType>(t))
      return IntegerType::get(t.getContext(), it.getWidth());
    return t;
  };
  // Values that zero-extend: bool and unsigned integers.
  bool fromUnsigned = fromQ.isInteger(1) || fromQ.isUnsignedInteger();
  bool toUnsigned = toQ.isUnsignedInteger();
  Type from = signless(fromQ), to = signless(toQ);
  return unary([from, to, fromUnsigned, toUnsigned](Body &body, ValueRange,
                                                    ValueRange a) -> Value {
    OpBuilder &nb = body.b;
    Location loc = body.loc;
    Value v = a[0];
    if (from == to)
      return v;
    bool fromFloat = isa<FloatType>(from), toFloat = isa<FloatType>(to);
    if (fromFloat && toFloat)
      return from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth()
                 ? arith::ExtFOp::create(nb, loc, to, v).getResult()
                 : arith::TruncFOp::create(nb, loc, to, v).getResult();
    if (fromFloat && to.isInteger(1))
      return arith::CmpFOp::create(nb, loc, arith::CmpFPredicate::UNE, v,
                                   body.floatConst(from, 0.0));
    if (fromFloat) {
      // The reference saturates (NaN -> 0) where fptosi/fptoui give poison;
      // ONNX leaves out-of-range casts undefined. The bounds compare exactly
      // in f32 up to 16 bits and in f64 above, as the reference's do.
      unsigned tw = to.getIntOrFloatBitWidth();
      double lo = toUnsigned ? 0.0 : -std::ldexp(1.0, tw - 1);
      double hi = toUnsigned ? std::ldexp(1.0, tw) - 1 : std::ldexp(1.0, tw - 1) - 1;
      Type cmpType = tw <= 16 && from.getIntOrFloatBitWidth() <= 32 ? nb.getF32Type()
                                                                    : nb.getF64Type();
      Value c = from == cmpType ? v : arith::ExtFOp::create(nb, loc, cmpType, v).getResult();
      using P = arith::CmpFPredicate;
      Value isNan = arith::CmpFOp::create(nb, loc, P::UNO, c, c);
      Value low = arith::CmpFOp::create(nb, loc, P::OLE, c, body.floatConst(cmpType, lo));
      Value high = arith::CmpFOp::create(nb, loc, P::OGE, c, body.floatConst(cmpType, hi));
      Value r = toUnsigned ? arith::FPToUIOp::create(nb, loc, to, v).getResult()
                           : arith::FPToSIOp::create(nb, loc, to, v).getResult();
      int64_t hiBits = toUnsigned ? (tw == 64 ? -1 : (int64_t)((uint64_t(1) << tw) - 1))
                                  : (int64_t)((uint64_t(1) << (tw - 1)) - 1);
      r = body.select(high, body.intConst(to, hiBits), r);
      r = body.select(low, body.intConst(to, toUnsigned ? 0 : -hiBits - 1), r);
      return body.select(isNan, body.intConst(to, 0), r);
    }
    if (toFloat)
      return fromUnsigned ? arith::UIToFPOp::create(nb, loc, to, v).getResult()
                          : arith::SIToFPOp::create(nb, loc, to, v).getResult();
    if (to.isInteger(1))
      return arith::CmpIOp::create(nb, loc, arith::CmpIPredicate::ne, v,
                                   body.intConst(from, 0));
    unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
    if (fw > tw)
      return arith::TruncIOp::create(nb, loc, to, v);
    return fromUnsigned ? arith::ExtUIOp::create(nb, loc, to, v).getResult()
                        : arith::ExtSIOp::create(nb, loc, to, v).getResult();
  });
}

bool isFloatUnary(Operation *op) {
  return isa<qnn::ReluOp, qnn::ClipOp, qnn::SigmoidOp, qnn::TanhOp, qnn::ExpOp, qnn::SqrtOp,
             qnn::NegOp, qnn::AbsOp, qnn::HardSwishOp, qnn::LogOp, qnn::ErfOp,
             qnn::ReciprocalOp, qnn::FloorOp, qnn::CeilOp, qnn::RoundOp, qnn::SignOp, qnn::SinOp,
             qnn::CosOp, qnn::TanOp, qnn::AsinOp, qnn::AcosOp, qnn::AtanOp, qnn::SinhOp,
             qnn::CoshOp, qnn::AsinhOp, qnn::AcoshOp, qnn::AtanhOp, qnn::LeakyReluOp,
             qnn::HardSigmoidOp, qnn::GeluOp>(op);
}

/// Integer unary ops (ONNX Abs, Neg, Sign, Relu and Not on plain integers
/// and booleans).
bool isIntUnary(Operation *op) {
  return isa<qnn::AbsOp, qnn::NegOp, qnn::SignOp, qnn::ReluOp, qnn::NotOp, qnn::ClipOp>(op) &&
         getElementTypeOrSelf(op->getResult(0).getType()).isSignlessInteger();
}

ScalarForm intUnaryForm(Operation *op) {
  Type elt = getElementTypeOrSelf(op->getResult(0).getType());
  return unary([op, elt](Body &body, ValueRange, ValueRange a) -> Value {
    OpBuilder &nb = body.b;
    Location loc = body.loc;
    Value x = a[0], zero = body.intConst(elt, 0);
    using I = arith::CmpIPredicate;
    return llvm::TypeSwitch<Operation *, Value>(op)
        .Case([&](qnn::AbsOp) { return math::AbsIOp::create(nb, loc, x).getResult(); })
        .Case([&](qnn::NegOp) { return body.sub(zero, x); })
        .Case([&](qnn::ReluOp) { return arith::MaxSIOp::create(nb, loc, x, zero).getResult(); })
        .Case([&](qnn::SignOp) {
          return body.select(body.cmpi(I::sgt, x, zero), body.intConst(elt, 1),
                             body.select(body.cmpi(I::slt, x, zero), body.intConst(elt, -1),
                                         zero));
        })
        .Case([&](qnn::NotOp) {
          return arith::XOrIOp::create(nb, loc, x, body.intConst(elt, 1)).getResult();
        })
        .Case([&](qnn::ClipOp c) {
          Value v = x;
          if (c.getMin())
            v = arith::MaxSIOp::create(
                nb, loc, v, body.intConst(elt, (int64_t)c.getMin()->convertToDouble()));
          if (c.getMax())
            v = arith::MinSIOp::create(
                nb, loc, v, body.intConst(elt, (int64_t)c.getMax()->convertToDouble()));
          return v;
        })
        .Default([](Operation *) { return Value(); });
  });
}

/// ONNX BatchNormalization in inference mode, for the ones no conv took:
/// (x - mean) / sqrt(var + epsilon) * scale + bias along axis 1.
FailureOr<ScalarForm> batchNormForm(qnn::BatchNormOp op, Operands in) {
  if (!isa<FloatType>(getElementTypeOrSelf(op.getResult().getType())))
    return op.emitError("unsupported on the GPU path: quantized batch_norm"), failure();
  Value scale = in[1], bias = in[2], mean = in[3], var = in[4];
  float eps = op.getEpsilon().convertToFloat();
  Type outElt = getElementTypeOrSelf(op.getResult().getType());
  ScalarForm form = unary([=](Body &body, ValueRange idx, ValueRange a) {
    auto at = [&](Value t) {
      return body.toF32(body.extract(t, {idx.size() > 1 ? idx[1] : body.idx(0)}));
    };
    Value x = body.sub(body.toF32(a[0]), at(mean));
    Value d = ArithOps{body}.sqrt(body.add(at(var), body.f32(eps)));
    Value y = arith::DivFOp::create(body.b, body.loc, x, d);
    return body.fromF32(body.add(body.mul(y, at(scale)), at(bias)), outElt);
  });
  // The per-channel operands are read by index, not through the epilogue's
  // broadcasting loads.
  form.fusable = false;
  return form;
}

/// The reduced-dimension mask of rows [axis, axis + rowRank) of a rank.
SmallVector<bool> rowMask(int64_t rank, int64_t axis, int64_t rowRank) {
  SmallVector<bool> reduced(rank, false);
  for (int64_t d = axis; d < axis + rowRank; ++d)
    reduced[d] = true;
  return reduced;
}

Value addF(Body &l, Value a, Value c) { return l.add(a, c); }
Value maxF(Body &l, Value a, Value c) {
  return arith::MaximumFOp::create(l.b, l.loc, a, c).getResult();
}

/// The indices of an element's row statistic: its row dimensions at 0.
SmallVector<Value> rowOf(Body &body, ValueRange idx, int64_t axis, int64_t rowRank) {
  SmallVector<Value> at(idx);
  for (int64_t d = axis; d < axis + rowRank; ++d)
    at[d] = body.idx(0);
  return at;
}

/// Softmax and LogSoftmax along `axis`: the row maxima, the row sums of
/// exp(x - max), then the elements (three kernels, each a pass over x).
FailureOr<Value> lowerSoftmax(OpBuilder &b, Operation *op, int64_t rawAxis, bool log,
                              Operands in) {
  auto xt = tensorOf(op->getOperand(0));
  if (!isa<FloatType>(xt.getElementType()))
    return op->emitError("unsupported on the GPU path: quantized softmax (keep it in float)"),
           failure();
  int64_t axis = qnn::resolveAxis(rawAxis, xt.getRank());
  Value x = in[0];
  Location loc = op->getLoc();
  SmallVector<bool> inRow = rowMask(xt.getRank(), axis, 1);
  Value mx = rowStatistic(
      b, loc, x, inRow, -INFINITY, [](Body &l, Value v, Value acc, Value) { return maxF(l, v, acc); },
      maxF);
  Value sum = rowStatistic(
      b, loc, x, inRow, 0.0,
      [](Body &l, Value v, Value acc, Value m) {
        ArithOps ops{l};
        return l.add(acc, fmath::exp(ops, l.sub(v, m)));
      },
      addF, nullptr, mx);
  Type outElt = xt.getElementType();
  return buildGeneric(
      b, loc, storageTensorType(cast<RankedTensorType>(op->getResult(0).getType())), {}, {},
      [&](OpBuilder &nb, Location nloc, ValueRange idx, ValueRange) -> Value {
        Body body{nb, nloc};
        SmallVector<Value> row = rowOf(body, idx, axis, 1);
        Value shifted = body.sub(body.toF32(body.extract(x, idx)), body.extract(mx, row));
        Value s = body.extract(sum, row);
        ArithOps ops{body};
        Value y = log ? body.sub(shifted, fmath::log(ops, s))
                      : arith::DivFOp::create(nb, nloc, fmath::exp(ops, shifted), s).getResult();
        return body.fromF32(y, outElt);
      });
}

/// LayerNormalization over the dimensions from `axis` on: the row means,
/// the row reciprocal standard deviations (two passes for the variance, as
/// the reference), then the elements.
FailureOr<Value> lowerLayerNorm(OpBuilder &b, qnn::LayerNormOp op, Operands in) {
  auto xt = tensorOf(op.getInput());
  if (!isa<FloatType>(xt.getElementType()))
    return op.emitError("unsupported on the GPU path: quantized layer_norm (keep it in float)"),
           failure();
  int64_t rank = xt.getRank();
  int64_t axis = qnn::resolveAxis(op.getAxis(), rank), rowRank = rank - axis;
  int64_t count = 1;
  for (int64_t d : xt.getShape().drop_front(axis))
    count *= d;
  Value x = in[0], scale = in[1], bias = op.getBias() ? in[2] : Value();
  float eps = op.getEpsilon().convertToFloat();
  Location loc = op.getLoc();
  auto divideByCount = [&](Body &l, Value acc, Value) {
    return arith::DivFOp::create(l.b, l.loc, acc, l.f32((double)count)).getResult();
  };
  SmallVector<bool> inRow = rowMask(rank, axis, rowRank);
  Value mean = rowStatistic(
      b, loc, x, inRow, 0.0, [](Body &l, Value v, Value acc, Value) { return l.add(acc, v); }, addF,
      divideByCount);
  Value invStd = rowStatistic(
      b, loc, x, inRow, 0.0,
      [](Body &l, Value v, Value acc, Value m) {
        Value d = l.sub(v, m);
        return l.add(acc, l.mul(d, d));
      },
      addF,
      [&](Body &l, Value acc, Value) {
        Value var = divideByCount(l, acc, Value());
        return arith::DivFOp::create(l.b, l.loc, l.f32(1.0),
                                     ArithOps{l}.sqrt(l.add(var, l.f32(eps))))
            .getResult();
      },
      mean);
  Type outElt = xt.getElementType();
  return buildGeneric(
      b, loc, storageTensorType(op.getResult().getType()), {}, {},
      [&](OpBuilder &nb, Location nloc, ValueRange idx, ValueRange) -> Value {
        Body body{nb, nloc};
        SmallVector<Value> row = rowOf(body, idx, axis, rowRank);
        // scale and bias broadcast (NumPy rules) over the normalized shape.
        auto param = [&](Value t) {
          auto shape = logicalShape(t);
          SmallVector<Value> at;
          for (auto [j, size] : llvm::enumerate(shape))
            at.push_back(size == 1 ? body.idx(0) : idx[rank - shape.size() + j]);
          return body.toF32(body.extract(t, at));
        };
        Value y = body.mul(body.mul(body.sub(body.toF32(body.extract(x, idx)),
                                             body.extract(mean, row)),
                                    body.extract(invStd, row)),
                           param(scale));
        if (bias)
          y = body.add(y, param(bias));
        return body.fromF32(y, outElt);
      });
}

/// ONNX Where: condition ? x : y, broadcast.
FailureOr<ScalarForm> whereForm(qnn::WhereOp op) {
  if (op.getX().getType() != op.getY().getType() &&
      getElementTypeOrSelf(op.getX().getType()) != getElementTypeOrSelf(op.getY().getType()))
    return op.emitError("unsupported on the GPU path: where with differently typed branches"),
           failure();
  if (getElementTypeOrSelf(op.getX().getType()) != getElementTypeOrSelf(op.getResult().getType()))
    return op.emitError("unsupported on the GPU path: where that requantizes"), failure();
  return ScalarForm{[](Body &body, ValueRange, ValueRange a) {
                      return body.select(a[0], a[1], a[2]);
                    },
                    {0, 1, 2}};
}

} // namespace

FailureOr<IntBinaryFn> qopt::lowering::intAddOf(Operation *op) {
  auto ai = elementInfo(op, op->getOperand(0)), bi = elementInfo(op, op->getOperand(1));
  auto out = outputOf(op);
  auto yp = ref::quantParamsOf(getElementTypeOrSelf(op->getResult(0).getType()));
  if (failed(ai) || failed(bi) || failed(out) || !yp) {
    if (!yp)
      op->emitError() << llvm::toString(yp.takeError());
    return failure();
  }
  double sa = ai->params.scale(), sb = bi->params.scale();
  double twiceMax = 2 * std::max(sa, sb);
  auto ma = qopt::quant::computeFixedPointScale(sa / twiceMax);
  auto mb = qopt::quant::computeFixedPointScale(sb / twiceMax);
  auto my = qopt::quant::computeFixedPointScale(twiceMax / (double(1 << kAddShift) * yp->scale()));
  if (!ma || !mb || !my) {
    llvm::consumeError(ma.takeError());
    llvm::consumeError(mb.takeError());
    llvm::consumeError(my.takeError());
    return op->emitError("integer add: scales are out of the fixed-point range"), failure();
  }
  Requant r = *out;
  r.scale = *my;
  int32_t za = ai->params.zeroPoint(), zb = bi->params.zeroPoint();
  bool sA = ai->isSigned, sB = bi->isSigned;
  auto A = *ma, B = *mb;
  return IntBinaryFn([=](Body &body, Value a, Value b) {
    auto lift = [&](Value v, bool s, int32_t z, qopt::quant::FixedPointScale m) {
      Value c = body.sub(body.toI32(v, s), body.i32(z));
      c = arith::ShLIOp::create(body.b, body.loc, c, body.i32(kAddShift));
      return body.applyScale(c, body.i32(m.multiplier), body.i32(m.shift));
    };
    Value sum = body.add(lift(a, sA, za, A), lift(b, sB, zb, B));
    return body.requantize(sum, r);
  });
}

FailureOr<ScalarForm> qopt::lowering::scalarFormOf(OpBuilder &b, Operation *op, Operands in) {
  // Quantized values and their storage are the same bits (a tensor-core
  // epilogue reaching the raw int32 accumulator of a dynamic quantization).
  if (isa<mlir::quant::StorageCastOp>(op))
    return unary([](Body &, ValueRange, ValueRange a) { return a[0]; });
  if (isa<mlir::quant::QuantizeCastOp>(op))
    return quantizeForm(op);
  if (isa<mlir::quant::DequantizeCastOp>(op))
    return dequantizeForm(b, op);
  if (auto l = dyn_cast<qnn::LutOp>(op))
    return lutForm(l, in);
  if (auto c = dyn_cast<qnn::CastOp>(op))
    return castForm(c);
  bool quantized = isa<mlir::quant::QuantizedType>(getElementTypeOrSelf(op->getResult(0).getType()));
  if (quantized) {
    if (isa<qnn::AddOp>(op))
      return intAddForm(op);
    if (isa<qnn::MulOp>(op))
      return intMulForm(op);
    if (ref::isTableUnary(op))
      return tableUnaryForm(b, op);
    if (isa<qnn::RequantizeOp, qnn::ReluOp, qnn::ClipOp>(op)) {
      auto settle = settleFn(op, op->getOperand(0));
      if (failed(settle))
        return failure();
      auto fn = *settle;
      return unary([fn](Body &body, ValueRange, ValueRange a) { return fn(body, a[0]); });
    }
    return op->emitError() << "unsupported on the GPU path: no integer lowering for '"
                           << op->getName() << "'",
           failure();
  }
  for (Type t : llvm::concat<const Type>(op->getOperandTypes(), op->getResultTypes()))
    if (auto it = dyn_cast<IntegerType>(getElementTypeOrSelf(t)); it && !it.isSignless())
      return op->emitError() << "unsupported on the GPU path: '" << op->getName() << "' on " << it
                             << " (signless integers only)",
             failure();
  if (isPlainBinary(op))
    return plainBinaryForm(op);
  if (isIntUnary(op))
    return intUnaryForm(op);
  if (isFloatUnary(op))
    return floatUnaryForm(op);
  if (auto w = dyn_cast<qnn::WhereOp>(op))
    return whereForm(w);
  if (auto bn = dyn_cast<qnn::BatchNormOp>(op))
    return batchNormForm(bn, in);
  return op->emitError() << "unsupported on the GPU path: no lowering to linalg for '"
                         << op->getName() << "'",
         failure();
}

bool qopt::lowering::hasScalarForm(Operation *op) {
  if (isa<mlir::quant::QuantizeCastOp, mlir::quant::DequantizeCastOp, mlir::quant::StorageCastOp,
          qnn::LutOp, qnn::CastOp>(op))
    return true;
  if (isa<mlir::quant::QuantizedType>(getElementTypeOrSelf(op->getResult(0).getType())))
    return isa<qnn::AddOp, qnn::MulOp, qnn::RequantizeOp, qnn::ReluOp, qnn::ClipOp>(op);
  return isPlainBinary(op) || isIntUnary(op) || isFloatUnary(op) || isa<qnn::WhereOp>(op);
}

FailureOr<Value> qopt::lowering::lowerElementwise(OpBuilder &b, Operation *op, Operands in) {
  if (auto s = dyn_cast<qnn::SoftmaxOp>(op))
    return lowerSoftmax(b, op, s.getAxis(), /*log=*/false, in);
  if (auto s = dyn_cast<qnn::LogSoftmaxOp>(op))
    return lowerSoftmax(b, op, s.getAxis(), /*log=*/true, in);
  if (auto n = dyn_cast<qnn::LayerNormOp>(op))
    return lowerLayerNorm(b, n, in);
  FailureOr<ScalarForm> form = scalarFormOf(b, op, in);
  if (failed(form))
    return failure();
  SmallVector<Value> inputs;
  for (unsigned i : form->operands)
    inputs.push_back(in[i]);
  ScalarFn fn = form->fn;
  return elementwise(b, op, inputs,
                     [&](Body &body, ValueRange idx, ValueRange a) { return fn(body, idx, a); });
}
