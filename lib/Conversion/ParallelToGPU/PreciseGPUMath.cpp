//===- PreciseGPUMath.cpp - IEEE-rounded square roots in kernels -*- C++ -*-===//

#include "qopt/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"

namespace qopt {
#define GEN_PASS_DEF_PRECISEGPUMATHPASS
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

struct PreciseGPUMathPass : public qopt::impl::PreciseGPUMathPassBase<PreciseGPUMathPass> {
  using qopt::impl::PreciseGPUMathPassBase<PreciseGPUMathPass>::PreciseGPUMathPassBase;

  void runOnOperation() override {
    SmallVector<math::SqrtOp> roots;
    getOperation().walk([&](math::SqrtOp op) {
      if (op.getType().isF32())
        roots.push_back(op);
    });
    for (math::SqrtOp op : roots) {
      OpBuilder b(op);
      auto call = LLVM::CallIntrinsicOp::create(b, op.getLoc(), Type(op.getType()),
                                                b.getStringAttr("llvm.nvvm.sqrt.rn.f"),
                                                ValueRange{op.getOperand()});
      op.replaceAllUsesWith(call.getResults());
      op.erase();
    }
  }
};

} // namespace
