//===- QuantPasses.h - Quantization passes with in-memory input -*- C++ -*-===//
//
// Constructors of the quantization passes that take what a command line
// cannot: the calibration statistics already in memory (qopt-compile
// calibrates and inserts Q/DQ in one run without a cache file round trip).
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_TRANSFORMS_QUANTPASSES_H
#define QOPT_TRANSFORMS_QUANTPASSES_H

#include "qopt/Transforms/Passes.h"

#include <memory>

namespace qopt {
namespace calib {
struct CalibrationTable;
} // namespace calib

/// qopt-insert-qdq with statistics from memory (`calib-cache` is ignored).
std::unique_ptr<mlir::Pass>
createInsertQDQPass(const InsertQDQPassOptions &options,
                    std::shared_ptr<const calib::CalibrationTable> table);

} // namespace qopt

#endif // QOPT_TRANSFORMS_QUANTPASSES_H
