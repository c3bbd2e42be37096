//===- Linear.cpp - Convolution and matrix product kernels -----*- C++ -*-===//
//
// Conv lowers to im2col + GEMM per (batch, group), with the im2col skipped for
// 1x1 stride-1 unpadded kernels; ConvTranspose is GEMM + col2im. 1 to 3
// spatial dims are handled as 3 with leading singleton dims. F32 runs through
// cblas_sgemm, F64 through cblas_dgemm; integer MatMul/Gemm use plain loops
// with wrap-around.
//
//===----------------------------------------------------------------------===//

#include "qopt/Reference/Kernels.h"
#include "KernelSupport.h"

#include "OneDNN.h"

#include "llvm/Support/FormatVariadic.h"

#include <cblas.h>

#include <climits>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

using namespace qopt::ref;
using namespace qopt::ref::detail;
using llvm::ArrayRef;
using llvm::Expected;
using llvm::SmallVector;
using llvm::StringRef;

namespace {

//===----------------------------------------------------------------------===//
// BLAS
//===----------------------------------------------------------------------===//

llvm::Error checkBlasRange(StringRef op, std::initializer_list<int64_t> values) {
  for (int64_t v : values)
    if (v > INT_MAX)
      return makeError("{0}: matrix dimension {1} exceeds the BLAS integer range", op, v);
  return llvm::Error::success();
}

void scaleInPlace(float *c, int64_t m, int64_t n, int64_t ldc, float beta) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      c[i * ldc + j] = beta == 0 ? 0.0f : beta * c[i * ldc + j];
}
void scaleInPlace(double *c, int64_t m, int64_t n, int64_t ldc, double beta) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      c[i * ldc + j] = beta == 0 ? 0.0 : beta * c[i * ldc + j];
}

/// Row-major C = alpha op(A) op(B) + beta C; sizes already range-checked.
void gemmRowMajor(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a,
                  int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
  if (m == 0 || n == 0)
    return;
  if (k == 0)
    return scaleInPlace(c, m, n, ldc, beta);
  if (detail::sgemmOneDNN(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc))
    return;
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
              (int)m, (int)n, (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}
void gemmRowMajor(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha,
                  const double *a, int64_t lda, const double *b, int64_t ldb, double beta,
                  double *c, int64_t ldc) {
  if (m == 0 || n == 0)
    return;
  if (k == 0)
    return scaleInPlace(c, m, n, ldc, beta);
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
              (int)m, (int)n, (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}

//===----------------------------------------------------------------------===//
// Window geometry
//===----------------------------------------------------------------------===//

/// Spatial attributes beyond this magnitude are rejected, which keeps every
/// product below (window extent, output coordinate) inside int64.
constexpr int64_t kMaxSpatial = int64_t(1) << 31;

/// 1 to 3 spatial dims as exactly 3 (leading singletons).
struct Window3 {
  int64_t in[3], k[3], s[3], d[3], pb[3], pe[3], out[3], op[3];
  int64_t inSize() const { return in[0] * in[1] * in[2]; }
  int64_t outSize() const { return out[0] * out[1] * out[2]; }
  int64_t kSize() const { return k[0] * k[1] * k[2]; }
};

Expected<Window3> makeWindow(StringRef op, ArrayRef<int64_t> in, ArrayRef<int64_t> k,
                             ArrayRef<int64_t> out, const ConvParams &p) {
  size_t ns = in.size();
  auto checkLen = [&](StringRef what, size_t got, size_t want) -> llvm::Error {
    if (got != 0 && got != want)
      return makeError("{0}: {1} has {2} values, expected {3} for {4} spatial dims", op, what, got,
                       want, ns);
    return llvm::Error::success();
  };
  if (auto e = checkLen("strides", p.strides.size(), ns))
    return std::move(e);
  if (auto e = checkLen("dilations", p.dilations.size(), ns))
    return std::move(e);
  if (auto e = checkLen("pads", p.pads.size(), 2 * ns))
    return std::move(e);
  if (auto e = checkLen("output_padding", p.outputPadding.size(), ns))
    return std::move(e);
  Window3 w;
  size_t off = 3 - ns;
  for (size_t i = 0; i < 3; ++i) {
    w.in[i] = w.k[i] = w.s[i] = w.d[i] = w.out[i] = 1;
    w.pb[i] = w.pe[i] = w.op[i] = 0;
  }
  for (size_t i = 0; i < ns; ++i) {
    size_t j = off + i;
    w.in[j] = in[i];
    w.k[j] = k[i];
    w.out[j] = out[i];
    w.s[j] = p.strides.empty() ? 1 : p.strides[i];
    w.d[j] = p.dilations.empty() ? 1 : p.dilations[i];
    w.pb[j] = p.pads.empty() ? 0 : p.pads[i];
    w.pe[j] = p.pads.empty() ? 0 : p.pads[ns + i];
    w.op[j] = p.outputPadding.empty() ? 0 : p.outputPadding[i];
    if (w.s[j] < 1 || w.s[j] > kMaxSpatial)
      return makeError("{0}: stride {1} out of range [1, 2^31]", op, w.s[j]);
    if (w.d[j] < 1 || w.d[j] > kMaxSpatial)
      return makeError("{0}: dilation {1} out of range [1, 2^31]", op, w.d[j]);
    if (w.k[j] < 1 || w.k[j] > kMaxSpatial)
      return makeError("{0}: kernel dim {1} out of range [1, 2^31]", op, w.k[j]);
    for (int64_t v : {w.pb[j], w.pe[j], w.op[j]})
      if (v < -kMaxSpatial || v > kMaxSpatial)
        return makeError("{0}: padding {1} out of range", op, v);
    if (w.in[j] > kMaxSpatial || w.out[j] > kMaxSpatial)
      return makeError("{0}: spatial dim larger than 2^31", op);
  }
  return w;
}

/// The window in the form the oneDNN path takes.
detail::ConvGeometry geometry(const ConvParams &p, int64_t ns) {
  detail::ConvGeometry g;
  for (int64_t i = 0; i < ns; ++i) {
    g.strides.push_back(p.strides.empty() ? 1 : p.strides[i]);
    g.dilations.push_back(p.dilations.empty() ? 1 : p.dilations[i]);
    g.padsBegin.push_back(p.pads.empty() ? 0 : p.pads[i]);
    g.padsEnd.push_back(p.pads.empty() ? 0 : p.pads[ns + i]);
  }
  g.group = p.group;
  return g;
}

//===----------------------------------------------------------------------===//
// Conv
//===----------------------------------------------------------------------===//

/// Column matrix [Cg*kD*kH*kW, oD*oH*oW] of one (batch, group) slice.
template <typename T> void im2col(const T *x, int64_t cg, const Window3 &w, T *col) {
  const int64_t iD = w.in[0], iH = w.in[1], iW = w.in[2];
  const int64_t oD = w.out[0], oH = w.out[1], oW = w.out[2];
  const int64_t sW = w.s[2], p = w.outSize();
  T *dst = col;
  for (int64_t c = 0; c < cg; ++c) {
    for (int64_t kd = 0; kd < w.k[0]; ++kd) {
      for (int64_t kh = 0; kh < w.k[1]; ++kh) {
        for (int64_t kw = 0; kw < w.k[2]; ++kw, dst += p) {
          // iw = ow * sW + baseW must lie in [0, iW).
          int64_t baseW = kw * w.d[2] - w.pb[2];
          int64_t lo = std::min(std::max<int64_t>(0, ceilDiv(-baseW, sW)), oW);
          int64_t hi = std::min(std::max<int64_t>(0, floorDiv(iW - 1 - baseW, sW) + 1), oW);
          hi = std::max(hi, lo);
          for (int64_t od = 0; od < oD; ++od) {
            int64_t id = od * w.s[0] - w.pb[0] + kd * w.d[0];
            for (int64_t oh = 0; oh < oH; ++oh) {
              int64_t ih = oh * w.s[1] - w.pb[1] + kh * w.d[1];
              T *row = dst + (od * oH + oh) * oW;
              if (id < 0 || id >= iD || ih < 0 || ih >= iH) {
                std::fill(row, row + oW, T(0));
                continue;
              }
              const T *src = x + ((c * iD + id) * iH + ih) * iW;
              std::fill(row, row + lo, T(0));
              std::fill(row + hi, row + oW, T(0));
              if (sW == 1) {
                if (hi > lo)
                  std::memcpy(row + lo, src + lo + baseW, (hi - lo) * sizeof(T));
              } else {
                for (int64_t ow = lo; ow < hi; ++ow)
                  row[ow] = src[ow * sW + baseW];
              }
            }
          }
        }
      }
    }
  }
}

template <typename T> void addChannelBias(T *out, const T *bias, int64_t n, int64_t m, int64_t p) {
  for (int64_t b = 0; b < n; ++b)
    for (int64_t c = 0; c < m; ++c) {
      T v = bias[c];
      T *row = out + (b * m + c) * p;
      for (int64_t i = 0; i < p; ++i)
        row[i] += v;
    }
}

template <typename T>
llvm::Error convImpl(const Tensor &x, const Tensor &w, const Tensor *bias, const Window3 &win,
                     int64_t group, Tensor &out) {
  const int64_t n = x.dim(0), c = x.dim(1), m = w.dim(0);
  const int64_t cg = c / group, mg = m / group;
  const int64_t kk = win.kSize(), k = cg * kk, pin = win.inSize(), p = win.outSize();
  bool direct = kk == 1;
  for (int i = 0; i < 3; ++i)
    direct &= win.s[i] == 1 && win.pb[i] == 0 && win.pe[i] == 0;
  if (auto e = checkBlasRange("Conv", {mg, p, k}))
    return e;
  Tensor col;
  if (!direct) {
    auto colOr = Tensor::allocateUninitialized(x.dtype(), {k, p});
    if (!colOr)
      return colOr.takeError();
    col = std::move(*colOr);
  }
  const T *xd = x.data<T>(), *wd = w.data<T>();
  T *od = out.data<T>();
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t g = 0; g < group; ++g) {
      const T *xg = xd + (b * c + g * cg) * pin;
      const T *rhs = xg;
      if (!direct) {
        im2col(xg, cg, win, col.data<T>());
        rhs = col.data<T>();
      }
      gemmRowMajor(false, false, mg, p, k, T(1), wd + g * mg * k, k, rhs, p, T(0),
                   od + (b * m + g * mg) * p, p);
    }
  }
  if (bias)
    addChannelBias(od, bias->data<T>(), n, m, p);
  return llvm::Error::success();
}

/// Validates the shared parts of Conv/ConvTranspose: ranks, dtypes, bias.
llvm::Error checkConvOperands(StringRef op, const Tensor &x, const Tensor &w, const Tensor *bias,
                              ArrayRef<int64_t> outShape, int64_t biasLen) {
  if (x.rank() < 3 || x.rank() > 5)
    return makeError("{0}: input {1} must have 1 to 3 spatial dims", op, x.describe());
  if (w.rank() != x.rank())
    return makeError("{0}: weight {1} and input {2} ranks differ", op, w.describe(),
                     x.describe());
  if ((int64_t)outShape.size() != x.rank())
    return makeError("{0}: output shape {1} has the wrong rank for input {2}", op,
                     shapeStr(outShape), x.describe());
  if (x.dtype() != w.dtype())
    return makeError("{0}: input {1} and weight {2} dtypes differ", op, x.describe(),
                     w.describe());
  if (!isFloat(x.dtype()))
    return makeError("{0}: unsupported input dtype {1} (integer convolution goes through the "
                     "quantized path)",
                     op, dtypeName(x.dtype()));
  if (bias) {
    if (bias->rank() != 1 || bias->dim(0) != biasLen)
      return makeError("{0}: bias {1} must be 1-D of size {2}", op, bias->describe(), biasLen);
    if (bias->dtype() != x.dtype())
      return makeError("{0}: bias {1} dtype differs from input {2}", op, bias->describe(),
                       x.describe());
  }
  return llvm::Error::success();
}

} // namespace

Expected<Tensor> qopt::ref::conv(const Tensor &xIn, const Tensor &wIn, const Tensor *biasIn,
                                 const ConvParams &p, ArrayRef<int64_t> outShape) {
  if (!hasStorage(xIn) || !hasStorage(wIn) || (biasIn && !hasStorage(*biasIn)))
    return makeError("Conv: operand has no storage");
  int64_t m = wIn.rank() > 0 ? wIn.dim(0) : 0;
  if (auto e = checkConvOperands("Conv", xIn, wIn, biasIn, outShape, m))
    return std::move(e);
  int64_t group = p.group, c = xIn.dim(1);
  if (group < 1 || c % group != 0 || m % group != 0)
    return makeError("Conv: group {0} must divide input channels {1} and output channels {2}",
                     group, c, m);
  if (wIn.dim(1) * group != c)
    return makeError("Conv: weight {0} expects {1} input channels per group, input {2} has {3} "
                     "in {4} groups",
                     wIn.describe(), wIn.dim(1), xIn.describe(), c, group);
  int64_t ns = xIn.rank() - 2;
  auto win = makeWindow("Conv", xIn.shape().drop_front(2), wIn.shape().drop_front(2),
                        outShape.drop_front(2), p);
  if (!win)
    return win.takeError();
  SmallVector<int64_t, 5> expected = {xIn.dim(0), m};
  for (int64_t i = 0; i < ns; ++i) {
    int64_t j = 3 - ns + i;
    int64_t extent = win->d[j] * (win->k[j] - 1) + 1;
    int64_t padded = win->in[j] + win->pb[j] + win->pe[j];
    if (padded < extent)
      return makeError("Conv: kernel extent {0} exceeds the padded input size {1} in spatial "
                       "dim {2}",
                       extent, padded, i);
    expected.push_back((padded - extent) / win->s[j] + 1);
  }
  if (ArrayRef<int64_t>(expected) != outShape)
    return makeError("Conv: output shape {0} does not match the inferred {1}", shapeStr(outShape),
                     shapeStr(expected));

  Tensor x = widen(xIn), w = widen(wIn);
  Tensor bias = biasIn ? widen(*biasIn) : Tensor();
  auto out = Tensor::allocateUninitialized(x.dtype(), outShape);
  if (!out)
    return out.takeError();
  if (x.dtype() == DType::F32 &&
      detail::convOneDNN(x, w, biasIn ? &bias : nullptr, geometry(p, ns), false,
                         wIn.dtype() == DType::F32, *out))
    return out->dtype() != xIn.dtype() ? out->castTo(xIn.dtype()) : std::move(*out);
  llvm::Error e = x.dtype() == DType::F64
                      ? convImpl<double>(x, w, biasIn ? &bias : nullptr, *win, group, *out)
                      : convImpl<float>(x, w, biasIn ? &bias : nullptr, *win, group, *out);
  if (e)
    return std::move(e);
  if (out->dtype() != xIn.dtype())
    return out->castTo(xIn.dtype());
  return out;
}

//===----------------------------------------------------------------------===//
// ConvTranspose
//===----------------------------------------------------------------------===//

namespace {

/// Scatters a column matrix [Mg*kD*kH*kW, iD*iH*iW] into one (batch, group)
/// output slice.
template <typename T> void col2im(const T *col, int64_t mg, const Window3 &w, T *out) {
  const int64_t iD = w.in[0], iH = w.in[1], iW = w.in[2];
  const int64_t oD = w.out[0], oH = w.out[1], oW = w.out[2];
  const int64_t sW = w.s[2], pin = w.inSize(), pout = w.outSize();
  const T *row = col;
  for (int64_t m = 0; m < mg; ++m) {
    T *om = out + m * pout;
    for (int64_t kd = 0; kd < w.k[0]; ++kd) {
      for (int64_t kh = 0; kh < w.k[1]; ++kh) {
        for (int64_t kw = 0; kw < w.k[2]; ++kw, row += pin) {
          // ow = iw * sW + baseW must lie in [0, oW).
          int64_t baseW = kw * w.d[2] - w.pb[2];
          int64_t lo = std::min(std::max<int64_t>(0, ceilDiv(-baseW, sW)), iW);
          int64_t hi = std::min(std::max<int64_t>(0, floorDiv(oW - 1 - baseW, sW) + 1), iW);
          for (int64_t id = 0; id < iD; ++id) {
            int64_t odd = id * w.s[0] - w.pb[0] + kd * w.d[0];
            if (odd < 0 || odd >= oD)
              continue;
            for (int64_t ih = 0; ih < iH; ++ih) {
              int64_t oh = ih * w.s[1] - w.pb[1] + kh * w.d[1];
              if (oh < 0 || oh >= oH)
                continue;
              const T *src = row + (id * iH + ih) * iW;
              T *dst = om + (odd * oH + oh) * oW;
              for (int64_t iw = lo; iw < hi; ++iw)
                dst[iw * sW + baseW] += src[iw];
            }
          }
        }
      }
    }
  }
}

template <typename T>
llvm::Error convTransposeImpl(const Tensor &x, const Tensor &w, const Tensor *bias,
                              const Window3 &win, int64_t group, Tensor &out) {
  const int64_t n = x.dim(0), c = x.dim(1), cg = c / group, mg = w.dim(1), m = mg * group;
  const int64_t kk = win.kSize(), pin = win.inSize(), pout = win.outSize();
  bool direct = kk == 1 && pin == pout;
  for (int i = 0; i < 3; ++i)
    direct &= win.s[i] == 1 && win.pb[i] == 0 && win.pe[i] == 0;
  if (auto e = checkBlasRange("ConvTranspose", {mg * kk, pin, cg}))
    return e;
  Tensor col;
  if (!direct) {
    auto colOr = Tensor::allocate(x.dtype(), {mg * kk, pin});
    if (!colOr)
      return colOr.takeError();
    col = std::move(*colOr);
  }
  const T *xd = x.data<T>(), *wd = w.data<T>();
  T *od = out.data<T>();
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t g = 0; g < group; ++g) {
      const T *a = wd + g * cg * mg * kk;
      const T *xg = xd + (b * c + g * cg) * pin;
      T *og = od + (b * m + g * mg) * pout;
      if (direct) {
        gemmRowMajor(true, false, mg, pin, cg, T(1), a, mg, xg, pin, T(0), og, pin);
        continue;
      }
      gemmRowMajor(true, false, mg * kk, pin, cg, T(1), a, mg * kk, xg, pin, T(0),
                   col.data<T>(), pin);
      col2im(col.data<T>(), mg, win, og);
    }
  }
  if (bias)
    addChannelBias(od, bias->data<T>(), n, m, pout);
  return llvm::Error::success();
}

} // namespace

Expected<Tensor> qopt::ref::convTranspose(const Tensor &xIn, const Tensor &wIn,
                                          const Tensor *biasIn, const ConvParams &p,
                                          ArrayRef<int64_t> outShape) {
  if (!hasStorage(xIn) || !hasStorage(wIn) || (biasIn && !hasStorage(*biasIn)))
    return makeError("ConvTranspose: operand has no storage");
  int64_t group = p.group;
  if (group < 1)
    return makeError("ConvTranspose: group {0} must be positive", group);
  int64_t m = wIn.rank() > 1 ? wIn.dim(1) * group : 0;
  if (auto e = checkConvOperands("ConvTranspose", xIn, wIn, biasIn, outShape, m))
    return std::move(e);
  int64_t c = xIn.dim(1);
  if (c % group != 0)
    return makeError("ConvTranspose: group {0} must divide input channels {1}", group, c);
  if (wIn.dim(0) != c)
    return makeError("ConvTranspose: weight {0} must have {1} input channels (dim 0)",
                     wIn.describe(), c);
  int64_t ns = xIn.rank() - 2;
  auto win = makeWindow("ConvTranspose", xIn.shape().drop_front(2), wIn.shape().drop_front(2),
                        outShape.drop_front(2), p);
  if (!win)
    return win.takeError();
  SmallVector<int64_t, 5> expected = {xIn.dim(0), m};
  for (int64_t i = 0; i < ns; ++i) {
    int64_t j = 3 - ns + i;
    int64_t extent = win->d[j] * (win->k[j] - 1) + 1;
    int64_t size = win->s[j] * (win->in[j] - 1) + win->op[j] + extent - win->pb[j] - win->pe[j];
    if (win->in[j] == 0)
      size = 0;
    expected.push_back(size);
  }
  if (ArrayRef<int64_t>(expected) != outShape)
    return makeError("ConvTranspose: output shape {0} does not match the inferred {1}",
                     shapeStr(outShape), shapeStr(expected));

  Tensor x = widen(xIn), w = widen(wIn);
  Tensor bias = biasIn ? widen(*biasIn) : Tensor();
  auto out = Tensor::allocate(x.dtype(), outShape);
  if (!out)
    return out.takeError();
  if (x.dtype() == DType::F32 &&
      detail::convOneDNN(x, w, biasIn ? &bias : nullptr, geometry(p, ns), true,
                         wIn.dtype() == DType::F32, *out))
    return out->dtype() != xIn.dtype() ? out->castTo(xIn.dtype()) : std::move(*out);
  llvm::Error e =
      x.dtype() == DType::F64
          ? convTransposeImpl<double>(x, w, biasIn ? &bias : nullptr, *win, group, *out)
          : convTransposeImpl<float>(x, w, biasIn ? &bias : nullptr, *win, group, *out);
  if (e)
    return std::move(e);
  if (out->dtype() != xIn.dtype())
    return out->castTo(xIn.dtype());
  return out;
}

//===----------------------------------------------------------------------===//
// MatMul and Gemm
//===----------------------------------------------------------------------===//

namespace {

/// Integer matmul types; F16/BF16 are widened before.
template <typename F> Expected<Tensor> visitInt(DType t, F &&f) {
  switch (t) {
  case DType::I8: return f(Tag<int8_t>{});
  case DType::I16: return f(Tag<int16_t>{});
  case DType::I32: return f(Tag<int32_t>{});
  case DType::I64: return f(Tag<int64_t>{});
  case DType::U8: return f(Tag<uint8_t>{});
  case DType::U16: return f(Tag<uint16_t>{});
  case DType::U32: return f(Tag<uint32_t>{});
  case DType::U64: return f(Tag<uint64_t>{});
  default: return makeError("unsupported dtype {0}", dtypeName(t));
  }
}

/// Truncates toward zero, saturating at the type's limits; NaN gives 0.
template <typename T> T saturateToInt(double v) {
  if (std::isnan(v))
    return 0;
  if (v <= (double)std::numeric_limits<T>::lowest())
    return std::numeric_limits<T>::lowest();
  if (v >= (double)std::numeric_limits<T>::max())
    return std::numeric_limits<T>::max();
  return (T)v;
}

/// C[m,n] = A[m,k] B[k,n] with wrap-around (products formed in uint64).
template <typename T>
void intMatmul(const T *a, const T *b, T *c, int64_t m, int64_t n, int64_t k) {
  SmallVector<uint64_t> acc(n);
  for (int64_t i = 0; i < m; ++i) {
    std::fill(acc.begin(), acc.end(), 0);
    for (int64_t l = 0; l < k; ++l) {
      uint64_t av = (uint64_t)a[i * k + l];
      const T *brow = b + l * n;
      for (int64_t j = 0; j < n; ++j)
        acc[j] += av * (uint64_t)brow[j];
    }
    for (int64_t j = 0; j < n; ++j)
      c[i * n + j] = (T)acc[j];
  }
}

} // namespace

Expected<Tensor> qopt::ref::matmul(const Tensor &aIn, const Tensor &bIn,
                                   ArrayRef<int64_t> outShape) {
  if (!hasStorage(aIn) || !hasStorage(bIn))
    return makeError("MatMul: operand has no storage");
  if (aIn.rank() < 1 || bIn.rank() < 1)
    return makeError("MatMul: operands {0} and {1} must have rank >= 1", aIn.describe(),
                     bIn.describe());
  if (aIn.dtype() != bIn.dtype())
    return makeError("MatMul: operand dtypes differ ({0} vs {1})", aIn.describe(),
                     bIn.describe());
  if (aIn.dtype() == DType::Bool)
    return makeError("MatMul does not accept bool operands");
  int64_t ra = aIn.rank(), rb = bIn.rank();
  int64_t m = ra >= 2 ? aIn.dim(ra - 2) : 1, k = aIn.dim(ra - 1);
  int64_t kb = rb >= 2 ? bIn.dim(rb - 2) : bIn.dim(0), n = rb >= 2 ? bIn.dim(rb - 1) : 1;
  if (k != kb)
    return makeError("MatMul: contraction dims differ: {0} x {1}", aIn.describe(),
                     bIn.describe());
  ArrayRef<int64_t> aBatch = ra >= 2 ? aIn.shape().drop_back(2) : ArrayRef<int64_t>();
  ArrayRef<int64_t> bBatch = rb >= 2 ? bIn.shape().drop_back(2) : ArrayRef<int64_t>();
  size_t rank = std::max(aBatch.size(), bBatch.size());
  SmallVector<int64_t, 6> batch(rank), aStride(rank), bStride(rank);
  int64_t aCount = 1, bCount = 1;
  for (int64_t i = rank - 1; i >= 0; --i) {
    int64_t ia = i - (rank - aBatch.size()), ib = i - (rank - bBatch.size());
    int64_t da = ia >= 0 ? aBatch[ia] : 1, db = ib >= 0 ? bBatch[ib] : 1;
    if (da != db && da != 1 && db != 1)
      return makeError("MatMul: batch dims of {0} and {1} do not broadcast", aIn.describe(),
                       bIn.describe());
    batch[i] = da == 1 ? db : da;
    aStride[i] = da == 1 ? 0 : aCount;
    bStride[i] = db == 1 ? 0 : bCount;
    aCount *= da;
    bCount *= db;
  }
  SmallVector<int64_t, 6> expected(batch);
  if (ra >= 2)
    expected.push_back(m);
  if (rb >= 2)
    expected.push_back(n);
  if (ArrayRef<int64_t>(expected) != outShape)
    return makeError("MatMul: output shape {0} does not match the inferred {1}",
                     shapeStr(outShape), shapeStr(expected));
  auto count = checkedNumElements(batch);
  if (!count)
    return count.takeError();

  Tensor a = widen(aIn), b = widen(bIn);
  auto out = Tensor::allocate(a.dtype(), outShape);
  if (!out)
    return out.takeError();

  // Walk the broadcast batch, yielding the matrix indices of A and B.
  auto forEachBatch = [&](auto &&f) {
    SmallVector<int64_t, 6> idx(rank, 0);
    int64_t ai = 0, bi = 0;
    for (int64_t t = 0; t < *count; ++t) {
      f(t, ai, bi);
      for (int64_t d = rank - 1; d >= 0; --d) {
        ++idx[d];
        ai += aStride[d];
        bi += bStride[d];
        if (idx[d] < batch[d])
          break;
        ai -= aStride[d] * batch[d];
        bi -= bStride[d] * batch[d];
        idx[d] = 0;
      }
    }
  };

  auto runFloat = [&](auto tag) -> llvm::Error {
    using T = typename decltype(tag)::type;
    const T *ad = a.data<T>(), *bd = b.data<T>();
    T *od = out->data<T>();
    // B shared by every batch and A not broadcast: one GEMM over all rows.
    if (bCount == 1 && aCount == *count) {
      if (auto e = checkBlasRange("MatMul", {*count * m, n, k}))
        return e;
      gemmRowMajor(false, false, *count * m, n, k, T(1), ad, k, bd, n, T(0), od, n);
      return llvm::Error::success();
    }
    if (auto e = checkBlasRange("MatMul", {m, n, k}))
      return e;
    forEachBatch([&](int64_t t, int64_t ai, int64_t bi) {
      gemmRowMajor(false, false, m, n, k, T(1), ad + ai * m * k, k, bd + bi * k * n, n, T(0),
                   od + t * m * n, n);
    });
    return llvm::Error::success();
  };

  if (a.dtype() == DType::F32 || a.dtype() == DType::F64) {
    llvm::Error e = a.dtype() == DType::F32 ? runFloat(Tag<float>{}) : runFloat(Tag<double>{});
    if (e)
      return std::move(e);
  } else {
    auto r = visitInt(a.dtype(), [&](auto tag) -> Expected<Tensor> {
      using T = typename decltype(tag)::type;
      const T *ad = a.data<T>(), *bd = b.data<T>();
      T *od = out->data<T>();
      forEachBatch([&](int64_t t, int64_t ai, int64_t bi) {
        intMatmul(ad + ai * m * k, bd + bi * k * n, od + t * m * n, m, n, k);
      });
      return Tensor();
    });
    if (!r)
      return r.takeError();
  }
  if (out->dtype() != aIn.dtype())
    return out->castTo(aIn.dtype());
  return out;
}

Expected<Tensor> qopt::ref::gemm(const Tensor &aIn, const Tensor &bIn, const Tensor *cIn,
                                 float alpha, float beta, bool transA, bool transB) {
  if (!hasStorage(aIn) || !hasStorage(bIn) || (cIn && !hasStorage(*cIn)))
    return makeError("Gemm: operand has no storage");
  if (aIn.rank() != 2 || bIn.rank() != 2)
    return makeError("Gemm: operands {0} and {1} must be 2-D", aIn.describe(), bIn.describe());
  if (aIn.dtype() != bIn.dtype() || (cIn && cIn->dtype() != aIn.dtype()))
    return makeError("Gemm: operand dtypes differ ({0}, {1}{2})", aIn.describe(), bIn.describe(),
                     cIn ? ", " + cIn->describe() : std::string());
  if (aIn.dtype() == DType::Bool)
    return makeError("Gemm does not accept bool operands");
  int64_t m = transA ? aIn.dim(1) : aIn.dim(0), k = transA ? aIn.dim(0) : aIn.dim(1);
  int64_t kb = transB ? bIn.dim(1) : bIn.dim(0), n = transB ? bIn.dim(0) : bIn.dim(1);
  if (k != kb)
    return makeError("Gemm: contraction dims differ: op(A) is {0}x{1}, op(B) is {2}x{3}", m, k,
                     kb, n);
  // C broadcasts unidirectionally to [M, N].
  int64_t cRowStride = 0, cColStride = 0;
  if (cIn) {
    ArrayRef<int64_t> cs = cIn->shape();
    if (cs.size() > 2)
      return makeError("Gemm: C {0} must have rank <= 2", cIn->describe());
    int64_t cm = cs.size() == 2 ? cs[0] : 1, cn = cs.empty() ? 1 : cs.back();
    if ((cm != m && cm != 1) || (cn != n && cn != 1))
      return makeError("Gemm: C {0} does not broadcast to [{1},{2}]", cIn->describe(), m, n);
    cRowStride = cm == 1 ? 0 : cn;
    cColStride = cn == 1 ? 0 : 1;
  }
  Tensor a = widen(aIn), b = widen(bIn);
  Tensor c = cIn ? widen(*cIn) : Tensor();
  bool useC = cIn && beta != 0;
  auto out = Tensor::allocate(a.dtype(), {m, n});
  if (!out)
    return out.takeError();

  auto runFloat = [&](auto tag) -> llvm::Error {
    using T = typename decltype(tag)::type;
    if (auto e = checkBlasRange("Gemm", {m, n, k}))
      return e;
    T *od = out->data<T>();
    if (useC) {
      const T *cd = c.data<T>();
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j)
          od[i * n + j] = (T)beta * cd[i * cRowStride + j * cColStride];
    }
    gemmRowMajor(transA, transB, m, n, k, (T)alpha, a.data<T>(), a.dim(1), b.data<T>(), b.dim(1),
                 useC ? T(1) : T(0), od, n);
    return llvm::Error::success();
  };

  if (a.dtype() == DType::F32 || a.dtype() == DType::F64) {
    llvm::Error e = a.dtype() == DType::F32 ? runFloat(Tag<float>{}) : runFloat(Tag<double>{});
    if (e)
      return std::move(e);
  } else {
    auto r = visitInt(a.dtype(), [&](auto tag) -> Expected<Tensor> {
      using T = typename decltype(tag)::type;
      const T *ad = a.data<T>(), *bd = b.data<T>();
      const T *cd = useC ? c.data<T>() : nullptr;
      T *od = out->data<T>();
      int64_t lda = a.dim(1), ldb = b.dim(1);
      bool exact = alpha == 1 && (beta == 1 || !useC);
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          uint64_t acc = 0;
          for (int64_t l = 0; l < k; ++l) {
            T av = transA ? ad[l * lda + i] : ad[i * lda + l];
            T bv = transB ? bd[j * ldb + l] : bd[l * ldb + j];
            acc += (uint64_t)av * (uint64_t)bv;
          }
          T cv = useC ? cd[i * cRowStride + j * cColStride] : T(0);
          if (exact)
            od[i * n + j] = (T)(acc + (uint64_t)cv);
          else // non-unit alpha/beta on integers: scale in double, truncate
            od[i * n + j] = saturateToInt<T>((double)alpha * (double)(T)acc +
                                             (double)beta * (double)cv);
        }
      return Tensor();
    });
    if (!r)
      return r.takeError();
  }
  if (out->dtype() != aIn.dtype())
    return out->castTo(aIn.dtype());
  return out;
}
