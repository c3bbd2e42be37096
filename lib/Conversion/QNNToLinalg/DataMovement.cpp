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
#include "qopt/Reference/Executor.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
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
  int64_t axis = qnn::resolveAxis(op.getAxis(), rank);
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
          int64_t size = logicalShape(inputs[i])[axis];
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

FailureOr<Value> lowerSlice(OpBuilder &b, qnn::SliceOp op, Operands in) {
  auto yt = storageTensorType(op.getResult().getType());
  auto settle = settleFn(op, op.getInput());
  if (failed(settle))
    return failure();
  SmallVector<int64_t> starts(op.getStarts()), steps(op.getSteps());
  if ((int64_t)starts.size() != yt.getRank() || (int64_t)steps.size() != yt.getRank())
    return op.emitError("slice lowering expects one start and step per dimension"), failure();
  Value x = in[0];
  return buildGeneric(b, op.getLoc(), yt, {}, {},
                      [&](OpBuilder &nb, Location loc, ValueRange idx, ValueRange) -> Value {
                        Body body{nb, loc};
                        SmallVector<Value> at;
                        for (auto [d, i] : llvm::enumerate(idx)) {
                          Value v = arith::MulIOp::create(nb, loc, i, body.idx(steps[d]));
                          at.push_back(arith::AddIOp::create(nb, loc, v, body.idx(starts[d])));
                        }
                        return (*settle)(body, body.extract(x, at));
                      });
}

FailureOr<Value> lowerResize(OpBuilder &b, qnn::ResizeOp op, Operands in) {
  auto xt = cast<RankedTensorType>(op.getInput().getType());
  auto yt = storageTensorType(op.getResult().getType());
  bool quantized = isa<mlir::quant::QuantizedType>(xt.getElementType());
  if (op.getMode() != qnn::ResizeMode::nearest &&
      (quantized || !isa<FloatType>(xt.getElementType())))
    return op.emitError("resize lowering: only nearest for integer tensors"), failure();
  ref::ResizeParams p;
  p.mode = static_cast<ref::ResizeMode>(op.getMode());
  p.transform = static_cast<ref::CoordTransform>(op.getCoordinateTransform());
  p.nearest = static_cast<ref::NearestRounding>(op.getNearestMode());
  p.scales.assign(op.getScales().begin(), op.getScales().end());
  p.cubicCoeffA = op.getCubicCoeffA().convertToFloat();
  p.excludeOutside = op.getExcludeOutside();
  // Per dimension: the reference's own taps, padded to the widest output
  // coordinate with zero-weight taps so the loops have static bounds.
  struct Dim {
    bool identity = true;
    int64_t taps = 1;
    Value idx, weight;
  };
  SmallVector<Dim> dims;
  for (int64_t d = 0; d < xt.getRank(); ++d) {
    auto t = ref::resizeTaps(p, d, xt.getDimSize(d), yt.getDimSize(d));
    if (!t)
      return op.emitError() << llvm::toString(t.takeError()), failure();
    Dim dim;
    int64_t out = yt.getDimSize(d);
    for (int64_t o = 0; o < out; ++o) {
      int64_t n = t->begin[o + 1] - t->begin[o];
      dim.taps = std::max(dim.taps, n);
      dim.identity &= n == 1 && t->idx[t->begin[o]] == o && t->weight[t->begin[o]] == 1.0;
    }
    if (!dim.identity) {
      SmallVector<int32_t> idx;
      SmallVector<float> weight;
      for (int64_t o = 0; o < out; ++o)
        for (int64_t k = 0; k < dim.taps; ++k) {
          int64_t i = t->begin[o] + k;
          bool real = i < t->begin[o + 1];
          idx.push_back(real ? (int32_t)t->idx[i] : 0);
          weight.push_back(real ? (float)t->weight[i] : 0.0f);
        }
      dim.idx = i32Tensor(b, op.getLoc(), idx);
      auto wt = RankedTensorType::get({(int64_t)weight.size()}, b.getF32Type());
      dim.weight = arith::ConstantOp::create(b, op.getLoc(),
                                             DenseFPElementsAttr::get(wt, ArrayRef(weight)));
    }
    dims.push_back(dim);
  }
  auto settle = settleFn(op, op.getInput());
  if (failed(settle))
    return failure();
  Value x = in[0];
  bool nearest = op.getMode() == qnn::ResizeMode::nearest;
  return buildGeneric(
      b, op.getLoc(), yt, {}, {},
      [&](OpBuilder &nb, Location loc, ValueRange idx, ValueRange) -> Value {
        Body body{nb, loc};
        auto tapIndex = [&](Body &l, int64_t d, Value k) {
          Value pos = arith::AddIOp::create(
              l.b, l.loc, arith::MulIOp::create(l.b, l.loc, idx[d], l.idx(dims[d].taps)), k);
          return pos;
        };
        if (nearest) {
          SmallVector<Value> at;
          for (int64_t d = 0; d < (int64_t)dims.size(); ++d) {
            if (dims[d].identity) {
              at.push_back(idx[d]);
              continue;
            }
            Value i = body.extract(dims[d].idx, {tapIndex(body, d, body.idx(0))});
            at.push_back(arith::IndexCastOp::create(nb, loc, nb.getIndexType(), i));
          }
          return (*settle)(body, body.extract(x, at));
        }
        // n-linear / n-cubic: the weighted sum over the product of taps.
        SmallVector<int64_t> bounds;
        SmallVector<int64_t> active;
        for (int64_t d = 0; d < (int64_t)dims.size(); ++d)
          if (!dims[d].identity) {
            bounds.push_back(dims[d].taps);
            active.push_back(d);
          }
        if (bounds.empty())
          return body.fromF32(body.toF32(body.extract(x, idx)), yt.getElementType());
        Value r = loopNest(
            nb, loc, bounds, body.f32(0.0),
            [&](OpBuilder &lb, Location lloc, ValueRange ivs, Value acc) -> Value {
              Body l{lb, lloc};
              SmallVector<Value> at(idx.begin(), idx.end());
              Value w = l.f32(1.0);
              for (auto [k, d] : llvm::enumerate(active)) {
                Value pos = tapIndex(l, d, ivs[k]);
                Value i = l.extract(dims[d].idx, {pos});
                at[d] = arith::IndexCastOp::create(lb, lloc, lb.getIndexType(), i);
                w = l.mul(w, l.extract(dims[d].weight, {pos}));
              }
              return l.add(acc, l.mul(w, l.toF32(l.extract(x, at))));
            });
        return body.fromF32(r, yt.getElementType());
      });
}

} // namespace

/// An index read from an indices tensor as a position along a dimension of
/// `size`: negative ones count from the end (ONNX). The reference rejects
/// indices out of range; a kernel cannot, so they are clamped and no read
/// leaves the tensor.
Value positionOf(Body &body, Value index, int64_t size) {
  OpBuilder &nb = body.b;
  Location loc = body.loc;
  Value i = arith::IndexCastOp::create(nb, loc, nb.getIndexType(), index);
  Value negative = body.cmpi(arith::CmpIPredicate::slt, i, body.idx(0));
  i = body.select(negative, arith::AddIOp::create(nb, loc, i, body.idx(size)), i);
  i = arith::MaxSIOp::create(nb, loc, i, body.idx(0));
  return arith::MinSIOp::create(nb, loc, i, body.idx(size - 1));
}

/// ONNX Gather (out[i.., j.., k..] = data[i.., indices[j..], k..]) and
/// GatherElements (out[i] = data[i with i[axis] = indices[i]]).
template <typename OpT>
FailureOr<Value> lowerGather(OpBuilder &b, OpT op, Operands in) {
  constexpr bool elements = std::is_same_v<OpT, qnn::GatherElementsOp>;
  auto yt = storageTensorType(op.getResult().getType());
  auto settle = settleFn(op, op.getData());
  if (failed(settle))
    return failure();
  auto dt = cast<RankedTensorType>(op.getData().getType());
  int64_t axis = qnn::resolveAxis(op.getAxis(), dt.getRank());
  int64_t indexRank = cast<RankedTensorType>(op.getIndices().getType()).getRank();
  int64_t size = dt.getDimSize(axis);
  Value data = in[0], indices = in[1];
  return buildGeneric(b, op.getLoc(), yt, {}, {},
                      [&](OpBuilder &nb, Location loc, ValueRange idx, ValueRange) -> Value {
                        Body body{nb, loc};
                        SmallVector<Value> at;
                        if (elements) {
                          at.assign(idx.begin(), idx.end());
                          at[axis] = positionOf(body, body.extract(indices, idx), size);
                        } else {
                          at.assign(idx.begin(), idx.begin() + axis);
                          at.push_back(positionOf(
                              body, body.extract(indices, idx.slice(axis, indexRank)), size));
                          at.append(idx.begin() + axis + indexRank, idx.end());
                        }
                        return (*settle)(body, body.extract(data, at));
                      });
}

/// ONNX GatherND: the tuple at the element's leading indices positions
/// dims batch_dims.. of data; the trailing indices walk the slice.
FailureOr<Value> lowerGatherND(OpBuilder &b, qnn::GatherNDOp op, Operands in) {
  auto yt = storageTensorType(op.getResult().getType());
  auto settle = settleFn(op, op.getData());
  if (failed(settle))
    return failure();
  auto dt = cast<RankedTensorType>(op.getData().getType());
  auto it = cast<RankedTensorType>(op.getIndices().getType());
  int64_t batch = op.getBatchDims(), q = it.getRank(), k = it.getDimSize(q - 1);
  Value data = in[0], indices = in[1];
  return buildGeneric(b, op.getLoc(), yt, {}, {},
                      [&](OpBuilder &nb, Location loc, ValueRange idx, ValueRange) -> Value {
                        Body body{nb, loc};
                        SmallVector<Value> at(idx.begin(), idx.begin() + batch);
                        SmallVector<Value> tuple(idx.begin(), idx.begin() + (q - 1));
                        tuple.push_back(Value());
                        for (int64_t j = 0; j < k; ++j) {
                          tuple.back() = body.idx(j);
                          at.push_back(positionOf(body, body.extract(indices, tuple),
                                                  dt.getDimSize(batch + j)));
                        }
                        at.append(idx.begin() + (q - 1), idx.end());
                        return (*settle)(body, body.extract(data, at));
                      });
}

/// Folds a scatter update `u` into `v` as the reference does: f16 and bf16
/// in f32 rounded once; max and min propagate NaN and order -0 below +0
/// (arith.maximumf / minimumf).
Value scatterCombine(Body &body, qnn::ScatterReduction r, Value v, Value u, bool isSigned) {
  using R = qnn::ScatterReduction;
  if (r == R::none)
    return u;
  Type t = v.getType();
  bool isFloat = isa<FloatType>(t), widen = isFloat && t.getIntOrFloatBitWidth() < 32;
  if (widen) {
    v = body.toF32(v);
    u = body.toF32(u);
  }
  OpBuilder &nb = body.b;
  Location loc = body.loc;
  Value out;
  switch (r) {
  case R::none:
  case R::add: out = body.add(v, u); break;
  case R::mul: out = body.mul(v, u); break;
  case R::max:
    out = isFloat ? arith::MaximumFOp::create(nb, loc, v, u).getResult()
          : isSigned ? arith::MaxSIOp::create(nb, loc, v, u).getResult()
                     : arith::MaxUIOp::create(nb, loc, v, u).getResult();
    break;
  case R::min:
    out = isFloat ? arith::MinimumFOp::create(nb, loc, v, u).getResult()
          : isSigned ? arith::MinSIOp::create(nb, loc, v, u).getResult()
                     : arith::MinUIOp::create(nb, loc, v, u).getResult();
    break;
  }
  return widen ? body.fromF32(out, t) : out;
}

/// The element types a scatter's lowering takes: any with reduction none
/// (data movement); with a reduction, floats and signless integers (no
/// unsigned arithmetic on the GPU path; quantized and bool data have no
/// reduction semantics, which the verifier already refuses).
LogicalResult checkScatterElements(Operation *op, Value data, qnn::ScatterReduction r) {
  Type e = cast<RankedTensorType>(data.getType()).getElementType();
  if (r != qnn::ScatterReduction::none && isa<IntegerType>(e) && !e.isSignlessInteger())
    return op->emitError() << "unsupported on the GPU path: " << op->getName() << " reduction on "
                           << e << " (signless integers only)";
  return success();
}

/// Whether an operand's integer values are signed (a quantized type's
/// storage says; signless integers are signed).
bool signedValues(Value v) {
  Type e = cast<RankedTensorType>(v.getType()).getElementType();
  if (auto q = dyn_cast<mlir::quant::QuantizedType>(e))
    return q.isSigned();
  return !e.isUnsignedInteger();
}

/// The row-major coordinates of `flat` in `shape`.
SmallVector<Value> delinearize(Body &body, Value flat, ArrayRef<int64_t> shape) {
  SmallVector<Value> at(shape.size());
  for (int64_t d = (int64_t)shape.size() - 1; d >= 0; --d) {
    Value size = body.idx(shape[d]);
    at[d] = arith::RemUIOp::create(body.b, body.loc, flat, size);
    flat = arith::DivUIOp::create(body.b, body.loc, flat, size);
  }
  return at;
}

/// ONNX ScatterElements. The positions of indices that can land on an
/// element share its coordinates off the axis, so each element scans only
/// indices' axis, in increasing order: the reference's row-major order.
FailureOr<Value> lowerScatterElements(OpBuilder &b, qnn::ScatterElementsOp op, Operands in) {
  auto yt = storageTensorType(op.getResult().getType());
  auto dt = cast<RankedTensorType>(op.getData().getType());
  auto it = cast<RankedTensorType>(op.getIndices().getType());
  int64_t rank = dt.getRank(), axis = qnn::resolveAxis(op.getAxis(), rank);
  qnn::ScatterReduction r = op.getReduction();
  bool isSigned = signedValues(op.getData());
  if (failed(checkScatterElements(op, op.getData(), r)))
    return failure();
  Value data = in[0], indices = in[1], updates = in[2];
  // No update: the data as it is (and no read of the empty indices).
  if (it.getNumElements() == 0)
    return data;
  return buildGeneric(
      b, op.getLoc(), yt, {}, {},
      [&](OpBuilder &nb, Location loc, ValueRange idx, ValueRange) -> Value {
        Body body{nb, loc};
        // Off the axis, indices may be smaller than data: elements beyond
        // them receive nothing (their reads are clamped and discarded).
        Value covered;
        SmallVector<Value> at(idx);
        for (int64_t d = 0; d < rank; ++d) {
          if (d == axis || it.getDimSize(d) >= dt.getDimSize(d))
            continue;
          Value inside = body.cmpi(arith::CmpIPredicate::slt, idx[d], body.idx(it.getDimSize(d)));
          covered = covered ? body.andi(covered, inside) : inside;
          at[d] = arith::MinSIOp::create(nb, loc, idx[d], body.idx(it.getDimSize(d) - 1));
        }
        Value v = body.extract(data, idx);
        return loopNest(nb, loc, {it.getDimSize(axis)}, v,
                        [&](OpBuilder &lb, Location lloc, ValueRange ivs, Value acc) {
                          Body l{lb, lloc};
                          SmallVector<Value> here(at);
                          here[axis] = ivs[0];
                          Value p = positionOf(l, l.extract(indices, here), dt.getDimSize(axis));
                          Value hit = l.cmpi(arith::CmpIPredicate::eq, p, idx[axis]);
                          if (covered)
                            hit = l.andi(hit, covered);
                          Value u = l.extract(updates, here);
                          return l.select(hit, scatterCombine(l, r, acc, u, isSigned), acc);
                        });
      });
}

/// ONNX ScatterND. Each element applies, in tuple order, the updates whose
/// tuple names its leading k coordinates. Constant indices (every exported
/// model's) are inverted at compile time into per-target lists of tuples
/// (`offsets`, `writers`), so an element reads only its own updates; run-time
/// indices are scanned, all tuples per element.
FailureOr<Value> lowerScatterND(OpBuilder &b, qnn::ScatterNDOp op, Operands in) {
  auto yt = storageTensorType(op.getResult().getType());
  auto dt = cast<RankedTensorType>(op.getData().getType());
  auto it = cast<RankedTensorType>(op.getIndices().getType());
  int64_t q = it.getRank(), k = it.getDimSize(q - 1);
  SmallVector<int64_t> tupleShape(it.getShape().drop_back());
  int64_t tuples = it.getNumElements() / k;
  qnn::ScatterReduction r = op.getReduction();
  bool isSigned = signedValues(op.getData());
  if (failed(checkScatterElements(op, op.getData(), r)))
    return failure();
  Value data = in[0], indices = in[1], updates = in[2];
  Location opLoc = op.getLoc();
  if (tuples == 0 || yt.getNumElements() == 0)
    return data;

  // The inverted lists cost 4 bytes per target (a slice of data); beyond
  // 2^22 targets the per-element scan is kept instead of a larger constant.
  int64_t targets = 1;
  for (int64_t d = 0; d < k; ++d)
    targets *= dt.getDimSize(d);
  Value offsets, writers;
  auto c = op.getIndices().getDefiningOp<qnn::ConstantOp>();
  if (c && targets <= (int64_t(1) << 22) && tuples < INT32_MAX) {
    auto t = ref::tensorFromAttr(cast<ElementsAttr>(c.getValue()));
    if (!t)
      return op.emitError() << "cannot read the constant indices: " << toString(t.takeError()),
             failure();
    SmallVector<int64_t> target(tuples);
    SmallVector<int32_t> start(targets + 1, 0);
    for (int64_t u = 0; u < tuples; ++u) {
      int64_t m = 0;
      for (int64_t j = 0; j < k; ++j) {
        int64_t size = dt.getDimSize(j), v = t->getAsInt(u * k + j);
        if (v < -size || v >= size)
          return op.emitError() << "index " << v << " is out of range for dimension " << j
                                << " of size " << size,
                 failure();
        m = m * size + (v < 0 ? v + size : v);
      }
      target[u] = m;
      ++start[m + 1];
    }
    for (int64_t m = 0; m < targets; ++m)
      start[m + 1] += start[m];
    // A stable counting sort keeps each target's tuples in tuple order.
    SmallVector<int32_t> list(tuples), next(start.begin(), start.end() - 1);
    for (int64_t u = 0; u < tuples; ++u)
      list[next[target[u]]++] = (int32_t)u;
    offsets = i32Tensor(b, opLoc, start);
    writers = i32Tensor(b, opLoc, list);
  }

  return buildGeneric(
      b, opLoc, yt, {}, {}, [&](OpBuilder &nb, Location loc, ValueRange idx, ValueRange) -> Value {
        Body body{nb, loc};
        Value v = body.extract(data, idx);
        auto apply = [&](Body &l, Value u, Value acc) {
          SmallVector<Value> at = delinearize(l, u, tupleShape);
          at.append(idx.begin() + k, idx.end());
          return scatterCombine(l, r, acc, l.extract(updates, at), isSigned);
        };
        if (offsets) {
          Value m = body.idx(0);
          for (int64_t j = 0; j < k; ++j)
            m = body.add(body.mul(m, body.idx(dt.getDimSize(j))), idx[j]);
          auto asIndex = [](Body &at, Value i32) {
            return arith::IndexCastOp::create(at.b, at.loc, at.b.getIndexType(), i32).getResult();
          };
          Value lo = asIndex(body, body.extract(offsets, {m}));
          Value hi = asIndex(body, body.extract(offsets, {body.add(m, body.idx(1))}));
          auto loop = scf::ForOp::create(nb, loc, lo, hi, body.idx(1), ValueRange{v});
          OpBuilder lb = OpBuilder::atBlockBegin(loop.getBody());
          Body l{lb, loc};
          Value u = asIndex(l, l.extract(writers, {loop.getInductionVar()}));
          scf::YieldOp::create(lb, loc, ValueRange{apply(l, u, loop.getRegionIterArgs()[0])});
          return loop.getResult(0);
        }
        return loopNest(nb, loc, {tuples}, v,
                        [&](OpBuilder &lb, Location lloc, ValueRange ivs, Value acc) {
                          Body l{lb, lloc};
                          SmallVector<Value> at = delinearize(l, ivs[0], tupleShape);
                          at.push_back(Value());
                          Value hit;
                          for (int64_t j = 0; j < k; ++j) {
                            at.back() = l.idx(j);
                            Value p = positionOf(l, l.extract(indices, at), dt.getDimSize(j));
                            Value eq = l.cmpi(arith::CmpIPredicate::eq, p, idx[j]);
                            hit = hit ? l.andi(hit, eq) : eq;
                          }
                          return l.select(hit, apply(l, ivs[0], acc), acc);
                        });
      });
}

/// ONNX GridSample, one output element per thread, in f32 with the
/// reference's formulas and operation order (ref::gridSample), so the two
/// agree bit for bit: coordinates denormalized and limited to +-2^22,
/// rounded (nearest), moved inside by the padding when out of bounds, then
/// 1, 4 or 16 taps read through the padding and weighted.
FailureOr<Value> lowerGridSample(OpBuilder &b, qnn::GridSampleOp op, Operands in) {
  auto xt = cast<RankedTensorType>(op.getInput().getType());
  Type elt = xt.getElementType();
  int64_t H = xt.getDimSize(2), W = xt.getDimSize(3);
  qnn::ResizeMode mode = op.getMode();
  qnn::GridPadding padding = op.getPadding();
  bool align = op.getAlignCorners();
  float xMin = align ? 0.0f : -0.5f, yMin = xMin;
  float xMax = align ? (float)(W - 1) : (float)W - 0.5f;
  float yMax = align ? (float)(H - 1) : (float)H - 0.5f;
  const float limit = 4194304.0f;
  Value x = in[0], grid = in[1];
  return buildGeneric(
      b, op.getLoc(), storageTensorType(op.getResult().getType()), {}, {},
      [&](OpBuilder &nb, Location loc, ValueRange idx, ValueRange) -> Value {
        Body body{nb, loc};
        using F = arith::CmpFPredicate;
        auto cmp = [&](F p, Value a, Value c) {
          return arith::CmpFOp::create(nb, loc, p, a, c).getResult();
        };
        auto div = [&](Value a, Value c) { return arith::DivFOp::create(nb, loc, a, c).getResult(); };
        auto orI = [&](Value a, Value c) { return arith::OrIOp::create(nb, loc, a, c).getResult(); };
        auto floorF = [&](Value v) { return math::FloorOp::create(nb, loc, v).getResult(); };
        auto toIndex = [&](Value v) {
          Value i = arith::FPToSIOp::create(nb, loc, nb.getI64Type(), v);
          return arith::IndexCastOp::create(nb, loc, nb.getIndexType(), i).getResult();
        };
        auto toFloat = [&](Value i) {
          Value v = arith::IndexCastOp::create(nb, loc, nb.getI64Type(), i);
          return arith::SIToFPOp::create(nb, loc, nb.getF32Type(), v).getResult();
        };
        auto reflect = [&](Value v, float lo, float hi) -> Value {
          float range = hi - lo;
          if (range == 0.0f)
            return body.f32(lo);
          Value below = cmp(F::OLT, v, body.f32(lo)), above = cmp(F::OGT, v, body.f32(hi));
          Value d = body.select(below, body.sub(body.f32(lo), v), body.sub(v, body.f32(hi)));
          // d >= 0 wherever the fold is used, so floor is trunc (the GPU
          // path has no math.trunc lowering).
          Value n = floorF(div(d, body.f32(range)));
          Value r = body.sub(d, body.mul(n, body.f32(range)));
          Value bit = arith::AndIOp::create(
              nb, loc, arith::FPToSIOp::create(nb, loc, nb.getI32Type(), n),
              body.intConst(nb.getI32Type(), 1));
          Value even = body.cmpi(arith::CmpIPredicate::eq, bit, body.intConst(nb.getI32Type(), 0));
          Value folded = body.select(body.cmpi(arith::CmpIPredicate::eq, below, even),
                                     body.add(body.f32(lo), r), body.sub(body.f32(hi), r));
          return body.select(orI(below, above), folded, v);
        };
        auto clampF = [&](Value v, float hi) {
          return body.select(cmp(F::OLT, v, body.f32(0.0)), body.f32(0.0),
                             body.select(cmp(F::OLT, body.f32(hi), v), body.f32(hi), v));
        };
        auto clampIdx = [&](Value i, int64_t size) {
          Value lo = arith::MaxSIOp::create(nb, loc, i, body.idx(0));
          return arith::MinSIOp::create(nb, loc, lo, body.idx(size - 1)).getResult();
        };
        auto pixel = [&](Value r, Value c) -> Value {
          Value inside;
          if (padding == qnn::GridPadding::zeros) {
            using I = arith::CmpIPredicate;
            inside = body.andi(
                body.andi(body.cmpi(I::sge, r, body.idx(0)), body.cmpi(I::slt, r, body.idx(H))),
                body.andi(body.cmpi(I::sge, c, body.idx(0)), body.cmpi(I::slt, c, body.idx(W))));
          } else if (padding == qnn::GridPadding::reflection) {
            c = toIndex(reflect(toFloat(c), xMin, xMax));
            r = toIndex(reflect(toFloat(r), yMin, yMax));
          }
          Value v = body.toF32(body.extract(x, {idx[0], idx[1], clampIdx(r, H), clampIdx(c, W)}));
          return inside ? body.select(inside, v, body.f32(0.0)) : v;
        };
        auto coordinate = [&](int64_t k, int64_t size) {
          Value g = body.toF32(body.extract(grid, {idx[0], idx[2], idx[3], body.idx(k)}));
          Value one = body.f32(1.0);
          Value v = align ? body.mul(div(body.add(g, one), body.f32(2.0)), body.f32(size - 1))
                          : div(body.sub(body.mul(body.add(g, one), body.f32(size)), one),
                                body.f32(2.0));
          v = body.select(cmp(F::OGE, v, body.f32(-limit)), v, body.f32(-limit));
          v = body.select(cmp(F::OLE, v, body.f32(limit)), v, body.f32(limit));
          if (mode == qnn::ResizeMode::nearest)
            v = math::RoundEvenOp::create(nb, loc, v);
          return v;
        };
        Value fx = coordinate(0, W), fy = coordinate(1, H);
        // Cubic with border padding clamps only its taps (ref::gridSample).
        bool border = padding == qnn::GridPadding::border;
        if (padding == qnn::GridPadding::reflection ||
            (border && mode != qnn::ResizeMode::cubic)) {
          Value out = orI(orI(cmp(F::OLT, fx, body.f32(xMin)), cmp(F::OGT, fx, body.f32(xMax))),
                          orI(cmp(F::OLT, fy, body.f32(yMin)), cmp(F::OGT, fy, body.f32(yMax))));
          fx = body.select(out, border ? clampF(fx, (float)(W - 1)) : reflect(fx, xMin, xMax), fx);
          fy = body.select(out, border ? clampF(fy, (float)(H - 1)) : reflect(fy, yMin, yMax), fy);
        }
        Value v;
        if (mode == qnn::ResizeMode::nearest) {
          v = pixel(toIndex(fy), toIndex(fx));
        } else if (mode == qnn::ResizeMode::linear) {
          Value x1f = floorF(fx), y1f = floorF(fy), one = body.f32(1.0);
          Value x1 = toIndex(x1f), y1 = toIndex(y1f);
          Value x2 = body.add(x1, body.idx(1)), y2 = body.add(y1, body.idx(1));
          Value dx2 = body.sub(body.add(x1f, one), fx), dx1 = body.sub(fx, x1f);
          Value dy2 = body.sub(body.add(y1f, one), fy), dy1 = body.sub(fy, y1f);
          Value top = body.add(body.mul(dx2, pixel(y1, x1)), body.mul(dx1, pixel(y1, x2)));
          Value bottom = body.add(body.mul(dx2, pixel(y2, x1)), body.mul(dx1, pixel(y2, x2)));
          v = body.add(body.mul(dy2, top), body.mul(dy1, bottom));
        } else {
          // Keys weights (A = -0.75) in the reference's operation order.
          auto coeffs = [&](Value t) {
            t = math::AbsFOp::create(nb, loc, t);
            Value a = body.f32(-0.75), one = body.f32(1.0);
            auto outer = [&](Value s) {
              Value p = body.sub(body.mul(a, s), body.f32(-3.75));
              p = body.add(body.mul(p, s), body.f32(-6.0));
              return body.sub(body.mul(p, s), body.f32(-3.0));
            };
            auto inner = [&](Value s) {
              Value p = body.sub(body.mul(body.f32(1.25), s), body.f32(2.25));
              return body.add(body.mul(body.mul(p, s), s), one);
            };
            return std::array<Value, 4>{outer(body.add(t, one)), inner(t),
                                        inner(body.sub(one, t)),
                                        outer(body.sub(body.f32(2.0), t))};
          };
          Value x0f = body.sub(floorF(fx), body.f32(1.0)), y0f = body.sub(floorF(fy), body.f32(1.0));
          Value x0 = toIndex(x0f), y0 = toIndex(y0f);
          auto cx = coeffs(body.sub(body.sub(fx, x0f), body.f32(1.0)));
          auto cy = coeffs(body.sub(body.sub(fy, y0f), body.f32(1.0)));
          for (int64_t h = 0; h < 4; ++h) {
            Value r = body.add(y0, body.idx(h)), row;
            for (int64_t w = 0; w < 4; ++w) {
              Value term = body.mul(cx[w], pixel(r, body.add(x0, body.idx(w))));
              row = w == 0 ? term : body.add(row, term);
            }
            v = h == 0 ? body.mul(cy[0], row) : body.add(v, body.mul(cy[h], row));
          }
        }
        return body.fromF32(v, elt);
      });
}

/// ONNX Expand: NumPy broadcasting of the input to the result's shape.
FailureOr<Value> lowerExpand(OpBuilder &b, qnn::ExpandOp op, Operands in) {
  auto yt = storageTensorType(op.getResult().getType());
  auto settle = settleFn(op, op.getInput());
  if (failed(settle))
    return failure();
  AffineMap map = broadcastMap(b.getContext(), logicalShape(in[0]), yt.getShape());
  return buildGeneric(b, op.getLoc(), yt, {in[0]}, {map},
                      [&](OpBuilder &nb, Location loc, ValueRange, ValueRange args) -> Value {
                        Body body{nb, loc};
                        return (*settle)(body, args[0]);
                      });
}

/// ONNX Pad in its four modes; negative pads crop.
FailureOr<Value> lowerPad(OpBuilder &b, qnn::PadOp op, Operands in) {
  auto yt = storageTensorType(op.getResult().getType());
  auto xt = cast<RankedTensorType>(op.getInput().getType());
  auto settle = settleFn(op, op.getInput());
  auto yi = elementInfo(op, op.getResult());
  if (failed(settle) || failed(yi))
    return failure();
  int64_t rank = xt.getRank();
  ArrayRef<int64_t> pads = op.getPads();
  if ((int64_t)pads.size() != 2 * rank)
    return op.emitError("pad lowering expects a begin and an end pad per dimension"), failure();
  qnn::PadMode mode = op.getMode();
  double value = op.getValue().convertToDouble();
  // The fill, as the result stores it: a quantized pad fills with the code
  // of `value`.
  auto fill = [&](Body &body) -> Value {
    Type t = yi->storage;
    if (yi->quantized) {
      const ref::QuantParams &p = yi->params;
      double code = std::nearbyint(value / p.scale()) + p.zeroPoint();
      return body.intConst(t, (int64_t)std::clamp<double>(code, p.qmin, p.qmax));
    }
    if (isa<FloatType>(t))
      return body.floatConst(t, value);
    return body.intConst(t, t.isInteger(1) ? value != 0 : (int64_t)value);
  };
  Value x = in[0];
  return buildGeneric(
      b, op.getLoc(), yt, {}, {},
      [&](OpBuilder &nb, Location loc, ValueRange idx, ValueRange) -> Value {
        Body body{nb, loc};
        SmallVector<Value> at;
        Value inside;
        for (int64_t d = 0; d < rank; ++d) {
          int64_t n = xt.getDimSize(d);
          Value i = arith::SubIOp::create(nb, loc, idx[d], body.idx(pads[d]));
          Value lo = body.cmpi(arith::CmpIPredicate::slt, i, body.idx(0));
          Value hi = body.cmpi(arith::CmpIPredicate::sge, i, body.idx(n));
          switch (mode) {
          case qnn::PadMode::constant: {
            Value ok = body.andi(body.cmpi(arith::CmpIPredicate::sge, i, body.idx(0)),
                                 body.cmpi(arith::CmpIPredicate::slt, i, body.idx(n)));
            inside = inside ? body.andi(inside, ok) : ok;
            // Any in-range index keeps the (discarded) read inside.
            i = arith::MinSIOp::create(
                nb, loc, arith::MaxSIOp::create(nb, loc, i, body.idx(0)).getResult(),
                body.idx(n - 1));
            break;
          }
          case qnn::PadMode::edge:
            i = body.select(lo, body.idx(0), body.select(hi, body.idx(n - 1), i));
            break;
          case qnn::PadMode::reflect:
            i = body.select(lo, arith::SubIOp::create(nb, loc, body.idx(0), i),
                            body.select(hi, arith::SubIOp::create(nb, loc, body.idx(2 * (n - 1)), i),
                                        i));
            break;
          case qnn::PadMode::wrap:
            i = arith::RemSIOp::create(
                nb, loc, arith::AddIOp::create(nb, loc, arith::RemSIOp::create(nb, loc, i, body.idx(n)),
                                              body.idx(n)),
                body.idx(n));
            break;
          }
          at.push_back(i);
        }
        Value v = (*settle)(body, body.extract(x, at));
        return inside ? body.select(inside, v, fill(body)) : v;
      });
}

FailureOr<Value> qopt::lowering::lowerDataMovement(OpBuilder &b, Operation *op, Operands in) {
  return llvm::TypeSwitch<Operation *, FailureOr<Value>>(op)
      .Case([&](qnn::ReshapeOp o) { return lowerReshape(b, o, in); })
      .Case([&](qnn::TransposeOp o) { return lowerTranspose(b, o, in); })
      .Case([&](qnn::ConcatOp o) { return lowerConcat(b, o, in); })
      .Case([&](qnn::SliceOp o) { return lowerSlice(b, o, in); })
      .Case([&](qnn::ResizeOp o) { return lowerResize(b, o, in); })
      .Case([&](qnn::GatherOp o) { return lowerGather(b, o, in); })
      .Case([&](qnn::ExpandOp o) { return lowerExpand(b, o, in); })
      .Case([&](qnn::PadOp o) { return lowerPad(b, o, in); })
      .Case([&](qnn::GatherElementsOp o) { return lowerGather(b, o, in); })
      .Case([&](qnn::GatherNDOp o) { return lowerGatherND(b, o, in); })
      .Case([&](qnn::GridSampleOp o) { return lowerGridSample(b, o, in); })
      .Case([&](qnn::ScatterNDOp o) { return lowerScatterND(b, o, in); })
      .Case([&](qnn::ScatterElementsOp o) { return lowerScatterElements(b, o, in); })
      .Default([](Operation *o) -> FailureOr<Value> {
        return o->emitError("no data movement lowering"), failure();
      });
}
