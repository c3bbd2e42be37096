//===- PropagateScales.cpp - Same-scale ops share parameters ---*- C++ -*-===//

#include "QuantSupport.h"
#include "qopt/Dialect/QNN/QNNOps.h"
#include "qopt/Transforms/Passes.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/Diagnostics.h"

namespace qopt {
#define GEN_PASS_DEF_PROPAGATESCALESPASS
#include "qopt/Transforms/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

using mlir::quant::DequantizeCastOp;
using mlir::quant::QuantizeCastOp;
using mlir::quant::UniformQuantizedType;

/// The per-tensor type a value is dequantized from, when it is a dcast.
UniformQuantizedType sourceType(Value v) {
  auto d = v.getDefiningOp<DequantizeCastOp>();
  if (!d)
    return {};
  return dyn_cast<UniformQuantizedType>(getElementTypeOrSelf(d.getInput().getType()));
}

/// The only user of an op's result when it is a qcast.
QuantizeCastOp outputCast(Operation *op) {
  Value r = op->getResult(0);
  if (!r.hasOneUse())
    return {};
  return dyn_cast<QuantizeCastOp>(*r.getUsers().begin());
}

void retype(QuantizeCastOp q, UniformQuantizedType t) {
  auto rt = cast<RankedTensorType>(q.getResult().getType());
  q.getResult().setType(rt.clone(t));
}

int64_t numElements(Value v) { return cast<RankedTensorType>(v.getType()).getNumElements(); }

class PropagateScalesPass : public qopt::impl::PropagateScalesPassBase<PropagateScalesPass> {
public:
  using PropagateScalesPassBase::PropagateScalesPassBase;

  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (qdq::classify(op) == qdq::OpClass::SameScale)
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      if (auto concat = dyn_cast<qnn::ConcatOp>(op))
        unifyConcat(concat);
      else
        shareInput(op);
    }
  }

private:
  void shareInput(Operation *op) {
    // A linear or cubic resize computes new values (cubic overshoots the
    // input's range): only ops with an integer form move values unchanged.
    if (!qdq::integerFormObstacle(op).empty())
      return;
    UniformQuantizedType in = sourceType(op->getOperand(0));
    QuantizeCastOp out = outputCast(op);
    if (!in || !out)
      return;
    auto outType = dyn_cast<UniformQuantizedType>(getElementTypeOrSelf(out.getType()));
    if (!outType || outType == in)
      return;
    // A constant pad writes its value: it must be representable in the
    // input's range, else the output keeps its own parameters.
    if (auto pad = dyn_cast<qnn::PadOp>(op); pad && pad.getMode() == qnn::PadMode::constant) {
      double v = pad.getValue().convertToDouble();
      double lo = (in.getStorageTypeMin() - in.getZeroPoint()) * in.getScale();
      double hi = (in.getStorageTypeMax() - in.getZeroPoint()) * in.getScale();
      if (!(v >= lo && v <= hi))
        return;
    }
    retype(out, in);
  }

  /// Each input either takes the concat's parameters at its producer or is
  /// requantized inside the concat; unifying costs the other readers of the
  /// input the coarser step, requantizing costs one more rounding.
  void unifyConcat(qnn::ConcatOp concat) {
    QuantizeCastOp out = outputCast(concat);
    if (!out)
      return;
    auto target = dyn_cast<UniformQuantizedType>(getElementTypeOrSelf(out.getType()));
    if (!target)
      return;
    for (Value input : concat.getInputs()) {
      auto d = input.getDefiningOp<DequantizeCastOp>();
      if (!d)
        continue;
      auto producer = d.getInput().getDefiningOp<QuantizeCastOp>();
      auto type = dyn_cast<UniformQuantizedType>(getElementTypeOrSelf(d.getInput().getType()));
      if (!producer || !type || type == target ||
          type.getStorageType() != target.getStorageType() ||
          type.isSigned() != target.isSigned())
        continue;
      // Readers other than this concat, through any dcast of the producer.
      int64_t others = 0;
      for (Operation *user : producer->getUsers())
        for (Operation *reader : user->getUsers())
          others += reader != concat.getOperation();
      double si = type.getScale(), su = target.getScale();
      bool unify = others == 0 || (su >= si && others * (su * su - si * si) <= si * si);
      if (unify) {
        retype(producer, target);
      } else {
        concat.emitRemark() << "input with scale " << si << " requantized to " << su
                            << " (unifying would coarsen " << others << " other readers of "
                            << numElements(input) << " elements)";
      }
    }
  }
};

} // namespace
