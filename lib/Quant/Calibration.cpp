//===- Calibration.cpp - Activation range statistics -----------*- C++ -*-===//

#include "qopt/Quant/Calibration.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace qopt::quant;

llvm::Expected<CalibrationMethod> qopt::quant::parseCalibrationMethod(llvm::StringRef name) {
  if (name == "minmax")
    return CalibrationMethod::MinMax;
  if (name == "percentile")
    return CalibrationMethod::Percentile;
  if (name == "entropy")
    return CalibrationMethod::Entropy;
  if (name == "mse")
    return CalibrationMethod::MSE;
  return llvm::createStringError("unknown calibration method '" + name.str() +
                                 "' (expected minmax, percentile, entropy or mse)");
}

TensorStatistics::TensorStatistics(int bins) : bins_(std::max(bins, 2), 0) {}

void TensorStatistics::grow(double absValue) {
  if (limit_ == 0) {
    // The first non-zero magnitude sets the scale; earlier zeros go to bin 0.
    limit_ = absValue * 1.0000001;
    bins_[0] += zeros_;
    zeros_ = 0;
    return;
  }
  while (absValue >= limit_) {
    size_t n = bins_.size();
    for (size_t i = 0; i < n / 2; ++i)
      bins_[i] = bins_[2 * i] + bins_[2 * i + 1];
    if (n % 2)
      bins_[n / 2 - 1] += bins_[n - 1];
    std::fill(bins_.begin() + n / 2, bins_.end(), 0);
    limit_ *= 2;
  }
}

void TensorStatistics::observe(const float *data, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    float v = data[i];
    if (std::isnan(v)) {
      ++nans_;
      continue;
    }
    if (count_ == 0) {
      min_ = max_ = v;
    } else {
      min_ = std::min<double>(min_, v);
      max_ = std::max<double>(max_, v);
    }
    ++count_;
    exactZeros_ += v == 0.0f;
    double a = std::fabs((double)v);
    if (!std::isfinite(a))
      continue; // infinities widen min/max but would make every bin infinite
    if (a == 0 && limit_ == 0) {
      ++zeros_;
      continue;
    }
    if (a >= limit_)
      grow(a);
    size_t bin = std::min(bins_.size() - 1, (size_t)(a / limit_ * bins_.size()));
    ++bins_[bin];
  }
}

llvm::json::Value TensorStatistics::toJSON() const {
  size_t used = bins_.size();
  while (used && bins_[used - 1] == 0)
    --used;
  llvm::json::Array bins;
  for (size_t i = 0; i < used; ++i)
    bins.push_back(bins_[i]);
  return llvm::json::Object{{"min", min_},   {"max", max_},           {"count", count_},
                            {"nans", nans_}, {"zeros", zeros_},       {"limit", limit_},
                            {"exact_zeros", exactZeros_},
                            {"bin_count", (int64_t)bins_.size()}, {"bins", std::move(bins)}};
}

llvm::Expected<TensorStatistics> TensorStatistics::fromJSON(const llvm::json::Value &v) {
  const llvm::json::Object *o = v.getAsObject();
  auto bad = [](const char *what) {
    return llvm::createStringError(std::string("calibration statistics: ") + what);
  };
  if (!o)
    return bad("expected an object");
  auto num = [&](const char *key) { return o->getNumber(key); };
  auto integer = [&](const char *key) { return o->getInteger(key); };
  auto binCount = integer("bin_count");
  const llvm::json::Array *bins = o->getArray("bins");
  if (!num("min") || !num("max") || !integer("count") || !integer("nans") || !integer("zeros") ||
      !num("limit") || !binCount || !bins)
    return bad("missing min, max, count, nans, zeros, limit, bin_count or bins");
  // QOpt writes 2048 bins; a cache claiming many more would only be a way to
  // make the reader allocate without bound.
  if (*binCount < 2 || *binCount > (1 << 16) || (int64_t)bins->size() > *binCount)
    return bad("bin_count out of range");
  if (*num("limit") < 0 || !std::isfinite(*num("limit")) || *integer("count") < 0 ||
      *integer("nans") < 0 || *integer("zeros") < 0 || *num("min") > *num("max"))
    return bad("inconsistent values");
  TensorStatistics s((int)*binCount);
  for (size_t i = 0; i < bins->size(); ++i) {
    auto b = (*bins)[i].getAsInteger();
    if (!b || *b < 0)
      return bad("bins must be non-negative integers");
    s.bins_[i] = *b;
  }
  s.min_ = *num("min");
  s.max_ = *num("max");
  s.count_ = *integer("count");
  s.nans_ = *integer("nans");
  s.zeros_ = *integer("zeros");
  // Caches written before exact zeros were counted have none.
  s.exactZeros_ = std::clamp<int64_t>(o->getInteger("exact_zeros").value_or(0), 0, s.count_);
  s.limit_ = *num("limit");
  return s;
}

namespace {

/// KL(P || Q) where Q is P (first `edge` bins, outliers folded into the last)
/// quantized into `target` levels and expanded back over P's non-empty bins.
double klDivergence(const std::vector<int64_t> &hist, size_t edge, int target) {
  std::vector<double> p(hist.begin(), hist.begin() + edge);
  for (size_t i = edge; i < hist.size(); ++i)
    p[edge - 1] += (double)hist[i];
  std::vector<double> q(edge, 0.0);
  for (int j = 0; j < target; ++j) {
    size_t begin = edge * j / target, end = edge * (j + 1) / target;
    double sum = 0;
    size_t nonZero = 0;
    for (size_t i = begin; i < end; ++i) {
      sum += (double)hist[i];
      nonZero += hist[i] != 0;
    }
    for (size_t i = begin; i < end; ++i)
      if (hist[i] != 0)
        q[i] = sum / (double)nonZero;
  }
  double pSum = 0, qSum = 0;
  for (size_t i = 0; i < edge; ++i) {
    pSum += p[i];
    qSum += q[i];
  }
  if (pSum == 0 || qSum == 0)
    return std::numeric_limits<double>::infinity();
  double kl = 0;
  for (size_t i = 0; i < edge; ++i) {
    if (p[i] == 0)
      continue;
    double pi = p[i] / pSum;
    // A bin Q left empty while P has mass (the folded outliers): heavily
    // penalized, as TensorRT's smoothing does.
    double qi = q[i] > 0 ? q[i] / qSum : 1e-12;
    kl += pi * std::log(pi / qi);
  }
  return kl;
}

} // namespace

/// Fewer non-zero samples than this (4 per histogram bin) and the entropy
/// method falls back to MSE.
static constexpr int64_t kMinEntropySamples = 8192;

Range qopt::quant::chooseRange(const TensorStatistics &stats, CalibrationMethod method,
                               double percentile, int levels) {
  Range r;
  r.min = std::min(0.0, stats.min());
  r.max = std::max(0.0, stats.max());
  const std::vector<int64_t> &hist = stats.bins();
  int64_t total = 0;
  for (int64_t c : hist)
    total += c;
  if (method == CalibrationMethod::MinMax || total == 0 || stats.binWidth() == 0)
    return r;
  double width = stats.binWidth();
  double threshold = 0;
  if (method == CalibrationMethod::Percentile) {
    double want = std::clamp(percentile, 0.0, 100.0) / 100.0 * (double)total;
    int64_t seen = 0;
    for (size_t i = 0; i < hist.size(); ++i) {
      seen += hist[i];
      if ((double)seen >= want) {
        threshold = (double)(i + 1) * width;
        break;
      }
    }
  } else if (method == CalibrationMethod::Entropy &&
             total - stats.exactZeros() < kMinEntropySamples) {
    // A KL divergence between sparse histograms (an SE block's pooled
    // vector: a few hundred values) picks thresholds by noise: use MSE.
    return chooseRange(stats, CalibrationMethod::MSE, percentile, levels);
  } else if (method == CalibrationMethod::Entropy) {
    int target = std::max(2, (levels + 1) / 2);
    std::vector<int64_t> nonZero(hist);
    nonZero[0] = std::max<int64_t>(0, nonZero[0] - stats.exactZeros());
    size_t best = hist.size();
    double bestKl = std::numeric_limits<double>::infinity();
    for (size_t edge = (size_t)target; edge <= hist.size(); ++edge) {
      double kl = klDivergence(nonZero, edge, target);
      if (kl < bestKl) {
        bestKl = kl;
        best = edge;
      }
    }
    threshold = ((double)best + 0.5) * width;
  } else { // MSE
    double steps = std::max(1, levels / 2);
    double bestErr = std::numeric_limits<double>::infinity();
    for (size_t edge = 1; edge <= hist.size(); ++edge) {
      double t = (double)edge * width, step = t / steps, err = 0;
      for (size_t i = 0; i < hist.size(); ++i) {
        if (!hist[i])
          continue;
        double center = ((double)i + 0.5) * width;
        double e = center <= t ? step * step / 12.0 : (center - t) * (center - t);
        err += e * (double)hist[i];
      }
      if (err < bestErr) {
        bestErr = err;
        threshold = t;
      }
    }
  }
  r.min = std::max(r.min, -threshold);
  r.max = std::min(r.max, threshold);
  return r;
}
