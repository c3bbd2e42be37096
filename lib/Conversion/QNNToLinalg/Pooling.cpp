//===- Pooling.cpp - pools to linalg ----------------------------*- C++ -*-===//
//
// Windows skip taps outside the input (no padded copy). Integer average
// pools sum q - z_x in i32 and requantize with s_x / (s_y count), the
// multiplier picked from a compile-time table by the window's count, so the
// result equals the reference's intAvgPool/intGlobalAvgPool bit for bit.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"
#include "qopt/Dialect/QNN/QNNOps.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "llvm/ADT/TypeSwitch.h"

#include <limits>

using namespace mlir;
using namespace qopt;
using namespace qopt::lowering;

namespace {

int64_t floorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
int64_t ceilDiv(int64_t a, int64_t b) { return -floorDiv(-a, b); }

struct Window {
  SmallVector<int64_t> kernel, strides, dilations, pads;
  bool countIncludePad = false;
  bool global = false;
};

template <typename PoolOp> Window windowOf(PoolOp op) {
  Window w;
  w.kernel.assign(op.getKernelShape().begin(), op.getKernelShape().end());
  w.strides.assign(op.getStrides().begin(), op.getStrides().end());
  w.dilations.assign(op.getDilations().begin(), op.getDilations().end());
  w.pads.assign(op.getPads().begin(), op.getPads().end());
  return w;
}

/// Builds the loop over a window; `step` sees the input index (clamped into
/// the tensor) and whether the tap is inside.
Value windowLoop(OpBuilder &b, Location loc, const Window &w, ArrayRef<int64_t> inSpatial,
                 ValueRange outIdx, Value init,
                 function_ref<Value(Body &, SmallVector<Value> &, Value inside, Value acc)> step) {
  int64_t sp = inSpatial.size();
  SmallVector<int64_t> bounds;
  for (int64_t i = 0; i < sp; ++i)
    bounds.push_back(w.global ? inSpatial[i] : w.kernel[i]);
  return loopNest(b, loc, bounds, init,
                  [&](OpBuilder &nb, Location nloc, ValueRange ivs, Value acc) -> Value {
    Body l{nb, nloc};
    SmallVector<Value> xIdx{outIdx[0], outIdx[1]};
    Value inside = arith::ConstantIntOp::create(nb, nloc, nb.getI1Type(), 1);
    for (int64_t i = 0; i < sp; ++i) {
      if (w.global) {
        xIdx.push_back(ivs[i]);
        continue;
      }
      Value pos = arith::AddIOp::create(
          nb, nloc, arith::MulIOp::create(nb, nloc, outIdx[2 + i], l.idx(w.strides[i])),
          arith::MulIOp::create(nb, nloc, ivs[i], l.idx(w.dilations[i])));
      pos = arith::SubIOp::create(nb, nloc, pos, l.idx(w.pads[i]));
      Value ge = l.cmpi(arith::CmpIPredicate::sge, pos, l.idx(0));
      Value lt = l.cmpi(arith::CmpIPredicate::slt, pos, l.idx(inSpatial[i]));
      inside = l.andi(inside, l.andi(ge, lt));
      xIdx.push_back(pos);
    }
    for (int64_t i = 0; i < sp; ++i)
      xIdx[2 + i] = l.select(inside, xIdx[2 + i], l.idx(0));
    return step(l, xIdx, inside, acc);
  });
}

FailureOr<Value> lowerMax(OpBuilder &b, Operation *op, const Window &w, Value x) {
  Location loc = op->getLoc();
  auto xt = cast<RankedTensorType>(op->getOperand(0).getType());
  auto yt = cast<RankedTensorType>(op->getResult(0).getType());
  SmallVector<int64_t> inSpatial(xt.getShape().drop_front(2));
  auto xi = elementInfo(op, op->getOperand(0));
  if (failed(xi))
    return failure();
  auto settle = settleFn(op, op->getOperand(0));
  if (failed(settle))
    return failure();
  bool isInt = isa<IntegerType>(xi->storage);
  return buildGeneric(
      b, loc, storageTensorType(yt), {}, {},
      [&](OpBuilder &nb, Location nloc, ValueRange idx, ValueRange) -> Value {
        Body body{nb, nloc};
        Value init = isInt ? body.i32(std::numeric_limits<int32_t>::min())
                           : body.floatConst(xi->storage, -INFINITY);
        Value m = windowLoop(nb, nloc, w, inSpatial, idx, init,
                             [&](Body &l, SmallVector<Value> &xIdx, Value inside, Value acc) {
          Value v = l.extract(x, xIdx);
          if (isInt) {
            Value vi = l.toI32(v, xi->isSigned);
            return l.select(inside, arith::MaxSIOp::create(l.b, l.loc, acc, vi), acc);
          }
          Value gt = arith::CmpFOp::create(l.b, l.loc, arith::CmpFPredicate::OGT, v, acc);
          Value take = l.andi(inside, gt);
          return l.select(take, v, acc);
        });
        if (!isInt)
          return m;
        Value stored = arith::TruncIOp::create(nb, nloc, xi->storage, m);
        return (*settle)(body, stored);
      });
}

FailureOr<Value> lowerAvg(OpBuilder &b, Operation *op, const Window &w, Value x) {
  Location loc = op->getLoc();
  auto xt = cast<RankedTensorType>(op->getOperand(0).getType());
  auto yt = cast<RankedTensorType>(op->getResult(0).getType());
  SmallVector<int64_t> inSpatial(xt.getShape().drop_front(2));
  SmallVector<int64_t> outSpatial(yt.getShape().drop_front(2));
  int64_t sp = inSpatial.size();
  auto xi = elementInfo(op, op->getOperand(0));
  if (failed(xi))
    return failure();
  bool quantized = xi->quantized;

  // Per spatial dim and output coordinate: taps inside the input and taps
  // inside the padded bounds (the reference's DimTaps).
  SmallVector<Value> countTables;
  int64_t window = 1;
  if (!w.global) {
    for (int64_t i = 0; i < sp; ++i) {
      SmallVector<int32_t> counts;
      int64_t k = w.kernel[i], s = w.strides[i], d = w.dilations[i];
      int64_t pb = w.pads[i], pe = w.pads[sp + i], in = inSpatial[i];
      for (int64_t o = 0; o < outSpatial[i]; ++o) {
        int64_t start = o * s - pb;
        int64_t lo = std::max<int64_t>(0, ceilDiv(-start, d));
        int64_t hi = std::max(lo, std::min<int64_t>(k, floorDiv(in - 1 - start, d) + 1));
        int64_t plo = std::max<int64_t>(0, ceilDiv(-pb - start, d));
        int64_t phi = std::min<int64_t>(k, floorDiv(in + pe - 1 - start, d) + 1);
        counts.push_back(w.countIncludePad ? std::max<int64_t>(0, phi - plo) : hi - lo);
      }
      countTables.push_back(i32Tensor(b, loc, counts));
      window *= k;
    }
  } else {
    for (int64_t d : inSpatial)
      window *= d;
  }
  if (window > (int64_t(1) << 23))
    return op->emitError("integer average pools above 2^23 taps can overflow int32"), failure();

  Requant out;
  Value multTable, shiftTable;
  int32_t zx = 0;
  if (quantized) {
    auto r = outputOf(op);
    auto yp = ref::quantParamsOf(getElementTypeOrSelf(yt));
    if (failed(r) || !yp) {
      if (!yp)
        op->emitError() << llvm::toString(yp.takeError());
      return failure();
    }
    out = *r;
    zx = xi->params.zeroPoint();
    SmallVector<int32_t> mults, shifts;
    if (w.global) {
      // The reference's expression for global pools: s_x / (s_y * size).
      auto s = qopt::quant::computeFixedPointScale(
          xi->params.scale() / (yp->scale() * (double)std::max<int64_t>(window, 1)));
      if (!s)
        return op->emitError() << llvm::toString(s.takeError()), failure();
      out.scale = *s;
    } else {
      double ratio = xi->params.scale() / yp->scale();
      for (int64_t c = 0; c <= window; ++c) {
        auto s = qopt::quant::computeFixedPointScale(ratio / (double)std::max<int64_t>(c, 1));
        if (!s)
          return op->emitError() << llvm::toString(s.takeError()), failure();
        mults.push_back(s->multiplier);
        shifts.push_back(s->shift);
      }
      multTable = i32Tensor(b, loc, mults);
      shiftTable = i32Tensor(b, loc, shifts);
    }
  }

  if (w.global) {
    // A global pool is a row reduction over each plane, split into lanes
    // (qopt/Quant/RowReduction.h): an SE block's pool over 112 x 112 at
    // batch 1 would otherwise be a few dozen threads of 12,544 dependent
    // loads each. The integer sum is exact in any order; the float one adds
    // in the reference's lanes.
    SmallVector<bool> plane(xt.getRank(), true);
    plane[0] = plane[1] = false;
    return rowStatistic(
        b, loc, x, plane, 0.0,
        [&](Body &l, Value v, Value acc, Value) {
          return l.add(acc, quantized ? l.sub(l.toI32(v, xi->isSigned), l.i32(zx)) : v);
        },
        [](Body &l, Value a, Value c) { return l.add(a, c); },
        [&](Body &l, Value sum, Value) -> Value {
          if (quantized)
            return l.requantize(sum, out);
          // An empty plane averages to 0 / 0 = NaN, as in the reference.
          return l.fromF32(arith::DivFOp::create(l.b, l.loc, sum, l.f32((double)window)),
                           yt.getElementType());
        },
        Value(), storageTensorType(yt), quantized ? Type(b.getI32Type()) : Type(b.getF32Type()));
  }
  return buildGeneric(
      b, loc, storageTensorType(yt), {}, {},
      [&](OpBuilder &nb, Location nloc, ValueRange idx, ValueRange) -> Value {
        Body body{nb, nloc};
        Value init = quantized ? body.i32(0) : body.f32(0.0);
        Value sum = windowLoop(nb, nloc, w, inSpatial, idx, init,
                               [&](Body &l, SmallVector<Value> &xIdx, Value inside, Value acc) {
          Value v = l.extract(x, xIdx);
          Value c = quantized ? l.sub(l.toI32(v, xi->isSigned), l.i32(zx)) : l.toF32(v);
          return l.add(acc, l.select(inside, c, quantized ? l.i32(0) : l.f32(0.0)));
        });
        Value count = body.i32(1);
        for (int64_t i = 0; i < sp; ++i)
          count = body.mul(count, body.extract(countTables[i], {idx[2 + i]}));
        if (quantized) {
          Value ci = arith::IndexCastOp::create(nb, nloc, nb.getIndexType(), count);
          return body.requantize(sum, body.extract(multTable, {ci}),
                                 body.extract(shiftTable, {ci}), out);
        }
        Value one = body.i32(1);
        count = arith::MaxSIOp::create(nb, nloc, count, one);
        Value cf = arith::SIToFPOp::create(nb, nloc, nb.getF32Type(), count);
        Value avg = arith::DivFOp::create(nb, nloc, sum, cf);
        return body.fromF32(avg, yt.getElementType());
      });
}

/// MaxPool's Indices (qnn.max_pool_indices): per window, the maximum as
/// lowerMax computes it, then a second pass for the first tap equal to it.
/// The second pass carries one i64, 2 * position + (tap equals the maximum):
/// the first inside tap sets it, the first equal tap replaces it once; so a
/// window without a number above -inf (all NaN) reports its first tap, as
/// the reference does.
FailureOr<Value> lowerMaxIndices(OpBuilder &b, qnn::MaxPoolIndicesOp op, const Window &w,
                                 Value x) {
  Location loc = op.getLoc();
  auto xt = cast<RankedTensorType>(op.getInput().getType());
  SmallVector<int64_t> inSpatial(xt.getShape().drop_front(2));
  auto xi = elementInfo(op, op.getInput());
  if (failed(xi))
    return failure();
  bool isInt = isa<IntegerType>(xi->storage), columnMajor = op.getColumnMajor();
  int64_t sp = inSpatial.size(), inPlane = 1;
  for (int64_t d : inSpatial)
    inPlane *= d;
  int64_t channels = xt.getDimSize(1);
  return buildGeneric(
      b, loc, cast<RankedTensorType>(op.getResult().getType()), {}, {},
      [&](OpBuilder &nb, Location nloc, ValueRange idx, ValueRange) -> Value {
        Body body{nb, nloc};
        auto widen = [&](Body &l, Value v) { return isInt ? l.toI32(v, xi->isSigned) : v; };
        Value init = isInt ? body.i32(std::numeric_limits<int32_t>::min())
                           : body.floatConst(xi->storage, -INFINITY);
        Value m = windowLoop(nb, nloc, w, inSpatial, idx, init,
                             [&](Body &l, SmallVector<Value> &xIdx, Value inside, Value acc) {
          Value v = widen(l, l.extract(x, xIdx));
          Value gt = isInt ? l.cmpi(arith::CmpIPredicate::sgt, v, acc)
                           : arith::CmpFOp::create(l.b, l.loc, arith::CmpFPredicate::OGT, v, acc)
                                 .getResult();
          return l.select(l.andi(inside, gt), v, acc);
        });
        Type i64 = nb.getI64Type();
        Value code = windowLoop(
            nb, nloc, w, inSpatial, idx, body.intConst(i64, -1),
            [&](Body &l, SmallVector<Value> &xIdx, Value inside, Value acc) {
              Value v = widen(l, l.extract(x, xIdx));
              Value same = isInt ? l.cmpi(arith::CmpIPredicate::eq, v, m)
                                 : arith::CmpFOp::create(l.b, l.loc, arith::CmpFPredicate::OEQ,
                                                         v, m)
                                       .getResult();
              // The tap's position in its plane, row-major or first dim fastest.
              Value pos = l.idx(0);
              for (int64_t k = 0; k < sp; ++k) {
                int64_t d = columnMajor ? sp - 1 - k : k;
                pos = l.add(l.mul(pos, l.idx(inSpatial[d])), xIdx[2 + d]);
              }
              Value plane = l.add(l.mul(idx[0], l.idx(channels)), idx[1]);
              Value flat = arith::IndexCastOp::create(
                  l.b, l.loc, i64, l.add(l.mul(plane, l.idx(inPlane)), pos));
              Value bit = arith::ExtUIOp::create(l.b, l.loc, i64, same);
              Value next = l.add(l.mul(flat, l.intConst(i64, 2)), bit);
              Value none = l.cmpi(arith::CmpIPredicate::slt, acc, l.intConst(i64, 0));
              Value notYet = l.cmpi(arith::CmpIPredicate::eq,
                                    arith::AndIOp::create(l.b, l.loc, acc, l.intConst(i64, 1)),
                                    l.intConst(i64, 0));
              Value take = l.andi(inside, arith::OrIOp::create(l.b, l.loc, none,
                                                               l.andi(notYet, same)));
              return l.select(take, next, acc);
            });
        return arith::ShRSIOp::create(nb, nloc, code, body.intConst(i64, 1)).getResult();
      });
}

/// ONNX MaxUnpool as a gather: an output element can only have been written
/// by the inputs whose MaxPool window covers it (ceil(k / s) per spatial
/// dim), and only when their index names it; among those the last in
/// row-major order wins, as in the reference's scatter. That holds when the
/// indices are a qnn.max_pool_indices over the same windows (dilation 1,
/// row-major) of a tensor of the result's shape, which is how models use
/// MaxUnpool; any other indices are refused.
FailureOr<Value> lowerMaxUnpool(OpBuilder &b, qnn::MaxUnpoolOp op, Operands in) {
  auto pool = op.getIndices().getDefiningOp<qnn::MaxPoolIndicesOp>();
  auto yt = cast<RankedTensorType>(op.getResult().getType());
  bool matches = pool && !pool.getColumnMajor() &&
                 pool.getKernelShape() == op.getKernelShape() &&
                 pool.getStrides() == op.getStrides() && pool.getPads() == op.getPads() &&
                 llvm::all_of(pool.getDilations(), [](int64_t d) { return d == 1; }) &&
                 cast<RankedTensorType>(pool.getInput().getType()).getShape() == yt.getShape();
  if (!matches)
    return op.emitError("unsupported on the GPU path: max_unpool whose indices are not the "
                        "max_pool_indices of the same windows over a tensor of the result's "
                        "shape"),
           failure();
  auto xt = cast<RankedTensorType>(op.getInput().getType());
  int64_t sp = xt.getRank() - 2;
  ArrayRef<int64_t> kernel = op.getKernelShape(), strides = op.getStrides(),
                    pads = op.getPads();
  SmallVector<int64_t> span, outSpatial(yt.getShape().drop_front(2));
  for (int64_t i = 0; i < sp; ++i)
    span.push_back((kernel[i] + strides[i] - 1) / strides[i]);
  int64_t channels = yt.getDimSize(1);
  Value x = in[0], indices = in[1];
  Type elt = storageTensorType(yt).getElementType();
  return buildGeneric(
      b, op.getLoc(), storageTensorType(yt), {}, {},
      [&](OpBuilder &nb, Location nloc, ValueRange idx, ValueRange) -> Value {
        Body body{nb, nloc};
        Value zero = isa<FloatType>(elt) ? body.floatConst(elt, 0.0) : body.intConst(elt, 0);
        // This element's flattened position, as the indices spell it.
        Value pos = body.add(body.mul(idx[0], body.idx(channels)), idx[1]);
        SmallVector<Value> last;
        for (int64_t i = 0; i < sp; ++i) {
          pos = body.add(body.mul(pos, body.idx(outSpatial[i])), idx[2 + i]);
          // The last window start at or before o + pad_begin.
          last.push_back(arith::DivSIOp::create(nb, nloc, body.add(idx[2 + i], body.idx(pads[i])),
                                                body.idx(strides[i])));
        }
        Value flat = arith::IndexCastOp::create(nb, nloc, nb.getI64Type(), pos);
        return loopNest(nb, nloc, span, zero,
                        [&](OpBuilder &lb, Location lloc, ValueRange ivs, Value acc) {
          Body l{lb, lloc};
          SmallVector<Value> at{idx[0], idx[1]};
          Value valid;
          for (int64_t i = 0; i < sp; ++i) {
            // Window starts in increasing order: last - (span - 1) + j.
            Value w = l.add(l.sub(last[i], l.idx(span[i] - 1)), ivs[i]);
            Value start = l.sub(l.mul(w, l.idx(strides[i])), l.idx(pads[i]));
            using I = arith::CmpIPredicate;
            Value ok = l.andi(
                l.andi(l.cmpi(I::sge, w, l.idx(0)), l.cmpi(I::slt, w, l.idx(xt.getDimSize(2 + i)))),
                l.cmpi(I::sgt, l.add(start, l.idx(kernel[i])), idx[2 + i]));
            valid = valid ? l.andi(valid, ok) : ok;
            at.push_back(arith::MinSIOp::create(
                lb, lloc, arith::MaxSIOp::create(lb, lloc, w, l.idx(0)).getResult(),
                l.idx(xt.getDimSize(2 + i) - 1)));
          }
          Value hit = l.andi(valid, l.cmpi(arith::CmpIPredicate::eq, l.extract(indices, at), flat));
          return l.select(hit, l.extract(x, at), acc);
        });
      });
}

} // namespace

FailureOr<Value> qopt::lowering::lowerPooling(OpBuilder &b, Operation *op, Operands in) {
  if (auto it = dyn_cast<IntegerType>(getElementTypeOrSelf(op->getOperand(0).getType()));
      it && !it.isSignless())
    return op->emitError() << "unsupported on the GPU path: pooling of " << it
                           << " (signless integers only)",
           failure();
  return llvm::TypeSwitch<Operation *, FailureOr<Value>>(op)
      .Case([&](qnn::MaxPoolOp o) { return lowerMax(b, o, windowOf(o), in[0]); })
      .Case([&](qnn::MaxPoolIndicesOp o) { return lowerMaxIndices(b, o, windowOf(o), in[0]); })
      .Case([&](qnn::MaxUnpoolOp o) { return lowerMaxUnpool(b, o, in); })
      .Case([&](qnn::AvgPoolOp o) {
        Window w = windowOf(o);
        w.countIncludePad = o.getCountIncludePad();
        return lowerAvg(b, o, w, in[0]);
      })
      .Case([&](qnn::GlobalAvgPoolOp o) {
        Window w;
        w.global = true;
        return lowerAvg(b, o, w, in[0]);
      })
      .Case([&](qnn::GlobalMaxPoolOp o) {
        Window w;
        w.global = true;
        return lowerMax(b, o, w, in[0]);
      })
      .Default([](Operation *o) -> FailureOr<Value> {
        return o->emitError("no pooling lowering"), failure();
      });
}
