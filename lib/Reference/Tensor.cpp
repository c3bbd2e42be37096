//===- Tensor.cpp - Host tensors -------------------------------*- C++ -*-===//

#include "qopt/Reference/Tensor.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <cassert>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>

using namespace qopt::ref;
using llvm::Expected;

size_t qopt::ref::dtypeSize(DType t) {
  switch (t) {
  case DType::Bool:
  case DType::I8:
  case DType::U8:
    return 1;
  case DType::F16:
  case DType::BF16:
  case DType::I16:
  case DType::U16:
    return 2;
  case DType::F32:
  case DType::I32:
  case DType::U32:
    return 4;
  case DType::F64:
  case DType::I64:
  case DType::U64:
    return 8;
  }
  return 1;
}

llvm::StringRef qopt::ref::dtypeName(DType t) {
  switch (t) {
  case DType::F16: return "float16";
  case DType::BF16: return "bfloat16";
  case DType::F32: return "float32";
  case DType::F64: return "float64";
  case DType::Bool: return "bool";
  case DType::I8: return "int8";
  case DType::I16: return "int16";
  case DType::I32: return "int32";
  case DType::I64: return "int64";
  case DType::U8: return "uint8";
  case DType::U16: return "uint16";
  case DType::U32: return "uint32";
  case DType::U64: return "uint64";
  }
  return "?";
}

bool qopt::ref::isFloat(DType t) {
  return t == DType::F16 || t == DType::BF16 || t == DType::F32 || t == DType::F64;
}
bool qopt::ref::isSignedInt(DType t) {
  return t == DType::I8 || t == DType::I16 || t == DType::I32 || t == DType::I64;
}
bool qopt::ref::isUnsignedInt(DType t) {
  return t == DType::U8 || t == DType::U16 || t == DType::U32 || t == DType::U64;
}

Expected<int64_t> qopt::ref::checkedNumElements(llvm::ArrayRef<int64_t> shape,
                                                int64_t maxElements) {
  // Real models stay below rank 8; a hostile one declaring a million
  // dimensions would otherwise make every shape walk (and the MLIR types
  // built from it) proportionally slow. 16 is also the bundle format's limit.
  constexpr size_t kMaxRank = 16;
  if (shape.size() > kMaxRank)
    return llvm::createStringError("rank %zu is above the limit of %zu", shape.size(), kMaxRank);
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return llvm::createStringError("negative dimension %lld", (long long)d);
    if (d != 0 && n > maxElements / d)
      return llvm::createStringError("shape has more than %lld elements",
                                     (long long)maxElements);
    n *= d;
  }
  return n;
}

llvm::SmallVector<int64_t> qopt::ref::rowMajorStrides(llvm::ArrayRef<int64_t> shape) {
  llvm::SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = (int64_t)shape.size() - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

namespace {
/// Recycles large tensor buffers. Freshly mapped memory costs a page fault
/// per 4 KiB on first touch, and the executor allocates and frees the same
/// activation sizes op after op, run after run; reusing them keeps
/// memory-bound ops (batchnorm, relu, add) at memory speed.
class StoragePool {
public:
  static StoragePool &get() {
    // Leaked on purpose: tensors may be released during static destruction.
    static StoragePool *pool = new StoragePool;
    return *pool;
  }

  char *take(size_t bytes) {
    if (bytes >= kMinPooled) {
      std::lock_guard<std::mutex> lock(mutex);
      auto it = free.find(bytes);
      if (it != free.end()) {
        char *p = it->second;
        free.erase(it);
        pooled -= bytes;
        return p;
      }
    }
    return static_cast<char *>(std::aligned_alloc(64, bytes));
  }

  void give(char *p, size_t bytes) {
    if (bytes >= kMinPooled) {
      std::lock_guard<std::mutex> lock(mutex);
      if (pooled + bytes <= kMaxPooled) {
        free.emplace(bytes, p);
        pooled += bytes;
        return;
      }
    }
    std::free(p);
  }

private:
  static constexpr size_t kMinPooled = size_t(1) << 16;
  static constexpr size_t kMaxPooled = size_t(1) << 30;
  std::mutex mutex;
  std::multimap<size_t, char *> free;
  size_t pooled = 0;
};
} // namespace

static std::shared_ptr<char[]> allocateStorage(size_t bytes, bool clear = true) {
  // 64-byte alignment keeps BLAS and vectorized loops on their fast paths.
  size_t rounded = (std::max<size_t>(bytes, 1) + 63) / 64 * 64;
  char *p = StoragePool::get().take(rounded);
  if (!p)
    return nullptr;
  if (clear)
    std::memset(p, 0, rounded);
  return std::shared_ptr<char[]>(p, [rounded](char *q) { StoragePool::get().give(q, rounded); });
}

Tensor::Tensor(DType dtype, llvm::ArrayRef<int64_t> shape)
    : dtype_(dtype), shape_(shape.begin(), shape.end()) {
  numElements_ = 1;
  for (int64_t d : shape)
    numElements_ *= d;
  storage_ = allocateStorage(numElements_ * dtypeSize(dtype));
}

Expected<Tensor> Tensor::allocate(DType dtype, llvm::ArrayRef<int64_t> shape) {
  return allocateImpl(dtype, shape, /*clear=*/true);
}

Expected<Tensor> Tensor::allocateUninitialized(DType dtype, llvm::ArrayRef<int64_t> shape) {
  return allocateImpl(dtype, shape, /*clear=*/false);
}

Expected<Tensor> Tensor::allocateImpl(DType dtype, llvm::ArrayRef<int64_t> shape, bool clear) {
  // 2^62 bytes would overflow size_t arithmetic below; real limits are lower.
  auto n = checkedNumElements(shape, (int64_t(1) << 62) / 8);
  if (!n)
    return n.takeError();
  Tensor t;
  t.dtype_ = dtype;
  t.shape_.assign(shape.begin(), shape.end());
  t.numElements_ = *n;
  t.storage_ = allocateStorage(*n * dtypeSize(dtype), clear);
  if (!t.storage_)
    return llvm::createStringError("cannot allocate %zu bytes for a %s tensor",
                                   (size_t)(*n * dtypeSize(dtype)),
                                   dtypeName(dtype).str().c_str());
  return t;
}

Expected<Tensor> Tensor::fromBytes(DType dtype, llvm::ArrayRef<int64_t> shape,
                                   llvm::ArrayRef<char> bytes) {
  auto t = allocate(dtype, shape);
  if (!t)
    return t.takeError();
  if (bytes.size() != t->byteSize())
    return llvm::createStringError("expected %zu bytes of data for %s, got %zu",
                                   t->byteSize(), t->describe().c_str(), bytes.size());
  if (!bytes.empty())
    std::memcpy(t->bytes(), bytes.data(), bytes.size());
  return t;
}

Tensor Tensor::reshaped(llvm::ArrayRef<int64_t> shape) const {
  Tensor t = *this;
  t.shape_.assign(shape.begin(), shape.end());
  return t;
}

Tensor Tensor::bitcast(DType dtype) const {
  assert(dtypeSize(dtype) == dtypeSize(dtype_) && "bitcast changes the element size");
  Tensor t = *this;
  t.dtype_ = dtype;
  return t;
}

Tensor Tensor::clone() const {
  Tensor t(dtype_, shape_);
  if (byteSize())
    std::memcpy(t.bytes(), bytes(), byteSize());
  return t;
}

double Tensor::getAsDouble(int64_t i) const {
  switch (dtype_) {
  case DType::F16: return halfToFloat(data<uint16_t>()[i]);
  case DType::BF16: return bfloat16ToFloat(data<uint16_t>()[i]);
  case DType::F32: return data<float>()[i];
  case DType::F64: return data<double>()[i];
  case DType::Bool: return data<uint8_t>()[i] != 0;
  case DType::I8: return data<int8_t>()[i];
  case DType::I16: return data<int16_t>()[i];
  case DType::I32: return data<int32_t>()[i];
  case DType::I64: return (double)data<int64_t>()[i];
  case DType::U8: return data<uint8_t>()[i];
  case DType::U16: return data<uint16_t>()[i];
  case DType::U32: return data<uint32_t>()[i];
  case DType::U64: return (double)data<uint64_t>()[i];
  }
  return 0;
}

int64_t Tensor::getAsInt(int64_t i) const {
  switch (dtype_) {
  case DType::Bool: return data<uint8_t>()[i] != 0;
  case DType::I8: return data<int8_t>()[i];
  case DType::I16: return data<int16_t>()[i];
  case DType::I32: return data<int32_t>()[i];
  case DType::I64: return data<int64_t>()[i];
  case DType::U8: return data<uint8_t>()[i];
  case DType::U16: return data<uint16_t>()[i];
  case DType::U32: return data<uint32_t>()[i];
  case DType::U64: return (int64_t)data<uint64_t>()[i];
  default: {
    double v = getAsDouble(i);
    if (std::isnan(v))
      return 0;
    if (v >= 9.2233720368547758e18)
      return INT64_MAX;
    if (v <= -9.2233720368547758e18)
      return INT64_MIN;
    return (int64_t)v;
  }
  }
}

/// Float to integer conversion: truncation toward zero; NaN gives 0 and values
/// out of range saturate, where C++ would be undefined.
template <typename T> static T floatToInt(double v) {
  if (std::isnan(v))
    return 0;
  double lo = (double)std::numeric_limits<T>::lowest(), hi = (double)std::numeric_limits<T>::max();
  if (v <= lo)
    return std::numeric_limits<T>::lowest();
  if (v >= hi)
    return std::numeric_limits<T>::max();
  return (T)v;
}

void Tensor::setFromDouble(int64_t i, double v) {
  switch (dtype_) {
  case DType::F16: data<uint16_t>()[i] = floatToHalf((float)v); return;
  case DType::BF16: data<uint16_t>()[i] = floatToBFloat16((float)v); return;
  case DType::F32: data<float>()[i] = (float)v; return;
  case DType::F64: data<double>()[i] = v; return;
  case DType::Bool: data<uint8_t>()[i] = v != 0; return;
  case DType::I8: data<int8_t>()[i] = floatToInt<int8_t>(v); return;
  case DType::I16: data<int16_t>()[i] = floatToInt<int16_t>(v); return;
  case DType::I32: data<int32_t>()[i] = floatToInt<int32_t>(v); return;
  case DType::I64: data<int64_t>()[i] = floatToInt<int64_t>(v); return;
  case DType::U8: data<uint8_t>()[i] = floatToInt<uint8_t>(v); return;
  case DType::U16: data<uint16_t>()[i] = floatToInt<uint16_t>(v); return;
  case DType::U32: data<uint32_t>()[i] = floatToInt<uint32_t>(v); return;
  case DType::U64: data<uint64_t>()[i] = floatToInt<uint64_t>(v); return;
  }
}

template <typename T> static void storeInt(Tensor &t, int64_t i, int64_t v) {
  t.data<T>()[i] = (T)v; // integer narrowing wraps, as ONNX Cast does
}

Tensor Tensor::castTo(DType to) const {
  if (to == dtype_)
    return *this;
  Tensor out(to, shape_);
  bool srcInt = !isFloat(dtype_);
  for (int64_t i = 0; i < numElements_; ++i) {
    if (srcInt && !isFloat(to)) {
      int64_t v = dtype_ == DType::U64 ? (int64_t)data<uint64_t>()[i] : getAsInt(i);
      switch (to) {
      case DType::Bool: out.data<uint8_t>()[i] = v != 0; break;
      case DType::I8: storeInt<int8_t>(out, i, v); break;
      case DType::I16: storeInt<int16_t>(out, i, v); break;
      case DType::I32: storeInt<int32_t>(out, i, v); break;
      case DType::I64: storeInt<int64_t>(out, i, v); break;
      case DType::U8: storeInt<uint8_t>(out, i, v); break;
      case DType::U16: storeInt<uint16_t>(out, i, v); break;
      case DType::U32: storeInt<uint32_t>(out, i, v); break;
      case DType::U64: storeInt<uint64_t>(out, i, v); break;
      default: break;
      }
    } else if (dtype_ == DType::U64 && isFloat(to)) {
      out.setFromDouble(i, (double)data<uint64_t>()[i]);
    } else if (dtype_ == DType::I64 && isFloat(to)) {
      out.setFromDouble(i, (double)data<int64_t>()[i]);
    } else if (dtype_ == DType::F32 && to == DType::F16) {
      out.data<uint16_t>()[i] = floatToHalf(data<float>()[i]);
    } else {
      out.setFromDouble(i, getAsDouble(i));
    }
  }
  return out;
}

std::string Tensor::describe() const {
  std::string s = dtypeName(dtype_).str() + "[";
  for (size_t i = 0; i < shape_.size(); ++i)
    s += (i ? "," : "") + std::to_string(shape_[i]);
  return s + "]";
}

uint16_t qopt::ref::floatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t absx = x & 0x7fffffffu;
  if (absx > 0x7f800000u) // NaN: keep it quiet
    return sign | 0x7e00u;
  if (absx >= 0x477ff000u) // rounds to >= 65520: infinity
    return sign | 0x7c00u;
  if (absx < 0x38800000u) { // subnormal half or zero
    // Scale into the half subnormal range and let float rounding (nearest even) decide.
    float a;
    std::memcpy(&a, &absx, 4);
    float scaled = a * 16777216.0f; // 2^24: one half-subnormal ulp becomes 1.0
    uint32_t m = (uint32_t)std::nearbyint(scaled);
    return sign | m;
  }
  uint32_t mant = absx & 0x7fffffu;
  uint32_t exp = (absx >> 23) - 127 + 15;
  uint32_t h = (exp << 10) | (mant >> 13);
  uint32_t rest = mant & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u)))
    ++h; // may carry into the exponent, which is the right result
  return sign | h;
}

float qopt::ref::halfToFloat(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
  uint32_t x;
  if (exp == 0) {
    float v = std::ldexp((float)mant, -24);
    std::memcpy(&x, &v, 4);
    x |= sign;
  } else if (exp == 31) {
    x = sign | 0x7f800000u | (mant << 13);
  } else {
    x = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

uint16_t qopt::ref::floatToBFloat16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  if ((x & 0x7fffffffu) > 0x7f800000u)
    return (uint16_t)((x >> 16) | 0x40u);
  uint32_t rounding = 0x7fffu + ((x >> 16) & 1u);
  return (uint16_t)((x + rounding) >> 16);
}

float qopt::ref::bfloat16ToFloat(uint16_t b) {
  uint32_t x = (uint32_t)b << 16;
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}
