//===- FloatMath.h - Transcendentals as fixed IEEE operation sequences -*- C++ -*-===//
//
// Float ops that stay float inside an int8 program (softmax, GELU, sigmoid
// gates, layer norms) feed a requantization, where one ulp can flip an int8
// step. libm and libdevice differ in the last bits (libdevice's expf even
// goes through ex2.approx), so neither the CPU reference nor the GPU kernels
// take exp, log, tanh or erf from their platform. Each function here is a
// fixed sequence of binary32 operations that IEEE 754 rounds exactly once
// (add, sub, mul, div, fma, sqrt, round-to-even), exact integer and bit
// manipulation, comparisons and selects, written once over a backend `A`:
//
//   - `ScalarOps` below runs it on C++ floats (the reference executor);
//   - the GPU lowering's backend emits the same operations as arith, math
//     and LLVM ops (lib/Conversion/QNNToLinalg), which NVPTX turns into
//     add.rn, mul.rn, div.rn, fma.rn, sqrt.rn and cvt.rni.
//
// Same operations in the same order give the same bits on both sides, as
// long as neither contracts a multiply and an add nor flushes subnormals
// (docs/quantization.md states the contract and how it is tested). Accuracy,
// measured over every 257th binary32 bit pattern by unittests/Quant/FloatMathTest.cpp:
// exp and log within 1 ulp, tanh within 1.5, erf and sigmoid within 2.5.
//
// A backend provides the types F (binary32), I (int32) and B (bool) and:
//   F c(float)      I ci(int32_t)
//   F add(F,F) sub(F,F) mul(F,F) div(F,F) fma(F,F,F) sqrt(F) roundEven(F)
//   B lt(F,F) gt(F,F) eq(F,F) isNaN(F)
//   F select(B,F,F)  I selectI(B,I,I)
//   I toI(F) (truncates; only called on integral values within int32)
//   F toF(I)        I bits(F)       F fromBits(I)
//   I addI(I,I) subI(I,I) andI(I,I) orI(I,I) shl(I,int) ashr(I,int)
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_QUANT_FLOATMATH_H
#define QOPT_QUANT_FLOATMATH_H

#include <cmath>
#include <cstdint>
#include <cstring>

namespace qopt::fmath {

/// The reference's backend: plain binary32 arithmetic, one rounding per call.
/// Each operation is its own statement, so no compiler may contract them.
struct ScalarOps {
  using F = float;
  using I = int32_t;
  using B = bool;
  F c(float v) { return v; }
  I ci(int32_t v) { return v; }
  F add(F a, F b) { return a + b; }
  F sub(F a, F b) { return a - b; }
  F mul(F a, F b) { return a * b; }
  F div(F a, F b) { return a / b; }
  F fma(F a, F b, F d) { return std::fma(a, b, d); }
  F sqrt(F a) { return std::sqrt(a); }
  // nearbyint rounds half to even in the default rounding mode, which the
  // reference never changes.
  F roundEven(F a) { return std::nearbyint(a); }
  B lt(F a, F b) { return a < b; }
  B gt(F a, F b) { return a > b; }
  B eq(F a, F b) { return a == b; }
  B isNaN(F a) { return a != a; }
  F select(B p, F a, F b) { return p ? a : b; }
  I selectI(B p, I a, I b) { return p ? a : b; }
  I toI(F a) { return (int32_t)a; }
  F toF(I a) { return (float)a; }
  I bits(F a) {
    int32_t r;
    std::memcpy(&r, &a, 4);
    return r;
  }
  F fromBits(I a) {
    float r;
    std::memcpy(&r, &a, 4);
    return r;
  }
  I addI(I a, I b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
  I subI(I a, I b) { return (int32_t)((uint32_t)a - (uint32_t)b); }
  I andI(I a, I b) { return a & b; }
  I orI(I a, I b) { return a | b; }
  I shl(I a, int s) { return (int32_t)((uint32_t)a << s); }
  I ashr(I a, int s) { return a >> s; }

  /// fn(ops, x) for one of the functions below, e.g. run(exp<ScalarOps>, x).
  static float run(float (*fn)(ScalarOps &, float), float x) {
    ScalarOps o;
    return fn(o, x);
  }
};

namespace detail {

/// p(x) = k[0] + x * (k[1] + x * (... + x * k[n-1])), one fma per step.
template <class A, size_t N>
typename A::F horner(A &a, typename A::F x, const double (&k)[N]) {
  typename A::F p = a.c((float)k[N - 1]);
  for (size_t i = N - 1; i-- > 0;)
    p = a.fma(p, x, a.c((float)k[i]));
  return p;
}

/// 2^k as a normal binary32, for k in [-126, 127].
template <class A> typename A::F pow2(A &a, typename A::I k) {
  return a.fromBits(a.shl(a.addI(k, a.ci(127)), 23));
}

} // namespace detail

/// e^x. x = n ln2 + r with n = round(x / ln2) and |r| <= ln2 / 2 (two fmas,
/// Cody and Waite's split of ln2), e^r by its Taylor polynomial of degree 7
/// (truncation below 6e-9 relative), then scaled by 2^n in two exact steps
/// so that results down in the subnormals round once.
template <class A> typename A::F exp(A &a, typename A::F x) {
  using F = typename A::F;
  // Beyond these e^x is inf or rounds to 0, and n stays within int32.
  F xc = a.select(a.gt(x, a.c(89.0f)), a.c(89.0f), x);
  xc = a.select(a.lt(xc, a.c(-104.0f)), a.c(-104.0f), xc);
  auto nan = a.isNaN(x);
  xc = a.select(nan, a.c(0.0f), xc);
  constexpr float kLn2Hi = 0.693147182464599609375f;          // binary32 nearest ln 2
  constexpr float kLn2Lo = -1.904654323148236e-09f;           // ln 2 - kLn2Hi
  F n = a.roundEven(a.mul(xc, a.c(1.44269502162933349609375f))); // log2(e)
  F r = a.fma(n, a.c(-kLn2Hi), xc);
  r = a.fma(n, a.c(-kLn2Lo), r);
  static constexpr double kTaylor[] = {1.0,         1.0,          1.0 / 2,    1.0 / 6,
                                       1.0 / 24,    1.0 / 120,    1.0 / 720,  1.0 / 5040};
  F p = detail::horner(a, r, kTaylor);
  // n is in [-150, 129]: 2^n = 2^k1 2^k2 with both factors normal.
  auto ni = a.toI(n);
  auto k1 = a.ashr(ni, 1);
  auto k2 = a.subI(ni, k1);
  F y = a.mul(a.mul(p, detail::pow2(a, k1)), detail::pow2(a, k2));
  return a.select(nan, x, y);
}

/// ln x. x = 2^e m with m in (sqrt(2)/2, sqrt(2)], f = m - 1 (exact), and
/// log1p(f) = f - (f^2/2 - s (f^2/2 + R(s^2))) with s = f / (2 + f) and R
/// the series of 2 atanh(s) - 2s (fdlibm's arrangement, which keeps the
/// large terms exact), then e ln2 added in two fmas.
template <class A> typename A::F log(A &a, typename A::F x) {
  using F = typename A::F;
  auto tiny = a.lt(x, a.c(1.17549435e-38f)); // subnormal (or not positive)
  F xs = a.select(tiny, a.mul(x, a.c(8388608.0f)), x); // * 2^23, exact
  auto bitsX = a.bits(xs);
  auto e = a.subI(a.ashr(bitsX, 23), a.ci(127));
  e = a.selectI(tiny, a.subI(e, a.ci(23)), e);
  F m = a.fromBits(a.orI(a.andI(bitsX, a.ci(0x007fffff)), a.ci(0x3f800000)));
  auto big = a.gt(m, a.c(1.41421353816986083984375f)); // binary32 below sqrt(2)
  m = a.select(big, a.mul(m, a.c(0.5f)), m);
  e = a.selectI(big, a.addI(e, a.ci(1)), e);
  F f = a.sub(m, a.c(1.0f));
  F s = a.div(f, a.add(a.c(2.0f), f));
  F z = a.mul(s, s);
  static constexpr double kSeries[] = {2.0 / 3, 2.0 / 5, 2.0 / 7, 2.0 / 9, 2.0 / 11};
  F rz = a.mul(z, detail::horner(a, z, kSeries));
  F hfsq = a.mul(a.mul(a.c(0.5f), f), f);
  F log1p = a.sub(f, a.sub(hfsq, a.mul(s, a.add(hfsq, rz))));
  F ef = a.toF(e);
  constexpr float kLn2Hi = 0.693147182464599609375f;
  constexpr float kLn2Lo = -1.904654323148236e-09f;
  F y = a.fma(ef, a.c(kLn2Hi), a.fma(ef, a.c(kLn2Lo), log1p));
  // log(0) = -inf, log(x < 0) = NaN, log(inf) = inf, NaN stays NaN.
  y = a.select(a.gt(x, a.c(3.40282347e+38f)), x, y);
  y = a.select(a.lt(x, a.c(0.0f)), a.c(NAN), y);
  y = a.select(a.eq(x, a.c(0.0f)), a.c(-INFINITY), y);
  return a.select(a.isNaN(x), x, y);
}

/// tanh x: below |x| = 0.55 its odd Taylor series to x^21 (the terms
/// shrink by (2|x|/pi)^2 and stop below 1e-9), above 1 - 2 / (e^2|x| + 1),
/// whose cancellation costs little once tanh > 0.5.
template <class A> typename A::F tanh(A &a, typename A::F x) {
  using F = typename A::F;
  F z = a.mul(x, x);
  // tanh's Maclaurin coefficients 2^2n (2^2n - 1) B_2n / (2n)!.
  static constexpr double kSeries[] = {-1.0 / 3,
                                       2.0 / 15,
                                       -17.0 / 315,
                                       62.0 / 2835,
                                       -1382.0 / 155925,
                                       21844.0 / 6081075,
                                       -929569.0 / 638512875,
                                       6404582.0 / 10854718875,
                                       -443861162.0 / 1856156927625,
                                       18888466084.0 / 194896477400625};
  F small = a.fma(a.mul(x, z), detail::horner(a, z, kSeries), x);
  small = a.select(a.eq(x, a.c(0.0f)), x, small); // tanh(-0) = -0
  auto neg = a.lt(x, a.c(0.0f));
  F ax = a.select(neg, a.sub(a.c(0.0f), x), x);
  F e = exp(a, a.add(ax, ax));
  F large = a.sub(a.c(1.0f), a.div(a.c(2.0f), a.add(e, a.c(1.0f))));
  large = a.select(neg, a.sub(a.c(0.0f), large), large);
  return a.select(a.lt(z, a.c(0.3025f)), small, a.select(a.isNaN(x), x, large));
}

/// erf x: below |x| = 1 its Taylor series x (2/sqrt(pi)) sum (-x^2)^k /
/// (k! (2k+1)) to k = 11; above, 1 - erfc with Numerical Recipes' erfc
/// (t e^(-x^2 + P(t)), t = 1 / (1 + |x|/2), relative error below 1.2e-7,
/// about a tenth of an ulp of erf there).
template <class A> typename A::F erf(A &a, typename A::F x) {
  using F = typename A::F;
  constexpr double k = 1.1283791670955125738961589; // 2 / sqrt(pi)
  static constexpr double kSeries[] = {-k / 3,
                                       k / 10,
                                       -k / 42,
                                       k / 216,
                                       -k / 1320,
                                       k / 9360,
                                       -k / 75600,
                                       k / 685440,
                                       -k / 6894720,
                                       k / 76204800,
                                       -k / 918086400};
  F z = a.mul(x, x);
  // The leading term apart, so its rounding is the only large one.
  F small = a.fma(x, a.c((float)k), a.mul(a.mul(x, z), detail::horner(a, z, kSeries)));
  small = a.select(a.eq(x, a.c(0.0f)), x, small); // erf(-0) = -0
  auto neg = a.lt(x, a.c(0.0f));
  F ax = a.select(neg, a.sub(a.c(0.0f), x), x);
  F t = a.div(a.c(1.0f), a.fma(a.c(0.5f), ax, a.c(1.0f)));
  static constexpr double kErfc[] = {-1.26551223, 1.00002368, 0.37409196, 0.09678418,
                                     -0.18628806, 0.27886807, -1.13520398, 1.48851587,
                                     -0.82215223, 0.17087277};
  F erfc = a.mul(t, exp(a, a.sub(detail::horner(a, t, kErfc), z)));
  F large = a.sub(a.c(1.0f), erfc);
  large = a.select(neg, a.sub(a.c(0.0f), large), large);
  return a.select(a.lt(z, a.c(1.0f)), small, a.select(a.isNaN(x), x, large));
}

/// The logistic function, 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x)
/// below, so that neither side loses its relative accuracy.
template <class A> typename A::F sigmoid(A &a, typename A::F x) {
  using F = typename A::F;
  auto neg = a.lt(x, a.c(0.0f));
  F e = exp(a, a.select(neg, x, a.sub(a.c(0.0f), x)));
  F d = a.add(a.c(1.0f), e);
  return a.select(neg, a.div(e, d), a.div(a.c(1.0f), d));
}

/// GELU, 0.5 x (1 + erf(x / sqrt 2)).
template <class A> typename A::F gelu(A &a, typename A::F x) {
  auto t = erf(a, a.mul(x, a.c(0.707106769084930419921875f))); // binary32 1/sqrt(2)
  return a.mul(a.mul(a.c(0.5f), x), a.add(a.c(1.0f), t));
}

/// GELU's tanh form, 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
template <class A> typename A::F geluTanh(A &a, typename A::F x) {
  auto cube = a.mul(a.mul(x, x), x);
  auto inner = a.mul(a.c(0.7978845834732055664f), a.add(x, a.mul(a.c(0.044715f), cube)));
  return a.mul(a.mul(a.c(0.5f), x), a.add(a.c(1.0f), tanh(a, inner)));
}

/// x^y for the exponents that are products (2 and 3: squares in variance
/// and GELU decompositions), by multiplication; `general` (the platform's
/// pow, outside the contract) for the rest.
template <class A, class G> typename A::F pow(A &a, typename A::F x, typename A::F y, G general) {
  auto sq = a.mul(x, x);
  auto cube = a.mul(sq, x);
  return a.select(a.eq(y, a.c(2.0f)), sq, a.select(a.eq(y, a.c(3.0f)), cube, general(x, y)));
}

} // namespace qopt::fmath

#endif // QOPT_QUANT_FLOATMATH_H
