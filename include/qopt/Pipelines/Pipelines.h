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

/// Options of the GPU code generation pipeline (`qopt-gpu-codegen`).
struct GPUCodegenOptions : public mlir::PassPipelineOptions<GPUCodegenOptions> {
  ListOption<std::string> targets{*this, "targets",
                                  llvm::cl::desc("GPU chips, e.g. sm_80,sm_90 (one PTX per chip)")};
  Option<std::string> ptxFeatures{*this, "ptx-features",
                                  llvm::cl::desc("PTX ISA feature of the generated code "
                                                 "(default +ptx80; +ptx83 for wgmma, whose "
                                                 "TMA kernels acquire their tensor maps)"),
                                  llvm::cl::init("")};
  Option<bool> tensorCores{*this, "tensor-cores",
                           llvm::cl::desc("Integer convs that fit run on tensor cores "
                                          "(mma.sync s8); the rest stay SIMT"),
                           llvm::cl::init(false)};
  Option<std::string> tensorCoreTile{
      *this, "tensor-core-tile",
      llvm::cl::desc("Tile shape of the tensor-core kernels, BMxBNxBK/WMxWN/STAGES, or auto "
                     "(the per-shape heuristic of docs/codegen.md)"),
      llvm::cl::init("auto")};
  Option<std::string> tensorCoreTiles{
      *this, "tensor-core-tiles",
      llvm::cl::desc("A tile file with a tile per problem shape (bench/autotune.py writes it)"),
      llvm::cl::init("")};
  Option<std::string> tensorCoreMma{
      *this, "tensor-core-mma",
      llvm::cl::desc("The tensor-core instruction: mma.sync, wgmma (sm_90a only), or auto "
                     "(wgmma when the one target is sm_90a)"),
      llvm::cl::init("auto")};
  Option<std::string> layout{
      *this, "layout",
      llvm::cl::desc("Activation layout inside the program: nhwc, nchw, or auto (nhwc with "
                     "tensor cores)"),
      llvm::cl::init("auto")};
  Option<int64_t> blockSize{*this, "block-size",
                            llvm::cl::desc("Threads per block of the SIMT kernels"),
                            llvm::cl::init(256)};
  Option<unsigned> optLevel{*this, "opt-level", llvm::cl::desc("LLVM optimization level"),
                            llvm::cl::init(3)};
  Option<bool> fuseElementwise{*this, "fuse-elementwise",
                               llvm::cl::desc("Fuse elementwise generics into one kernel"),
                               llvm::cl::init(true)};
  Option<std::string> cudaPath{
      *this, "cuda-path",
      llvm::cl::desc("CUDA toolkit root: its libdevice resolves math functions (round, exp, "
                     "tanh, ...); default: MLIR's own search (CUDA_ROOT, PATH)")};
  Option<bool> serialize{*this, "serialize",
                         llvm::cl::desc("End with gpu-module-to-binary (PTX per target); off "
                                        "stops at NVVM IR"),
                         llvm::cl::init(true)};
};

/// qnn (integer or float) -> linalg -> bufferized host function with
/// gpu.launch_func ops and gpu.binary objects (PTX per target). Stops before
/// gpu-to-llvm: the bundle writer serializes the host function. The passes
/// must be registered (qopt::registerAllPasses); fails on invalid options.
llvm::LogicalResult buildGPUCodegenPipeline(mlir::OpPassManager &pm,
                                            const GPUCodegenOptions &options);

/// Registers the named pipelines with qopt's pass registry
/// (`--pass-pipeline='builtin.module(qopt-graph-optimize)'`).
void registerPipelines();

} // namespace qopt

#endif // QOPT_PIPELINES_PIPELINES_H
