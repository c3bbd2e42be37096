//===- ONNXImporter.h - ONNX to qnn import ---------------------*- C++ -*-===//
//
// Imports an ONNX model into a module holding `func.func @main` of qnn ops.
// Input shapes are pinned (from the model or the caller), and every shape
// computation is folded, so the result is fully static.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_IMPORT_ONNXIMPORTER_H
#define QOPT_IMPORT_ONNXIMPORTER_H

#include "qopt/Reference/Tensor.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"

#include <cstdint>

namespace llvm::cl {
class OptionCategory;
} // namespace llvm::cl

namespace qopt {

struct ONNXImportOptions {
  /// Shapes for graph inputs, overriding (and required for) dynamic dims.
  llvm::StringMap<llvm::SmallVector<int64_t>> inputShapes;
  /// Largest model file accepted, checked before reading it.
  int64_t maxModelBytes = int64_t(2) << 30;
  /// Largest single tensor (initializer, constant, external data, folded
  /// value), checked before allocating it.
  int64_t maxTensorBytes = int64_t(2) << 30;
  /// Largest value produced by import-time constant folding; bigger values
  /// stay computed at run time.
  int64_t maxFoldBytes = int64_t(64) << 20;
  /// Graph inputs bound to fixed values at compile time ("frozen"): they
  /// become constants, so inputs that ONNX allows to be dynamic but QOpt needs
  /// static (shapes, pads, scales) can come from data.
  llvm::StringMap<ref::Tensor> frozenInputs;
};

/// Parses `--input-shape` values of the form `name=1x3x224x224` (a scalar is
/// `name=`). Returns false and sets `error` on malformed text.
bool parseInputShape(llvm::StringRef text, std::string &name,
                     llvm::SmallVectorImpl<int64_t> &dims, std::string &error);

/// Parses `--freeze` values of the form `name=FILE.npy` into
/// `options.frozenInputs`. Returns false and sets `error` on malformed text
/// or an unreadable file.
bool parseFrozenInput(llvm::StringRef text, ONNXImportOptions &options, std::string &error);

/// Imports the model at `path`. Errors are emitted as diagnostics located at
/// the ONNX node (its name) in the model file; returns null on failure.
mlir::OwningOpRef<mlir::ModuleOp> importONNXFile(llvm::StringRef path, mlir::MLIRContext *ctx,
                                                 const ONNXImportOptions &options);

/// Imports the serialized model `bytes` (the fuzzer's entry point). `path`
/// names the model in diagnostics, and its folder is where external data
/// must lie.
mlir::OwningOpRef<mlir::ModuleOp> importONNXBuffer(llvm::ArrayRef<uint8_t> bytes,
                                                   llvm::StringRef path, mlir::MLIRContext *ctx,
                                                   const ONNXImportOptions &options);

/// Registers --max-model-bytes and --max-tensor-bytes (category
/// onnxImportCLCategory()); call before parsing the command line.
void registerONNXImportCLOptions();
llvm::cl::OptionCategory &onnxImportCLCategory();
/// Copies the limits given on the command line into `options`.
void applyONNXImportCLOptions(ONNXImportOptions &options);

/// Registers the dialects the importer produces.
void registerONNXImportDialects(mlir::MLIRContext *ctx);

} // namespace qopt

#endif // QOPT_IMPORT_ONNXIMPORTER_H
