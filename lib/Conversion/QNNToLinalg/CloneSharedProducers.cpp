//===- CloneSharedProducers.cpp - One copy of a cheap producer per user -*- C++ -*-===//
//
// See the pass description in Passes.td: small elementwise producers with
// several users are cloned per user so that linalg-fuse-elementwise-ops,
// which fuses single-use producers only, folds them into every user.
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace qopt {
#define GEN_PASS_DEF_CLONESHAREDPRODUCERSPASS
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

struct CloneSharedProducersPass
    : public qopt::impl::CloneSharedProducersPassBase<CloneSharedProducersPass> {
  using CloneSharedProducersPassBase::CloneSharedProducersPassBase;

  bool cheap(linalg::GenericOp g) const {
    if (g.getNumResults() != 1 || !g.hasPureTensorSemantics() ||
        g.getNumLoops() != g.getNumParallelLoops())
      return false;
    auto type = dyn_cast<RankedTensorType>(g.getResult(0).getType());
    if (!type || !type.hasStaticShape() || type.getNumElements() > maxElements)
      return false;
    unsigned ops = 0;
    for (Operation &op : g.getRegion().front())
      if (op.getNumRegions() != 0 || ++ops > maxOps)
        return false;
    return true;
  }

  /// Scalars are computed as tensor<1xT> (a kernel needs a loop) and
  /// collapsed to tensor<T>; a generic reading the collapsed value reads the
  /// one element directly instead, so nothing stands between it and the
  /// scalar's producer.
  static void readScalarsDirectly(linalg::GenericOp g) {
    SmallVector<AffineMap> maps = g.getIndexingMapsArray();
    bool changed = false;
    for (OpOperand *in : g.getDpsInputOperands()) {
      auto collapse = in->get().getDefiningOp<tensor::CollapseShapeOp>();
      if (!collapse || collapse.getResultType().getRank() != 0)
        continue;
      RankedTensorType src = collapse.getSrcType();
      SmallVector<AffineExpr> zeros(src.getRank(), getAffineConstantExpr(0, g.getContext()));
      maps[in->getOperandNumber()] = AffineMap::get(g.getNumLoops(), 0, zeros, g.getContext());
      in->set(collapse.getSrc());
      changed = true;
      if (collapse->use_empty())
        collapse->erase();
    }
    if (changed)
      g.setIndexingMapsAttr(OpBuilder(g).getAffineMapArrayAttr(maps));
  }

  void runOnOperation() override {
    // Bottom-up, so a producer sees the uses its users' clones added.
    SmallVector<linalg::GenericOp> generics;
    getOperation().walk([&](linalg::GenericOp g) { generics.push_back(g); });
    for (linalg::GenericOp g : generics)
      readScalarsDirectly(g);
    for (linalg::GenericOp g : llvm::reverse(generics)) {
      if (!cheap(g))
        continue;
      SmallVector<OpOperand *> uses;
      for (OpOperand &use : g.getResult(0).getUses())
        uses.push_back(&use);
      if (uses.size() < 2 || uses.size() > maxUsers ||
          !llvm::all_of(uses, [](OpOperand *u) { return linalg::areElementwiseOpsFusable(u); }))
        continue;
      // The original keeps its first user; every other user gets a copy.
      for (OpOperand *use : llvm::drop_begin(uses)) {
        OpBuilder b(use->getOwner());
        Operation *copy = b.clone(*g.getOperation());
        use->set(copy->getResult(0));
      }
    }
  }
};

} // namespace
