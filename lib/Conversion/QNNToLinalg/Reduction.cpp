//===- Reduction.cpp - reduce_* to linalg -----------------------*- C++ -*-===//
//
// Float reductions over any set of axes: each output element loops over the
// reduced coordinates in f32 (integer reductions have no quantized form: the
// quantization passes keep them float).
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"
#include "qopt/Dialect/QNN/QNNOps.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

#include <cmath>

using namespace mlir;
using namespace qopt;
using namespace qopt::lowering;

FailureOr<Value> qopt::lowering::lowerReduction(OpBuilder &b, Operation *op, Operands in) {
  auto xt = cast<RankedTensorType>(op->getOperand(0).getType());
  auto yt = cast<RankedTensorType>(op->getResult(0).getType());
  if (!isa<FloatType>(xt.getElementType()))
    return op->emitError("integer reductions are not lowered; only float"), failure();
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
  enum class Kind { Sum, Mean, Max, Min } kind = isa<qnn::ReduceMeanOp>(op) ? Kind::Mean
                                               : isa<qnn::ReduceSumOp>(op)  ? Kind::Sum
                                               : isa<qnn::ReduceMaxOp>(op)  ? Kind::Max
                                                                            : Kind::Min;
  Value x = in[0];
  Type outElt = yt.getElementType();
  return buildGeneric(
      b, op->getLoc(), yt, {}, {},
      [&](OpBuilder &nb, Location loc, ValueRange idx, ValueRange) -> Value {
        Body body{nb, loc};
        double initValue = kind == Kind::Max ? -INFINITY : kind == Kind::Min ? INFINITY : 0.0;
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
              default: return l.add(acc, v);
              }
            });
        if (kind == Kind::Mean)
          r = arith::DivFOp::create(nb, loc, r, body.f32((double)std::max<int64_t>(count, 1)));
        return body.fromF32(r, outElt);
      });
}
