//===- DataMovement.cpp - Transpose, concat, slice, gather, pad -*- C++ -*-===//
//
// These kernels move elements of dtypeSize bytes without looking at them.
// Transpose, slice, expand and the interior of constant pad are one strided
// box copy: size-1 dims are dropped, dims contiguous in both source and
// destination are merged, and the innermost run is a memcpy when it is
// contiguous on both sides.
//
//===----------------------------------------------------------------------===//

#include "qopt/Reference/Kernels.h"
#include "KernelSupport.h"

#include "llvm/Support/FormatVariadic.h"

#include <cstring>

using namespace qopt::ref;
using namespace qopt::ref::detail;
using llvm::ArrayRef;
using llvm::Expected;
using llvm::SmallVector;
using llvm::StringRef;

namespace {

/// Copies n elements with element strides ds/ss (in elements of T).
template <typename T>
void copyRun(char *dst, int64_t ds, const char *src, int64_t ss, int64_t n) {
  T *d = reinterpret_cast<T *>(dst);
  const T *s = reinterpret_cast<const T *>(src);
  if (ss == 0) {
    T v = s[0];
    for (int64_t i = 0; i < n; ++i)
      d[i * ds] = v;
    return;
  }
  for (int64_t i = 0; i < n; ++i)
    d[i * ds] = s[i * ss];
}

// esize is signed: strides are negative for reversed slices, and a negative
// offset times an unsigned size is a huge pointer offset (undefined behaviour).
void copyRunBytes(char *dst, int64_t ds, const char *src, int64_t ss, int64_t n, int64_t esize) {
  if (ds == 1 && ss == 1) {
    std::memcpy(dst, src, n * esize);
    return;
  }
  switch (esize) {
  case 1: return copyRun<uint8_t>(dst, ds, src, ss, n);
  case 2: return copyRun<uint16_t>(dst, ds, src, ss, n);
  case 4: return copyRun<uint32_t>(dst, ds, src, ss, n);
  case 8: return copyRun<uint64_t>(dst, ds, src, ss, n);
  default:
    for (int64_t i = 0; i < n; ++i)
      std::memcpy(dst + i * ds * esize, src + i * ss * esize, esize);
  }
}

/// Copies the box `shape` from src (element strides srcStrides) to dst
/// (element strides dstStrides). Strides may be 0 on the source (broadcast).
void copyBox(char *dst, ArrayRef<int64_t> dstStrides, const char *src,
             ArrayRef<int64_t> srcStrides, ArrayRef<int64_t> shape, int64_t esize) {
  SmallVector<int64_t, 6> dims, ds, ss;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 0)
      return;
    if (shape[d] == 1)
      continue;
    if (!dims.empty() && ds.back() == dstStrides[d] * shape[d] &&
        ss.back() == srcStrides[d] * shape[d]) {
      dims.back() *= shape[d];
      ds.back() = dstStrides[d];
      ss.back() = srcStrides[d];
      continue;
    }
    dims.push_back(shape[d]);
    ds.push_back(dstStrides[d]);
    ss.push_back(srcStrides[d]);
  }
  if (dims.empty()) {
    std::memcpy(dst, src, esize);
    return;
  }
  int64_t rank = dims.size(), inner = dims.back();
  int64_t runs = 1;
  for (int64_t d = 0; d + 1 < rank; ++d)
    runs *= dims[d];
  SmallVector<int64_t, 6> idx(rank, 0);
  int64_t doff = 0, soff = 0;
  for (int64_t r = 0; r < runs; ++r) {
    copyRunBytes(dst + doff * esize, ds.back(), src + soff * esize, ss.back(), inner, esize);
    for (int64_t d = rank - 2; d >= 0; --d) {
      ++idx[d];
      doff += ds[d];
      soff += ss[d];
      if (idx[d] < dims[d])
        break;
      doff -= ds[d] * dims[d];
      soff -= ss[d] * dims[d];
      idx[d] = 0;
    }
  }
}

llvm::Error checkStorage(StringRef op, const Tensor &t) {
  if (!hasStorage(t))
    return makeError("{0}: operand has no storage", op);
  return llvm::Error::success();
}

} // namespace

Expected<Tensor> qopt::ref::transpose(const Tensor &x, ArrayRef<int64_t> perm) {
  if (auto e = checkStorage("Transpose", x))
    return std::move(e);
  int64_t rank = x.rank();
  if ((int64_t)perm.size() != rank)
    return makeError("Transpose: perm has {0} entries for {1}", perm.size(), x.describe());
  SmallVector<bool, 6> seen(rank, false);
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[p])
      return makeError("Transpose: perm {0} is not a permutation of 0..{1}", shapeStr(perm),
                       rank - 1);
    seen[p] = true;
  }
  SmallVector<int64_t, 6> outShape(rank), srcStrides(rank);
  auto inStrides = rowMajorStrides(x.shape());
  for (int64_t i = 0; i < rank; ++i) {
    outShape[i] = x.dim(perm[i]);
    srcStrides[i] = inStrides[perm[i]];
  }
  auto out = Tensor::allocate(x.dtype(), outShape);
  if (!out)
    return out.takeError();
  if (x.numElements() > 0)
    copyBox(out->bytes(), rowMajorStrides(outShape), x.bytes(), srcStrides, outShape,
            dtypeSize(x.dtype()));
  return out;
}

Expected<Tensor> qopt::ref::concat(ArrayRef<const Tensor *> inputs, int64_t axis) {
  if (inputs.empty())
    return makeError("Concat: no inputs");
  for (const Tensor *t : inputs)
    if (!t)
      return makeError("Concat: null input");
  const Tensor &first = *inputs[0];
  int64_t rank = first.rank();
  if (rank == 0)
    return makeError("Concat: inputs must have rank >= 1");
  if (axis < -rank || axis >= rank)
    return makeError("Concat: axis {0} out of range for rank {1}", axis, rank);
  if (axis < 0)
    axis += rank;
  SmallVector<int64_t, 6> outShape(first.shape());
  outShape[axis] = 0;
  for (const Tensor *t : inputs) {
    if (auto e = checkStorage("Concat", *t))
      return std::move(e);
    if (t->dtype() != first.dtype() || t->rank() != rank)
      return makeError("Concat: input {0} does not match {1}", t->describe(), first.describe());
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis && t->dim(d) != first.dim(d))
        return makeError("Concat: input {0} differs from {1} outside axis {2}", t->describe(),
                         first.describe(), axis);
    outShape[axis] += t->dim(axis);
  }
  auto out = Tensor::allocate(first.dtype(), outShape);
  if (!out)
    return out.takeError();
  size_t esize = dtypeSize(first.dtype());
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= outShape[d];
  for (int64_t d = axis + 1; d < rank; ++d)
    inner *= outShape[d];
  size_t outRow = outShape[axis] * inner * esize;
  size_t offset = 0;
  for (const Tensor *t : inputs) {
    size_t row = t->dim(axis) * inner * esize;
    if (row)
      for (int64_t o = 0; o < outer; ++o)
        std::memcpy(out->bytes() + o * outRow + offset, t->bytes() + o * row, row);
    offset += row;
  }
  return out;
}

Expected<Tensor> qopt::ref::slice(const Tensor &x, ArrayRef<int64_t> starts,
                                  ArrayRef<int64_t> steps, ArrayRef<int64_t> outShape) {
  if (auto e = checkStorage("Slice", x))
    return std::move(e);
  int64_t rank = x.rank();
  if ((int64_t)starts.size() != rank || (int64_t)steps.size() != rank ||
      (int64_t)outShape.size() != rank)
    return makeError("Slice: starts/steps/output shape must have {0} entries for {1}", rank,
                     x.describe());
  auto inStrides = rowMajorStrides(x.shape());
  SmallVector<int64_t, 6> srcStrides(rank);
  int64_t base = 0;
  bool empty = false;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t dim = x.dim(d), n = outShape[d], start = starts[d], step = steps[d];
    if (step == 0)
      return makeError("Slice: step 0 in dim {0}", d);
    if (n < 0)
      return makeError("Slice: negative output dim {0}", n);
    if (n == 0) {
      empty = true;
      continue;
    }
    // First and last touched index must be inside the dim (no overflow: the
    // last index is checked through a division).
    if (start < 0 || start >= dim)
      return makeError("Slice: start {0} out of range for dim {1} of size {2}", start, d, dim);
    int64_t room = step > 0 ? dim - 1 - start : start;
    int64_t mag = step > 0 ? step : -step;
    if (n - 1 > room / mag)
      return makeError("Slice: {0} elements with step {1} from {2} overrun dim {3} of size {4}", n,
                       step, start, d, dim);
    base += start * inStrides[d];
    srcStrides[d] = inStrides[d] * step;
  }
  auto out = Tensor::allocate(x.dtype(), outShape);
  if (!out)
    return out.takeError();
  if (!empty) {
    size_t esize = dtypeSize(x.dtype());
    copyBox(out->bytes(), rowMajorStrides(outShape), x.bytes() + base * esize, srcStrides,
            outShape, esize);
  }
  return out;
}

Expected<Tensor> qopt::ref::gather(const Tensor &data, const Tensor &indices, int64_t axis) {
  if (auto e = checkStorage("Gather", data))
    return std::move(e);
  if (auto e = checkStorage("Gather", indices))
    return std::move(e);
  int64_t rank = data.rank();
  if (rank == 0)
    return makeError("Gather: data must have rank >= 1");
  if (axis < -rank || axis >= rank)
    return makeError("Gather: axis {0} out of range for {1}", axis, data.describe());
  if (axis < 0)
    axis += rank;
  if (indices.dtype() != DType::I32 && indices.dtype() != DType::I64)
    return makeError("Gather: indices must be int32 or int64, got {0}", indices.describe());
  SmallVector<int64_t, 8> outShape(data.shape().take_front(axis));
  outShape.append(indices.shape().begin(), indices.shape().end());
  outShape.append(data.shape().begin() + axis + 1, data.shape().end());
  int64_t dim = data.dim(axis), outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= data.dim(d);
  for (int64_t d = axis + 1; d < rank; ++d)
    inner *= data.dim(d);
  int64_t count = indices.numElements();
  SmallVector<int64_t> idx(count);
  for (int64_t i = 0; i < count; ++i) {
    int64_t v = indices.getAsInt(i);
    if (v < -dim || v >= dim)
      return makeError("Gather: index {0} out of range for axis {1} of size {2}", v, axis, dim);
    idx[i] = v < 0 ? v + dim : v;
  }
  auto out = Tensor::allocate(data.dtype(), outShape);
  if (!out)
    return out.takeError();
  size_t esize = dtypeSize(data.dtype()), row = inner * esize;
  if (row == 0)
    return out;
  char *dst = out->bytes();
  for (int64_t o = 0; o < outer; ++o) {
    const char *src = data.bytes() + o * dim * row;
    for (int64_t i = 0; i < count; ++i, dst += row)
      std::memcpy(dst, src + idx[i] * row, row);
  }
  return out;
}

Expected<Tensor> qopt::ref::expand(const Tensor &x, ArrayRef<int64_t> outShape) {
  if (auto e = checkStorage("Expand", x))
    return std::move(e);
  int64_t rank = outShape.size();
  if (x.rank() > rank)
    return makeError("Expand: input {0} has a higher rank than the output {1}", x.describe(),
                     shapeStr(outShape));
  int64_t off = rank - x.rank();
  auto inStrides = rowMajorStrides(x.shape());
  SmallVector<int64_t, 6> srcStrides(rank, 0);
  for (int64_t d = off; d < rank; ++d) {
    int64_t dim = x.dim(d - off);
    if (dim != outShape[d] && dim != 1)
      return makeError("Expand: input {0} does not broadcast to {1}", x.describe(),
                       shapeStr(outShape));
    srcStrides[d] = dim == 1 ? 0 : inStrides[d - off];
  }
  auto out = Tensor::allocate(x.dtype(), outShape);
  if (!out)
    return out.takeError();
  if (out->numElements() > 0)
    copyBox(out->bytes(), rowMajorStrides(outShape), x.bytes(), srcStrides, outShape,
            dtypeSize(x.dtype()));
  return out;
}

namespace {

/// Source coordinate of output coordinate `o` along a dim of size `in` padded
/// by `pb` in front (numpy.pad semantics for reflect/edge/wrap).
int64_t padSource(PadMode mode, int64_t o, int64_t pb, int64_t in) {
  int64_t i = o - pb;
  if (i >= 0 && i < in)
    return i;
  switch (mode) {
  case PadMode::Edge: return i < 0 ? 0 : in - 1;
  case PadMode::Wrap: return ((i % in) + in) % in;
  case PadMode::Reflect: {
    if (in == 1)
      return 0;
    int64_t period = 2 * (in - 1);
    int64_t r = ((i % period) + period) % period;
    return r < in ? r : period - r;
  }
  case PadMode::Constant: break;
  }
  return 0;
}

} // namespace

Expected<Tensor> qopt::ref::pad(const Tensor &x, ArrayRef<int64_t> pads, PadMode mode,
                                double value) {
  if (auto e = checkStorage("Pad", x))
    return std::move(e);
  int64_t rank = x.rank();
  if ((int64_t)pads.size() != 2 * rank)
    return makeError("Pad: {0} pads for {1} (expected {2})", pads.size(), x.describe(), 2 * rank);
  constexpr int64_t kMaxPad = int64_t(1) << 40;
  SmallVector<int64_t, 6> outShape(rank);
  for (int64_t d = 0; d < rank; ++d) {
    int64_t pb = pads[d], pe = pads[rank + d];
    if (pb < -kMaxPad || pb > kMaxPad || pe < -kMaxPad || pe > kMaxPad)
      return makeError("Pad: pad ({0}, {1}) out of range in dim {2}", pb, pe, d);
    outShape[d] = x.dim(d) + pb + pe;
    if (outShape[d] < 0)
      return makeError("Pad: pads ({0}, {1}) crop dim {2} of size {3} below zero", pb, pe, d,
                       x.dim(d));
    if (mode != PadMode::Constant && x.dim(d) == 0 && outShape[d] > 0)
      return makeError("Pad: cannot pad empty dim {0} in reflect/edge/wrap mode", d);
  }
  auto out = Tensor::allocate(x.dtype(), outShape);
  if (!out)
    return out.takeError();
  int64_t total = out->numElements();
  if (total == 0)
    return out;
  size_t esize = dtypeSize(x.dtype());
  auto outStrides = rowMajorStrides(outShape);
  auto inStrides = rowMajorStrides(x.shape());

  if (mode == PadMode::Constant) {
    Tensor one(x.dtype(), {1});
    one.setFromDouble(0, value);
    bool zero = true;
    for (size_t b = 0; b < esize; ++b)
      zero &= one.bytes()[b] == 0;
    if (!zero)
      for (int64_t i = 0; i < total; ++i)
        std::memcpy(out->bytes() + i * esize, one.bytes(), esize);
    // Copy the overlap of input and output.
    SmallVector<int64_t, 6> box(rank);
    int64_t srcOff = 0, dstOff = 0;
    for (int64_t d = 0; d < rank; ++d) {
      int64_t pb = pads[d];
      int64_t lo = std::max<int64_t>(0, pb), hi = std::min(outShape[d], pb + x.dim(d));
      box[d] = std::max<int64_t>(0, hi - lo);
      dstOff += lo * outStrides[d];
      srcOff += (lo - pb) * inStrides[d];
    }
    if (x.numElements() > 0)
      copyBox(out->bytes() + dstOff * esize, outStrides, x.bytes() + srcOff * esize, inStrides,
              box, esize);
    return out;
  }

  if (rank == 0) {
    std::memcpy(out->bytes(), x.bytes(), esize);
    return out;
  }
  // Per-dim source offsets (in elements) of every output coordinate.
  SmallVector<SmallVector<int64_t>, 6> maps(rank);
  for (int64_t d = 0; d < rank; ++d) {
    maps[d].resize(outShape[d]);
    for (int64_t o = 0; o < outShape[d]; ++o)
      maps[d][o] = padSource(mode, o, pads[d], x.dim(d)) * inStrides[d];
  }
  // The innermost dim as segments of consecutive source elements (the
  // interior is one memcpy, each border element its own segment).
  const SmallVector<int64_t> &innerMap = maps[rank - 1];
  int64_t inner = outShape[rank - 1];
  struct Segment {
    int64_t dst, src, len;
  };
  SmallVector<Segment> segments;
  for (int64_t j = 0; j < inner; ++j) {
    if (!segments.empty() && innerMap[j] == segments.back().src + segments.back().len)
      ++segments.back().len;
    else
      segments.push_back({j, innerMap[j], 1});
  }
  int64_t runs = total / inner;
  SmallVector<int64_t, 6> idx(rank, 0);
  const char *src = x.bytes();
  char *dst = out->bytes();
  for (int64_t r = 0; r < runs; ++r) {
    int64_t base = 0;
    for (int64_t d = 0; d + 1 < rank; ++d)
      base += maps[d][idx[d]];
    for (const Segment &sg : segments)
      std::memcpy(dst + sg.dst * esize, src + (base + sg.src) * esize, sg.len * esize);
    dst += inner * esize;
    for (int64_t d = rank - 2; d >= 0; --d) {
      if (++idx[d] < outShape[d])
        break;
      idx[d] = 0;
    }
  }
  return out;
}

Expected<Tensor> qopt::ref::gatherElements(const Tensor &data, const Tensor &indices,
                                           int64_t axis) {
  if (!hasStorage(data) || !hasStorage(indices))
    return makeError("GatherElements: operand has no storage");
  if (indices.dtype() != DType::I32 && indices.dtype() != DType::I64)
    return makeError("GatherElements: indices must be int32 or int64, got {0}",
                     dtypeName(indices.dtype()));
  int64_t rank = data.rank();
  if (indices.rank() != rank || axis < 0 || axis >= rank)
    return makeError("GatherElements: indices {0} and axis {1} do not fit data {2}",
                     indices.describe(), axis, data.describe());
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis && indices.dim(d) > data.dim(d))
      return makeError("GatherElements: indices {0} exceed data {1} in dimension {2}",
                       indices.describe(), data.describe(), d);
  auto out = Tensor::allocate(data.dtype(), indices.shape());
  if (!out)
    return out.takeError();
  size_t elt = dtypeSize(data.dtype());
  SmallVector<int64_t> dataStrides = rowMajorStrides(data.shape());
  SmallVector<int64_t> idx(rank, 0);
  int64_t axisDim = data.dim(axis);
  for (int64_t i = 0; i < indices.numElements(); ++i) {
    int64_t k = indices.getAsInt(i);
    if (k < -axisDim || k >= axisDim)
      return makeError("GatherElements: index {0} out of range for axis {1} of size {2}", k, axis,
                       axisDim);
    if (k < 0)
      k += axisDim;
    int64_t src = 0;
    for (int64_t d = 0; d < rank; ++d)
      src += (d == axis ? k : idx[d]) * dataStrides[d];
    std::memcpy(out->bytes() + i * elt, data.bytes() + src * elt, elt);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++idx[d] < indices.dim(d))
        break;
      idx[d] = 0;
    }
  }
  return out;
}
