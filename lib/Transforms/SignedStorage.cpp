//===- SignedStorage.cpp - uint8 quantized tensors as int8 -----*- C++ -*-===//
//
// See the pass description in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "qopt/Dialect/QNN/QNNOps.h"
#include "qopt/Reference/Executor.h"
#include "qopt/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Builders.h"

namespace qopt {
#define GEN_PASS_DEF_SIGNEDSTORAGEPASS
#include "qopt/Transforms/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;
namespace mq = mlir::quant;

namespace {

/// The signed twin of an unsigned 8-bit quantized element type, or null.
Type signedTwin(Type elt) {
  auto q = dyn_cast<mq::QuantizedType>(elt);
  if (!q || q.isSigned() || q.getStorageTypeIntegralWidth() != 8)
    return {};
  unsigned flags = (unsigned)mq::QuantizationFlags::Signed;
  int64_t lo = q.getStorageTypeMin() - 128, hi = q.getStorageTypeMax() - 128;
  if (auto u = dyn_cast<mq::UniformQuantizedType>(q))
    return mq::UniformQuantizedType::get(flags, u.getStorageType(), u.getExpressedType(),
                                         u.getScale(), u.getZeroPoint() - 128, lo, hi);
  if (auto a = dyn_cast<mq::UniformQuantizedPerAxisType>(q)) {
    SmallVector<int64_t> zeros;
    for (int64_t z : a.getZeroPoints())
      zeros.push_back(z - 128);
    return mq::UniformQuantizedPerAxisType::get(flags, a.getStorageType(), a.getExpressedType(),
                                                a.getScales(), zeros,
                                                a.getQuantizedDimension(), lo, hi);
  }
  return {};
}

RankedTensorType signedTwinTensor(Type t) {
  auto rt = dyn_cast<RankedTensorType>(t);
  if (!rt)
    return {};
  Type e = signedTwin(rt.getElementType());
  return e ? rt.clone(e) : RankedTensorType();
}

/// A constant holding `c`'s 8-bit storage with bit 7 flipped (q - 128 for
/// unsigned bytes read as signed), or null when `c` is not such a constant.
Value flippedConstant(OpBuilder &b, Value c) {
  auto def = c.getDefiningOp<qnn::ConstantOp>();
  if (!def)
    return {};
  auto t = ref::tensorFromAttr(def.getValue());
  if (!t) {
    llvm::consumeError(t.takeError());
    return {};
  }
  if (ref::dtypeSize(t->dtype()) != 1 || ref::isFloat(t->dtype()) ||
      t->dtype() == ref::DType::Bool)
    return {};
  ref::Tensor flipped = t->clone();
  for (int64_t i = 0; i < flipped.numElements(); ++i)
    flipped.bytes()[i] = (char)((uint8_t)flipped.bytes()[i] ^ 0x80);
  std::string hint = "signed";
  if (auto loc = dyn_cast<NameLoc>(def.getLoc()))
    hint = (loc.getName().strref() + ".signed").str();
  return qnn::ConstantOp::create(b, def.getLoc(),
                                 ref::attrFromTensor(b.getContext(), flipped, hint));
}

/// Whether `v` is a per-axis uint8 value (weights, in practice).
bool perAxisUnsigned(Value v) {
  auto a = dyn_cast<mq::UniformQuantizedPerAxisType>(getElementTypeOrSelf(v.getType()));
  return a && signedTwin(a);
}

/// An op where a per-axis uint8 value would need a conversion at run time:
/// a function argument (at its first user), a cast from plain integers that
/// are not a constant, a cast back to plain integers, or a return. The
/// conversion must cover every value or none, so such a function is left
/// alone.
Operation *perAxisBoundary(Block &block) {
  for (BlockArgument arg : block.getArguments())
    if (perAxisUnsigned(arg) && !arg.use_empty())
      return *arg.getUsers().begin();
  for (Operation &op : block) {
    if (auto cast = dyn_cast<mq::StorageCastOp>(op)) {
      if (perAxisUnsigned(cast.getResult()) && !cast.getOperand().getDefiningOp<qnn::ConstantOp>())
        return &op;
      if (perAxisUnsigned(cast.getOperand()))
        return &op;
    }
    if (isa<func::ReturnOp>(op) && llvm::any_of(op.getOperands(), perAxisUnsigned))
      return &op;
  }
  return nullptr;
}

class SignedStoragePass : public qopt::impl::SignedStoragePassBase<SignedStoragePass> {
public:
  using SignedStoragePassBase::SignedStoragePassBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    Block &block = func.getBody().front();
    // No qnn op has regions; one that did would hide values from the rewrite.
    for (Operation &op : block)
      if (op.getNumRegions() != 0) {
        op.emitRemark("qopt-signed-storage: uint8 kept: an op with regions");
        return;
      }
    if (Operation *op = perAxisBoundary(block)) {
      op->emitRemark("qopt-signed-storage: uint8 kept: a per-axis uint8 value crosses a "
                     "boundary here, and qnn.requantize converts per-tensor values only");
      return;
    }
    OpBuilder b(func.getContext());
    // Every converted value and the unsigned type it had.
    DenseMap<Value, Type> original;
    auto convertAfter = [&](Value v, RankedTensorType twin) {
      Value r = qnn::RequantizeOp::create(b, v.getLoc(), twin, v);
      v.replaceAllUsesExcept(r, r.getDefiningOp());
      original[r] = v.getType();
    };

    // Arguments keep their type; a requantize right after them converts.
    b.setInsertionPointToStart(&block);
    for (BlockArgument arg : block.getArguments())
      if (RankedTensorType twin = signedTwinTensor(arg.getType()))
        convertAfter(arg, twin);

    for (Operation &op : llvm::make_early_inc_range(block.without_terminator())) {
      if (auto cast = dyn_cast<mq::StorageCastOp>(op)) {
        RankedTensorType twin = signedTwinTensor(cast.getType());
        if (!twin)
          continue;
        // Plain integers becoming quantized: a constant is rewritten, any
        // other value is converted after the cast.
        b.setInsertionPoint(cast);
        Value flipped = flippedConstant(b, cast.getOperand());
        if (flipped && getElementTypeOrSelf(flipped.getType()) ==
                           llvm::cast<mq::QuantizedType>(twin.getElementType()).getStorageType()) {
          Value c = mq::StorageCastOp::create(b, cast.getLoc(), twin, flipped);
          original[c] = cast.getType();
          cast.getResult().replaceAllUsesWith(c);
          cast.erase();
          continue;
        }
        if (flipped)
          flipped.getDefiningOp()->erase();
        if (isa<mq::UniformQuantizedPerAxisType>(twin.getElementType())) {
          cast.emitError("qopt-signed-storage: per-axis uint8 constant in an unexpected form");
          return signalPassFailure();
        }
        b.setInsertionPointAfter(cast);
        convertAfter(cast.getResult(), twin);
        continue;
      }
      if (isa<qnn::RequantizeOp>(op) && original.count(op.getResult(0)))
        continue; // made above
      bool changed = false;
      for (OpResult res : op.getResults())
        if (RankedTensorType twin = signedTwinTensor(res.getType())) {
          original[res] = res.getType();
          res.setType(twin);
          changed = true;
        }
      // A table holds the output's storage bytes.
      if (auto lut = dyn_cast<qnn::LutOp>(op); lut && changed) {
        b.setInsertionPoint(lut);
        Value flipped = flippedConstant(b, lut.getTable());
        if (!flipped) {
          lut.emitError("qopt-signed-storage: the table is not a constant");
          return signalPassFailure();
        }
        lut.getTableMutable().assign(flipped);
      }
    }

    // Uses that need the unsigned form back: casts to plain integers and
    // the function's results.
    for (Operation &op : llvm::make_early_inc_range(block)) {
      bool boundary = isa<func::ReturnOp>(op);
      if (auto cast = dyn_cast<mq::StorageCastOp>(op))
        boundary = !isa<mq::QuantizedType>(getElementTypeOrSelf(cast.getType()));
      if (!boundary)
        continue;
      for (OpOperand &use : op.getOpOperands()) {
        auto it = original.find(use.get());
        if (it == original.end())
          continue;
        b.setInsertionPoint(&op);
        use.set(qnn::RequantizeOp::create(b, op.getLoc(), it->second, use.get()));
      }
    }
  }
};

} // namespace
