//===- Calibrate.h - Calibration runs over real data -----------*- C++ -*-===//
//
// Runs the reference executor over a calibration set and collects
// TensorStatistics for every float tensor of a function, keyed by a stable
// tensor name; saves and loads those statistics as a JSON calibration cache
// that later compiles reuse (`qopt-compile --calib-cache`).
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_CALIBRATION_CALIBRATE_H
#define QOPT_CALIBRATION_CALIBRATE_H

#include "qopt/Quant/Calibration.h"
#include "qopt/Reference/Image.h"
#include "qopt/Reference/Tensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace qopt::calib {

/// Stable names of a function's values: arguments by their `qnn.name` (else
/// "input<i>"), op results by the ONNX node name in their location (else the
/// op name), with "#<n>" appended to the n-th repeat of a name in program
/// order. The same IR always yields the same names, which is what lets a
/// calibration cache outlive the compile that wrote it.
llvm::DenseMap<mlir::Value, std::string> tensorKeys(mlir::func::FuncOp func);

/// Statistics per tensor name.
struct CalibrationTable {
  llvm::StringMap<quant::TensorStatistics> tensors;
  int64_t samples = 0;
  std::string source; // what was calibrated on, for the cache's reader
};

llvm::Error writeCalibrationCache(const CalibrationTable &table, llvm::StringRef path);
llvm::Expected<CalibrationTable> readCalibrationCache(llvm::StringRef path);

/// One calibration sample: a tensor per function argument, in order.
using Sample = llvm::SmallVector<ref::Tensor, 1>;

/// A calibration set, loaded one sample at a time:
///  - a directory: each .npy file is one input of a one-input model, each .npz
///    one sample of any model (arrays named after the inputs), each image
///    (.png/.jpg/.jpeg/.bmp, with `image`) one input of a one-input model;
///  - a single .npy / .npz: its arrays are split along the batch dimension
///    into samples of the model's batch size.
/// Files are taken in name order so runs are reproducible.
class CalibrationSet {
public:
  struct Options {
    std::optional<ref::ImagePreprocess> image;
    int64_t maxSamples = 0; // 0 = all
    int64_t maxInputBytes = int64_t(1) << 31;
  };
  static llvm::Expected<CalibrationSet> open(mlir::func::FuncOp func, llvm::StringRef path,
                                             const Options &options);
  size_t size() const { return count; }
  llvm::Expected<Sample> load(size_t index) const;

private:
  struct Input {
    std::string name;
    ref::DType dtype;
    llvm::SmallVector<int64_t, 4> shape;
  };
  llvm::Expected<Sample> fromArrays(llvm::StringRef file,
                                    llvm::ArrayRef<std::pair<std::string, ref::Tensor>> arrays,
                                    int64_t chunk) const;
  llvm::Expected<ref::Tensor> checked(llvm::StringRef file, const Input &in,
                                      ref::Tensor t) const;

  std::vector<Input> inputs;
  std::vector<std::string> files; // directory mode
  std::string batchFile;          // single-file mode
  std::vector<std::pair<std::string, ref::Tensor>> batchArrays;
  size_t count = 0;
  Options options;
};

/// Progress of a long run: done, total.
using ProgressFn = std::function<void(size_t, size_t)>;

/// Runs `func` on every sample and records statistics for every float value
/// (arguments and op results). The error names the sample that failed.
llvm::Expected<CalibrationTable> calibrate(mlir::func::FuncOp func, const CalibrationSet &set,
                                           const ProgressFn &progress = nullptr);

/// A progress bar with ETA on stderr when it is a terminal; silent otherwise.
ProgressFn terminalProgress(llvm::StringRef label);

} // namespace qopt::calib

#endif // QOPT_CALIBRATION_CALIBRATE_H
