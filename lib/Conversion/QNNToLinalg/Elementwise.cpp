//===- Elementwise.cpp - casts, tables and elementwise ops to linalg -*- C++ -*-===//
//
// Elementwise ops read their operands through (broadcasting) indexing maps,
// so upstream elementwise fusion can merge chains of them. Integer add and
// mul follow docs/quantization.md: add lifts each side by 2^20 and rescales
// to twice the larger input scale, mul requantizes the centered product.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"
#include "qopt/Dialect/QNN/QNNOps.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "llvm/ADT/TypeSwitch.h"

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
    return op->emitError("per-axis quantize of activations is not lowered; quantize weights "
                         "at compile time"),
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
    Value i = arith::IndexCastOp::create(body.b, body.loc, body.b.getIndexType(),
                                         body.sub(q, body.i32(qmin)));
    Value v = body.extract(table, {i});
    if (v.getType() != outStorage)
      v = arith::BitcastOp::create(body.b, body.loc, outStorage, v);
    return v;
  });
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

/// Float binary ops and the float fused activation of add.
FailureOr<ScalarForm> floatBinaryForm(Operation *op) {
  Type outElt = getElementTypeOrSelf(op->getResult(0).getType());
  if (!isa<FloatType>(outElt))
    return op->emitError("integer-typed (non-quantized) elementwise ops are not lowered yet"),
           failure();
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
                  .Case([&](qnn::PowOp) {
                    return math::PowFOp::create(body.b, body.loc, x, y).getResult();
                  });
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
            .Case([&](qnn::SigmoidOp) {
              Value e = math::ExpOp::create(nb, loc, arith::NegFOp::create(nb, loc, x));
              return arith::DivFOp::create(nb, loc, one, body.add(one, e)).getResult();
            })
            .Case([&](qnn::TanhOp) { return math::TanhOp::create(nb, loc, x).getResult(); })
            .Case([&](qnn::ExpOp) { return math::ExpOp::create(nb, loc, x).getResult(); })
            .Case([&](qnn::SqrtOp) { return math::SqrtOp::create(nb, loc, x).getResult(); })
            .Case([&](qnn::NegOp) { return arith::NegFOp::create(nb, loc, x).getResult(); })
            .Case([&](qnn::AbsOp) { return math::AbsFOp::create(nb, loc, x).getResult(); })
            .Case([&](qnn::HardSwishOp) {
              Value g = arith::DivFOp::create(nb, loc, x, body.f32(6.0));
              g = body.add(g, body.f32(0.5));
              Value lt = arith::CmpFOp::create(nb, loc, arith::CmpFPredicate::OLT, g, zero);
              Value gt = arith::CmpFOp::create(nb, loc, arith::CmpFPredicate::OGT, g, one);
              return body.mul(x, body.select(lt, zero, body.select(gt, one, g)));
            })
            .Default([](Operation *) { return Value(); });
    return r ? body.fromF32(r, outElt) : Value();
  });
}

/// ONNX Cast between floats, integers and bool (signless storage).
FailureOr<ScalarForm> castForm(qnn::CastOp op) {
  Type from = getElementTypeOrSelf(op.getInput().getType());
  Type to = getElementTypeOrSelf(op.getResult().getType());
  for (Type t : {from, to})
    if (auto it = dyn_cast<IntegerType>(t); it && !it.isSignless())
      return op.emitError() << "cast of " << t << " is not lowered (signless integers only)",
             failure();
  return unary([from, to](Body &body, ValueRange, ValueRange a) -> Value {
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
    if (fromFloat)
      return arith::FPToSIOp::create(nb, loc, to, v);
    if (toFloat)
      return from.isInteger(1) ? arith::UIToFPOp::create(nb, loc, to, v).getResult()
                               : arith::SIToFPOp::create(nb, loc, to, v).getResult();
    if (to.isInteger(1))
      return arith::CmpIOp::create(nb, loc, arith::CmpIPredicate::ne, v,
                                   body.intConst(from, 0));
    unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
    if (fw > tw)
      return arith::TruncIOp::create(nb, loc, to, v);
    return from.isInteger(1) ? arith::ExtUIOp::create(nb, loc, to, v).getResult()
                             : arith::ExtSIOp::create(nb, loc, to, v).getResult();
  });
}

bool isFloatUnary(Operation *op) {
  return isa<qnn::ReluOp, qnn::ClipOp, qnn::SigmoidOp, qnn::TanhOp, qnn::ExpOp, qnn::SqrtOp,
             qnn::NegOp, qnn::AbsOp, qnn::HardSwishOp>(op);
}

FailureOr<Value> lowerSoftmax(OpBuilder &b, qnn::SoftmaxOp op, Operands in) {
  auto xt = tensorOf(op.getInput());
  int64_t rank = xt.getRank();
  int64_t axis = op.getAxis() < 0 ? op.getAxis() + rank : op.getAxis();
  int64_t n = xt.getDimSize(axis);
  Value x = in[0];
  Type outElt = xt.getElementType();
  return buildGeneric(
      b, op.getLoc(), storageTensorType(op.getResult().getType()), {}, {},
      [&](OpBuilder &nb, Location loc, ValueRange idx, ValueRange) -> Value {
        Body body{nb, loc};
        // Each element recomputes its row's max and sum: a row is short
        // (classes, sequence) and this keeps the op one parallel kernel.
        auto rowLoop = [&](Value init, function_ref<Value(Body &, Value v, Value acc)> f) {
          auto loop = scf::ForOp::create(nb, loc, body.idx(0), body.idx(n), body.idx(1),
                                         ValueRange{init});
          OpBuilder lb = OpBuilder::atBlockBegin(loop.getBody());
          Body l{lb, loc};
          SmallVector<Value> at(idx);
          at[axis] = loop.getInductionVar();
          Value v = l.toF32(l.extract(x, at));
          scf::YieldOp::create(lb, loc, f(l, v, loop.getRegionIterArgs()[0]));
          return loop.getResult(0);
        };
        Value mx = rowLoop(body.f32(-INFINITY), [](Body &l, Value v, Value acc) {
          return arith::MaximumFOp::create(l.b, l.loc, v, acc).getResult();
        });
        Value sum = rowLoop(body.f32(0.0), [&](Body &l, Value v, Value acc) {
          return l.add(acc, math::ExpOp::create(l.b, l.loc, l.sub(v, mx)).getResult());
        });
        Value self = body.toF32(body.extract(x, idx));
        Value e = math::ExpOp::create(nb, loc, body.sub(self, mx));
        return body.fromF32(arith::DivFOp::create(nb, loc, e, sum), outElt);
      });
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
    if (isa<qnn::RequantizeOp, qnn::ReluOp, qnn::ClipOp>(op)) {
      auto settle = settleFn(op, op->getOperand(0));
      if (failed(settle))
        return failure();
      auto fn = *settle;
      return unary([fn](Body &body, ValueRange, ValueRange a) { return fn(body, a[0]); });
    }
    return op->emitError() << "no integer lowering for '" << op->getName() << "'", failure();
  }
  if (isa<qnn::AddOp, qnn::SubOp, qnn::MulOp, qnn::DivOp, qnn::MaxOp, qnn::MinOp, qnn::PowOp>(op))
    return floatBinaryForm(op);
  if (isFloatUnary(op))
    return floatUnaryForm(op);
  return op->emitError() << "no lowering to linalg for '" << op->getName() << "' yet",
         failure();
}

bool qopt::lowering::hasScalarForm(Operation *op) {
  if (isa<mlir::quant::QuantizeCastOp, mlir::quant::DequantizeCastOp, qnn::LutOp, qnn::CastOp>(
          op))
    return true;
  if (isa<mlir::quant::QuantizedType>(getElementTypeOrSelf(op->getResult(0).getType())))
    return isa<qnn::AddOp, qnn::MulOp, qnn::RequantizeOp, qnn::ReluOp, qnn::ClipOp>(op);
  return isa<qnn::AddOp, qnn::SubOp, qnn::MulOp, qnn::DivOp, qnn::MaxOp, qnn::MinOp,
             qnn::PowOp>(op) ||
         isFloatUnary(op);
}

FailureOr<Value> qopt::lowering::lowerElementwise(OpBuilder &b, Operation *op, Operands in) {
  if (auto s = dyn_cast<qnn::SoftmaxOp>(op))
    return lowerSoftmax(b, s, in);
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
