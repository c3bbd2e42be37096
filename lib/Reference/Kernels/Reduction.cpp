//===- Reduction.cpp - ReduceMean/Sum/Max/Min/Prod -------------*- C++ -*-===//
//
// The input is walked once in row-major order; adjacent dims that are both
// reduced or both kept are merged first, so the common cases (reducing the
// innermost or outermost block) run as contiguous loops. Float sums and
// products accumulate in the tensor's type (f32 for f16), each output in the
// lanes of qopt/Quant/RowReduction.h over its elements' row-major order: the
// GPU kernels' order, so that they agree bit for bit (docs/quantization.md).
// Integer ones wrap in the tensor's type (any order gives the same).
//
//===----------------------------------------------------------------------===//

#include "qopt/Reference/Kernels.h"
#include "KernelSupport.h"
#include "qopt/Quant/RowReduction.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <limits>
#include <type_traits>

using namespace qopt::ref;
using namespace qopt::ref::detail;
using llvm::ArrayRef;
using llvm::Expected;
using llvm::SmallVector;

namespace {

/// Accumulator: the type itself for floats, uint64 (wrapping) for integer
/// sums and products.
template <typename T>
using SumAcc = std::conditional_t<std::is_floating_point_v<T>, T, uint64_t>;

template <typename T> T identityMax() {
  if constexpr (std::is_floating_point_v<T>)
    return -std::numeric_limits<T>::infinity();
  else
    return std::numeric_limits<T>::lowest();
}
template <typename T> T identityMin() {
  if constexpr (std::is_floating_point_v<T>)
    return std::numeric_limits<T>::infinity();
  else
    return std::numeric_limits<T>::max();
}

/// Collapsed iteration space: dims with a flag saying whether they reduce.
struct ReducePlan {
  SmallVector<int64_t, 6> dims, outStrides; // outStrides: 0 on reduced dims
  SmallVector<int64_t, 6> rowStrides;       // row-major over the reduced dims, 0 on kept ones
  SmallVector<bool, 6> reduced;
};

ReducePlan makePlan(ArrayRef<int64_t> shape, ArrayRef<bool> isReduced) {
  ReducePlan p;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1)
      continue;
    if (!p.dims.empty() && p.reduced.back() == isReduced[d]) {
      p.dims.back() *= shape[d];
      continue;
    }
    p.dims.push_back(shape[d]);
    p.reduced.push_back(isReduced[d]);
  }
  if (p.dims.empty()) {
    p.dims.push_back(1);
    p.reduced.push_back(false);
  }
  p.outStrides.assign(p.dims.size(), 0);
  p.rowStrides.assign(p.dims.size(), 0);
  int64_t stride = 1, rowStride = 1;
  for (int64_t d = p.dims.size() - 1; d >= 0; --d) {
    if (!p.reduced[d]) {
      p.outStrides[d] = stride;
      stride *= p.dims[d];
    } else {
      p.rowStrides[d] = rowStride;
      rowStride *= p.dims[d];
    }
  }
  return p;
}

/// Calls `f(outIndex, inputRun, n, runReduces, rowIndex)` for each innermost
/// run of the input; when runReduces, the whole run folds into acc[outIndex]
/// (element i at position rowIndex + i of its row), otherwise element i folds
/// into acc[outIndex + i] (at position rowIndex of its row).
template <typename F> void forEachRun(const ReducePlan &p, int64_t total, F &&f) {
  int64_t rank = p.dims.size(), inner = p.dims.back();
  bool innerReduced = p.reduced.back();
  SmallVector<int64_t, 6> idx(rank, 0);
  int64_t outOff = 0, rowOff = 0;
  for (int64_t in = 0; in < total; in += inner) {
    f(outOff, in, inner, innerReduced, rowOff);
    for (int64_t d = rank - 2; d >= 0; --d) {
      ++idx[d];
      outOff += p.outStrides[d];
      rowOff += p.rowStrides[d];
      if (idx[d] < p.dims[d])
        break;
      outOff -= p.outStrides[d] * p.dims[d];
      rowOff -= p.rowStrides[d] * p.dims[d];
      idx[d] = 0;
    }
  }
}

template <typename T>
void reduceTyped(ReduceKind kind, const Tensor &x, const ReducePlan &plan, int64_t count,
                 Tensor &out) {
  const T *xd = x.data<T>();
  T *od = out.data<T>();
  int64_t outN = out.numElements(), total = x.numElements();
  if (kind == ReduceKind::Max || kind == ReduceKind::Min) {
    bool isMax = kind == ReduceKind::Max;
    std::fill(od, od + outN, isMax ? identityMax<T>() : identityMin<T>());
    auto fold = [isMax](T &acc, T v) {
      if constexpr (std::is_floating_point_v<T>) {
        if (std::isnan(acc))
          return;
        if (std::isnan(v)) {
          acc = v;
          return;
        }
      }
      if (isMax ? v > acc : v < acc)
        acc = v;
    };
    forEachRun(plan, total, [&](int64_t o, int64_t in, int64_t n, bool reduces, int64_t) {
      if (reduces) {
        for (int64_t i = 0; i < n; ++i)
          fold(od[o], xd[in + i]);
      } else {
        for (int64_t i = 0; i < n; ++i)
          fold(od[o + i], xd[in + i]);
      }
    });
    return;
  }
  using Acc = SumAcc<T>;
  bool prod = kind == ReduceKind::Prod;
  // Float rows fold into lanes (acc[o * lanes + position % lanes]) that are
  // combined at the end; integers wrap, the same in any order, in one lane.
  int64_t lanes = std::is_floating_point_v<T> ? qopt::rowreduce::laneCount(count) : 1;
  SmallVector<Acc> acc(outN * lanes, prod ? Acc(1) : Acc(0));
  auto fold = [prod](Acc &a, T v) {
    if (prod)
      a *= (Acc)v;
    else
      a += (Acc)v;
  };
  forEachRun(plan, total, [&](int64_t o, int64_t in, int64_t n, bool reduces, int64_t pos) {
    if (reduces) {
      Acc *a = &acc[o * lanes];
      for (int64_t i = 0; i < n; ++i)
        fold(a[(pos + i) & (lanes - 1)], xd[in + i]);
    } else {
      int64_t lane = pos & (lanes - 1);
      for (int64_t i = 0; i < n; ++i)
        fold(acc[(o + i) * lanes + lane], xd[in + i]);
    }
  });
  // Compacts in place: row i's lanes start at i * lanes >= i.
  for (int64_t i = 0; i < outN; ++i)
    acc[i] = qopt::rowreduce::combineLanes(&acc[i * lanes], lanes, [prod](Acc a, Acc c) {
      return prod ? Acc(a * c) : Acc(a + c);
    });
  for (int64_t i = 0; i < outN; ++i) {
    if (kind != ReduceKind::Mean) {
      od[i] = (T)acc[i];
    } else if constexpr (std::is_floating_point_v<T>) {
      od[i] = acc[i] / (T)count; // 0/0 = NaN for an empty reduction
    } else {
      // Integer mean truncates toward zero; an empty reduction gives 0.
      T sum = (T)acc[i];
      if (count == 0)
        od[i] = 0;
      else if constexpr (std::is_signed_v<T>)
        od[i] = (T)((int64_t)sum / count);
      else
        od[i] = (T)((uint64_t)sum / (uint64_t)count);
    }
  }
}

} // namespace

Expected<Tensor> qopt::ref::reduce(ReduceKind kind, const Tensor &xIn, ArrayRef<int64_t> axes,
                                   bool keepdims) {
  if (!hasStorage(xIn))
    return makeError("Reduce: input has no storage");
  // Bool reduces as uint8 under Max/Min (any/all), as opset 20 allows.
  if (xIn.dtype() == DType::Bool && kind != ReduceKind::Max && kind != ReduceKind::Min)
    return makeError("Reduce: only Max and Min accept bool tensors");
  int64_t rank = xIn.rank();
  SmallVector<bool, 6> isReduced(rank, false);
  int64_t prev = -1;
  for (int64_t a : axes) {
    if (a < 0 || a >= rank || a <= prev)
      return makeError("Reduce: axes must be sorted, unique and in [0, {0}); got {1}", rank, a);
    isReduced[a] = true;
    prev = a;
  }
  SmallVector<int64_t, 6> outShape;
  int64_t count = 1;
  for (int64_t d = 0; d < rank; ++d) {
    if (isReduced[d]) {
      count *= xIn.dim(d);
      if (keepdims)
        outShape.push_back(1);
    } else {
      outShape.push_back(xIn.dim(d));
    }
  }
  Tensor x = isHalfLike(xIn.dtype()) ? xIn.castTo(DType::F32) : xIn;
  auto out = Tensor::allocate(x.dtype(), outShape);
  if (!out)
    return out.takeError();
  if (out->numElements() == 0)
    return out;
  ReducePlan plan = makePlan(x.shape(), isReduced);
  switch (x.dtype()) {
  case DType::F32: reduceTyped<float>(kind, x, plan, count, *out); break;
  case DType::F64: reduceTyped<double>(kind, x, plan, count, *out); break;
  case DType::I8: reduceTyped<int8_t>(kind, x, plan, count, *out); break;
  case DType::I16: reduceTyped<int16_t>(kind, x, plan, count, *out); break;
  case DType::I32: reduceTyped<int32_t>(kind, x, plan, count, *out); break;
  case DType::I64: reduceTyped<int64_t>(kind, x, plan, count, *out); break;
  case DType::Bool:
  case DType::U8: reduceTyped<uint8_t>(kind, x, plan, count, *out); break;
  case DType::U16: reduceTyped<uint16_t>(kind, x, plan, count, *out); break;
  case DType::U32: reduceTyped<uint32_t>(kind, x, plan, count, *out); break;
  case DType::U64: reduceTyped<uint64_t>(kind, x, plan, count, *out); break;
  default: return makeError("Reduce does not support {0}", xIn.describe());
  }
  if (x.dtype() == DType::Bool) { // the empty Min identity 255 means true
    uint8_t *b = out->data<uint8_t>();
    for (int64_t i = 0, e = out->numElements(); i < e; ++i)
      b[i] = b[i] != 0;
  }
  if (out->dtype() != xIn.dtype())
    return out->castTo(xIn.dtype());
  return out;
}

//===----------------------------------------------------------------------===//
// ArgMax / ArgMin
//===----------------------------------------------------------------------===//

namespace {
/// Index of the extreme element along `axis` for every (outer, inner) pair.
/// NaN compares as the extreme value, so the first NaN wins, as in NumPy.
template <typename T>
void argExtreme(const T *x, int64_t outer, int64_t dim, int64_t inner, bool isMax,
                bool selectLast, int64_t *out) {
  auto better = [&](T a, T b) {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(b))
        return false;
      if (std::isnan(a))
        return true;
    }
    return isMax ? a > b : a < b;
  };
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const T *p = x + o * dim * inner + i;
      int64_t best = 0;
      for (int64_t d = 1; d < dim; ++d) {
        T v = p[d * inner], b = p[best * inner];
        if (better(v, b) || (selectLast && !better(b, v) && !(v != v)))
          best = d;
      }
      out[o * inner + i] = best;
    }
}
} // namespace

Expected<Tensor> qopt::ref::argReduce(bool isMax, const Tensor &xIn, int64_t axis, bool keepdims,
                                      bool selectLastIndex) {
  const char *name = isMax ? "ArgMax" : "ArgMin";
  if (!hasStorage(xIn))
    return makeError("{0}: input has no storage", name);
  if (axis < 0 || axis >= xIn.rank())
    return makeError("{0}: axis {1} out of range for {2}", name, axis, xIn.describe());
  if (xIn.dim(axis) == 0)
    return makeError("{0}: cannot reduce the empty axis {1} of {2}", name, axis, xIn.describe());
  if (xIn.dtype() == DType::Bool)
    return makeError("{0} does not support bool tensors", name);
  Tensor x = widen(xIn);
  int64_t outer = 1, inner = 1, dim = x.dim(axis);
  SmallVector<int64_t> outShape;
  for (int64_t d = 0; d < x.rank(); ++d) {
    if (d < axis)
      outer *= x.dim(d);
    else if (d > axis)
      inner *= x.dim(d);
    if (d != axis)
      outShape.push_back(x.dim(d));
    else if (keepdims)
      outShape.push_back(1);
  }
  auto out = Tensor::allocate(DType::I64, outShape);
  if (!out)
    return out.takeError();
  int64_t *o = out->data<int64_t>();
  switch (x.dtype()) {
  case DType::F32: argExtreme(x.data<float>(), outer, dim, inner, isMax, selectLastIndex, o); break;
  case DType::F64: argExtreme(x.data<double>(), outer, dim, inner, isMax, selectLastIndex, o); break;
  case DType::I8: argExtreme(x.data<int8_t>(), outer, dim, inner, isMax, selectLastIndex, o); break;
  case DType::I16: argExtreme(x.data<int16_t>(), outer, dim, inner, isMax, selectLastIndex, o); break;
  case DType::I32: argExtreme(x.data<int32_t>(), outer, dim, inner, isMax, selectLastIndex, o); break;
  case DType::I64: argExtreme(x.data<int64_t>(), outer, dim, inner, isMax, selectLastIndex, o); break;
  case DType::U8: argExtreme(x.data<uint8_t>(), outer, dim, inner, isMax, selectLastIndex, o); break;
  case DType::U16: argExtreme(x.data<uint16_t>(), outer, dim, inner, isMax, selectLastIndex, o); break;
  case DType::U32: argExtreme(x.data<uint32_t>(), outer, dim, inner, isMax, selectLastIndex, o); break;
  case DType::U64: argExtreme(x.data<uint64_t>(), outer, dim, inner, isMax, selectLastIndex, o); break;
  default:
    return makeError("{0} does not support {1} tensors", name, dtypeName(x.dtype()));
  }
  return out;
}

//===----------------------------------------------------------------------===//
// CumSum
//===----------------------------------------------------------------------===//

namespace {
template <typename T, typename Acc>
void cumSumTyped(const T *x, T *y, int64_t outer, int64_t dim, int64_t inner, bool exclusive,
                 bool reverse) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      Acc acc = 0;
      for (int64_t s = 0; s < dim; ++s) {
        int64_t d = reverse ? dim - 1 - s : s;
        int64_t at = (o * dim + d) * inner + i;
        if (exclusive) {
          y[at] = (T)acc;
          acc = (Acc)(acc + (Acc)x[at]);
        } else {
          acc = (Acc)(acc + (Acc)x[at]);
          y[at] = (T)acc;
        }
      }
    }
}
} // namespace

Expected<Tensor> qopt::ref::cumSum(const Tensor &xIn, int64_t axis, bool exclusive,
                                   bool reverse) {
  if (!hasStorage(xIn))
    return makeError("CumSum: input has no storage");
  if (xIn.rank() == 0 || axis < 0 || axis >= xIn.rank())
    return makeError("CumSum: axis {0} out of range for {1}", axis, xIn.describe());
  Tensor x = widen(xIn);
  int64_t outer = 1, inner = 1, dim = x.dim(axis);
  for (int64_t d = 0; d < x.rank(); ++d) {
    if (d < axis)
      outer *= x.dim(d);
    else if (d > axis)
      inner *= x.dim(d);
  }
  auto out = Tensor::allocate(x.dtype(), x.shape());
  if (!out)
    return out.takeError();
  // Floats accumulate in their own type, as ONNX Runtime does; integers wrap.
  switch (x.dtype()) {
  case DType::F32: cumSumTyped<float, float>(x.data<float>(), out->data<float>(), outer, dim, inner, exclusive, reverse); break;
  case DType::F64: cumSumTyped<double, double>(x.data<double>(), out->data<double>(), outer, dim, inner, exclusive, reverse); break;
  case DType::I32: cumSumTyped<int32_t, uint32_t>(x.data<int32_t>(), out->data<int32_t>(), outer, dim, inner, exclusive, reverse); break;
  case DType::I64: cumSumTyped<int64_t, uint64_t>(x.data<int64_t>(), out->data<int64_t>(), outer, dim, inner, exclusive, reverse); break;
  case DType::U32: cumSumTyped<uint32_t, uint32_t>(x.data<uint32_t>(), out->data<uint32_t>(), outer, dim, inner, exclusive, reverse); break;
  case DType::U64: cumSumTyped<uint64_t, uint64_t>(x.data<uint64_t>(), out->data<uint64_t>(), outer, dim, inner, exclusive, reverse); break;
  default:
    return makeError("CumSum does not support {0} tensors", dtypeName(x.dtype()));
  }
  if (out->dtype() != xIn.dtype())
    return out->castTo(xIn.dtype());
  return out;
}
