//===- Quantize.h - Static quantization flow and its report ----*- C++ -*-===//
//
// The int8 flow behind qopt-compile as a library: quantize a graph-optimized
// float module with calibration statistics, measure what quantization did
// (per-layer SQNR against the float model, output agreement, weight bytes),
// rank layers by sensitivity, and keep the most sensitive ones in float until
// an accuracy budget holds. The report it fills is what `--report` writes.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_COMPILER_QUANTIZE_H
#define QOPT_COMPILER_QUANTIZE_H

#include "qopt/Calibration/Calibrate.h"
#include "qopt/Transforms/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace qopt::compiler {

/// Clones `floatModule` and runs qopt-insert-qdq (with `table`),
/// qopt-propagate-scales and qopt-fold-qdq on it. Remarks go to the
/// context's handlers as usual.
mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>>
quantizeStatic(mlir::ModuleOp floatModule, std::shared_ptr<const calib::CalibrationTable> table,
               const InsertQDQPassOptions &options);

/// One op of the compiled function, as the report lists it.
struct LayerReport {
  std::string name;      // ONNX node name
  std::string op;        // qnn op name
  std::string precision; // "int8" or "float"
  std::string fused;     // "conv+relu", ...
  std::string input, weight, output; // quantization parameters, human-readable
  std::optional<double> sqnrDb;      // layer output vs the float model
  std::string note;                  // why float, from the passes' remarks
};

struct OutputReport {
  std::string name;
  double sqnrDb = 0;
  double maxAbsError = 0;
  std::optional<double> top1Agreement; // for outputs with a class axis
};

struct SensitivityEntry {
  std::string name;
  double outputSqnrDb = 0; // with only this layer quantized
};

struct QuantReport {
  std::string model, precision, calibration;
  int64_t evalSamples = 0;
  int64_t floatWeightBytes = 0, quantizedWeightBytes = 0;
  std::vector<LayerReport> layers;
  std::vector<OutputReport> outputs;
  std::vector<SensitivityEntry> sensitivity;       // most sensitive first
  std::vector<std::string> keptFloatForBudget;     // --accuracy-budget
  std::optional<double> accuracyBudgetDb;
};

/// Output SQNR (dB, all outputs together) of `quantized` against `reference`
/// over up to `maxSamples` samples of `set`.
llvm::Expected<double> outputSqnr(mlir::ModuleOp reference, mlir::ModuleOp quantized,
                                  const calib::CalibrationSet &set, size_t maxSamples);

/// Fills layers, outputs and sizes of `report` by running both modules over
/// up to `maxSamples` samples. `notes` maps node names to the passes'
/// remarks.
llvm::Error measure(mlir::ModuleOp floatModule, mlir::ModuleOp quantized,
                    const calib::CalibrationSet &set, size_t maxSamples,
                    const llvm::StringMap<std::string> &notes, QuantReport &report);

/// Quantizes each quantizable layer alone and records the output SQNR,
/// most sensitive (lowest) first.
llvm::Expected<std::vector<SensitivityEntry>>
sensitivity(mlir::ModuleOp floatModule, std::shared_ptr<const calib::CalibrationTable> table,
            const InsertQDQPassOptions &options, const calib::CalibrationSet &set,
            size_t maxSamples, const calib::ProgressFn &progress = nullptr);

llvm::Error writeReportJSON(const QuantReport &report, llvm::StringRef path);
/// A self-contained HTML page (inline SVG chart of per-layer SQNR).
llvm::Error writeReportHTML(const QuantReport &report, llvm::StringRef path);

} // namespace qopt::compiler

#endif // QOPT_COMPILER_QUANTIZE_H
