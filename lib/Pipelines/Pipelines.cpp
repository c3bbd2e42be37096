//===- Pipelines.cpp - Named QOpt pass pipelines ---------------*- C++ -*-===//

#include "qopt/Pipelines/Pipelines.h"
#include "qopt/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/raw_ostream.h"
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

LogicalResult qopt::buildGPUCodegenPipeline(OpPassManager &pm,
                                            const GPUCodegenOptions &options) {
  // Upstream passes with many options are spelled textually: the text is the
  // same one `qopt --pass-pipeline` accepts, so each stage can be replayed
  // and inspected alone (docs/codegen.md lists the stages).
  std::string text;
  llvm::raw_string_ostream os(text);
  // Hopper's wgmma exists on sm_90a alone, and the PTX is generated once for
  // every target: it is the instruction only when sm_90a is the one target.
  std::string mma = options.tensorCoreMma;
  if (mma == "auto")
    mma = options.targets.size() == 1 && options.targets[0] == "sm_90a" ? "wgmma" : "mma.sync";
  os << "func.func(qopt-lower-to-linalg{tensor-cores=" << (options.tensorCores ? "true" : "false")
     << " tensor-core-tile=" << options.tensorCoreTile << " tensor-core-mma=" << mma
     << (options.tensorCoreTiles.empty() ? "" : " tensor-core-tiles=" + options.tensorCoreTiles)
     << " layout=" << options.layout << "}),";
  if (options.fuseElementwise)
    os << "func.func(qopt-clone-shared-producers),linalg-fuse-elementwise-ops,";
  os << "one-shot-bufferize{bufferize-function-boundaries "
        "function-boundary-type-conversion=identity-layout-map},"
     << "buffer-results-to-out-params{hoist-static-allocs modify-public-functions "
        "add-result-attr},"
     << "canonicalize,"
     << "func.func(convert-linalg-to-parallel-loops,qopt-map-parallel-to-gpu{block-size="
     << options.blockSize << "}),"
     << "gpu-launch-sink-index-computations,gpu-kernel-outlining,canonicalize,cse,"
     << "gpu.module(qopt-shared-memory-space,qopt-precise-gpu-math,convert-nvgpu-to-nvvm,"
     << "convert-vector-to-scf{full-unroll=true},"
     << "expand-strided-metadata,lower-affine,convert-scf-to-cf,"
     << "convert-vector-to-llvm{use-vector-alignment=true},"
     << "convert-gpu-to-nvvm{use-bare-ptr-memref-call-conv=true},"
     // wgmma and its fences become inline PTX.
     << (mma == "wgmma" ? "convert-nvvm-to-llvm," : "") << "canonicalize,cse,"
     << "reconcile-unrealized-casts)";
  std::vector<std::string> targets(options.targets.begin(), options.targets.end());
  if (targets.empty())
    targets.push_back("sm_80");
  std::string libdevice;
  if (!options.cudaPath.empty())
    libdevice = options.cudaPath + "/nvvm/libdevice/libdevice.10.bc";
  // PTX 8.0 is what sm_90 needs; the sm_90a kernels' fence.proxy.tensormap
  // (acquiring a TMA descriptor the host wrote) needs 8.3 (CUDA 12.3).
  std::string features = options.ptxFeatures;
  if (features.empty())
    features = mma == "wgmma" ? "+ptx83" : "+ptx80";
  for (const std::string &chip : targets) {
    os << ",nvvm-attach-target{chip=" << chip << " features=" << features
       << " O=" << options.optLevel;
    if (!libdevice.empty())
      os << " l=" << libdevice;
    os << "}";
  }
  if (options.serialize) {
    os << ",gpu-module-to-binary{format=isa";
    if (!options.cudaPath.empty())
      os << " toolkit=" << options.cudaPath;
    os << "}";
  }
  return parsePassPipeline(text, pm, llvm::errs());
}

void qopt::registerPipelines() {
  PassPipelineRegistration<GPUCodegenOptions>(
      "qopt-gpu-codegen",
      "qnn -> linalg -> GPU kernels (NVVM, PTX per target) with a host function of "
      "gpu.launch_func ops; stops before gpu-to-llvm for the bundle writer",
      [](OpPassManager &pm, const GPUCodegenOptions &options) {
        // A bad option (a chip name) was reported by the parser; the pass
        // manager then runs what was added and the missing stages show.
        (void)buildGPUCodegenPipeline(pm, options);
      });
  PassPipelineRegistration<GraphOptimizationOptions>(
      "qopt-graph-optimize",
      "Float graph optimizations: constant folding, batchnorm folding, residual-add and "
      "activation fusion",
      buildGraphOptimizationPipeline);
}
