//===- Bundle.h - Serialize a compiled program into a .qbin ------*- C++ -*-===//
//
// The writer side of runtime/schema/qbin.fbs: takes the host function that
// qopt-gpu-codegen leaves (gpu.launch_func ops, allocations, globals) and
// the gpu.binary objects, assembles every kernel with ptxas for every
// target, plans the activation arena by liveness and writes the bundle.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_TARGET_BUNDLE_H
#define QOPT_TARGET_BUNDLE_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace qopt {
namespace qbin {
struct Bundle;
} // namespace qbin

/// ptxas's verdict on one kernel module for one chip.
struct KernelStats {
  std::string module, target;
  int registers = 0, spillBytes = 0, stackBytes = 0, sharedBytes = 0;
  /// ptxas warnings and performance advisories (e.g. wgmma serialized
  /// because its accumulators were touched in flight), verbatim.
  std::vector<std::string> advisories;
};

/// Assembles PTX for `chip` with ptxas; returns the cubin and fills `stats`.
/// `ptxas` is the tool's path.
llvm::Expected<std::vector<uint8_t>> assemblePTX(llvm::StringRef ptx, llvm::StringRef chip,
                                                 llvm::StringRef ptxas, KernelStats &stats);

/// Finds ptxas: `preferred` if set, else $CUDA_PATH/bin, /usr/local/cuda/bin,
/// then PATH.
llvm::Expected<std::string> findPTXAS(llvm::StringRef preferred);

struct BundleOptions {
  std::string compilerVersion, sourceModel, precision;
  std::string ptxas;        // path to ptxas
  /// Chips to assemble cubins for beyond those the gpu.binary objects name,
  /// from the first object's PTX (which must target the oldest chip).
  std::vector<std::string> extraTargets;
  unsigned threads = 0;     // parallel ptxas runs (0: hardware concurrency)
  /// The qnn program (carried as MLIR bytecode); its dense_resource
  /// constants that the weights blob holds byte for byte are not repeated.
  mlir::ModuleOp program;
  /// The qnn function's argument and result types (before lowering): they
  /// give the boundary tensors' quantization parameters.
  std::vector<mlir::Type> inputTypes, outputTypes;
};

/// What the writer measured, for reports and tests.
struct BundleSummary {
  uint64_t arenaBytes = 0, weightsBytes = 0, unplannedBytes = 0;
  size_t launches = 0, copies = 0, modules = 0;
  std::vector<KernelStats> kernels;
};

/// Serializes `module` (the output of qopt-gpu-codegen) into a .qbin image.
llvm::Expected<std::vector<uint8_t>> writeBundle(mlir::ModuleOp module,
                                                 const BundleOptions &options,
                                                 BundleSummary *summary = nullptr);

/// Checks a whole .qbin image (header, checksum, FlatBuffer verifier and
/// every cross reference) and returns its root; the image must outlive it.
llvm::Expected<const qbin::Bundle *> readBundle(llvm::ArrayRef<uint8_t> file);

/// Parses the bundle's qnn program into `context`, restoring the resource
/// data that the writer elided from the weights blob.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> readBundleProgram(const qbin::Bundle *bundle,
                                                                  mlir::MLIRContext *context);

/// A human-readable summary: boundary tensors, memory, kernels, steps; with
/// `steps`, one line per step (kernel kind, launch shape, registers per
/// chip, the ONNX nodes it computes).
void describeBundle(const qbin::Bundle *bundle, llvm::raw_ostream &os, bool steps = false);

} // namespace qopt

#endif // QOPT_TARGET_BUNDLE_H
