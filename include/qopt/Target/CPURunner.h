//===- CPURunner.h - Run the lowered program on the host CPU ----*- C++ -*-===//
//
// Compiles a qnn program through qopt-lower-to-linalg, bufferization and
// LLVM for the host and runs it. The GPU kernels come from the same linalg
// form, so comparing this engine with the reference executor checks the
// lowering's arithmetic bit for bit on machines without a GPU.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_TARGET_CPURUNNER_H
#define QOPT_TARGET_CPURUNNER_H

#include "qopt/Reference/Tensor.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <memory>

#include <optional>
#include <string>

namespace qopt {

/// A program compiled for the host: the qnn function @main, lowered.
class CPUProgram {
public:
  /// Lowers and JIT-compiles a clone of `module` (which is left unchanged).
  /// With `tensorCoreTile` ("auto" for the per-shape heuristic, or a shape
  /// BMxBNxBK/WMxWN/STAGES), eligible integer convs and gemms run the
  /// tensor-core kernel's tile algorithm (pipelined staging, im2col, tile
  /// products, epilogue) as host loops, which checks that algorithm against
  /// the reference. `layout` is qopt-lower-to-linalg's activation layout
  /// (auto, nchw or nhwc); `mma` the tensor-core instruction whose tile
  /// algorithm is emulated (mma.sync, or wgmma and its shared-memory layout).
  static llvm::Expected<std::unique_ptr<CPUProgram>>
  compile(mlir::ModuleOp module, std::optional<std::string> tensorCoreTile = std::nullopt,
          llvm::StringRef layout = "auto", llvm::StringRef mma = "mma.sync");
  ~CPUProgram();

  /// Runs @main on `inputs` (in argument order); outputs in result order,
  /// with the storage dtype of quantized results.
  llvm::Expected<llvm::SmallVector<ref::Tensor>> run(llvm::ArrayRef<ref::Tensor> inputs);

private:
  CPUProgram();
  struct Impl;
  std::unique_ptr<Impl> impl;
};

} // namespace qopt

#endif // QOPT_TARGET_CPURUNNER_H
