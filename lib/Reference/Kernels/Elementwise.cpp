//===- Elementwise.cpp - Broadcasting binary, unary and where kernels -*- C++ -*-===//
//
// Binary ops iterate a collapsed broadcast plan: output dims of size 1 are
// dropped and adjacent dims with the same stride pattern in every operand are
// merged, so equal shapes become one contiguous run and a scalar operand a
// run with stride 0. The innermost loop then sees strides of 0 or 1 only.
//
//===----------------------------------------------------------------------===//

#include "qopt/Reference/Kernels.h"
#include "KernelSupport.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <type_traits>

using namespace qopt::ref;
using namespace qopt::ref::detail;
using llvm::ArrayRef;
using llvm::Expected;
using llvm::SmallVector;

namespace {

/// Calls `f(Tag<T>{})` for the C++ type of an F32/F64/integer dtype. Bool maps
/// to uint8_t; F16/BF16 must have been widened.
template <typename F> auto visitType(DType t, F &&f) {
  switch (t) {
  case DType::F64: return f(Tag<double>{});
  case DType::Bool:
  case DType::U8: return f(Tag<uint8_t>{});
  case DType::I8: return f(Tag<int8_t>{});
  case DType::I16: return f(Tag<int16_t>{});
  case DType::I32: return f(Tag<int32_t>{});
  case DType::I64: return f(Tag<int64_t>{});
  case DType::U16: return f(Tag<uint16_t>{});
  case DType::U32: return f(Tag<uint32_t>{});
  case DType::U64: return f(Tag<uint64_t>{});
  default: return f(Tag<float>{});
  }
}

//===----------------------------------------------------------------------===//
// Broadcast plan
//===----------------------------------------------------------------------===//

constexpr int kMaxOperands = 3;

struct BroadcastPlan {
  /// Collapsed output dims; the last one is the innermost run.
  SmallVector<int64_t, 6> dims;
  /// Element strides per operand per collapsed dim (0 where broadcast).
  SmallVector<int64_t, 6> strides[kMaxOperands];
  int numOperands = 0;
  int64_t numElements = 0;
};

Expected<BroadcastPlan> planBroadcast(llvm::StringRef op, ArrayRef<int64_t> out,
                                      ArrayRef<ArrayRef<int64_t>> ins) {
  BroadcastPlan plan;
  plan.numOperands = ins.size();
  auto n = checkedNumElements(out);
  if (!n)
    return n.takeError();
  plan.numElements = *n;
  int64_t rank = out.size();
  SmallVector<int64_t, 6> full[kMaxOperands];
  for (int k = 0; k < plan.numOperands; ++k) {
    ArrayRef<int64_t> s = ins[k];
    if ((int64_t)s.size() > rank)
      return makeError("{0}: operand {1} of shape {2} has a higher rank than the output {3}", op,
                       k, shapeStr(s), shapeStr(out));
    int64_t off = rank - s.size();
    full[k].assign(rank, 0);
    int64_t stride = 1;
    for (int64_t d = rank - 1; d >= 0; --d) {
      int64_t dim = d >= off ? s[d - off] : 1;
      if (dim != out[d] && dim != 1)
        return makeError("{0}: operand {1} of shape {2} does not broadcast to {3}", op, k,
                         shapeStr(s), shapeStr(out));
      full[k][d] = dim == 1 ? 0 : stride;
      stride *= dim;
    }
  }
  for (int64_t d = 0; d < rank; ++d) {
    if (out[d] == 1)
      continue;
    bool merge = !plan.dims.empty();
    for (int k = 0; merge && k < plan.numOperands; ++k)
      merge = plan.strides[k].back() == full[k][d] * out[d];
    if (merge) {
      plan.dims.back() *= out[d];
      for (int k = 0; k < plan.numOperands; ++k)
        plan.strides[k].back() = full[k][d];
      continue;
    }
    plan.dims.push_back(out[d]);
    for (int k = 0; k < plan.numOperands; ++k)
      plan.strides[k].push_back(full[k][d]);
  }
  if (plan.dims.empty()) {
    plan.dims.push_back(1);
    for (int k = 0; k < plan.numOperands; ++k)
      plan.strides[k].push_back(0);
  }
  return plan;
}

/// Calls `f(outOffset, offsets, innerStrides, n)` once per innermost run.
template <typename F> void forEachRun(const BroadcastPlan &plan, F &&f) {
  if (plan.numElements == 0)
    return;
  int64_t rank = plan.dims.size();
  int64_t inner = plan.dims.back();
  int64_t innerStrides[kMaxOperands] = {0, 0, 0};
  for (int k = 0; k < plan.numOperands; ++k)
    innerStrides[k] = plan.strides[k].back();
  SmallVector<int64_t, 6> idx(rank, 0);
  int64_t offs[kMaxOperands] = {0, 0, 0};
  int64_t runs = plan.numElements / inner;
  for (int64_t r = 0; r < runs; ++r) {
    f(r * inner, offs, innerStrides, inner);
    for (int64_t d = rank - 2; d >= 0; --d) {
      ++idx[d];
      for (int k = 0; k < plan.numOperands; ++k)
        offs[k] += plan.strides[k][d];
      if (idx[d] < plan.dims[d])
        break;
      for (int k = 0; k < plan.numOperands; ++k)
        offs[k] -= plan.strides[k][d] * plan.dims[d];
      idx[d] = 0;
    }
  }
}

/// Applies `op` elementwise over a broadcast plan of two operands.
template <typename A, typename B, typename R, typename Op>
void applyBinary(const BroadcastPlan &plan, const A *a, const B *b, R *out, Op op) {
  forEachRun(plan, [&](int64_t o, const int64_t *offs, const int64_t *s, int64_t n) {
    const A *pa = a + offs[0];
    const B *pb = b + offs[1];
    R *po = out + o;
    if (s[0] == 1 && s[1] == 1) {
      for (int64_t i = 0; i < n; ++i)
        po[i] = op(pa[i], pb[i]);
    } else if (s[0] == 0 && s[1] == 1) {
      A av = pa[0];
      for (int64_t i = 0; i < n; ++i)
        po[i] = op(av, pb[i]);
    } else if (s[0] == 1 && s[1] == 0) {
      B bv = pb[0];
      for (int64_t i = 0; i < n; ++i)
        po[i] = op(pa[i], bv);
    } else {
      R v = op(pa[0], pb[0]);
      for (int64_t i = 0; i < n; ++i)
        po[i] = v;
    }
  });
}

//===----------------------------------------------------------------------===//
// Scalar semantics
//===----------------------------------------------------------------------===//

/// Wrap-around integer arithmetic through uint64 (no signed overflow UB).
template <typename T> T wrapAdd(T a, T b) { return (T)((uint64_t)a + (uint64_t)b); }
template <typename T> T wrapSub(T a, T b) { return (T)((uint64_t)a - (uint64_t)b); }
template <typename T> T wrapMul(T a, T b) { return (T)((uint64_t)a * (uint64_t)b); }

/// Truncating division; the caller has excluded b == 0. INT_MIN / -1 wraps.
template <typename T> T intDiv(T a, T b) {
  if constexpr (std::is_signed_v<T>)
    if (b == -1)
      return wrapSub<T>(0, a);
  return a / b;
}
/// C remainder (sign of the dividend).
template <typename T> T intRem(T a, T b) {
  if constexpr (std::is_signed_v<T>)
    if (b == -1)
      return 0;
  return a % b;
}
/// Python remainder (sign of the divisor).
template <typename T> T intMod(T a, T b) {
  T r = intRem(a, b);
  if constexpr (std::is_signed_v<T>)
    if (r != 0 && ((r < 0) != (b < 0)))
      r = wrapAdd(r, b);
  return r;
}

/// Integer power by squaring with wrap-around; negative exponents give the
/// truncated real result (0 unless the base is 1 or -1).
template <typename T> T intPow(T base, int64_t e) {
  if (e < 0) {
    if (base == 1)
      return 1;
    if constexpr (std::is_signed_v<T>)
      if (base == -1)
        return (e & 1) ? T(-1) : T(1);
    return 0;
  }
  uint64_t r = 1, b = (uint64_t)base;
  for (uint64_t u = (uint64_t)e; u; u >>= 1) {
    if (u & 1)
      r *= b;
    b *= b;
  }
  return (T)r;
}

template <typename T> T maxPropagateNan(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a) || std::isnan(b))
      return std::numeric_limits<T>::quiet_NaN();
  }
  return a < b ? b : a;
}
template <typename T> T minPropagateNan(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a) || std::isnan(b))
      return std::numeric_limits<T>::quiet_NaN();
  }
  return b < a ? b : a;
}

llvm::StringRef binaryName(BinaryKind k) {
  switch (k) {
  case BinaryKind::Add: return "Add";
  case BinaryKind::Sub: return "Sub";
  case BinaryKind::Mul: return "Mul";
  case BinaryKind::Div: return "Div";
  case BinaryKind::Pow: return "Pow";
  case BinaryKind::Max: return "Max";
  case BinaryKind::Min: return "Min";
  case BinaryKind::Mod: return "Mod";
  case BinaryKind::FMod: return "Mod(fmod=1)";
  case BinaryKind::Equal: return "Equal";
  case BinaryKind::Less: return "Less";
  case BinaryKind::LessOrEqual: return "LessOrEqual";
  case BinaryKind::Greater: return "Greater";
  case BinaryKind::GreaterOrEqual: return "GreaterOrEqual";
  case BinaryKind::And: return "And";
  case BinaryKind::Or: return "Or";
  case BinaryKind::Xor: return "Xor";
  }
  return "?";
}

bool isComparison(BinaryKind k) {
  return k == BinaryKind::Equal || k == BinaryKind::Less || k == BinaryKind::LessOrEqual ||
         k == BinaryKind::Greater || k == BinaryKind::GreaterOrEqual;
}
bool isLogical(BinaryKind k) {
  return k == BinaryKind::And || k == BinaryKind::Or || k == BinaryKind::Xor;
}

/// Same-dtype binary op on F32/F64/integer tensors (already widened).
template <typename T>
Expected<Tensor> binaryTyped(BinaryKind kind, const BroadcastPlan &plan, const Tensor &lhs,
                             const Tensor &rhs, ArrayRef<int64_t> outShape) {
  const T *a = lhs.data<T>();
  const T *b = rhs.data<T>();
  constexpr bool isFp = std::is_floating_point_v<T>;
  if (isComparison(kind) || isLogical(kind)) {
    auto out = Tensor::allocate(DType::Bool, outShape);
    if (!out)
      return out.takeError();
    uint8_t *o = out->data<uint8_t>();
    auto cmp = [&](auto f) {
      applyBinary(plan, a, b, o, [f](T x, T y) -> uint8_t { return f(x, y); });
    };
    switch (kind) {
    case BinaryKind::Equal: cmp(std::equal_to<T>()); break;
    case BinaryKind::Less: cmp(std::less<T>()); break;
    case BinaryKind::LessOrEqual: cmp(std::less_equal<T>()); break;
    case BinaryKind::Greater: cmp(std::greater<T>()); break;
    case BinaryKind::GreaterOrEqual: cmp(std::greater_equal<T>()); break;
    case BinaryKind::And: cmp([](T x, T y) { return (x != 0) & (y != 0); }); break;
    case BinaryKind::Or: cmp([](T x, T y) { return (x != 0) | (y != 0); }); break;
    case BinaryKind::Xor: cmp([](T x, T y) { return (x != 0) ^ (y != 0); }); break;
    default: break;
    }
    return out;
  }

  if constexpr (!isFp) {
    bool divides = kind == BinaryKind::Div || kind == BinaryKind::Mod || kind == BinaryKind::FMod;
    if (divides && plan.numElements > 0)
      for (int64_t i = 0, e = rhs.numElements(); i < e; ++i)
        if (b[i] == 0)
          return makeError("{0}: integer division by zero (divisor element {1} of {2})",
                           binaryName(kind), i, rhs.describe());
  } else {
    if (kind == BinaryKind::Mod)
      return makeError("Mod with fmod=0 requires integer inputs, got {0}; set fmod=1 for "
                       "floating point",
                       dtypeName(lhs.dtype()));
  }

  auto out = Tensor::allocateUninitialized(lhs.dtype(), outShape);
  if (!out)
    return out.takeError();
  T *o = out->data<T>();
  switch (kind) {
  case BinaryKind::Add:
    if constexpr (isFp)
      applyBinary(plan, a, b, o, [](T x, T y) { return x + y; });
    else
      applyBinary(plan, a, b, o, [](T x, T y) { return wrapAdd(x, y); });
    break;
  case BinaryKind::Sub:
    if constexpr (isFp)
      applyBinary(plan, a, b, o, [](T x, T y) { return x - y; });
    else
      applyBinary(plan, a, b, o, [](T x, T y) { return wrapSub(x, y); });
    break;
  case BinaryKind::Mul:
    if constexpr (isFp)
      applyBinary(plan, a, b, o, [](T x, T y) { return x * y; });
    else
      applyBinary(plan, a, b, o, [](T x, T y) { return wrapMul(x, y); });
    break;
  case BinaryKind::Div:
    if constexpr (isFp)
      applyBinary(plan, a, b, o, [](T x, T y) { return x / y; });
    else
      applyBinary(plan, a, b, o, [](T x, T y) { return intDiv(x, y); });
    break;
  case BinaryKind::Pow:
    if constexpr (isFp)
      applyBinary(plan, a, b, o, [](T x, T y) { return Math<T>::pow(x, y); });
    else {
      bool zeroToNegative = false;
      applyBinary(plan, a, b, o, [&](T x, T y) {
        zeroToNegative |= x == 0 && (int64_t)y < 0;
        return intPow(x, (int64_t)y);
      });
      if (zeroToNegative)
        return makeError("Pow: integer 0 raised to a negative power");
    }
    break;
  case BinaryKind::Max:
    applyBinary(plan, a, b, o, [](T x, T y) { return maxPropagateNan(x, y); });
    break;
  case BinaryKind::Min:
    applyBinary(plan, a, b, o, [](T x, T y) { return minPropagateNan(x, y); });
    break;
  case BinaryKind::Mod:
    if constexpr (!isFp)
      applyBinary(plan, a, b, o, [](T x, T y) { return intMod(x, y); });
    break;
  case BinaryKind::FMod:
    if constexpr (isFp)
      applyBinary(plan, a, b, o, [](T x, T y) { return (T)std::fmod(x, y); });
    else
      applyBinary(plan, a, b, o, [](T x, T y) { return intRem(x, y); });
    break;
  default: break;
  }
  return out;
}

/// Pow whose integer base has an exponent of another integer type: exact
/// integer power with the exponent as int64.
template <typename T>
Expected<Tensor> intPowMixed(const BroadcastPlan &plan, const Tensor &base, const Tensor &exp64,
                             ArrayRef<int64_t> outShape) {
  const T *a = base.data<T>();
  const int64_t *b = exp64.data<int64_t>();
  auto out = Tensor::allocate(base.dtype(), outShape);
  if (!out)
    return out.takeError();
  bool zeroToNegative = false;
  applyBinary(plan, a, b, out->data<T>(), [&](T x, int64_t y) {
    zeroToNegative |= x == 0 && y < 0;
    return intPow(x, y);
  });
  if (zeroToNegative)
    return makeError("Pow: integer 0 raised to a negative power");
  return out;
}

} // namespace

Expected<Tensor> qopt::ref::binary(BinaryKind kind, const Tensor &lhs, const Tensor &rhs,
                                   ArrayRef<int64_t> outShape) {
  llvm::StringRef name = binaryName(kind);
  if (!hasStorage(lhs) || !hasStorage(rhs))
    return makeError("{0}: operand has no storage", name);
  auto plan = planBroadcast(name, outShape, {lhs.shape(), rhs.shape()});
  if (!plan)
    return plan.takeError();

  if (isLogical(kind)) {
    if (lhs.dtype() != DType::Bool || rhs.dtype() != DType::Bool)
      return makeError("{0} requires bool operands, got {1} and {2}", name, lhs.describe(),
                       rhs.describe());
    return binaryTyped<uint8_t>(kind, *plan, lhs, rhs, outShape);
  }

  Tensor a = widen(lhs), b = widen(rhs);
  DType resultType = lhs.dtype();

  if (kind == BinaryKind::Pow && a.dtype() != b.dtype()) {
    // ONNX Pow lets the exponent type differ; the result has the base type.
    if (a.dtype() == DType::Bool || b.dtype() == DType::Bool)
      return makeError("Pow does not accept bool operands ({0}, {1})", lhs.describe(),
                       rhs.describe());
    if (isFloat(a.dtype())) {
      b = b.castTo(a.dtype());
    } else if (isFloat(b.dtype())) {
      // Integer base, float exponent: pow in double, truncated back to the base type.
      auto r = binaryTyped<double>(kind, *plan, a.castTo(DType::F64), b.castTo(DType::F64),
                                   outShape);
      if (!r)
        return r.takeError();
      return r->castTo(resultType);
    } else {
      Tensor e = b.castTo(DType::I64);
      return visitType(a.dtype(), [&](auto tag) -> Expected<Tensor> {
        using T = typename decltype(tag)::type;
        if constexpr (std::is_floating_point_v<T>)
          return makeError("Pow: unexpected dtype");
        else
          return intPowMixed<T>(*plan, a, e, outShape);
      });
    }
  }

  if (a.dtype() != b.dtype())
    return makeError("{0}: operand dtypes differ ({1} vs {2})", name, lhs.describe(),
                     rhs.describe());
  if (a.dtype() == DType::Bool && kind != BinaryKind::Equal)
    return makeError("{0} does not accept bool operands", name);

  auto r = visitType(a.dtype(), [&](auto tag) -> Expected<Tensor> {
    using T = typename decltype(tag)::type;
    return binaryTyped<T>(kind, *plan, a, b, outShape);
  });
  if (!r)
    return r.takeError();
  if (r->dtype() != DType::Bool && r->dtype() != resultType)
    return r->castTo(resultType);
  return r;
}

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

namespace {

llvm::StringRef unaryName(UnaryKind k) {
  switch (k) {
  case UnaryKind::Relu: return "Relu";
  case UnaryKind::Sigmoid: return "Sigmoid";
  case UnaryKind::Tanh: return "Tanh";
  case UnaryKind::Exp: return "Exp";
  case UnaryKind::Log: return "Log";
  case UnaryKind::Sqrt: return "Sqrt";
  case UnaryKind::Erf: return "Erf";
  case UnaryKind::Reciprocal: return "Reciprocal";
  case UnaryKind::Floor: return "Floor";
  case UnaryKind::Ceil: return "Ceil";
  case UnaryKind::Round: return "Round";
  case UnaryKind::HardSwish: return "HardSwish";
  case UnaryKind::Neg: return "Neg";
  case UnaryKind::Abs: return "Abs";
  case UnaryKind::Sign: return "Sign";
  case UnaryKind::Not: return "Not";
  case UnaryKind::LeakyRelu: return "LeakyRelu";
  case UnaryKind::HardSigmoid: return "HardSigmoid";
  case UnaryKind::Gelu: return "Gelu";
  case UnaryKind::GeluTanh: return "Gelu(tanh)";
  case UnaryKind::Clip: return "Clip";
  case UnaryKind::Sin: return "Sin";
  case UnaryKind::Cos: return "Cos";
  case UnaryKind::Tan: return "Tan";
  case UnaryKind::Asin: return "Asin";
  case UnaryKind::Acos: return "Acos";
  case UnaryKind::Atan: return "Atan";
  case UnaryKind::Sinh: return "Sinh";
  case UnaryKind::Cosh: return "Cosh";
  case UnaryKind::Asinh: return "Asinh";
  case UnaryKind::Acosh: return "Acosh";
  case UnaryKind::Atanh: return "Atanh";
  }
  return "?";
}

template <typename T, typename Op> void mapInto(const T *in, T *out, int64_t n, Op op) {
  for (int64_t i = 0; i < n; ++i)
    out[i] = op(in[i]);
}

template <typename T>
void unaryFloat(UnaryKind kind, const T *x, T *y, int64_t n, const UnaryParams &p) {
  const T alpha = (T)p.alpha, beta = (T)p.beta;
  switch (kind) {
  case UnaryKind::Relu: mapInto(x, y, n, [](T v) { return v < 0 ? T(0) : v; }); break;
  case UnaryKind::Sigmoid: mapInto(x, y, n, [](T v) { return Math<T>::sigmoid(v); }); break;
  case UnaryKind::Tanh: mapInto(x, y, n, [](T v) { return Math<T>::tanh(v); }); break;
  case UnaryKind::Exp: mapInto(x, y, n, [](T v) { return Math<T>::exp(v); }); break;
  case UnaryKind::Log: mapInto(x, y, n, [](T v) { return Math<T>::log(v); }); break;
  case UnaryKind::Sqrt: mapInto(x, y, n, [](T v) { return std::sqrt(v); }); break;
  case UnaryKind::Erf: mapInto(x, y, n, [](T v) { return Math<T>::erf(v); }); break;
  case UnaryKind::Sin: mapInto(x, y, n, [](T v) { return std::sin(v); }); break;
  case UnaryKind::Cos: mapInto(x, y, n, [](T v) { return std::cos(v); }); break;
  case UnaryKind::Tan: mapInto(x, y, n, [](T v) { return std::tan(v); }); break;
  case UnaryKind::Asin: mapInto(x, y, n, [](T v) { return std::asin(v); }); break;
  case UnaryKind::Acos: mapInto(x, y, n, [](T v) { return std::acos(v); }); break;
  case UnaryKind::Atan: mapInto(x, y, n, [](T v) { return std::atan(v); }); break;
  case UnaryKind::Sinh: mapInto(x, y, n, [](T v) { return std::sinh(v); }); break;
  case UnaryKind::Cosh: mapInto(x, y, n, [](T v) { return std::cosh(v); }); break;
  case UnaryKind::Asinh: mapInto(x, y, n, [](T v) { return std::asinh(v); }); break;
  case UnaryKind::Acosh: mapInto(x, y, n, [](T v) { return std::acosh(v); }); break;
  case UnaryKind::Atanh: mapInto(x, y, n, [](T v) { return std::atanh(v); }); break;
  case UnaryKind::Reciprocal: mapInto(x, y, n, [](T v) { return T(1) / v; }); break;
  case UnaryKind::Floor: mapInto(x, y, n, [](T v) { return std::floor(v); }); break;
  case UnaryKind::Ceil: mapInto(x, y, n, [](T v) { return std::ceil(v); }); break;
  case UnaryKind::Round: mapInto(x, y, n, [](T v) { return std::nearbyint(v); }); break;
  case UnaryKind::HardSwish:
    mapInto(x, y, n, [](T v) {
      T g = v / T(6) + T(0.5);
      g = g < 0 ? T(0) : (g > 1 ? T(1) : g);
      return v * g;
    });
    break;
  case UnaryKind::Neg: mapInto(x, y, n, [](T v) { return -v; }); break;
  case UnaryKind::Abs: mapInto(x, y, n, [](T v) { return std::fabs(v); }); break;
  case UnaryKind::Sign:
    mapInto(x, y, n, [](T v) { return v > 0 ? T(1) : (v < 0 ? T(-1) : (v == 0 ? T(0) : v)); });
    break;
  case UnaryKind::LeakyRelu: mapInto(x, y, n, [&](T v) { return v < 0 ? alpha * v : v; }); break;
  case UnaryKind::HardSigmoid:
    mapInto(x, y, n, [&](T v) {
      T g = alpha * v + beta;
      return g < 0 ? T(0) : (g > 1 ? T(1) : g);
    });
    break;
  case UnaryKind::Gelu: mapInto(x, y, n, [](T v) { return Math<T>::gelu(v); }); break;
  case UnaryKind::GeluTanh: mapInto(x, y, n, [](T v) { return Math<T>::geluTanh(v); }); break;
  case UnaryKind::Clip: {
    bool hasLo = p.lo.has_value(), hasHi = p.hi.has_value();
    T lo = hasLo ? (T)*p.lo : T(0), hi = hasHi ? (T)*p.hi : T(0);
    // min(max(x, lo), hi) as numpy.clip, NaN passes through.
    mapInto(x, y, n, [&](T v) {
      if (hasLo && v < lo)
        v = lo;
      if (hasHi && v > hi)
        v = hi;
      return v;
    });
    break;
  }
  case UnaryKind::Not: break;
  }
}

/// Converts a (non-NaN) Clip bound to the integer type, saturating.
template <typename T> T clampBound(double v) {
  if (v <= (double)std::numeric_limits<T>::lowest())
    return std::numeric_limits<T>::lowest();
  if (v >= (double)std::numeric_limits<T>::max())
    return std::numeric_limits<T>::max();
  return (T)v;
}

template <typename T>
llvm::Error unaryInt(UnaryKind kind, const T *x, T *y, int64_t n, const UnaryParams &p,
                     DType dtype) {
  switch (kind) {
  case UnaryKind::Relu: mapInto(x, y, n, [](T v) { return v < 0 ? T(0) : v; }); break;
  case UnaryKind::Neg: mapInto(x, y, n, [](T v) { return wrapSub<T>(0, v); }); break;
  case UnaryKind::Abs: mapInto(x, y, n, [](T v) { return v < 0 ? wrapSub<T>(0, v) : v; }); break;
  case UnaryKind::Sign:
    mapInto(x, y, n, [](T v) { return v > 0 ? T(1) : (v < 0 ? T(-1) : T(0)); });
    break;
  case UnaryKind::Clip: {
    if ((p.lo && std::isnan(*p.lo)) || (p.hi && std::isnan(*p.hi)))
      return makeError("Clip: NaN bound for a {0} tensor", dtypeName(dtype));
    bool hasLo = p.lo.has_value(), hasHi = p.hi.has_value();
    T lo = hasLo ? clampBound<T>(*p.lo) : T(0), hi = hasHi ? clampBound<T>(*p.hi) : T(0);
    mapInto(x, y, n, [&](T v) {
      if (hasLo && v < lo)
        v = lo;
      if (hasHi && v > hi)
        v = hi;
      return v;
    });
    break;
  }
  default:
    return makeError("{0} does not support {1} tensors", unaryName(kind), dtypeName(dtype));
  }
  return llvm::Error::success();
}

} // namespace

Expected<Tensor> qopt::ref::unary(UnaryKind kind, const Tensor &x, const UnaryParams &p) {
  if (!hasStorage(x))
    return makeError("{0}: operand has no storage", unaryName(kind));
  if (kind == UnaryKind::Not || x.dtype() == DType::Bool) {
    if (kind != UnaryKind::Not || x.dtype() != DType::Bool)
      return makeError("{0} does not support {1}", unaryName(kind), x.describe());
    auto out = Tensor::allocate(DType::Bool, x.shape());
    if (!out)
      return out.takeError();
    mapInto(x.data<uint8_t>(), out->data<uint8_t>(), x.numElements(),
            [](uint8_t v) -> uint8_t { return v == 0; });
    return out;
  }
  Tensor in = widen(x);
  auto out = Tensor::allocateUninitialized(in.dtype(), in.shape());
  if (!out)
    return out.takeError();
  int64_t n = in.numElements();
  llvm::Error e = visitType(in.dtype(), [&](auto tag) -> llvm::Error {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_floating_point_v<T>) {
      unaryFloat<T>(kind, in.data<T>(), out->template data<T>(), n, p);
      return llvm::Error::success();
    } else {
      return unaryInt<T>(kind, in.data<T>(), out->template data<T>(), n, p, in.dtype());
    }
  });
  if (e)
    return std::move(e);
  if (out->dtype() != x.dtype())
    return out->castTo(x.dtype());
  return out;
}

//===----------------------------------------------------------------------===//
// Where
//===----------------------------------------------------------------------===//

namespace {

template <typename T>
void whereTyped(const BroadcastPlan &plan, const uint8_t *c, const T *x, const T *y, T *o) {
  forEachRun(plan, [&](int64_t base, const int64_t *offs, const int64_t *s, int64_t n) {
    const uint8_t *pc = c + offs[0];
    const T *px = x + offs[1];
    const T *py = y + offs[2];
    T *po = o + base;
    if (s[0] == 1 && s[1] == 1 && s[2] == 1) {
      for (int64_t i = 0; i < n; ++i)
        po[i] = pc[i] ? px[i] : py[i];
      return;
    }
    for (int64_t i = 0; i < n; ++i)
      po[i] = pc[i * s[0]] ? px[i * s[1]] : py[i * s[2]];
  });
}

} // namespace

Expected<Tensor> qopt::ref::where(const Tensor &cond, const Tensor &x, const Tensor &y,
                                  ArrayRef<int64_t> outShape) {
  if (!hasStorage(cond) || !hasStorage(x) || !hasStorage(y))
    return makeError("Where: operand has no storage");
  if (cond.dtype() != DType::Bool)
    return makeError("Where: condition must be bool, got {0}", cond.describe());
  if (x.dtype() != y.dtype())
    return makeError("Where: value dtypes differ ({0} vs {1})", x.describe(), y.describe());
  auto plan = planBroadcast("Where", outShape, {cond.shape(), x.shape(), y.shape()});
  if (!plan)
    return plan.takeError();
  auto out = Tensor::allocate(x.dtype(), outShape);
  if (!out)
    return out.takeError();
  const uint8_t *c = cond.data<uint8_t>();
  // Values are moved as unsigned integers of the element size.
  auto run = [&](auto tag) {
    using U = typename decltype(tag)::type;
    whereTyped(*plan, c, x.data<U>(), y.data<U>(), out->template data<U>());
  };
  switch (dtypeSize(x.dtype())) {
  case 1: run(Tag<uint8_t>{}); break;
  case 2: run(Tag<uint16_t>{}); break;
  case 4: run(Tag<uint32_t>{}); break;
  default: run(Tag<uint64_t>{}); break;
  }
  return out;
}
