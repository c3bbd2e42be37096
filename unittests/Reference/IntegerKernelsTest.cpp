//===- IntegerKernelsTest.cpp - Exact integer kernel tests ----*- C++ -*-===//
//
// The integer kernels of include/qopt/Reference/IntegerKernels.h are checked
// on random cases (fixed seeds, a few hundred per kernel) two ways:
//
//  - bit for bit against the written rule of docs/quantization.md and the
//    header, re-implemented here with naive loops: an int64 sum of centered
//    products over the in-bounds taps plus the bias, then
//    qopt::quant::requantize with computeFixedPointScale(s_x s_w[m] / s_y);
//  - within one output step of a float64 model: dequantize, compute in
//    double, divide by s_y, round half to even, add z_y, clamp.
//
// Why one step: the fixed-point multiplier is within 2^-31 relative of the
// real one and the integer rule rounds half up where the model rounds half to
// even, so the two can only disagree where the exact value lies within about
// 2^-31 relative of a rounding boundary, and then by exactly one step. (Add
// rounds each lifted input once more, by at most 2^-20 of an input step,
// which moves the sum by far less than one output step.) The tests also
// assert that such disagreements are rare and that most outputs are not
// saturated, so the comparisons exercise real values.
//
//===----------------------------------------------------------------------===//

#include "qopt/Reference/IntegerKernels.h"
#include "qopt/Quant/Arithmetic.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace qopt::ref;
using llvm::ArrayRef;
using llvm::SmallVector;
namespace quant = qopt::quant;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

struct Rng {
  std::mt19937_64 gen;
  explicit Rng(uint64_t seed) : gen(seed) {}
  int64_t uniform(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(gen);
  }
  double real(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(gen); }
  double logUniform(double lo, double hi) {
    return std::exp(real(std::log(lo), std::log(hi)));
  }
  bool coin() { return uniform(0, 1) == 1; }
};

template <typename T> T ok(llvm::Expected<T> r) {
  if (!r) {
    ADD_FAILURE() << "unexpected error: " << llvm::toString(r.takeError());
    return T{};
  }
  return std::move(*r);
}

/// The error message of a result that must fail ("" when it succeeded).
template <typename T> std::string errorOf(llvm::Expected<T> r) {
  if (r)
    return "";
  return llvm::toString(r.takeError());
}

quant::FixedPointScale fps(double scale) {
  auto s = quant::computeFixedPointScale(scale);
  if (!s) {
    ADD_FAILURE() << llvm::toString(s.takeError());
    return {};
  }
  return *s;
}

std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

void storeAt(Tensor &t, int64_t i, int64_t v) {
  switch (t.dtype()) {
  case DType::I8: t.data<int8_t>()[i] = (int8_t)v; break;
  case DType::U8: t.data<uint8_t>()[i] = (uint8_t)v; break;
  case DType::I16: t.data<int16_t>()[i] = (int16_t)v; break;
  case DType::I32: t.data<int32_t>()[i] = (int32_t)v; break;
  default: FAIL() << "storeAt: unexpected dtype";
  }
}

Tensor intTensor(DType dtype, ArrayRef<int64_t> shape, ArrayRef<int64_t> values) {
  Tensor t(dtype, shape);
  EXPECT_EQ((size_t)t.numElements(), values.size());
  for (size_t i = 0; i < values.size(); ++i)
    storeAt(t, i, values[i]);
  return t;
}

Tensor randomInts(Rng &r, DType dtype, ArrayRef<int64_t> shape, int64_t lo, int64_t hi) {
  Tensor t(dtype, shape);
  for (int64_t i = 0; i < t.numElements(); ++i)
    storeAt(t, i, r.uniform(lo, hi));
  return t;
}

QuantParams perTensor(double scale, int32_t zeroPoint, DType storage) {
  QuantParams p;
  p.scales = {scale};
  p.zeroPoints = {zeroPoint};
  auto [lo, hi] = storageRange(storage);
  p.qmin = (int32_t)lo;
  p.qmax = (int32_t)hi;
  return p;
}

/// A quantized tensor: storage and the parameters beside it.
struct QTensor {
  Tensor t;
  QuantParams p;
  int64_t centered(int64_t i, int64_t channel = 0) const {
    return t.getAsInt(i) - p.zeroPoint(channel);
  }
};

/// A per-tensor activation of the given storage with any zero point.
QTensor randomActivation(Rng &r, DType dtype, ArrayRef<int64_t> shape) {
  auto [lo, hi] = storageRange(dtype);
  QTensor q;
  q.p = perTensor(r.logUniform(0.005, 0.2), (int32_t)r.uniform(lo, hi), dtype);
  q.t = randomInts(r, dtype, shape, lo, hi);
  return q;
}

enum class WeightKind { SymmetricPerAxis, PerTensorI8, PerTensorU8, PerAxisWithZeroPoints };
const char *weightKindName(WeightKind k) {
  switch (k) {
  case WeightKind::SymmetricPerAxis: return "per-axis symmetric i8";
  case WeightKind::PerTensorI8: return "per-tensor i8 with zero point";
  case WeightKind::PerTensorU8: return "per-tensor u8 with zero point";
  case WeightKind::PerAxisWithZeroPoints: return "per-axis i8 with zero points";
  }
  return "";
}

/// Weights quantized along `axis` (with `channels` entries) or per tensor:
/// QOpt's own symmetric int8 in [-127, 127], or imported ones with zero points.
QTensor randomWeights(Rng &r, WeightKind kind, ArrayRef<int64_t> shape, int64_t axis,
                      int64_t channels) {
  QTensor q;
  bool perAxis = kind == WeightKind::SymmetricPerAxis || kind == WeightKind::PerAxisWithZeroPoints;
  DType dtype = kind == WeightKind::PerTensorU8 ? DType::U8 : DType::I8;
  q.p = perTensor(1, 0, dtype);
  q.p.scales.clear();
  q.p.zeroPoints.clear();
  for (int64_t c = 0; c < (perAxis ? channels : 1); ++c) {
    q.p.scales.push_back(r.logUniform(1e-3, 5e-2));
    switch (kind) {
    case WeightKind::SymmetricPerAxis: q.p.zeroPoints.push_back(0); break;
    case WeightKind::PerTensorI8: q.p.zeroPoints.push_back((int32_t)r.uniform(-10, 10)); break;
    case WeightKind::PerTensorU8: q.p.zeroPoints.push_back((int32_t)r.uniform(100, 155)); break;
    case WeightKind::PerAxisWithZeroPoints:
      q.p.zeroPoints.push_back((int32_t)r.uniform(-5, 5));
      break;
    }
  }
  if (perAxis)
    q.p.axis = axis;
  if (kind == WeightKind::SymmetricPerAxis) {
    q.p.qmin = -127;
    q.p.qmax = 127;
  }
  q.t = randomInts(r, dtype, shape, q.p.qmin, q.p.qmax);
  return q;
}

/// An output of scale `sy`, random storage and zero point, and a clamp that is
/// the full range, relu (below at z_y) or a clip around z_y.
IntOutput randomOutput(Rng &r, double sy, int clampKind) {
  IntOutput o;
  o.dtype = r.coin() ? DType::I8 : DType::U8;
  auto [lo, hi] = storageRange(o.dtype);
  int32_t zp = (int32_t)r.uniform(lo + 32, hi - 32);
  o.params = perTensor(sy, zp, o.dtype);
  o.lo = (int32_t)lo;
  o.hi = (int32_t)hi;
  if (clampKind == 1)
    o.lo = zp;
  if (clampKind == 2) {
    o.lo = std::max<int32_t>(o.lo, zp - (int32_t)r.uniform(20, 80));
    o.hi = std::min<int32_t>(o.hi, zp + (int32_t)r.uniform(20, 80));
  }
  return o;
}

/// An output scale that spreads real values of this RMS over 15 to 60 steps.
double scaleFor(Rng &r, ArrayRef<double> real) {
  double sq = 0;
  for (double v : real)
    sq += v * v;
  double rms = real.empty() ? 0 : std::sqrt(sq / real.size());
  return rms > 0 ? rms / r.real(15, 60) : 1.0;
}

/// The float64 model's output: round half to even, add z_y, clamp.
int64_t floatModel(double real, const IntOutput &out) {
  double q = std::nearbyint(real / out.params.scale()) + out.params.zeroPoint();
  return (int64_t)std::clamp(q, (double)out.lo, (double)out.hi);
}

/// Totals over the cases of one test, for the assertions on coverage.
struct Tally {
  int64_t elements = 0, offByOne = 0, interior = 0, cases = 0;
  void expectMeaningful(const char *what) const {
    EXPECT_GT(cases, 100) << what;
    // Off-by-one needs a value within ~2^-31 relative of a rounding boundary.
    EXPECT_LE(offByOne * 1000, elements) << what << ": " << offByOne << " of " << elements
                                         << " elements differ from the float64 model";
    // At least a third of the outputs are strictly inside the clamp.
    EXPECT_GE(interior * 3, elements) << what << ": only " << interior << " of " << elements
                                      << " outputs are not saturated";
  }
};

/// Compares a kernel result with the written rule (exactly) and the float64
/// model (within one step); reports the first mismatch of a case only.
void compare(const Tensor &got, const IntOutput &out, ArrayRef<int64_t> shape,
             ArrayRef<int64_t> exact, ArrayRef<double> real, const std::string &what,
             Tally &tally) {
  ASSERT_TRUE(got.valid()) << what;
  ASSERT_EQ(got.dtype(), out.dtype) << what;
  ASSERT_EQ(got.shape(), shape) << what;
  ASSERT_EQ((size_t)got.numElements(), exact.size()) << what;
  ++tally.cases;
  for (size_t i = 0; i < exact.size(); ++i) {
    int64_t g = got.getAsInt(i);
    if (g != exact[i]) {
      ADD_FAILURE() << what << ": element " << i << " is " << g << ", the written rule gives "
                    << exact[i];
      return;
    }
    int64_t f = floatModel(real[i], out);
    if (std::abs(g - f) > 1) {
      ADD_FAILURE() << what << ": element " << i << " is " << g << ", the float64 model gives "
                    << f << " (real " << real[i] << ")";
      return;
    }
    ++tally.elements;
    tally.offByOne += g != f;
    tally.interior += g > out.lo && g < out.hi;
  }
}

/// The written requantization of an exact accumulator (which must fit int32).
int64_t writtenRequantize(int64_t acc, double multiplier, const IntOutput &out) {
  EXPECT_LE(std::abs(acc), (int64_t)std::numeric_limits<int32_t>::max());
  return quant::requantize((int32_t)acc, fps(multiplier), out.params.zeroPoint(), out.lo,
                           out.hi);
}

SmallVector<int64_t> unravel(int64_t flat, ArrayRef<int64_t> shape) {
  SmallVector<int64_t> idx(shape.size());
  for (int64_t d = (int64_t)shape.size() - 1; d >= 0; --d) {
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  return idx;
}

/// The row-major index into `shape` of the broadcast position `outIdx`
/// (shapes right-aligned, size-1 dims repeated).
int64_t broadcastIndex(ArrayRef<int64_t> shape, ArrayRef<int64_t> outIdx) {
  int64_t flat = 0;
  size_t off = outIdx.size() - shape.size();
  for (size_t d = 0; d < shape.size(); ++d)
    flat = flat * shape[d] + (shape[d] == 1 ? 0 : outIdx[off + d]);
  return flat;
}

SmallVector<int64_t> broadcastShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  size_t n = std::max(a.size(), b.size());
  SmallVector<int64_t> out(n, 1);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < a.size() ? a[a.size() - 1 - i] : 1;
    int64_t db = i < b.size() ? b[b.size() - 1 - i] : 1;
    out[n - 1 - i] = std::max(da, db);
  }
  return out;
}

int64_t numElements(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

//===----------------------------------------------------------------------===//
// Convolution geometry
//===----------------------------------------------------------------------===//

/// A 1-D or 2-D (transposed) convolution; index 0 of the spatial arrays is
/// the height (a unit dim for 1-D), index 1 the width.
struct ConvGeometry {
  int ns = 2;
  int64_t n = 1, c = 1, m = 1, group = 1;
  std::array<int64_t, 2> in{1, 1}, k{1, 1}, s{1, 1}, d{1, 1}, pb{0, 0}, pe{0, 0}, op{0, 0},
      out{1, 1};

  SmallVector<int64_t> shape(int64_t a, int64_t b, const std::array<int64_t, 2> &sp) const {
    SmallVector<int64_t> r{a, b};
    if (ns == 2)
      r.push_back(sp[0]);
    r.push_back(sp[1]);
    return r;
  }
  ConvParams params() const {
    ConvParams p;
    int first = 2 - ns;
    for (int j = first; j < 2; ++j) {
      p.strides.push_back(s[j]);
      p.dilations.push_back(d[j]);
      p.outputPadding.push_back(op[j]);
    }
    for (int j = first; j < 2; ++j)
      p.pads.push_back(pb[j]);
    for (int j = first; j < 2; ++j)
      p.pads.push_back(pe[j]);
    p.group = group;
    return p;
  }
  std::string describe() const {
    std::string r = std::to_string(ns) + "-D n" + std::to_string(n) + " c" + std::to_string(c) +
                    " m" + std::to_string(m) + " group " + std::to_string(group);
    for (int j = 2 - ns; j < 2; ++j)
      r += " | in " + std::to_string(in[j]) + " k " + std::to_string(k[j]) + " s " +
           std::to_string(s[j]) + " d " + std::to_string(d[j]) + " pads " +
           std::to_string(pb[j]) + "," + std::to_string(pe[j]) + " op " +
           std::to_string(op[j]) + " out " + std::to_string(out[j]);
    return r;
  }
};

/// Random spatial dim j; false when the window does not fit.
bool randomSpatial(Rng &r, ConvGeometry &g, int j, bool transposed) {
  g.in[j] = r.uniform(1, 9);
  g.k[j] = r.uniform(1, 4);
  g.s[j] = r.uniform(1, 3);
  g.d[j] = r.uniform(1, 2);
  g.pb[j] = r.uniform(0, 2);
  g.pe[j] = r.uniform(0, 2);
  g.op[j] = transposed ? r.uniform(0, g.s[j] - 1) : 0;
  int64_t extent = g.d[j] * (g.k[j] - 1) + 1;
  if (!transposed) {
    int64_t room = g.in[j] + g.pb[j] + g.pe[j] - extent;
    g.out[j] = room / g.s[j] + 1;
    return room >= 0;
  }
  g.out[j] = g.s[j] * (g.in[j] - 1) + g.op[j] + extent - g.pb[j] - g.pe[j];
  return g.out[j] >= 1;
}

/// Channels for case `i`: cycles through a plain, a depthwise (group = C) and
/// a grouped convolution.
void randomChannels(Rng &r, ConvGeometry &g, int i) {
  switch (i % 3) {
  case 0:
    g.group = 1;
    g.c = r.uniform(1, 6);
    g.m = r.uniform(1, 6);
    break;
  case 1:
    g.c = r.uniform(1, 6);
    g.group = g.c;
    g.m = g.c * r.uniform(1, 2);
    break;
  default:
    g.group = r.uniform(2, 3);
    g.c = g.group * r.uniform(1, 3);
    g.m = g.group * r.uniform(1, 3);
    break;
  }
  g.n = r.uniform(1, 2);
}

ConvGeometry randomConv(Rng &r, int i, bool transposed) {
  ConvGeometry g;
  randomChannels(r, g, i);
  g.ns = 1 + (i / 3) % 2;
  for (int j = 2 - g.ns; j < 2; ++j)
    while (!randomSpatial(r, g, j, transposed)) {
    }
  return g;
}

Tensor randomBias(Rng &r, int64_t m) { return randomInts(r, DType::I32, {m}, -20000, 20000); }

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

TEST(IntConvTest, HandCheckedRoundsHalfUp) {
  // 1-D, pads 1/1: centered x = [1, 2, 3], w = [1, -1, 2], bias 10 gives
  // accumulators 13, 15, 9; M = 0.5*0.25/0.25 = 0.5 makes them ties that
  // round half up (6.5 -> 7, 7.5 -> 8, 4.5 -> 5), then z_y = -3.
  Tensor x = intTensor(DType::I8, {1, 1, 3}, {2, 3, 4});
  Tensor w = intTensor(DType::I8, {1, 1, 3}, {1, -1, 2});
  Tensor b = intTensor(DType::I32, {1}, {10});
  ConvParams cp;
  cp.strides = {1};
  cp.dilations = {1};
  cp.pads = {1, 1};
  IntOutput out;
  out.params = perTensor(0.25, -3, DType::I8);
  Tensor y = ok(intConv(x, perTensor(0.5, 1, DType::I8), w, perTensor(0.25, 0, DType::I8), &b, cp,
                        {1, 1, 3}, out));
  ASSERT_TRUE(y.valid());
  EXPECT_EQ(y.getAsInt(0), 4);
  EXPECT_EQ(y.getAsInt(1), 5);
  EXPECT_EQ(y.getAsInt(2), 2);
}

/// The naive convolution: exact accumulators and the float64 model's real
/// outputs, per output element.
void naiveConv(const ConvGeometry &g, const QTensor &x, const QTensor &w, const Tensor *bias,
               std::vector<int64_t> &acc, std::vector<double> &real) {
  const int64_t cg = g.c / g.group, mg = g.m / g.group;
  const double sx = x.p.scale();
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t m = 0; m < g.m; ++m)
      for (int64_t oy = 0; oy < g.out[0]; ++oy)
        for (int64_t ox = 0; ox < g.out[1]; ++ox) {
          int64_t a = bias ? bias->getAsInt(m) : 0;
          double re = bias ? (double)bias->getAsInt(m) * sx * w.p.scale(m) : 0.0;
          for (int64_t cl = 0; cl < cg; ++cl) {
            int64_t c = (m / mg) * cg + cl;
            for (int64_t i = 0; i < g.k[0]; ++i)
              for (int64_t j = 0; j < g.k[1]; ++j) {
                int64_t iy = oy * g.s[0] - g.pb[0] + i * g.d[0];
                int64_t ix = ox * g.s[1] - g.pb[1] + j * g.d[1];
                if (iy < 0 || iy >= g.in[0] || ix < 0 || ix >= g.in[1])
                  continue; // padding is the real 0
                int64_t xi = ((n * g.c + c) * g.in[0] + iy) * g.in[1] + ix;
                int64_t wi = ((m * cg + cl) * g.k[0] + i) * g.k[1] + j;
                int64_t xv = x.centered(xi), wv = w.centered(wi, m);
                a += xv * wv;
                re += ((double)xv * sx) * ((double)wv * w.p.scale(m));
              }
          }
          acc.push_back(a);
          real.push_back(re);
        }
}

TEST(IntConvTest, MatchesWrittenRuleAndFloat64Model) {
  Rng r(20261126);
  Tally tally;
  for (int i = 0; i < 360; ++i) {
    ConvGeometry g = randomConv(r, i, /*transposed=*/false);
    auto kind = (WeightKind)((i / 6) % 4);
    QTensor x = randomActivation(r, r.coin() ? DType::I8 : DType::U8, g.shape(g.n, g.c, g.in));
    QTensor w = randomWeights(r, kind, g.shape(g.m, g.c / g.group, g.k), 0, g.m);
    Tensor bias = randomBias(r, g.m);
    bool withBias = r.uniform(0, 3) != 0;
    std::vector<int64_t> acc;
    std::vector<double> real;
    naiveConv(g, x, w, withBias ? &bias : nullptr, acc, real);
    IntOutput out = randomOutput(r, scaleFor(r, real), i % 3);
    std::vector<int64_t> exact;
    int64_t plane = g.out[0] * g.out[1];
    for (size_t e = 0; e < acc.size(); ++e) {
      int64_t m = (e / plane) % g.m;
      exact.push_back(
          writtenRequantize(acc[e], x.p.scale() * w.p.scale(m) / out.params.scale(), out));
    }
    SmallVector<int64_t> outShape = g.shape(g.n, g.m, g.out);
    std::string what = "case " + std::to_string(i) + " (" + g.describe() + ", " +
                       weightKindName(kind) + ", x " + dtypeName(x.t.dtype()).str() +
                       (withBias ? ", bias" : "") + ")";
    Tensor y = ok(intConv(x.t, x.p, w.t, w.p, withBias ? &bias : nullptr, g.params(), outShape,
                          out));
    compare(y, out, outShape, exact, real, what, tally);
    if (HasFailure())
      return;
  }
  tally.expectMeaningful("intConv");
}

//===----------------------------------------------------------------------===//
// Transposed convolution
//===----------------------------------------------------------------------===//

/// The naive transposed convolution, written as a gather: output (oy, ox)
/// takes input (iy, ix) through tap (i, j) when oy = iy*s - pb + i*d.
void naiveConvTranspose(const ConvGeometry &g, const QTensor &x, const QTensor &w,
                        const Tensor *bias, std::vector<int64_t> &acc,
                        std::vector<double> &real) {
  const int64_t cg = g.c / g.group, mg = g.m / g.group;
  const double sx = x.p.scale();
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t m = 0; m < g.m; ++m) {
      int64_t mi = m % mg; // the weight's axis-1 index
      for (int64_t oy = 0; oy < g.out[0]; ++oy)
        for (int64_t ox = 0; ox < g.out[1]; ++ox) {
          int64_t a = bias ? bias->getAsInt(m) : 0;
          double re = bias ? (double)bias->getAsInt(m) * sx * w.p.scale(mi) : 0.0;
          for (int64_t cl = 0; cl < cg; ++cl) {
            int64_t c = (m / mg) * cg + cl;
            for (int64_t i = 0; i < g.k[0]; ++i)
              for (int64_t j = 0; j < g.k[1]; ++j) {
                int64_t ty = oy + g.pb[0] - i * g.d[0], tx = ox + g.pb[1] - j * g.d[1];
                if (ty < 0 || tx < 0 || ty % g.s[0] || tx % g.s[1])
                  continue;
                int64_t iy = ty / g.s[0], ix = tx / g.s[1];
                if (iy >= g.in[0] || ix >= g.in[1])
                  continue;
                int64_t xi = ((n * g.c + c) * g.in[0] + iy) * g.in[1] + ix;
                int64_t wi = ((c * mg + mi) * g.k[0] + i) * g.k[1] + j;
                int64_t xv = x.centered(xi), wv = w.centered(wi, mi);
                a += xv * wv;
                re += ((double)xv * sx) * ((double)wv * w.p.scale(mi));
              }
          }
          acc.push_back(a);
          real.push_back(re);
        }
    }
}

TEST(IntConvTransposeTest, MatchesWrittenRuleAndFloat64Model) {
  Rng r(7001);
  Tally tally;
  for (int i = 0; i < 300; ++i) {
    ConvGeometry g = randomConv(r, i, /*transposed=*/true);
    auto kind = (WeightKind)((i / 6) % 4);
    int64_t mg = g.m / g.group;
    QTensor x = randomActivation(r, r.coin() ? DType::I8 : DType::U8, g.shape(g.n, g.c, g.in));
    QTensor w = randomWeights(r, kind, g.shape(g.c, mg, g.k), 1, mg);
    Tensor bias = randomBias(r, g.m);
    bool withBias = r.uniform(0, 3) != 0;
    std::vector<int64_t> acc;
    std::vector<double> real;
    naiveConvTranspose(g, x, w, withBias ? &bias : nullptr, acc, real);
    IntOutput out = randomOutput(r, scaleFor(r, real), i % 3);
    std::vector<int64_t> exact;
    int64_t plane = g.out[0] * g.out[1];
    for (size_t e = 0; e < acc.size(); ++e) {
      int64_t m = (e / plane) % g.m;
      exact.push_back(writtenRequantize(
          acc[e], x.p.scale() * w.p.scale(m % mg) / out.params.scale(), out));
    }
    SmallVector<int64_t> outShape = g.shape(g.n, g.m, g.out);
    std::string what = "case " + std::to_string(i) + " (" + g.describe() + ", " +
                       weightKindName(kind) + ", x " + dtypeName(x.t.dtype()).str() +
                       (withBias ? ", bias" : "") + ")";
    Tensor y = ok(intConvTranspose(x.t, x.p, w.t, w.p, withBias ? &bias : nullptr, g.params(),
                                   outShape, out));
    compare(y, out, outShape, exact, real, what, tally);
    if (HasFailure())
      return;
  }
  tally.expectMeaningful("intConvTranspose");
}

//===----------------------------------------------------------------------===//
// MatMul and Gemm
//===----------------------------------------------------------------------===//

TEST(IntMatMulTest, MatchesWrittenRuleAndFloat64Model) {
  Rng r(424242);
  Tally tally;
  for (int i = 0; i < 300; ++i) {
    int64_t M = r.uniform(1, 6), K = r.uniform(1, 40), N = r.uniform(1, 6);
    int64_t ra = r.uniform(1, 4), rb = r.uniform(1, 4);
    if (i % 5 == 0)
      ra = 1; // 1-D operands on a regular schedule
    if (i % 7 == 0)
      rb = 1;
    // Batch dims: a common shape, each side taking its trailing dims with
    // some set to 1 to broadcast.
    SmallVector<int64_t> common;
    for (int64_t d = 0; d < std::max(ra, rb) - 2; ++d)
      common.push_back(r.uniform(1, 3));
    auto batchOf = [&](int64_t rank) {
      SmallVector<int64_t> b(common.end() - std::max<int64_t>(rank - 2, 0), common.end());
      for (int64_t &d : b)
        if (r.uniform(0, 2) == 0)
          d = 1;
      return b;
    };
    SmallVector<int64_t> aBatch = batchOf(ra), bBatch = batchOf(rb);
    SmallVector<int64_t> aShape = aBatch, bShape = bBatch;
    if (ra > 1)
      aShape.push_back(M);
    else
      M = 1;
    aShape.push_back(K);
    bShape.push_back(K);
    if (rb > 1)
      bShape.push_back(N);
    else
      N = 1;
    SmallVector<int64_t> batch = broadcastShapes(aBatch, bBatch);
    SmallVector<int64_t> outShape = batch;
    if (ra > 1)
      outShape.push_back(M);
    if (rb > 1)
      outShape.push_back(N);

    QTensor a = randomActivation(r, r.coin() ? DType::I8 : DType::U8, aShape);
    // Per-axis B only over a real column dim.
    auto kind = (WeightKind)((i / 2) % 4);
    if (rb == 1 && (kind == WeightKind::SymmetricPerAxis ||
                    kind == WeightKind::PerAxisWithZeroPoints))
      kind = WeightKind::PerTensorI8;
    QTensor b = randomWeights(r, kind, bShape, rb - 1, N);

    std::vector<int64_t> acc;
    std::vector<double> real;
    for (int64_t bi = 0; bi < numElements(batch); ++bi) {
      SmallVector<int64_t> idx = unravel(bi, batch);
      int64_t am = broadcastIndex(aBatch, idx), bm = broadcastIndex(bBatch, idx);
      for (int64_t row = 0; row < M; ++row)
        for (int64_t col = 0; col < N; ++col) {
          int64_t s = 0;
          double re = 0;
          for (int64_t k = 0; k < K; ++k) {
            int64_t av = a.centered((am * M + row) * K + k);
            int64_t bv = b.centered((bm * K + k) * N + col, col);
            s += av * bv;
            re += ((double)av * a.p.scale()) * ((double)bv * b.p.scale(col));
          }
          acc.push_back(s);
          real.push_back(re);
        }
    }
    IntOutput out = randomOutput(r, scaleFor(r, real), i % 3);
    std::vector<int64_t> exact;
    for (size_t e = 0; e < acc.size(); ++e)
      exact.push_back(writtenRequantize(
          acc[e], a.p.scale() * b.p.scale(e % N) / out.params.scale(), out));
    std::string what = "case " + std::to_string(i) + " (" + shapeString(aShape) + " x " +
                       shapeString(bShape) + ", " + weightKindName(kind) + ")";
    Tensor y = ok(intMatMul(a.t, a.p, b.t, b.p, outShape, out));
    compare(y, out, outShape, exact, real, what, tally);
    if (HasFailure())
      return;
  }
  tally.expectMeaningful("intMatMul");
}

TEST(IntGemmTest, MatchesWrittenRuleAndFloat64Model) {
  Rng r(99);
  Tally tally;
  for (int i = 0; i < 300; ++i) {
    int64_t M = r.uniform(1, 8), K = r.uniform(1, 50), N = r.uniform(1, 8);
    bool transA = i % 2, transB = (i / 2) % 2;
    int cKind = (i / 4) % 4; // none, N elements, 1 element, M*N elements
    auto kind = (WeightKind)((i / 16) % 4);
    QTensor a = randomActivation(r, r.coin() ? DType::I8 : DType::U8,
                                 transA ? SmallVector<int64_t>{K, M} : SmallVector<int64_t>{M, K});
    QTensor b = randomWeights(r, kind,
                              transB ? SmallVector<int64_t>{N, K} : SmallVector<int64_t>{K, N},
                              transB ? 0 : 1, N);
    Tensor c;
    if (cKind == 1)
      c = randomInts(r, DType::I32, {N}, -20000, 20000);
    if (cKind == 2)
      c = randomInts(r, DType::I32, {1}, -20000, 20000);
    if (cKind == 3)
      c = randomInts(r, DType::I32, {M, N}, -20000, 20000);
    std::vector<int64_t> acc;
    std::vector<double> real;
    for (int64_t row = 0; row < M; ++row)
      for (int64_t col = 0; col < N; ++col) {
        int64_t s = 0;
        if (cKind)
          s = c.getAsInt(cKind == 1 ? col : cKind == 2 ? 0 : row * N + col);
        double re = (double)s * a.p.scale() * b.p.scale(col);
        for (int64_t k = 0; k < K; ++k) {
          int64_t av = a.centered(transA ? k * M + row : row * K + k);
          int64_t bv = b.centered(transB ? col * K + k : k * N + col, col);
          s += av * bv;
          re += ((double)av * a.p.scale()) * ((double)bv * b.p.scale(col));
        }
        acc.push_back(s);
        real.push_back(re);
      }
    IntOutput out = randomOutput(r, scaleFor(r, real), i % 3);
    std::vector<int64_t> exact;
    for (size_t e = 0; e < acc.size(); ++e)
      exact.push_back(writtenRequantize(
          acc[e], a.p.scale() * b.p.scale(e % N) / out.params.scale(), out));
    std::string what = "case " + std::to_string(i) + " (M " + std::to_string(M) + " K " +
                       std::to_string(K) + " N " + std::to_string(N) +
                       (transA ? " transA" : "") + (transB ? " transB" : "") + ", C kind " +
                       std::to_string(cKind) + ", " + weightKindName(kind) + ")";
    Tensor y = ok(intGemm(a.t, a.p, b.t, b.p, cKind ? &c : nullptr, transA, transB, out));
    compare(y, out, {M, N}, exact, real, what, tally);
    if (HasFailure())
      return;
  }
  tally.expectMeaningful("intGemm");
}

//===----------------------------------------------------------------------===//
// Add and Mul
//===----------------------------------------------------------------------===//

/// Two shapes that broadcast: trailing dims of a base shape, some set to 1.
std::pair<SmallVector<int64_t>, SmallVector<int64_t>> randomBroadcastPair(Rng &r) {
  SmallVector<int64_t> base;
  for (int64_t d = 0, rank = r.uniform(1, 4); d < rank; ++d)
    base.push_back(r.uniform(1, 5));
  auto side = [&] {
    SmallVector<int64_t> s(base.end() - r.uniform(0, base.size()), base.end());
    for (int64_t &d : s)
      if (r.uniform(0, 2) == 0)
        d = 1;
    return s;
  };
  return {side(), side()};
}

TEST(IntAddTest, MatchesWrittenRuleAndFloat64Model) {
  Rng r(31337);
  Tally tally;
  for (int i = 0; i < 400; ++i) {
    auto [aShape, bShape] = randomBroadcastPair(r);
    SmallVector<int64_t> outShape = broadcastShapes(aShape, bShape);
    QTensor a = randomActivation(r, r.coin() ? DType::I8 : DType::U8, aShape);
    QTensor b = randomActivation(r, r.coin() ? DType::I8 : DType::U8, bShape);
    double sa = a.p.scale(), sb = b.p.scale();
    double sy = std::max(sa, sb) * r.logUniform(0.5, 4);
    IntOutput out = randomOutput(r, sy, i % 3);
    // The written rule: lift by 2^20, rescale each side by s_i / (2 max),
    // sum in int32, requantize with 2 max / (2^20 s_y).
    double twiceMax = 2 * std::max(sa, sb);
    quant::FixedPointScale ma = fps(sa / twiceMax), mb = fps(sb / twiceMax);
    double my = twiceMax / ((double)(1 << 20) * sy);
    std::vector<int64_t> exact;
    std::vector<double> real;
    for (int64_t e = 0; e < numElements(outShape); ++e) {
      SmallVector<int64_t> idx = unravel(e, outShape);
      int64_t av = a.centered(broadcastIndex(aShape, idx));
      int64_t bv = b.centered(broadcastIndex(bShape, idx));
      int64_t la = quant::applyScale((int32_t)(av * (1 << 20)), ma);
      int64_t lb = quant::applyScale((int32_t)(bv * (1 << 20)), mb);
      exact.push_back(writtenRequantize(la + lb, my, out));
      real.push_back((double)av * sa + (double)bv * sb);
    }
    std::string what = "case " + std::to_string(i) + " (" + shapeString(aShape) + " + " +
                       shapeString(bShape) + ")";
    Tensor y = ok(intAdd(a.t, a.p, b.t, b.p, outShape, out));
    compare(y, out, outShape, exact, real, what, tally);
    if (HasFailure())
      return;
  }
  tally.expectMeaningful("intAdd");
}

TEST(IntMulTest, MatchesWrittenRuleAndFloat64Model) {
  Rng r(2718);
  Tally tally;
  for (int i = 0; i < 400; ++i) {
    auto [aShape, bShape] = randomBroadcastPair(r);
    SmallVector<int64_t> outShape = broadcastShapes(aShape, bShape);
    QTensor a = randomActivation(r, r.coin() ? DType::I8 : DType::U8, aShape);
    QTensor b = randomActivation(r, r.coin() ? DType::I8 : DType::U8, bShape);
    double sa = a.p.scale(), sb = b.p.scale();
    IntOutput out = randomOutput(r, sa * sb * r.logUniform(40, 400), i % 3);
    std::vector<int64_t> exact;
    std::vector<double> real;
    for (int64_t e = 0; e < numElements(outShape); ++e) {
      SmallVector<int64_t> idx = unravel(e, outShape);
      int64_t av = a.centered(broadcastIndex(aShape, idx));
      int64_t bv = b.centered(broadcastIndex(bShape, idx));
      exact.push_back(writtenRequantize(av * bv, sa * sb / out.params.scale(), out));
      real.push_back(((double)av * sa) * ((double)bv * sb));
    }
    std::string what = "case " + std::to_string(i) + " (" + shapeString(aShape) + " * " +
                       shapeString(bShape) + ")";
    Tensor y = ok(intMul(a.t, a.p, b.t, b.p, outShape, out));
    compare(y, out, outShape, exact, real, what, tally);
    if (HasFailure())
      return;
  }
  tally.expectMeaningful("intMul");
}

//===----------------------------------------------------------------------===//
// Average pooling
//===----------------------------------------------------------------------===//

TEST(IntAvgPoolTest, MatchesWrittenRuleAndFloat64Model) {
  Rng r(1234567);
  Tally tally;
  int64_t ceilCases = 0;
  for (int i = 0; i < 360; ++i) {
    int ns = 1 + i % 3;
    bool includePad = (i / 3) % 2;
    bool ceilMode = (i / 6) % 2;
    PoolParams p;
    p.countIncludePad = includePad;
    SmallVector<int64_t> xShape = {r.uniform(1, 2), r.uniform(1, 3)};
    SmallVector<int64_t> outShape = xShape;
    SmallVector<int64_t> pb(ns), pe(ns);
    // Per dim: which taps of each output window land in the input, and how
    // many land inside the padded bounds.
    std::vector<std::vector<int64_t>> real(ns), padded(ns), starts(ns);
    bool usable = true;
    for (int j = 0; j < ns; ++j) {
      int64_t in, k, s, d, room;
      do {
        in = r.uniform(1, ns == 3 ? 5 : 8);
        k = r.uniform(1, 3);
        s = r.uniform(1, 3);
        d = r.uniform(0, 3) == 0 ? 2 : 1;
        pb[j] = r.uniform(0, k - 1);
        pe[j] = r.uniform(0, k - 1);
        room = in + pb[j] + pe[j] - (d * (k - 1) + 1);
      } while (room < 0);
      int64_t out = room / s + 1;
      if (ceilMode) {
        out = (room + s - 1) / s + 1;
        if ((out - 1) * s >= in + pb[j]) // the last window must start inside
          --out;
      }
      ceilCases += out != room / s + 1;
      xShape.push_back(in);
      outShape.push_back(out);
      p.kernel.push_back(k);
      p.strides.push_back(s);
      p.dilations.push_back(d);
      for (int64_t o = 0; o < out; ++o) {
        int64_t inside = 0, inPad = 0;
        for (int64_t t = 0; t < k; ++t) {
          int64_t pos = o * s - pb[j] + t * d;
          inside += pos >= 0 && pos < in;
          inPad += pos >= -pb[j] && pos < in + pe[j];
        }
        if (inside == 0 && !includePad)
          usable = false; // an empty average: not a case AveragePool defines
        real[j].push_back(inside);
        padded[j].push_back(inPad);
        starts[j].push_back(o * s - pb[j]);
      }
    }
    if (!usable) {
      --i;
      continue;
    }
    p.pads.append(pb.begin(), pb.end());
    p.pads.append(pe.begin(), pe.end());

    QTensor x = randomActivation(r, r.coin() ? DType::I8 : DType::U8, xShape);
    double sx = x.p.scale();
    IntOutput out = randomOutput(r, sx * r.logUniform(0.7, 3), i % 3);
    std::vector<int64_t> exact;
    std::vector<double> realOut;
    SmallVector<int64_t> spatialIn(xShape.begin() + 2, xShape.end());
    for (int64_t e = 0; e < numElements(outShape); ++e) {
      SmallVector<int64_t> idx = unravel(e, outShape);
      int64_t plane = idx[0] * xShape[1] + idx[1];
      // Sum over the window's taps that land in the input.
      int64_t sum = 0, count = 1, taps = 1;
      for (int j = 0; j < ns; ++j) {
        taps *= p.kernel[j];
        count *= includePad ? padded[j][idx[2 + j]] : real[j][idx[2 + j]];
      }
      for (int64_t t = 0; t < taps; ++t) {
        SmallVector<int64_t> tap = unravel(t, p.kernel);
        int64_t flat = plane;
        bool inside = true;
        for (int j = 0; j < ns; ++j) {
          int64_t pos = starts[j][idx[2 + j]] + tap[j] * p.dilations[j];
          inside &= pos >= 0 && pos < spatialIn[j];
          flat = flat * spatialIn[j] + pos;
        }
        if (inside)
          sum += x.centered(flat);
      }
      exact.push_back(writtenRequantize(sum, sx / (out.params.scale() * count), out));
      realOut.push_back((double)sum * sx / (double)count);
    }
    std::string what = "case " + std::to_string(i) + " (" + shapeString(xShape) + " -> " +
                       shapeString(outShape) + " kernel " + shapeString(p.kernel) +
                       " strides " + shapeString(p.strides) + " dilations " +
                       shapeString(p.dilations) + " pads " + shapeString(p.pads) +
                       (includePad ? " count_include_pad" : "") + ")";
    Tensor y = ok(intAvgPool(x.t, x.p, p, outShape, out));
    compare(y, out, outShape, exact, realOut, what, tally);
    if (HasFailure())
      return;
  }
  tally.expectMeaningful("intAvgPool");
  EXPECT_GT(ceilCases, 20) << "ceil-mode shapes that differ from floor mode";
}

TEST(IntGlobalAvgPoolTest, MatchesWrittenRuleAndFloat64Model) {
  Rng r(555);
  Tally tally;
  for (int i = 0; i < 200; ++i) {
    SmallVector<int64_t> xShape = {r.uniform(1, 2), r.uniform(1, 4)};
    SmallVector<int64_t> outShape = xShape;
    for (int j = 0, ns = 1 + i % 3; j < ns; ++j) {
      xShape.push_back(r.uniform(1, ns == 3 ? 5 : 9));
      outShape.push_back(1);
    }
    QTensor x = randomActivation(r, r.coin() ? DType::I8 : DType::U8, xShape);
    double sx = x.p.scale();
    IntOutput out = randomOutput(r, sx * r.logUniform(0.7, 3), i % 3);
    int64_t planes = xShape[0] * xShape[1], size = x.t.numElements() / planes;
    std::vector<int64_t> exact;
    std::vector<double> real;
    for (int64_t pl = 0; pl < planes; ++pl) {
      int64_t sum = 0;
      for (int64_t e = 0; e < size; ++e)
        sum += x.centered(pl * size + e);
      exact.push_back(writtenRequantize(sum, sx / (out.params.scale() * size), out));
      real.push_back((double)sum * sx / (double)size);
    }
    std::string what = "case " + std::to_string(i) + " (" + shapeString(xShape) + ")";
    Tensor y = ok(intGlobalAvgPool(x.t, x.p, out));
    compare(y, out, outShape, exact, real, what, tally);
    if (HasFailure())
      return;
  }
  tally.expectMeaningful("intGlobalAvgPool");
}

//===----------------------------------------------------------------------===//
// Unary tables
//===----------------------------------------------------------------------===//

TEST(UnaryTableTest, MatchesQuantizedFunction) {
  struct Kind {
    UnaryKind kind;
    const char *name;
    double (*f)(double);
  };
  const Kind kinds[] = {
      {UnaryKind::Sigmoid, "sigmoid", [](double v) { return 1 / (1 + std::exp(-v)); }},
      {UnaryKind::HardSwish, "hard_swish",
       [](double v) { return v * std::clamp(v / 6 + 0.5, 0.0, 1.0); }},
      {UnaryKind::Tanh, "tanh", [](double v) { return std::tanh(v); }},
      {UnaryKind::LeakyRelu, "leaky_relu(0.1)", [](double v) { return v < 0 ? 0.1 * v : v; }},
  };
  Rng r(8080);
  int64_t entries = 0, nearTies = 0, interior = 0;
  for (int i = 0; i < 64; ++i) {
    const Kind &k = kinds[i % 4];
    DType inDType = (i / 4) % 2 ? DType::U8 : DType::I8;
    auto [qmin, qmax] = storageRange(inDType);
    QuantParams in = perTensor(r.logUniform(0.01, 0.1), (int32_t)r.uniform(qmin + 64, qmax - 64),
                               inDType);
    double sy = k.kind == UnaryKind::Sigmoid || k.kind == UnaryKind::Tanh
                    ? r.logUniform(1.0 / 300, 1.0 / 100)
                    : in.scale() * r.logUniform(0.7, 2);
    IntOutput out = randomOutput(r, sy, i % 3);
    UnaryParams up;
    up.alpha = 0.1;
    std::string what = std::string(k.name) + " case " + std::to_string(i);
    UnaryTable table = ok(buildUnaryTable(k.kind, up, in, inDType, out));
    if (HasFailure())
      return;
    for (int64_t e = 0; e < 256; ++e) {
      int64_t q = qmin + e;
      // dequantize in f32 as DequantizeLinear; f in double.
      float deq = (float)(q - in.zeroPoint()) * (float)in.scale();
      double fx = k.f(deq);
      int32_t want = quant::quantize((float)fx, (float)sy, out.params.zeroPoint(), out.lo, out.hi);
      // The kernel evaluates f in f32: where f(x) / s_y lies within f32
      // rounding (well below 1e-4 of a step) of a half step, either
      // neighbour is right.
      double t = fx / (double)(float)sy;
      bool nearTie = std::abs(t - std::floor(t) - 0.5) < 1e-4;
      nearTies += nearTie;
      ++entries;
      interior += table[e] > out.lo && table[e] < out.hi;
      if (nearTie ? std::abs(table[e] - want) > 1 : table[e] != want) {
        ADD_FAILURE() << what << ": table[" << e << "] (q = " << q << ", x = " << deq
                      << ") is " << table[e] << ", quantize(f(x)) gives " << want;
        return;
      }
    }
    // The lookup itself: every element reads table[q - qmin].
    Tensor x = randomInts(r, inDType, {3, 50}, qmin, qmax);
    Tensor y = ok(applyUnaryTable(x, table, out));
    ASSERT_TRUE(y.valid());
    ASSERT_EQ(y.dtype(), out.dtype);
    ASSERT_EQ(y.shape(), x.shape());
    for (int64_t e = 0; e < x.numElements(); ++e)
      ASSERT_EQ(y.getAsInt(e), table[x.getAsInt(e) - qmin]) << what << " element " << e;
  }
  EXPECT_LE(nearTies * 100, entries);
  EXPECT_GE(interior * 3, entries);
}

//===----------------------------------------------------------------------===//
// Quantize, dequantize, requantize
//===----------------------------------------------------------------------===//

Tensor f32Tensor(ArrayRef<int64_t> shape, ArrayRef<float> values) {
  Tensor t(DType::F32, shape);
  EXPECT_EQ((size_t)t.numElements(), values.size());
  for (size_t i = 0; i < values.size(); ++i)
    t.data<float>()[i] = values[i];
  return t;
}

void expectInts(const Tensor &t, DType dtype, ArrayRef<int64_t> want) {
  ASSERT_TRUE(t.valid());
  ASSERT_EQ(t.dtype(), dtype);
  ASSERT_EQ((size_t)t.numElements(), want.size());
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_EQ(t.getAsInt(i), want[i]) << "element " << i;
}

TEST(QuantizeTensorTest, PerTensorTiesSaturationAndNaN) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  // s = 0.5 makes the quotients exact: 0.5, 1.5, 2.5, -0.5, -1.5, -2.5 are
  // ties and go to the even neighbour.
  Tensor x = f32Tensor({11}, {0.25f, 0.75f, 1.25f, -0.25f, -0.75f, -1.25f, 1000.0f, -1000.0f,
                              nan, inf, -inf});
  expectInts(ok(quantizeTensor(x, perTensor(0.5, 3, DType::I8), DType::I8)), DType::I8,
             {3, 5, 5, 3, 1, 1, 127, -128, 3, 127, -128});
  expectInts(ok(quantizeTensor(x, perTensor(0.5, 128, DType::U8), DType::U8)), DType::U8,
             {128, 130, 130, 128, 126, 126, 255, 0, 128, 255, 0});
  // A narrowed storage range saturates to it (symmetric int8 weights).
  QuantParams narrow = perTensor(0.5, 0, DType::I8);
  narrow.qmin = -127;
  expectInts(ok(quantizeTensor(x, narrow, DType::I8)), DType::I8,
             {0, 2, 2, 0, -2, -2, 127, -127, 0, 127, -127});
  // F64 input is converted to f32 first.
  Tensor x64 = x.castTo(DType::F64);
  expectInts(ok(quantizeTensor(x64, perTensor(0.5, 3, DType::I8), DType::I8)), DType::I8,
             {3, 5, 5, 3, 1, 1, 127, -128, 3, 127, -128});
}

TEST(QuantizeTensorTest, PerAxisHandChecked) {
  // Axis 1 of [2, 3]: scales 0.5, 1, 0.25 and zero points 0, 10, -5.
  QuantParams p = perTensor(1, 0, DType::I8);
  p.axis = 1;
  p.scales = {0.5, 1.0, 0.25};
  p.zeroPoints = {0, 10, -5};
  Tensor x = f32Tensor({2, 3}, {0.25f, 2.5f, -0.375f, -0.75f, -1000.0f, 31.875f});
  // 0.5 -> 0; 2.5 -> 2, +10; -1.5 -> -2, -5; -1.5 -> -2; saturates; 127.5 -> 128, -5.
  expectInts(ok(quantizeTensor(x, p, DType::I8)), DType::I8, {0, 12, -7, -2, -128, 123});
}

TEST(QuantizeTensorTest, RandomMatchesScalarRule) {
  Rng r(11);
  for (int i = 0; i < 100; ++i) {
    SmallVector<int64_t> shape = {r.uniform(1, 4), r.uniform(1, 5), r.uniform(1, 6)};
    DType storage = r.coin() ? DType::I8 : DType::U8;
    auto [lo, hi] = storageRange(storage);
    QuantParams p = perTensor(1, 0, storage);
    p.scales.clear();
    p.zeroPoints.clear();
    p.axis = i % 4 == 3 ? -1 : i % 3;
    for (int64_t c = 0; c < (p.perAxis() ? shape[p.axis] : 1); ++c) {
      p.scales.push_back(r.logUniform(0.001, 0.1));
      p.zeroPoints.push_back((int32_t)r.uniform(lo, hi));
    }
    Tensor x(DType::F32, shape);
    for (int64_t e = 0; e < x.numElements(); ++e) {
      SmallVector<int64_t> idx = unravel(e, shape);
      int64_t c = p.perAxis() ? idx[p.axis] : 0;
      // Mostly in range, some exact ties, some far out.
      double v = r.real(-200, 200) * p.scale(c);
      if (r.uniform(0, 4) == 0)
        v = ((double)r.uniform(-100, 100) + 0.5) * (float)p.scale(c);
      x.data<float>()[e] = (float)v;
    }
    Tensor q = ok(quantizeTensor(x, p, storage));
    ASSERT_TRUE(q.valid());
    ASSERT_EQ(q.dtype(), storage);
    for (int64_t e = 0; e < x.numElements(); ++e) {
      int64_t c = p.perAxis() ? unravel(e, shape)[p.axis] : 0;
      ASSERT_EQ(q.getAsInt(e), quant::quantize(x.data<float>()[e], (float)p.scale(c),
                                               p.zeroPoint(c), lo, hi))
          << "case " << i << " element " << e;
    }
    // Dequantize: (q - z) * s in f32, exactly.
    Tensor back = ok(dequantizeTensor(q, p));
    ASSERT_TRUE(back.valid());
    ASSERT_EQ(back.dtype(), DType::F32);
    for (int64_t e = 0; e < x.numElements(); ++e) {
      int64_t c = p.perAxis() ? unravel(e, shape)[p.axis] : 0;
      float want = (float)(q.getAsInt(e) - p.zeroPoint(c)) * (float)p.scale(c);
      ASSERT_EQ(back.data<float>()[e], want) << "case " << i << " element " << e;
    }
  }
}

TEST(RequantizeTensorTest, MatchesWrittenRuleAndFloat64Model) {
  Rng r(4711);
  Tally tally;
  for (int i = 0; i < 200; ++i) {
    QTensor q = randomActivation(r, r.coin() ? DType::I8 : DType::U8,
                                 {r.uniform(1, 4), r.uniform(1, 30)});
    IntOutput out = randomOutput(r, q.p.scale() * r.logUniform(0.5, 4), i % 3);
    std::vector<int64_t> exact;
    std::vector<double> real;
    for (int64_t e = 0; e < q.t.numElements(); ++e) {
      exact.push_back(
          writtenRequantize(q.centered(e), q.p.scale() / out.params.scale(), out));
      real.push_back((double)q.centered(e) * q.p.scale());
    }
    Tensor y = ok(requantizeTensor(q.t, q.p, out));
    compare(y, out, q.t.shape(), exact, real, "case " + std::to_string(i), tally);
    if (HasFailure())
      return;
  }
  tally.expectMeaningful("requantizeTensor");
}

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

ConvParams conv1D(int64_t pad = 0) {
  ConvParams cp;
  cp.strides = {1};
  cp.dilations = {1};
  cp.pads = {pad, pad};
  cp.outputPadding = {0};
  return cp;
}

TEST(IntKernelErrorsTest, AccumulatorBoundIsExactAndAnError) {
  // u8 activations with zero point 0 reach 255 and int8 weights -128:
  // 255 * 128 * 65793 = 2147483520 is the longest reduction that fits int32.
  const int64_t kFits = 65793;
  QuantParams xp = perTensor(0.01, 0, DType::U8), wp = perTensor(0.01, 0, DType::I8);
  IntOutput out;
  out.params = perTensor(2000, 0, DType::I8);
  for (int64_t k : {kFits, kFits + 1}) {
    SCOPED_TRACE("K = " + std::to_string(k));
    Tensor x(DType::U8, {1, 1, k}), w(DType::I8, {1, 1, k});
    for (int64_t e = 0; e < k; ++e) {
      x.data<uint8_t>()[e] = 255;
      w.data<int8_t>()[e] = -128;
    }
    auto y = intConv(x, xp, w, wp, nullptr, conv1D(), {1, 1, 1}, out);
    if (k == kFits) {
      // -2147483520 * 0.01 * 0.01 / 2000 = -107.37 -> -107.
      Tensor t = ok(std::move(y));
      ASSERT_TRUE(t.valid());
      EXPECT_EQ(t.getAsInt(0), -107);
      EXPECT_EQ(t.getAsInt(0), quant::requantize(-2147483520, fps(0.01 * 0.01 / 2000), 0, -128,
                                                 127));
      // The bias counts toward the bound.
      Tensor b = intTensor(DType::I32, {1}, {200});
      EXPECT_NE(errorOf(intConv(x, xp, w, wp, &b, conv1D(), {1, 1, 1}, out))
                    .find("can overflow the int32 accumulator"),
                std::string::npos);
    } else {
      EXPECT_NE(errorOf(std::move(y)).find("output channel 0 can overflow the int32 accumulator"),
                std::string::npos);
    }
    // The same reduction as MatMul, Gemm and ConvTranspose (over channels).
    Tensor a = x.reshaped({1, k}), bm = w.reshaped({k, 1});
    auto mm = intMatMul(a, xp, bm, wp, {1, 1}, out);
    auto gm = intGemm(a, xp, bm, wp, nullptr, false, false, out);
    Tensor xt = x.reshaped({1, k, 1}), wt = w.reshaped({k, 1, 1});
    auto ct = intConvTranspose(xt, xp, wt, wp, nullptr, conv1D(), {1, 1, 1}, out);
    if (k == kFits) {
      EXPECT_EQ(ok(std::move(mm)).getAsInt(0), -107);
      EXPECT_EQ(ok(std::move(gm)).getAsInt(0), -107);
      EXPECT_EQ(ok(std::move(ct)).getAsInt(0), -107);
    } else {
      EXPECT_NE(errorOf(std::move(mm)).find("can overflow the int32 accumulator"),
                std::string::npos);
      EXPECT_NE(errorOf(std::move(gm)).find("can overflow the int32 accumulator"),
                std::string::npos);
      EXPECT_NE(errorOf(std::move(ct)).find("can overflow the int32 accumulator"),
                std::string::npos);
    }
  }
}

TEST(IntKernelErrorsTest, PerAxisCountMismatch) {
  IntOutput out;
  out.params = perTensor(0.1, 0, DType::I8);
  QuantParams xp = perTensor(0.1, 0, DType::I8);
  QuantParams wp = perTensor(0.01, 0, DType::I8);
  wp.axis = 0;
  wp.scales = {0.01, 0.02};
  wp.zeroPoints = {0, 0};
  // Three output channels, two scales.
  Tensor x(DType::I8, {1, 2, 4}), w(DType::I8, {3, 2, 1});
  EXPECT_NE(errorOf(intConv(x, xp, w, wp, nullptr, conv1D(), {1, 3, 4}, out))
                .find("weight has 2 per-axis scales for 3 channels"),
            std::string::npos);
  // Scales and zero points of different counts.
  QuantParams uneven = wp;
  uneven.scales = {0.01, 0.02, 0.03};
  EXPECT_NE(errorOf(intConv(x, xp, w, uneven, nullptr, conv1D(), {1, 3, 4}, out))
                .find("as many scales as zero points"),
            std::string::npos);
  // Per-axis weights along the wrong axis.
  QuantParams axis1 = wp;
  axis1.axis = 1;
  EXPECT_NE(errorOf(intConv(x, xp, w, axis1, nullptr, conv1D(), {1, 3, 4}, out))
                .find("along axis 0"),
            std::string::npos);
  // ConvTranspose has one scale per output channel of a group (axis 1).
  Tensor xt(DType::I8, {1, 2, 4}), wt(DType::I8, {2, 2, 1});
  ConvParams grouped = conv1D();
  grouped.group = 2;
  QuantParams wt1 = wp;
  wt1.axis = 1;
  // Two scales (M/group, the size of axis 1) are right; four (one per output
  // channel overall) are not.
  EXPECT_TRUE(ok(intConvTranspose(xt, xp, wt, wt1, nullptr, grouped, {1, 4, 4}, out)).valid());
  wt1.scales = {0.01, 0.02, 0.03, 0.04};
  wt1.zeroPoints = {0, 0, 0, 0};
  EXPECT_NE(errorOf(intConvTranspose(xt, xp, wt, wt1, nullptr, grouped, {1, 4, 4}, out))
                .find("weight has 4 per-axis scales for 2 channels"),
            std::string::npos);
  // MatMul: per-axis B must be along its last axis with N scales.
  Tensor a(DType::I8, {2, 3}), b(DType::I8, {3, 4});
  EXPECT_NE(errorOf(intMatMul(a, xp, b, wp, {2, 4}, out)).find("last axis"), std::string::npos);
  QuantParams cols = wp;
  cols.axis = 1;
  EXPECT_NE(errorOf(intMatMul(a, xp, b, cols, {2, 4}, out)).find("2 per-axis scales for 4"),
            std::string::npos);
  // Gemm: per-axis B along its N dim.
  EXPECT_NE(errorOf(intGemm(a, xp, b, wp, nullptr, false, false, out)).find("axis 1"),
            std::string::npos);
  // Quantize and dequantize.
  QuantParams q = wp;
  q.axis = 1;
  EXPECT_NE(errorOf(quantizeTensor(Tensor(DType::F32, {2, 3}), q, DType::I8))
                .find("2 per-axis scales for 3 channels"),
            std::string::npos);
  EXPECT_NE(errorOf(dequantizeTensor(Tensor(DType::I8, {2, 3}), q))
                .find("2 per-axis scales for 3 channels"),
            std::string::npos);
  q.axis = 2;
  EXPECT_NE(errorOf(quantizeTensor(Tensor(DType::F32, {2, 3}), q, DType::I8)).find("out of range"),
            std::string::npos);
}

TEST(IntKernelErrorsTest, WrongDTypes) {
  IntOutput out;
  out.params = perTensor(0.1, 0, DType::I8);
  QuantParams xp = perTensor(0.1, 0, DType::I8), wp = perTensor(0.01, 0, DType::I8);
  Tensor x(DType::I8, {1, 2, 4}), w(DType::I8, {3, 2, 1});
  EXPECT_NE(errorOf(intConv(Tensor(DType::F32, {1, 2, 4}), xp, w, wp, nullptr, conv1D(),
                            {1, 3, 4}, out))
                .find("expected an integer storage tensor, got float32[1,2,4]"),
            std::string::npos);
  EXPECT_NE(errorOf(intConv(Tensor(DType::I32, {1, 2, 4}), xp, w, wp, nullptr, conv1D(),
                            {1, 3, 4}, out))
                .find("must be 8-bit"),
            std::string::npos);
  // The bias is int32 with one element per output channel.
  Tensor b64(DType::I64, {3}), b2(DType::I32, {2});
  EXPECT_NE(errorOf(intConv(x, xp, w, wp, &b64, conv1D(), {1, 3, 4}, out))
                .find("bias must be int32 with 3 elements"),
            std::string::npos);
  EXPECT_NE(errorOf(intConv(x, xp, w, wp, &b2, conv1D(), {1, 3, 4}, out))
                .find("bias must be int32 with 3 elements"),
            std::string::npos);
  // The output storage must be an integer type.
  IntOutput f32Out = out;
  f32Out.dtype = DType::F32;
  EXPECT_NE(errorOf(intConv(x, xp, w, wp, nullptr, conv1D(), {1, 3, 4}, f32Out))
                .find("not an integer type"),
            std::string::npos);
  EXPECT_NE(errorOf(intMatMul(Tensor(DType::F32, {2, 3}), xp, Tensor(DType::I8, {3, 2}), wp,
                              {2, 2}, out)),
            "");
  EXPECT_NE(errorOf(intGemm(Tensor(DType::I8, {2, 3}), xp, Tensor(DType::I16, {3, 2}), wp,
                            nullptr, false, false, out))
                .find("must be 8-bit matrices"),
            std::string::npos);
  Tensor c64(DType::I64, {2});
  EXPECT_NE(errorOf(intGemm(Tensor(DType::I8, {2, 3}), xp, Tensor(DType::I8, {3, 2}), wp, &c64,
                            false, false, out))
                .find("C must be int32"),
            std::string::npos);
  EXPECT_NE(errorOf(intAdd(Tensor(DType::I32, {4}), xp, Tensor(DType::I8, {4}), xp, {4}, out))
                .find("must be 8-bit"),
            std::string::npos);
  EXPECT_NE(errorOf(intMul(Tensor(DType::I8, {4}), xp, Tensor(DType::F32, {4}), xp, {4}, out))
                .find("expected an integer storage tensor"),
            std::string::npos);
  PoolParams pp;
  pp.kernel = {2};
  EXPECT_NE(errorOf(intAvgPool(Tensor(DType::I16, {1, 1, 4}), xp, pp, {1, 1, 3}, out))
                .find("expected an 8-bit input"),
            std::string::npos);
  IntOutput i32Out = out;
  i32Out.dtype = DType::I32;
  EXPECT_NE(errorOf(intAvgPool(Tensor(DType::I8, {1, 1, 4}), xp, pp, {1, 1, 3}, i32Out))
                .find("the output must be 8-bit"),
            std::string::npos);
  EXPECT_NE(errorOf(intGlobalAvgPool(Tensor(DType::F32, {1, 1, 4}), xp, out))
                .find("expected an 8-bit input"),
            std::string::npos);
  // Tables index 8-bit storage only.
  EXPECT_NE(errorOf(buildUnaryTable(UnaryKind::Sigmoid, {}, xp, DType::I16, out))
                .find("needs an 8-bit input"),
            std::string::npos);
  EXPECT_NE(errorOf(applyUnaryTable(Tensor(DType::I32, {4}), UnaryTable{}, out))
                .find("needs an 8-bit input"),
            std::string::npos);
  // Quantize takes floats to integers; dequantize integers.
  EXPECT_NE(errorOf(quantizeTensor(Tensor(DType::I8, {4}), xp, DType::I8))
                .find("expected a float tensor"),
            std::string::npos);
  EXPECT_NE(errorOf(quantizeTensor(Tensor(DType::F32, {4}), xp, DType::F16))
                .find("is not an integer type"),
            std::string::npos);
  EXPECT_NE(errorOf(dequantizeTensor(Tensor(DType::F32, {4}), xp)).find("integer storage"),
            std::string::npos);
  EXPECT_NE(errorOf(requantizeTensor(Tensor(DType::F64, {4}), xp, out)).find("integer storage"),
            std::string::npos);
}

TEST(IntKernelErrorsTest, BadScalesAndShapes) {
  IntOutput out;
  out.params = perTensor(0.1, 0, DType::I8);
  QuantParams xp = perTensor(0.1, 0, DType::I8), wp = perTensor(0.01, 0, DType::I8);
  Tensor x(DType::I8, {2, 2, 4}), w(DType::I8, {3, 2, 1});
  QuantParams zero = wp;
  zero.scales = {0.0};
  EXPECT_NE(errorOf(intConv(x, xp, w, zero, nullptr, conv1D(), {2, 3, 4}, out))
                .find("positive and finite"),
            std::string::npos);
  // A multiplier of 2^29 or more has no fixed-point form.
  IntOutput tiny = out;
  tiny.params.scales = {1e-12};
  EXPECT_NE(errorOf(intConv(x, xp, w, wp, nullptr, conv1D(), {2, 3, 4}, tiny))
                .find("channel 0"),
            std::string::npos);
  // Output shapes that do not fit the input (batch, channels, spatial).
  for (auto bad : {SmallVector<int64_t>{1, 3, 4}, SmallVector<int64_t>{3, 3, 4},
                   SmallVector<int64_t>{2, 4, 4}, SmallVector<int64_t>{2, 3, 5},
                   SmallVector<int64_t>{2, 3, 3}, SmallVector<int64_t>{2, 3}}) {
    SCOPED_TRACE("output " + shapeString(bad));
    EXPECT_NE(errorOf(intConv(x, xp, w, wp, nullptr, conv1D(), bad, out)), "");
  }
  Tensor wt(DType::I8, {2, 3, 1});
  for (auto bad : {SmallVector<int64_t>{1, 3, 4}, SmallVector<int64_t>{3, 3, 4},
                   SmallVector<int64_t>{2, 3, 5}}) {
    SCOPED_TRACE("transposed output " + shapeString(bad));
    EXPECT_NE(errorOf(intConvTranspose(x, xp, wt, wp, nullptr, conv1D(), bad, out)), "");
  }
  // A result of whole 64-byte blocks (so that a write past it leaves the
  // allocation) for a batch of 1 where the input has 2.
  Tensor xb(DType::I8, {2, 2, 64}), wb(DType::I8, {1, 2, 1});
  EXPECT_NE(errorOf(intConv(xb, xp, wb, wp, nullptr, conv1D(), {1, 1, 64}, out))
                .find("does not fit input"),
            std::string::npos);
  // Strides and dilations must be positive.
  ConvParams zeroStride = conv1D();
  zeroStride.strides = {0};
  EXPECT_NE(errorOf(intConv(x, xp, w, wp, nullptr, zeroStride, {2, 3, 4}, out)), "");
  // Inner dims and broadcasting.
  EXPECT_NE(errorOf(intMatMul(Tensor(DType::I8, {2, 3}), xp, Tensor(DType::I8, {4, 2}), wp,
                              {2, 2}, out))
                .find("inner dims differ"),
            std::string::npos);
  EXPECT_NE(errorOf(intMatMul(Tensor(DType::I8, {2, 2, 3}), xp, Tensor(DType::I8, {3, 3, 2}), wp,
                              {3, 2, 2}, out))
                .find("do not broadcast"),
            std::string::npos);
  EXPECT_NE(errorOf(intAdd(Tensor(DType::I8, {3}), xp, Tensor(DType::I8, {4}), xp, {4}, out)), "");
  PoolParams pp;
  pp.kernel = {2};
  EXPECT_NE(errorOf(intAvgPool(Tensor(DType::I8, {1, 1, 4}), xp, pp, {1, 1, 5}, out))
                .find("neither the floor"),
            std::string::npos);
}

} // namespace
