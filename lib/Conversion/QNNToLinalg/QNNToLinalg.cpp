//===- QNNToLinalg.cpp - qnn to linalg on storage types ---------*- C++ -*-===//
//
// The driver of qopt-lower-to-linalg and the helpers every op family shares:
// building all-parallel generics, reading tensors inside bodies and the
// integer arithmetic of docs/quantization.md as arith ops.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"
#include "qopt/Conversion/Passes.h"
#include "qopt/Dialect/QNN/QNNOps.h"
#include "qopt/Reference/Executor.h"
#include "qopt/Reference/QuantizedOps.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/IRMapping.h"

#include <cmath>

namespace qopt {
#define GEN_PASS_DEF_LOWERQNNTOLINALGPASS
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;
using namespace qopt::lowering;

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

static Type storageOf(Type elt) {
  if (auto q = dyn_cast<mlir::quant::QuantizedType>(elt))
    return q.getStorageType();
  // arith takes signless integers only; casts read the signedness from the
  // qnn types (castForm), and no other op computes on unsigned integers.
  if (auto it = dyn_cast<IntegerType>(elt); it && !it.isSignless())
    return IntegerType::get(elt.getContext(), it.getWidth());
  return elt;
}

RankedTensorType qopt::lowering::storageTensorType(Type t) {
  auto rt = cast<RankedTensorType>(t);
  return RankedTensorType::get(rt.getShape(), storageOf(rt.getElementType()));
}

FailureOr<ElementInfo> qopt::lowering::elementInfo(Operation *op, Value v) {
  ElementInfo info;
  Type elt = getElementTypeOrSelf(v.getType());
  info.storage = storageOf(elt);
  auto q = dyn_cast<mlir::quant::QuantizedType>(elt);
  if (!q)
    return info;
  info.quantized = true;
  info.isSigned = q.isSigned();
  auto p = ref::quantParamsOf(elt);
  if (!p) {
    op->emitError() << llvm::toString(p.takeError());
    return failure();
  }
  info.params = *p;
  return info;
}

//===----------------------------------------------------------------------===//
// Layouts
//===----------------------------------------------------------------------===//

SmallVector<int64_t> qopt::lowering::physicalShape(ArrayRef<int64_t> logical,
                                                   ArrayRef<int64_t> order) {
  if (order.empty())
    return SmallVector<int64_t>(logical);
  SmallVector<int64_t> shape;
  for (int64_t d : order)
    shape.push_back(logical[d]);
  return shape;
}

static thread_local LayoutScope *activeScope = nullptr;

SmallVector<int64_t> qopt::lowering::logicalShape(Value lowered) {
  auto shape = cast<RankedTensorType>(lowered.getType()).getShape();
  SmallVector<int64_t> logical(shape);
  if (activeScope)
    for (auto [i, d] : llvm::enumerate(activeScope->orderOf(lowered)))
      logical[d] = shape[i];
  return logical;
}

LayoutScope::LayoutScope(DenseMap<Value, DimOrder> &orders, DimOrder result)
    : orders(orders), resultOrder(isIdentityOrder(result) ? DimOrder{} : std::move(result)),
      outer(activeScope) {
  activeScope = this;
}
LayoutScope::~LayoutScope() { activeScope = outer; }
LayoutScope *LayoutScope::current() { return activeScope; }

ArrayRef<int64_t> LayoutScope::orderOf(Value v) const {
  auto it = orders.find(v);
  return it == orders.end() ? ArrayRef<int64_t>() : ArrayRef<int64_t>(it->second);
}

void LayoutScope::record(Value v, ArrayRef<int64_t> order) {
  if (!isIdentityOrder(order))
    orders[v] = DimOrder(order);
}

//===----------------------------------------------------------------------===//
// Generic construction
//===----------------------------------------------------------------------===//

Value qopt::lowering::buildGeneric(OpBuilder &b, Location loc, RankedTensorType resultType,
                                   ValueRange inputs, ArrayRef<AffineMap> inputMaps,
                                   const BodyFn &body) {
  int64_t rank = resultType.getRank();
  MLIRContext *ctx = b.getContext();
  if (rank == 0) {
    // A scalar result still gets one parallel dimension (of size 1): the
    // GPU mapping launches parallel loops, and a generic without any would
    // leave its body's loops on the host.
    SmallVector<AffineMap> maps;
    for (AffineMap m : inputMaps)
      maps.push_back(AffineMap::get(1, 0, m.getResults(), ctx));
    maps.push_back(b.getMultiDimIdentityMap(1));
    auto one = RankedTensorType::get({1}, resultType.getElementType());
    Value init = tensor::EmptyOp::create(b, loc, one.getShape(), one.getElementType());
    auto generic = linalg::GenericOp::create(
        b, loc, TypeRange{one}, inputs, ValueRange{init}, maps,
        SmallVector<utils::IteratorType>{utils::IteratorType::parallel},
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          linalg::YieldOp::create(nb, nloc, body(nb, nloc, ValueRange{}, args.drop_back()));
        });
    Value scalar = tensor::CollapseShapeOp::create(b, loc, resultType, generic.getResult(0),
                                                   ArrayRef<ReassociationIndices>{});
    if (LayoutScope *scope = LayoutScope::current())
      scope->record(scalar, {});
    return scalar;
  }
  LayoutScope *scope = LayoutScope::current();
  // The result is stored in the scope's order when it has the op's rank;
  // the iteration space is the physical one, so maps and indices are
  // translated between the two here.
  DimOrder order;
  if (scope && (int64_t)scope->result().size() == rank)
    order.assign(scope->result().begin(), scope->result().end());
  auto physical = RankedTensorType::get(physicalShape(resultType.getShape(), order),
                                        resultType.getElementType());
  SmallVector<unsigned> logicalToPhysical(order.size());
  for (auto [i, d] : llvm::enumerate(order))
    logicalToPhysical[d] = i;
  AffineMap physToLogical = order.empty()
                                ? b.getMultiDimIdentityMap(rank)
                                : AffineMap::getPermutationMap(logicalToPhysical, ctx);
  SmallVector<AffineMap> maps;
  for (auto [v, m] : llvm::zip(inputs, inputMaps)) {
    AffineMap map = m.compose(physToLogical);
    ArrayRef<int64_t> in = scope ? scope->orderOf(v) : ArrayRef<int64_t>();
    if (!in.empty()) {
      SmallVector<unsigned> perm(in.begin(), in.end());
      map = AffineMap::getPermutationMap(perm, ctx).compose(map);
    }
    maps.push_back(map);
  }
  Value init = tensor::EmptyOp::create(b, loc, physical.getShape(), physical.getElementType());
  maps.push_back(b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{physical}, inputs, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        SmallVector<Value> idx;
        for (int64_t d = 0; d < rank; ++d)
          idx.push_back(linalg::IndexOp::create(nb, nloc, d));
        if (!order.empty()) {
          SmallVector<Value> logical(rank);
          for (int64_t d = 0; d < rank; ++d)
            logical[d] = idx[logicalToPhysical[d]];
          idx = std::move(logical);
        }
        Value v = body(nb, nloc, idx, args.drop_back());
        linalg::YieldOp::create(nb, nloc, v);
      });
  if (scope)
    scope->record(generic.getResult(0), order);
  return generic.getResult(0);
}

Value qopt::lowering::loopNest(OpBuilder &b, Location loc, ArrayRef<int64_t> bounds, Value init,
                               StepFn step) {
  if (bounds.empty())
    return init;
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

AffineMap qopt::lowering::broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> operandShape,
                                       ArrayRef<int64_t> resultShape) {
  int64_t offset = (int64_t)resultShape.size() - (int64_t)operandShape.size();
  SmallVector<AffineExpr> exprs;
  for (auto [i, d] : llvm::enumerate(operandShape)) {
    int64_t r = offset + (int64_t)i;
    if (d == 1 && resultShape[r] != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(r, ctx));
  }
  return AffineMap::get(resultShape.size(), 0, exprs, ctx);
}

Value qopt::lowering::i32Tensor(OpBuilder &b, Location loc, ArrayRef<int32_t> values) {
  auto t = RankedTensorType::get({(int64_t)values.size()}, b.getI32Type());
  return arith::ConstantOp::create(b, loc, DenseIntElementsAttr::get(t, values));
}

//===----------------------------------------------------------------------===//
// Body arithmetic
//===----------------------------------------------------------------------===//

Value Body::i32(int64_t v) { return arith::ConstantIntOp::create(b, loc, b.getI32Type(), v); }
Value Body::i64(int64_t v) { return arith::ConstantIntOp::create(b, loc, b.getI64Type(), v); }
Value Body::idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
Value Body::f32(double v) {
  return arith::ConstantFloatOp::create(b, loc, b.getF32Type(), APFloat((float)v));
}
Value Body::floatConst(Type t, double v) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(t, v));
}
Value Body::intConst(Type t, int64_t v) { return arith::ConstantIntOp::create(b, loc, t, v); }

Value Body::toI32(Value v, bool isSigned) {
  unsigned w = v.getType().getIntOrFloatBitWidth();
  if (w == 32)
    return v;
  if (w > 32)
    return arith::TruncIOp::create(b, loc, b.getI32Type(), v);
  if (isSigned)
    return arith::ExtSIOp::create(b, loc, b.getI32Type(), v);
  return arith::ExtUIOp::create(b, loc, b.getI32Type(), v);
}

// Float math runs in f32: f16 and bf16 widen to it, f64 narrows to it
// (the GPU's double rate is a fraction of its float rate), signless
// integers convert.
Value Body::toF32(Value v) {
  Type t = v.getType();
  if (t.isF32())
    return v;
  if (isa<IntegerType>(t))
    return t.isInteger(1) ? arith::UIToFPOp::create(b, loc, b.getF32Type(), v).getResult()
                          : arith::SIToFPOp::create(b, loc, b.getF32Type(), v).getResult();
  if (t.getIntOrFloatBitWidth() > 32)
    return arith::TruncFOp::create(b, loc, b.getF32Type(), v);
  return arith::ExtFOp::create(b, loc, b.getF32Type(), v);
}

Value Body::fromF32(Value v, Type t) {
  if (t.isF32())
    return v;
  if (t.getIntOrFloatBitWidth() > 32)
    return arith::ExtFOp::create(b, loc, t, v);
  return arith::TruncFOp::create(b, loc, t, v);
}

Value Body::add(Value a, Value c) {
  if (isa<FloatType>(a.getType()))
    return arith::AddFOp::create(b, loc, a, c);
  return arith::AddIOp::create(b, loc, a, c);
}
Value Body::sub(Value a, Value c) {
  if (isa<FloatType>(a.getType()))
    return arith::SubFOp::create(b, loc, a, c);
  return arith::SubIOp::create(b, loc, a, c);
}
Value Body::mul(Value a, Value c) {
  if (isa<FloatType>(a.getType()))
    return arith::MulFOp::create(b, loc, a, c);
  return arith::MulIOp::create(b, loc, a, c);
}
Value Body::select(Value cond, Value a, Value c) {
  return arith::SelectOp::create(b, loc, cond, a, c);
}
Value Body::cmpi(arith::CmpIPredicate p, Value a, Value c) {
  return arith::CmpIOp::create(b, loc, p, a, c);
}
Value Body::andi(Value a, Value c) { return arith::AndIOp::create(b, loc, a, c); }

Value Body::extract(Value t, ValueRange indices) {
  // A tensor-core epilogue reads its tables from buffers.
  if (isa<MemRefType>(t.getType()))
    return memref::LoadOp::create(b, loc, t, indices);
  if (LayoutScope *scope = LayoutScope::current()) {
    ArrayRef<int64_t> order = scope->orderOf(t);
    if (!order.empty()) {
      SmallVector<Value> physical;
      for (int64_t d : order)
        physical.push_back(indices[d]);
      return tensor::ExtractOp::create(b, loc, t, physical);
    }
  }
  return tensor::ExtractOp::create(b, loc, t, indices);
}

Value Body::applyScale(Value v, Value multiplier, Value shift) {
  // (v * m + 2^(shift-1)) >> shift in i64, saturated to i32: tosa.apply_scale
  // with single rounding, as qopt::quant::applyScale.
  Type i64t = b.getI64Type();
  Value v64 = arith::ExtSIOp::create(b, loc, i64t, v);
  Value m64 = arith::ExtSIOp::create(b, loc, i64t, multiplier);
  Value s64 = arith::ExtSIOp::create(b, loc, i64t, shift);
  Value round = arith::ShLIOp::create(b, loc, i64(1), sub(s64, i64(1)));
  Value r = arith::ShRSIOp::create(b, loc, add(mul(v64, m64), round), s64);
  r = arith::MaxSIOp::create(b, loc, r, i64(std::numeric_limits<int32_t>::min()));
  r = arith::MinSIOp::create(b, loc, r, i64(std::numeric_limits<int32_t>::max()));
  return arith::TruncIOp::create(b, loc, b.getI32Type(), r);
}

Value Body::requantize(Value acc, Value multiplier, Value shift, const Requant &r) {
  // applyScale, then the zero point and the clamp in i64 as
  // qopt::quant::requantize (a saturated int32 plus a zero point may leave
  // int32 before the clamp brings it back).
  Type i64t = b.getI64Type();
  Value y = arith::ExtSIOp::create(b, loc, i64t, applyScale(acc, multiplier, shift));
  y = add(y, i64(r.zeroPoint));
  y = arith::MaxSIOp::create(b, loc, y, i64(r.lo));
  y = arith::MinSIOp::create(b, loc, y, i64(r.hi));
  return arith::TruncIOp::create(b, loc, r.storage, y);
}

Value Body::requantize(Value acc, const Requant &r) {
  return requantize(acc, i32(r.scale.multiplier), i32(r.scale.shift), r);
}

Value Body::quantize(Value x, float scale, int32_t zeroPoint, int32_t qmin, int32_t qmax,
                     Type storage) {
  // round_half_even(x / s) + z saturated to [qmin, qmax]; NaN -> z. The clamp
  // happens before the conversion to integer (on exact small floats), so an
  // out-of-range quotient never reaches fptosi.
  Value q = arith::DivFOp::create(b, loc, toF32(x), f32(scale));
  Value isNan = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, q, q);
  Value r = math::RoundEvenOp::create(b, loc, q);
  r = arith::MaximumFOp::create(b, loc, r, f32((double)qmin - zeroPoint));
  r = arith::MinimumFOp::create(b, loc, r, f32((double)qmax - zeroPoint));
  r = select(isNan, f32(0.0), r);
  Value i = arith::FPToSIOp::create(b, loc, b.getI32Type(), r);
  i = add(i, i32(zeroPoint));
  i = arith::MaxSIOp::create(b, loc, i, i32(qmin));
  i = arith::MinSIOp::create(b, loc, i, i32(qmax));
  if (storage.getIntOrFloatBitWidth() == 32)
    return i;
  return arith::TruncIOp::create(b, loc, storage, i);
}

//===----------------------------------------------------------------------===//
// Requantization parameters (the reference's own functions)
//===----------------------------------------------------------------------===//

FailureOr<Requant> qopt::lowering::outputOf(Operation *op) {
  auto out = ref::integerOutputOf(op);
  if (!out) {
    op->emitError() << llvm::toString(out.takeError());
    return failure();
  }
  Requant r;
  r.zeroPoint = out->params.zeroPoint();
  r.lo = out->lo;
  r.hi = out->hi;
  r.storage = storageOf(getElementTypeOrSelf(op->getResult(0).getType()));
  return r;
}

FailureOr<Requant> qopt::lowering::requantFor(Operation *op, double accScale) {
  auto r = outputOf(op);
  if (failed(r))
    return failure();
  auto out = ref::quantParamsOf(getElementTypeOrSelf(op->getResult(0).getType()));
  if (!out) {
    op->emitError() << llvm::toString(out.takeError());
    return failure();
  }
  auto s = qopt::quant::computeFixedPointScale(accScale / out->scale());
  if (!s) {
    op->emitError() << llvm::toString(s.takeError());
    return failure();
  }
  r->scale = *s;
  return r;
}

FailureOr<std::function<Value(Body &, Value)>> qopt::lowering::settleFn(Operation *op,
                                                                       Value operand) {
  auto in = elementInfo(op, operand);
  if (failed(in))
    return failure();
  if (!in->quantized)
    return std::function<Value(Body &, Value)>([](Body &, Value v) { return v; });
  auto r = outputOf(op);
  if (failed(r))
    return failure();
  auto outParams = ref::quantParamsOf(getElementTypeOrSelf(op->getResult(0).getType()));
  if (!outParams) {
    op->emitError() << llvm::toString(outParams.takeError());
    return failure();
  }
  const ref::QuantParams &ip = in->params;
  bool same = ip.scales == outParams->scales && ip.zeroPoints == outParams->zeroPoints &&
              in->storage == r->storage && r->lo <= ip.qmin && r->hi >= ip.qmax;
  if (same)
    return std::function<Value(Body &, Value)>([](Body &, Value v) { return v; });
  auto s = qopt::quant::computeFixedPointScale(ip.scale() / outParams->scale());
  if (!s) {
    op->emitError() << "requantize: " << llvm::toString(s.takeError());
    return failure();
  }
  Requant req = *r;
  req.scale = *s;
  bool isSigned = in->isSigned;
  int32_t z = ip.zeroPoint();
  return std::function<Value(Body &, Value)>([req, isSigned, z](Body &body, Value v) {
    return body.requantize(body.sub(body.toI32(v, isSigned), body.i32(z)), req);
  });
}

Value qopt::lowering::floatActivation(Body &body, Operation *op, Value v) {
  auto kind = op->getAttrOfType<qnn::ActivationAttr>("activation");
  if (!kind)
    return v;
  auto params = op->getAttrOfType<DenseF64ArrayAttr>("activation_params");
  auto param = [&](size_t i) { return params && (size_t)params.size() > i ? params[i] : 0.0; };
  OpBuilder &b = body.b;
  Location loc = body.loc;
  Type t = v.getType();
  Value zero = body.floatConst(t, 0.0), one = body.floatConst(t, 1.0);
  auto clamp01 = [&](Value g) {
    // g < 0 ? 0 : (g > 1 ? 1 : g), NaN passing through as in the reference.
    Value lt = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, g, zero);
    Value gt = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, g, one);
    return body.select(lt, zero, body.select(gt, one, g));
  };
  switch (kind.getValue()) {
  case qnn::Activation::relu: {
    Value lt = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, v, zero);
    return body.select(lt, zero, v);
  }
  case qnn::Activation::clip: {
    Value r = v;
    if (!std::isnan(param(0))) {
      Value lo = body.floatConst(t, param(0));
      Value lt = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, r, lo);
      r = body.select(lt, lo, r);
    }
    if (!std::isnan(param(1))) {
      Value hi = body.floatConst(t, param(1));
      Value gt = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, r, hi);
      r = body.select(gt, hi, r);
    }
    return r;
  }
  case qnn::Activation::leaky_relu: {
    Value lt = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, v, zero);
    return body.select(lt, body.mul(body.floatConst(t, param(0)), v), v);
  }
  case qnn::Activation::hard_sigmoid:
    return clamp01(body.add(body.mul(body.floatConst(t, param(0)), v),
                            body.floatConst(t, param(1))));
  case qnn::Activation::hard_swish: {
    Value g = arith::DivFOp::create(b, loc, v, body.floatConst(t, 6.0));
    return body.mul(v, clamp01(body.add(g, body.floatConst(t, 0.5))));
  }
  }
  return v;
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

namespace {

/// Whether a conv, gemm or matmul can run as a tensor-core kernel; if not,
/// `why` says what rules it out.
bool eligible(Operation *op, std::string *why = nullptr) {
  if (auto conv = dyn_cast<qnn::ConvOp>(op))
    return tensorCoreEligible(conv, why);
  if (auto gemm = dyn_cast<qnn::GemmOp>(op))
    return tensorCoreEligible(gemm, why);
  if (auto matmul = dyn_cast<qnn::MatMulOp>(op))
    return tensorCoreEligible(matmul, why);
  return false;
}

/// Whether `op` runs as a tensor-core kernel under the pass's options.
bool onTensorCores(Operation *op, bool tensorCores, bool emulate) {
  return (tensorCores || emulate) && eligible(op);
}

/// A constant, or a storage cast of one: lowered on demand wherever needed.
bool isConstantLike(Value v) {
  Operation *def = v.getDefiningOp();
  if (auto cast = dyn_cast_or_null<mlir::quant::StorageCastOp>(def))
    return isConstantLike(cast.getOperand());
  return isa_and_nonnull<qnn::ConstantOp>(def);
}

/// Per tensor-core op, the elementwise ops its epilogue runs
/// (FusedEpilogue): starting from its result, while the value has one user,
/// that user has a scalar form and the value's shape, and its other
/// operands are constants or computed before the kernel, the user joins
/// and its result is the next value. A residual add of two tensor-core
/// convs so goes to the later one, whose residual (the other conv's
/// result) exists when it runs; a batchnorm left as float Mul/Add between a
/// DequantizeLinear and a QuantizeLinear joins whole.
DenseMap<Operation *, SmallVector<Operation *>>
planEpilogueFusion(Block &block, function_ref<bool(Operation *)> onTensorCores) {
  DenseMap<Operation *, unsigned> position;
  for (auto [i, op] : llvm::enumerate(block))
    position[&op] = i;
  DenseMap<Operation *, SmallVector<Operation *>> plans;
  for (Operation &op : block) {
    if (!onTensorCores(&op))
      continue;
    auto available = [&](Value v) {
      Operation *def = v.getDefiningOp();
      return !def || isConstantLike(v) ||
             (def->getBlock() == &block && position.lookup(def) < position.lookup(&op));
    };
    SmallVector<Operation *> chain;
    Value cur = op.getResult(0);
    ArrayRef<int64_t> shape = cast<RankedTensorType>(cur.getType()).getShape();
    while (cur.hasOneUse()) {
      Operation *user = *cur.getUsers().begin();
      if (user->getBlock() != &block || user->getNumResults() != 1 || !hasScalarForm(user))
        break;
      auto rt = dyn_cast<RankedTensorType>(user->getResult(0).getType());
      if (!rt || rt.getShape() != shape)
        break;
      // A per-axis dequantize reads scale tables of its own.
      if (isa<mlir::quant::DequantizeCastOp>(user) &&
          isa<mlir::quant::UniformQuantizedPerAxisType>(
              getElementTypeOrSelf(user->getOperand(0).getType())))
        break;
      if (!llvm::all_of(user->getOperands(),
                        [&](Value v) { return v == cur || available(v); }))
        break;
      chain.push_back(user);
      cur = user->getResult(0);
    }
    if (!chain.empty())
      plans[&op] = std::move(chain);
  }
  return plans;
}

FailureOr<Value> lowerOne(OpBuilder &b, Operation *op, Operands in, bool tensorCores,
                          bool emulate, const TileChoice &tiles,
                          const FusedEpilogue *fused, ConvLayout layout) {
  if (onTensorCores(op, tensorCores, emulate)) {
    if (auto conv = dyn_cast<qnn::ConvOp>(op))
      return lowerConvTensorCore(b, conv, in, /*emulate=*/!tensorCores, tiles, fused, layout);
    if (auto matmul = dyn_cast<qnn::MatMulOp>(op))
      return lowerMatMulTensorCore(b, matmul, in, /*emulate=*/!tensorCores, tiles, fused);
    return lowerGemmTensorCore(b, cast<qnn::GemmOp>(op), in, /*emulate=*/!tensorCores, tiles,
                               fused);
  }
  if (auto c = dyn_cast<qnn::ConstantOp>(op)) {
    auto value = cast<TypedAttr>(c.getValue());
    // Unsigned integers live in signless storage of their width (storageOf).
    if (auto it = dyn_cast<IntegerType>(getElementTypeOrSelf(value.getType()));
        it && it.isUnsigned()) {
      auto t = ref::tensorFromAttr(c.getValue());
      if (!t)
        return op->emitError() << llvm::toString(t.takeError()), failure();
      ref::DType bits = it.getWidth() == 8    ? ref::DType::I8
                        : it.getWidth() == 16 ? ref::DType::I16
                        : it.getWidth() == 32 ? ref::DType::I32
                                              : ref::DType::I64;
      value = cast<TypedAttr>(ref::attrFromTensor(b.getContext(), t->bitcast(bits),
                                                  "unsigned_constant"));
    }
    return arith::ConstantOp::create(b, op->getLoc(), value).getResult();
  }
  if (isa<mlir::quant::StorageCastOp>(op)) {
    // Elementwise: the operand's shape (and so its order) stays.
    Type want = RankedTensorType::get(
        cast<RankedTensorType>(in[0].getType()).getShape(),
        storageTensorType(op->getResult(0).getType()).getElementType());
    if (want != in[0].getType())
      return arith::BitcastOp::create(b, op->getLoc(), want, in[0]).getResult();
    return in[0];
  }
  if (isa<qnn::ConvOp, qnn::ConvTransposeOp, qnn::GemmOp, qnn::MatMulOp>(op))
    return lowerLinear(b, op, in);
  if (isa<qnn::MaxPoolOp, qnn::MaxPoolIndicesOp, qnn::MaxUnpoolOp, qnn::AvgPoolOp,
          qnn::GlobalAvgPoolOp, qnn::GlobalMaxPoolOp>(op))
    return lowerPooling(b, op, in);
  if (isa<qnn::ReshapeOp, qnn::ConcatOp, qnn::TransposeOp, qnn::SliceOp, qnn::ResizeOp,
          qnn::GatherOp, qnn::GatherElementsOp, qnn::GatherNDOp, qnn::GridSampleOp, qnn::ScatterNDOp,
          qnn::ScatterElementsOp, qnn::ExpandOp, qnn::PadOp>(op))
    return lowerDataMovement(b, op, in);
  if (isa<qnn::ReduceMeanOp, qnn::ReduceSumOp, qnn::ReduceMaxOp, qnn::ReduceMinOp,
          qnn::ReduceProdOp, qnn::ArgMaxOp, qnn::ArgMinOp, qnn::CumSumOp, qnn::TopKOp>(op))
    return lowerReduction(b, op, in);
  return lowerElementwise(b, op, in);
}

/// The NHWC order of a rank-4 tensor.
const DimOrder kNHWC{0, 2, 3, 1};

/// The lowered tensors' orders (docs/codegen.md, "Layout") and the copies
/// that move a tensor to another order, made once per tensor and order.
struct Layouts {
  DenseMap<Value, DimOrder> orders;
  DenseMap<std::pair<Value, unsigned>, Value> copies;

  ArrayRef<int64_t> of(Value v) const {
    auto it = orders.find(v);
    return it == orders.end() ? ArrayRef<int64_t>() : ArrayRef<int64_t>(it->second);
  }

  /// `v` stored in `to` (empty for the identity; else the identity or
  /// NHWC). A move of unit dimensions only is a reshape, no data moves (a
  /// global pool's [N, 1, 1, C] is its [N, C, 1, 1]); anything else is one
  /// transposing generic.
  Value reorder(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> to) {
    ArrayRef<int64_t> from = of(v);
    if (isIdentityOrder(to))
      to = {};
    if (from == to)
      return v;
    auto key = std::make_pair(v, (unsigned)to.size());
    if (auto it = copies.find(key); it != copies.end())
      return it->second;
    auto type = cast<RankedTensorType>(v.getType());
    int64_t rank = type.getRank();
    SmallVector<int64_t> logical(type.getShape());
    for (auto [i, d] : llvm::enumerate(from))
      logical[d] = type.getDimSize(i);
    auto nonUnit = [&](ArrayRef<int64_t> order) {
      SmallVector<int64_t> dims;
      for (int64_t i = 0; i < rank; ++i) {
        int64_t d = order.empty() ? i : order[i];
        if (logical[d] != 1)
          dims.push_back(d);
      }
      return dims;
    };
    Value r;
    if (nonUnit(from) == nonUnit(to)) {
      auto target = RankedTensorType::get(physicalShape(logical, to), type.getElementType());
      ReassociationIndices all;
      for (int64_t i = 0; i < rank; ++i)
        all.push_back(i);
      auto flatType = RankedTensorType::get({type.getNumElements()}, type.getElementType());
      Value flat = tensor::CollapseShapeOp::create(b, loc, flatType, v,
                                                   SmallVector<ReassociationIndices>{all});
      r = tensor::ExpandShapeOp::create(b, loc, target, flat,
                                        SmallVector<ReassociationIndices>{all});
    } else {
      LayoutScope scope(orders, DimOrder(to));
      auto logicalType = RankedTensorType::get(logical, type.getElementType());
      r = buildGeneric(b, loc, logicalType, {v}, {b.getMultiDimIdentityMap(rank)},
                       [](OpBuilder &, Location, ValueRange, ValueRange a) { return a[0]; });
    }
    if (!to.empty())
      orders[r] = DimOrder(to);
    copies[key] = r;
    return r;
  }
};

/// How an op meets the layouts: the tensor-core conv reads NCHW or NHWC and
/// writes NHWC; reshapes, tensor-core gemms and matmuls (whose lowerings
/// address memory themselves) and the function's results take the identity;
/// every
/// other lowering is layout-agnostic (LayoutScope): the 2-D image ops (convs,
/// pools, resize) write NHWC, the rest the order of their first operand of
/// the result's rank that is stored out of order.
DimOrder resultOrderFor(Operation *op, ArrayRef<Value> operands, const Layouts &layouts,
                        bool tensorCoreOp) {
  if (tensorCoreOp)
    return isa<qnn::ConvOp>(op) ? kNHWC : DimOrder{};
  if (isa<qnn::ReshapeOp, qnn::ConstantOp, qnn::GemmOp>(op) || op->getNumResults() != 1)
    return {};
  auto rt = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!rt)
    return {};
  if (rt.getRank() == 4 &&
      isa<qnn::ConvOp, qnn::ConvTransposeOp, qnn::MaxPoolOp, qnn::AvgPoolOp,
          qnn::GlobalAvgPoolOp, qnn::GlobalMaxPoolOp, qnn::ResizeOp>(op))
    return kNHWC;
  for (Value v : operands) {
    if (!v)
      continue;
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (t && t.getRank() == rt.getRank() && !layouts.of(v).empty())
      return DimOrder(layouts.of(v));
  }
  return {};
}

struct LowerQNNToLinalgPass
    : public qopt::impl::LowerQNNToLinalgPassBase<LowerQNNToLinalgPass> {
  using qopt::impl::LowerQNNToLinalgPassBase<LowerQNNToLinalgPass>::LowerQNNToLinalgPassBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (!func.getBody().hasOneBlock()) {
      func.emitError("qopt-lower-to-linalg expects a single-block function");
      return signalPassFailure();
    }
    Block &block = func.getBody().front();
    if (tensorCoreMma != "mma.sync" && tensorCoreMma != "wgmma") {
      func.emitError() << "qopt-lower-to-linalg: tensor-core-mma must be mma.sync or wgmma, got '"
                       << tensorCoreMma << "'";
      return signalPassFailure();
    }
    TileChoice tiles;
    tiles.wgmma = tensorCoreMma == "wgmma";
    if (!tensorCoreTiles.empty()) {
      std::string why;
      if (failed(readTileFile(tensorCoreTiles, tiles.wgmma, tiles, &why))) {
        func.emitError() << "qopt-lower-to-linalg: tile file '" << tensorCoreTiles
                         << "': " << why;
        return signalPassFailure();
      }
    }
    if (tensorCoreTile != "auto") {
      std::string why;
      FailureOr<TileConfig> parsed =
          parseTileConfig(tensorCoreTile, &why, tensorCoreMma == "wgmma");
      if (failed(parsed)) {
        func.emitError() << "qopt-lower-to-linalg: tensor-core-tile '" << tensorCoreTile
                         << "': " << why;
        return signalPassFailure();
      }
      tiles.all = *parsed;
    }
    // Fresh storage-typed arguments: the qnn ops keep reading the original
    // (quantized) ones, whose types their lowering needs, until they are gone.
    IRMapping map;
    unsigned numArgs = block.getNumArguments();
    for (unsigned i = 0; i < numArgs; ++i) {
      BlockArgument arg = block.getArgument(i);
      Type want = isa<RankedTensorType>(arg.getType()) ? Type(storageTensorType(arg.getType()))
                                                        : arg.getType();
      map.map(arg, block.addArgument(want, arg.getLoc()));
    }
    bool nhwc = layout == "nhwc" ||
                (layout == "auto" && (tensorCores || tensorCoreEmulation));
    if (layout != "auto" && layout != "nhwc" && layout != "nchw") {
      func.emitError() << "qopt-lower-to-linalg: layout must be auto, nchw or nhwc, got '"
                       << layout << "'";
      return signalPassFailure();
    }
    Layouts layouts;
    SmallVector<Operation *> lowered;
    OpBuilder b(func.getContext());
    // Elementwise ops that a tensor-core kernel before them computes in
    // its epilogue (docs/codegen.md): one kernel and one tensor less each.
    auto onTC = [&](Operation *op) {
      return onTensorCores(op, tensorCores, tensorCoreEmulation);
    };
    DenseMap<Operation *, SmallVector<Operation *>> epiloguePlans =
        planEpilogueFusion(block, onTC);
    DenseSet<Operation *> fusedOps;
    for (auto &plan : epiloguePlans)
      fusedOps.insert(plan.second.begin(), plan.second.end());
    // A constant an epilogue needs before its place in the block.
    std::function<Value(Value)> lowerNow = [&](Value v) -> Value {
      if (Value m = map.lookupOrNull(v))
        return m;
      Operation *def = v.getDefiningOp();
      SmallVector<Value> ins;
      for (Value o : def->getOperands())
        ins.push_back(lowerNow(o));
      FailureOr<Value> r =
          lowerOne(b, def, Operands{ins}, false, false, tiles, nullptr, ConvLayout{});
      if (failed(r))
        return Value();
      map.map(v, *r);
      return *r;
    };
    for (Operation &op : block.without_terminator()) {
      b.setInsertionPoint(&op);
      if (fusedOps.contains(&op) ||
          (op.getNumResults() == 1 && map.contains(op.getResult(0)))) {
        lowered.push_back(&op); // computed already, by a kernel's epilogue or on demand
        continue;
      }
      SmallVector<Value> operands;
      for (Value v : op.getOperands())
        operands.push_back(map.lookupOrNull(v));
      if (op.getNumResults() != 1) {
        op.emitError("qopt-lower-to-linalg: expected a single-result op");
        return signalPassFailure();
      }
      std::optional<FusedEpilogue> fused;
      Value result = op.getResult(0);
      bool tcOp = onTensorCores(&op, tensorCores, tensorCoreEmulation);
      bool tcConv = tcOp && isa<qnn::ConvOp>(op);
      // An integer contraction left to a SIMT kernel says why, for
      // `qopt-compile --remarks` (the tensor-core ones say their tiles).
      if (tensorCores && !tcOp && isa<qnn::ConvOp, qnn::GemmOp, qnn::MatMulOp>(op) &&
          isa<mlir::quant::QuantizedType>(getElementTypeOrSelf(op.getResult(0).getType()))) {
        std::string why;
        eligible(&op, &why);
        op.emitRemark() << "SIMT kernel, not tensor cores: " << why;
      }
      // Operands in the order their lowering reads: the tensor-core conv
      // reads its input in NCHW or NHWC (any other order becomes NHWC);
      // reshapes and tensor-core gemms and matmuls read the identity.
      if (nhwc) {
        for (size_t i = 0; i < operands.size(); ++i) {
          Value &v = operands[i];
          if (!v)
            continue;
          if (tcConv) {
            // An NCHW input whose channels fill 16-byte copies is worth one
            // transpose (the network's input, or after a reshape); any
            // other order becomes NHWC too.
            int64_t cin = cast<RankedTensorType>(op.getOperand(0).getType()).getDimSize(1);
            ArrayRef<int64_t> in = layouts.of(v);
            if (i == 0 && ((in.empty() && cin % 16 == 0) || (!in.empty() && in != ArrayRef(kNHWC))))
              v = layouts.reorder(b, op.getLoc(), v, kNHWC);
          } else if (tcOp || isa<qnn::ReshapeOp>(op)) {
            v = layouts.reorder(b, op.getLoc(), v, {});
          }
        }
      }
      DimOrder order = nhwc ? resultOrderFor(&op, operands, layouts, tcOp) : DimOrder{};
      bool nhwcOutput = nhwc && tcConv;
      auto plan = epiloguePlans.find(&op);
      if (plan != epiloguePlans.end()) {
        fused.emplace();
        Value chain = op.getResult(0);
        for (Operation *e : plan->second) {
          SmallVector<Value> values;
          SmallVector<DimOrder> orders;
          for (Value v : e->getOperands()) {
            Value lowered = v == chain ? Value() : lowerNow(v);
            if (v != chain && !lowered)
              return signalPassFailure();
            values.push_back(lowered);
            orders.push_back(lowered ? DimOrder(layouts.of(lowered)) : DimOrder{});
          }
          fused->ops.push_back(e);
          fused->operands.push_back(std::move(values));
          fused->orders.push_back(std::move(orders));
          chain = e->getResult(0);
        }
        result = chain;
      }
      // A conv whose (fused) result only leaves the function or meets a
      // reshape writes NCHW itself: no transpose after it.
      if (nhwcOutput && llvm::all_of(result.getUsers(), [](Operation *user) {
            return isa<func::ReturnOp, qnn::ReshapeOp>(user);
          })) {
        nhwcOutput = false;
        order = {};
      }
      FailureOr<Value> r = failure();
      {
        std::optional<LayoutScope> scope;
        if (nhwc && !tcOp)
          scope.emplace(layouts.orders, order);
        ConvLayout convLayout{nhwc && tcConv && !layouts.of(operands[0]).empty(), nhwcOutput};
        r = lowerOne(b, &op, Operands{operands}, tensorCores, tensorCoreEmulation, tiles,
                     fused ? &*fused : nullptr, convLayout);
      }
      if (failed(r))
        return signalPassFailure();
      auto want = storageTensorType(result.getType());
      want = RankedTensorType::get(physicalShape(want.getShape(), order),
                                   want.getElementType());
      if (r->getType() != want) {
        op.emitError() << "qopt-lower-to-linalg produced " << r->getType() << " for "
                       << result.getType();
        return signalPassFailure();
      }
      if (!order.empty())
        layouts.orders[*r] = order;
      map.map(result, *r);
      lowered.push_back(&op);
    }
    Operation *ret = block.getTerminator();
    b.setInsertionPoint(ret);
    for (OpOperand &o : ret->getOpOperands())
      o.set(layouts.reorder(b, ret->getLoc(), map.lookup(o.get()), {}));
    for (Operation *op : llvm::reverse(lowered)) {
      op->dropAllUses();
      op->erase();
    }
    for (unsigned i = 0; i < numArgs; ++i)
      block.getArgument(i).replaceAllUsesWith(map.lookup(block.getArgument(i)));
    block.eraseArguments(0, numArgs);
    func.setType(FunctionType::get(func.getContext(), block.getArgumentTypes(),
                                   ret->getOperandTypes()));
  }
};

} // namespace
