//===- ArithmeticTest.cpp - Quantization arithmetic properties -*- C++ -*-===//
//
// The requantization rule is checked three ways: against the written rule
// (round half up of the exact rational v * m / 2^s, computed independently in
// 128-bit integers), against a float64 model of v * scale within the proven
// error bound, and on hand-picked boundary cases.
//
//===----------------------------------------------------------------------===//

#include "qopt/Quant/Arithmetic.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

using namespace qopt::quant;

namespace {

FixedPointScale fps(double scale) {
  auto s = computeFixedPointScale(scale);
  EXPECT_TRUE(static_cast<bool>(s)) << llvm::toString(s.takeError());
  return s ? *s : FixedPointScale{};
}

/// Round half up of v * m / 2^s, by floor((2 v m + 2^s) / 2^(s+1)) with a
/// floor division that is correct for negative numerators.
int64_t writtenRule(int32_t v, FixedPointScale s) {
  __int128 num = (__int128)2 * v * s.multiplier + ((__int128)1 << s.shift);
  __int128 den = (__int128)1 << (s.shift + 1);
  __int128 q = num / den;
  if ((num % den != 0) && (num < 0))
    --q;
  return (int64_t)q;
}

TEST(QuantizeTest, RoundsHalfToEvenAndSaturates) {
  EXPECT_EQ(quantize(0.5f, 1.0f, 0, -128, 127), 0);
  EXPECT_EQ(quantize(1.5f, 1.0f, 0, -128, 127), 2);
  EXPECT_EQ(quantize(2.5f, 1.0f, 0, -128, 127), 2);
  EXPECT_EQ(quantize(-0.5f, 1.0f, 0, -128, 127), 0);
  EXPECT_EQ(quantize(-1.5f, 1.0f, 0, -128, 127), -2);
  EXPECT_EQ(quantize(1000.0f, 1.0f, 0, -128, 127), 127);
  EXPECT_EQ(quantize(-1000.0f, 1.0f, 0, -128, 127), -128);
  EXPECT_EQ(quantize(0.26f, 0.1f, 10, 0, 255), 13);
  EXPECT_EQ(quantize(std::numeric_limits<float>::quiet_NaN(), 0.1f, 10, 0, 255), 10);
  EXPECT_EQ(quantize(std::numeric_limits<float>::infinity(), 0.1f, 0, -127, 127), 127);
  // A NaN quotient (0/0, inf/inf) maps to the zero point, not to UB.
  EXPECT_EQ(quantize(0.0f, 0.0f, 5, 0, 255), 5);
  EXPECT_EQ(quantize(std::numeric_limits<float>::infinity(),
                     std::numeric_limits<float>::infinity(), 5, 0, 255),
            5);
}

TEST(FixedPointScaleTest, MantissaRangeAndErrors) {
  for (double scale : {1.0, 0.5, 0.75, 1e-3, 3.14159, 1e-9, 1000.0}) {
    FixedPointScale s = fps(scale);
    EXPECT_GE(s.multiplier, 1 << 30) << scale;
    EXPECT_GE(s.shift, 2);
    EXPECT_LE(s.shift, 62);
    double back = std::ldexp((double)s.multiplier, -s.shift);
    EXPECT_LE(std::abs(back - scale), std::ldexp(1.0, -s.shift - 1)) << scale;
  }
  EXPECT_FALSE(static_cast<bool>(computeFixedPointScale(0.0)));
  EXPECT_FALSE(static_cast<bool>(computeFixedPointScale(-1.0)));
  EXPECT_FALSE(static_cast<bool>(computeFixedPointScale(std::nan(""))));
  EXPECT_FALSE(static_cast<bool>(computeFixedPointScale(std::ldexp(1.0, 30))));
  EXPECT_FALSE(static_cast<bool>(computeFixedPointScale(std::ldexp(1.0, 29)))); // shift 1
  EXPECT_TRUE(static_cast<bool>(computeFixedPointScale(std::ldexp(1.0, 28))));  // shift 2
  // A default-constructed scale is valid and rescales to 0.
  EXPECT_EQ(applyScale(12345, FixedPointScale{}), 0);
  // Below 2^-32 every int32 rescales to 0.
  FixedPointScale tiny = fps(1e-12);
  EXPECT_EQ(tiny.multiplier, 0);
  EXPECT_EQ(applyScale(std::numeric_limits<int32_t>::max(), tiny), 0);
  EXPECT_EQ(applyScale(std::numeric_limits<int32_t>::min(), tiny), 0);
}

TEST(ApplyScaleTest, HalfwayCasesRoundUp) {
  FixedPointScale half = fps(0.5);
  EXPECT_EQ(applyScale(1, half), 1);   // 0.5 -> 1
  EXPECT_EQ(applyScale(3, half), 2);   // 1.5 -> 2
  EXPECT_EQ(applyScale(-1, half), 0);  // -0.5 -> 0 (toward +infinity)
  EXPECT_EQ(applyScale(-3, half), -1); // -1.5 -> -1
  EXPECT_EQ(applyScale(std::numeric_limits<int32_t>::min(), fps(1.0)),
            std::numeric_limits<int32_t>::min());
  // Large scales saturate instead of wrapping.
  EXPECT_EQ(applyScale(std::numeric_limits<int32_t>::max(), fps(1000.0)),
            std::numeric_limits<int32_t>::max());
  EXPECT_EQ(applyScale(std::numeric_limits<int32_t>::min(), fps(1000.0)),
            std::numeric_limits<int32_t>::min());
}

TEST(ApplyScaleTest, MatchesWrittenRuleOnMillionsOfCases) {
  std::mt19937_64 rng(1234);
  std::uniform_int_distribution<int32_t> value(std::numeric_limits<int32_t>::min(),
                                               std::numeric_limits<int32_t>::max());
  std::uniform_real_distribution<double> logScale(-30.0, 8.0);
  int64_t checked = 0;
  for (int i = 0; i < 2000000; ++i) {
    FixedPointScale s = fps(std::exp2(logScale(rng)));
    int32_t v = value(rng);
    int64_t want = std::clamp<int64_t>(writtenRule(v, s), std::numeric_limits<int32_t>::min(),
                                       std::numeric_limits<int32_t>::max());
    ASSERT_EQ(applyScale(v, s), want) << "v=" << v << " m=" << s.multiplier << " s=" << s.shift;
    ++checked;
  }
  EXPECT_EQ(checked, 2000000);
}

TEST(ApplyScaleTest, StaysWithinFloat64ModelErrorBound) {
  // |result - v * scale| <= 1/2 + |v| 2^-(shift+1): rounding plus the
  // multiplier's own quantization error. Accumulators of real layers are far
  // below 2^31, so the test draws them from a realistic range too.
  std::mt19937_64 rng(99);
  std::uniform_int_distribution<int32_t> wide(-(1 << 30), 1 << 30);
  std::uniform_int_distribution<int32_t> narrow(-(1 << 20), 1 << 20);
  std::uniform_real_distribution<double> logScale(-24.0, 0.0);
  int64_t exactMatches = 0, cases = 2000000;
  for (int64_t i = 0; i < cases; ++i) {
    double scale = std::exp2(logScale(rng));
    FixedPointScale s = fps(scale);
    int32_t v = (i % 2) ? wide(rng) : narrow(rng);
    double model = (double)v * scale;
    int32_t got = applyScale(v, s);
    double bound = 0.5 + std::abs((double)v) * std::ldexp(1.0, -s.shift - 1) + 1e-9;
    ASSERT_LE(std::abs((double)got - model), bound)
        << "v=" << v << " scale=" << scale << " got=" << got << " model=" << model;
    exactMatches += got == (int32_t)std::floor(model + 0.5);
  }
  // Disagreement with round-half-up of the float64 product only happens
  // within the bound of a .5 boundary: rare.
  EXPECT_GT(exactMatches, cases * 99 / 100); // measured: 99.74%
}

TEST(RequantizeTest, AddsZeroPointAndClamps) {
  FixedPointScale s = fps(0.25);
  EXPECT_EQ(requantize(100, s, 3, -128, 127), 28);  // 25 + 3
  EXPECT_EQ(requantize(1000, s, 3, -128, 127), 127); // saturates
  EXPECT_EQ(requantize(-1000, s, 3, -128, 127), -128);
  EXPECT_EQ(requantize(-100, s, -5, -5, 127), -5); // a fused relu clamps at the zero point
  EXPECT_EQ(requantize(100, s, 0, 0, 24), 24);     // relu6-style upper clamp
}

} // namespace
