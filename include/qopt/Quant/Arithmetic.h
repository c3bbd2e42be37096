//===- Arithmetic.h - The bit-exact quantization arithmetic ---*- C++ -*-===//
//
// The integer arithmetic that docs/quantization.md specifies and that the CPU
// reference and every GPU kernel must reproduce bit for bit. Header-light and
// MLIR-free so kernels, passes and tests share one definition.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_QUANT_ARITHMETIC_H
#define QOPT_QUANT_ARITHMETIC_H

#include "llvm/Support/Error.h"

#include <cstdint>

namespace qopt::quant {

/// Quantizes a real value: round half to even, add the zero point, saturate
/// to [qmin, qmax] (ONNX QuantizeLinear). A NaN quotient (NaN input, or a
/// scale that is not positive and finite) maps to the zero point.
int32_t quantize(float x, float scale, int32_t zeroPoint, int32_t qmin, int32_t qmax);

/// A real multiplier in fixed point: value * multiplier * 2^-shift.
struct FixedPointScale {
  int32_t multiplier = 0; // in [2^30, 2^31) for non-zero scales
  int32_t shift = 62;     // in [2, 62]; the default scales everything to 0
};

/// The fixed-point form of a positive real `scale` (typically
/// s_in * s_w / s_out), with a 31-bit mantissa: |multiplier * 2^-shift -
/// scale| <= 2^-(shift+1). The shift stays in [2, 62] as tosa.apply_scale
/// requires, so scales that round to 2^29 or more, and scales that are not
/// positive and finite, are errors. Scales whose shift would pass 62 (about
/// 2^-32 and below), which round every int32 to 0, are multiplier 0.
llvm::Expected<FixedPointScale> computeFixedPointScale(double scale);

/// Rescales an int32 accumulator: (value * multiplier + 2^(shift-1)) >> shift
/// in 64-bit arithmetic with an arithmetic shift, i.e. rounding half up
/// (toward +infinity), the single-rounding `tosa.apply_scale`. The result
/// saturates to int32.
int32_t applyScale(int32_t value, FixedPointScale s);

/// The full requantization of an int32 accumulator to an output type:
/// applyScale, add the output zero point, clamp to [qmin, qmax] (which also
/// carries a fused relu/relu6 clamp).
int32_t requantize(int32_t acc, FixedPointScale s, int32_t outZeroPoint, int32_t qmin,
                   int32_t qmax);

} // namespace qopt::quant

#endif // QOPT_QUANT_ARITHMETIC_H
