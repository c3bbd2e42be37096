//===- Linear.cpp - conv, gemm and matmul to linalg -------------*- C++ -*-===//
//
// One output element per iteration with the reduction as an scf.for nest in
// the body: the SIMT form every backend can run. Integer forms accumulate
// sum((x - z_x)(w - z_w)) + bias in i32 exactly as the reference (taps in the
// padding contribute the real 0) and requantize per output channel.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"
#include "qopt/Dialect/QNN/QNNOps.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace qopt;
using namespace qopt::lowering;

namespace {

/// Zero points and requantization of a contraction whose weights are
/// quantized along `channelAxis` with `channels` entries.
struct IntContraction {
  int32_t zx = 0;
  bool xSigned = true, wSigned = true;
  SmallVector<int32_t> zw;                  // one per channel, or one
  SmallVector<int32_t> multipliers, shifts; // one per channel, or one
  Requant out;
};

FailureOr<IntContraction> intContraction(Operation *op, Value x, Value w, int64_t channels) {
  auto xi = elementInfo(op, x), wi = elementInfo(op, w);
  if (failed(xi) || failed(wi))
    return failure();
  if (!xi->quantized || !wi->quantized) {
    op->emitError("integer contraction needs quantized input and weights");
    return failure();
  }
  IntContraction c;
  c.zx = xi->params.zeroPoint();
  c.xSigned = xi->isSigned;
  c.wSigned = wi->isSigned;
  auto out = outputOf(op);
  if (failed(out))
    return failure();
  c.out = *out;
  auto outParams = ref::quantParamsOf(getElementTypeOrSelf(op->getResult(0).getType()));
  if (!outParams) {
    op->emitError() << llvm::toString(outParams.takeError());
    return failure();
  }
  int64_t n = wi->params.perAxis() ? channels : 1;
  for (int64_t ch = 0; ch < n; ++ch) {
    // Same expression and order as the reference's channelMultipliers.
    auto s = qopt::quant::computeFixedPointScale(xi->params.scale() * wi->params.scale(ch) /
                                                 outParams->scale());
    if (!s) {
      op->emitError() << "channel " << ch << ": " << llvm::toString(s.takeError());
      return failure();
    }
    c.multipliers.push_back(s->multiplier);
    c.shifts.push_back(s->shift);
    c.zw.push_back(wi->params.zeroPoint(ch));
  }
  return c;
}

/// Reads a per-channel i32 parameter: a constant when there is one value,
/// else an element of a constant table.
struct ChannelParam {
  SmallVector<int32_t> values;
  Value table;
  ChannelParam(OpBuilder &b, Location loc, ArrayRef<int32_t> v) : values(v) {
    if (llvm::any_of(v, [&](int32_t x) { return x != v[0]; }))
      table = i32Tensor(b, loc, v);
  }
  Value at(Body &body, Value channel) const {
    if (!table)
      return body.i32(values[0]);
    return body.extract(table, {channel});
  }
};

/// Builds an scf.for nest over [0, bounds[i]) carrying one accumulator.
Value reduce(OpBuilder &b, Location loc, ArrayRef<int64_t> bounds, Value init,
             function_ref<Value(OpBuilder &, Location, ValueRange, Value)> step) {
  SmallVector<Value> lbs, ubs, steps;
  for (int64_t n : bounds) {
    lbs.push_back(arith::ConstantIndexOp::create(b, loc, 0));
    ubs.push_back(arith::ConstantIndexOp::create(b, loc, n));
    steps.push_back(arith::ConstantIndexOp::create(b, loc, 1));
  }
  scf::LoopNest nest = scf::buildLoopNest(
      b, loc, lbs, ubs, steps, ValueRange{init},
      [&](OpBuilder &nb, Location nloc, ValueRange ivs, ValueRange iter) -> scf::ValueVector {
        return {step(nb, nloc, ivs, iter[0])};
      });
  return nest.results[0];
}

FailureOr<Value> lowerConv(OpBuilder &b, qnn::ConvOp op, Operands in) {
  Location loc = op.getLoc();
  auto xt = cast<RankedTensorType>(op.getInput().getType());
  auto wt = cast<RankedTensorType>(op.getWeight().getType());
  auto yt = cast<RankedTensorType>(op.getResult().getType());
  int64_t rank = xt.getRank(), sp = rank - 2;
  if (sp < 1 || sp > 3 || (int64_t)op.getStrides().size() != sp ||
      (int64_t)op.getDilations().size() != sp || (int64_t)op.getPads().size() != 2 * sp)
    return op.emitError("conv lowering: unsupported geometry"), failure();
  int64_t groups = op.getGroup();
  int64_t cg = wt.getDimSize(1), mg = yt.getDimSize(1) / groups;
  SmallVector<int64_t> kernel(wt.getShape().drop_front(2));
  SmallVector<int64_t> strides(op.getStrides()), dil(op.getDilations()), pads(op.getPads());
  SmallVector<int64_t> inSpatial(xt.getShape().drop_front(2));
  bool quantized = isa<mlir::quant::QuantizedType>(xt.getElementType());
  if (quantized && op.getResidual())
    return op.emitError("integer conv with a fused residual has no integer form"), failure();

  FailureOr<IntContraction> ic = IntContraction{};
  if (quantized && failed(ic = intContraction(op, op.getInput(), op.getWeight(), yt.getDimSize(1))))
    return failure();
  ChannelParam zw(b, loc, quantized ? ArrayRef<int32_t>(ic->zw) : ArrayRef<int32_t>{0});
  ChannelParam mult(b, loc, quantized ? ArrayRef<int32_t>(ic->multipliers) : ArrayRef<int32_t>{0});
  ChannelParam shift(b, loc, quantized ? ArrayRef<int32_t>(ic->shifts) : ArrayRef<int32_t>{0});
  // Optional operands are absent from the operand list, not null in it.
  Value x = in[0], w = in[1];
  Value bias = op.getBias() ? in[2] : Value();
  Value residual = op.getResidual() ? in[op.getBias() ? 3 : 2] : Value();
  SmallVector<int64_t> bounds{cg};
  bounds.append(kernel);

  return buildGeneric(
      b, loc, storageTensorType(yt), {}, {},
      [&](OpBuilder &nb, Location nloc, ValueRange idx, ValueRange) -> Value {
        Body body{nb, nloc};
        Value n = idx[0], m = idx[1];
        Value cbase = arith::MulIOp::create(
            nb, nloc, arith::DivUIOp::create(nb, nloc, m, body.idx(mg)), body.idx(cg));
        Value init;
        if (bias)
          init = quantized ? body.toI32(body.extract(bias, {m}), true)
                           : body.toF32(body.extract(bias, {m}));
        else
          init = quantized ? body.i32(0) : body.f32(0.0);
        Value zwm = quantized ? zw.at(body, m) : Value();
        Value acc = reduce(nb, nloc, bounds, init,
                           [&](OpBuilder &lb, Location lloc, ValueRange ivs, Value a) -> Value {
          Body l{lb, lloc};
          Value inside = arith::ConstantIntOp::create(lb, lloc, lb.getI1Type(), 1);
          SmallVector<Value> xIdx{n, arith::AddIOp::create(lb, lloc, cbase, ivs[0])};
          SmallVector<Value> wIdx{m, ivs[0]};
          for (int64_t i = 0; i < sp; ++i) {
            Value o = idx[2 + i], k = ivs[1 + i];
            Value pos = arith::AddIOp::create(
                lb, lloc, arith::MulIOp::create(lb, lloc, o, l.idx(strides[i])),
                arith::MulIOp::create(lb, lloc, k, l.idx(dil[i])));
            pos = arith::SubIOp::create(lb, lloc, pos, l.idx(pads[i]));
            Value ge = l.cmpi(arith::CmpIPredicate::sge, pos, l.idx(0));
            Value lt = l.cmpi(arith::CmpIPredicate::slt, pos, l.idx(inSpatial[i]));
            inside = l.andi(inside, l.andi(ge, lt));
            xIdx.push_back(pos);
            wIdx.push_back(k);
          }
          // Clamp every index into the tensor before reading; the tap is
          // masked afterwards (no out-of-bounds load, even speculatively).
          for (int64_t i = 0; i < sp; ++i)
            xIdx[2 + i] = l.select(inside, xIdx[2 + i], l.idx(0));
          Value xv = l.extract(x, xIdx), wv = l.extract(w, wIdx);
          if (quantized) {
            Value xc = l.sub(l.toI32(xv, ic->xSigned), l.i32(ic->zx));
            xc = l.select(inside, xc, l.i32(0));
            Value wc = l.sub(l.toI32(wv, ic->wSigned), zwm);
            return l.add(a, l.mul(xc, wc));
          }
          Value xf = l.select(inside, l.toF32(xv), l.f32(0.0));
          return l.add(a, l.mul(xf, l.toF32(wv)));
        });
        if (quantized)
          return body.requantize(acc, mult.at(body, m), shift.at(body, m), ic->out);
        if (residual)
          acc = body.add(acc, body.toF32(body.extract(residual, idx)));
        Value r = floatActivation(body, op, acc);
        return body.fromF32(r, yt.getElementType());
      });
}

/// Transposed convolution as a gather: output o reads input i where
/// o = i * stride - pad + k * dilation, i.e. i = (o + pad - k * dilation) /
/// stride when that divides exactly and lands inside the input.
FailureOr<Value> lowerConvTranspose(OpBuilder &b, qnn::ConvTransposeOp op, Operands in) {
  Location loc = op.getLoc();
  auto xt = cast<RankedTensorType>(op.getInput().getType());
  auto wt = cast<RankedTensorType>(op.getWeight().getType());
  auto yt = cast<RankedTensorType>(op.getResult().getType());
  int64_t rank = xt.getRank(), sp = rank - 2;
  if (sp < 1 || sp > 3 || (int64_t)op.getStrides().size() != sp ||
      (int64_t)op.getDilations().size() != sp || (int64_t)op.getPads().size() != 2 * sp)
    return op.emitError("conv_transpose lowering: unsupported geometry"), failure();
  int64_t groups = op.getGroup();
  int64_t mg = wt.getDimSize(1), cg = xt.getDimSize(1) / groups;
  SmallVector<int64_t> kernel(wt.getShape().drop_front(2));
  SmallVector<int64_t> strides(op.getStrides()), dil(op.getDilations()), pads(op.getPads());
  SmallVector<int64_t> inSpatial(xt.getShape().drop_front(2));
  bool quantized = isa<mlir::quant::QuantizedType>(xt.getElementType());
  FailureOr<IntContraction> ic = IntContraction{};
  if (quantized) {
    // Weights are per output channel of a group (axis 1, mg values); the
    // tables below are indexed by the full output channel m.
    if (failed(ic = intContraction(op, op.getInput(), op.getWeight(), mg)))
      return failure();
    int64_t m = yt.getDimSize(1);
    auto widen = [&](SmallVector<int32_t> &v) {
      if (v.size() == 1)
        return;
      SmallVector<int32_t> full;
      for (int64_t c = 0; c < m; ++c)
        full.push_back(v[c % mg]);
      v = full;
    };
    widen(ic->zw);
    widen(ic->multipliers);
    widen(ic->shifts);
  }
  ChannelParam zw(b, loc, quantized ? ArrayRef<int32_t>(ic->zw) : ArrayRef<int32_t>{0});
  ChannelParam mult(b, loc, quantized ? ArrayRef<int32_t>(ic->multipliers) : ArrayRef<int32_t>{0});
  ChannelParam shift(b, loc, quantized ? ArrayRef<int32_t>(ic->shifts) : ArrayRef<int32_t>{0});
  Value x = in[0], w = in[1];
  Value bias = op.getBias() ? in[2] : Value();
  SmallVector<int64_t> bounds{cg};
  bounds.append(kernel);
  return buildGeneric(
      b, loc, storageTensorType(yt), {}, {},
      [&](OpBuilder &nb, Location nloc, ValueRange idx, ValueRange) -> Value {
        Body body{nb, nloc};
        Value n = idx[0], m = idx[1];
        Value g = arith::DivUIOp::create(nb, nloc, m, body.idx(mg));
        Value mi = arith::RemUIOp::create(nb, nloc, m, body.idx(mg));
        Value cbase = arith::MulIOp::create(nb, nloc, g, body.idx(cg));
        Value init;
        if (bias)
          init = quantized ? body.toI32(body.extract(bias, {m}), true)
                           : body.toF32(body.extract(bias, {m}));
        else
          init = quantized ? body.i32(0) : body.f32(0.0);
        Value zwm = quantized ? zw.at(body, m) : Value();
        Value acc = reduce(nb, nloc, bounds, init,
                           [&](OpBuilder &lb, Location lloc, ValueRange ivs, Value a) -> Value {
          Body l{lb, lloc};
          Value c = arith::AddIOp::create(lb, lloc, cbase, ivs[0]);
          Value inside = arith::ConstantIntOp::create(lb, lloc, lb.getI1Type(), 1);
          SmallVector<Value> xIdx{n, c};
          SmallVector<Value> wIdx{c, mi};
          for (int64_t i = 0; i < sp; ++i) {
            Value k = ivs[1 + i];
            Value num = arith::SubIOp::create(
                lb, lloc, arith::AddIOp::create(lb, lloc, idx[2 + i], l.idx(pads[i])),
                arith::MulIOp::create(lb, lloc, k, l.idx(dil[i])));
            // Non-negative and divisible by the stride, then inside.
            Value ge = l.cmpi(arith::CmpIPredicate::sge, num, l.idx(0));
            Value safe = l.select(ge, num, l.idx(0));
            Value q = arith::DivUIOp::create(lb, lloc, safe, l.idx(strides[i]));
            Value r = arith::RemUIOp::create(lb, lloc, safe, l.idx(strides[i]));
            Value exact = l.cmpi(arith::CmpIPredicate::eq, r, l.idx(0));
            Value lt = l.cmpi(arith::CmpIPredicate::slt, q, l.idx(inSpatial[i]));
            inside = l.andi(inside, l.andi(ge, l.andi(exact, lt)));
            xIdx.push_back(q);
            wIdx.push_back(k);
          }
          for (int64_t i = 0; i < sp; ++i)
            xIdx[2 + i] = l.select(inside, xIdx[2 + i], l.idx(0));
          Value xv = l.extract(x, xIdx), wv = l.extract(w, wIdx);
          if (quantized) {
            Value xc = l.sub(l.toI32(xv, ic->xSigned), l.i32(ic->zx));
            xc = l.select(inside, xc, l.i32(0));
            Value wc = l.sub(l.toI32(wv, ic->wSigned), zwm);
            return l.add(a, l.mul(xc, wc));
          }
          Value xf = l.select(inside, l.toF32(xv), l.f32(0.0));
          return l.add(a, l.mul(xf, l.toF32(wv)));
        });
        if (quantized)
          return body.requantize(acc, mult.at(body, m), shift.at(body, m), ic->out);
        return body.fromF32(floatActivation(body, op, acc), yt.getElementType());
      });
}

/// The index into an operand broadcast (NumPy rules) to `outIdx`.
SmallVector<Value> broadcastIndex(Body &body, ArrayRef<int64_t> shape, ArrayRef<int64_t> outShape,
                                  ValueRange outIdx) {
  SmallVector<Value> r;
  int64_t offset = (int64_t)outShape.size() - (int64_t)shape.size();
  for (auto [i, d] : llvm::enumerate(shape)) {
    int64_t o = offset + (int64_t)i;
    r.push_back(d == 1 && outShape[o] != 1 ? body.idx(0) : outIdx[o]);
  }
  return r;
}

FailureOr<Value> lowerGemm(OpBuilder &b, qnn::GemmOp op, Operands in) {
  Location loc = op.getLoc();
  auto at = cast<RankedTensorType>(op.getA().getType());
  auto yt = cast<RankedTensorType>(op.getResult().getType());
  bool transA = op.getTransA(), transB = op.getTransB();
  int64_t K = transA ? at.getDimSize(0) : at.getDimSize(1);
  int64_t N = yt.getDimSize(1);
  bool quantized = isa<mlir::quant::QuantizedType>(at.getElementType());
  FailureOr<IntContraction> ic = IntContraction{};
  if (quantized) {
    if (op.getAlpha().convertToDouble() != 1.0 || op.getBeta().convertToDouble() != 1.0)
      return op.emitError("integer gemm needs alpha = beta = 1"), failure();
    if (failed(ic = intContraction(op, op.getA(), op.getB(), N)))
      return failure();
  }
  ChannelParam zw(b, loc, quantized ? ArrayRef<int32_t>(ic->zw) : ArrayRef<int32_t>{0});
  ChannelParam mult(b, loc, quantized ? ArrayRef<int32_t>(ic->multipliers) : ArrayRef<int32_t>{0});
  ChannelParam shift(b, loc, quantized ? ArrayRef<int32_t>(ic->shifts) : ArrayRef<int32_t>{0});
  Value A = in[0], B = in[1], C = op.getC() ? in[2] : Value();
  SmallVector<int64_t> cShape;
  if (C)
    cShape.assign(cast<RankedTensorType>(C.getType()).getShape().begin(),
                  cast<RankedTensorType>(C.getType()).getShape().end());
  float alpha = op.getAlpha().convertToFloat(), beta = op.getBeta().convertToFloat();
  return buildGeneric(
      b, loc, storageTensorType(yt), {}, {},
      [&](OpBuilder &nb, Location nloc, ValueRange idx, ValueRange) -> Value {
        Body body{nb, nloc};
        Value i = idx[0], j = idx[1];
        Value zwj = quantized ? zw.at(body, j) : Value();
        Value acc = reduce(nb, nloc, {K}, quantized ? body.i32(0) : body.f32(0.0),
                           [&](OpBuilder &lb, Location lloc, ValueRange ivs, Value a) -> Value {
          Body l{lb, lloc};
          Value k = ivs[0];
          Value av = l.extract(A, transA ? ValueRange{k, i} : ValueRange{i, k});
          Value bv = l.extract(B, transB ? ValueRange{j, k} : ValueRange{k, j});
          if (quantized)
            return l.add(a, l.mul(l.sub(l.toI32(av, ic->xSigned), l.i32(ic->zx)),
                                  l.sub(l.toI32(bv, ic->wSigned), zwj)));
          return l.add(a, l.mul(l.toF32(av), l.toF32(bv)));
        });
        Value cv;
        if (C)
          cv = body.extract(C, broadcastIndex(body, cShape, yt.getShape(), idx));
        if (quantized) {
          if (cv)
            acc = body.add(body.toI32(cv, true), acc);
          return body.requantize(acc, mult.at(body, j), shift.at(body, j), ic->out);
        }
        if (alpha != 1.0f)
          acc = body.mul(body.f32(alpha), acc);
        if (cv) {
          Value c = body.toF32(cv);
          acc = body.add(acc, beta != 1.0f ? body.mul(body.f32(beta), c) : c);
        }
        return body.fromF32(floatActivation(body, op, acc), yt.getElementType());
      });
}

FailureOr<Value> lowerMatMul(OpBuilder &b, qnn::MatMulOp op, Operands in) {
  Location loc = op.getLoc();
  auto at = cast<RankedTensorType>(op.getLhs().getType());
  auto bt = cast<RankedTensorType>(op.getRhs().getType());
  auto yt = cast<RankedTensorType>(op.getResult().getType());
  if (at.getRank() < 2 || bt.getRank() < 2)
    return op.emitError("matmul lowering: 1-D operands are not supported yet; reshape them"),
           failure();
  int64_t K = at.getShape().back(), N = yt.getShape().back(), R = yt.getRank();
  bool quantized = isa<mlir::quant::QuantizedType>(at.getElementType());
  FailureOr<IntContraction> ic = IntContraction{};
  if (quantized && failed(ic = intContraction(op, op.getLhs(), op.getRhs(), N)))
    return failure();
  ChannelParam zw(b, loc, quantized ? ArrayRef<int32_t>(ic->zw) : ArrayRef<int32_t>{0});
  ChannelParam mult(b, loc, quantized ? ArrayRef<int32_t>(ic->multipliers) : ArrayRef<int32_t>{0});
  ChannelParam shift(b, loc, quantized ? ArrayRef<int32_t>(ic->shifts) : ArrayRef<int32_t>{0});
  Value A = in[0], B = in[1];
  SmallVector<int64_t> aBatch(at.getShape().drop_back(2)), bBatch(bt.getShape().drop_back(2));
  SmallVector<int64_t> yBatch(yt.getShape().drop_back(2));
  return buildGeneric(
      b, loc, storageTensorType(yt), {}, {},
      [&](OpBuilder &nb, Location nloc, ValueRange idx, ValueRange) -> Value {
        Body body{nb, nloc};
        Value i = idx[R - 2], j = idx[R - 1];
        SmallVector<Value> aIdx = broadcastIndex(body, aBatch, yBatch, idx.take_front(R - 2));
        SmallVector<Value> bIdx = broadcastIndex(body, bBatch, yBatch, idx.take_front(R - 2));
        Value zwj = quantized ? zw.at(body, j) : Value();
        Value acc = reduce(nb, nloc, {K}, quantized ? body.i32(0) : body.f32(0.0),
                           [&](OpBuilder &lb, Location lloc, ValueRange ivs, Value a) -> Value {
          Body l{lb, lloc};
          SmallVector<Value> ai(aIdx), bi(bIdx);
          ai.append({i, ivs[0]});
          bi.append({ivs[0], j});
          Value av = l.extract(A, ai), bv = l.extract(B, bi);
          if (quantized)
            return l.add(a, l.mul(l.sub(l.toI32(av, ic->xSigned), l.i32(ic->zx)),
                                  l.sub(l.toI32(bv, ic->wSigned), zwj)));
          return l.add(a, l.mul(l.toF32(av), l.toF32(bv)));
        });
        if (quantized)
          return body.requantize(acc, mult.at(body, j), shift.at(body, j), ic->out);
        return body.fromF32(acc, yt.getElementType());
      });
}

} // namespace

FailureOr<Value> qopt::lowering::lowerLinear(OpBuilder &b, Operation *op, Operands in) {
  return llvm::TypeSwitch<Operation *, FailureOr<Value>>(op)
      .Case([&](qnn::ConvOp o) { return lowerConv(b, o, in); })
      .Case([&](qnn::ConvTransposeOp o) { return lowerConvTranspose(b, o, in); })
      .Case([&](qnn::GemmOp o) { return lowerGemm(b, o, in); })
      .Case([&](qnn::MatMulOp o) { return lowerMatMul(b, o, in); })
      .Default([](Operation *o) -> FailureOr<Value> {
        return o->emitError("no linear lowering"), failure();
      });
}
