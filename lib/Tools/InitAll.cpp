//===- InitAll.cpp - Register QOpt dialects and passes -------*- C++ -*-===//

#include "qopt/InitAll.h"
#include "qopt/Dialect/QNN/QNNDialect.h"
#include "qopt/Pipelines/Pipelines.h"
#include "qopt/Revision.h"
#include "qopt/Transforms/Passes.h"
#include "qopt/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

void qopt::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<qnn::QNNDialect, mlir::func::FuncDialect, mlir::arith::ArithDialect,
                  mlir::quant::QuantDialect, mlir::tensor::TensorDialect,
                  mlir::linalg::LinalgDialect>();
  // Every upstream dialect, interface and translation: the code generation
  // pipelines go through bufferization, the GPU dialect, NVVM and LLVM IR,
  // and `qopt` runs any of their passes alone (libMLIR.so holds them all).
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
}

void qopt::registerAllPasses() {
  mlir::registerAllPasses();
  registerQOptTransformsPasses();
  registerQOptConversionPasses();
  registerPipelines();
}

const char *qopt::versionString() { return "QOpt " QOPT_VERSION " (" QOPT_GIT_REVISION ")"; }

void qopt::registerVersionPrinter() {
  llvm::cl::AddExtraVersionPrinter([](llvm::raw_ostream &os) {
    os << "QOpt " QOPT_VERSION " (" QOPT_GIT_REVISION "), built on MLIR " LLVM_VERSION_STRING
          "\n";
  });
}
