//===- Pooling.cpp - Max, average and global pooling kernels ---*- C++ -*-===//
//
// Windows start at o * stride - pad_begin and take `kernel` taps `dilation`
// apart. Each spatial dim gets a precomputed table of the taps that land in
// the input and of those that land in the padded bounds [-pad_begin,
// in + pad_end); the 1 to 3 spatial dims are handled as 3 with leading
// singletons.
//
//===----------------------------------------------------------------------===//

#include "qopt/Reference/Kernels.h"
#include "KernelSupport.h"
#include "qopt/Quant/RowReduction.h"
#include "qopt/Quant/Arithmetic.h"
#include "qopt/Reference/IntegerKernels.h"

#include "llvm/ADT/DenseMap.h"

#include "llvm/Support/FormatVariadic.h"

#include <array>
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

constexpr int64_t kMaxSpatial = int64_t(1) << 31;

/// Per output coordinate of one spatial dim: the first input coordinate of
/// the window, the taps [lo, hi) that land in the input, and the number of
/// taps inside the padded bounds.
struct DimTaps {
  int64_t in = 1, out = 1, dil = 1;
  SmallVector<int64_t> start, lo, hi, padCount;
};

DimTaps makeDimTaps(int64_t in, int64_t out, int64_t k, int64_t s, int64_t d, int64_t pb,
                    int64_t pe) {
  DimTaps t;
  t.in = in;
  t.out = out;
  t.dil = d;
  for (int64_t o = 0; o < out; ++o) {
    int64_t start = o * s - pb;
    int64_t lo = std::max<int64_t>(0, ceilDiv(-start, d));
    int64_t hi = std::min<int64_t>(k, floorDiv(in - 1 - start, d) + 1);
    int64_t plo = std::max<int64_t>(0, ceilDiv(-pb - start, d));
    int64_t phi = std::min<int64_t>(k, floorDiv(in + pe - 1 - start, d) + 1);
    t.start.push_back(start);
    t.lo.push_back(lo);
    t.hi.push_back(std::max(hi, lo));
    t.padCount.push_back(std::max<int64_t>(0, phi - plo));
  }
  return t;
}

/// Validates the pooling geometry and builds the three tap tables.
Expected<std::array<DimTaps, 3>> makePoolTaps(StringRef op, const Tensor &x, const PoolParams &p,
                                              ArrayRef<int64_t> outShape) {
  if (x.rank() < 3 || x.rank() > 5)
    return makeError("{0}: input {1} must have 1 to 3 spatial dims", op, x.describe());
  size_t ns = x.rank() - 2;
  if ((int64_t)outShape.size() != x.rank() || outShape[0] != x.dim(0) || outShape[1] != x.dim(1))
    return makeError("{0}: output shape {1} does not fit input {2}", op, shapeStr(outShape),
                     x.describe());
  if (p.kernel.size() != ns)
    return makeError("{0}: kernel_shape has {1} values for {2} spatial dims", op, p.kernel.size(),
                     ns);
  if ((!p.strides.empty() && p.strides.size() != ns) ||
      (!p.dilations.empty() && p.dilations.size() != ns) ||
      (!p.pads.empty() && p.pads.size() != 2 * ns))
    return makeError("{0}: strides/dilations/pads sizes do not match {1} spatial dims", op, ns);
  std::array<DimTaps, 3> taps;
  size_t off = 3 - ns;
  for (size_t i = 0; i < ns; ++i) {
    int64_t in = x.dim(2 + i), out = outShape[2 + i], k = p.kernel[i];
    int64_t s = p.strides.empty() ? 1 : p.strides[i];
    int64_t d = p.dilations.empty() ? 1 : p.dilations[i];
    int64_t pb = p.pads.empty() ? 0 : p.pads[i], pe = p.pads.empty() ? 0 : p.pads[ns + i];
    if (k < 1 || k > kMaxSpatial || s < 1 || s > kMaxSpatial || d < 1 || d > kMaxSpatial)
      return makeError("{0}: kernel {1}, stride {2} and dilation {3} must be in [1, 2^31]", op, k,
                       s, d);
    if (pb < 0 || pe < 0 || pb > kMaxSpatial || pe > kMaxSpatial)
      return makeError("{0}: pads ({1}, {2}) must be in [0, 2^31]", op, pb, pe);
    if (in > kMaxSpatial || out < 0 || out > kMaxSpatial)
      return makeError("{0}: spatial dims {1} -> {2} out of range", op, in, out);
    int64_t extent = d * (k - 1) + 1, room = in + pb + pe - extent;
    if (room < 0)
      return makeError("{0}: window extent {1} exceeds the padded input size {2} in spatial dim "
                       "{3}",
                       op, extent, in + pb + pe, i);
    // ceil_mode may add one window that starts inside the input or left pad.
    int64_t lo = room / s + 1, hi = ceilDiv(room, s) + 1;
    if (out < lo || out > hi)
      return makeError("{0}: output size {1} in spatial dim {2} is neither the floor ({3}) nor "
                       "the ceil ({4}) size",
                       op, out, i, lo, hi);
    taps[off + i] = makeDimTaps(in, out, k, s, d, pb, pe);
  }
  for (size_t i = 0; i < off; ++i)
    taps[i] = makeDimTaps(1, 1, 1, 1, 1, 0, 0);
  return taps;
}

template <typename T> T lowestValue() {
  if constexpr (std::is_floating_point_v<T>)
    return -std::numeric_limits<T>::infinity();
  else
    return std::numeric_limits<T>::lowest();
}

/// Stores `reduce(plane, od, oh, ow)` for every output element of the N*C planes.
template <typename T, typename R, typename Reduce>
void poolPlanes(const Tensor &x, Tensor &y, const std::array<DimTaps, 3> &t, Reduce reduce) {
  const DimTaps &td = t[0], &th = t[1], &tw = t[2];
  const int64_t planes = x.dim(0) * x.dim(1);
  const int64_t inPlane = td.in * th.in * tw.in, outPlane = td.out * th.out * tw.out;
  const T *xd = x.data<T>();
  R *yd = y.data<R>();
  for (int64_t pl = 0; pl < planes; ++pl) {
    const T *src = xd + pl * inPlane;
    R *dst = yd + pl * outPlane;
    for (int64_t od = 0; od < td.out; ++od)
      for (int64_t oh = 0; oh < th.out; ++oh)
        for (int64_t ow = 0; ow < tw.out; ++ow)
          *dst++ = reduce(src, od, oh, ow);
  }
}

} // namespace

Expected<Tensor> qopt::ref::maxPool(const Tensor &xIn, const PoolParams &p,
                                    ArrayRef<int64_t> outShape) {
  if (!hasStorage(xIn))
    return makeError("MaxPool: input has no storage");
  if (xIn.dtype() == DType::Bool)
    return makeError("MaxPool does not accept bool tensors");
  auto taps = makePoolTaps("MaxPool", xIn, p, outShape);
  if (!taps)
    return taps.takeError();
  Tensor x = widen(xIn);
  auto out = Tensor::allocate(x.dtype(), outShape);
  if (!out)
    return out.takeError();
  const auto &t = *taps;
  auto run = [&](auto tag) {
    using T = typename decltype(tag)::type;
    const int64_t iH = t[1].in, iW = t[2].in;
    poolPlanes<T, T>(x, *out, t, [&](const T *src, int64_t od, int64_t oh, int64_t ow) {
      T m = lowestValue<T>();
      for (int64_t jd = t[0].lo[od]; jd < t[0].hi[od]; ++jd) {
        int64_t id = t[0].start[od] + jd * t[0].dil;
        for (int64_t jh = t[1].lo[oh]; jh < t[1].hi[oh]; ++jh) {
          int64_t base = (id * iH + t[1].start[oh] + jh * t[1].dil) * iW + t[2].start[ow];
          for (int64_t jw = t[2].lo[ow]; jw < t[2].hi[ow]; ++jw) {
            T v = src[base + jw * t[2].dil];
            if (v > m)
              m = v;
          }
        }
      }
      return m;
    });
  };
  if (!visitNumeric(x.dtype(), run))
    return makeError("MaxPool does not support {0}", xIn.describe());
  if (out->dtype() != xIn.dtype())
    return out->castTo(xIn.dtype());
  return out;
}

Expected<Tensor> qopt::ref::maxPoolIndices(const Tensor &xIn, const PoolParams &p,
                                           ArrayRef<int64_t> outShape, bool columnMajor) {
  if (!hasStorage(xIn))
    return makeError("MaxPool: input has no storage");
  auto taps = makePoolTaps("MaxPool", xIn, p, outShape);
  if (!taps)
    return taps.takeError();
  auto maxima = maxPool(xIn, p, outShape);
  if (!maxima)
    return maxima.takeError();
  Tensor x = widen(xIn), m = widen(*maxima);
  auto out = Tensor::allocate(DType::I64, outShape);
  if (!out)
    return out.takeError();
  const auto &t = *taps;
  const int64_t iD = t[0].in, iH = t[1].in, iW = t[2].in, inPlane = iD * iH * iW;
  auto run = [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *mx = m.data<T>();
    int64_t *dst = out->data<int64_t>();
    const int64_t planes = x.dim(0) * x.dim(1);
    for (int64_t pl = 0; pl < planes; ++pl) {
      const T *src = x.data<T>() + pl * inPlane;
      for (int64_t od = 0; od < t[0].out; ++od)
        for (int64_t oh = 0; oh < t[1].out; ++oh)
          for (int64_t ow = 0; ow < t[2].out; ++ow) {
            T best = *mx++;
            int64_t found = -1;
            bool exact = false;
            for (int64_t jd = t[0].lo[od]; jd < t[0].hi[od] && !exact; ++jd)
              for (int64_t jh = t[1].lo[oh]; jh < t[1].hi[oh] && !exact; ++jh)
                for (int64_t jw = t[2].lo[ow]; jw < t[2].hi[ow] && !exact; ++jw) {
                  int64_t id = t[0].start[od] + jd * t[0].dil;
                  int64_t ih = t[1].start[oh] + jh * t[1].dil;
                  int64_t iw = t[2].start[ow] + jw * t[2].dil;
                  exact = src[(id * iH + ih) * iW + iw] == best;
                  if (found < 0 || exact)
                    found = columnMajor ? (iw * iH + ih) * iD + id : (id * iH + ih) * iW + iw;
                }
            *dst++ = pl * inPlane + found;
          }
    }
  };
  if (!visitNumeric(x.dtype(), run))
    return makeError("MaxPool does not support {0}", xIn.describe());
  return out;
}

Expected<Tensor> qopt::ref::maxUnpool(const Tensor &x, const Tensor &indices,
                                      ArrayRef<int64_t> outShape) {
  if (!hasStorage(x) || !hasStorage(indices))
    return makeError("MaxUnpool: operand has no storage");
  if (indices.dtype() != DType::I64 || indices.shape() != x.shape())
    return makeError("MaxUnpool: indices {0} must be int64 of the input's shape {1}",
                     indices.describe(), x.describe());
  auto out = Tensor::allocate(x.dtype(), outShape);
  if (!out)
    return out.takeError();
  size_t elt = dtypeSize(x.dtype());
  int64_t total = out->numElements();
  for (int64_t i = 0; i < x.numElements(); ++i) {
    int64_t f = indices.getAsInt(i);
    if (f < 0 || f >= total)
      return makeError("MaxUnpool: index {0} at position {1} is outside the result {2}", f, i,
                       shapeStr(outShape));
    std::memcpy(out->bytes() + f * elt, x.bytes() + i * elt, elt);
  }
  return out;
}

Expected<Tensor> qopt::ref::avgPool(const Tensor &xIn, const PoolParams &p,
                                    ArrayRef<int64_t> outShape) {
  if (!hasStorage(xIn))
    return makeError("AveragePool: input has no storage");
  if (!isFloat(xIn.dtype()))
    return makeError("AveragePool requires a float tensor, got {0}", xIn.describe());
  auto taps = makePoolTaps("AveragePool", xIn, p, outShape);
  if (!taps)
    return taps.takeError();
  Tensor x = widen(xIn);
  auto out = Tensor::allocate(x.dtype(), outShape);
  if (!out)
    return out.takeError();
  const auto &t = *taps;
  bool includePad = p.countIncludePad;
  auto run = [&](auto tag) {
    using T = typename decltype(tag)::type;
    const int64_t iH = t[1].in, iW = t[2].in;
    poolPlanes<T, T>(x, *out, t, [&](const T *src, int64_t od, int64_t oh, int64_t ow) {
      // In the tensor's type and the window's order, as the GPU kernels.
      T sum = 0;
      for (int64_t jd = t[0].lo[od]; jd < t[0].hi[od]; ++jd) {
        int64_t id = t[0].start[od] + jd * t[0].dil;
        for (int64_t jh = t[1].lo[oh]; jh < t[1].hi[oh]; ++jh) {
          int64_t base = (id * iH + t[1].start[oh] + jh * t[1].dil) * iW + t[2].start[ow];
          for (int64_t jw = t[2].lo[ow]; jw < t[2].hi[ow]; ++jw)
            sum += src[base + jw * t[2].dil];
        }
      }
      int64_t count =
          includePad ? t[0].padCount[od] * t[1].padCount[oh] * t[2].padCount[ow]
                     : (t[0].hi[od] - t[0].lo[od]) * (t[1].hi[oh] - t[1].lo[oh]) *
                           (t[2].hi[ow] - t[2].lo[ow]);
      // An empty window (possible only in padding) divides 0 by 0: NaN.
      return sum / (T)count;
    });
  };
  if (x.dtype() == DType::F64)
    run(Tag<double>{});
  else
    run(Tag<float>{});
  if (out->dtype() != xIn.dtype())
    return out->castTo(xIn.dtype());
  return out;
}

namespace {

/// Shape [N, C, 1, ...] of a global pool, after checking the input rank.
Expected<SmallVector<int64_t, 6>> globalShape(StringRef op, const Tensor &x) {
  if (!hasStorage(x))
    return makeError("{0}: input has no storage", op);
  if (x.rank() < 2)
    return makeError("{0}: input {1} must be N x C x spatial...", op, x.describe());
  SmallVector<int64_t, 6> shape(x.rank(), 1);
  shape[0] = x.dim(0);
  shape[1] = x.dim(1);
  return shape;
}

} // namespace

Expected<Tensor> qopt::ref::globalAvgPool(const Tensor &xIn) {
  auto shape = globalShape("GlobalAveragePool", xIn);
  if (!shape)
    return shape.takeError();
  if (!isFloat(xIn.dtype()))
    return makeError("GlobalAveragePool requires a float tensor, got {0}", xIn.describe());
  Tensor x = widen(xIn);
  auto out = Tensor::allocate(x.dtype(), *shape);
  if (!out)
    return out.takeError();
  int64_t planes = x.dim(0) * x.dim(1);
  int64_t size = planes ? x.numElements() / planes : 0;
  auto run = [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *xd = x.data<T>();
    T *yd = out->data<T>();
    // Each plane adds in the kernels' lanes (qopt/Quant/RowReduction.h).
    for (int64_t pl = 0; pl < planes; ++pl) {
      const T *p = xd + pl * size;
      yd[pl] = qopt::rowreduce::laneSum<T>(size, [p](int64_t i) { return p[i]; }) / (T)size;
    }
  };
  if (x.dtype() == DType::F64)
    run(Tag<double>{});
  else
    run(Tag<float>{});
  if (out->dtype() != xIn.dtype())
    return out->castTo(xIn.dtype());
  return out;
}

Expected<Tensor> qopt::ref::globalMaxPool(const Tensor &xIn) {
  auto shape = globalShape("GlobalMaxPool", xIn);
  if (!shape)
    return shape.takeError();
  if (xIn.dtype() == DType::Bool)
    return makeError("GlobalMaxPool does not accept bool tensors");
  Tensor x = widen(xIn);
  auto out = Tensor::allocate(x.dtype(), *shape);
  if (!out)
    return out.takeError();
  int64_t planes = x.dim(0) * x.dim(1);
  int64_t size = planes ? x.numElements() / planes : 0;
  auto run = [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *xd = x.data<T>();
    T *yd = out->data<T>();
    for (int64_t pl = 0; pl < planes; ++pl) {
      T m = lowestValue<T>();
      for (int64_t i = 0; i < size; ++i) {
        T v = xd[pl * size + i];
        // NaN propagates, as numpy max in the ONNX reference.
        if (v > m || v != v)
          m = v;
        if (m != m)
          break;
      }
      yd[pl] = m;
    }
  };
  if (!visitNumeric(x.dtype(), run))
    return makeError("GlobalMaxPool does not support {0}", xIn.describe());
  if (out->dtype() != xIn.dtype())
    return out->castTo(xIn.dtype());
  return out;
}

//===----------------------------------------------------------------------===//
// Integer average pooling (docs/quantization.md)
//===----------------------------------------------------------------------===//

namespace {

/// The fixed-point multiplier s_x / (s_y * count), cached per window size
/// since border windows are smaller.
class CountMultipliers {
public:
  CountMultipliers(double ratio) : ratio(ratio) {}
  Expected<qopt::quant::FixedPointScale> get(int64_t count) {
    if (auto it = cache.find(count); it != cache.end())
      return it->second;
    auto s = qopt::quant::computeFixedPointScale(ratio / (double)count);
    if (!s)
      return s.takeError();
    cache[count] = *s;
    return *s;
  }

private:
  double ratio;
  llvm::DenseMap<int64_t, qopt::quant::FixedPointScale> cache;
};

int32_t loadStorage(const Tensor &t, int64_t i) {
  switch (t.dtype()) {
  case DType::I8: return t.data<int8_t>()[i];
  case DType::U8: return t.data<uint8_t>()[i];
  default: return 0;
  }
}

void storeStorage(Tensor &t, int64_t i, int32_t v) {
  if (t.dtype() == DType::I8)
    t.data<int8_t>()[i] = (int8_t)v;
  else
    t.data<uint8_t>()[i] = (uint8_t)v;
}

llvm::Error checkIntPool(StringRef op, const Tensor &x, const QuantParams &xp,
                         const IntOutput &out) {
  if (!hasStorage(x) || (x.dtype() != DType::I8 && x.dtype() != DType::U8))
    return makeError("{0}: expected an 8-bit input, got {1}", op, x.describe());
  if (out.dtype != DType::I8 && out.dtype != DType::U8)
    return makeError("{0}: the output must be 8-bit", op);
  if (xp.perAxis() || xp.scales.size() != 1 || xp.zeroPoints.size() != 1 ||
      out.params.scales.size() != 1 || out.params.zeroPoints.size() != 1)
    return makeError("{0}: input and output are quantized per tensor", op);
  return llvm::Error::success();
}

} // namespace

Expected<Tensor> qopt::ref::intAvgPool(const Tensor &x, const QuantParams &xp,
                                       const PoolParams &p, ArrayRef<int64_t> outShape,
                                       const IntOutput &out) {
  if (auto err = checkIntPool("integer AveragePool", x, xp, out))
    return std::move(err);
  auto taps = makePoolTaps("integer AveragePool", x, p, outShape);
  if (!taps)
    return taps.takeError();
  const auto &t = *taps;
  if (p.kernel.size() && [&] {
        int64_t window = 1;
        for (int64_t k : p.kernel)
          window *= k;
        return window > (int64_t(1) << 23);
      }())
    return makeError("integer AveragePool: windows above 2^23 elements can overflow int32");
  auto y = Tensor::allocateUninitialized(out.dtype, outShape);
  if (!y)
    return y.takeError();
  CountMultipliers mults(xp.scale() / out.params.scale());
  const int32_t zx = xp.zeroPoint(), zy = out.params.zeroPoint();
  const int64_t iH = t[1].in, iW = t[2].in;
  const int64_t planes = x.dim(0) * x.dim(1);
  const int64_t inPlane = t[0].in * iH * iW;
  int64_t o = 0;
  for (int64_t pl = 0; pl < planes; ++pl)
    for (int64_t od = 0; od < t[0].out; ++od)
      for (int64_t oh = 0; oh < t[1].out; ++oh)
        for (int64_t ow = 0; ow < t[2].out; ++ow, ++o) {
          int32_t sum = 0;
          for (int64_t jd = t[0].lo[od]; jd < t[0].hi[od]; ++jd) {
            int64_t id = t[0].start[od] + jd * t[0].dil;
            for (int64_t jh = t[1].lo[oh]; jh < t[1].hi[oh]; ++jh) {
              int64_t base =
                  pl * inPlane + (id * iH + t[1].start[oh] + jh * t[1].dil) * iW + t[2].start[ow];
              for (int64_t jw = t[2].lo[ow]; jw < t[2].hi[ow]; ++jw)
                sum += loadStorage(x, base + jw * t[2].dil) - zx;
            }
          }
          int64_t count =
              p.countIncludePad ? t[0].padCount[od] * t[1].padCount[oh] * t[2].padCount[ow]
                                : (t[0].hi[od] - t[0].lo[od]) * (t[1].hi[oh] - t[1].lo[oh]) *
                                      (t[2].hi[ow] - t[2].lo[ow]);
          if (count == 0) // a window entirely in the padding averages nothing: the real 0
            count = 1;
          auto m = mults.get(count);
          if (!m)
            return makeError("integer AveragePool: {0}", llvm::toString(m.takeError()));
          storeStorage(*y, o, qopt::quant::requantize(sum, *m, zy, out.lo, out.hi));
        }
  return y;
}

Expected<Tensor> qopt::ref::intGlobalAvgPool(const Tensor &x, const QuantParams &xp,
                                             const IntOutput &out) {
  if (auto err = checkIntPool("integer GlobalAveragePool", x, xp, out))
    return std::move(err);
  auto shape = globalShape("integer GlobalAveragePool", x);
  if (!shape)
    return shape.takeError();
  int64_t planes = x.dim(0) * x.dim(1);
  int64_t size = planes ? x.numElements() / planes : 0;
  if (size > (int64_t(1) << 23))
    return makeError("integer GlobalAveragePool: {0} elements per plane can overflow int32",
                     size);
  auto y = Tensor::allocateUninitialized(out.dtype, *shape);
  if (!y)
    return y.takeError();
  auto m = qopt::quant::computeFixedPointScale(xp.scale() / (out.params.scale() * (double)std::max<int64_t>(size, 1)));
  if (!m)
    return makeError("integer GlobalAveragePool: {0}", llvm::toString(m.takeError()));
  const int32_t zx = xp.zeroPoint(), zy = out.params.zeroPoint();
  for (int64_t pl = 0; pl < planes; ++pl) {
    int32_t sum = 0;
    for (int64_t i = 0; i < size; ++i)
      sum += loadStorage(x, pl * size + i) - zx;
    storeStorage(*y, pl, qopt::quant::requantize(sum, *m, zy, out.lo, out.hi));
  }
  return y;
}
