//===- FloatMathTest.cpp - Accuracy and edge cases of FloatMath.h ---------===//
//
// The functions are the program's definition of exp, log, tanh, erf and
// sigmoid on both the reference and the GPU, so their accuracy is measured
// here against libm in double, over every 257th binary32 bit pattern (16.7
// million inputs, all signs and exponents) plus the special values.
//
//===----------------------------------------------------------------------===//

#include "qopt/Quant/FloatMath.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

using namespace qopt;

namespace {

using Ops = fmath::ScalarOps;
using Fn = float (*)(Ops &, float);

float fromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

/// |got - want| in units of binary32's spacing at want (the spacing of the
/// subnormals below 2^-126).
double ulps(float got, double want) {
  if (std::isnan(want))
    return std::isnan(got) ? 0 : INFINITY;
  float rounded = (float)want;
  if (std::isinf(rounded))
    return got == rounded ? 0 : INFINITY;
  if (std::isnan(got) || std::isinf(got))
    return INFINITY;
  int e = want == 0 ? -126 : std::max(std::ilogb(want), -126);
  return std::fabs((double)got - want) / std::ldexp(1.0, e - 23);
}

struct Worst {
  double ulps = 0;
  float at = 0;
};

Worst sweep(Fn fn, double (*ref)(double)) {
  Worst w;
  Ops ops;
  for (uint64_t b = 0; b <= 0xffffffffull; b += 257) {
    float x = fromBits((uint32_t)b);
    double e = ulps(fn(ops, x), ref((double)x));
    if (e > w.ulps) {
      w.ulps = e;
      w.at = x;
    }
  }
  return w;
}

double sigmoidRef(double x) { return 1 / (1 + std::exp(-x)); }
double expRef(double x) { return std::exp(x); }
double logRef(double x) { return std::log(x); }
double tanhRef(double x) { return std::tanh(x); }
double erfRef(double x) { return std::erf(x); }

// The bounds are the measured maxima (2026-11-27) rounded up: 0.82, 0.83,
// 1.39, 2.15 and 2.08 ulp.
TEST(FloatMathTest, ExpWithinOneUlp) {
  Worst w = sweep(fmath::exp<Ops>, expRef);
  EXPECT_LE(w.ulps, 1.0) << "at " << w.at;
}
TEST(FloatMathTest, LogWithinOneUlp) {
  Worst w = sweep(fmath::log<Ops>, logRef);
  EXPECT_LE(w.ulps, 1.0) << "at " << w.at;
}
TEST(FloatMathTest, TanhWithinOneAndAHalfUlps) {
  Worst w = sweep(fmath::tanh<Ops>, tanhRef);
  EXPECT_LE(w.ulps, 1.5) << "at " << w.at;
}
TEST(FloatMathTest, ErfWithinTwoAndAHalfUlps) {
  Worst w = sweep(fmath::erf<Ops>, erfRef);
  EXPECT_LE(w.ulps, 2.5) << "at " << w.at;
}
TEST(FloatMathTest, SigmoidWithinTwoAndAHalfUlps) {
  Worst w = sweep(fmath::sigmoid<Ops>, sigmoidRef);
  EXPECT_LE(w.ulps, 2.5) << "at " << w.at;
}

float run(Fn fn, float x) { return Ops::run(fn, x); }

TEST(FloatMathTest, ExpEdges) {
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(run(fmath::exp<Ops>, 0.0f), 1.0f);
  EXPECT_EQ(run(fmath::exp<Ops>, -0.0f), 1.0f);
  EXPECT_EQ(run(fmath::exp<Ops>, inf), inf);
  EXPECT_EQ(run(fmath::exp<Ops>, -inf), 0.0f);
  EXPECT_TRUE(std::isnan(run(fmath::exp<Ops>, NAN)));
  // The largest finite result and the first overflow.
  EXPECT_EQ(run(fmath::exp<Ops>, 88.7228317f), std::exp(88.7228317f));
  EXPECT_EQ(run(fmath::exp<Ops>, 88.7228394f), inf);
  // Subnormal results round once: e^-103 is about 1.4 * 2^-149.
  EXPECT_EQ(run(fmath::exp<Ops>, -103.0f), std::exp(-103.0f));
  EXPECT_EQ(run(fmath::exp<Ops>, -87.5f), std::exp(-87.5f));
  EXPECT_EQ(run(fmath::exp<Ops>, -104.0f), 0.0f);
}

TEST(FloatMathTest, LogEdges) {
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(run(fmath::log<Ops>, 1.0f), 0.0f);
  EXPECT_EQ(run(fmath::log<Ops>, 0.0f), -inf);
  EXPECT_EQ(run(fmath::log<Ops>, -0.0f), -inf);
  EXPECT_EQ(run(fmath::log<Ops>, inf), inf);
  EXPECT_TRUE(std::isnan(run(fmath::log<Ops>, -1.0f)));
  EXPECT_TRUE(std::isnan(run(fmath::log<Ops>, -inf)));
  EXPECT_TRUE(std::isnan(run(fmath::log<Ops>, NAN)));
  // The smallest subnormal: -149 ln 2.
  EXPECT_NEAR(run(fmath::log<Ops>, fromBits(1)), -103.27893f, 1e-5f);
  EXPECT_EQ(run(fmath::log<Ops>, std::numeric_limits<float>::max()),
            std::log(std::numeric_limits<float>::max()));
}

TEST(FloatMathTest, OddFunctionsKeepSignsAndSaturate) {
  const float inf = std::numeric_limits<float>::infinity();
  for (Fn fn : {Fn(fmath::tanh<Ops>), Fn(fmath::erf<Ops>)}) {
    EXPECT_TRUE(std::signbit(run(fn, -0.0f)));
    EXPECT_EQ(run(fn, 0.0f), 0.0f);
    EXPECT_EQ(run(fn, inf), 1.0f);
    EXPECT_EQ(run(fn, -inf), -1.0f);
    EXPECT_EQ(run(fn, 30.0f), 1.0f);
    EXPECT_TRUE(std::isnan(run(fn, NAN)));
    for (float x : {1e-30f, 0.3f, 0.549f, 0.551f, 0.99f, 1.01f, 3.0f})
      EXPECT_EQ(run(fn, -x), -run(fn, x)) << x;
  }
  EXPECT_EQ(run(fmath::sigmoid<Ops>, 0.0f), 0.5f);
  EXPECT_EQ(run(fmath::sigmoid<Ops>, inf), 1.0f);
  EXPECT_EQ(run(fmath::sigmoid<Ops>, -inf), 0.0f);
  EXPECT_GT(run(fmath::sigmoid<Ops>, -90.0f), 0.0f); // e^-90, not 1 / (1 + inf)
}

TEST(FloatMathTest, PowMultipliesSquaresAndCubes) {
  Ops o;
  auto general = [](float b, float e) { return std::pow(b, e); };
  // 1.7^3 correctly rounded is one ulp away from (1.7 * 1.7) * 1.7: the
  // cube is the product, on every engine.
  float x = 1.7f;
  ASSERT_NE((float)std::pow((double)x, 3.0), (x * x) * x);
  EXPECT_EQ(fmath::pow(o, x, 2.0f, general), x * x);
  EXPECT_EQ(fmath::pow(o, x, 3.0f, general), (x * x) * x);
  EXPECT_EQ(fmath::pow(o, 2.0f, 0.5f, general), std::pow(2.0f, 0.5f));
  EXPECT_TRUE(std::isnan(fmath::pow(o, x, NAN, general)));
}

} // namespace
