//===- FuseActivations.cpp - Fuse activations into producers ---*- C++ -*-===//

#include "qopt/Dialect/QNN/QNNOps.h"
#include "qopt/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"

#include <cmath>
#include <limits>

namespace qopt {
#define GEN_PASS_DEF_FUSEACTIVATIONSPASS
#include "qopt/Transforms/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

/// The fused form of a standalone activation op, or nullopt for other ops.
std::optional<std::pair<qnn::Activation, SmallVector<double>>> activationOf(Operation *op) {
  double nan = std::numeric_limits<double>::quiet_NaN();
  if (isa<qnn::ReluOp>(op))
    return {{qnn::Activation::relu, {}}};
  if (isa<qnn::HardSwishOp>(op))
    return {{qnn::Activation::hard_swish, {}}};
  if (auto c = dyn_cast<qnn::ClipOp>(op))
    return {{qnn::Activation::clip,
             {c.getMin() ? c.getMin()->convertToDouble() : nan,
              c.getMax() ? c.getMax()->convertToDouble() : nan}}};
  if (auto h = dyn_cast<qnn::HardSigmoidOp>(op))
    return {{qnn::Activation::hard_sigmoid,
             {h.getAlpha().convertToDouble(), h.getBeta().convertToDouble()}}};
  if (auto l = dyn_cast<qnn::LeakyReluOp>(op))
    return {{qnn::Activation::leaky_relu, {l.getAlpha().convertToDouble()}}};
  return std::nullopt;
}

class FuseActivationsPass : public qopt::impl::FuseActivationsPassBase<FuseActivationsPass> {
public:
  using qopt::impl::FuseActivationsPassBase<FuseActivationsPass>::FuseActivationsPassBase;

  void runOnOperation() override {
    // mul(x, hard_sigmoid(x)) is how MobileNetV3 exports spell hard_swish.
    SmallVector<qnn::MulOp> muls;
    getOperation().walk([&](qnn::MulOp m) { muls.push_back(m); });
    for (qnn::MulOp m : muls)
      recogniseHardSwish(m);
    // x * clip(x + 3, 0, 6) / 6: the PaddleOCR (MobileNetV3) spelling.
    SmallVector<qnn::DivOp> divs;
    getOperation().walk([&](qnn::DivOp d) { divs.push_back(d); });
    for (qnn::DivOp d : divs)
      recogniseDividedHardSwish(d);

    SmallVector<Operation *> activations;
    getOperation().walk([&](Operation *op) {
      if (activationOf(op))
        activations.push_back(op);
    });
    for (Operation *act : activations)
      fuse(act);
  }

private:
  void recogniseHardSwish(qnn::MulOp mul) {
    for (auto [x, other] : {std::pair(mul.getLhs(), mul.getRhs()),
                            std::pair(mul.getRhs(), mul.getLhs())}) {
      auto hs = other.getDefiningOp<qnn::HardSigmoidOp>();
      if (!hs || hs.getInput() != x)
        continue;
      double alpha = hs.getAlpha().convertToDouble(), beta = hs.getBeta().convertToDouble();
      // f32 attributes: 1/6 is stored as 0.16666667.
      if (std::abs(alpha - 1.0 / 6.0) > 1e-6 || beta != 0.5) {
        mul.emitRemark() << "mul(x, hard_sigmoid(x)) kept: alpha " << alpha << " and beta "
                         << beta << " are not hard_swish's 1/6 and 1/2";
        return;
      }
      if (mul.getType() != x.getType())
        return;
      OpBuilder b(mul);
      auto swish = qnn::HardSwishOp::create(b, mul.getLoc(), x.getType(), x);
      mul.getResult().replaceAllUsesWith(swish.getResult());
      mul.erase();
      if (hs->use_empty())
        hs.erase();
      return;
    }
  }

  /// The value of a constant with a single element, if `v` is one.
  static std::optional<double> scalarConstant(Value v) {
    auto c = v.getDefiningOp<qnn::ConstantOp>();
    if (!c)
      return std::nullopt;
    auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
    if (!dense || dense.getNumElements() != 1 || !isa<FloatType>(dense.getElementType()))
      return std::nullopt;
    return (*dense.getValues<APFloat>().begin()).convertToDouble();
  }

  void recogniseDividedHardSwish(qnn::DivOp div) {
    auto mul = div.getLhs().getDefiningOp<qnn::MulOp>();
    if (!mul || scalarConstant(div.getRhs()) != 6.0 || !mul->hasOneUse())
      return;
    for (auto [x, other] : {std::pair(mul.getLhs(), mul.getRhs()),
                            std::pair(mul.getRhs(), mul.getLhs())}) {
      auto clip = other.getDefiningOp<qnn::ClipOp>();
      if (!clip || !clip->hasOneUse() || !clip.getMin() || !clip.getMax() ||
          clip.getMin()->convertToDouble() != 0.0 || clip.getMax()->convertToDouble() != 6.0)
        continue;
      auto add = clip.getInput().getDefiningOp<qnn::AddOp>();
      if (!add || !add->hasOneUse() || add.getActivation())
        continue;
      bool plusThree = (add.getLhs() == x && scalarConstant(add.getRhs()) == 3.0) ||
                       (add.getRhs() == x && scalarConstant(add.getLhs()) == 3.0);
      if (!plusThree || div.getType() != x.getType())
        continue;
      OpBuilder b(div);
      auto swish = qnn::HardSwishOp::create(b, div.getLoc(), x.getType(), x);
      div.getResult().replaceAllUsesWith(swish.getResult());
      div.erase();
      mul.erase();
      clip.erase();
      add.erase();
      return;
    }
  }

  void fuse(Operation *act) {
    auto [kind, params] = *activationOf(act);
    Value input = act->getOperand(0);
    Operation *producer = input.getDefiningOp();
    std::string reason;
    if (clampsOnly && kind != qnn::Activation::relu && kind != qnn::Activation::clip)
      reason = "only clamps fuse in this pipeline (clamps-only)";
    else if (!producer)
      reason = "its input is a function argument";
    else if (!isa<qnn::ConvOp, qnn::ConvTransposeOp, qnn::MatMulOp, qnn::GemmOp, qnn::AddOp>(
                 producer))
      reason = "'" + producer->getName().getStringRef().str() + "' cannot carry an activation";
    else if (!input.hasOneUse())
      reason = "the producer's result has other users";
    else if (producer->getAttr("activation"))
      reason = "the producer already applies an activation";
    else if (producer->getResult(0).getType() != act->getResult(0).getType())
      reason = "the activation changes the element type";
    if (!reason.empty()) {
      act->emitRemark() << "'" << act->getName().getStringRef() << "' not fused: " << reason;
      return;
    }
    Builder b(act->getContext());
    producer->setAttr("activation", qnn::ActivationAttr::get(act->getContext(), kind));
    if (!params.empty())
      producer->setAttr("activation_params", b.getDenseF64ArrayAttr(params));
    act->getResult(0).replaceAllUsesWith(producer->getResult(0));
    act->erase();
  }
};

} // namespace
