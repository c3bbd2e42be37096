//===- Normalization.cpp - BatchNorm, LayerNorm and Softmax ----*- C++ -*-===//
//
// Everything is computed in the tensor's type (f32 for f16), statistics
// summed in the lanes of qopt/Quant/RowReduction.h, in the very operations
// and order of the GPU kernels (lib/Conversion/QNNToLinalg/Elementwise.cpp), with exp and log
// from qopt/Quant/FloatMath.h: the float ops an int8 program keeps are then
// bit-exact on the GPU too (docs/quantization.md).
//
//===----------------------------------------------------------------------===//

#include "qopt/Reference/Kernels.h"
#include "KernelSupport.h"
#include "qopt/Quant/RowReduction.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <functional>
#include <limits>

using namespace qopt::ref;
using namespace qopt::ref::detail;
using llvm::ArrayRef;
using llvm::Expected;
using llvm::SmallVector;
using llvm::StringRef;
namespace rowreduce = qopt::rowreduce;

namespace {

/// Runs `f(Tag<float>)` or `f(Tag<double>)` on a widened float tensor, then
/// rounds the result back to `original`.
template <typename F>
Expected<Tensor> runFloat(const Tensor &x, DType original, F &&f) {
  auto out = Tensor::allocateUninitialized(x.dtype(), x.shape());
  if (!out)
    return out.takeError();
  if (x.dtype() == DType::F64)
    f(Tag<double>{}, *out);
  else
    f(Tag<float>{}, *out);
  if (out->dtype() != original)
    return out->castTo(original);
  return out;
}

llvm::Error checkFloat(StringRef op, const Tensor &x) {
  if (!hasStorage(x))
    return makeError("{0}: input has no storage", op);
  if (!isFloat(x.dtype()))
    return makeError("{0} requires a float tensor, got {1}", op, x.describe());
  return llvm::Error::success();
}

} // namespace

Expected<Tensor> qopt::ref::batchNorm(const Tensor &xIn, const Tensor &scale, const Tensor &bias,
                                      const Tensor &mean, const Tensor &var, float epsilon) {
  if (auto e = checkFloat("BatchNormalization", xIn))
    return std::move(e);
  if (xIn.rank() < 2)
    return makeError("BatchNormalization: input {0} must be N x C x ...", xIn.describe());
  int64_t n = xIn.dim(0), c = xIn.dim(1);
  int64_t inner = n * c ? xIn.numElements() / (n * c) : 0;
  for (const Tensor *t : {&scale, &bias, &mean, &var}) {
    if (!hasStorage(*t) || !isFloat(t->dtype()) || t->rank() != 1 || t->dim(0) != c)
      return makeError("BatchNormalization: parameter {0} must be a 1-D float tensor of size {1}",
                       t->describe(), c);
  }
  // y = (x - mean) / sqrt(var + eps) * scale + bias.
  Tensor x = widen(xIn);
  return runFloat(x, xIn.dtype(), [&](auto tag, Tensor &out) {
    using T = typename decltype(tag)::type;
    const T *xd = x.data<T>();
    T *yd = out.data<T>();
    for (int64_t b0 = 0; b0 < n; ++b0)
      for (int64_t ch = 0; ch < c; ++ch) {
        T m = (T)mean.getAsDouble(ch), s = (T)scale.getAsDouble(ch), b = (T)bias.getAsDouble(ch);
        T d = std::sqrt((T)var.getAsDouble(ch) + (T)epsilon);
        int64_t base = (b0 * c + ch) * inner;
        for (int64_t i = 0; i < inner; ++i) {
          T centered = xd[base + i] - m;
          T normalized = centered / d;
          T scaled = normalized * s;
          yd[base + i] = scaled + b;
        }
      }
  });
}

namespace {

/// Expands a LayerNorm parameter (unidirectionally broadcast to the
/// normalized shape) into `inner` doubles.
Expected<SmallVector<double>> expandParam(const Tensor &p, ArrayRef<int64_t> normShape,
                                          int64_t inner) {
  if (!hasStorage(p) || !isFloat(p.dtype()))
    return makeError("LayerNormalization: parameter {0} must be a float tensor", p.describe());
  if (p.rank() > (int64_t)normShape.size())
    return makeError("LayerNormalization: parameter {0} has a higher rank than the normalized "
                     "dims",
                     p.describe());
  size_t off = normShape.size() - p.rank();
  SmallVector<int64_t, 6> strides(normShape.size(), 0);
  int64_t stride = 1;
  for (int64_t d = normShape.size() - 1; d >= (int64_t)off; --d) {
    int64_t dim = p.dim(d - off);
    if (dim != 1 && dim != normShape[d])
      return makeError("LayerNormalization: parameter {0} does not broadcast to the normalized "
                       "dims",
                       p.describe());
    strides[d] = dim == 1 ? 0 : stride;
    stride *= dim;
  }
  SmallVector<double> out(inner);
  SmallVector<int64_t, 6> idx(normShape.size(), 0);
  int64_t src = 0;
  for (int64_t i = 0; i < inner; ++i) {
    out[i] = p.getAsDouble(src);
    for (int64_t d = normShape.size() - 1; d >= 0; --d) {
      ++idx[d];
      src += strides[d];
      if (idx[d] < normShape[d])
        break;
      src -= strides[d] * normShape[d];
      idx[d] = 0;
    }
  }
  return out;
}

} // namespace

Expected<Tensor> qopt::ref::layerNorm(const Tensor &xIn, const Tensor &scale, const Tensor *bias,
                                      int64_t axis, float epsilon) {
  if (auto e = checkFloat("LayerNormalization", xIn))
    return std::move(e);
  if (axis < 0 || axis >= xIn.rank())
    return makeError("LayerNormalization: axis {0} out of range for {1}", axis, xIn.describe());
  ArrayRef<int64_t> normShape = xIn.shape().drop_front(axis);
  int64_t inner = 1;
  for (int64_t d : normShape)
    inner *= d;
  int64_t outer = inner ? xIn.numElements() / inner : 0;
  auto s = expandParam(scale, normShape, inner);
  if (!s)
    return s.takeError();
  SmallVector<double> b(inner, 0.0);
  if (bias) {
    auto bv = expandParam(*bias, normShape, inner);
    if (!bv)
      return bv.takeError();
    b = std::move(*bv);
  }
  Tensor x = widen(xIn);
  return runFloat(x, xIn.dtype(), [&](auto tag, Tensor &out) {
    using T = typename decltype(tag)::type;
    const T *xd = x.data<T>();
    T *yd = out.data<T>();
    for (int64_t o = 0; o < outer; ++o) {
      const T *row = xd + o * inner;
      T *dst = yd + o * inner;
      // Both sums in the lanes of qopt/Quant/RowReduction.h, the kernels' order.
      T sum = rowreduce::laneSum<T>(inner, [&](int64_t i) { return row[i]; });
      T mean = sum / (T)inner;
      T sq = rowreduce::laneSum<T>(inner, [&](int64_t i) {
        T d = row[i] - mean;
        return d * d;
      });
      T var = sq / (T)inner;
      T invStd = T(1) / std::sqrt(var + (T)epsilon);
      for (int64_t i = 0; i < inner; ++i) {
        T centered = row[i] - mean;
        T normalized = centered * invStd;
        T scaled = normalized * (T)(*s)[i];
        dst[i] = bias ? scaled + (T)b[i] : scaled;
      }
    }
  });
}

Expected<Tensor> qopt::ref::softmax(const Tensor &xIn, int64_t axis, bool log) {
  StringRef op = log ? "LogSoftmax" : "Softmax";
  if (auto e = checkFloat(op, xIn))
    return std::move(e);
  if (axis < 0 || axis >= xIn.rank())
    return makeError("{0}: axis {1} out of range for {2}", op, axis, xIn.describe());
  int64_t len = xIn.dim(axis), inner = 1;
  for (int64_t d : xIn.shape().drop_front(axis + 1))
    inner *= d;
  int64_t outer = len * inner ? xIn.numElements() / (len * inner) : 0;
  Tensor x = widen(xIn);
  return runFloat(x, xIn.dtype(), [&](auto tag, Tensor &out) {
    using T = typename decltype(tag)::type;
    const T *xd = x.data<T>();
    T *yd = out.data<T>();
    // The sums along the axis fold into the lanes of qopt/Quant/RowReduction.h
    // (sum[i * lanes + a % lanes]), the kernels' order.
    int64_t lanes = rowreduce::laneCount(len);
    SmallVector<T> mx(inner), sum(inner * lanes), rowSum(inner);
    for (int64_t o = 0; o < outer; ++o) {
      const T *src = xd + o * len * inner;
      T *dst = yd + o * len * inner;
      std::fill(mx.begin(), mx.end(), -std::numeric_limits<T>::infinity());
      std::fill(sum.begin(), sum.end(), T(0));
      // A NaN in the row makes its maximum NaN, as the kernels' maximumf.
      for (int64_t a = 0; a < len; ++a)
        for (int64_t i = 0; i < inner; ++i) {
          T v = src[a * inner + i];
          if (std::isnan(v) || v > mx[i])
            mx[i] = v;
        }
      for (int64_t a = 0; a < len; ++a)
        for (int64_t i = 0; i < inner; ++i) {
          T e = Math<T>::exp(src[a * inner + i] - mx[i]);
          sum[i * lanes + (a & (lanes - 1))] += e;
          if (!log)
            dst[a * inner + i] = e;
        }
      for (int64_t i = 0; i < inner; ++i)
        rowSum[i] = rowreduce::combineLanes(&sum[i * lanes], lanes, std::plus<T>());
      for (int64_t a = 0; a < len; ++a)
        for (int64_t i = 0; i < inner; ++i) {
          int64_t k = a * inner + i;
          dst[k] = log ? (src[k] - mx[i]) - Math<T>::log(rowSum[i]) : dst[k] / rowSum[i];
        }
    }
  });
}
