//===- Pipelines.cpp - Named QOpt pass pipelines ---------------*- C++ -*-===//

#include "qopt/Pipelines/Pipelines.h"
#include "qopt/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void qopt::buildGraphOptimizationPipeline(OpPassManager &pm,
                                          const GraphOptimizationOptions &options) {
  OpPassManager &fn = pm.nest<func::FuncOp>();
  fn.addPass(createFoldConstantsPass());
  fn.addPass(createCanonicalizerPass());
  if (options.foldBatchNorm)
    fn.addPass(createFoldBatchNormPass());
  if (options.fuseResidualAdd)
    fn.addPass(createFuseResidualAddPass());
  if (options.fuseActivations)
    fn.addPass(createFuseActivationsPass(FuseActivationsPassOptions{options.clampsOnly}));
  fn.addPass(createCanonicalizerPass());
  fn.addPass(createCSEPass());
}

void qopt::registerPipelines() {
  PassPipelineRegistration<GraphOptimizationOptions>(
      "qopt-graph-optimize",
      "Float graph optimizations: constant folding, batchnorm folding, residual-add and "
      "activation fusion",
      buildGraphOptimizationPipeline);
}
