//===- SharedMemorySpace.cpp - workgroup memory as address space 3 -*- C++ -*-===//

#include "qopt/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/IR/AttrTypeSubElements.h"

namespace qopt {
#define GEN_PASS_DEF_SHAREDMEMORYSPACEPASS
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt

using namespace mlir;

namespace {

struct SharedMemorySpacePass
    : public qopt::impl::SharedMemorySpacePassBase<SharedMemorySpacePass> {
  using qopt::impl::SharedMemorySpacePassBase<SharedMemorySpacePass>::SharedMemorySpacePassBase;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    Attribute shared =
        IntegerAttr::get(IntegerType::get(ctx, 64), nvgpu::NVGPUDialect::kSharedMemoryAddressSpace);
    AttrTypeReplacer replacer;
    replacer.addReplacement([&](MemRefType t) -> std::optional<Type> {
      auto space = dyn_cast_or_null<gpu::AddressSpaceAttr>(t.getMemorySpace());
      if (!space || space.getValue() != gpu::AddressSpace::Workgroup)
        return std::nullopt;
      return MemRefType::get(t.getShape(), t.getElementType(), t.getLayout(), shared);
    });
    replacer.recursivelyReplaceElementsIn(getOperation(), /*replaceAttrs=*/true,
                                          /*replaceLocs=*/false, /*replaceTypes=*/true);
    // gpu.dynamic_shared_memory insists on the workgroup attribute: it keeps
    // it, and a cast hands its buffer to the users in address space 3 (the
    // NVVM conversion maps both to the same pointer, and the casts cancel).
    getOperation().walk([&](gpu::DynamicSharedMemoryOp op) {
      auto now = cast<MemRefType>(op.getType());
      auto workgroupType =
          MemRefType::get(now.getShape(), now.getElementType(), now.getLayout(),
                          gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup));
      OpBuilder b(op);
      b.setInsertionPointAfter(op);
      op.getResult().setType(workgroupType);
      auto cast = UnrealizedConversionCastOp::create(b, op.getLoc(), TypeRange{now},
                                                     ValueRange{op.getResult()});
      op.getResult().replaceAllUsesExcept(cast.getResult(0), cast);
    });
    // ldmatrix and 16-byte vector accesses need 16-byte aligned rows; the
    // NVVM lowering aligns a workgroup buffer to its element type unless told
    // (dynamic shared memory it aligns to 16 bytes itself).
    for (auto fn : getOperation().getOps<gpu::GPUFuncOp>()) {
      for (unsigned i = 0; i < fn.getNumWorkgroupAttributions(); ++i)
        fn.setWorkgroupAttributionAttr(i, LLVM::LLVMDialect::getAlignAttrName(),
                                       IntegerAttr::get(IntegerType::get(ctx, 64), 16));
      // The tensor-core kernels carry their register budget (TensorCore.cpp).
      IntegerAttr budget;
      fn.walk([&](gpu::DynamicSharedMemoryOp op) {
        if (auto b = op->getAttrOfType<IntegerAttr>("qopt.max_registers"))
          budget = b;
      });
      if (budget)
        fn->setAttr(NVVM::NVVMDialect::getMaxnregAttrName(),
                    IntegerAttr::get(IntegerType::get(ctx, 32), budget.getInt()));
    }
  }
};

} // namespace
