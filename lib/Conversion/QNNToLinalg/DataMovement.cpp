//===- DataMovement.cpp - reshape, transpose, concat to linalg ---*- C++ -*-===//
//
// Reshapes become tensor.collapse_shape/expand_shape (views after
// bufferization, no kernel) unless the quantization parameters change;
// transpose and concat are generics that move storage integers and
// requantize an operand whose parameters differ from the result's.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"
#include "qopt/Dialect/QNN/QNNOps.h"

#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace qopt;
using namespace qopt::lowering;

namespace {

/// Reshape between static shapes as a collapse then an expand (or just one
/// of them when the shapes nest).
Value reshape(OpBuilder &b, Location loc, Value x, RankedTensorType to) {
  auto from = cast<RankedTensorType>(x.getType());
  if (from.getShape() == to.getShape())
    return x;
  if (to.getRank() < from.getRank())
    if (auto r = getReassociationIndicesForReshape(from, to))
      return tensor::CollapseShapeOp::create(b, loc, to, x, *r);
  if (to.getRank() > from.getRank())
    if (auto r = getReassociationIndicesForReshape(to, from))
      return tensor::ExpandShapeOp::create(b, loc, to, x, *r);
  Value flat = x;
  if (from.getRank() != 1) {
    auto flatType = RankedTensorType::get({from.getNumElements()}, from.getElementType());
    ReassociationIndices all;
    for (int64_t i = 0; i < from.getRank(); ++i)
      all.push_back(i);
    flat = tensor::CollapseShapeOp::create(b, loc, flatType, x,
                                           SmallVector<ReassociationIndices>{all});
  }
  if (to.getRank() == 1)
    return flat;
  ReassociationIndices all;
  for (int64_t i = 0; i < to.getRank(); ++i)
    all.push_back(i);
  return tensor::ExpandShapeOp::create(b, loc, to, flat, SmallVector<ReassociationIndices>{all});
}

FailureOr<Value> lowerReshape(OpBuilder &b, qnn::ReshapeOp op, Operands in) {
  auto yt = storageTensorType(op.getResult().getType());
  auto settle = settleFn(op, op.getInput());
  if (failed(settle))
    return failure();
  Value moved = reshape(b, op.getLoc(), in[0], RankedTensorType::get(yt.getShape(),
                        cast<RankedTensorType>(in[0].getType()).getElementType()));
  if (moved.getType() == yt) {
    // No requantization: check that settle is the identity by the types.
    auto xi = elementInfo(op, op.getInput());
    auto yi = elementInfo(op, op.getResult());
    if (succeeded(xi) && succeeded(yi) &&
        (!xi->quantized || (xi->params.scales == yi->params.scales &&
                            xi->params.zeroPoints == yi->params.zeroPoints)))
      return moved;
  }
  return buildGeneric(b, op.getLoc(), yt, {moved}, {b.getMultiDimIdentityMap(yt.getRank())},
                      [&](OpBuilder &nb, Location loc, ValueRange, ValueRange a) {
                        Body body{nb, loc};
                        return (*settle)(body, a[0]);
                      });
}

FailureOr<Value> lowerTranspose(OpBuilder &b, qnn::TransposeOp op, Operands in) {
  auto yt = storageTensorType(op.getResult().getType());
  auto settle = settleFn(op, op.getInput());
  if (failed(settle))
    return failure();
  // y[i] = x[j] with j[perm[k]] = i[k]: the input map inverts the perm.
  ArrayRef<int64_t> perm = op.getPerm();
  SmallVector<AffineExpr> exprs(perm.size());
  for (auto [k, p] : llvm::enumerate(perm))
    exprs[p] = b.getAffineDimExpr(k);
  AffineMap map = AffineMap::get(perm.size(), 0, exprs, b.getContext());
  return buildGeneric(b, op.getLoc(), yt, {in[0]}, {map},
                      [&](OpBuilder &nb, Location loc, ValueRange, ValueRange a) {
                        Body body{nb, loc};
                        return (*settle)(body, a[0]);
                      });
}

FailureOr<Value> lowerConcat(OpBuilder &b, qnn::ConcatOp op, Operands in) {
  auto yt = storageTensorType(op.getResult().getType());
  int64_t rank = yt.getRank();
  int64_t axis = op.getAxis() < 0 ? op.getAxis() + rank : op.getAxis();
  SmallVector<std::function<Value(Body &, Value)>> settles;
  SmallVector<int64_t> offsets;
  int64_t offset = 0;
  for (Value v : op->getOperands()) {
    // Concat settles into the full output range (the reference's `full`).
    auto s = settleFn(op, v);
    if (failed(s))
      return failure();
    settles.push_back(*s);
    offsets.push_back(offset);
    offset += cast<RankedTensorType>(v.getType()).getDimSize(axis);
  }
  SmallVector<Value> inputs(in.values.begin(), in.values.end());
  return buildGeneric(
      b, op.getLoc(), yt, {}, {},
      [&](OpBuilder &nb, Location loc, ValueRange idx, ValueRange) -> Value {
        Body body{nb, loc};
        // Select among the operands by the axis coordinate; every read is
        // clamped into its operand.
        Value result;
        for (int64_t i = (int64_t)inputs.size() - 1; i >= 0; --i) {
          int64_t size = cast<RankedTensorType>(inputs[i].getType()).getDimSize(axis);
          SmallVector<Value> at(idx);
          Value local = arith::SubIOp::create(nb, loc, idx[axis], body.idx(offsets[i]));
          Value ge = body.cmpi(arith::CmpIPredicate::sge, local, body.idx(0));
          Value lt = body.cmpi(arith::CmpIPredicate::slt, local, body.idx(size));
          Value ok = body.andi(ge, lt);
          at[axis] = body.select(ok, local, body.idx(0));
          Value v = settles[i](body, body.extract(inputs[i], at));
          result = result ? body.select(ok, v, result) : v;
        }
        return result;
      });
}

} // namespace

FailureOr<Value> qopt::lowering::lowerDataMovement(OpBuilder &b, Operation *op, Operands in) {
  return llvm::TypeSwitch<Operation *, FailureOr<Value>>(op)
      .Case([&](qnn::ReshapeOp o) { return lowerReshape(b, o, in); })
      .Case([&](qnn::TransposeOp o) { return lowerTranspose(b, o, in); })
      .Case([&](qnn::ConcatOp o) { return lowerConcat(b, o, in); })
      .Default([](Operation *o) -> FailureOr<Value> {
        return o->emitError("no data movement lowering"), failure();
      });
}
