//===- PackConvWeights.cpp - tensor-core conv weights as OHWI ----*- C++ -*-===//
//
// In the NHWC layout a tensor-core conv whose input channels fill 16-byte
// chunks takes K in (ky, kx, ci) order, so it reads its weights as [Cout,
// KH, KW, Cin]. This pass stores them so in the program itself, as a
// constant and a qnn.transpose back to ONNX's [Cout, Cin, KH, KW]: the
// reference still runs the same function, the kernel reads the constant,
// and the bundle keeps one copy (the transpose itself is dead code once
// lowered).
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"
#include "qopt/Conversion/Passes.h"
#include "qopt/Dialect/QNN/QNNOps.h"
#include "qopt/Reference/Executor.h"
#include "qopt/Reference/Kernels.h"

#include "mlir/Dialect/Quant/IR/Quant.h"

namespace qopt {
#define GEN_PASS_DEF_PACKCONVWEIGHTSPASS
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

struct PackConvWeightsPass
    : public qopt::impl::PackConvWeightsPassBase<PackConvWeightsPass> {
  using qopt::impl::PackConvWeightsPassBase<PackConvWeightsPass>::PackConvWeightsPassBase;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    getOperation().walk([&](qnn::ConvOp conv) {
      if (!lowering::readsTapMajorWeights(conv) || lowering::packedConvWeights(conv))
        return;
      Value w = conv.getWeight();
      auto scast = w.getDefiningOp<mlir::quant::StorageCastOp>();
      Value storage = scast ? scast.getOperand() : w;
      auto constant = storage.getDefiningOp<qnn::ConstantOp>();
      // Another user would keep the original alive: nothing to save.
      if (!constant || !w.hasOneUse() || (scast && !storage.hasOneUse()))
        return;
      auto data = ref::tensorFromAttr(cast<ElementsAttr>(constant.getValue()));
      if (!data) {
        llvm::consumeError(data.takeError());
        return;
      }
      auto packed = ref::transpose(*data, {0, 2, 3, 1});
      if (!packed) {
        llvm::consumeError(packed.takeError());
        return;
      }
      OpBuilder b(constant);
      auto ohwi = qnn::ConstantOp::create(b, constant.getLoc(),
                                          ref::attrFromTensor(ctx, *packed, "conv.weights.ohwi"));
      auto back = qnn::TransposeOp::create(b, constant.getLoc(), storage.getType(), ohwi,
                                           b.getDenseI64ArrayAttr({0, 3, 1, 2}));
      storage.replaceAllUsesWith(back.getResult());
      constant.erase();
    });
  }
};

} // namespace
