//===- FoldConstants.cpp - Evaluate constant qnn ops ---------*- C++ -*-===//

#include "qopt/Dialect/QNN/QNNOps.h"
#include "qopt/Reference/Executor.h"
#include "qopt/Transforms/Passes.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"

namespace qopt {
#define GEN_PASS_DEF_FOLDCONSTANTSPASS
#include "qopt/Transforms/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {
class FoldConstantsPass : public qopt::impl::FoldConstantsPassBase<FoldConstantsPass> {
public:
  using qopt::impl::FoldConstantsPassBase<FoldConstantsPass>::FoldConstantsPassBase;

  void runOnOperation() override {
    DenseMap<Value, qopt::ref::Tensor> known;
    bool failedAny = false;
    getOperation().walk([&](Operation *op) {
      if (op->getDialect() != getContext().getLoadedDialect<qopt::qnn::QNNDialect>() ||
          op->getNumResults() != 1)
        return;
      if (auto c = dyn_cast<qopt::qnn::ConstantOp>(op)) {
        auto t = qopt::ref::tensorFromAttr(c.getValue());
        if (t)
          known[c.getResult()] = std::move(*t);
        else
          llvm::consumeError(t.takeError());
        return;
      }
      SmallVector<qopt::ref::Tensor> operands;
      for (Value v : op->getOperands()) {
        auto it = known.find(v);
        if (it == known.end())
          return;
        operands.push_back(it->second);
      }
      auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
      // Quantized values stay ops: a constant holds plain storage integers.
      if (!type || !type.hasStaticShape() || isa<quant::QuantizedType>(type.getElementType()))
        return;
      auto dtype = qopt::ref::dtypeFromType(type.getElementType());
      if (!dtype) {
        llvm::consumeError(dtype.takeError());
        return;
      }
      if (type.getNumElements() * (int64_t)qopt::ref::dtypeSize(*dtype) > maxBytes) {
        op->emitRemark() << "not folded: result exceeds max-bytes=" << static_cast<int64_t>(maxBytes);
        return;
      }
      auto results = qopt::ref::evaluateOp(op, operands);
      if (!results) {
        op->emitError() << llvm::toString(results.takeError());
        failedAny = true;
        return;
      }
      OpBuilder b(op);
      auto c = qopt::qnn::ConstantOp::create(
          b, op->getLoc(), qopt::ref::attrFromTensor(&getContext(), (*results)[0], "folded"));
      known[c.getResult()] = (*results)[0];
      op->getResult(0).replaceAllUsesWith(c.getResult());
      op->erase();
    });
    if (failedAny)
      return signalPassFailure();
    // Constants that only fed folded ops are dead now.
    SmallVector<Operation *> dead;
    getOperation().walk([&](qopt::qnn::ConstantOp c) {
      if (c->use_empty())
        dead.push_back(c);
    });
    for (Operation *op : dead)
      op->erase();
  }
};
} // namespace
