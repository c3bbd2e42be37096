//===- OneDNN.cpp - oneDNN paths of the reference kernels ------*- C++ -*-===//
//
// OpenBLAS GEMM after im2col reaches about 140 GFLOP/s here, half of what
// ONNX Runtime's convolutions get; oneDNN's blocked-layout kernels reach
// 240 GFLOP/s and are 8x faster on depthwise convolutions. Activations stay
// NCHW between ops, so each call reorders input, weights and output to and
// from the layouts oneDNN picks. Primitives are cached per geometry.
//
//===----------------------------------------------------------------------===//

#include "OneDNN.h"

#include <cstdlib>
#include <cstring>

#ifdef QOPT_HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>
#endif

using namespace qopt::ref;
using namespace qopt::ref::detail;

bool qopt::ref::detail::oneDNNEnabled() {
#ifdef QOPT_HAVE_DNNL
  static const bool enabled = [] {
    const char *v = std::getenv("QOPT_REFERENCE_ENGINE");
    return !v || std::strcmp(v, "openblas") != 0;
  }();
  return enabled;
#else
  return false;
#endif
}

#ifndef QOPT_HAVE_DNNL
bool qopt::ref::detail::sgemmOneDNN(bool, bool, int64_t, int64_t, int64_t, float, const float *,
                                    int64_t, const float *, int64_t, float, float *, int64_t) {
  return false;
}
bool qopt::ref::detail::convOneDNN(const Tensor &, const Tensor &, const Tensor *,
                                   const ConvGeometry &, bool, bool, Tensor &) {
  return false;
}
#else

namespace {

/// Everything needed to run one convolution geometry.
struct Plan {
  dnnl_primitive_t conv = nullptr;
  dnnl_primitive_t srcReorder = nullptr, weightsReorder = nullptr, dstReorder = nullptr;
  dnnl_memory_desc_t srcUser, weightsUser, dstUser, bias;
  dnnl_memory_desc_t srcConv, weightsConv, dstConv;
  size_t srcConvBytes = 0, weightsConvBytes = 0, dstConvBytes = 0;
};

dnnl_engine_t engine() {
  static dnnl_engine_t e = [] {
    dnnl_engine_t eng = nullptr;
    if (dnnl_engine_create(&eng, dnnl_cpu, 0) != dnnl_success)
      return (dnnl_engine_t) nullptr;
    return eng;
  }();
  return e;
}

dnnl_format_tag_t plainTag(int rank) {
  return rank == 3 ? dnnl_ncw : rank == 4 ? dnnl_nchw : dnnl_ncdhw;
}
dnnl_format_tag_t weightsTag(int rank, bool grouped) {
  if (grouped)
    return rank == 3 ? dnnl_goiw : rank == 4 ? dnnl_goihw : dnnl_goidhw;
  return rank == 3 ? dnnl_oiw : rank == 4 ? dnnl_oihw : dnnl_oidhw;
}

bool makeReorder(const dnnl_memory_desc_t *from, const dnnl_memory_desc_t *to,
                 dnnl_primitive_t *out) {
  if (dnnl_memory_desc_equal(from, to)) {
    *out = nullptr;
    return true;
  }
  dnnl_primitive_desc_t pd;
  if (dnnl_reorder_primitive_desc_create(&pd, from, engine(), to, engine(), nullptr) !=
      dnnl_success)
    return false;
  bool ok = dnnl_primitive_create(out, pd) == dnnl_success;
  dnnl_primitive_desc_destroy(pd);
  return ok;
}

/// Builds the plan, or returns null when oneDNN declines.
std::unique_ptr<Plan> buildPlan(const Tensor &x, const Tensor &w, bool hasBias,
                                const ConvGeometry &g, bool transposed,
                                llvm::ArrayRef<int64_t> outShape) {
  int rank = x.rank(), spatial = rank - 2;
  bool grouped = g.group > 1;
  auto plan = std::make_unique<Plan>();
  dnnl_dims_t src, dst, wei, strides, dil, pl, pr;
  for (int i = 0; i < rank; ++i) {
    src[i] = x.dim(i);
    dst[i] = outShape[i];
  }
  int64_t cin = x.dim(1), cout = outShape[1];
  // oneDNN weights are always (G,) O/G, I/G, k...: ONNX ConvTranspose stores
  // I x O/G x k, which a permuted memory descriptor below describes.
  int wr = grouped ? rank + 1 : rank;
  int o = 0;
  if (grouped)
    wei[o++] = g.group;
  wei[o++] = cout / g.group;
  wei[o++] = cin / g.group;
  for (int i = 0; i < spatial; ++i) {
    wei[o++] = w.dim(2 + i);
    strides[i] = g.strides[i];
    dil[i] = g.dilations[i] - 1;
    pl[i] = g.padsBegin[i];
    pr[i] = g.padsEnd[i];
  }
  if (dnnl_memory_desc_init_by_tag(&plan->srcUser, rank, src, dnnl_f32, plainTag(rank)) ||
      dnnl_memory_desc_init_by_tag(&plan->dstUser, rank, dst, dnnl_f32, plainTag(rank)))
    return nullptr;
  if (!transposed) {
    if (dnnl_memory_desc_init_by_tag(&plan->weightsUser, wr, wei, dnnl_f32,
                                     weightsTag(rank, grouped)))
      return nullptr;
  } else {
    // ONNX layout [G*I/G][O/G][k...] as strides over oneDNN's (G, O/G, I/G, k...).
    dnnl_dims_t st;
    int64_t kSize = 1;
    for (int i = 0; i < spatial; ++i)
      kSize *= w.dim(2 + i);
    int64_t og = cout / g.group, ig = cin / g.group;
    int d = 0;
    if (grouped)
      st[d++] = ig * og * kSize;
    st[d++] = kSize;      // O/G
    st[d++] = og * kSize; // I/G
    int64_t inner = kSize;
    for (int i = 0; i < spatial; ++i) {
      inner /= w.dim(2 + i);
      st[d++] = inner;
    }
    if (dnnl_memory_desc_init_by_strides(&plan->weightsUser, wr, wei, dnnl_f32, st))
      return nullptr;
  }
  dnnl_dims_t biasDims = {cout};
  if (dnnl_memory_desc_init_by_tag(&plan->bias, 1, biasDims, dnnl_f32, dnnl_x))
    return nullptr;
  // A pointwise convolution is a plain GEMM on NCHW data: oneDNN runs it at
  // the same speed without the two activation reorders a blocked layout needs.
  bool pointwise = !transposed && !grouped;
  for (int i = 0; i < spatial; ++i)
    pointwise &= w.dim(2 + i) == 1 && g.strides[i] == 1 && g.padsBegin[i] == 0 &&
                 g.padsEnd[i] == 0;
  dnnl_format_tag_t actTag = pointwise ? plainTag(rank) : dnnl_format_tag_any;
  dnnl_memory_desc_t srcAny, dstAny, weiAny;
  if (dnnl_memory_desc_init_by_tag(&srcAny, rank, src, dnnl_f32, actTag) ||
      dnnl_memory_desc_init_by_tag(&dstAny, rank, dst, dnnl_f32, actTag) ||
      dnnl_memory_desc_init_by_tag(&weiAny, wr, wei, dnnl_f32, dnnl_format_tag_any))
    return nullptr;
  dnnl_primitive_desc_t pd = nullptr;
  dnnl_status_t st;
  if (!transposed) {
    dnnl_convolution_desc_t cd;
    st = dnnl_dilated_convolution_forward_desc_init(
        &cd, dnnl_forward_inference, dnnl_convolution_direct, &srcAny, &weiAny,
        hasBias ? &plan->bias : nullptr, &dstAny, strides, dil, pl, pr);
    if (st == dnnl_success)
      st = dnnl_primitive_desc_create(&pd, &cd, nullptr, engine(), nullptr);
  } else {
    dnnl_deconvolution_desc_t dd;
    st = dnnl_dilated_deconvolution_forward_desc_init(
        &dd, dnnl_forward_inference, dnnl_deconvolution_direct, &srcAny, &weiAny,
        hasBias ? &plan->bias : nullptr, &dstAny, strides, dil, pl, pr);
    if (st == dnnl_success)
      st = dnnl_primitive_desc_create(&pd, &dd, nullptr, engine(), nullptr);
  }
  if (st != dnnl_success)
    return nullptr;
  plan->srcConv = *dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
  plan->weightsConv = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
  plan->dstConv = *dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
  plan->srcConvBytes = dnnl_memory_desc_get_size(&plan->srcConv);
  plan->weightsConvBytes = dnnl_memory_desc_get_size(&plan->weightsConv);
  plan->dstConvBytes = dnnl_memory_desc_get_size(&plan->dstConv);
  bool ok = dnnl_primitive_create(&plan->conv, pd) == dnnl_success;
  dnnl_primitive_desc_destroy(pd);
  if (!ok || !makeReorder(&plan->srcUser, &plan->srcConv, &plan->srcReorder) ||
      !makeReorder(&plan->weightsUser, &plan->weightsConv, &plan->weightsReorder) ||
      !makeReorder(&plan->dstConv, &plan->dstUser, &plan->dstReorder))
    return nullptr;
  return plan;
}

std::string planKey(const Tensor &x, const Tensor &w, bool hasBias, const ConvGeometry &g,
                    bool transposed, llvm::ArrayRef<int64_t> outShape) {
  std::string k = transposed ? "T" : "C";
  auto add = [&](llvm::ArrayRef<int64_t> v) {
    for (int64_t i : v)
      k += std::to_string(i) + ",";
    k += ";";
  };
  add(x.shape());
  add(w.shape());
  add(outShape);
  add(g.strides);
  add(g.dilations);
  add(g.padsBegin);
  add(g.padsEnd);
  k += std::to_string(g.group) + (hasBias ? "b" : "");
  return k;
}

/// Plans live for the whole process: models have a few dozen geometries.
/// A plan that could not be built is cached as null so it is not retried.
Plan *lookupPlan(const Tensor &x, const Tensor &w, bool hasBias, const ConvGeometry &g,
                 bool transposed, llvm::ArrayRef<int64_t> outShape) {
  static std::mutex mutex;
  static auto *plans = new std::map<std::string, std::unique_ptr<Plan>>();
  std::string key = planKey(x, w, hasBias, g, transposed, outShape);
  std::lock_guard<std::mutex> lock(mutex);
  auto it = plans->find(key);
  if (it == plans->end())
    it = plans->emplace(key, buildPlan(x, w, hasBias, g, transposed, outShape)).first;
  return it->second.get();
}

/// Weights in oneDNN's layout, reused across calls. An entry holds a
/// reference to the source tensor's storage, so that buffer cannot be freed
/// and recycled for other data while the entry exists: storage identity then
/// implies identical contents (tensors are immutable once built). Bounded;
/// the oldest entries go first.
class PackedWeightsCache {
public:
  static PackedWeightsCache &get() {
    static auto *cache = new PackedWeightsCache;
    return *cache;
  }
  /// The packed tensor for (plan, weights), and whether the caller must fill
  /// it (then calling ready() once filled). Entries not yet ready are not
  /// shared: a concurrent caller packs into a private buffer.
  std::pair<Tensor, bool> lookup(const Plan *plan, const Tensor &weights) {
    std::lock_guard<std::mutex> lock(mutex);
    Key key{plan, weights.bytes()};
    auto it = entries.find(key);
    if (it != entries.end() && it->second.ready)
      return {it->second.packed, false};
    auto packed = Tensor::allocateUninitialized(DType::U8, {(int64_t)plan->weightsConvBytes});
    if (!packed) {
      llvm::consumeError(packed.takeError());
      return {Tensor(), true};
    }
    if (it != entries.end())
      return {*packed, true};
    while (!order.empty() && bytes + plan->weightsConvBytes > kMaxBytes) {
      auto old = entries.find(order.front());
      bytes -= old->second.packed.byteSize();
      entries.erase(old);
      order.erase(order.begin());
    }
    entries[key] = Entry{weights, *packed, false};
    order.push_back(key);
    bytes += packed->byteSize();
    return {*packed, true};
  }

  /// Publishes a filled entry; `packed` is the tensor lookup() returned.
  void ready(const Plan *plan, const Tensor &weights, const Tensor &packed) {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = entries.find(Key{plan, weights.bytes()});
    if (it != entries.end() && it->second.packed.bytes() == packed.bytes())
      it->second.ready = true;
  }

private:
  using Key = std::pair<const Plan *, const void *>;
  struct Entry {
    Tensor source, packed;
    bool ready;
  };
  static constexpr size_t kMaxBytes = size_t(1) << 30;
  std::mutex mutex;
  std::map<Key, Entry> entries;
  std::vector<Key> order;
  size_t bytes = 0;
};

bool runReorder(dnnl_primitive_t r, dnnl_stream_t s, dnnl_memory_t from, dnnl_memory_t to) {
  dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
  return dnnl_primitive_execute(r, s, 2, args) == dnnl_success;
}

} // namespace

bool qopt::ref::detail::convOneDNN(const Tensor &x, const Tensor &w, const Tensor *bias,
                                   const ConvGeometry &g, bool transposed, bool weightsStable,
                                   Tensor &out) {
  if (!oneDNNEnabled() || !engine() || x.dtype() != DType::F32 || w.dtype() != DType::F32 ||
      (bias && bias->dtype() != DType::F32) || x.rank() < 3 || x.rank() > 5 ||
      x.numElements() == 0 || out.numElements() == 0 || w.numElements() == 0)
    return false;
  Plan *plan = lookupPlan(x, w, bias != nullptr, g, transposed, out.shape());
  if (!plan)
    return false;
  // Blocked copies live in pooled tensors, so repeated runs do not fault in
  // fresh pages.
  auto scratch = [](const dnnl_primitive_t reorder, size_t bytes) -> Tensor {
    if (!reorder)
      return Tensor();
    // Reorders write every byte, padding included.
    auto t = Tensor::allocateUninitialized(DType::U8, {(int64_t)bytes});
    return t ? std::move(*t) : (llvm::consumeError(t.takeError()), Tensor());
  };
  Tensor srcBuf = scratch(plan->srcReorder, plan->srcConvBytes);
  Tensor weiBuf;
  bool packWeights = false;
  if (plan->weightsReorder && weightsStable) {
    std::tie(weiBuf, packWeights) = PackedWeightsCache::get().lookup(plan, w);
  } else if (plan->weightsReorder) {
    weiBuf = scratch(plan->weightsReorder, plan->weightsConvBytes);
    packWeights = true;
  }
  Tensor dstBuf = scratch(plan->dstReorder, plan->dstConvBytes);
  if ((plan->srcReorder && !srcBuf.valid()) || (plan->weightsReorder && !weiBuf.valid()) ||
      (plan->dstReorder && !dstBuf.valid()))
    return false;

  dnnl_stream_t stream;
  if (dnnl_stream_create(&stream, engine(), dnnl_stream_default_flags) != dnnl_success)
    return false;
  std::vector<dnnl_memory_t> mems;
  auto mem = [&](const dnnl_memory_desc_t *md, const void *data) {
    dnnl_memory_t m = nullptr;
    if (dnnl_memory_create(&m, md, engine(), const_cast<void *>(data)) != dnnl_success)
      return (dnnl_memory_t) nullptr;
    mems.push_back(m);
    return m;
  };
  bool ok = true;
  dnnl_memory_t srcUser = mem(&plan->srcUser, x.bytes());
  dnnl_memory_t weiUser = mem(&plan->weightsUser, w.bytes());
  dnnl_memory_t dstUser = mem(&plan->dstUser, out.bytes());
  dnnl_memory_t srcConv = plan->srcReorder ? mem(&plan->srcConv, srcBuf.bytes()) : srcUser;
  dnnl_memory_t weiConv = plan->weightsReorder ? mem(&plan->weightsConv, weiBuf.bytes()) : weiUser;
  dnnl_memory_t dstConv = plan->dstReorder ? mem(&plan->dstConv, dstBuf.bytes()) : dstUser;
  dnnl_memory_t biasMem = bias ? mem(&plan->bias, bias->bytes()) : nullptr;
  ok = srcUser && weiUser && dstUser && srcConv && weiConv && dstConv && (!bias || biasMem);
  if (ok && plan->srcReorder)
    ok = runReorder(plan->srcReorder, stream, srcUser, srcConv);
  if (ok && packWeights)
    ok = runReorder(plan->weightsReorder, stream, weiUser, weiConv) &&
         dnnl_stream_wait(stream) == dnnl_success;
  if (ok && packWeights && weightsStable)
    PackedWeightsCache::get().ready(plan, w, weiBuf);
  if (ok) {
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, srcConv},
                               {DNNL_ARG_WEIGHTS, weiConv},
                               {DNNL_ARG_DST, dstConv},
                               {DNNL_ARG_BIAS, biasMem}};
    ok = dnnl_primitive_execute(plan->conv, stream, bias ? 4 : 3, args) == dnnl_success;
  }
  if (ok && plan->dstReorder)
    ok = runReorder(plan->dstReorder, stream, dstConv, dstUser);
  if (ok)
    ok = dnnl_stream_wait(stream) == dnnl_success;
  for (dnnl_memory_t m : mems)
    dnnl_memory_destroy(m);
  dnnl_stream_destroy(stream);
  return ok;
}

bool qopt::ref::detail::sgemmOneDNN(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
                                    float alpha, const float *a, int64_t lda, const float *b,
                                    int64_t ldb, float beta, float *c, int64_t ldc) {
  if (!oneDNNEnabled())
    return false;
  return dnnl_sgemm(transA ? 'T' : 'N', transB ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta,
                    c, ldc) == dnnl_success;
}

#endif // QOPT_HAVE_DNNL
