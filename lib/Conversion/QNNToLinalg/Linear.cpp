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

/// The three per-channel parameters of a contraction (float ones have none).
struct ChannelParams {
  ChannelParam zw, mult, shift;
  ChannelParams(OpBuilder &b, Location loc, const IntContraction *ic)
      : zw(b, loc, ic ? ArrayRef<int32_t>(ic->zw) : ArrayRef<int32_t>{0}),
        mult(b, loc, ic ? ArrayRef<int32_t>(ic->multipliers) : ArrayRef<int32_t>{0}),
        shift(b, loc, ic ? ArrayRef<int32_t>(ic->shifts) : ArrayRef<int32_t>{0}) {}
};

/// The accumulator before the taps: the bias of channel m, or 0.
Value initAccumulator(Body &body, Value bias, Value m, bool quantized) {
  if (bias)
    return quantized ? body.toI32(body.extract(bias, {m}), true)
                     : body.toF32(body.extract(bias, {m}));
  return quantized ? body.i32(0) : body.f32(0.0);
}

/// One tap of a convolution: acc + (x - z_x)(w - z_w) in i32, or x * w in
/// f32; a tap outside the input (`inside` false) adds the real 0.
Value accumulateTap(Body &l, Value acc, Value xv, Value wv, Value inside,
                    const IntContraction *ic, Value zwm) {
  if (ic) {
    Value xc = l.select(inside, l.sub(l.toI32(xv, ic->xSigned), l.i32(ic->zx)), l.i32(0));
    Value wc = l.sub(l.toI32(wv, ic->wSigned), zwm);
    return l.add(acc, l.mul(xc, wc));
  }
  Value xf = l.select(inside, l.toF32(xv), l.f32(0.0));
  return l.add(acc, l.mul(xf, l.toF32(wv)));
}

/// One K step of a matrix product (no padding).
Value accumulateProduct(Body &l, Value acc, Value av, Value bv, const IntContraction *ic,
                        Value zwj) {
  if (ic)
    return l.add(acc, l.mul(l.sub(l.toI32(av, ic->xSigned), l.i32(ic->zx)),
                            l.sub(l.toI32(bv, ic->wSigned), zwj)));
  return l.add(acc, l.mul(l.toF32(av), l.toF32(bv)));
}

/// The geometry of a conv or conv_transpose, validated: 1 to 3 spatial
/// dims, one stride and dilation per dim, begin and end pads.
struct ConvShape {
  RankedTensorType xt, wt, yt;
  int64_t sp = 0;
  SmallVector<int64_t> kernel, strides, dil, pads, inSpatial;
};

template <typename ConvLike>
FailureOr<ConvShape> convShape(ConvLike op, StringRef what) {
  ConvShape c;
  c.xt = cast<RankedTensorType>(op.getInput().getType());
  c.wt = cast<RankedTensorType>(op.getWeight().getType());
  c.yt = cast<RankedTensorType>(op.getResult().getType());
  c.sp = c.xt.getRank() - 2;
  if (c.sp < 1 || c.sp > 3 || (int64_t)op.getStrides().size() != c.sp ||
      (int64_t)op.getDilations().size() != c.sp || (int64_t)op.getPads().size() != 2 * c.sp)
    return op.emitError() << what << " lowering: unsupported geometry", failure();
  c.kernel.assign(c.wt.getShape().begin() + 2, c.wt.getShape().end());
  c.strides.assign(op.getStrides().begin(), op.getStrides().end());
  c.dil.assign(op.getDilations().begin(), op.getDilations().end());
  c.pads.assign(op.getPads().begin(), op.getPads().end());
  c.inSpatial.assign(c.xt.getShape().begin() + 2, c.xt.getShape().end());
  return c;
}

FailureOr<Value> lowerConv(OpBuilder &b, qnn::ConvOp op, Operands in) {
  Location loc = op.getLoc();
  FailureOr<ConvShape> shape = convShape(op, "conv");
  if (failed(shape))
    return failure();
  const ConvShape &cs = *shape;
  RankedTensorType xt = cs.xt, wt = cs.wt, yt = cs.yt;
  int64_t sp = cs.sp;
  const SmallVector<int64_t> &kernel = cs.kernel, &strides = cs.strides, &dil = cs.dil,
                             &pads = cs.pads, &inSpatial = cs.inSpatial;
  int64_t groups = op.getGroup();
  int64_t cg = wt.getDimSize(1), mg = yt.getDimSize(1) / groups;
  bool quantized = isa<mlir::quant::QuantizedType>(xt.getElementType());
  if (quantized && op.getResidual())
    return op.emitError("integer conv with a fused residual has no integer form"), failure();

  FailureOr<IntContraction> ic = IntContraction{};
  if (quantized && failed(ic = intContraction(op, op.getInput(), op.getWeight(), yt.getDimSize(1))))
    return failure();
  const IntContraction *icp = quantized ? &*ic : nullptr;
  ChannelParams cp(b, loc, icp);
  ChannelParam &zw = cp.zw, &mult = cp.mult, &shift = cp.shift;
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
        Value init = initAccumulator(body, bias, m, quantized);
        Value zwm = quantized ? zw.at(body, m) : Value();
        Value acc = loopNest(nb, nloc, bounds, init,
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
          return accumulateTap(l, a, l.extract(x, xIdx), l.extract(w, wIdx), inside, icp, zwm);
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
  FailureOr<ConvShape> shape = convShape(op, "conv_transpose");
  if (failed(shape))
    return failure();
  const ConvShape &cs = *shape;
  RankedTensorType xt = cs.xt, wt = cs.wt, yt = cs.yt;
  int64_t sp = cs.sp;
  const SmallVector<int64_t> &kernel = cs.kernel, &strides = cs.strides, &dil = cs.dil,
                             &pads = cs.pads, &inSpatial = cs.inSpatial;
  int64_t groups = op.getGroup();
  int64_t mg = wt.getDimSize(1), cg = xt.getDimSize(1) / groups;
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
  const IntContraction *icp = quantized ? &*ic : nullptr;
  ChannelParams cp(b, loc, icp);
  ChannelParam &zw = cp.zw, &mult = cp.mult, &shift = cp.shift;
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
        Value init = initAccumulator(body, bias, m, quantized);
        Value zwm = quantized ? zw.at(body, m) : Value();
        Value acc = loopNest(nb, nloc, bounds, init,
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
          return accumulateTap(l, a, l.extract(x, xIdx), l.extract(w, wIdx), inside, icp, zwm);
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
  const IntContraction *icp = quantized ? &*ic : nullptr;
  ChannelParams cp(b, loc, icp);
  ChannelParam &zw = cp.zw, &mult = cp.mult, &shift = cp.shift;
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
        Value acc = loopNest(nb, nloc, {K}, quantized ? body.i32(0) : body.f32(0.0),
                           [&](OpBuilder &lb, Location lloc, ValueRange ivs, Value a) -> Value {
          Body l{lb, lloc};
          Value k = ivs[0];
          Value av = l.extract(A, transA ? ValueRange{k, i} : ValueRange{i, k});
          Value bv = l.extract(B, transB ? ValueRange{j, k} : ValueRange{k, j});
          return accumulateProduct(l, a, av, bv, icp, zwj);
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
  const IntContraction *icp = quantized ? &*ic : nullptr;
  ChannelParams cp(b, loc, icp);
  ChannelParam &zw = cp.zw, &mult = cp.mult, &shift = cp.shift;
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
        Value acc = loopNest(nb, nloc, {K}, quantized ? body.i32(0) : body.f32(0.0),
                           [&](OpBuilder &lb, Location lloc, ValueRange ivs, Value a) -> Value {
          Body l{lb, lloc};
          SmallVector<Value> ai(aIdx), bi(bIdx);
          ai.append({i, ivs[0]});
          bi.append({ivs[0], j});
          Value av = l.extract(A, ai), bv = l.extract(B, bi);
          return accumulateProduct(l, a, av, bv, icp, zwj);
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

FailureOr<IntContraction> qopt::lowering::intContraction(Operation *op, Value x, Value w,
                                                          int64_t channels) {
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
