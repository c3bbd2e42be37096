//===- Pipelines.h - Named QOpt pass pipelines -----------------*- C++ -*-===//

#ifndef QOPT_PIPELINES_PIPELINES_H
#define QOPT_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace qopt {

/// Options of the float graph optimization pipeline; every step can be
/// switched off to see what it does.
struct GraphOptimizationOptions
    : public mlir::PassPipelineOptions<GraphOptimizationOptions> {
  Option<bool> foldBatchNorm{*this, "fold-batchnorm",
                             llvm::cl::desc("Fold batch norms into convs and gemms"),
                             llvm::cl::init(true)};
  Option<bool> fuseResidualAdd{*this, "fuse-residual-add",
                               llvm::cl::desc("Fuse residual adds into convs"),
                               llvm::cl::init(true)};
  Option<bool> fuseActivations{*this, "fuse-activations",
                               llvm::cl::desc("Fuse activations into their producers"),
                               llvm::cl::init(true)};
  Option<bool> clampsOnly{*this, "clamps-only",
                          llvm::cl::desc("Fuse only relu and clip (for int8)"),
                          llvm::cl::init(false)};
};

/// Constant folding, then batchnorm folding, residual-add fusion and
/// activation fusion, with canonicalization and CSE between stages, on every
/// function of the module.
void buildGraphOptimizationPipeline(mlir::OpPassManager &pm,
                                    const GraphOptimizationOptions &options);

/// Registers the named pipelines with qopt's pass registry
/// (`--pass-pipeline='builtin.module(qopt-graph-optimize)'`).
void registerPipelines();

} // namespace qopt

#endif // QOPT_PIPELINES_PIPELINES_H
