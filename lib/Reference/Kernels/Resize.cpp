//===- Resize.cpp - ONNX Resize (nearest, n-linear, n-cubic) ---*- C++ -*-===//
//
// Resize weights are a tensor product of per-dimension 1-D weights, so the
// kernel resamples one dimension at a time: each pass maps a dimension of
// length `in` to `out` through a table of (input index, weight) taps per
// output coordinate. Dimensions whose table is the identity (typically N and
// C with scale 1) cost nothing; downsampling passes run first to keep the
// intermediates small. Coordinates follow the ONNX reference implementation
// (onnx/reference/ops/op_resize.py) in double precision.
//
//===----------------------------------------------------------------------===//

#include "qopt/Reference/Kernels.h"
#include "KernelSupport.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace qopt::ref;
using namespace qopt::ref::detail;
using llvm::ArrayRef;
using llvm::Expected;
using llvm::SmallVector;

namespace {

/// Taps of one dimension: output coordinate o reads taps [begin[o], begin[o+1]).
struct DimPlan {
  int64_t dim = 0, in = 0, out = 0;
  bool identity = false;
  SmallVector<int64_t> begin, idx;
  SmallVector<double> weight;
};

/// Original coordinate of output coordinate `o` (ONNX Resize spec).
double originalCoord(CoordTransform t, double o, double scale, int64_t in, int64_t out,
                     double outWidth) {
  switch (t) {
  case CoordTransform::HalfPixel: return (o + 0.5) / scale - 0.5;
  case CoordTransform::Asymmetric: return o / scale;
  case CoordTransform::AlignCorners:
    // The reference divides by scale * in - 1, not by out - 1, when the scale
    // does not map the length to an integer.
    return out == 1 ? 0.0 : o * (double)(in - 1) / (outWidth - 1);
  case CoordTransform::PytorchHalfPixel: return out > 1 ? (o + 0.5) / scale - 0.5 : 0.0;
  case CoordTransform::TfHalfPixelForNn: return (o + 0.5) / scale;
  case CoordTransform::HalfPixelSymmetric: {
    double adjustment = (double)out / outWidth;
    double center = (double)in / 2;
    double offset = center * (1 - adjustment);
    return offset + (o + 0.5) / scale - 0.5;
  }
  }
  return 0;
}

/// Nearest input index for a coordinate, before clamping.
int64_t nearestIndex(NearestRounding r, double x) {
  double fl = std::floor(x);
  int64_t xi = (int64_t)fl;
  double ratio = x - fl;
  if (ratio == 0)
    return xi;
  switch (r) {
  case NearestRounding::RoundPreferFloor: return ratio <= 0.5 ? xi : xi + 1;
  case NearestRounding::RoundPreferCeil: return ratio < 0.5 ? xi : xi + 1;
  case NearestRounding::Floor: return xi;
  case NearestRounding::Ceil: return xi + 1;
  }
  return xi;
}

/// Keys cubic weights of the taps floor(x)-1 .. floor(x)+2 for fraction r.
void cubicCoeffs(double r, double a, double c[4]) {
  c[0] = ((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a;
  c[1] = ((a + 2) * r - (a + 3)) * r * r + 1;
  c[2] = ((a + 2) * (1 - r) - (a + 3)) * (1 - r) * (1 - r) + 1;
  c[3] = ((a * ((1 - r) + 1) - 5 * a) * ((1 - r) + 1) + 8 * a) * ((1 - r) + 1) - 4 * a;
}

Expected<DimPlan> planDim(const ResizeParams &p, int64_t dim, int64_t in, int64_t out) {
  DimPlan plan;
  plan.dim = dim;
  plan.in = in;
  plan.out = out;
  double scale = (double)out / (double)in, outWidth = (double)out;
  if (!p.scales.empty()) {
    float s = p.scales[dim];
    if (!(s > 0) || !std::isfinite(s))
      return makeError("Resize: scale {0} of dim {1} must be positive and finite", s, dim);
    // A scale that is the float of out/in most likely came from `sizes`: use
    // the exact ratio as the reference does; otherwise keep the given scale.
    if ((float)scale != s) {
      scale = (double)s;
      outWidth = scale * (double)in;
    }
  }
  plan.begin.push_back(0);
  // A dimension with scale 1 is left alone, as ONNX Runtime does (it matters
  // for tf_half_pixel_for_nn, whose +0.5 shift would round up under ceil).
  if (in == out && scale == 1.0) {
    plan.identity = true;
    return plan;
  }
  constexpr double kMaxCoord = 9.0e15; // exact in double, fits int64
  for (int64_t o = 0; o < out; ++o) {
    double x = originalCoord(p.transform, (double)o, scale, in, out, outWidth);
    if (!(std::fabs(x) < kMaxCoord))
      return makeError("Resize: coordinate {0} of output index {1} in dim {2} is out of range", x,
                       o, dim);
    SmallVector<std::pair<int64_t, double>, 4> taps;
    if (p.mode == ResizeMode::Nearest) {
      taps.push_back({nearestIndex(p.nearest, x), 1.0});
    } else {
      double fl = std::floor(x), r = x - fl;
      int64_t xi = (int64_t)fl;
      if (p.mode == ResizeMode::Linear) {
        taps.push_back({xi, 1 - r});
        taps.push_back({xi + 1, r});
      } else {
        double c[4];
        cubicCoeffs(r, p.cubicCoeffA, c);
        for (int k = 0; k < 4; ++k)
          taps.push_back({xi - 1 + k, c[k]});
      }
      if (p.excludeOutside) {
        double sum = 0;
        for (auto &t : taps) {
          if (t.first < 0 || t.first >= in)
            t.second = 0;
          sum += t.second;
        }
        for (auto &t : taps)
          t.second /= sum;
      }
    }
    // Clamp to the edge, merge taps that land on the same index, drop zeros.
    size_t first = plan.idx.size();
    for (auto &t : taps) {
      int64_t i = std::min(std::max<int64_t>(t.first, 0), in - 1);
      bool merged = false;
      for (size_t k = first; k < plan.idx.size(); ++k)
        if (plan.idx[k] == i) {
          plan.weight[k] += t.second;
          merged = true;
        }
      if (!merged && t.second != 0) {
        plan.idx.push_back(i);
        plan.weight.push_back(t.second);
      }
    }
    if (plan.idx.size() == first) { // every weight was zero: keep one tap
      plan.idx.push_back(std::min(std::max<int64_t>(taps[0].first, 0), in - 1));
      plan.weight.push_back(0);
    }
    plan.begin.push_back(plan.idx.size());
  }
  plan.identity = in == out;
  for (int64_t o = 0; plan.identity && o < out; ++o)
    plan.identity = plan.begin[o + 1] - plan.begin[o] == 1 && plan.idx[plan.begin[o]] == o &&
                    plan.weight[plan.begin[o]] == 1.0;
  return plan;
}

} // namespace

Expected<ResizeTaps> qopt::ref::resizeTaps(const ResizeParams &p, int64_t dim, int64_t in,
                                           int64_t out) {
  auto plan = planDim(p, dim, in, out);
  if (!plan)
    return plan.takeError();
  ResizeTaps t;
  if (plan->idx.empty()) { // the identity shortcut: every coordinate reads itself
    for (int64_t o = 0; o <= out; ++o)
      t.begin.push_back(o);
    for (int64_t o = 0; o < out; ++o) {
      t.idx.push_back(o);
      t.weight.push_back(1.0);
    }
    return t;
  }
  t.begin = plan->begin;
  t.idx = plan->idx;
  t.weight = plan->weight;
  return t;
}

namespace {

/// Resamples dimension plan.dim of `src` (shape `shape`) into `dst`.
template <typename T>
void resamplePass(const T *src, T *dst, ArrayRef<int64_t> shape, const DimPlan &plan) {
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < plan.dim; ++d)
    outer *= shape[d];
  for (size_t d = plan.dim + 1; d < shape.size(); ++d)
    inner *= shape[d];
  SmallVector<T> weight(plan.weight.begin(), plan.weight.end());
  const int64_t *idx = plan.idx.data();
  const int64_t *begin = plan.begin.data();
  for (int64_t ou = 0; ou < outer; ++ou) {
    const T *s = src + ou * plan.in * inner;
    T *d = dst + ou * plan.out * inner;
    if (inner == 1) {
      for (int64_t o = 0; o < plan.out; ++o) {
        T acc = 0;
        for (int64_t k = begin[o], e = begin[o + 1]; k < e; ++k)
          acc += weight[k] * s[idx[k]];
        d[o] = acc;
      }
      continue;
    }
    for (int64_t o = 0; o < plan.out; ++o, d += inner) {
      int64_t b = begin[o], e = begin[o + 1];
      T w0 = weight[b];
      const T *s0 = s + idx[b] * inner;
      for (int64_t i = 0; i < inner; ++i)
        d[i] = w0 * s0[i];
      for (int64_t k = b + 1; k < e; ++k) {
        T w = weight[k];
        const T *sk = s + idx[k] * inner;
        for (int64_t i = 0; i < inner; ++i)
          d[i] += w * sk[i];
      }
    }
  }
}

/// Nearest pass: one tap per output coordinate, copied as bytes.
void nearestPass(const char *src, char *dst, ArrayRef<int64_t> shape, const DimPlan &plan,
                 size_t esize) {
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < plan.dim; ++d)
    outer *= shape[d];
  for (size_t d = plan.dim + 1; d < shape.size(); ++d)
    inner *= shape[d];
  size_t row = inner * esize;
  for (int64_t ou = 0; ou < outer; ++ou) {
    const char *s = src + ou * plan.in * row;
    char *d = dst + ou * plan.out * row;
    for (int64_t o = 0; o < plan.out; ++o, d += row)
      std::memcpy(d, s + plan.idx[plan.begin[o]] * row, row);
  }
}

/// Linear and cubic resampling of a float tensor in f32, exactly as the GPU
/// kernel computes it (lowerResize in lib/Conversion/QNNToLinalg): each
/// output sums, over the product of its dims' taps (each dim's taps padded
/// with zero-weight taps of index 0 to the widest output coordinate; the
/// dims in order, the last fastest), (1 * w_0 * w_1 ...) * x, in f32. One
/// formula on both sides keeps float resizes inside int8 programs bit-exact.
Expected<Tensor> resizeLikeKernels(const Tensor &x, const ResizeParams &p,
                                   ArrayRef<int64_t> outShape) {
  struct Dim {
    bool identity = true;
    int64_t taps = 1;
    SmallVector<int64_t> idx;
    SmallVector<float> weight;
  };
  int64_t rank = x.rank();
  SmallVector<Dim, 6> dims(rank);
  SmallVector<int64_t, 6> active;
  for (int64_t d = 0; d < rank; ++d) {
    auto t = resizeTaps(p, d, x.dim(d), outShape[d]);
    if (!t)
      return t.takeError();
    Dim &dim = dims[d];
    int64_t out = outShape[d];
    for (int64_t o = 0; o < out; ++o) {
      int64_t n = t->begin[o + 1] - t->begin[o];
      dim.taps = std::max(dim.taps, n);
      dim.identity &= n == 1 && t->idx[t->begin[o]] == o && t->weight[t->begin[o]] == 1.0;
    }
    if (dim.identity)
      continue;
    active.push_back(d);
    for (int64_t o = 0; o < out; ++o)
      for (int64_t k = 0; k < dim.taps; ++k) {
        int64_t i = t->begin[o] + k;
        bool real = i < t->begin[o + 1];
        dim.idx.push_back(real ? t->idx[i] : 0);
        dim.weight.push_back(real ? (float)t->weight[i] : 0.0f);
      }
  }
  Tensor xf = widen(x);
  auto out = Tensor::allocate(DType::F32, outShape);
  if (!out)
    return out.takeError();
  const float *src = xf.data<float>();
  float *dst = out->data<float>();
  SmallVector<int64_t, 6> inStride(rank, 1), oi(rank, 0), tap(active.size(), 0);
  for (int64_t d = rank - 2; d >= 0; --d)
    inStride[d] = inStride[d + 1] * x.dim(d + 1);
  for (int64_t e = 0, n = out->numElements(); e < n; ++e) {
    // Output coordinate e is oi (row-major).
    int64_t base = 0;
    for (int64_t d = 0; d < rank; ++d)
      if (dims[d].identity)
        base += oi[d] * inStride[d];
    float acc = 0.0f;
    std::fill(tap.begin(), tap.end(), 0);
    while (true) {
      float w = 1.0f;
      int64_t at = base;
      for (size_t a = 0; a < active.size(); ++a) {
        const Dim &dim = dims[active[a]];
        int64_t pos = oi[active[a]] * dim.taps + tap[a];
        at += dim.idx[pos] * inStride[active[a]];
        w = w * dim.weight[pos];
      }
      float term = w * src[at];
      acc = acc + term;
      int64_t a = (int64_t)active.size() - 1;
      for (; a >= 0; --a) {
        if (++tap[a] < dims[active[a]].taps)
          break;
        tap[a] = 0;
      }
      if (a < 0)
        break;
    }
    dst[e] = acc;
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++oi[d] < outShape[d])
        break;
      oi[d] = 0;
    }
  }
  if (x.dtype() != DType::F32)
    return out->castTo(x.dtype());
  return out;
}

} // namespace

Expected<Tensor> qopt::ref::resize(const Tensor &x, const ResizeParams &p,
                                   ArrayRef<int64_t> outShape) {
  if (!hasStorage(x))
    return makeError("Resize: input has no storage");
  int64_t rank = x.rank();
  if ((int64_t)outShape.size() != rank)
    return makeError("Resize: output shape {0} has the wrong rank for {1}", shapeStr(outShape),
                     x.describe());
  if (!p.scales.empty() && (int64_t)p.scales.size() != rank)
    return makeError("Resize: {0} scales for {1}", p.scales.size(), x.describe());
  if (p.mode != ResizeMode::Nearest && (x.dtype() == DType::Bool))
    return makeError("Resize: linear/cubic modes do not support {0}", x.describe());
  auto outTensor = Tensor::allocate(x.dtype(), outShape);
  if (!outTensor)
    return outTensor.takeError();
  if (outTensor->numElements() == 0)
    return outTensor;
  for (int64_t d = 0; d < rank; ++d)
    if (x.dim(d) == 0)
      return makeError("Resize: cannot resize empty dim {0} of {1} to {2}", d, x.describe(),
                       outShape[d]);

  SmallVector<DimPlan, 6> plans;
  for (int64_t d = 0; d < rank; ++d) {
    auto plan = planDim(p, d, x.dim(d), outShape[d]);
    if (!plan)
      return plan.takeError();
    if (!plan->identity)
      plans.push_back(std::move(*plan));
  }
  if (plans.empty()) {
    if (x.byteSize())
      std::memcpy(outTensor->bytes(), x.bytes(), x.byteSize());
    return outTensor;
  }
  // Shrinking passes first keep the intermediates small.
  std::sort(plans.begin(), plans.end(), [](const DimPlan &a, const DimPlan &b) {
    double ra = (double)a.out / a.in, rb = (double)b.out / b.in;
    return ra < rb || (ra == rb && a.dim < b.dim);
  });

  if (p.mode == ResizeMode::Nearest) {
    size_t esize = dtypeSize(x.dtype());
    Tensor cur = x;
    SmallVector<int64_t, 6> shape(x.shape());
    for (size_t i = 0; i < plans.size(); ++i) {
      shape[plans[i].dim] = plans[i].out;
      Tensor next;
      if (i + 1 == plans.size()) {
        next = *outTensor;
      } else {
        auto n = Tensor::allocate(x.dtype(), shape);
        if (!n)
          return n.takeError();
        next = std::move(*n);
      }
      nearestPass(cur.bytes(), next.bytes(), cur.shape(), plans[i], esize);
      cur = next;
    }
    return outTensor;
  }

  // Linear and cubic: f32 (f16/bf16 widened) as the GPU kernels compute it;
  // f64 and integers (which no kernel resizes) by separable passes in f64,
  // integers rounded half to even and saturated like the reference's
  // saturate_cast.
  if (isFloat(x.dtype()) && x.dtype() != DType::F64)
    return resizeLikeKernels(x, p, outShape);
  Tensor cur = x.castTo(DType::F64);
  SmallVector<int64_t, 6> shape(x.shape());
  for (const DimPlan &plan : plans) {
    shape[plan.dim] = plan.out;
    auto next = Tensor::allocate(DType::F64, shape);
    if (!next)
      return next.takeError();
    resamplePass(cur.data<double>(), next->data<double>(), cur.shape(), plan);
    cur = std::move(*next);
  }
  if (!isFloat(x.dtype())) {
    double *v = cur.data<double>();
    for (int64_t i = 0, e = cur.numElements(); i < e; ++i)
      v[i] = std::nearbyint(v[i]);
  }
  if (cur.dtype() != x.dtype())
    return cur.castTo(x.dtype());
  return cur;
}

//===----------------------------------------------------------------------===//
// GridSample
//===----------------------------------------------------------------------===//

namespace {
/// Sampling coordinates beyond +-2^22 read nothing but padding; limiting them
/// (NaN to the low end) keeps every index conversion defined.
constexpr float kGridLimit = 4194304.0f;

float limitCoordinate(float v) {
  if (!(v >= -kGridLimit))
    v = -kGridLimit;
  if (!(v <= kGridLimit))
    v = kGridLimit;
  return v;
}

/// ONNX Runtime's GsReflect: folds v into [lo, hi] by mirror images.
float reflectCoordinate(float v, float lo, float hi) {
  float range = hi - lo;
  if (range == 0.0f)
    return lo;
  if (v < lo || v > hi) {
    float d = v < lo ? lo - v : v - hi;
    float n = std::floor(d / range); // d >= 0: the kernel's floor is trunc
    float r = d - n * range;
    bool even = ((int32_t)n & 1) == 0;
    return (v < lo) == even ? lo + r : hi - r;
  }
  return v;
}

/// Keys cubic weights (A = -0.75) of the taps floor(x)-1 .. floor(x)+2 for
/// fraction t, in ONNX Runtime's operation order.
void gridCubicCoeffs(float t, float c[4]) {
  t = std::fabs(t);
  const float a = -0.75f;
  float t1 = t + 1.0f, u = 1.0f - t, u1 = 2.0f - t;
  c[0] = ((a * t1 - -3.75f) * t1 + -6.0f) * t1 - -3.0f;
  c[1] = ((1.25f * t - 2.25f) * t) * t + 1.0f;
  c[2] = ((1.25f * u - 2.25f) * u) * u + 1.0f;
  c[3] = ((a * u1 - -3.75f) * u1 + -6.0f) * u1 - -3.0f;
}
} // namespace

Expected<Tensor> qopt::ref::gridSample(const Tensor &xIn, const Tensor &gridIn, ResizeMode mode,
                                       GridPadding padding, bool alignCorners) {
  if (!hasStorage(xIn) || !hasStorage(gridIn))
    return makeError("GridSample: operand has no storage");
  if (!isFloat(xIn.dtype()) || !isFloat(gridIn.dtype()))
    return makeError("GridSample: input {0} and grid {1} must be float", xIn.describe(),
                     gridIn.describe());
  if (xIn.rank() != 4 || gridIn.rank() != 4 || gridIn.dim(3) != 2 || gridIn.dim(0) != xIn.dim(0))
    return makeError("GridSample: needs input [N, C, H, W] and grid [N, Ho, Wo, 2], got {0} and {1}",
                     xIn.describe(), gridIn.describe());
  if (xIn.dim(2) < 1 || xIn.dim(3) < 1)
    return makeError("GridSample: input image {0} is empty", xIn.describe());
  Tensor x = xIn.castTo(DType::F32), grid = gridIn.castTo(DType::F32);
  int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  int64_t Ho = grid.dim(1), Wo = grid.dim(2);
  auto out = Tensor::allocate(DType::F32, {N, C, Ho, Wo});
  if (!out)
    return out.takeError();
  const float *src = x.data<float>(), *g = grid.data<float>();
  float *dst = out->data<float>();
  float xMin = alignCorners ? 0.0f : -0.5f, yMin = xMin;
  float xMax = alignCorners ? (float)(W - 1) : (float)W - 0.5f;
  float yMax = alignCorners ? (float)(H - 1) : (float)H - 0.5f;
  auto denormalize = [&](float v, int64_t size) {
    return alignCorners ? (v + 1.0f) / 2.0f * (float)(size - 1)
                        : ((v + 1.0f) * (float)size - 1.0f) / 2.0f;
  };
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c) {
      const float *plane = src + (n * C + c) * H * W;
      // ONNX Runtime's PixelAtGrid.
      auto pixel = [&](int64_t r, int64_t col) -> float {
        switch (padding) {
        case GridPadding::Zeros:
          return r >= 0 && r < H && col >= 0 && col < W ? plane[r * W + col] : 0.0f;
        case GridPadding::Border:
          break;
        case GridPadding::Reflection:
          col = (int64_t)reflectCoordinate((float)col, xMin, xMax);
          r = (int64_t)reflectCoordinate((float)r, yMin, yMax);
          break;
        }
        return plane[std::clamp<int64_t>(r, 0, H - 1) * W + std::clamp<int64_t>(col, 0, W - 1)];
      };
      for (int64_t i = 0; i < Ho * Wo; ++i) {
        const float *gp = g + (n * Ho * Wo + i) * 2;
        float fx = limitCoordinate(denormalize(gp[0], W));
        float fy = limitCoordinate(denormalize(gp[1], H));
        if (mode == ResizeMode::Nearest) {
          fx = std::nearbyint(fx);
          fy = std::nearbyint(fy);
        }
        // Cubic with border padding clamps only its taps (as PyTorch and
        // ONNX Runtime do); the other modes move the point itself inside.
        if (fx < xMin || fx > xMax || fy < yMin || fy > yMax) {
          if (padding == GridPadding::Border && mode != ResizeMode::Cubic) {
            fx = std::clamp(fx, 0.0f, (float)(W - 1));
            fy = std::clamp(fy, 0.0f, (float)(H - 1));
          } else if (padding == GridPadding::Reflection) {
            fx = reflectCoordinate(fx, xMin, xMax);
            fy = reflectCoordinate(fy, yMin, yMax);
          }
        }
        float v;
        if (mode == ResizeMode::Nearest) {
          v = pixel((int64_t)fy, (int64_t)fx);
        } else if (mode == ResizeMode::Linear) {
          float x1f = std::floor(fx), y1f = std::floor(fy);
          int64_t x1 = (int64_t)x1f, y1 = (int64_t)y1f;
          float dx2 = (x1f + 1.0f) - fx, dx1 = fx - x1f;
          float dy2 = (y1f + 1.0f) - fy, dy1 = fy - y1f;
          float top = dx2 * pixel(y1, x1) + dx1 * pixel(y1, x1 + 1);
          float bottom = dx2 * pixel(y1 + 1, x1) + dx1 * pixel(y1 + 1, x1 + 1);
          v = dy2 * top + dy1 * bottom;
        } else {
          float x0f = std::floor(fx) - 1.0f, y0f = std::floor(fy) - 1.0f;
          int64_t x0 = (int64_t)x0f, y0 = (int64_t)y0f;
          float cx[4], cy[4];
          gridCubicCoeffs((fx - x0f) - 1.0f, cx);
          gridCubicCoeffs((fy - y0f) - 1.0f, cy);
          v = 0.0f;
          for (int64_t h = 0; h < 4; ++h) {
            float row = cx[0] * pixel(y0 + h, x0);
            for (int64_t w = 1; w < 4; ++w)
              row = row + cx[w] * pixel(y0 + h, x0 + w);
            v = h == 0 ? cy[0] * row : v + cy[h] * row;
          }
        }
        dst[(n * C + c) * Ho * Wo + i] = v;
      }
    }
  if (xIn.dtype() != DType::F32)
    return out->castTo(xIn.dtype());
  return std::move(*out);
}
