//===- ConvertFloatPrecision.cpp - f32 tensors to f16 -----------*- C++ -*-===//
//
// The numerics change on purpose (every stored float rounds to f16), so this
// is an explicit pass and an explicit compiler option (--precision fp16, or
// --float-layers fp16 for the layers an int8 program keeps in float).
//
//===----------------------------------------------------------------------===//

#include "qopt/Dialect/QNN/QNNOps.h"
#include "qopt/Reference/Executor.h"
#include "qopt/Transforms/Passes.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

namespace qopt {
#define GEN_PASS_DEF_CONVERTFLOATPRECISIONPASS
#include "qopt/Transforms/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

bool isF32Tensor(Type t) {
  auto rt = dyn_cast<RankedTensorType>(t);
  return rt && rt.getElementType().isF32();
}

RankedTensorType withElement(Type t, Type elt) {
  return cast<RankedTensorType>(t).clone(elt);
}

struct ConvertFloatPrecisionPass
    : public qopt::impl::ConvertFloatPrecisionPassBase<ConvertFloatPrecisionPass> {
  using qopt::impl::ConvertFloatPrecisionPassBase<
      ConvertFloatPrecisionPass>::ConvertFloatPrecisionPassBase;

  /// Inserts a cast of `v` to `to` right after its definition and sends
  /// every other use of `v` to it.
  void castAfter(OpBuilder &b, Value v, Type to) {
    if (auto arg = dyn_cast<BlockArgument>(v))
      b.setInsertionPointToStart(arg.getOwner());
    else
      b.setInsertionPointAfter(v.getDefiningOp());
    auto cast = qnn::CastOp::create(b, v.getLoc(), to, v);
    v.replaceAllUsesExcept(cast, cast);
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    MLIRContext *ctx = &getContext();
    Type f16 = Float16Type::get(ctx), f32 = Float32Type::get(ctx);
    OpBuilder b(ctx);
    for (BlockArgument arg : func.getArguments())
      if (isF32Tensor(arg.getType()))
        castAfter(b, arg, withElement(arg.getType(), f16));

    bool failed = false;
    SmallVector<Operation *> ops;
    func.walk([&](Operation *op) {
      if (op != func.getOperation())
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      if (isa<qnn::CastOp>(op) && op->getResult(0).getUses().empty())
        continue;
      if (isa<func::ReturnOp>(op)) {
        b.setInsertionPoint(op);
        for (OpOperand &o : op->getOpOperands())
          if (auto rt = dyn_cast<RankedTensorType>(o.get().getType());
              rt && rt.getElementType().isF16() &&
              isF32Tensor(func.getResultTypes()[o.getOperandNumber()]))
            o.set(qnn::CastOp::create(b, op->getLoc(), withElement(rt, f32), o.get()));
        continue;
      }
      if (isa<mlir::quant::QuantizeCastOp>(op)) {
        // quant.qcast takes its expressed type (f32).
        Value in = op->getOperand(0);
        if (auto rt = dyn_cast<RankedTensorType>(in.getType()); rt && rt.getElementType().isF16()) {
          b.setInsertionPoint(op);
          op->setOperand(0, qnn::CastOp::create(b, op->getLoc(), withElement(rt, f32), in));
        }
        continue;
      }
      if (isa<mlir::quant::DequantizeCastOp>(op)) {
        if (isF32Tensor(op->getResult(0).getType()))
          castAfter(b, op->getResult(0), withElement(op->getResult(0).getType(), f16));
        continue;
      }
      if (isa<mlir::quant::StorageCastOp>(op))
        continue;
      if (auto c = dyn_cast<qnn::ConstantOp>(op)) {
        if (!isF32Tensor(c.getType()))
          continue;
        auto t = ref::tensorFromAttr(cast<ElementsAttr>(c.getValue()));
        if (!t) {
          c.emitError() << llvm::toString(t.takeError());
          failed = true;
          continue;
        }
        std::string hint = "f16";
        if (auto r = dyn_cast<DenseResourceElementsAttr>(c.getValue()))
          hint = (r.getRawHandle().getKey() + ".f16").str();
        ElementsAttr value = ref::attrFromTensor(ctx, t->castTo(ref::DType::F16), hint);
        c->setAttr("value", value);
        c.getResult().setType(cast<RankedTensorType>(value.getType()));
        continue;
      }
      if (op->getDialect() != ctx->getLoadedDialect<qnn::QNNDialect>())
        continue;
      for (Value r : op->getResults())
        if (isF32Tensor(r.getType()))
          r.setType(withElement(r.getType(), f16));
    }
    if (failed)
      signalPassFailure();
  }
};

} // namespace
