//===- Reduction.cpp - reduce_* to linalg -----------------------*- C++ -*-===//
//
// Float reductions over any set of axes: each output element loops over the
// reduced coordinates in f32 (integer reductions have no quantized form: the
// quantization passes keep them float).
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"
#include "qopt/Dialect/QNN/QNNOps.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <cmath>

using namespace mlir;
using namespace qopt;
using namespace qopt::lowering;

namespace {

/// ArgMax / ArgMin along one axis: the first extreme index, or the last
/// with select_last_index, as i64.
template <typename OpT>
FailureOr<Value> lowerArgReduce(OpBuilder &b, OpT op, Operands in) {
  auto xt = cast<RankedTensorType>(op.getInput().getType());
  Type elt = xt.getElementType();
  if (!isa<FloatType>(elt) && !elt.isSignlessInteger())
    return op.emitError() << "unsupported on the GPU path: " << op->getName() << " of " << elt,
           failure();
  int64_t rank = xt.getRank();
  int64_t axis = qnn::resolveAxis(op.getAxis(), rank);
  int64_t n = xt.getDimSize(axis);
  bool keepdims = op.getKeepdims(), last = op.getSelectLastIndex();
  bool isMax = std::is_same_v<OpT, qnn::ArgMaxOp>;
  Value x = in[0];
  return buildGeneric(
      b, op.getLoc(), cast<RankedTensorType>(op.getResult().getType()), {}, {},
      [&](OpBuilder &nb, Location loc, ValueRange idx, ValueRange) -> Value {
        Body body{nb, loc};
        SmallVector<Value> at;
        for (int64_t d = 0, o = 0; d < rank; ++d) {
          if (d == axis) {
            at.push_back(body.idx(0));
            o += keepdims;
          } else {
            at.push_back(idx[o++]);
          }
        }
        Value first = body.extract(x, at);
        auto loop = scf::ForOp::create(nb, loc, body.idx(1), body.idx(std::max<int64_t>(n, 1)),
                                       body.idx(1), ValueRange{first, body.idx(0)});
        {
          OpBuilder lb = OpBuilder::atBlockBegin(loop.getBody());
          Body l{lb, loc};
          SmallVector<Value> here(at);
          here[axis] = loop.getInductionVar();
          Value v = l.extract(x, here), best = loop.getRegionIterArgs()[0];
          Value better;
          if (isa<FloatType>(elt)) {
            // NaN is the extreme value and the first NaN wins, as in the
            // reference (NumPy): an ordered compare alone never picks one.
            using F = arith::CmpFPredicate;
            F p = isMax ? (last ? F::OGE : F::OGT) : (last ? F::OLE : F::OLT);
            Value nanOverNumber =
                l.andi(arith::CmpFOp::create(lb, loc, F::UNO, v, v),
                       arith::CmpFOp::create(lb, loc, F::ORD, best, best));
            better = arith::OrIOp::create(lb, loc, arith::CmpFOp::create(lb, loc, p, v, best),
                                          nanOverNumber);
          } else {
            using I = arith::CmpIPredicate;
            I p = isMax ? (last ? I::sge : I::sgt) : (last ? I::sle : I::slt);
            better = l.cmpi(p, v, best);
          }
          scf::YieldOp::create(lb, loc,
                               ValueRange{l.select(better, v, best),
                                          l.select(better, loop.getInductionVar(),
                                                   loop.getRegionIterArgs()[1])});
        }
        return arith::IndexCastOp::create(nb, loc, nb.getI64Type(), loop.getResult(1));
      });
}

/// ONNX TopK's indices in two kernels: every element's rank along the axis
/// (how many elements come before it: larger first, or smaller first, ties
/// by the lower position, NaN above every number), then each output slot j
/// finds the element of rank j. The ranks are a permutation, so slot j
/// holds exactly the reference's j-th element of a stable sort. n^2
/// comparisons per line, spread over n threads.
FailureOr<Value> lowerTopK(OpBuilder &b, qnn::TopKOp op, Operands in) {
  auto xt = cast<RankedTensorType>(op.getInput().getType());
  Type elt = xt.getElementType();
  bool isSigned = true;
  if (auto q = dyn_cast<mlir::quant::QuantizedType>(elt)) {
    isSigned = q.isSigned();
    elt = q.getStorageType();
  } else if (isa<IntegerType>(elt) && !elt.isSignlessInteger()) {
    return op.emitError() << "unsupported on the GPU path: top_k of " << elt
                          << " (signless integers only)",
           failure();
  }
  if (!isa<FloatType>(elt) && !isa<IntegerType>(elt))
    return op.emitError() << "unsupported on the GPU path: top_k of " << elt, failure();
  int64_t rank = xt.getRank(), axis = qnn::resolveAxis(op.getAxis(), rank);
  int64_t n = xt.getDimSize(axis);
  bool largest = op.getLargest();
  Location loc = op.getLoc();
  Value x = in[0];
  // Whether element (a at pa) comes before element (c at pc).
  auto before = [&](Body &l, Value a, Value pa, Value c, Value pc) -> Value {
    OpBuilder &lb = l.b;
    Value first = largest ? a : c, second = largest ? c : a;
    Value above, same;
    if (isa<FloatType>(elt)) {
      using F = arith::CmpFPredicate;
      Value nanFirst = arith::CmpFOp::create(lb, l.loc, F::UNO, first, first);
      Value nanSecond = arith::CmpFOp::create(lb, l.loc, F::UNO, second, second);
      above = arith::OrIOp::create(
          lb, l.loc, arith::CmpFOp::create(lb, l.loc, F::OGT, first, second),
          l.andi(nanFirst, arith::XOrIOp::create(lb, l.loc, nanSecond, l.intConst(lb.getI1Type(), 1))));
      same = arith::OrIOp::create(lb, l.loc, arith::CmpFOp::create(lb, l.loc, F::OEQ, a, c),
                                  l.andi(nanFirst, nanSecond));
    } else {
      using I = arith::CmpIPredicate;
      above = l.cmpi(isSigned ? I::sgt : I::ugt, first, second);
      same = l.cmpi(I::eq, a, c);
    }
    Value earlier = l.cmpi(arith::CmpIPredicate::slt, pa, pc);
    return arith::OrIOp::create(lb, l.loc, above, l.andi(same, earlier)).getResult();
  };
  Value ranks = buildGeneric(
      b, loc, RankedTensorType::get(xt.getShape(), b.getI32Type()), {}, {},
      [&](OpBuilder &nb, Location nloc, ValueRange idx, ValueRange) -> Value {
        Body body{nb, nloc};
        Value v = body.extract(x, idx);
        return loopNest(nb, nloc, {n}, body.intConst(nb.getI32Type(), 0),
                        [&](OpBuilder &lb, Location lloc, ValueRange ivs, Value count) {
                          Body l{lb, lloc};
                          SmallVector<Value> at(idx);
                          at[axis] = ivs[0];
                          Value ahead = before(l, l.extract(x, at), ivs[0], v, idx[axis]);
                          return l.add(count, arith::ExtUIOp::create(lb, lloc, lb.getI32Type(),
                                                                     ahead)
                                                  .getResult());
                        });
      });
  return buildGeneric(
      b, loc, cast<RankedTensorType>(op.getResult().getType()), {}, {},
      [&](OpBuilder &nb, Location nloc, ValueRange idx, ValueRange) -> Value {
        Body body{nb, nloc};
        Value slot = arith::IndexCastOp::create(nb, nloc, nb.getI32Type(), idx[axis]);
        Value found = loopNest(nb, nloc, {n}, body.idx(0),
                               [&](OpBuilder &lb, Location lloc, ValueRange ivs, Value pos) {
                                 Body l{lb, lloc};
                                 SmallVector<Value> at(idx);
                                 at[axis] = ivs[0];
                                 Value hit = l.cmpi(arith::CmpIPredicate::eq,
                                                    l.extract(ranks, at), slot);
                                 return l.select(hit, ivs[0], pos);
                               });
        return arith::IndexCastOp::create(nb, nloc, nb.getI64Type(), found);
      });
}

/// ONNX CumSum: each element sums its prefix (or suffix, with reverse)
/// along the axis in the reference's order, in the element type (f16 and
/// bf16 in f32), so integers wrap as the reference's do.
FailureOr<Value> lowerCumSum(OpBuilder &b, qnn::CumSumOp op, Operands in) {
  auto xt = cast<RankedTensorType>(op.getInput().getType());
  Type elt = xt.getElementType();
  if (!isa<FloatType>(elt) && !elt.isSignlessInteger())
    return op.emitError() << "unsupported on the GPU path: cum_sum of " << elt, failure();
  int64_t axis = qnn::resolveAxis(op.getAxis(), xt.getRank());
  int64_t n = xt.getDimSize(axis);
  bool exclusive = op.getExclusive(), reverse = op.getReverse();
  bool widen = isa<FloatType>(elt) && elt.getIntOrFloatBitWidth() < 32;
  Value x = in[0];
  return buildGeneric(
      b, op.getLoc(), cast<RankedTensorType>(op.getResult().getType()), {}, {},
      [&](OpBuilder &nb, Location loc, ValueRange idx, ValueRange) -> Value {
        Body body{nb, loc};
        Value p = idx[axis];
        // Terms, in the reference's order: x[0..p] forward, x[n-1..p]
        // reversed; exclusive leaves x[p] out.
        Value count = reverse ? arith::SubIOp::create(nb, loc, body.idx(n), p).getResult()
                              : arith::AddIOp::create(nb, loc, p, body.idx(1)).getResult();
        if (exclusive)
          count = arith::SubIOp::create(nb, loc, count, body.idx(1));
        Type accType = widen ? nb.getF32Type() : elt;
        Value zero = isa<FloatType>(accType) ? body.floatConst(accType, 0.0)
                                             : body.intConst(accType, 0);
        auto loop = scf::ForOp::create(nb, loc, body.idx(0), count, body.idx(1), ValueRange{zero});
        {
          OpBuilder lb = OpBuilder::atBlockBegin(loop.getBody());
          Body l{lb, loc};
          Value s = loop.getInductionVar();
          SmallVector<Value> at(idx);
          at[axis] = reverse ? arith::SubIOp::create(lb, loc, l.idx(n - 1), s).getResult() : s;
          Value v = l.extract(x, at);
          scf::YieldOp::create(lb, loc,
                               ValueRange{l.add(loop.getRegionIterArgs()[0], widen ? l.toF32(v) : v)});
        }
        Value r = loop.getResult(0);
        return widen ? body.fromF32(r, elt) : r;
      });
}

} // namespace

FailureOr<Value> qopt::lowering::lowerReduction(OpBuilder &b, Operation *op, Operands in) {
  if (auto c = dyn_cast<qnn::CumSumOp>(op))
    return lowerCumSum(b, c, in);
  if (auto t = dyn_cast<qnn::TopKOp>(op))
    return lowerTopK(b, t, in);
  if (auto a = dyn_cast<qnn::ArgMaxOp>(op))
    return lowerArgReduce(b, a, in);
  if (auto a = dyn_cast<qnn::ArgMinOp>(op))
    return lowerArgReduce(b, a, in);
  auto xt = cast<RankedTensorType>(op->getOperand(0).getType());
  auto yt = cast<RankedTensorType>(op->getResult(0).getType());
  if (!isa<FloatType>(xt.getElementType()))
    return op->emitError("unsupported on the GPU path: integer reductions (only float)"),
           failure();
  auto axesAttr = op->getAttrOfType<DenseI64ArrayAttr>("axes");
  bool keepdims = op->getAttrOfType<BoolAttr>("keepdims").getValue();
  int64_t rank = xt.getRank();
  SmallVector<bool> reduced(rank, axesAttr.empty());
  for (int64_t a : axesAttr.asArrayRef()) {
    int64_t ax = a < 0 ? a + rank : a;
    if (ax < 0 || ax >= rank)
      return op->emitError() << "axis " << a << " out of range", failure();
    reduced[ax] = true;
  }
  SmallVector<int64_t> bounds;
  int64_t count = 1;
  for (int64_t d = 0; d < rank; ++d)
    if (reduced[d]) {
      bounds.push_back(xt.getDimSize(d));
      count *= xt.getDimSize(d);
    }
  enum class Kind { Sum, Mean, Max, Min, Prod } kind = isa<qnn::ReduceMeanOp>(op)  ? Kind::Mean
                                                     : isa<qnn::ReduceSumOp>(op)  ? Kind::Sum
                                                     : isa<qnn::ReduceMaxOp>(op)  ? Kind::Max
                                                     : isa<qnn::ReduceProdOp>(op) ? Kind::Prod
                                                                                  : Kind::Min;
  Value x = in[0];
  Type outElt = yt.getElementType();
  return buildGeneric(
      b, op->getLoc(), yt, {}, {},
      [&](OpBuilder &nb, Location loc, ValueRange idx, ValueRange) -> Value {
        Body body{nb, loc};
        double initValue = kind == Kind::Max    ? -INFINITY
                           : kind == Kind::Min  ? INFINITY
                           : kind == Kind::Prod ? 1.0
                                                : 0.0;
        Value r = loopNest(
            nb, loc, bounds, body.f32(initValue),
            [&](OpBuilder &lb, Location lloc, ValueRange ivs, Value acc) -> Value {
              Body l{lb, lloc};
              SmallVector<Value> at;
              size_t r = 0, o = 0;
              for (int64_t d = 0; d < rank; ++d) {
                if (reduced[d]) {
                  at.push_back(ivs[r++]);
                  if (keepdims)
                    ++o;
                } else {
                  at.push_back(idx[o++]);
                }
              }
              Value v = l.toF32(l.extract(x, at));
              switch (kind) {
              case Kind::Max: return arith::MaximumFOp::create(lb, lloc, acc, v).getResult();
              case Kind::Min: return arith::MinimumFOp::create(lb, lloc, acc, v).getResult();
              case Kind::Prod: return l.mul(acc, v);
              default: return l.add(acc, v);
              }
            });
        if (kind == Kind::Mean)
          r = arith::DivFOp::create(nb, loc, r, body.f32((double)std::max<int64_t>(count, 1)));
        return body.fromF32(r, outElt);
      });
}
