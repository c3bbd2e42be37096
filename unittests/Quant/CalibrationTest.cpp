//===- CalibrationTest.cpp - Range selection properties -------*- C++ -*-===//

#include "qopt/Quant/Calibration.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

using namespace qopt::quant;

namespace {

TensorStatistics gaussian(int64_t n, double outlier = 0, uint64_t seed = 7) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float &x : v)
    x = normal(rng);
  if (outlier != 0)
    v[0] = (float)outlier;
  TensorStatistics s;
  s.observe(v.data(), (int64_t)v.size());
  return s;
}

TEST(CalibrationTest, ParsesMethods) {
  EXPECT_EQ(*parseCalibrationMethod("entropy"), CalibrationMethod::Entropy);
  auto bad = parseCalibrationMethod("kl");
  ASSERT_FALSE(static_cast<bool>(bad));
  EXPECT_NE(llvm::toString(bad.takeError()).find("expected minmax"), std::string::npos);
}

TEST(CalibrationTest, HistogramKeepsEveryCountWhileGrowing) {
  TensorStatistics s(16);
  std::vector<float> v{0.0f, 0.0f, 0.1f, -0.2f, 0.4f, 3.0f, -7.5f, 100.0f, NAN};
  for (float x : v)
    s.observe(&x, 1);
  int64_t total = 0;
  for (int64_t c : s.bins())
    total += c;
  EXPECT_EQ(total, 8);
  EXPECT_EQ(s.count(), 8);
  EXPECT_EQ(s.nanCount(), 1);
  EXPECT_EQ(s.min(), -7.5);
  EXPECT_EQ(s.max(), 100.0);
  EXPECT_GT(s.binWidth() * 16, 100.0);
}

TEST(CalibrationTest, MinMaxKeepsObservedRangeAndZero) {
  TensorStatistics s;
  std::vector<float> v{0.5f, 2.0f, 3.0f};
  s.observe(v.data(), 3);
  Range r = chooseRange(s, CalibrationMethod::MinMax);
  EXPECT_EQ(r.min, 0.0); // zero is always representable
  EXPECT_EQ(r.max, 3.0);
}

TEST(CalibrationTest, PercentileOfGaussian) {
  TensorStatistics s = gaussian(400000);
  Range r = chooseRange(s, CalibrationMethod::Percentile, 99.0);
  // The 99th percentile of |N(0,1)| is 2.576.
  EXPECT_NEAR(r.max, 2.576, 0.05);
  EXPECT_NEAR(r.min, -2.576, 0.05);
}

TEST(CalibrationTest, EntropyAndMseClipOutliers) {
  // One outlier at 100 sigma must not stretch the range as minmax does.
  // Entropy ignores it almost entirely; MSE trades the outlier's clipping
  // error against the rounding error of 400k samples, so it clips less.
  TensorStatistics s = gaussian(400000, /*outlier=*/100.0);
  EXPECT_EQ(chooseRange(s, CalibrationMethod::MinMax).max, 100.0);
  Range kl = chooseRange(s, CalibrationMethod::Entropy);
  EXPECT_GT(kl.max, 2.0);
  EXPECT_LT(kl.max, 20.0);
  Range mse = chooseRange(s, CalibrationMethod::MSE);
  EXPECT_GT(mse.max, 2.0);
  EXPECT_LT(mse.max, 60.0);
}

TEST(CalibrationTest, EntropyAndMseOnGaussianPickSeveralSigma) {
  TensorStatistics s = gaussian(400000);
  for (CalibrationMethod m : {CalibrationMethod::Entropy, CalibrationMethod::MSE}) {
    Range r = chooseRange(s, m);
    EXPECT_GT(r.max, 2.0) << (int)m;
    EXPECT_LE(r.max, s.max() + 1e-9) << (int)m;
  }
}

TEST(CalibrationTest, PostReluTensorsGetNonNegativeRanges) {
  std::mt19937_64 rng(3);
  std::exponential_distribution<float> e(1.0f);
  std::vector<float> v(100000);
  for (float &x : v)
    x = e(rng);
  TensorStatistics s;
  s.observe(v.data(), (int64_t)v.size());
  for (CalibrationMethod m : {CalibrationMethod::MinMax, CalibrationMethod::Percentile,
                              CalibrationMethod::Entropy, CalibrationMethod::MSE}) {
    Range r = chooseRange(s, m);
    EXPECT_EQ(r.min, 0.0) << (int)m;
    EXPECT_GT(r.max, 1.0) << (int)m;
  }
}

// A ReLU output: half exact zeros, half |N(0,1)|. The zeros are exact at any
// range; counted in the KL comparison their spike made entropy pick the
// smallest candidate (limit / 16), which broke PaddleOCR's cls model.
TEST(CalibrationTest, EntropyIgnoresTheSpikeOfExactZeros) {
  std::mt19937_64 rng(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(200000);
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = i % 2 ? std::fabs(normal(rng)) : 0.0f;
  TensorStatistics s;
  s.observe(v.data(), (int64_t)v.size());
  EXPECT_EQ(s.exactZeros(), 100000);
  Range r = chooseRange(s, CalibrationMethod::Entropy);
  EXPECT_GT(r.max, 2.0);
  // The cache keeps the count.
  auto back = TensorStatistics::fromJSON(s.toJSON());
  ASSERT_TRUE(!!back);
  EXPECT_EQ(back->exactZeros(), 100000);
  EXPECT_EQ(chooseRange(*back, CalibrationMethod::Entropy).max, r.max);
}

TEST(CalibrationTest, EmptyAndConstantTensors) {
  TensorStatistics empty;
  Range r = chooseRange(empty, CalibrationMethod::Entropy);
  EXPECT_EQ(r.min, 0.0);
  EXPECT_EQ(r.max, 0.0);
  TensorStatistics zeros;
  std::vector<float> z(10, 0.0f);
  zeros.observe(z.data(), 10);
  r = chooseRange(zeros, CalibrationMethod::MSE);
  EXPECT_EQ(r.max, 0.0);
}

} // namespace
