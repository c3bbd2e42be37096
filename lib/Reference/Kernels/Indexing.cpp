//===- Indexing.cpp - GatherND, ScatterND, ScatterElements, TopK -*- C++ -*-===//
//
// Ops whose element positions come from run-time index tensors. Every index
// is checked: an out-of-range one is an error naming it (the GPU kernels
// clamp instead, docs/codegen.md). Scatters apply their updates in the
// indices' row-major order, which is the order the GPU lowering's per-element
// search reproduces.
//
//===----------------------------------------------------------------------===//

#include "qopt/Reference/Kernels.h"
#include "KernelSupport.h"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <type_traits>

using namespace qopt::ref;
using namespace qopt::ref::detail;
using llvm::ArrayRef;
using llvm::Expected;
using llvm::SmallVector;

namespace {

bool isIndexType(DType t) { return t == DType::I32 || t == DType::I64; }

/// Index `v` along a dimension of `size`, negative from the end.
Expected<int64_t> position(const char *op, int64_t v, int64_t size, int64_t dim) {
  if (v < -size || v >= size)
    return makeError("{0}: index {1} out of range for dimension {2} of size {3}", op, v, dim,
                     size);
  return v < 0 ? v + size : v;
}

/// Unsigned arithmetic at least as wide as int, so integer sums and
/// products wrap instead of overflowing (uint16 * uint16 would promote to a
/// signed int).
template <typename T>
using WrapT = std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, std::make_unsigned_t<T>>;

/// Combines update `u` into `d`.
template <typename T> T combineTyped(T d, T u, ScatterReduction r) {
  switch (r) {
  case ScatterReduction::None:
    return u;
  case ScatterReduction::Add:
    if constexpr (std::is_integral_v<T>)
      return (T)((WrapT<T>)d + (WrapT<T>)u);
    else
      return d + u;
  case ScatterReduction::Mul:
    if constexpr (std::is_integral_v<T>)
      return (T)((WrapT<T>)d * (WrapT<T>)u);
    else
      return d * u;
  case ScatterReduction::Max:
  case ScatterReduction::Min: {
    bool max = r == ScatterReduction::Max;
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(d))
        return d;
      if (std::isnan(u))
        return u;
      if (d == u) // ±0: -0 orders below +0
        return (std::signbit(d) == max) ? u : d;
    }
    return max ? std::max(d, u) : std::min(d, u);
  }
  }
  return u;
}

template <typename T> void combineAs(char *dst, const char *src, ScatterReduction r) {
  T d, u;
  std::memcpy(&d, dst, sizeof(T));
  std::memcpy(&u, src, sizeof(T));
  d = combineTyped(d, u, r);
  std::memcpy(dst, &d, sizeof(T));
}

/// f16 and bf16 combine in f32 and round once: the same as one rounded
/// half-precision add, multiply, max or min.
template <float (*ToF)(uint16_t), uint16_t (*FromF)(float)>
void combineHalf(char *dst, const char *src, ScatterReduction r) {
  uint16_t d, u;
  std::memcpy(&d, dst, 2);
  std::memcpy(&u, src, 2);
  d = FromF(combineTyped(ToF(d), ToF(u), r));
  std::memcpy(dst, &d, 2);
}

void combine(DType t, char *dst, const char *src, ScatterReduction r) {
  if (r == ScatterReduction::None) {
    std::memcpy(dst, src, dtypeSize(t));
    return;
  }
  switch (t) {
  case DType::F16: return combineHalf<halfToFloat, floatToHalf>(dst, src, r);
  case DType::BF16: return combineHalf<bfloat16ToFloat, floatToBFloat16>(dst, src, r);
  case DType::F32: return combineAs<float>(dst, src, r);
  case DType::F64: return combineAs<double>(dst, src, r);
  case DType::I8: return combineAs<int8_t>(dst, src, r);
  case DType::I16: return combineAs<int16_t>(dst, src, r);
  case DType::I32: return combineAs<int32_t>(dst, src, r);
  case DType::I64: return combineAs<int64_t>(dst, src, r);
  case DType::U8: return combineAs<uint8_t>(dst, src, r);
  case DType::U16: return combineAs<uint16_t>(dst, src, r);
  case DType::U32: return combineAs<uint32_t>(dst, src, r);
  case DType::U64: return combineAs<uint64_t>(dst, src, r);
  case DType::Bool: break;
  }
}

llvm::Error checkScatter(const char *op, const Tensor &data, const Tensor &indices,
                         const Tensor &updates, ScatterReduction r) {
  if (!hasStorage(data) || !hasStorage(indices) || !hasStorage(updates))
    return makeError("{0}: operand has no storage", op);
  if (!isIndexType(indices.dtype()))
    return makeError("{0}: indices must be int32 or int64, got {1}", op,
                     dtypeName(indices.dtype()));
  if (updates.dtype() != data.dtype())
    return makeError("{0}: updates {1} and data {2} differ in type", op, updates.describe(),
                     data.describe());
  if (r != ScatterReduction::None && data.dtype() == DType::Bool)
    return makeError("{0}: a reduction needs numbers, got {1}", op, data.describe());
  return llvm::Error::success();
}

} // namespace

Expected<Tensor> qopt::ref::gatherND(const Tensor &data, const Tensor &indices,
                                     int64_t batchDims) {
  if (!hasStorage(data) || !hasStorage(indices))
    return makeError("GatherND: operand has no storage");
  if (!isIndexType(indices.dtype()))
    return makeError("GatherND: indices must be int32 or int64, got {0}",
                     dtypeName(indices.dtype()));
  int64_t r = data.rank(), q = indices.rank(), b = batchDims;
  if (q < 1 || b < 0 || b >= std::min(r, q))
    return makeError("GatherND: batch_dims {0} does not fit data {1} and indices {2}", b,
                     data.describe(), indices.describe());
  int64_t k = indices.dim(q - 1);
  if (k < 1 || b + k > r || data.shape().take_front(b) != indices.shape().take_front(b))
    return makeError("GatherND: indices {0} do not fit data {1} with batch_dims {2}",
                     indices.describe(), data.describe(), b);
  SmallVector<int64_t> outShape(indices.shape().drop_back());
  llvm::append_range(outShape, data.shape().drop_front(b + k));
  auto out = Tensor::allocate(data.dtype(), outShape);
  if (!out)
    return out.takeError();
  size_t elt = dtypeSize(data.dtype());
  SmallVector<int64_t> strides = rowMajorStrides(data.shape());
  int64_t slice = 1;
  for (int64_t d = b + k; d < r; ++d)
    slice *= data.dim(d);
  // Tuples per batch entry; the batch entry is the tuple's leading position.
  int64_t perBatch = 1;
  for (int64_t d = b; d < q - 1; ++d)
    perBatch *= indices.dim(d);
  int64_t tuples = indices.numElements() / std::max<int64_t>(k, 1);
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t batch = perBatch ? t / perBatch : 0, src = 0;
    // The batch entry's row-major offset in data's leading dims.
    for (int64_t d = b - 1, rest = batch; d >= 0; --d) {
      src += (rest % data.dim(d)) * strides[d];
      rest /= data.dim(d);
    }
    for (int64_t j = 0; j < k; ++j) {
      auto p = position("GatherND", indices.getAsInt(t * k + j), data.dim(b + j), b + j);
      if (!p)
        return p.takeError();
      src += *p * strides[b + j];
    }
    std::memcpy(out->bytes() + t * slice * elt, data.bytes() + src * elt, slice * elt);
  }
  return out;
}

Expected<Tensor> qopt::ref::scatterND(const Tensor &data, const Tensor &indices,
                                      const Tensor &updates, ScatterReduction reduction) {
  if (auto err = checkScatter("ScatterND", data, indices, updates, reduction))
    return std::move(err);
  int64_t r = data.rank(), q = indices.rank();
  int64_t k = q ? indices.dim(q - 1) : 0;
  SmallVector<int64_t> want(indices.shape().drop_back());
  if (k >= 1 && k <= r)
    llvm::append_range(want, data.shape().drop_front(k));
  if (q < 1 || k < 1 || k > r || updates.shape() != ArrayRef<int64_t>(want))
    return makeError("ScatterND: indices {0} and updates {1} do not fit data {2}",
                     indices.describe(), updates.describe(), data.describe());
  Tensor out = data.clone();
  size_t elt = dtypeSize(data.dtype());
  SmallVector<int64_t> strides = rowMajorStrides(data.shape());
  int64_t slice = strides[k - 1];
  int64_t tuples = indices.numElements() / k;
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t dst = 0;
    for (int64_t j = 0; j < k; ++j) {
      auto p = position("ScatterND", indices.getAsInt(t * k + j), data.dim(j), j);
      if (!p)
        return p.takeError();
      dst += *p * strides[j];
    }
    for (int64_t e = 0; e < slice; ++e)
      combine(data.dtype(), out.bytes() + (dst + e) * elt,
              updates.bytes() + (t * slice + e) * elt, reduction);
  }
  return out;
}

Expected<Tensor> qopt::ref::scatterElements(const Tensor &data, const Tensor &indices,
                                            const Tensor &updates, int64_t axis,
                                            ScatterReduction reduction) {
  if (auto err = checkScatter("ScatterElements", data, indices, updates, reduction))
    return std::move(err);
  int64_t rank = data.rank();
  bool fits = indices.rank() == rank && axis >= 0 && axis < rank &&
              updates.shape() == indices.shape();
  for (int64_t d = 0; fits && d < rank; ++d)
    fits = d == axis || indices.dim(d) <= data.dim(d);
  if (!fits)
    return makeError("ScatterElements: indices {0} and updates {1} do not fit data {2} on axis {3}",
                     indices.describe(), updates.describe(), data.describe(), axis);
  Tensor out = data.clone();
  size_t elt = dtypeSize(data.dtype());
  SmallVector<int64_t> strides = rowMajorStrides(data.shape());
  SmallVector<int64_t> idx(rank, 0);
  for (int64_t i = 0; i < indices.numElements(); ++i) {
    auto p = position("ScatterElements", indices.getAsInt(i), data.dim(axis), axis);
    if (!p)
      return p.takeError();
    int64_t dst = 0;
    for (int64_t d = 0; d < rank; ++d)
      dst += (d == axis ? *p : idx[d]) * strides[d];
    combine(data.dtype(), out.bytes() + dst * elt, updates.bytes() + i * elt, reduction);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++idx[d] < indices.dim(d))
        break;
      idx[d] = 0;
    }
  }
  return out;
}

namespace {
/// Positions along one line sorted in TopK's order; a stable sort keeps the
/// lower position first among equal values.
template <typename T>
void topKLine(const T *x, int64_t n, int64_t stride, int64_t k, bool largest,
              SmallVector<int64_t> &order, int64_t *out, int64_t outStride) {
  order.resize(n);
  std::iota(order.begin(), order.end(), 0);
  auto before = [&](int64_t a, int64_t b) {
    T va = x[a * stride], vb = x[b * stride];
    if constexpr (std::is_floating_point_v<T>) {
      bool na = std::isnan(va), nb = std::isnan(vb);
      if (na || nb) // NaN ranks above every number
        return largest ? na && !nb : nb && !na;
    }
    return largest ? va > vb : va < vb;
  };
  std::stable_sort(order.begin(), order.end(), before);
  for (int64_t j = 0; j < k; ++j)
    out[j * outStride] = order[j];
}
} // namespace

Expected<Tensor> qopt::ref::topK(const Tensor &xIn, int64_t axis, int64_t k, bool largest) {
  if (!hasStorage(xIn))
    return makeError("TopK: input has no storage");
  if (axis < 0 || axis >= xIn.rank() || k < 1 || k > xIn.dim(axis))
    return makeError("TopK: k = {0} on axis {1} does not fit {2}", k, axis, xIn.describe());
  if (xIn.dtype() == DType::Bool)
    return makeError("TopK does not support bool tensors");
  Tensor x = widen(xIn);
  int64_t outer = 1, inner = 1, n = x.dim(axis);
  for (int64_t d = 0; d < x.rank(); ++d) {
    if (d < axis)
      outer *= x.dim(d);
    else if (d > axis)
      inner *= x.dim(d);
  }
  SmallVector<int64_t> outShape(x.shape());
  outShape[axis] = k;
  auto out = Tensor::allocate(DType::I64, outShape);
  if (!out)
    return out.takeError();
  int64_t *o = out->data<int64_t>();
  SmallVector<int64_t> order;
  auto run = [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *p = x.data<T>();
    for (int64_t a = 0; a < outer; ++a)
      for (int64_t i = 0; i < inner; ++i)
        topKLine(p + a * n * inner + i, n, inner, k, largest, order, o + a * k * inner + i, inner);
  };
  if (!visitNumeric(x.dtype(), run))
    return makeError("TopK does not support {0} tensors", dtypeName(x.dtype()));
  return std::move(*out);
}
