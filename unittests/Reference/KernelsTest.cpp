//===- KernelsTest.cpp - CPU reference kernel tests -----------------------===//
//
// Hand-checked values for each kernel family, plus naive direct loops for the
// GEMM-based kernels (conv, convTranspose, matmul, gemm) over configurations
// that exercise groups, dilations, asymmetric and negative pads.
//
// Tolerances: float kernels are compared with |got - want| <= 1e-5 + 1e-5 *
// |want|, the tolerance of the ONNX backend node tests the kernels must pass;
// the naive loops accumulate in double, so BLAS summation order stays far
// inside it for the small reductions used here.
//
//===----------------------------------------------------------------------===//

#include "qopt/Reference/Kernels.h"

#include "gtest/gtest.h"

#include <cmath>
#include <vector>

using namespace qopt::ref;
using llvm::ArrayRef;
using llvm::SmallVector;

namespace {

Tensor makeF32(ArrayRef<int64_t> shape, ArrayRef<float> values) {
  Tensor t(DType::F32, shape);
  EXPECT_EQ((size_t)t.numElements(), values.size());
  for (size_t i = 0; i < values.size(); ++i)
    t.data<float>()[i] = values[i];
  return t;
}

template <typename T> Tensor makeTyped(DType dtype, ArrayRef<int64_t> shape, ArrayRef<T> values) {
  Tensor t(dtype, shape);
  EXPECT_EQ((size_t)t.numElements(), values.size());
  for (size_t i = 0; i < values.size(); ++i)
    t.data<T>()[i] = values[i];
  return t;
}

/// Deterministic values in [-1, 1).
Tensor randomF32(ArrayRef<int64_t> shape, uint32_t seed) {
  Tensor t(DType::F32, shape);
  uint32_t s = seed * 2654435761u + 1;
  for (int64_t i = 0; i < t.numElements(); ++i) {
    s = s * 1664525u + 1013904223u;
    t.data<float>()[i] = (float)((s >> 8) / 8388608.0 - 1.0);
  }
  return t;
}

/// Unwraps a kernel result, failing the test on error.
Tensor ok(llvm::Expected<Tensor> r) {
  if (!r) {
    ADD_FAILURE() << "unexpected error: " << llvm::toString(r.takeError());
    return Tensor();
  }
  return std::move(*r);
}

/// The error message of a result that must fail ("" when it succeeded).
std::string errorOf(llvm::Expected<Tensor> r) {
  if (r)
    return "";
  return llvm::toString(r.takeError());
}

void expectClose(const Tensor &got, ArrayRef<double> want) {
  ASSERT_TRUE(got.valid());
  ASSERT_EQ((size_t)got.numElements(), want.size()) << got.describe();
  for (size_t i = 0; i < want.size(); ++i) {
    double g = got.getAsDouble(i), w = want[i];
    if (std::isnan(w)) {
      EXPECT_TRUE(std::isnan(g)) << "element " << i;
      continue;
    }
    EXPECT_NEAR(g, w, 1e-5 + 1e-5 * std::fabs(w)) << "element " << i << " of " << got.describe();
  }
}

void expectClose(const Tensor &got, const std::vector<double> &want, ArrayRef<int64_t> shape) {
  EXPECT_EQ(got.shape(), shape);
  expectClose(got, ArrayRef<double>(want));
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

TEST(ElementwiseTest, BroadcastAddMatchesNaiveLoop) {
  Tensor a = randomF32({2, 1, 4}, 1), b = randomF32({3, 1}, 2);
  Tensor y = ok(binary(BinaryKind::Add, a, b, {2, 3, 4}));
  std::vector<double> want;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k)
        want.push_back(a.data<float>()[i * 4 + k] + b.data<float>()[j]);
  expectClose(y, want, {2, 3, 4});
}

TEST(ElementwiseTest, ScalarAndEqualShapeFastPaths) {
  Tensor a = makeF32({2, 2}, {1, 2, 3, 4}), s = makeF32({}, {10});
  expectClose(ok(binary(BinaryKind::Sub, s, a, {2, 2})), {9, 8, 7, 6}, {2, 2});
  expectClose(ok(binary(BinaryKind::Mul, a, a, {2, 2})), {1, 4, 9, 16}, {2, 2});
  expectClose(ok(binary(BinaryKind::Div, a, s, {2, 2})), {0.1, 0.2, 0.3, 0.4}, {2, 2});
}

TEST(ElementwiseTest, BroadcastMismatchIsError) {
  Tensor a = randomF32({2, 3}, 1), b = randomF32({4}, 2);
  EXPECT_NE(errorOf(binary(BinaryKind::Add, a, b, {2, 3})).find("does not broadcast"),
            std::string::npos);
}

TEST(ElementwiseTest, DefaultConstructedOperandIsError) {
  // Tensor() has an empty shape (one element) but no storage.
  Tensor x = makeF32({2}, {1, 2});
  EXPECT_NE(errorOf(binary(BinaryKind::Add, Tensor(), x, {2})).find("storage"),
            std::string::npos);
  EXPECT_NE(errorOf(unary(UnaryKind::Relu, Tensor())).find("storage"), std::string::npos);
  EXPECT_NE(errorOf(gather(x, Tensor(), 0)).find("storage"), std::string::npos);
}

TEST(ElementwiseTest, IntegerDivTruncatesModFollowsDivisor) {
  Tensor a = makeTyped<int32_t>(DType::I32, {4}, {-7, 7, -7, 7});
  Tensor b = makeTyped<int32_t>(DType::I32, {4}, {2, -2, -2, 2});
  expectClose(ok(binary(BinaryKind::Div, a, b, {4})), {-3, -3, 3, 3}, {4});
  expectClose(ok(binary(BinaryKind::Mod, a, b, {4})), {1, -1, -1, 1}, {4});
  expectClose(ok(binary(BinaryKind::FMod, a, b, {4})), {-1, 1, -1, 1}, {4});
  // INT_MIN / -1 wraps instead of trapping.
  Tensor m = makeTyped<int8_t>(DType::I8, {1}, {-128});
  Tensor n1 = makeTyped<int8_t>(DType::I8, {1}, {-1});
  expectClose(ok(binary(BinaryKind::Div, m, n1, {1})), {-128}, {1});
}

TEST(ElementwiseTest, IntegerDivisionByZeroIsError) {
  Tensor a = makeTyped<int64_t>(DType::I64, {2}, {1, 2});
  Tensor b = makeTyped<int64_t>(DType::I64, {2}, {1, 0});
  EXPECT_NE(errorOf(binary(BinaryKind::Div, a, b, {2})).find("division by zero"),
            std::string::npos);
  EXPECT_NE(errorOf(binary(BinaryKind::Mod, a, b, {2})).find("division by zero"),
            std::string::npos);
}

TEST(ElementwiseTest, FloatModNeedsFmod) {
  Tensor a = makeF32({2}, {-5.5f, 5.5f}), b = makeF32({2}, {2, -2});
  EXPECT_NE(errorOf(binary(BinaryKind::Mod, a, b, {2})).find("fmod"), std::string::npos);
  expectClose(ok(binary(BinaryKind::FMod, a, b, {2})), {-1.5, 1.5}, {2});
}

TEST(ElementwiseTest, PowMixedAndIntegerTypes) {
  Tensor base = makeF32({3}, {2, -2, 0.5f});
  Tensor e = makeTyped<int64_t>(DType::I64, {3}, {3, 2, -1});
  Tensor y = ok(binary(BinaryKind::Pow, base, e, {3}));
  EXPECT_EQ(y.dtype(), DType::F32);
  expectClose(y, {8, 4, 2}, {3});
  Tensor ib = makeTyped<int32_t>(DType::I32, {3}, {2, 3, -2});
  Tensor ie = makeTyped<int32_t>(DType::I32, {3}, {10, 3, 3});
  expectClose(ok(binary(BinaryKind::Pow, ib, ie, {3})), {1024, 27, -8}, {3});
  // 2^7 wraps in int8.
  Tensor b8 = makeTyped<int8_t>(DType::I8, {1}, {2}), e8 = makeTyped<int8_t>(DType::I8, {1}, {7});
  expectClose(ok(binary(BinaryKind::Pow, b8, e8, {1})), {-128}, {1});
}

TEST(ElementwiseTest, ComparisonsAndLogic) {
  Tensor a = makeF32({3}, {1, 2, 3}), b = makeF32({}, {2});
  Tensor lt = ok(binary(BinaryKind::Less, a, b, {3}));
  EXPECT_EQ(lt.dtype(), DType::Bool);
  expectClose(lt, {1, 0, 0}, {3});
  expectClose(ok(binary(BinaryKind::GreaterOrEqual, a, b, {3})), {0, 1, 1}, {3});
  Tensor p = makeTyped<uint8_t>(DType::Bool, {4}, {0, 0, 1, 1});
  Tensor q = makeTyped<uint8_t>(DType::Bool, {4}, {0, 1, 0, 1});
  expectClose(ok(binary(BinaryKind::And, p, q, {4})), {0, 0, 0, 1}, {4});
  expectClose(ok(binary(BinaryKind::Or, p, q, {4})), {0, 1, 1, 1}, {4});
  expectClose(ok(binary(BinaryKind::Xor, p, q, {4})), {0, 1, 1, 0}, {4});
  EXPECT_NE(errorOf(binary(BinaryKind::And, a, a, {3})), "");
}

TEST(ElementwiseTest, MaxMinPropagateNaN) {
  Tensor a = makeF32({2}, {NAN, 1}), b = makeF32({2}, {0, 2});
  expectClose(ok(binary(BinaryKind::Max, a, b, {2})), {NAN, 2}, {2});
  expectClose(ok(binary(BinaryKind::Min, a, b, {2})), {NAN, 1}, {2});
}

TEST(ElementwiseTest, HalfIsComputedInFloatAndRoundedBack) {
  Tensor a(DType::F16, {2}), b(DType::F16, {2});
  a.data<uint16_t>()[0] = floatToHalf(1.5f);
  a.data<uint16_t>()[1] = floatToHalf(2048.0f);
  b.data<uint16_t>()[0] = floatToHalf(2.25f);
  b.data<uint16_t>()[1] = floatToHalf(1.0f); // 2049 is not representable: rounds to even
  Tensor y = ok(binary(BinaryKind::Add, a, b, {2}));
  EXPECT_EQ(y.dtype(), DType::F16);
  expectClose(y, {3.75, 2048}, {2});
}

TEST(ElementwiseTest, UnaryFloatFormulas) {
  Tensor x = makeF32({7}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f, -2.6f});
  expectClose(ok(unary(UnaryKind::Round, x)), {0, 2, 2, -0.0, -2, 2, -3}, {7});
  Tensor v = makeF32({4}, {-3, -1, 0.5f, 4});
  std::vector<double> gelu, geluTanh, hswish, sigmoid;
  for (double t : {-3.0, -1.0, 0.5, 4.0}) {
    gelu.push_back(0.5 * t * (1 + std::erf(t / std::sqrt(2.0))));
    geluTanh.push_back(0.5 * t *
                       (1 + std::tanh(std::sqrt(2 / M_PI) * (t + 0.044715 * t * t * t))));
    hswish.push_back(t * std::max(0.0, std::min(1.0, t / 6 + 0.5)));
    sigmoid.push_back(1 / (1 + std::exp(-t)));
  }
  expectClose(ok(unary(UnaryKind::Gelu, v)), gelu, {4});
  expectClose(ok(unary(UnaryKind::GeluTanh, v)), geluTanh, {4});
  expectClose(ok(unary(UnaryKind::HardSwish, v)), hswish, {4});
  expectClose(ok(unary(UnaryKind::Sigmoid, v)), sigmoid, {4});
  UnaryParams p;
  p.alpha = 0.1;
  expectClose(ok(unary(UnaryKind::LeakyRelu, v, p)), {-0.3, -0.1, 0.5, 4}, {4});
  p.alpha = 0.2;
  p.beta = 0.5;
  expectClose(ok(unary(UnaryKind::HardSigmoid, v, p)), {0, 0.3, 0.6, 1}, {4});
  UnaryParams clip;
  clip.lo = -1.5;
  expectClose(ok(unary(UnaryKind::Clip, v, clip)), {-1.5, -1, 0.5, 4}, {4});
  expectClose(ok(unary(UnaryKind::Sign, v)), {-1, -1, 1, 1}, {4});
}

TEST(ElementwiseTest, UnaryIntegerAndBool) {
  Tensor x = makeTyped<int8_t>(DType::I8, {4}, {-128, -3, 0, 100});
  expectClose(ok(unary(UnaryKind::Neg, x)), {-128, 3, 0, -100}, {4});
  expectClose(ok(unary(UnaryKind::Abs, x)), {-128, 3, 0, 100}, {4});
  expectClose(ok(unary(UnaryKind::Relu, x)), {0, 0, 0, 100}, {4});
  UnaryParams clip;
  clip.lo = -5;
  clip.hi = 1000; // beyond int8: saturates to 127
  expectClose(ok(unary(UnaryKind::Clip, x, clip)), {-5, -3, 0, 100}, {4});
  EXPECT_NE(errorOf(unary(UnaryKind::Exp, x)).find("int8"), std::string::npos);
  Tensor b = makeTyped<uint8_t>(DType::Bool, {2}, {0, 1});
  expectClose(ok(unary(UnaryKind::Not, b)), {1, 0}, {2});
}

TEST(ElementwiseTest, WhereBroadcastsThreeWays) {
  Tensor c = makeTyped<uint8_t>(DType::Bool, {2, 1}, {1, 0});
  Tensor x = makeF32({3}, {1, 2, 3}), y = makeF32({}, {-1});
  expectClose(ok(where(c, x, y, {2, 3})), {1, 2, 3, -1, -1, -1}, {2, 3});
  EXPECT_NE(errorOf(where(x, x, y, {3})).find("bool"), std::string::npos);
}

//===----------------------------------------------------------------------===//
// Conv and ConvTranspose against naive loops
//===----------------------------------------------------------------------===//

struct ConvCase {
  SmallVector<int64_t, 5> x, w;
  SmallVector<int64_t, 3> strides, dilations, pads, outputPadding;
  int64_t group;
};

std::ostream &operator<<(std::ostream &os, const ConvCase &c) {
  auto list = [&](const char *name, ArrayRef<int64_t> v) {
    os << name << "[";
    for (size_t i = 0; i < v.size(); ++i)
      os << (i ? "," : "") << v[i];
    os << "] ";
  };
  list("x", c.x);
  list("w", c.w);
  list("strides", c.strides);
  list("dilations", c.dilations);
  list("pads", c.pads);
  list("output_padding", c.outputPadding);
  return os << "group " << c.group;
}

/// Spatial dims padded to 3 with leading singletons.
struct Geo {
  int64_t in[3] = {1, 1, 1}, k[3] = {1, 1, 1}, out[3] = {1, 1, 1}, s[3] = {1, 1, 1},
          d[3] = {1, 1, 1}, pb[3] = {0, 0, 0}, pe[3] = {0, 0, 0}, op[3] = {0, 0, 0};
};

Geo geometry(const ConvCase &c, bool transposed) {
  Geo g;
  size_t ns = c.x.size() - 2, off = 3 - ns;
  for (size_t i = 0; i < ns; ++i) {
    size_t j = off + i;
    g.in[j] = c.x[2 + i];
    g.k[j] = c.w[2 + i];
    g.s[j] = c.strides[i];
    g.d[j] = c.dilations[i];
    g.pb[j] = c.pads[i];
    g.pe[j] = c.pads[ns + i];
    g.op[j] = c.outputPadding.empty() ? 0 : c.outputPadding[i];
    int64_t ext = g.d[j] * (g.k[j] - 1) + 1;
    g.out[j] = transposed ? g.s[j] * (g.in[j] - 1) + g.op[j] + ext - g.pb[j] - g.pe[j]
                          : (g.in[j] + g.pb[j] + g.pe[j] - ext) / g.s[j] + 1;
  }
  return g;
}

SmallVector<int64_t, 5> outShapeOf(const ConvCase &c, const Geo &g, int64_t m) {
  SmallVector<int64_t, 5> shape = {c.x[0], m};
  for (size_t i = 3 - (c.x.size() - 2); i < 3; ++i)
    shape.push_back(g.out[i]);
  return shape;
}

ConvParams paramsOf(const ConvCase &c) {
  ConvParams p;
  p.strides = c.strides;
  p.dilations = c.dilations;
  p.pads = c.pads;
  p.outputPadding = c.outputPadding;
  p.group = c.group;
  return p;
}

/// Direct convolution: y[n,m,o] = b[m] + sum x[n,c,o*s-pb+k*d] w[m,c,k].
std::vector<double> naiveConv(const ConvCase &c, const Geo &g, const Tensor &x, const Tensor &w,
                              const Tensor &b) {
  int64_t n = c.x[0], ch = c.x[1], m = c.w[0], cg = ch / c.group, mg = m / c.group;
  std::vector<double> y;
  for (int64_t bn = 0; bn < n; ++bn)
    for (int64_t om = 0; om < m; ++om)
      for (int64_t o0 = 0; o0 < g.out[0]; ++o0)
        for (int64_t o1 = 0; o1 < g.out[1]; ++o1)
          for (int64_t o2 = 0; o2 < g.out[2]; ++o2) {
            double acc = b.data<float>()[om];
            int64_t grp = om / mg;
            for (int64_t ic = 0; ic < cg; ++ic)
              for (int64_t k0 = 0; k0 < g.k[0]; ++k0)
                for (int64_t k1 = 0; k1 < g.k[1]; ++k1)
                  for (int64_t k2 = 0; k2 < g.k[2]; ++k2) {
                    int64_t i0 = o0 * g.s[0] - g.pb[0] + k0 * g.d[0];
                    int64_t i1 = o1 * g.s[1] - g.pb[1] + k1 * g.d[1];
                    int64_t i2 = o2 * g.s[2] - g.pb[2] + k2 * g.d[2];
                    if (i0 < 0 || i0 >= g.in[0] || i1 < 0 || i1 >= g.in[1] || i2 < 0 ||
                        i2 >= g.in[2])
                      continue;
                    int64_t xc = grp * cg + ic;
                    double xv = x.data<float>()[(((bn * ch + xc) * g.in[0] + i0) * g.in[1] + i1) *
                                                    g.in[2] +
                                                i2];
                    double wv = w.data<float>()[(((om * cg + ic) * g.k[0] + k0) * g.k[1] + k1) *
                                                    g.k[2] +
                                                k2];
                    acc += xv * wv;
                  }
            y.push_back(acc);
          }
  return y;
}

class ConvTest : public ::testing::TestWithParam<ConvCase> {};

TEST_P(ConvTest, MatchesDirectLoop) {
  const ConvCase &c = GetParam();
  Geo g = geometry(c, false);
  Tensor x = randomF32(c.x, 1), w = randomF32(c.w, 2), b = randomF32({c.w[0]}, 3);
  auto outShape = outShapeOf(c, g, c.w[0]);
  Tensor y = ok(conv(x, w, &b, paramsOf(c), outShape));
  expectClose(y, naiveConv(c, g, x, w, b), outShape);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ConvTest,
    ::testing::Values(
        // 3x3 stride 2 pad 1 (ResNet downsampling).
        ConvCase{{1, 3, 11, 13}, {8, 3, 3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, {}, 1},
        // Groups, dilation, asymmetric pads.
        ConvCase{{2, 4, 9, 9}, {6, 2, 3, 2}, {1, 2}, {2, 1}, {0, 1, 2, 0}, {}, 2},
        // Depthwise.
        ConvCase{{1, 8, 7, 7}, {8, 1, 3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, {}, 8},
        // 1x1 stride 1 unpadded: the im2col-free path.
        ConvCase{{2, 16, 5, 5}, {4, 16, 1, 1}, {1, 1}, {1, 1}, {0, 0, 0, 0}, {}, 1},
        // 1x1 stride 2 with groups: im2col.
        ConvCase{{1, 6, 8, 8}, {6, 3, 1, 1}, {2, 2}, {1, 1}, {0, 0, 0, 0}, {}, 2},
        // 1-D with dilation and stride 3.
        ConvCase{{1, 3, 20}, {5, 3, 4}, {3}, {2}, {2, 1}, {}, 1},
        // 3-D.
        ConvCase{{1, 2, 5, 6, 7}, {4, 2, 3, 2, 3}, {1, 2, 2}, {1, 2, 1}, {1, 0, 1, 1, 0, 2}, {},
                 1}));

TEST(ConvErrorsTest, RejectsBadInput) {
  Tensor x = randomF32({1, 3, 5, 5}, 1), w = randomF32({4, 3, 3, 3}, 2);
  ConvParams p;
  p.strides = {1, 1};
  p.dilations = {1, 1};
  p.pads = {0, 0, 0, 0};
  EXPECT_NE(errorOf(conv(x, w, nullptr, p, {1, 4, 4, 4})).find("does not match"),
            std::string::npos);
  Tensor bias = randomF32({3}, 3);
  EXPECT_NE(errorOf(conv(x, w, &bias, p, {1, 4, 3, 3})).find("bias"), std::string::npos);
  Tensor xi(DType::I8, {1, 3, 5, 5}), wi(DType::I8, {4, 3, 3, 3});
  EXPECT_NE(errorOf(conv(xi, wi, nullptr, p, {1, 4, 3, 3})).find("unsupported"),
            std::string::npos);
  p.group = 2; // 3 channels do not split into 2 groups
  EXPECT_NE(errorOf(conv(x, w, nullptr, p, {1, 4, 3, 3})).find("group"), std::string::npos);
}

TEST(ConvErrorsTest, F64AndF16Inputs) {
  ConvCase c{{1, 2, 4, 4}, {3, 2, 3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, {}, 1};
  Geo g = geometry(c, false);
  Tensor x = randomF32(c.x, 4), w = randomF32(c.w, 5), b(DType::F32, {3});
  auto want = naiveConv(c, g, x, w, b);
  Tensor y64 = ok(conv(x.castTo(DType::F64), w.castTo(DType::F64), nullptr, paramsOf(c),
                       outShapeOf(c, g, 3)));
  EXPECT_EQ(y64.dtype(), DType::F64);
  expectClose(y64, want, outShapeOf(c, g, 3));
  Tensor y16 = ok(conv(x.castTo(DType::F16), w.castTo(DType::F16), nullptr, paramsOf(c),
                       outShapeOf(c, g, 3)));
  EXPECT_EQ(y16.dtype(), DType::F16);
  // Inputs and output are rounded to half (11-bit mantissa): 1e-2 absolute
  // covers 18 products of values in [-1, 1].
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(y16.getAsDouble(i), want[i], 1e-2);
}

/// Scatter form of the transposed convolution:
/// y[n, g*Mg+m, i*s-pb+k*d] += x[n, g*Cg+c, i] * w[g*Cg+c, m, k].
std::vector<double> naiveConvTranspose(const ConvCase &c, const Geo &g, const Tensor &x,
                                       const Tensor &w, const Tensor &b, int64_t m) {
  int64_t n = c.x[0], ch = c.x[1], cg = ch / c.group, mg = c.w[1];
  int64_t outSize = g.out[0] * g.out[1] * g.out[2];
  std::vector<double> y(n * m * outSize);
  for (int64_t bn = 0; bn < n; ++bn)
    for (int64_t om = 0; om < m; ++om)
      for (int64_t i = 0; i < outSize; ++i)
        y[(bn * m + om) * outSize + i] = b.data<float>()[om];
  for (int64_t bn = 0; bn < n; ++bn)
    for (int64_t xc = 0; xc < ch; ++xc)
      for (int64_t i0 = 0; i0 < g.in[0]; ++i0)
        for (int64_t i1 = 0; i1 < g.in[1]; ++i1)
          for (int64_t i2 = 0; i2 < g.in[2]; ++i2) {
            double xv =
                x.data<float>()[(((bn * ch + xc) * g.in[0] + i0) * g.in[1] + i1) * g.in[2] + i2];
            int64_t grp = xc / cg;
            for (int64_t om = 0; om < mg; ++om)
              for (int64_t k0 = 0; k0 < g.k[0]; ++k0)
                for (int64_t k1 = 0; k1 < g.k[1]; ++k1)
                  for (int64_t k2 = 0; k2 < g.k[2]; ++k2) {
                    int64_t o0 = i0 * g.s[0] - g.pb[0] + k0 * g.d[0];
                    int64_t o1 = i1 * g.s[1] - g.pb[1] + k1 * g.d[1];
                    int64_t o2 = i2 * g.s[2] - g.pb[2] + k2 * g.d[2];
                    if (o0 < 0 || o0 >= g.out[0] || o1 < 0 || o1 >= g.out[1] || o2 < 0 ||
                        o2 >= g.out[2])
                      continue;
                    double wv = w.data<float>()[(((xc * mg + om) * g.k[0] + k0) * g.k[1] + k1) *
                                                    g.k[2] +
                                                k2];
                    int64_t oc = grp * mg + om;
                    y[(bn * m + oc) * outSize + (o0 * g.out[1] + o1) * g.out[2] + o2] += xv * wv;
                  }
          }
  return y;
}

class ConvTransposeTest : public ::testing::TestWithParam<ConvCase> {};

TEST_P(ConvTransposeTest, MatchesScatterLoop) {
  const ConvCase &c = GetParam();
  Geo g = geometry(c, true);
  int64_t m = c.w[1] * c.group;
  Tensor x = randomF32(c.x, 6), w = randomF32(c.w, 7), b = randomF32({m}, 8);
  auto outShape = outShapeOf(c, g, m);
  Tensor y = ok(convTranspose(x, w, &b, paramsOf(c), outShape));
  expectClose(y, naiveConvTranspose(c, g, x, w, b, m), outShape);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ConvTransposeTest,
    ::testing::Values(
        ConvCase{{1, 3, 4, 5}, {3, 2, 3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 1},
        ConvCase{{2, 4, 3, 3}, {4, 3, 2, 3}, {3, 2}, {2, 1}, {0, 1, 1, 0}, {0, 1}, 2},
        ConvCase{{1, 2, 7}, {2, 3, 3}, {1}, {1}, {0, 0}, {}, 1},
        // 1x1 stride 1: direct GEMM path.
        ConvCase{{1, 4, 5, 5}, {4, 3, 1, 1}, {1, 1}, {1, 1}, {0, 0, 0, 0}, {}, 1},
        // Negative end pad (output_shape larger than the natural size).
        ConvCase{{1, 1, 3, 3}, {1, 2, 3, 3}, {3, 2}, {1, 1}, {0, 0, -1, 0}, {}, 1},
        ConvCase{{1, 2, 3, 3, 3}, {2, 2, 2, 2, 2}, {2, 2, 2}, {1, 1, 1}, {0, 0, 0, 0, 0, 0}, {},
                 1}));

//===----------------------------------------------------------------------===//
// MatMul and Gemm
//===----------------------------------------------------------------------===//

TEST(MatMulTest, BatchBroadcastMatchesNaive) {
  Tensor a = randomF32({2, 1, 3, 4}, 1), b = randomF32({5, 4, 2}, 2);
  Tensor y = ok(matmul(a, b, {2, 5, 3, 2}));
  std::vector<double> want;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 5; ++j)
      for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 2; ++c) {
          double acc = 0;
          for (int k = 0; k < 4; ++k)
            acc += (double)a.data<float>()[(i * 3 + r) * 4 + k] *
                   b.data<float>()[(j * 4 + k) * 2 + c];
          want.push_back(acc);
        }
  expectClose(y, want, {2, 5, 3, 2});
}

TEST(MatMulTest, VectorPromotion) {
  Tensor v = makeF32({3}, {1, 2, 3}), m = makeF32({3, 2}, {1, 0, 0, 1, 1, 1});
  expectClose(ok(matmul(v, m, {2})), {4, 5}, {2});
  expectClose(ok(matmul(m.reshaped({2, 3}), v, {2})), {1 * 1 + 0 * 2 + 0 * 3, 1 + 2 + 3}, {2});
  expectClose(ok(matmul(v, v, {})), {14}, {});
  EXPECT_NE(errorOf(matmul(v, v, {1})).find("does not match"), std::string::npos);
  EXPECT_NE(errorOf(matmul(m, m, {3, 2})).find("contraction"), std::string::npos);
}

TEST(MatMulTest, IntegerWraps) {
  Tensor a = makeTyped<int32_t>(DType::I32, {1, 2}, {65536, 3});
  Tensor b = makeTyped<int32_t>(DType::I32, {2, 1}, {65536, -4});
  // 2^32 wraps to 0 in int32; 0 - 12 = -12.
  expectClose(ok(matmul(a, b, {1, 1})), {-12}, {1, 1});
}

TEST(GemmTest, TransposesAndBroadcastBias) {
  Tensor a = randomF32({4, 3}, 1), b = randomF32({5, 4}, 2), c = randomF32({5}, 3);
  // op(A) = A^T (3x4), op(B) = B^T (4x5), C broadcast over rows.
  Tensor y = ok(gemm(a, b, &c, 0.5f, 2.0f, true, true));
  std::vector<double> want;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 5; ++j) {
      double acc = 0;
      for (int k = 0; k < 4; ++k)
        acc += (double)a.data<float>()[k * 3 + i] * b.data<float>()[j * 4 + k];
      want.push_back(0.5 * acc + 2.0 * c.data<float>()[j]);
    }
  expectClose(y, want, {3, 5});
  Tensor col = randomF32({3, 1}, 4);
  Tensor y2 = ok(gemm(a, b, &col, 1.0f, 1.0f, true, true));
  // Element (1, 2): the product is (want - 2 c[2]) / 0.5, plus C's row 1.
  EXPECT_NEAR(y2.getAsDouble(7), 2 * (want[7] - 2.0 * c.data<float>()[2]) + col.data<float>()[1],
              1e-5);
  Tensor bad = randomF32({2, 5}, 5);
  EXPECT_NE(errorOf(gemm(a, b, &bad, 1, 1, true, true)).find("broadcast"), std::string::npos);
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

Tensor iotaF32(ArrayRef<int64_t> shape, float start = 1) {
  Tensor t(DType::F32, shape);
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.data<float>()[i] = start + i;
  return t;
}

TEST(PoolingTest, MaxPoolCeilMode) {
  // ONNX test_maxpool_2d_ceil: 4x4 of 1..16, kernel 3, stride 2, ceil_mode.
  PoolParams p;
  p.kernel = {3, 3};
  p.strides = {2, 2};
  expectClose(ok(maxPool(iotaF32({1, 1, 4, 4}), p, {1, 1, 2, 2})), {11, 12, 15, 16},
              {1, 1, 2, 2});
  // Neither floor (1) nor ceil (2) size.
  EXPECT_NE(errorOf(maxPool(iotaF32({1, 1, 4, 4}), p, {1, 1, 3, 3})).find("ceil"),
            std::string::npos);
}

TEST(PoolingTest, AvgPoolPadsCountIncludePad) {
  // 3x3 input 1..9, kernel 2, stride 2, pads 1: windows of 1, 2, 2 and 4 real cells.
  PoolParams p;
  p.kernel = {2, 2};
  p.strides = {2, 2};
  p.pads = {1, 1, 1, 1};
  Tensor x = iotaF32({1, 1, 3, 3});
  expectClose(ok(avgPool(x, p, {1, 1, 2, 2})),
              {1, (2 + 3) / 2.0, (4 + 7) / 2.0, (5 + 6 + 8 + 9) / 4.0}, {1, 1, 2, 2});
  p.countIncludePad = true;
  expectClose(ok(avgPool(x, p, {1, 1, 2, 2})), {1 / 4.0, 5 / 4.0, 11 / 4.0, 28 / 4.0},
              {1, 1, 2, 2});
}

TEST(PoolingTest, AvgPoolCeilWindowClippedToPaddedBounds) {
  // 1-D, in 5, kernel 3, stride 2, pads (0, 1), ceil: windows [0,3), [2,5), [4,7).
  // The last window reaches 6 but the padded bound is 6: with count_include_pad
  // it counts 2 cells (4 and the pad at 5), without it 1 cell.
  PoolParams p;
  p.kernel = {3};
  p.strides = {2};
  p.pads = {0, 1};
  Tensor x = iotaF32({1, 1, 5});
  expectClose(ok(avgPool(x, p, {1, 1, 3})), {2, 4, 5}, {1, 1, 3});
  p.countIncludePad = true;
  expectClose(ok(avgPool(x, p, {1, 1, 3})), {2, 4, 2.5}, {1, 1, 3});
}

TEST(PoolingTest, MaxPoolDilationAndInt8) {
  PoolParams p;
  p.kernel = {2, 2};
  p.dilations = {2, 2};
  Tensor x = iotaF32({1, 1, 4, 4});
  // Taps (0,0),(0,2),(2,0),(2,2) from each origin.
  expectClose(ok(maxPool(x, p, {1, 1, 2, 2})), {11, 12, 15, 16}, {1, 1, 2, 2});
  Tensor x8 = makeTyped<int8_t>(DType::I8, {1, 1, 1, 4}, {-100, -128, 5, -3});
  PoolParams q;
  q.kernel = {1, 2};
  q.strides = {1, 2};
  Tensor y = ok(maxPool(x8, q, {1, 1, 1, 2}));
  EXPECT_EQ(y.dtype(), DType::I8);
  expectClose(y, {-100, 5}, {1, 1, 1, 2});
}

TEST(PoolingTest, ThreeDimensionalAndGlobal) {
  PoolParams p;
  p.kernel = {2, 2, 2};
  p.strides = {2, 2, 2};
  Tensor x = iotaF32({1, 1, 2, 2, 2});
  expectClose(ok(avgPool(x, p, {1, 1, 1, 1, 1})), {4.5}, {1, 1, 1, 1, 1});
  Tensor g = iotaF32({2, 3, 2, 2});
  std::vector<double> avg, mx;
  for (int i = 0; i < 6; ++i) {
    avg.push_back(1 + 4 * i + 1.5);
    mx.push_back(1 + 4 * i + 3);
  }
  expectClose(ok(globalAvgPool(g)), avg, {2, 3, 1, 1});
  expectClose(ok(globalMaxPool(g)), mx, {2, 3, 1, 1});
}

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

TEST(NormalizationTest, BatchNorm) {
  Tensor x = makeF32({1, 2, 2}, {1, 2, 3, 4});
  Tensor scale = makeF32({2}, {2, 1}), bias = makeF32({2}, {0, 1});
  Tensor mean = makeF32({2}, {1, 3}), var = makeF32({2}, {4, 1});
  // Channel 0: (x - 1) / 2 * 2; channel 1: (x - 3) / 1 + 1.
  expectClose(ok(batchNorm(x, scale, bias, mean, var, 0.0f)), {0, 1, 1, 2}, {1, 2, 2});
  double inv1 = 1 / std::sqrt(1 + 1e-5);
  expectClose(ok(batchNorm(x, scale, bias, mean, var, 1e-5f)),
              {0, 2 * 1 / std::sqrt(4 + 1e-5), 1, 1 + inv1}, {1, 2, 2});
}

TEST(NormalizationTest, LayerNormMatchesNaive) {
  Tensor x = randomF32({2, 3, 4}, 1), s = randomF32({3, 4}, 2), b = randomF32({4}, 3);
  Tensor y = ok(layerNorm(x, s, &b, 1, 1e-3f));
  std::vector<double> want;
  for (int o = 0; o < 2; ++o) {
    double mean = 0, var = 0;
    for (int i = 0; i < 12; ++i)
      mean += x.data<float>()[o * 12 + i] / 12.0;
    for (int i = 0; i < 12; ++i)
      var += std::pow(x.data<float>()[o * 12 + i] - mean, 2) / 12.0;
    for (int i = 0; i < 12; ++i)
      want.push_back((x.data<float>()[o * 12 + i] - mean) / std::sqrt(var + 1e-3) *
                         s.data<float>()[i] +
                     b.data<float>()[i % 4]);
  }
  expectClose(y, want, {2, 3, 4});
  EXPECT_NE(errorOf(layerNorm(x, b, nullptr, 3, 1e-5f)).find("axis"), std::string::npos);
}

TEST(NormalizationTest, SoftmaxAndLogSoftmaxOnMiddleAxis) {
  Tensor x = makeF32({1, 3, 2}, {1, 1000, 2, 1000, 3, 1000});
  double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  std::vector<double> sm = {std::exp(1.0) / z, 1 / 3.0, std::exp(2.0) / z,
                            1 / 3.0,           std::exp(3.0) / z, 1 / 3.0};
  expectClose(ok(softmax(x, 1, false)), sm, {1, 3, 2});
  std::vector<double> lsm;
  for (double v : sm)
    lsm.push_back(std::log(v));
  expectClose(ok(softmax(x, 1, true)), lsm, {1, 3, 2});
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

TEST(DataMovementTest, TransposeInt16MatchesNaive) {
  Tensor x(DType::I16, {2, 3, 4, 5});
  for (int64_t i = 0; i < x.numElements(); ++i)
    x.data<int16_t>()[i] = (int16_t)i;
  Tensor y = ok(transpose(x, {0, 2, 3, 1}));
  ASSERT_EQ(y.shape(), ArrayRef<int64_t>({2, 4, 5, 3}));
  for (int n = 0; n < 2; ++n)
    for (int h = 0; h < 4; ++h)
      for (int w = 0; w < 5; ++w)
        for (int c = 0; c < 3; ++c)
          ASSERT_EQ(y.data<int16_t>()[((n * 4 + h) * 5 + w) * 3 + c],
                    x.data<int16_t>()[((n * 3 + c) * 4 + h) * 5 + w]);
  EXPECT_NE(errorOf(transpose(x, {0, 0, 1, 2})).find("permutation"), std::string::npos);
}

TEST(DataMovementTest, ConcatSliceExpand) {
  Tensor a = makeF32({2, 1}, {1, 2}), b = makeF32({2, 2}, {3, 4, 5, 6});
  expectClose(ok(concat({&a, &b}, 1)), {1, 3, 4, 2, 5, 6}, {2, 3});
  EXPECT_NE(errorOf(concat({&a, &b}, 0)), "");
  Tensor x = iotaF32({2, 5}, 0);
  // Rows reversed, columns 4, 2, 0.
  expectClose(ok(slice(x, {1, 4}, {-1, -2}, {2, 3})), {9, 7, 5, 4, 2, 0}, {2, 3});
  EXPECT_NE(errorOf(slice(x, {0, 1}, {1, 2}, {2, 3})).find("overrun"), std::string::npos);
  expectClose(ok(expand(a, {2, 2, 3})), {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2}, {2, 2, 3});
}

TEST(DataMovementTest, GatherNegativeIndexAndOutOfRange) {
  Tensor data = iotaF32({3, 2}, 0);
  Tensor idx = makeTyped<int64_t>(DType::I64, {2}, {-1, 0});
  expectClose(ok(gather(data, idx, 0)), {4, 5, 0, 1}, {2, 2});
  Tensor scalar = makeTyped<int32_t>(DType::I32, {}, {1});
  expectClose(ok(gather(data, scalar, 1)), {1, 3, 5}, {3});
  Tensor bad = makeTyped<int64_t>(DType::I64, {2}, {0, 5});
  std::string msg = errorOf(gather(data, bad, 0));
  EXPECT_NE(msg.find("index 5"), std::string::npos) << msg;
  EXPECT_NE(msg.find("size 3"), std::string::npos) << msg;
  Tensor badNeg = makeTyped<int64_t>(DType::I64, {1}, {-4});
  EXPECT_NE(errorOf(gather(data, badNeg, 0)).find("index -4"), std::string::npos);
}

TEST(DataMovementTest, PadModes) {
  Tensor x = makeF32({4}, {1, 2, 3, 4});
  expectClose(ok(pad(x, {2, 1}, PadMode::Constant, 9)), {9, 9, 1, 2, 3, 4, 9}, {7});
  expectClose(ok(pad(x, {2, 1}, PadMode::Reflect, 0)), {3, 2, 1, 2, 3, 4, 3}, {7});
  expectClose(ok(pad(x, {2, 1}, PadMode::Edge, 0)), {1, 1, 1, 2, 3, 4, 4}, {7});
  expectClose(ok(pad(x, {2, 1}, PadMode::Wrap, 0)), {3, 4, 1, 2, 3, 4, 1}, {7});
  // Negative pads crop.
  expectClose(ok(pad(x, {-1, 2}, PadMode::Constant, 0)), {2, 3, 4, 0, 0}, {5});
  expectClose(ok(pad(x, {1, -2}, PadMode::Edge, 0)), {1, 1, 2}, {3});
  Tensor m = iotaF32({2, 2});
  expectClose(ok(pad(m, {1, 0, 0, 1}, PadMode::Constant, -1)), {-1, -1, -1, 1, 2, -1, 3, 4, -1},
              {3, 3});
  EXPECT_NE(errorOf(pad(x, {-3, -2}, PadMode::Constant, 0)).find("below zero"),
            std::string::npos);
}

TEST(DataMovementTest, Pad2DReflectAndWrapMatchNaive) {
  // numpy.pad index rules, written out per dim.
  auto reflect = [](int64_t i, int64_t n) {
    int64_t period = 2 * (n - 1), r = ((i % period) + period) % period;
    return r < n ? r : period - r;
  };
  auto wrap = [](int64_t i, int64_t n) { return ((i % n) + n) % n; };
  Tensor x = iotaF32({3, 4}, 0);
  for (PadMode mode : {PadMode::Reflect, PadMode::Wrap}) {
    // Pads larger than the dims, and a crop at the end of dim 1.
    Tensor y = ok(pad(x, {4, 5, 2, -1}, mode, 0));
    ASSERT_EQ(y.shape(), ArrayRef<int64_t>({9, 8}));
    for (int64_t r = 0; r < 9; ++r)
      for (int64_t c = 0; c < 8; ++c) {
        int64_t sr = mode == PadMode::Reflect ? reflect(r - 4, 3) : wrap(r - 4, 3);
        int64_t sc = mode == PadMode::Reflect ? reflect(c - 5, 4) : wrap(c - 5, 4);
        ASSERT_EQ(y.getAsDouble(r * 8 + c), x.getAsDouble(sr * 4 + sc)) << r << "," << c;
      }
  }
}

//===----------------------------------------------------------------------===//
// Resize
//===----------------------------------------------------------------------===//

TEST(ResizeTest, NearestUpsample) {
  ResizeParams p;
  p.mode = ResizeMode::Nearest; // half_pixel, round_prefer_floor
  p.scales = {1, 1, 2, 3};
  Tensor x = makeF32({1, 1, 2, 2}, {1, 2, 3, 4});
  // ONNX test_resize_upsample_scales_nearest.
  expectClose(ok(resize(x, p, {1, 1, 4, 6})),
              {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4},
              {1, 1, 4, 6});
}

TEST(ResizeTest, NearestRoundingModes) {
  // in 4, out 8, asymmetric: x = o / 2 lands on .5 for odd o.
  Tensor x = makeF32({4}, {10, 20, 30, 40});
  ResizeParams p;
  p.transform = CoordTransform::Asymmetric;
  p.scales = {2};
  p.nearest = NearestRounding::RoundPreferFloor;
  expectClose(ok(resize(x, p, {8})), {10, 10, 20, 20, 30, 30, 40, 40}, {8});
  p.nearest = NearestRounding::RoundPreferCeil;
  expectClose(ok(resize(x, p, {8})), {10, 20, 20, 30, 30, 40, 40, 40}, {8});
  p.nearest = NearestRounding::Ceil;
  expectClose(ok(resize(x, p, {8})), {10, 20, 20, 30, 30, 40, 40, 40}, {8});
  p.nearest = NearestRounding::Floor;
  expectClose(ok(resize(x, p, {8})), {10, 10, 20, 20, 30, 30, 40, 40}, {8});
}

TEST(ResizeTest, LinearHalfPixel) {
  // ONNX test_resize_upsample_scales_linear.
  ResizeParams p;
  p.mode = ResizeMode::Linear;
  p.scales = {1, 1, 2, 2};
  Tensor x = makeF32({1, 1, 2, 2}, {1, 2, 3, 4});
  expectClose(ok(resize(x, p, {1, 1, 4, 4})),
              {1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4},
              {1, 1, 4, 4});
}

TEST(ResizeTest, LinearAlignCornersUsesScaledLength) {
  // ONNX test_resize_downsample_scales_linear_align_corners: scale 0.6 on a
  // 2x4 input gives 1x2 and x = 1 * 3 / (2.4 - 1).
  ResizeParams p;
  p.mode = ResizeMode::Linear;
  p.transform = CoordTransform::AlignCorners;
  p.scales = {1, 1, 0.6f, 0.6f};
  Tensor x = makeF32({1, 1, 2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
  Tensor y = ok(resize(x, p, {1, 1, 1, 2}));
  EXPECT_NEAR(y.getAsDouble(0), 1.0, 1e-5);
  EXPECT_NEAR(y.getAsDouble(1), 3.142857, 1e-5);
}

TEST(ResizeTest, CubicReproducesRampsAndIdentity) {
  // Keys' kernel with a = -0.5 reproduces quadratics, so resampling a ramp
  // gives the ramp at every output whose taps lie inside the input.
  ResizeParams p;
  p.mode = ResizeMode::Cubic;
  p.cubicCoeffA = -0.5f;
  p.transform = CoordTransform::AlignCorners;
  Tensor x = iotaF32({1, 8}, 0);
  Tensor y = ok(resize(x, p, {1, 15}));
  for (int64_t o = 2; o < 13; ++o)
    EXPECT_NEAR(y.getAsDouble(o), o * 7.0 / 14.0, 1e-5) << o;
  p.cubicCoeffA = -0.75f;
  p.scales = {1, 1};
  Tensor r = randomF32({1, 8}, 9);
  Tensor same = ok(resize(r, p, {1, 8}));
  for (int64_t i = 0; i < 8; ++i)
    EXPECT_EQ(same.getAsDouble(i), r.getAsDouble(i));
}

TEST(ResizeTest, CubicExcludeOutsideRenormalizes) {
  // Half-pixel upsample of [a, b] by 2: output 0 sits at x = -0.25, taps at
  // -2..1; with exclude_outside only taps 0 and 1 keep their weights.
  ResizeParams p;
  p.mode = ResizeMode::Cubic;
  p.excludeOutside = true;
  p.scales = {2};
  Tensor x = makeF32({2}, {1, 3});
  Tensor y = ok(resize(x, p, {4}));
  double a = -0.75, r = 0.75; // floor(-0.25) = -1, ratio 0.75
  double c2 = ((a + 2) * (1 - r) - (a + 3)) * (1 - r) * (1 - r) + 1;
  double c3 = ((a * (2 - r) - 5 * a) * (2 - r) + 8 * a) * (2 - r) - 4 * a;
  EXPECT_NEAR(y.getAsDouble(0), (c2 * 1 + c3 * 3) / (c2 + c3), 1e-5);
  EXPECT_NEAR(y.getAsDouble(0) + y.getAsDouble(3), 4.0, 1e-5); // symmetric
}

TEST(ResizeTest, TfHalfPixelForNnLeavesScaleOneDims) {
  // (o + 0.5) / 1 rounds up under ceil; a scale-1 dim must still be copied
  // as is (ONNX Runtime), while the resized dim uses x = (o + 0.5) / 2 =
  // 0.25, 0.75, 1.25, 1.75, which ceil (and clamp) send to column 1.
  ResizeParams p;
  p.transform = CoordTransform::TfHalfPixelForNn;
  p.nearest = NearestRounding::Ceil;
  p.scales = {1, 2};
  Tensor x = makeF32({2, 2}, {1, 2, 3, 4});
  expectClose(ok(resize(x, p, {2, 4})), {2, 2, 2, 2, 4, 4, 4, 4}, {2, 4});
  p.nearest = NearestRounding::RoundPreferFloor;
  expectClose(ok(resize(x, p, {2, 4})), {1, 2, 2, 2, 3, 4, 4, 4}, {2, 4});
}

TEST(ResizeTest, Errors) {
  ResizeParams p;
  p.scales = {2};
  Tensor x = makeF32({1, 2}, {1, 2});
  EXPECT_NE(errorOf(resize(x, p, {1, 4})).find("scales"), std::string::npos);
  EXPECT_NE(errorOf(resize(x, p, {4})).find("rank"), std::string::npos);
}

//===----------------------------------------------------------------------===//
// Reduction
//===----------------------------------------------------------------------===//

TEST(ReductionTest, AllKindsMatchNaive) {
  Tensor x = randomF32({3, 4, 5}, 11);
  auto at = [&](int i, int j, int k) { return (double)x.data<float>()[(i * 4 + j) * 5 + k]; };
  for (ReduceKind kind :
       {ReduceKind::Mean, ReduceKind::Sum, ReduceKind::Max, ReduceKind::Min, ReduceKind::Prod}) {
    std::vector<double> want;
    for (int j = 0; j < 4; ++j) {
      double acc = kind == ReduceKind::Prod ? 1 : kind == ReduceKind::Max  ? -INFINITY
                                              : kind == ReduceKind::Min    ? INFINITY
                                                                           : 0;
      for (int i = 0; i < 3; ++i)
        for (int k = 0; k < 5; ++k) {
          double v = at(i, j, k);
          if (kind == ReduceKind::Prod)
            acc *= v;
          else if (kind == ReduceKind::Max)
            acc = std::max(acc, v);
          else if (kind == ReduceKind::Min)
            acc = std::min(acc, v);
          else
            acc += v;
        }
      want.push_back(kind == ReduceKind::Mean ? acc / 15 : acc);
    }
    expectClose(ok(reduce(kind, x, {0, 2}, true)), want, {1, 4, 1});
    expectClose(ok(reduce(kind, x, {0, 2}, false)), want, {4});
  }
}

TEST(ReductionTest, EmptySetsIntegersAndErrors) {
  Tensor empty(DType::F32, {2, 0, 3});
  expectClose(ok(reduce(ReduceKind::Sum, empty, {1}, false)), {0, 0, 0, 0, 0, 0}, {2, 3});
  expectClose(ok(reduce(ReduceKind::Prod, empty, {1}, false)), {1, 1, 1, 1, 1, 1}, {2, 3});
  Tensor mx = ok(reduce(ReduceKind::Max, empty, {1}, true));
  EXPECT_EQ(mx.shape(), ArrayRef<int64_t>({2, 1, 3}));
  EXPECT_TRUE(std::isinf(mx.getAsDouble(0)) && mx.getAsDouble(0) < 0);
  EXPECT_TRUE(std::isnan(ok(reduce(ReduceKind::Mean, empty, {1}, false)).getAsDouble(0)));
  Tensor xi = makeTyped<int32_t>(DType::I32, {2, 2}, {-7, 2, 7, 2});
  expectClose(ok(reduce(ReduceKind::Mean, xi, {1}, false)), {-2, 4}, {2}); // truncates
  expectClose(ok(reduce(ReduceKind::Sum, xi, {0, 1}, false)), {4}, {});
  EXPECT_NE(errorOf(reduce(ReduceKind::Sum, xi, {1, 0}, false)).find("sorted"),
            std::string::npos);
  EXPECT_NE(errorOf(reduce(ReduceKind::Sum, xi, {2}, false)), "");
}

TEST(ReductionTest, BoolMaxMinAreAnyAll) {
  Tensor b = makeTyped<uint8_t>(DType::Bool, {2, 2}, {0, 1, 1, 1});
  Tensor any = ok(reduce(ReduceKind::Max, b, {1}, false));
  EXPECT_EQ(any.dtype(), DType::Bool);
  expectClose(any, {1, 1}, {2});
  expectClose(ok(reduce(ReduceKind::Min, b, {1}, false)), {0, 1}, {2});
  // all() of nothing is true, stored as 1.
  expectClose(ok(reduce(ReduceKind::Min, Tensor(DType::Bool, {0, 2}), {0}, false)), {1, 1}, {2});
  EXPECT_NE(errorOf(reduce(ReduceKind::Sum, b, {1}, false)), "");
}

TEST(ReductionTest, CumSumExclusiveReverseAndWrap) {
  Tensor x = makeF32({2, 3}, {1, 2, 3, 4, 5, 6});
  expectClose(ok(cumSum(x, 1, false, false)), {1, 3, 6, 4, 9, 15}, {2, 3});
  expectClose(ok(cumSum(x, 1, true, false)), {0, 1, 3, 0, 4, 9}, {2, 3});
  expectClose(ok(cumSum(x, 1, false, true)), {6, 5, 3, 15, 11, 6}, {2, 3});
  expectClose(ok(cumSum(x, 0, true, true)), {4, 5, 6, 0, 0, 0}, {2, 3});
  Tensor big = makeTyped<int32_t>(DType::I32, {2}, {INT32_MAX, 1});
  EXPECT_EQ(ok(cumSum(big, 0, false, false)).getAsInt(1), INT32_MIN); // wraps
  EXPECT_NE(errorOf(cumSum(x, 2, false, false)), "");
}

TEST(ReductionTest, ArgMaxTiesAndNaN) {
  Tensor x = makeF32({2, 4}, {1, 3, 3, 0, 2, NAN, 5, NAN});
  Tensor first = ok(argReduce(true, x, 1, false, false));
  EXPECT_EQ(first.dtype(), DType::I64);
  EXPECT_EQ(first.getAsInt(0), 1);
  EXPECT_EQ(first.getAsInt(1), 1); // the first NaN wins, as in NumPy
  EXPECT_EQ(ok(argReduce(true, x, 1, false, true)).getAsInt(0), 2);
  Tensor mn = ok(argReduce(false, x, 0, true, false));
  EXPECT_EQ(mn.shape(), ArrayRef<int64_t>({1, 4}));
  EXPECT_EQ(mn.getAsInt(0), 0);
  EXPECT_EQ(mn.getAsInt(3), 1); // NaN is the extreme for ArgMin too (np.argmin)
  EXPECT_NE(errorOf(argReduce(true, Tensor(DType::F32, {2, 0}), 1, false, false)), "");
}

} // namespace
