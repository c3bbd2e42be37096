//===- Calibration.h - Activation range statistics -------------*- C++ -*-===//
//
// The statistics half of calibration: what is collected per tensor while the
// reference executor runs the calibration set, and how a range is chosen from
// it (minmax, percentile, entropy/KL as TensorRT does it, MSE). MLIR-free.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_QUANT_CALIBRATION_H
#define QOPT_QUANT_CALIBRATION_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <cstdint>
#include <vector>

namespace qopt::quant {

enum class CalibrationMethod { MinMax, Percentile, Entropy, MSE };

/// Parses "minmax", "percentile", "entropy" or "mse".
llvm::Expected<CalibrationMethod> parseCalibrationMethod(llvm::StringRef name);

/// Running min, max and a histogram of |x| with a fixed number of bins over
/// [0, limit). When a value beyond the limit arrives, the limit doubles and
/// adjacent bins merge, so no count is ever re-estimated.
class TensorStatistics {
public:
  explicit TensorStatistics(int bins = 2048);

  /// Adds samples; NaN samples are counted apart and otherwise ignored.
  void observe(const float *data, int64_t count);

  double min() const { return min_; }
  double max() const { return max_; }
  int64_t count() const { return count_; }
  int64_t nanCount() const { return nans_; }
  /// Samples exactly 0 (also counted in bin 0): every range represents them
  /// exactly, so the entropy method leaves them out of its comparison.
  int64_t exactZeros() const { return exactZeros_; }
  double binWidth() const { return limit_ / bins_.size(); }
  const std::vector<int64_t> &bins() const { return bins_; }

  /// The whole state as JSON (trailing empty bins dropped), so a calibration
  /// cache can re-choose ranges with any method later.
  llvm::json::Value toJSON() const;
  static llvm::Expected<TensorStatistics> fromJSON(const llvm::json::Value &v);

private:
  void grow(double absValue);

  std::vector<int64_t> bins_;
  double limit_ = 0; // 0 until the first non-zero sample
  double min_ = 0, max_ = 0;
  int64_t count_ = 0, nans_ = 0;
  int64_t zeros_ = 0; // samples seen while the limit was still 0
  int64_t exactZeros_ = 0;
};

/// A real range [min, max] for quantization; always contains 0.
struct Range {
  double min = 0, max = 0;
};

/// Chooses the range to quantize a tensor to `levels` steps (255 for int8):
/// MinMax keeps the observed range; the others choose a threshold t on |x|
/// and clip the observed range to [-t, t] (so a post-relu tensor gets [0, t]).
/// Percentile takes the given percentile of |x|; Entropy minimizes the KL
/// divergence between the clipped histogram and its `levels/2`-bin
/// quantization (TensorRT), without the exact zeros (a post-ReLU tensor's
/// spike at 0 would otherwise always pick the smallest candidate), falling
/// back to MSE below 8192 non-zero samples, where the histograms are too
/// sparse for a KL divergence to mean anything; MSE minimizes the expected squared error of
/// rounding plus clipping.
Range chooseRange(const TensorStatistics &stats, CalibrationMethod method,
                  double percentile = 99.99, int levels = 255);

} // namespace qopt::quant

#endif // QOPT_QUANT_CALIBRATION_H
