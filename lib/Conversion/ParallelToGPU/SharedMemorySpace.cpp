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
    // ldmatrix and 16-byte vector accesses need 16-byte aligned rows; the
    // NVVM lowering aligns a workgroup buffer to its element type unless told.
    for (auto fn : getOperation().getOps<gpu::GPUFuncOp>()) {
      for (unsigned i = 0; i < fn.getNumWorkgroupAttributions(); ++i)
        fn.setWorkgroupAttributionAttr(i, LLVM::LLVMDialect::getAlignAttrName(),
                                       IntegerAttr::get(IntegerType::get(ctx, 64), 16));
      // With only .maxntid, ptxas for sm_90 aims at high occupancy, caps the
      // tensor-core kernels at 72 registers and spills; an explicit register
      // budget (PTX .maxnreg) lets them keep the 32 accumulator registers,
      // the fragments and the staging addresses (about 170; 168 spills
      // nothing on any test model and leaves 3 blocks of 128 threads per SM).
      if (fn.getNumWorkgroupAttributions() > 0)
        fn->setAttr(NVVM::NVVMDialect::getMaxnregAttrName(),
                    IntegerAttr::get(IntegerType::get(ctx, 32), 168));
    }
  }
};

} // namespace
