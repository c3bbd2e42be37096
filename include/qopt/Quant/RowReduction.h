//===- RowReduction.h - The summation order of float row reductions -*- C++ -*-===//
//
// A float sum rounds differently in every order, and an int8 program
// quantizes the sums of its float layers again (softmax, layer norm,
// ReduceMean), where one ulp can move an output code. So the reference and
// the GPU kernels must add in one agreed order. A row-sequential order (one
// GPU thread per row) is exact but leaves a GPU idle when rows are few and
// long: ViT-B at batch 1 has 197 LayerNorm rows of 768. The agreed order
// splits a row of n elements into `laneCount(n)` lanes instead:
//
//   lane l folds the elements l, l + L, l + 2L, ... in increasing order,
//   starting from the reduction's identity;
//   the L lane results are then combined pairwise, p[i] = p[i] op p[i + h]
//   for h = L/2, L/4, ..., 1 (each i < h), leaving the result in p[0].
//
// On the GPU the lanes are threads of their own (a kernel of rows x L
// threads, consecutive lanes reading consecutive elements of a contiguous
// row) and the combination runs in the kernel that finishes the statistic.
// With L = 1 it is the plain sequential order. Max and min give the same
// result in any order; they use the lanes for the parallelism alone.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_QUANT_ROWREDUCTION_H
#define QOPT_QUANT_ROWREDUCTION_H

#include <cstdint>

namespace qopt::rowreduce {

/// At most this many lanes per row: one warp's worth.
constexpr int64_t kMaxLanes = 32;
/// Each lane folds at least this many elements, so the partial results and
/// their combination stay small next to the row itself, and short rows (a
/// ResNet's 7 x 7 global pool) stay one kernel.
constexpr int64_t kMinPerLane = 32;

/// The number of lanes a row of n elements is split into: the largest power
/// of two L <= kMaxLanes with L * kMinPerLane <= n, and 1 for short rows.
constexpr int64_t laneCount(int64_t n) {
  int64_t lanes = 1;
  while (lanes < kMaxLanes && 2 * lanes * kMinPerLane <= n)
    lanes *= 2;
  return lanes;
}

/// Combines lane results p[0, lanes) in the agreed pairwise order and returns
/// the row's result; `p` is overwritten. `lanes` is a power of two.
template <typename T, typename Op> T combineLanes(T *p, int64_t lanes, Op op) {
  for (int64_t h = lanes / 2; h >= 1; h /= 2)
    for (int64_t i = 0; i < h; ++i)
      p[i] = op(p[i], p[i + h]);
  return p[0];
}

/// The sum of elem(0) ... elem(n - 1) in the agreed order: the definition
/// the reference runs, for a row it reads by index.
template <typename T, typename F> T laneSum(int64_t n, F &&elem) {
  T p[kMaxLanes] = {};
  int64_t lanes = laneCount(n);
  for (int64_t i = 0; i < n; ++i)
    p[i & (lanes - 1)] += elem(i);
  return combineLanes(p, lanes, [](T a, T c) { return a + c; });
}

} // namespace qopt::rowreduce

#endif // QOPT_QUANT_ROWREDUCTION_H
