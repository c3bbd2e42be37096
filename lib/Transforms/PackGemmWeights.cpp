//===- PackGemmWeights.cpp - constant gemm B as [N, K] -----------*- C++ -*-===//
//
// The tensor-core kernels read B as [N, K] (rows contiguous along K). A B
// given as [K, N] is transposed here, once, in the program itself, so that
// the kernels and the bundle's program IR share one copy of it.
//
//===----------------------------------------------------------------------===//

#include "qopt/Dialect/QNN/QNNOps.h"
#include "qopt/Reference/Executor.h"
#include "qopt/Reference/Kernels.h"
#include "qopt/Transforms/Passes.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"

namespace qopt {
#define GEN_PASS_DEF_PACKGEMMWEIGHTSPASS
#include "qopt/Transforms/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

/// The element type of B once its two dimensions swap: a per-axis scale
/// follows its axis; per-tensor and float types stay.
Type transposedElement(Type elt) {
  auto axis = dyn_cast<mlir::quant::UniformQuantizedPerAxisType>(elt);
  if (!axis)
    return elt;
  return mlir::quant::UniformQuantizedPerAxisType::get(
      axis.getFlags(), axis.getStorageType(), axis.getExpressedType(), axis.getScales(),
      axis.getZeroPoints(), 1 - axis.getQuantizedDimension(), axis.getStorageTypeMin(),
      axis.getStorageTypeMax());
}

struct PackGemmWeightsPass
    : public qopt::impl::PackGemmWeightsPassBase<PackGemmWeightsPass> {
  using qopt::impl::PackGemmWeightsPassBase<PackGemmWeightsPass>::PackGemmWeightsPassBase;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    getOperation().walk([&](qnn::GemmOp gemm) {
      if (gemm.getTransB())
        return;
      Value b = gemm.getB();
      auto scast = b.getDefiningOp<mlir::quant::StorageCastOp>();
      Value storage = scast ? scast.getOperand() : b;
      auto constant = storage.getDefiningOp<qnn::ConstantOp>();
      // Another user of B would keep the original alive: nothing to save.
      if (!constant || !b.hasOneUse() || (scast && !storage.hasOneUse()))
        return;
      auto data = ref::tensorFromAttr(cast<ElementsAttr>(constant.getValue()));
      if (!data) {
        llvm::consumeError(data.takeError());
        return;
      }
      auto transposed = ref::transpose(*data, {1, 0});
      if (!transposed) {
        llvm::consumeError(transposed.takeError());
        return;
      }
      OpBuilder builder(scast ? scast.getOperation() : constant.getOperation());
      auto packed = qnn::ConstantOp::create(
          builder, constant.getLoc(),
          ref::attrFromTensor(ctx, *transposed, "gemm.weights.nk"));
      Value newB = packed;
      if (scast) {
        auto bt = cast<RankedTensorType>(b.getType());
        auto type = RankedTensorType::get({bt.getDimSize(1), bt.getDimSize(0)},
                                          transposedElement(bt.getElementType()));
        newB = mlir::quant::StorageCastOp::create(builder, scast.getLoc(), type, packed);
      }
      gemm.getBMutable().assign(newB);
      gemm.setTransB(true);
      if (scast)
        scast.erase();
      constant.erase();
    });
  }
};

} // namespace
