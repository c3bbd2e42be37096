//===- FuseResidualAdd.cpp - Fuse residual adds into convs -----*- C++ -*-===//

#include "qopt/Dialect/QNN/QNNOps.h"
#include "qopt/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"

namespace qopt {
#define GEN_PASS_DEF_FUSERESIDUALADDPASS
#include "qopt/Transforms/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

class FuseResidualAddPass : public qopt::impl::FuseResidualAddPassBase<FuseResidualAddPass> {
public:
  using qopt::impl::FuseResidualAddPassBase<FuseResidualAddPass>::FuseResidualAddPassBase;

  void runOnOperation() override {
    SmallVector<qnn::AddOp> adds;
    getOperation().walk([&](qnn::AddOp add) { adds.push_back(add); });
    for (qnn::AddOp add : adds)
      fuse(add);
  }

private:
  /// Why `conv` cannot take `add` as its residual, or "" when it can.
  static std::string obstacle(qnn::ConvOp conv, qnn::AddOp add) {
    if (!conv.getResult().hasOneUse())
      return "the conv's result has other users";
    if (conv.getResidual())
      return "the conv already adds a residual";
    if (conv.getActivation())
      return "the conv applies an activation before the add";
    Type t = add.getResult().getType();
    if (add.getLhs().getType() != t || add.getRhs().getType() != t)
      return "the add broadcasts or changes types";
    return "";
  }

  void fuse(qnn::AddOp add) {
    std::string firstReason;
    for (auto [mine, other] : {std::pair(add.getLhs(), add.getRhs()),
                               std::pair(add.getRhs(), add.getLhs())}) {
      auto conv = mine.getDefiningOp<qnn::ConvOp>();
      if (!conv)
        continue;
      std::string reason = obstacle(conv, add);
      if (!reason.empty()) {
        if (firstReason.empty())
          firstReason = reason;
        continue;
      }
      // The new conv sits at the add, where both the conv's operands and the
      // shortcut are defined.
      OpBuilder b(add);
      SmallVector<Value> operands{conv.getInput(), conv.getWeight()};
      if (conv.getBias())
        operands.push_back(conv.getBias());
      operands.push_back(other);
      SmallVector<NamedAttribute> attrs;
      for (NamedAttribute a : conv->getAttrs())
        if (a.getName() != "operandSegmentSizes")
          attrs.push_back(a);
      attrs.push_back(b.getNamedAttr(
          "operandSegmentSizes", b.getDenseI32ArrayAttr({1, 1, conv.getBias() ? 1 : 0, 1})));
      if (auto act = add.getActivationAttr())
        attrs.push_back(b.getNamedAttr("activation", act));
      if (auto params = add.getActivationParamsAttr())
        attrs.push_back(b.getNamedAttr("activation_params", params));
      auto fused = qnn::ConvOp::create(b, add.getLoc(), TypeRange{add.getResult().getType()},
                                       operands, attrs);
      add.getResult().replaceAllUsesWith(fused.getResult());
      add.erase();
      conv.erase();
      return;
    }
    if (!firstReason.empty())
      add.emitRemark() << "residual add not fused into its conv: " << firstReason;
  }
};

} // namespace
