//===- ImportCommandLine.cpp - Import limits on the command line ---------===//
//
// --max-model-bytes and --max-tensor-bytes, shared by every tool that imports
// ONNX (qopt-translate, qopt-compile, qopt-ref), so the limits read the same
// everywhere. Registered on request (ManagedStatic), like MLIR's own
// command-line option groups.
//
//===----------------------------------------------------------------------===//

#include "qopt/Import/ONNXImporter.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/ManagedStatic.h"

using namespace llvm;

namespace {
struct ImportCLOptions {
  cl::opt<int64_t> maxModelBytes{
      "max-model-bytes",
      cl::desc("Largest ONNX model file accepted, checked before reading it (default 2 GiB)"),
      cl::init(int64_t(2) << 30), cl::cat(qopt::onnxImportCLCategory())};
  cl::opt<int64_t> maxTensorBytes{
      "max-tensor-bytes",
      cl::desc("Largest single tensor the import reads or computes (initializers, external "
               "data, constants, any op result), checked before allocating (default 2 GiB)"),
      cl::init(int64_t(2) << 30), cl::cat(qopt::onnxImportCLCategory())};
};
ManagedStatic<ImportCLOptions> clOptions;
} // namespace

cl::OptionCategory &qopt::onnxImportCLCategory() {
  static cl::OptionCategory category("ONNX import limits");
  return category;
}

void qopt::registerONNXImportCLOptions() { *clOptions; }

void qopt::applyONNXImportCLOptions(ONNXImportOptions &options) {
  if (!clOptions.isConstructed())
    return;
  options.maxModelBytes = clOptions->maxModelBytes;
  options.maxTensorBytes = clOptions->maxTensorBytes;
}
