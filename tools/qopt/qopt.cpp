//===- qopt.cpp - QOpt optimizer driver -----------------------*- C++ -*-===//
//
// mlir-opt for QOpt: every QOpt dialect and pass plus the upstream ones our
// pipelines use. `--load-pass-plugin` and `--load-dialect-plugin` add passes
// and dialects without rebuilding.
//
//===----------------------------------------------------------------------===//

#include "qopt/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  qopt::registerAllPasses();
  qopt::registerVersionPrinter();
  mlir::DialectRegistry registry;
  qopt::registerAllDialects(registry);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "QOpt optimizer driver\n", registry));
}
