//===- Passes.h - QOpt lowering passes ----------------------*- C++ -*-===//
//
// qnn -> linalg on storage types, and the SIMT mapping of the resulting
// parallel loops onto GPU launches.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_CONVERSION_PASSES_H
#define QOPT_CONVERSION_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace qopt {

#define GEN_PASS_DECL
#include "qopt/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "qopt/Conversion/Passes.h.inc"

} // namespace qopt

#endif // QOPT_CONVERSION_PASSES_H
