//===- KernelSupport.h - Helpers shared by the reference kernels -*- C++ -*-===//
//
// Private to lib/Reference.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_LIB_REFERENCE_KERNELS_KERNELSUPPORT_H
#define QOPT_LIB_REFERENCE_KERNELS_KERNELSUPPORT_H

#include "qopt/Quant/FloatMath.h"
#include "qopt/Reference/Tensor.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <string>

namespace qopt::ref::detail {

/// Whether `t` owns storage. Every allocated tensor does (even with zero
/// elements); a default-constructed one does not.
inline bool hasStorage(const Tensor &t) { return t.bytes() != nullptr; }

/// An error whose message is formatted with llvm::formatv.
template <typename... Ts> llvm::Error makeError(const char *fmt, Ts &&...vals) {
  return llvm::createStringError(llvm::formatv(fmt, std::forward<Ts>(vals)...).str());
}

/// "[1,3,224,224]".
inline std::string shapeStr(llvm::ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

inline bool isHalfLike(DType t) { return t == DType::F16 || t == DType::BF16; }

/// Half-precision inputs are computed in f32 and rounded back by the caller.
inline Tensor widen(const Tensor &t) {
  return isHalfLike(t.dtype()) ? t.castTo(DType::F32) : t;
}

/// Carries a type through generic lambdas.
template <typename T> struct Tag {
  using type = T;
};

/// Calls fn(Tag<T>{}) with the C++ type of a widened numeric dtype (f32,
/// f64 and the integers; not bool or half precision, which callers widen
/// first). Returns false, calling nothing, for any other dtype.
template <typename Fn> bool visitNumeric(DType t, Fn &&fn) {
  switch (t) {
  case DType::F32: fn(Tag<float>{}); return true;
  case DType::F64: fn(Tag<double>{}); return true;
  case DType::I8: fn(Tag<int8_t>{}); return true;
  case DType::I16: fn(Tag<int16_t>{}); return true;
  case DType::I32: fn(Tag<int32_t>{}); return true;
  case DType::I64: fn(Tag<int64_t>{}); return true;
  case DType::U8: fn(Tag<uint8_t>{}); return true;
  case DType::U16: fn(Tag<uint16_t>{}); return true;
  case DType::U32: fn(Tag<uint32_t>{}); return true;
  case DType::U64: fn(Tag<uint64_t>{}); return true;
  default: return false;
  }
}

/// Floor and ceiling division by a positive divisor.
inline int64_t floorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
inline int64_t ceilDiv(int64_t a, int64_t b) { return -floorDiv(-a, b); }

/// exp, log, tanh, erf, the functions built on them, and Pow (squares and
/// cubes by multiplication, other exponents from libm). binary32 takes
/// qopt/Quant/FloatMath.h, the GPU kernels' own sequence of IEEE operations,
/// so float ops inside int8 programs are bit-exact there too; f64, which no
/// GPU kernel computes, keeps libm.
template <typename T> struct Math {
  static T exp(T v) { return std::exp(v); }
  static T log(T v) { return std::log(v); }
  static T tanh(T v) { return std::tanh(v); }
  static T erf(T v) { return std::erf(v); }
  static T sigmoid(T v) {
    if (v >= 0)
      return T(1) / (T(1) + std::exp(-v));
    T e = std::exp(v);
    return e / (T(1) + e);
  }
  static T gelu(T v) { return T(0.5) * v * (T(1) + std::erf(v * T(M_SQRT1_2))); }
  static T geluTanh(T v) {
    const T k = (T)std::sqrt(2.0 / M_PI);
    return T(0.5) * v * (T(1) + std::tanh(k * (v + T(0.044715) * v * v * v)));
  }
  static T pow(T x, T y) { return std::pow(x, y); }
};
template <> struct Math<float> {
  using Ops = qopt::fmath::ScalarOps;
  static float exp(float v) { return Ops::run(qopt::fmath::exp<Ops>, v); }
  static float log(float v) { return Ops::run(qopt::fmath::log<Ops>, v); }
  static float tanh(float v) { return Ops::run(qopt::fmath::tanh<Ops>, v); }
  static float erf(float v) { return Ops::run(qopt::fmath::erf<Ops>, v); }
  static float sigmoid(float v) { return Ops::run(qopt::fmath::sigmoid<Ops>, v); }
  static float gelu(float v) { return Ops::run(qopt::fmath::gelu<Ops>, v); }
  static float geluTanh(float v) { return Ops::run(qopt::fmath::geluTanh<Ops>, v); }
  static float pow(float x, float y) {
    Ops o;
    return qopt::fmath::pow(o, x, y, [](float b, float e) { return std::pow(b, e); });
  }
};

} // namespace qopt::ref::detail

#endif // QOPT_LIB_REFERENCE_KERNELS_KERNELSUPPORT_H
