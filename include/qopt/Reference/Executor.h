//===- Executor.h - CPU reference executor for qnn IR ---------*- C++ -*-===//
//
// Runs a `func.func` of qnn ops on the host with ONNX semantics. It is the
// golden reference of every later check (GPU outputs, quantization accuracy)
// and the engine behind calibration and constant folding.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_REFERENCE_EXECUTOR_H
#define QOPT_REFERENCE_EXECUTOR_H

#include "qopt/Reference/Kernels.h"
#include "qopt/Reference/Tensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <optional>

namespace qopt::ref {

/// Maps a builtin element type to the executor's dtype; fails for types it
/// cannot hold (quantized types are run through their storage type later).
llvm::Expected<DType> dtypeFromType(mlir::Type elementType);
/// The inverse of dtypeFromType.
mlir::Type typeFromDType(mlir::MLIRContext *ctx, DType dtype);

/// Copies the contents of a dense or dense_resource attribute into a tensor.
llvm::Expected<Tensor> tensorFromAttr(mlir::ElementsAttr attr);
/// Builds an attribute holding `t`: a `dense` literal up to `inlineLimit`
/// elements, else a `dense_resource` blob named after `blobHint`.
mlir::ElementsAttr attrFromTensor(mlir::MLIRContext *ctx, const Tensor &t,
                                  llvm::StringRef blobHint, int64_t inlineLimit = 64);

/// The NumPy-broadcast binary an op computes (add, sub, mul, div, pow, max,
/// min, mod, the comparisons and the logic ops), if it is one.
std::optional<BinaryKind> binaryKindOf(mlir::Operation *op);

/// Runs one op on already computed operand values. Used by the executor and by
/// constant folding; the error names the op.
llvm::Expected<llvm::SmallVector<Tensor, 1>> evaluateOp(mlir::Operation *op,
                                                        llvm::ArrayRef<Tensor> operands);

/// Time spent per op kind over one or more runs, for `qopt-ref --profile`.
struct ExecutionProfile {
  struct Entry {
    double seconds = 0;
    int64_t calls = 0;
  };
  llvm::StringMap<Entry> byOp;
};

/// Executes a whole function. Constants are decoded once at construction, so
/// repeated runs (calibration, benchmarks) only pay for the ops.
class Executor {
public:
  static llvm::Expected<Executor> create(mlir::func::FuncOp func);

  /// Input values in argument order. Shapes and dtypes must match the
  /// function signature exactly; the error names the input.
  /// `observer`, when given, sees every function argument and every op
  /// result as it is computed (calibration collects statistics this way).
  using Observer = llvm::function_ref<void(mlir::Value, const Tensor &)>;
  llvm::Expected<llvm::SmallVector<Tensor>> run(llvm::ArrayRef<Tensor> inputs,
                                                ExecutionProfile *profile = nullptr,
                                                Observer observer = nullptr);

  mlir::func::FuncOp function() const { return func; }

private:
  mlir::func::FuncOp func;
  llvm::DenseMap<mlir::Operation *, Tensor> constants;
  /// For each op, the operands whose last use it is (freed right after it).
  llvm::DenseMap<mlir::Operation *, llvm::SmallVector<mlir::Value, 2>> lastUses;
};

/// Name of an op for error messages: the ONNX node name from its location when
/// present, else the op name.
std::string describeOp(mlir::Operation *op);

} // namespace qopt::ref

#endif // QOPT_REFERENCE_EXECUTOR_H
