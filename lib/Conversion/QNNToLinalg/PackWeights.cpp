//===- PackWeights.cpp - tensor-core weights in the order read ----*- C++ -*-===//
//
// A tensor-core kernel reads its constant weights in an order of its own:
// a conv in the NHWC layout whose input channels fill 16-byte chunks takes
// K in (ky, kx, ci) order, so [Cout, KH, KW, Cin]; a matmul reads B as
// [N, K]. These passes store the weights so in the program itself, as a
// constant and a qnn.transpose back to the op's own order: the reference
// still runs the same function, the kernel reads the constant, and the
// bundle keeps one copy (the transpose itself is dead code once lowered).
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
#define GEN_PASS_DEF_PACKMATMULWEIGHTSPASS
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

/// Stores the constant behind weight operand `w` (through a storage cast)
/// transposed by `perm`, followed by a qnn.transpose by `back` (perm's
/// inverse) to the original order. A constant that something else reads
/// stays: the original would stay alive, so nothing would be saved.
void packWeights(Value w, ArrayRef<int64_t> perm, ArrayRef<int64_t> back, StringRef name) {
  auto scast = w.getDefiningOp<mlir::quant::StorageCastOp>();
  Value storage = scast ? scast.getOperand() : w;
  auto constant = storage.getDefiningOp<qnn::ConstantOp>();
  if (!constant || !w.hasOneUse() || (scast && !storage.hasOneUse()))
    return;
  auto data = ref::tensorFromAttr(cast<ElementsAttr>(constant.getValue()));
  if (!data) {
    llvm::consumeError(data.takeError());
    return;
  }
  auto packed = ref::transpose(*data, perm);
  if (!packed) {
    llvm::consumeError(packed.takeError());
    return;
  }
  OpBuilder b(constant);
  auto stored = qnn::ConstantOp::create(
      b, constant.getLoc(), ref::attrFromTensor(b.getContext(), *packed, name));
  auto restored = qnn::TransposeOp::create(b, constant.getLoc(), storage.getType(), stored,
                                           b.getDenseI64ArrayAttr(back));
  storage.replaceAllUsesWith(restored.getResult());
  constant.erase();
}

struct PackConvWeightsPass
    : public qopt::impl::PackConvWeightsPassBase<PackConvWeightsPass> {
  using qopt::impl::PackConvWeightsPassBase<PackConvWeightsPass>::PackConvWeightsPassBase;

  void runOnOperation() override {
    getOperation().walk([&](qnn::ConvOp conv) {
      if (lowering::readsTapMajorWeights(conv) && !lowering::packedConvWeights(conv))
        packWeights(conv.getWeight(), {0, 2, 3, 1}, {0, 3, 1, 2}, "conv.weights.ohwi");
    });
  }
};

struct PackMatMulWeightsPass
    : public qopt::impl::PackMatMulWeightsPassBase<PackMatMulWeightsPass> {
  using qopt::impl::PackMatMulWeightsPassBase<PackMatMulWeightsPass>::PackMatMulWeightsPassBase;

  void runOnOperation() override {
    getOperation().walk([&](qnn::MatMulOp matmul) {
      // Only a B the kernel reads as a constant: any other is read at run
      // time, transposed by a kernel of its own.
      if (lowering::matmulReadsConstantB(matmul) && !lowering::packedMatMulWeights(matmul))
        packWeights(matmul.getRhs(), {1, 0}, {1, 0}, "matmul.weights.nk");
    });
  }
};

} // namespace
