//===- InitAll.h - Register QOpt dialects and passes ---------*- C++ -*-===//

#ifndef QOPT_INITALL_H
#define QOPT_INITALL_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace qopt {

/// Adds the qnn dialect and every upstream dialect QOpt pipelines produce.
void registerAllDialects(mlir::DialectRegistry &registry);

/// Registers QOpt passes and the upstream passes QOpt pipelines use.
void registerAllPasses();

/// Prints the QOpt version, its git revision and the MLIR it was built on;
/// installed as an extra `--version` printer by every tool.
void registerVersionPrinter();

/// "QOpt <version> (<git revision>)", as --version prints it.
const char *versionString();

} // namespace qopt

#endif // QOPT_INITALL_H
