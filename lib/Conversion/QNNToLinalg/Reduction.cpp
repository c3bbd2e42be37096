//===- Reduction.cpp - reduce_* to linalg -----------------------*- C++ -*-===//
//
// Float reductions over any set of axes, in f32 and in the summation order
// of qopt/Quant/RowReduction.h (`rowStatistic`, which softmax and layer norm
// share). Integer reductions have no quantized form: the quantization passes
// keep them float.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"
#include "qopt/Dialect/QNN/QNNOps.h"
#include "qopt/Quant/RowReduction.h"

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

Value qopt::lowering::rowStatistic(OpBuilder &b, Location loc, Value x, ArrayRef<bool> reduced,
                                   double init, RowStepFn step, RowCombineFn combine,
                                   RowFinishFn finish, Value given,
                                   RankedTensorType resultType, Type accType) {
  if (!accType)
    accType = b.getF32Type();
  bool isInt = isa<IntegerType>(accType);
  SmallVector<int64_t> shape = logicalShape(x);
  int64_t rank = shape.size(), n = 1;
  SmallVector<int64_t> rowDims, rowShape;
  for (int64_t d = 0; d < rank; ++d)
    if (reduced[d]) {
      rowDims.push_back(d);
      rowShape.push_back(shape[d]);
      n *= shape[d];
      shape[d] = 1;
    }
  if (!resultType)
    resultType = RankedTensorType::get(shape, b.getF32Type());
  bool dropped = resultType.getRank() < rank;
  // The indices of x's rank of a row, from a result element's: the reduced
  // dimensions at 0 (absent from idx when the result drops them).
  auto rowIndex = [&](Body &body, ValueRange idx) {
    SmallVector<Value> at;
    for (int64_t d = 0, o = 0; d < rank; ++d)
      at.push_back(reduced[d] && dropped ? body.idx(0) : idx[o++]);
    return at;
  };
  auto readElement = [&](Body &l, SmallVector<Value> at, ValueRange coords) {
    for (auto [d, c] : llvm::zip(rowDims, coords))
      at[d] = c;
    Value v = l.extract(x, at);
    return isInt ? v : l.toF32(v);
  };
  auto initValue = [&](Body &l) {
    return isInt ? l.intConst(accType, (int64_t)init) : l.f32(init);
  };
  int64_t lanes = rowreduce::laneCount(n);
  if (lanes == 1)
    return buildGeneric(
        b, loc, resultType, {}, {}, [&](OpBuilder &nb, Location nloc, ValueRange idx, ValueRange) {
          Body body{nb, nloc};
          SmallVector<Value> row = rowIndex(body, idx);
          Value g = given ? body.extract(given, row) : Value();
          Value acc = loopNest(nb, nloc, rowShape, initValue(body),
                               [&](OpBuilder &lb, Location lloc, ValueRange ivs, Value a) {
                                 Body l{lb, lloc};
                                 return step(l, readElement(l, row, ivs), a, g);
                               });
          return finish ? finish(body, acc, g) : acc;
        });

  // Lane l folds the row elements l, l + lanes, ... (row-major over the
  // reduced dimensions): rows x lanes threads, the lanes innermost so that a
  // warp reads a contiguous row's consecutive elements.
  SmallVector<int64_t> partShape(shape);
  partShape.push_back(lanes);
  auto partType = RankedTensorType::get(partShape, accType);
  Value partials = buildGeneric(
      b, loc, partType, {}, {}, [&](OpBuilder &nb, Location nloc, ValueRange idx, ValueRange) {
        Body body{nb, nloc};
        SmallVector<Value> row(idx.drop_back());
        Value lane = idx.back();
        Value g = given ? body.extract(given, row) : Value();
        // This lane's element count: ceil((n - lane) / lanes), at least 1
        // since lanes <= n.
        Value trips = arith::AddIOp::create(
            nb, nloc,
            arith::DivUIOp::create(nb, nloc, body.sub(body.idx(n - 1), lane), body.idx(lanes)),
            body.idx(1));
        auto loop = scf::ForOp::create(
            nb, nloc, body.idx(0), trips, body.idx(1), ValueRange{initValue(body)},
            [&](OpBuilder &lb, Location lloc, Value j, ValueRange iter) {
              Body l{lb, lloc};
              Value r = l.add(lane, l.mul(j, l.idx(lanes)));
              SmallVector<Value> coords(rowDims.size());
              for (int64_t k = (int64_t)rowDims.size() - 1; k >= 0; --k) {
                Value size = l.idx(rowShape[k]);
                coords[k] = k == 0 ? r : arith::RemUIOp::create(lb, lloc, r, size).getResult();
                if (k > 0)
                  r = arith::DivUIOp::create(lb, lloc, r, size);
              }
              scf::YieldOp::create(lb, lloc, step(l, readElement(l, row, coords), iter[0], g));
            });
        return loop.getResult(0);
      });
  return buildGeneric(
      b, loc, resultType, {}, {}, [&](OpBuilder &nb, Location nloc, ValueRange idx, ValueRange) {
        Body body{nb, nloc};
        SmallVector<Value> row = rowIndex(body, idx);
        Value g = given ? body.extract(given, row) : Value();
        SmallVector<Value> p;
        for (int64_t l = 0; l < lanes; ++l) {
          SmallVector<Value> at(row);
          at.push_back(body.idx(l));
          p.push_back(body.extract(partials, at));
        }
        Value acc = rowreduce::combineLanes(p.data(), lanes,
                                            [&](Value a, Value c) { return combine(body, a, c); });
        return finish ? finish(body, acc, g) : acc;
      });
}

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
  int64_t rank = xt.getRank();
  SmallVector<bool> reduced(rank, axesAttr.empty());
  for (int64_t a : axesAttr.asArrayRef()) {
    int64_t ax = a < 0 ? a + rank : a;
    if (ax < 0 || ax >= rank)
      return op->emitError() << "axis " << a << " out of range", failure();
    reduced[ax] = true;
  }
  int64_t count = 1;
  for (int64_t d = 0; d < rank; ++d)
    if (reduced[d])
      count *= xt.getDimSize(d);
  enum class Kind { Sum, Mean, Max, Min, Prod } kind = isa<qnn::ReduceMeanOp>(op)  ? Kind::Mean
                                                     : isa<qnn::ReduceSumOp>(op)  ? Kind::Sum
                                                     : isa<qnn::ReduceMaxOp>(op)  ? Kind::Max
                                                     : isa<qnn::ReduceProdOp>(op) ? Kind::Prod
                                                                                  : Kind::Min;
  double init = kind == Kind::Max    ? -INFINITY
                : kind == Kind::Min  ? INFINITY
                : kind == Kind::Prod ? 1.0
                                     : 0.0;
  auto fold = [kind](Body &l, Value a, Value c) -> Value {
    switch (kind) {
    case Kind::Max: return arith::MaximumFOp::create(l.b, l.loc, a, c).getResult();
    case Kind::Min: return arith::MinimumFOp::create(l.b, l.loc, a, c).getResult();
    case Kind::Prod: return l.mul(a, c);
    default: return l.add(a, c);
    }
  };
  Type outElt = yt.getElementType();
  return rowStatistic(
      b, op->getLoc(), in[0], reduced, init,
      [&](Body &l, Value v, Value acc, Value) { return fold(l, acc, v); }, fold,
      [&](Body &l, Value acc, Value) {
        // An empty mean is 0 / 0 = NaN, as in the reference and NumPy.
        if (kind == Kind::Mean)
          acc = arith::DivFOp::create(l.b, l.loc, acc, l.f32((double)count));
        return l.fromF32(acc, outElt);
      },
      Value(), yt);
}
