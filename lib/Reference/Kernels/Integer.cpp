//===- Integer.cpp - Exact integer kernels of quantized ops ----*- C++ -*-===//
//
// Everything here is integer arithmetic after the parameters are turned into
// fixed-point multipliers once per op, so the results are a function of the
// storage integers alone: the property GPU kernels are checked against.
// Operands are first "centered" (q - z, which fits int16 for 8-bit storage),
// which makes padding the value 0 and folds zero points exactly.
//
//===----------------------------------------------------------------------===//

#include "qopt/Reference/IntegerKernels.h"
#include "KernelSupport.h"
#include "qopt/Quant/Arithmetic.h"

#include <cmath>
#include <limits>
#include <vector>

using namespace qopt;
using namespace qopt::ref;
using namespace qopt::ref::detail;
using llvm::ArrayRef;
using llvm::Expected;
using llvm::SmallVector;

std::pair<int64_t, int64_t> qopt::ref::storageRange(DType t) {
  switch (t) {
  case DType::I8: return {-128, 127};
  case DType::U8: return {0, 255};
  case DType::I16: return {-32768, 32767};
  case DType::U16: return {0, 65535};
  case DType::I32: return {std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()};
  default: return {0, 0};
  }
}

namespace {

bool isStorage(DType t) {
  return t == DType::I8 || t == DType::U8 || t == DType::I16 || t == DType::U16 ||
         t == DType::I32;
}

llvm::Error checkStorage(const char *op, const Tensor &t) {
  if (!hasStorage(t))
    return makeError("{0}: operand has no storage", op);
  if (!isStorage(t.dtype()))
    return makeError("{0}: expected an integer storage tensor, got {1}", op, t.describe());
  return llvm::Error::success();
}

int32_t loadInt(const Tensor &t, int64_t i) {
  switch (t.dtype()) {
  case DType::I8: return t.data<int8_t>()[i];
  case DType::U8: return t.data<uint8_t>()[i];
  case DType::I16: return t.data<int16_t>()[i];
  case DType::U16: return t.data<uint16_t>()[i];
  case DType::I32: return t.data<int32_t>()[i];
  default: return 0;
  }
}

void storeInt(Tensor &t, int64_t i, int32_t v) {
  switch (t.dtype()) {
  case DType::I8: t.data<int8_t>()[i] = (int8_t)v; break;
  case DType::U8: t.data<uint8_t>()[i] = (uint8_t)v; break;
  case DType::I16: t.data<int16_t>()[i] = (int16_t)v; break;
  case DType::U16: t.data<uint16_t>()[i] = (uint16_t)v; break;
  case DType::I32: t.data<int32_t>()[i] = v; break;
  default: break;
  }
}

/// The largest |q - z| the stored integers can give: the storage dtype's
/// range, not the type's (possibly narrower) one, since imported data is not
/// guaranteed to respect the narrower range.
int64_t maxCentered(const QuantParams &p, DType storage) {
  auto [lo, hi] = storageRange(storage);
  int64_t m = 0;
  for (int32_t z : p.zeroPoints)
    m = std::max({m, std::abs(lo - z), std::abs(hi - z)});
  return m;
}

llvm::Error checkParams(const char *op, const char *what, const QuantParams &p,
                        int64_t channels = 1) {
  if (p.scales.empty() || p.scales.size() != p.zeroPoints.size())
    return makeError("{0}: {1} needs as many scales as zero points (got {2} and {3})", op, what,
                     p.scales.size(), p.zeroPoints.size());
  if (!p.perAxis() && p.scales.size() != 1)
    return makeError("{0}: per-tensor {1} has {2} scales", op, what, p.scales.size());
  if (p.perAxis() && (int64_t)p.scales.size() != channels)
    return makeError("{0}: {1} has {2} per-axis scales for {3} channels", op, what,
                     p.scales.size(), channels);
  for (double s : p.scales)
    if (!(s > 0) || !std::isfinite(s))
      return makeError("{0}: {1} has scale {2}; scales must be positive and finite", op, what, s);
  return llvm::Error::success();
}

/// The fixed-point multipliers s_in * s_w[c] / s_out for every channel.
Expected<SmallVector<quant::FixedPointScale>>
channelMultipliers(const char *op, double sIn, const QuantParams &w, int64_t channels,
                   double sOut) {
  SmallVector<quant::FixedPointScale> m;
  for (int64_t c = 0; c < channels; ++c) {
    auto s = quant::computeFixedPointScale(sIn * w.scale(c) / sOut);
    if (!s)
      return makeError("{0}: channel {1}: {2}", op, c, llvm::toString(s.takeError()));
    m.push_back(*s);
  }
  return m;
}

/// Centered 8/16-bit values as int16 (u8 with any zero point still fits).
std::vector<int16_t> centered16(const Tensor &t, const QuantParams &p, int64_t axisInner,
                                int64_t axisSize) {
  std::vector<int16_t> c(t.numElements());
  for (int64_t i = 0; i < t.numElements(); ++i) {
    int64_t ch = p.perAxis() ? (i / axisInner) % axisSize : 0;
    c[i] = (int16_t)(loadInt(t, i) - p.zeroPoint(ch));
  }
  return c;
}

bool fitsInt16(const Tensor &t) {
  return t.dtype() == DType::I8 || t.dtype() == DType::U8;
}

/// Requantizes one accumulator into the output clamp.
inline int32_t finish(int32_t acc, quant::FixedPointScale m, const IntOutput &out) {
  return quant::requantize(acc, m, out.params.zeroPoint(), out.lo, out.hi);
}

/// Outputs are per tensor with a valid scale; checked before any kernel
/// reads them.
llvm::Error checkOut(const char *op, const IntOutput &out) {
  if (out.params.scales.size() != 1 || out.params.zeroPoints.size() != 1)
    return makeError("{0}: outputs are quantized per tensor", op);
  double s = out.params.scales[0];
  if (!(s > 0) || !std::isfinite(s))
    return makeError("{0}: output scale {1} must be positive and finite", op, s);
  if (out.lo > out.hi)
    return makeError("{0}: empty output clamp [{1}, {2}]", op, out.lo, out.hi);
  return llvm::Error::success();
}

/// The checks every two-operand integer kernel starts with: a valid output,
/// storage tensors, 8-bit operands (centered, they fit int16).
llvm::Error checkEightBitOperands(const char *op, const Tensor &a, const Tensor &b,
                                  const IntOutput &out) {
  if (auto err = checkOut(op, out))
    return err;
  if (auto err = checkStorage(op, a))
    return err;
  if (auto err = checkStorage(op, b))
    return err;
  if (!fitsInt16(a) || !fitsInt16(b))
    return makeError("{0}: operands must be 8-bit, got {1} and {2}", op, a.describe(),
                     b.describe());
  return llvm::Error::success();
}

Expected<Tensor> allocOut(const IntOutput &out, ArrayRef<int64_t> shape) {
  if (!isStorage(out.dtype))
    return makeError("integer op: output storage {0} is not an integer type", dtypeName(out.dtype));
  if (out.params.scales.size() != 1 || out.params.zeroPoints.size() != 1)
    return makeError("integer op: outputs are quantized per tensor");
  return Tensor::allocateUninitialized(out.dtype, shape);
}

/// Rejects reductions whose worst case (the real weights, the input range and
/// the bias) could leave int32, instead of wrapping silently.
llvm::Error checkAccumulatorBound(const char *op, int64_t maxX, ArrayRef<int64_t> absWeightSums,
                                  ArrayRef<int64_t> absBias = {}) {
  for (size_t m = 0; m < absWeightSums.size(); ++m) {
    __int128 worst = (__int128)maxX * absWeightSums[m];
    if (!absBias.empty())
      worst += absBias[m];
    if (worst > std::numeric_limits<int32_t>::max())
      return makeError("{0}: output channel {1} can overflow the int32 accumulator (worst case "
                       "{2}); split the reduction or keep the layer in float",
                       op, m, (long long)worst);
  }
  return llvm::Error::success();
}

SmallVector<int64_t> biasMagnitudes(const Tensor *bias) {
  SmallVector<int64_t> m;
  if (bias)
    for (int64_t i = 0; i < bias->numElements(); ++i)
      m.push_back(std::abs((int64_t)loadInt(*bias, i)));
  return m;
}

} // namespace

//===----------------------------------------------------------------------===//
// Quantize, dequantize, requantize
//===----------------------------------------------------------------------===//

static int64_t axisInnerSize(const Tensor &t, int64_t axis) {
  int64_t inner = 1;
  for (int64_t d = axis + 1; d < t.rank(); ++d)
    inner *= t.dim(d);
  return inner;
}

Expected<Tensor> qopt::ref::quantizeTensor(const Tensor &xIn, const QuantParams &p,
                                           DType storage) {
  if (!hasStorage(xIn) || !isFloat(xIn.dtype()))
    return makeError("quantize: expected a float tensor, got {0}", xIn.describe());
  if (!isStorage(storage))
    return makeError("quantize: storage {0} is not an integer type", dtypeName(storage));
  if (p.perAxis() && p.axis >= xIn.rank())
    return makeError("quantize: axis {0} out of range for {1}", p.axis, xIn.describe());
  int64_t channels = p.perAxis() ? xIn.dim(p.axis) : 1;
  if (auto err = checkParams("quantize", "the result", p, channels))
    return std::move(err);
  Tensor x = xIn.dtype() == DType::F32 ? xIn : xIn.castTo(DType::F32);
  auto out = Tensor::allocateUninitialized(storage, x.shape());
  if (!out)
    return out.takeError();
  int64_t inner = p.perAxis() ? axisInnerSize(x, p.axis) : 1;
  const float *xd = x.data<float>();
  for (int64_t i = 0; i < x.numElements(); ++i) {
    int64_t c = p.perAxis() ? (i / inner) % channels : 0;
    storeInt(*out, i, quant::quantize(xd[i], (float)p.scale(c), p.zeroPoint(c), p.qmin, p.qmax));
  }
  return out;
}

Expected<Tensor> qopt::ref::dequantizeTensor(const Tensor &q, const QuantParams &p) {
  if (auto err = checkStorage("dequantize", q))
    return std::move(err);
  if (p.perAxis() && p.axis >= q.rank())
    return makeError("dequantize: axis {0} out of range for {1}", p.axis, q.describe());
  int64_t channels = p.perAxis() ? q.dim(p.axis) : 1;
  if (auto err = checkParams("dequantize", "the operand", p, channels))
    return std::move(err);
  auto out = Tensor::allocateUninitialized(DType::F32, q.shape());
  if (!out)
    return out.takeError();
  int64_t inner = p.perAxis() ? axisInnerSize(q, p.axis) : 1;
  float *yd = out->data<float>();
  for (int64_t i = 0; i < q.numElements(); ++i) {
    int64_t c = p.perAxis() ? (i / inner) % channels : 0;
    // ONNX DequantizeLinear: the difference is exact, the product is f32.
    yd[i] = (float)(loadInt(q, i) - p.zeroPoint(c)) * (float)p.scale(c);
  }
  return out;
}

Expected<Tensor> qopt::ref::requantizeTensor(const Tensor &q, const QuantParams &in,
                                             const IntOutput &out) {
  if (auto err = checkOut("requantize", out))
    return std::move(err);
  if (auto err = checkStorage("requantize", q))
    return std::move(err);
  if (auto err = checkParams("requantize", "the operand", in))
    return std::move(err);
  auto m = quant::computeFixedPointScale(in.scale() / out.params.scale());
  if (!m)
    return makeError("requantize: {0}", llvm::toString(m.takeError()));
  auto y = allocOut(out, q.shape());
  if (!y)
    return y.takeError();
  for (int64_t i = 0; i < q.numElements(); ++i)
    storeInt(*y, i, finish(loadInt(q, i) - in.zeroPoint(), *m, out));
  return y;
}

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

namespace {

/// 1-D convolutions run as 2-D with a unit height.
struct Conv2D {
  int64_t n, c, h, w, m, kh, kw, oh, ow;
  int64_t sh, sw, dh, dw, ph, pw;
};

Expected<Conv2D> conv2DGeometry(const char *op, const Tensor &x, const Tensor &w,
                                const ConvParams &cp, ArrayRef<int64_t> outShape,
                                bool transposed) {
  int64_t ns = x.rank() - 2;
  if (ns < 1 || ns > 2 || w.rank() != x.rank() || (int64_t)outShape.size() != x.rank())
    return makeError("{0}: integer convolutions take 1 or 2 spatial dims (input {1}, weight {2})",
                     op, x.describe(), w.describe());
  if ((int64_t)cp.strides.size() != ns || (int64_t)cp.dilations.size() != ns ||
      (int64_t)cp.pads.size() != 2 * ns || cp.group < 1)
    return makeError("{0}: strides/dilations/pads do not match {1} spatial dims", op, ns);
  Conv2D g;
  g.n = x.dim(0);
  g.c = x.dim(1);
  g.h = ns == 2 ? x.dim(2) : 1;
  g.w = x.dim(x.rank() - 1);
  g.m = outShape[1];
  g.kh = ns == 2 ? w.dim(2) : 1;
  g.kw = w.dim(w.rank() - 1);
  g.oh = ns == 2 ? outShape[2] : 1;
  g.ow = outShape.back();
  g.sh = ns == 2 ? cp.strides[0] : 1;
  g.sw = cp.strides.back();
  g.dh = ns == 2 ? cp.dilations[0] : 1;
  g.dw = cp.dilations.back();
  g.ph = ns == 2 ? cp.pads[0] : 0;
  g.pw = cp.pads[ns - 1];
  if (g.c % cp.group || g.m % cp.group)
    return makeError("{0}: channels {1} -> {2} not divisible by group {3}", op, g.c, g.m,
                     cp.group);
  int64_t wantIn = transposed ? g.c : g.c / cp.group;
  int64_t wantOut = transposed ? g.m / cp.group : g.m;
  if (transposed ? (w.dim(0) != wantIn || w.dim(1) != wantOut)
                 : (w.dim(0) != wantOut || w.dim(1) != wantIn))
    return makeError("{0}: weight {1} does not fit input {2} and group {3}", op, w.describe(),
                     x.describe(), cp.group);
  // The loops trust outShape: a batch or spatial size other than the one the
  // attributes infer would write past the result or compute the wrong windows.
  if (!cp.outputPadding.empty() && (int64_t)cp.outputPadding.size() != ns)
    return makeError("{0}: output_padding does not match {1} spatial dims", op, ns);
  if (outShape[0] != g.n)
    return makeError("{0}: output shape {1} does not fit input {2}", op, shapeStr(outShape),
                     x.describe());
  for (int64_t i = 0; i < ns; ++i) {
    int64_t s = cp.strides[i], d = cp.dilations[i], pb = cp.pads[i], pe = cp.pads[ns + i];
    if (s < 1 || d < 1)
      return makeError("{0}: strides and dilations must be positive", op);
    int64_t in = x.dim(2 + i), extent = d * (w.dim(2 + i) - 1) + 1;
    int64_t outPad = cp.outputPadding.empty() ? 0 : cp.outputPadding[i];
    if (!transposed && in + pb + pe < extent)
      return makeError("{0}: kernel extent {1} exceeds the padded input size {2}", op, extent,
                       in + pb + pe);
    int64_t want = transposed ? s * (in - 1) + outPad + extent - pb - pe
                              : (in + pb + pe - extent) / s + 1;
    if (outShape[2 + i] != want)
      return makeError("{0}: output shape {1} does not match the inferred size {2} of spatial "
                       "dim {3}",
                       op, shapeStr(outShape), want, i);
  }
  return g;
}

llvm::Error checkBias(const char *op, const Tensor *bias, int64_t m) {
  if (!bias)
    return llvm::Error::success();
  if (bias->dtype() != DType::I32 || bias->numElements() != m)
    return makeError("{0}: bias must be int32 with {1} elements, got {2}", op, m,
                     bias->describe());
  return llvm::Error::success();
}

} // namespace

Expected<Tensor> qopt::ref::intConv(const Tensor &x, const QuantParams &xp, const Tensor &w,
                                    const QuantParams &wp, const Tensor *bias,
                                    const ConvParams &cp, ArrayRef<int64_t> outShape,
                                    const IntOutput &out) {
  const char *op = "integer Conv";
  if (auto err = checkEightBitOperands(op, x, w, out))
    return std::move(err);
  auto geo = conv2DGeometry(op, x, w, cp, outShape, false);
  if (!geo)
    return geo.takeError();
  const Conv2D g = *geo;
  if (wp.perAxis() && wp.axis != 0)
    return makeError("{0}: per-axis weights must be quantized along axis 0, got {1}", op,
                     wp.axis);
  if (auto err = checkParams(op, "input", xp))
    return std::move(err);
  if (auto err = checkParams(op, "weight", wp, g.m))
    return std::move(err);
  if (auto err = checkBias(op, bias, g.m))
    return std::move(err);
  auto mult = channelMultipliers(op, xp.scale(), wp, g.m, out.params.scale());
  if (!mult)
    return mult.takeError();

  const int64_t groups = cp.group, cg = g.c / groups, mg = g.m / groups;
  const int64_t k = cg * g.kh * g.kw, p = g.oh * g.ow;
  std::vector<int16_t> wc = centered16(w, wp, k, g.m);
  SmallVector<int64_t> absSums(g.m, 0);
  for (int64_t m = 0; m < g.m; ++m)
    for (int64_t i = 0; i < k; ++i)
      absSums[m] += std::abs(wc[m * k + i]);
  if (auto err = checkAccumulatorBound(op, maxCentered(xp, x.dtype()), absSums, biasMagnitudes(bias)))
    return std::move(err);

  auto y = allocOut(out, outShape);
  if (!y)
    return y.takeError();
  std::vector<int16_t> xc = centered16(x, xp, 1, 1);
  std::vector<int16_t> col(k * p);
  std::vector<int32_t> acc(p);
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t gr = 0; gr < groups; ++gr) {
      // im2col of the centered input; taps in the padding are the real 0.
      for (int64_t c = 0; c < cg; ++c)
        for (int64_t i = 0; i < g.kh; ++i)
          for (int64_t j = 0; j < g.kw; ++j) {
            int16_t *dst = &col[((c * g.kh + i) * g.kw + j) * p];
            const int16_t *src = &xc[((n * g.c + gr * cg + c) * g.h) * g.w];
            for (int64_t oy = 0; oy < g.oh; ++oy) {
              int64_t iy = oy * g.sh - g.ph + i * g.dh;
              for (int64_t ox = 0; ox < g.ow; ++ox) {
                int64_t ix = ox * g.sw - g.pw + j * g.dw;
                bool inside = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
                dst[oy * g.ow + ox] = inside ? src[iy * g.w + ix] : 0;
              }
            }
          }
      for (int64_t mi = 0; mi < mg; ++mi) {
        int64_t m = gr * mg + mi;
        int32_t b = bias ? bias->data<int32_t>()[m] : 0;
        std::fill(acc.begin(), acc.end(), b);
        const int16_t *wrow = &wc[m * k];
        for (int64_t kk = 0; kk < k; ++kk) {
          int32_t wv = wrow[kk];
          if (!wv)
            continue;
          const int16_t *crow = &col[kk * p];
          for (int64_t q = 0; q < p; ++q)
            acc[q] += wv * (int32_t)crow[q];
        }
        int64_t base = (n * g.m + m) * p;
        for (int64_t q = 0; q < p; ++q)
          storeInt(*y, base + q, finish(acc[q], (*mult)[m], out));
      }
    }
  return y;
}

Expected<Tensor> qopt::ref::intConvTranspose(const Tensor &x, const QuantParams &xp,
                                             const Tensor &w, const QuantParams &wp,
                                             const Tensor *bias, const ConvParams &cp,
                                             ArrayRef<int64_t> outShape, const IntOutput &out) {
  const char *op = "integer ConvTranspose";
  if (auto err = checkEightBitOperands(op, x, w, out))
    return std::move(err);
  auto geo = conv2DGeometry(op, x, w, cp, outShape, true);
  if (!geo)
    return geo.takeError();
  const Conv2D g = *geo;
  const int64_t groups = cp.group, cg = g.c / groups, mg = g.m / groups;
  if (wp.perAxis() && wp.axis != 1)
    return makeError("{0}: per-axis weights must be quantized along axis 1, got {1}", op,
                     wp.axis);
  if (auto err = checkParams(op, "input", xp))
    return std::move(err);
  if (auto err = checkParams(op, "weight", wp, mg))
    return std::move(err);
  if (auto err = checkBias(op, bias, g.m))
    return std::move(err);
  // Weight scale index is the output channel within its group (axis 1).
  SmallVector<quant::FixedPointScale> mult;
  for (int64_t m = 0; m < g.m; ++m) {
    auto s = quant::computeFixedPointScale(xp.scale() * wp.scale(m % mg) / out.params.scale());
    if (!s)
      return makeError("{0}: channel {1}: {2}", op, m, llvm::toString(s.takeError()));
    mult.push_back(*s);
  }
  const int64_t kk = g.kh * g.kw;
  std::vector<int16_t> wc = centered16(w, wp, kk, mg);
  // Worst case per output channel: every input channel of the group hits
  // every tap.
  SmallVector<int64_t> absSums(g.m, 0);
  for (int64_t c = 0; c < g.c; ++c)
    for (int64_t mi = 0; mi < mg; ++mi)
      for (int64_t t = 0; t < kk; ++t)
        absSums[(c / cg) * mg + mi] += std::abs(wc[(c * mg + mi) * kk + t]);
  if (auto err = checkAccumulatorBound(op, maxCentered(xp, x.dtype()), absSums, biasMagnitudes(bias)))
    return std::move(err);
  auto y = allocOut(out, outShape);
  if (!y)
    return y.takeError();
  std::vector<int16_t> xc = centered16(x, xp, 1, 1);
  const int64_t p = g.oh * g.ow;
  std::vector<int32_t> acc(g.m * p);
  for (int64_t n = 0; n < g.n; ++n) {
    for (int64_t m = 0; m < g.m; ++m)
      std::fill(acc.begin() + m * p, acc.begin() + (m + 1) * p,
                bias ? bias->data<int32_t>()[m] : 0);
    for (int64_t c = 0; c < g.c; ++c) {
      int64_t gr = c / cg;
      const int16_t *src = &xc[(n * g.c + c) * g.h * g.w];
      for (int64_t mi = 0; mi < mg; ++mi) {
        int32_t *dst = &acc[(gr * mg + mi) * p];
        const int16_t *wk = &wc[(c * mg + mi) * kk];
        for (int64_t iy = 0; iy < g.h; ++iy)
          for (int64_t ix = 0; ix < g.w; ++ix) {
            int32_t xv = src[iy * g.w + ix];
            if (!xv)
              continue;
            for (int64_t i = 0; i < g.kh; ++i) {
              int64_t oy = iy * g.sh - g.ph + i * g.dh;
              if (oy < 0 || oy >= g.oh)
                continue;
              for (int64_t j = 0; j < g.kw; ++j) {
                int64_t ox = ix * g.sw - g.pw + j * g.dw;
                if (ox >= 0 && ox < g.ow)
                  dst[oy * g.ow + ox] += xv * (int32_t)wk[i * g.kw + j];
              }
            }
          }
      }
    }
    for (int64_t m = 0; m < g.m; ++m)
      for (int64_t q = 0; q < p; ++q)
        storeInt(*y, (n * g.m + m) * p + q, finish(acc[m * p + q], mult[m], out));
  }
  return y;
}

//===----------------------------------------------------------------------===//
// Matrix products
//===----------------------------------------------------------------------===//

namespace {

/// acc[M, N] = A'[M, K] B'[K, N] over centered operands given with strides, so
/// transposed and batched views share one loop.
void centeredGemm(const int16_t *a, int64_t lda_m, int64_t lda_k, const int16_t *b,
                  int64_t ldb_k, int64_t ldb_n, int64_t M, int64_t N, int64_t K, int32_t *acc) {
  for (int64_t i = 0; i < M; ++i) {
    int32_t *row = acc + i * N;
    for (int64_t kk = 0; kk < K; ++kk) {
      int32_t av = a[i * lda_m + kk * lda_k];
      if (!av)
        continue;
      const int16_t *brow = b + kk * ldb_k;
      if (ldb_n == 1)
        for (int64_t j = 0; j < N; ++j)
          row[j] += av * (int32_t)brow[j];
      else
        for (int64_t j = 0; j < N; ++j)
          row[j] += av * (int32_t)brow[j * ldb_n];
    }
  }
}

/// Sum over k of |b'[k, n]| per column, for the accumulator bound.
SmallVector<int64_t> columnAbsSums(const int16_t *b, int64_t ldb_k, int64_t ldb_n, int64_t K,
                                   int64_t N) {
  SmallVector<int64_t> s(N, 0);
  for (int64_t kk = 0; kk < K; ++kk)
    for (int64_t j = 0; j < N; ++j)
      s[j] += std::abs(b[kk * ldb_k + j * ldb_n]);
  return s;
}

} // namespace

Expected<Tensor> qopt::ref::intMatMul(const Tensor &aIn, const QuantParams &ap,
                                      const Tensor &bIn, const QuantParams &bp,
                                      ArrayRef<int64_t> outShape, const IntOutput &out) {
  const char *op = "integer MatMul";
  if (auto err = checkEightBitOperands(op, aIn, bIn, out))
    return std::move(err);
  if (aIn.rank() < 1 || bIn.rank() < 1)
    return makeError("{0}: operands must have rank >= 1", op);
  // NumPy 1-D promotion.
  SmallVector<int64_t> as(aIn.shape()), bs(bIn.shape());
  if (as.size() == 1)
    as.insert(as.begin(), 1);
  if (bs.size() == 1)
    bs.push_back(1);
  Tensor a = aIn.reshaped(as), b = bIn.reshaped(bs);
  int64_t M = as[as.size() - 2], K = as.back(), N = bs.back();
  if (bs[bs.size() - 2] != K)
    return makeError("{0}: inner dims differ: {1} x {2}", op, aIn.describe(), bIn.describe());
  if (bp.perAxis() && bp.axis != bIn.rank() - 1)
    return makeError("{0}: per-axis B must be quantized along its last axis", op);
  if (auto err = checkParams(op, "A", ap))
    return std::move(err);
  if (auto err = checkParams(op, "B", bp, N))
    return std::move(err);
  // Broadcast batch dims.
  size_t batchRank = std::max(as.size(), bs.size()) - 2;
  SmallVector<int64_t> batch(batchRank, 1), aStride(batchRank, 0), bStride(batchRank, 0);
  int64_t aMat = M * K, bMat = K * N, aS = aMat, bS = bMat;
  for (size_t i = 0; i < batchRank; ++i) {
    size_t d = batchRank - 1 - i;
    int64_t ad = i < as.size() - 2 ? as[as.size() - 3 - i] : 1;
    int64_t bd = i < bs.size() - 2 ? bs[bs.size() - 3 - i] : 1;
    if (ad != bd && ad != 1 && bd != 1)
      return makeError("{0}: batch dims do not broadcast: {1} x {2}", op, aIn.describe(),
                       bIn.describe());
    batch[d] = std::max(ad, bd);
    aStride[d] = ad == 1 ? 0 : aS;
    bStride[d] = bd == 1 ? 0 : bS;
    aS *= ad;
    bS *= bd;
  }
  int64_t batches = 1;
  for (int64_t d : batch)
    batches *= d;
  if (batches * M * N != [&] {
        int64_t e = 1;
        for (int64_t d : outShape)
          e *= d;
        return e;
      }())
    return makeError("{0}: output shape {1} does not fit {2} x {3}", op, shapeStr(outShape),
                     aIn.describe(), bIn.describe());
  auto mult = channelMultipliers(op, ap.scale(), bp, N, out.params.scale());
  if (!mult)
    return mult.takeError();
  std::vector<int16_t> ac = centered16(a, ap, 1, 1);
  std::vector<int16_t> bc = centered16(b, bp, 1, N);
  // The bound over every batch of B.
  SmallVector<int64_t> absSums(N, 0);
  for (int64_t off = 0; off < (int64_t)bc.size(); off += bMat) {
    auto s = columnAbsSums(&bc[off], N, 1, K, N);
    for (int64_t j = 0; j < N; ++j)
      absSums[j] = std::max(absSums[j], s[j]);
  }
  if (auto err = checkAccumulatorBound(op, maxCentered(ap, a.dtype()), absSums))
    return std::move(err);
  auto y = allocOut(out, outShape);
  if (!y)
    return y.takeError();
  std::vector<int32_t> acc(M * N);
  for (int64_t bi = 0; bi < batches; ++bi) {
    int64_t aOff = 0, bOff = 0, rem = bi;
    for (int64_t d = batchRank - 1; d >= 0; --d) {
      int64_t idx = rem % batch[d];
      rem /= batch[d];
      aOff += idx * aStride[d];
      bOff += idx * bStride[d];
    }
    std::fill(acc.begin(), acc.end(), 0);
    centeredGemm(&ac[aOff], K, 1, &bc[bOff], N, 1, M, N, K, acc.data());
    for (int64_t i = 0; i < M * N; ++i)
      storeInt(*y, bi * M * N + i, finish(acc[i], (*mult)[i % N], out));
  }
  return y;
}

Expected<Tensor> qopt::ref::intGemm(const Tensor &a, const QuantParams &ap, const Tensor &b,
                                    const QuantParams &bp, const Tensor *c, bool transA,
                                    bool transB, const IntOutput &out) {
  const char *op = "integer Gemm";
  if (auto err = checkOut(op, out))
    return std::move(err);
  if (auto err = checkStorage(op, a))
    return std::move(err);
  if (auto err = checkStorage(op, b))
    return std::move(err);
  if (!fitsInt16(a) || !fitsInt16(b) || a.rank() != 2 || b.rank() != 2)
    return makeError("{0}: operands must be 8-bit matrices, got {1} and {2}", op, a.describe(),
                     b.describe());
  int64_t M = transA ? a.dim(1) : a.dim(0), K = transA ? a.dim(0) : a.dim(1);
  int64_t N = transB ? b.dim(0) : b.dim(1);
  if ((transB ? b.dim(1) : b.dim(0)) != K)
    return makeError("{0}: inner dims differ: {1} x {2}", op, a.describe(), b.describe());
  int64_t nAxis = transB ? 0 : 1;
  if (bp.perAxis() && bp.axis != nAxis)
    return makeError("{0}: per-axis B must be quantized along axis {1} (its N dim)", op, nAxis);
  if (auto err = checkParams(op, "A", ap))
    return std::move(err);
  if (auto err = checkParams(op, "B", bp, N))
    return std::move(err);
  if (c && (c->dtype() != DType::I32 ||
            (c->numElements() != 1 && c->numElements() != N && c->numElements() != M * N)))
    return makeError("{0}: C must be int32 with 1, N or M*N elements, got {1}", op,
                     c->describe());
  auto mult = channelMultipliers(op, ap.scale(), bp, N, out.params.scale());
  if (!mult)
    return mult.takeError();
  std::vector<int16_t> ac = centered16(a, ap, 1, 1);
  std::vector<int16_t> bc = centered16(b, bp, transB ? K : 1, N);
  int64_t ldbK = transB ? 1 : N, ldbN = transB ? K : 1;
  SmallVector<int64_t> absSums = columnAbsSums(bc.data(), ldbK, ldbN, K, N);
  auto cAt = [&](int64_t i) {
    int64_t n = c->numElements();
    return c->data<int32_t>()[n == 1 ? 0 : n == N ? i % N : i];
  };
  SmallVector<int64_t> absBias;
  if (c) {
    absBias.assign(N, 0);
    for (int64_t i = 0; i < M * N; ++i)
      absBias[i % N] = std::max<int64_t>(absBias[i % N], std::abs((int64_t)cAt(i)));
  }
  if (auto err = checkAccumulatorBound(op, maxCentered(ap, a.dtype()), absSums, absBias))
    return std::move(err);
  auto y = allocOut(out, {M, N});
  if (!y)
    return y.takeError();
  std::vector<int32_t> acc(M * N, 0);
  if (c)
    for (int64_t i = 0; i < M * N; ++i)
      acc[i] = cAt(i);
  centeredGemm(ac.data(), transA ? 1 : K, transA ? M : 1, bc.data(), ldbK, ldbN, M, N, K,
               acc.data());
  for (int64_t i = 0; i < M * N; ++i)
    storeInt(*y, i, finish(acc[i], (*mult)[i % N], out));
  return y;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

static constexpr int kAddShift = 20;

Expected<Tensor> qopt::ref::intAdd(const Tensor &a, const QuantParams &ap, const Tensor &b,
                                   const QuantParams &bp, ArrayRef<int64_t> outShape,
                                   const IntOutput &out) {
  const char *op = "integer Add";
  if (auto err = checkEightBitOperands(op, a, b, out))
    return std::move(err);
  if (auto err = checkParams(op, "A", ap))
    return std::move(err);
  if (auto err = checkParams(op, "B", bp))
    return std::move(err);
  double twiceMax = 2 * std::max(ap.scale(), bp.scale());
  auto ma = quant::computeFixedPointScale(ap.scale() / twiceMax);
  auto mb = quant::computeFixedPointScale(bp.scale() / twiceMax);
  auto my = quant::computeFixedPointScale(twiceMax / (double(1 << kAddShift) * out.params.scale()));
  if (!ma || !mb || !my) {
    llvm::consumeError(ma.takeError());
    llvm::consumeError(mb.takeError());
    llvm::consumeError(my.takeError());
    return makeError("{0}: scales {1}, {2} -> {3} are out of the fixed-point range", op,
                     ap.scale(), bp.scale(), out.params.scale());
  }
  // |q - z| < 2^8, shifted by 20 and halved at most: every term fits int32.
  auto lift = [&](const Tensor &t, const QuantParams &p,
                  quant::FixedPointScale m) -> Expected<Tensor> {
    auto r = Tensor::allocateUninitialized(DType::I32, t.shape());
    if (!r)
      return r.takeError();
    for (int64_t i = 0; i < t.numElements(); ++i)
      r->data<int32_t>()[i] =
          quant::applyScale((loadInt(t, i) - p.zeroPoint()) * (1 << kAddShift), m);
    return r;
  };
  auto la = lift(a, ap, *ma);
  if (!la)
    return la.takeError();
  auto lb = lift(b, bp, *mb);
  if (!lb)
    return lb.takeError();
  auto sum = binary(BinaryKind::Add, *la, *lb, outShape);
  if (!sum)
    return sum.takeError();
  auto y = allocOut(out, outShape);
  if (!y)
    return y.takeError();
  for (int64_t i = 0; i < sum->numElements(); ++i)
    storeInt(*y, i, finish(sum->data<int32_t>()[i], *my, out));
  return y;
}

Expected<Tensor> qopt::ref::intMul(const Tensor &a, const QuantParams &ap, const Tensor &b,
                                   const QuantParams &bp, ArrayRef<int64_t> outShape,
                                   const IntOutput &out) {
  const char *op = "integer Mul";
  if (auto err = checkEightBitOperands(op, a, b, out))
    return std::move(err);
  if (auto err = checkParams(op, "A", ap))
    return std::move(err);
  if (auto err = checkParams(op, "B", bp))
    return std::move(err);
  auto my = quant::computeFixedPointScale(ap.scale() * bp.scale() / out.params.scale());
  if (!my)
    return makeError("{0}: {1}", op, llvm::toString(my.takeError()));
  auto center = [&](const Tensor &t, const QuantParams &p) -> Expected<Tensor> {
    auto r = Tensor::allocateUninitialized(DType::I32, t.shape());
    if (!r)
      return r.takeError();
    for (int64_t i = 0; i < t.numElements(); ++i)
      r->data<int32_t>()[i] = loadInt(t, i) - p.zeroPoint();
    return r;
  };
  auto ca = center(a, ap);
  if (!ca)
    return ca.takeError();
  auto cb = center(b, bp);
  if (!cb)
    return cb.takeError();
  auto prod = binary(BinaryKind::Mul, *ca, *cb, outShape);
  if (!prod)
    return prod.takeError();
  auto y = allocOut(out, outShape);
  if (!y)
    return y.takeError();
  for (int64_t i = 0; i < prod->numElements(); ++i)
    storeInt(*y, i, finish(prod->data<int32_t>()[i], *my, out));
  return y;
}

//===----------------------------------------------------------------------===//
// Tables
//===----------------------------------------------------------------------===//

Expected<UnaryTable> qopt::ref::buildUnaryTable(UnaryKind kind, const UnaryParams &params,
                                                const QuantParams &in, DType inDType,
                                                const IntOutput &out) {
  if (auto err = checkOut("table lookup", out))
    return std::move(err);
  if (inDType != DType::I8 && inDType != DType::U8)
    return makeError("table lookup needs an 8-bit input, got {0}", dtypeName(inDType));
  if (auto err = checkParams("table lookup", "input", in))
    return std::move(err);
  auto [qmin, qmax] = storageRange(inDType);
  Tensor q(inDType, {256});
  for (int64_t i = 0; i < 256; ++i)
    storeInt(q, i, (int32_t)(qmin + i));
  (void)qmax;
  auto real = dequantizeTensor(q, in);
  if (!real)
    return real.takeError();
  auto fx = unary(kind, *real, params);
  if (!fx)
    return fx.takeError();
  UnaryTable table;
  for (int64_t i = 0; i < 256; ++i)
    table[i] = quant::quantize(fx->data<float>()[i], (float)out.params.scale(),
                               out.params.zeroPoint(), out.lo, out.hi);
  return table;
}

Expected<Tensor> qopt::ref::applyUnaryTable(const Tensor &x, const UnaryTable &table,
                                            const IntOutput &out) {
  if (auto err = checkOut("table lookup", out))
    return std::move(err);
  if (x.dtype() != DType::I8 && x.dtype() != DType::U8)
    return makeError("table lookup needs an 8-bit input, got {0}", x.describe());
  auto y = allocOut(out, x.shape());
  if (!y)
    return y.takeError();
  int32_t qmin = storageRange(x.dtype()).first;
  for (int64_t i = 0; i < x.numElements(); ++i)
    storeInt(*y, i, table[loadInt(x, i) - qmin]);
  return y;
}
