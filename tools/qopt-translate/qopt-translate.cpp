//===- qopt-translate.cpp - ONNX to MLIR ----------------------*- C++ -*-===//
//
// qopt-translate --import-onnx model.onnx [-o out.mlir] [--input-shape name=1x3x224x224 ...]
//                [--freeze name=value.npy ...]
//
//===----------------------------------------------------------------------===//

#include "qopt/Import/ONNXImporter.h"
#include "qopt/InitAll.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace llvm;

static cl::OptionCategory category("qopt-translate options");
static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.onnx>"), cl::Required,
                                      cl::cat(category));
static cl::opt<std::string> outputFile("o", cl::desc("Output file (default: stdout)"),
                                       cl::init("-"), cl::cat(category));
static cl::opt<bool> importONNX("import-onnx", cl::desc("Import an ONNX model into qnn IR"),
                                cl::cat(category));
static cl::list<std::string> inputShapes(
    "input-shape", cl::desc("Pin a graph input's shape: name=1x3x224x224 (repeatable)"),
    cl::cat(category));
static cl::list<std::string> frozenInputs(
    "freeze",
    cl::desc("Bind a graph input to a value at compile time: NAME=FILE.npy; it becomes a "
             "constant, for inputs a static program needs, such as a sample rate an If "
             "branches on, shapes, pads or scales (repeatable)"),
    cl::cat(category));
static cl::opt<bool> emitBytecode("emit-bytecode", cl::desc("Write MLIR bytecode"),
                                  cl::cat(category));
static cl::opt<bool> elideResources(
    "elide-resource-blobs",
    cl::desc("Print dense_resource blobs as elided handles (readable, not re-runnable)"),
    cl::cat(category));

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  qopt::registerVersionPrinter();
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  qopt::registerONNXImportCLOptions();
  cl::HideUnrelatedOptions({&category, &qopt::onnxImportCLCategory()});
  cl::ParseCommandLineOptions(argc, argv, "QOpt translator: ONNX -> qnn MLIR\n");
  if (!importONNX) {
    errs() << "qopt-translate: choose a translation (--import-onnx)\n";
    return 1;
  }
  qopt::ONNXImportOptions options;
  qopt::applyONNXImportCLOptions(options);
  for (const std::string &text : inputShapes) {
    std::string name, error;
    SmallVector<int64_t> dims;
    if (!qopt::parseInputShape(text, name, dims, error)) {
      errs() << "qopt-translate: error: --input-shape " << error << "\n";
      return 1;
    }
    options.inputShapes[name] = dims;
  }
  for (const std::string &text : frozenInputs) {
    std::string error;
    if (!qopt::parseFrozenInput(text, options, error)) {
      errs() << "qopt-translate: error: --freeze " << error << "\n";
      return 1;
    }
  }
  mlir::DialectRegistry registry;
  qopt::registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  llvm::SourceMgr sourceMgr;
  mlir::SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  auto module = qopt::importONNXFile(inputFile, &context, options);
  if (!module)
    return 1;
  std::string error;
  auto output = mlir::openOutputFile(outputFile, &error);
  if (!output) {
    errs() << "qopt-translate: " << error << "\n";
    return 1;
  }
  if (emitBytecode) {
    if (mlir::failed(mlir::writeBytecodeToFile(*module, output->os())))
      return 1;
  } else {
    mlir::OpPrintingFlags flags;
    if (elideResources)
      flags.elideLargeResourceString(0);
    module->print(output->os(), flags);
  }
  output->keep();
  return 0;
}
