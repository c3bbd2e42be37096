//===- KernelSupport.h - Helpers shared by the reference kernels -*- C++ -*-===//
//
// Private to lib/Reference.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_LIB_REFERENCE_KERNELS_KERNELSUPPORT_H
#define QOPT_LIB_REFERENCE_KERNELS_KERNELSUPPORT_H

#include "qopt/Reference/Tensor.h"

#include "llvm/Support/FormatVariadic.h"

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

/// Floor and ceiling division by a positive divisor.
inline int64_t floorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
inline int64_t ceilDiv(int64_t a, int64_t b) { return -floorDiv(-a, b); }

} // namespace qopt::ref::detail

#endif // QOPT_LIB_REFERENCE_KERNELS_KERNELSUPPORT_H
