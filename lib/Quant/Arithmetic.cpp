//===- Arithmetic.cpp - The bit-exact quantization arithmetic -*- C++ -*-===//

#include "qopt/Quant/Arithmetic.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace qopt::quant;

int32_t qopt::quant::quantize(float x, float scale, int32_t zeroPoint, int32_t qmin,
                              int32_t qmax) {
  float quotient = x / scale;
  if (std::isnan(quotient))
    return std::clamp(zeroPoint, qmin, qmax);
  // Division, not multiplication by 1/scale, as ONNX QuantizeLinear; rint
  // rounds half to even in the default rounding mode.
  double q = std::nearbyint((double)quotient) + (double)zeroPoint;
  q = std::clamp(q, (double)qmin, (double)qmax);
  return (int32_t)q;
}

llvm::Expected<FixedPointScale> qopt::quant::computeFixedPointScale(double scale) {
  if (!(scale > 0) || !std::isfinite(scale))
    return llvm::createStringError("requantization scale %g must be positive and finite",
                                   scale);
  int exponent = 0;
  double mantissa = std::frexp(scale, &exponent); // scale = mantissa * 2^exponent, [0.5, 1)
  int64_t m = (int64_t)std::llround(mantissa * (double)(int64_t(1) << 31));
  if (m == (int64_t(1) << 31)) { // mantissa rounded up to 1.0
    m >>= 1;
    ++exponent;
  }
  int shift = 31 - exponent;
  if (shift < 2)
    return llvm::createStringError("requantization scale %g is too large (below 2^29 needed)",
                                   scale);
  FixedPointScale s;
  if (shift > 62) {
    // value * scale < 2^31 * 2^-32 = 0.5 for every int32: the result is 0.
    s.multiplier = 0;
    s.shift = 62;
    return s;
  }
  s.multiplier = (int32_t)m;
  s.shift = shift;
  return s;
}

int32_t qopt::quant::applyScale(int32_t value, FixedPointScale s) {
  int64_t round = int64_t(1) << (s.shift - 1);
  // |value * multiplier| < 2^62 and round <= 2^61: no int64 overflow.
  int64_t r = ((int64_t)value * (int64_t)s.multiplier + round) >> s.shift;
  return (int32_t)std::clamp<int64_t>(r, std::numeric_limits<int32_t>::min(),
                                      std::numeric_limits<int32_t>::max());
}

int32_t qopt::quant::requantize(int32_t acc, FixedPointScale s, int32_t outZeroPoint,
                                int32_t qmin, int32_t qmax) {
  int64_t v = (int64_t)applyScale(acc, s) + outZeroPoint;
  return (int32_t)std::clamp<int64_t>(v, qmin, qmax);
}
