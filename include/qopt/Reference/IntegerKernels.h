//===- IntegerKernels.h - Exact integer kernels of quantized ops -*- C++ -*-===//
//
// The CPU reference of every integer qnn op, computed exactly as
// docs/quantization.md specifies: storage integers in, int32 accumulation,
// fixed-point requantization (qopt/Quant/Arithmetic.h) out. These functions
// are the oracle that GPU kernels must match bit for bit; like the float
// kernels they carry no MLIR dependency and report bad input as errors.
//
// Quantized tensors are plain Tensors of their storage dtype (I8, U8, I32);
// the real-valued meaning travels beside them in QuantParams.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_REFERENCE_INTEGERKERNELS_H
#define QOPT_REFERENCE_INTEGERKERNELS_H

#include "qopt/Reference/Kernels.h"
#include "qopt/Reference/Tensor.h"

#include <array>

namespace qopt::ref {

/// Scale(s) and zero point(s) of a quantized tensor, per tensor or along one
/// axis, with the storage range it saturates to.
struct QuantParams {
  llvm::SmallVector<double, 1> scales;
  llvm::SmallVector<int32_t, 1> zeroPoints;
  int64_t axis = -1; // the quantized dimension, -1 for per tensor
  int32_t qmin = -128, qmax = 127;

  bool perAxis() const { return axis >= 0; }
  double scale(int64_t channel = 0) const { return scales[perAxis() ? channel : 0]; }
  int32_t zeroPoint(int64_t channel = 0) const {
    return zeroPoints[perAxis() ? channel : 0];
  }
};

/// Where an integer op's result goes: its parameters (per tensor), storage
/// dtype, and the clamp [lo, hi], which is the storage range narrowed by a
/// fused relu/clip.
struct IntOutput {
  QuantParams params;
  DType dtype = DType::I8;
  int32_t lo = -128, hi = 127;
};

/// ONNX QuantizeLinear: round half to even, add the zero point, saturate.
/// `x` is F32 (F16/BF16/F64 are converted first); per-axis parameters need
/// one scale per index of `p.axis`.
llvm::Expected<Tensor> quantizeTensor(const Tensor &x, const QuantParams &p, DType storage);
/// ONNX DequantizeLinear: (q - z) * s in f32.
llvm::Expected<Tensor> dequantizeTensor(const Tensor &q, const QuantParams &p);
/// q (parameters `in`) to the output's parameters through int32:
/// requantize(q - z_in, s_in / s_out).
llvm::Expected<Tensor> requantizeTensor(const Tensor &q, const QuantParams &in,
                                        const IntOutput &out);

/// Integer convolution over 1 or 2 spatial dims (NCHW, weights OIHW):
/// acc = sum (x - z_x)(w - z_w[m]) + bias[m] exactly in int32 (padding is the
/// real 0, i.e. contributes nothing), requantized per output channel with
/// s_x * s_w[m] / s_y. Weights may be per tensor or per axis 0; the bias is
/// I32 with scale s_x * s_w[m]. Reductions whose worst case overflows int32
/// are errors.
llvm::Expected<Tensor> intConv(const Tensor &x, const QuantParams &xp, const Tensor &w,
                               const QuantParams &wp, const Tensor *bias, const ConvParams &cp,
                               llvm::ArrayRef<int64_t> outShape, const IntOutput &out);
/// Integer transposed convolution (weights C x M/group x kH x kW, per tensor or
/// per axis 1 over output channels), same accumulation and requantization.
llvm::Expected<Tensor> intConvTranspose(const Tensor &x, const QuantParams &xp, const Tensor &w,
                                        const QuantParams &wp, const Tensor *bias,
                                        const ConvParams &cp, llvm::ArrayRef<int64_t> outShape,
                                        const IntOutput &out);
/// Integer NumPy matmul with batch broadcasting: `a` per tensor, `b` per tensor
/// or per axis rank-1 (its columns); requantized per column.
llvm::Expected<Tensor> intMatMul(const Tensor &a, const QuantParams &ap, const Tensor &b,
                                 const QuantParams &bp, llvm::ArrayRef<int64_t> outShape,
                                 const IntOutput &out);
/// Integer Gemm (alpha = beta = 1): op(A) op(B) + C with C an I32 vector of N
/// (scale s_a * s_b[n]); `b` per tensor or per axis over N (0 when transB).
llvm::Expected<Tensor> intGemm(const Tensor &a, const QuantParams &ap, const Tensor &b,
                               const QuantParams &bp, const Tensor *c, bool transA, bool transB,
                               const IntOutput &out);

/// Integer add with broadcasting: each side is shifted left by 20 bits and
/// rescaled by s_i / (2 max(s_a, s_b)) into a common int32 domain, summed, and
/// requantized with 2 max(s_a, s_b) / (2^20 s_y).
llvm::Expected<Tensor> intAdd(const Tensor &a, const QuantParams &ap, const Tensor &b,
                              const QuantParams &bp, llvm::ArrayRef<int64_t> outShape,
                              const IntOutput &out);
/// Integer multiply with broadcasting: (a - z_a)(b - z_b) requantized with
/// s_a s_b / s_y.
llvm::Expected<Tensor> intMul(const Tensor &a, const QuantParams &ap, const Tensor &b,
                              const QuantParams &bp, llvm::ArrayRef<int64_t> outShape,
                              const IntOutput &out);

/// Integer average pooling (2-D or 1-D): the window sum of (x - z_x)
/// requantized with s_x / (s_y * count), count per output position as in
/// AveragePool. A window with no input taps (possible only inside the padding
/// when count_include_pad is off) averages to the real 0, i.e. z_y, where the
/// float kernel gives NaN, which an integer cannot hold.
llvm::Expected<Tensor> intAvgPool(const Tensor &x, const QuantParams &xp, const PoolParams &p,
                                  llvm::ArrayRef<int64_t> outShape, const IntOutput &out);
llvm::Expected<Tensor> intGlobalAvgPool(const Tensor &x, const QuantParams &xp,
                                        const IntOutput &out);

/// A unary op on 8-bit storage as a 256-entry table indexed by q - qmin of
/// the input's storage type: table[i] = quantize(f(dequantize(i + qmin))).
using UnaryTable = std::array<int32_t, 256>;
/// Builds the table of a float unary op (evaluated by the float reference
/// kernel in f32) from input and output parameters.
llvm::Expected<UnaryTable> buildUnaryTable(UnaryKind kind, const UnaryParams &params,
                                           const QuantParams &in, DType inDType,
                                           const IntOutput &out);
llvm::Expected<Tensor> applyUnaryTable(const Tensor &x, const UnaryTable &table,
                                       const IntOutput &out);

/// The storage range of an 8-bit or 32-bit integer dtype.
std::pair<int64_t, int64_t> storageRange(DType t);

} // namespace qopt::ref

#endif // QOPT_REFERENCE_INTEGERKERNELS_H
