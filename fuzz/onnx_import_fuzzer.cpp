//===- onnx_import_fuzzer.cpp - libFuzzer: ONNX import + verify ---------===//
//
// Feeds arbitrary bytes to the ONNX importer as a model file, as
// `qopt-translate --import-onnx` would read it: protobuf parsing, every op
// handler, import-time constant folding through the reference executor, and
// the MLIR verifier. Diagnostics are expected and dropped; a crash, a
// sanitizer report, a leak or an allocation above the limits is a bug.
//
// External data resolves against a folder that does not exist, so no input
// can make the harness read files.
//
//===----------------------------------------------------------------------===//

#include "qopt/Import/ONNXImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // One context per input: attributes and types uniqued by earlier inputs
  // would otherwise accumulate and hide leaks.
  mlir::MLIRContext ctx(mlir::MLIRContext::Threading::DISABLED);
  mlir::ScopedDiagnosticHandler quiet(&ctx, [](mlir::Diagnostic &) { return mlir::success(); });
  qopt::ONNXImportOptions options;
  // Small limits keep each input fast; the checks are the same at any size.
  options.maxModelBytes = 16 << 20;
  options.maxTensorBytes = 16 << 20;
  options.maxFoldBytes = 1 << 20;
  (void)qopt::importONNXBuffer({data, size}, "/nonexistent-qopt-fuzz/model.onnx", &ctx, options);
  return 0;
}
