//===- ImportLinear.cpp - ONNX conv, matmul, pooling, norms ---*- C++ -*-===//
//
// Resolves ONNX's implicit padding rules (auto_pad, output_shape) into the
// explicit pads qnn ops carry, so every later stage sees one convention.
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"

#include "qopt/Reference/Executor.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace qopt;
using namespace qopt::onnx_import;
using llvm::SmallVector;

namespace {
/// Window attributes shared by Conv, ConvTranspose and the pools.
struct Window {
  SmallVector<int64_t> kernel, strides, dilations, pads;
  std::string autoPad;
};
} // namespace

static FailureOr<Window> readWindow(NodeImporter &n, int64_t spatial,
                                    ArrayRef<int64_t> kernelFromWeight, bool hasDilations) {
  Window w;
  SmallVector<int64_t> ones(spatial, 1), zeros(2 * spatial, 0);
  if (kernelFromWeight.empty()) {
    QOPT_TRY(k, n.attrInts("kernel_shape", std::nullopt));
    w.kernel = k;
  } else {
    QOPT_TRY(k, n.attrInts("kernel_shape", SmallVector<int64_t>(kernelFromWeight)));
    if (ArrayRef<int64_t>(k) != kernelFromWeight) {
      (void)n.error("kernel_shape does not match the weight's spatial dimensions");
      return failure();
    }
    w.kernel = k;
  }
  QOPT_TRY(strides, n.attrInts("strides", ones));
  w.strides = strides;
  if (hasDilations) {
    QOPT_TRY(dilations, n.attrInts("dilations", ones));
    w.dilations = dilations;
  } else {
    if (failed(n.rejectAttr("dilations", "not defined before this opset")))
      return failure();
    w.dilations = ones;
  }
  QOPT_TRY(pads, n.attrInts("pads", zeros));
  w.pads = pads;
  QOPT_TRY(autoPad, n.attrString("auto_pad", std::string("NOTSET")));
  w.autoPad = autoPad;
  if ((int64_t)w.kernel.size() != spatial || (int64_t)w.strides.size() != spatial ||
      (int64_t)w.dilations.size() != spatial || (int64_t)w.pads.size() != 2 * spatial) {
    (void)n.error("kernel_shape, strides, dilations and pads must have " +
                  llvm::Twine(spatial) + ", " + llvm::Twine(spatial) + ", " +
                  llvm::Twine(spatial) + " and " + llvm::Twine(2 * spatial) + " entries");
    return failure();
  }
  for (int64_t i = 0; i < spatial; ++i)
    if (w.strides[i] <= 0 || w.dilations[i] <= 0 || w.kernel[i] <= 0) {
      (void)n.error("kernel_shape, strides and dilations must be positive");
      return failure();
    }
  // The bound qnn's window checks apply: shapes computed from pads stay far
  // from int64 overflow, also where a handler pads explicitly.
  for (int64_t p : w.pads)
    if (p < 0 || p > (int64_t(1) << 31)) {
      (void)n.error("pads must be in [0, 2^31]");
      return failure();
    }
  if (w.autoPad != "NOTSET" && w.autoPad != "VALID" && w.autoPad != "SAME_UPPER" &&
      w.autoPad != "SAME_LOWER") {
    (void)n.error("auto_pad must be NOTSET, VALID, SAME_UPPER or SAME_LOWER, got '" +
                  w.autoPad + "'");
    return failure();
  }
  return w;
}

/// Replaces pads according to auto_pad for a forward window (conv, pools).
static void resolveAutoPad(Window &w, ArrayRef<int64_t> inSpatial) {
  int64_t s = inSpatial.size();
  if (w.autoPad == "VALID") {
    w.pads.assign(2 * s, 0);
  } else if (w.autoPad == "SAME_UPPER" || w.autoPad == "SAME_LOWER") {
    for (int64_t i = 0; i < s; ++i) {
      int64_t out = (inSpatial[i] + w.strides[i] - 1) / w.strides[i];
      int64_t span = (w.kernel[i] - 1) * w.dilations[i] + 1;
      int64_t total = std::max<int64_t>(0, (out - 1) * w.strides[i] + span - inSpatial[i]);
      int64_t small = total / 2, large = total - small;
      w.pads[i] = w.autoPad == "SAME_UPPER" ? small : large;
      w.pads[s + i] = w.autoPad == "SAME_UPPER" ? large : small;
    }
  }
}

/// The window of a Conv-like node, auto_pad resolved, or a diagnostic for
/// shapes qnn.conv does not take.
static FailureOr<Window> convWindow(NodeImporter &n, RankedTensorType xt, RankedTensorType wt) {
  if (xt.getRank() < 3 || xt.getRank() > 5 || wt.getRank() != xt.getRank())
    return n.unsupported("input of rank " + std::to_string(xt.getRank()) + " with weight of rank " +
                         std::to_string(wt.getRank()) + " (1 to 3 spatial dims are supported)");
  int64_t spatial = xt.getRank() - 2;
  QOPT_TRY(win, readWindow(n, spatial, wt.getShape().drop_front(2), true));
  resolveAutoPad(win, xt.getShape().drop_front(2));
  return win;
}

FailureOr<SmallVector<int64_t>> qopt::onnx_import::convPads(NodeImporter &n, Value x, Value w) {
  QOPT_TRY(win, convWindow(n, cast<RankedTensorType>(x.getType()),
                           cast<RankedTensorType>(w.getType())));
  return win.pads;
}

FailureOr<Value> qopt::onnx_import::buildConv(NodeImporter &n, Value x, Value w, Value bias,
                                              std::optional<ArrayRef<int64_t>> pads) {
  QOPT_TRY(win, convWindow(n, cast<RankedTensorType>(x.getType()),
                           cast<RankedTensorType>(w.getType())));
  if (pads)
    win.pads.assign(pads->begin(), pads->end());
  QOPT_TRY(group, n.attrInt("group", 1));
  SmallVector<Value> operands{x, w};
  if (bias)
    operands.push_back(bias);
  QOPT_TRY(v, n.build<qnn::ConvOp>(operands,
                                   {n.named("operandSegmentSizes",
                                            n.b.getDenseI32ArrayAttr({1, 1, bias ? 1 : 0, 0})),
                                    n.named("strides", n.b.getDenseI64ArrayAttr(win.strides)),
                                    n.named("pads", n.b.getDenseI64ArrayAttr(win.pads)),
                                    n.named("dilations", n.b.getDenseI64ArrayAttr(win.dilations)),
                                    n.named("group", n.b.getI64IntegerAttr(group))}));
  return v;
}

static LogicalResult importConv(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(w, n.input(1));
  QOPT_TRY(v, buildConv(n, x, w, n.optionalInput(2)));
  n.setOutput(0, v);
  return success();
}

static LogicalResult importConvTranspose(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(w, n.input(1));
  Value bias = n.optionalInput(2);
  auto xt = cast<RankedTensorType>(x.getType()), wt = cast<RankedTensorType>(w.getType());
  if (xt.getRank() < 3 || xt.getRank() > 5 || wt.getRank() != xt.getRank())
    return n.unsupported("input of rank " + std::to_string(xt.getRank()) +
                         " (1 to 3 spatial dims are supported)");
  int64_t spatial = xt.getRank() - 2;
  QOPT_TRY(win, readWindow(n, spatial, wt.getShape().drop_front(2), true));
  QOPT_TRY(group, n.attrInt("group", 1));
  QOPT_TRY(outPad, n.attrInts("output_padding", SmallVector<int64_t>(spatial, 0)));
  if ((int64_t)outPad.size() != spatial)
    return n.error("output_padding must have " + llvm::Twine(spatial) + " entries");
  SmallVector<int64_t> outShape;
  if (n.attr("output_shape")) {
    QOPT_TRY(os, n.attrInts("output_shape", std::nullopt));
    if ((int64_t)os.size() == spatial + 2)
      os.erase(os.begin(), os.begin() + 2);
    if ((int64_t)os.size() != spatial)
      return n.error("output_shape must have " + llvm::Twine(spatial) + " entries");
    outShape = os;
  } else if (win.autoPad == "SAME_UPPER" || win.autoPad == "SAME_LOWER") {
    for (int64_t i = 0; i < spatial; ++i)
      outShape.push_back(xt.getDimSize(2 + i) * win.strides[i]);
  } else if (win.autoPad == "VALID") {
    win.pads.assign(2 * spatial, 0);
  }
  if (!outShape.empty()) {
    // As ONNX Runtime: pads follow from the requested size (never negative);
    // a size beyond the natural extent is made up with output padding.
    for (int64_t i = 0; i < spatial; ++i) {
      int64_t natural = win.strides[i] * (xt.getDimSize(2 + i) - 1) + outPad[i] +
                        (win.kernel[i] - 1) * win.dilations[i] + 1;
      if (outShape[i] <= 0)
        return n.error("output_shape entries must be positive");
      int64_t total = std::max<int64_t>(0, natural - outShape[i]);
      int64_t small = total / 2, large = total - small;
      bool upper = win.autoPad == "SAME_UPPER";
      win.pads[i] = upper ? small : large;
      win.pads[spatial + i] = upper ? large : small;
      outPad[i] += outShape[i] - (natural - total);
    }
  }
  SmallVector<Value> operands{x, w};
  if (bias)
    operands.push_back(bias);
  QOPT_TRY(v, n.build<qnn::ConvTransposeOp>(
                  operands, {n.named("strides", n.b.getDenseI64ArrayAttr(win.strides)),
                             n.named("pads", n.b.getDenseI64ArrayAttr(win.pads)),
                             n.named("dilations", n.b.getDenseI64ArrayAttr(win.dilations)),
                             n.named("output_padding", n.b.getDenseI64ArrayAttr(outPad)),
                             n.named("group", n.b.getI64IntegerAttr(group))}));
  n.setOutput(0, v);
  return success();
}

static LogicalResult importMatMul(NodeImporter &n) {
  QOPT_TRY(a, n.input(0));
  QOPT_TRY(b, n.input(1));
  QOPT_TRY(v, n.build<qnn::MatMulOp>({a, b}));
  n.setOutput(0, v);
  return success();
}

namespace {

/// An Einsum operand or partial product: a value and one label per dim.
/// Letters are their character codes; the dims "..." stands for are labels
/// from kEllipsis on, right-aligned across operands as NumPy broadcasts them.
struct EinsumTerm {
  Value v;
  SmallVector<int> labels;
};
constexpr int kEllipsis = 256;

std::string labelName(int l) {
  return l < kEllipsis ? std::string(1, (char)l) : "...[" + std::to_string(l - kEllipsis) + "]";
}

} // namespace

/// Sums `t`'s dims whose labels `keep` rejects.
static FailureOr<EinsumTerm> sumAway(NodeImporter &n, EinsumTerm t,
                                     llvm::function_ref<bool(int)> keep) {
  SmallVector<int64_t> axes;
  SmallVector<int> kept;
  for (auto [d, l] : llvm::enumerate(t.labels)) {
    if (keep(l))
      kept.push_back(l);
    else
      axes.push_back(d);
  }
  if (axes.empty())
    return t;
  QOPT_TRY(v, n.build<qnn::ReduceSumOp>({t.v}, {n.named("axes", n.b.getDenseI64ArrayAttr(axes)),
                                                n.named("keepdims", n.b.getBoolAttr(false))}));
  return EinsumTerm{v, kept};
}

/// a (x) b over the labels both carry: those `keep` wants stay as batch dims,
/// the others are contracted by one qnn.matmul of [batch..., M, K] and
/// [batch..., K, N] (a broadcast mul when nothing is contracted).
static FailureOr<EinsumTerm> contract(NodeImporter &n, const EinsumTerm &a, const EinsumTerm &b,
                                      llvm::function_ref<bool(int)> keep,
                                      const llvm::DenseMap<int, int64_t> &size) {
  auto has = [](const EinsumTerm &t, int l) { return llvm::is_contained(t.labels, l); };
  SmallVector<int> batch, contracted, aFree, bFree;
  for (int l : a.labels) {
    if (!has(b, l))
      aFree.push_back(l);
    else if (keep(l))
      batch.push_back(l);
    else
      contracted.push_back(l);
  }
  for (int l : b.labels)
    if (!has(a, l))
      bFree.push_back(l);
  auto dimOf = [](const EinsumTerm &t, int l) {
    return (int64_t)(llvm::find(t.labels, l) - t.labels.begin());
  };
  auto sizeOf = [&](const EinsumTerm &t, int l) {
    return cast<RankedTensorType>(t.v.getType()).getDimSize(dimOf(t, l));
  };
  for (int l : contracted)
    if (sizeOf(a, l) != sizeOf(b, l)) {
      (void)n.unsupported("broadcasting a summed dimension (" + labelName(l) + ")");
      return failure();
    }
  auto product = [&](ArrayRef<int> labels) {
    int64_t p = 1;
    for (int l : labels)
      p *= size.lookup(l);
    return p;
  };
  // Each side in the order [batch, its free labels, contracted] (b: [batch,
  // contracted, free]), batch dims kept apart so that size-1 ones broadcast.
  auto arrange = [&](const EinsumTerm &t, ArrayRef<int> free, bool freeFirst,
                     bool isA) -> FailureOr<Value> {
    SmallVector<int> order(batch);
    ArrayRef<int> first = freeFirst ? free : ArrayRef<int>(contracted);
    ArrayRef<int> second = freeFirst ? ArrayRef<int>(contracted) : free;
    order.append(first.begin(), first.end());
    order.append(second.begin(), second.end());
    SmallVector<int64_t> perm;
    for (int l : order)
      perm.push_back(dimOf(t, l));
    QOPT_TRY(v, transposeValue(n, t.v, perm));
    SmallVector<int64_t> shape;
    for (int l : batch)
      shape.push_back(sizeOf(t, l));
    if (contracted.empty()) {
      // For the mul: a is [batch, aFree, 1...], b is [batch, 1..., bFree].
      for (int l : aFree)
        shape.push_back(isA ? size.lookup(l) : 1);
      for (int l : bFree)
        shape.push_back(isA ? 1 : size.lookup(l));
    } else {
      shape.push_back(freeFirst ? product(free) : product(contracted));
      shape.push_back(freeFirst ? product(contracted) : product(free));
    }
    return reshapeValue(n, v, shape);
  };
  QOPT_TRY(lhs, arrange(a, aFree, /*freeFirst=*/true, /*isA=*/true));
  QOPT_TRY(rhs, arrange(b, bFree, /*freeFirst=*/false, /*isA=*/false));
  Value product0;
  if (contracted.empty()) {
    QOPT_TRY(m, n.build<qnn::MulOp>({lhs, rhs}));
    product0 = m;
  } else {
    QOPT_TRY(m, n.build<qnn::MatMulOp>({lhs, rhs}));
    product0 = m;
  }
  EinsumTerm out{product0, batch};
  out.labels.append(aFree.begin(), aFree.end());
  out.labels.append(bFree.begin(), bFree.end());
  SmallVector<int64_t> shape;
  for (int l : out.labels)
    shape.push_back(size.lookup(l));
  QOPT_TRY(v, reshapeValue(n, product0, shape));
  out.v = v;
  return out;
}

/// Einsum, as the ops it is made of: each operand's labels that nothing else
/// reads summed away, the operands contracted pairwise from the left, each
/// step a qnn.matmul between transposes and reshapes, then the output's
/// order. The quantizer and the GPU lowering see ordinary matmuls. A label
/// repeated within one operand (a diagonal) is refused.
static LogicalResult importEinsum(NodeImporter &n) {
  QOPT_TRY(equation, n.attrString("equation", std::nullopt));
  std::string eq;
  for (char c : equation)
    if (c != ' ')
      eq.push_back(c);
  size_t arrow = eq.find("->");
  std::string lhs = eq.substr(0, arrow);
  SmallVector<StringRef> specs;
  StringRef(lhs).split(specs, ',');
  if ((int)specs.size() != n.numInputs())
    return n.error("equation '" + equation + "' names " + llvm::Twine(specs.size()) +
                   " operands, the node has " + llvm::Twine(n.numInputs()));
  // Labels per operand, "..." expanded once every operand's rank is known.
  SmallVector<EinsumTerm> terms;
  int64_t ellipsisRank = 0;
  auto letters = [](StringRef spec, std::string &out, bool &hasEllipsis) -> bool {
    hasEllipsis = false;
    for (size_t i = 0; i < spec.size();) {
      if (spec.substr(i).starts_with("...")) {
        if (hasEllipsis)
          return false;
        hasEllipsis = true;
        out.push_back('.');
        i += 3;
      } else if (llvm::isAlpha(spec[i])) {
        out.push_back(spec[i++]);
      } else {
        return false;
      }
    }
    return true;
  };
  SmallVector<std::pair<std::string, bool>> parsed;
  for (auto [i, spec] : llvm::enumerate(specs)) {
    std::string chars;
    bool ell;
    if (!letters(spec, chars, ell))
      return n.error("malformed equation '" + equation + "'");
    QOPT_TRY(v, n.input(i));
    int64_t rank = cast<RankedTensorType>(v.getType()).getRank();
    int64_t named = (int64_t)chars.size() - (ell ? 1 : 0);
    if (ell ? named > rank : named != rank)
      return n.error("operand " + llvm::Twine(i) + " has rank " + llvm::Twine(rank) +
 ", its subscripts '" + spec + "' name " + llvm::Twine(named) + " dims");
    if (ell)
      ellipsisRank = std::max(ellipsisRank, rank - named);
    terms.push_back({v, {}});
    parsed.push_back({chars, ell});
  }
  auto expand = [&](const std::string &chars, int64_t width, SmallVector<int> &labels) {
    for (char c : chars) {
      if (c != '.') {
        labels.push_back((unsigned char)c);
        continue;
      }
      for (int64_t k = ellipsisRank - width; k < ellipsisRank; ++k)
        labels.push_back(kEllipsis + (int)k);
    }
  };
  llvm::DenseMap<int, int64_t> size;
  llvm::DenseMap<int, int> uses;
  for (auto [t, p] : llvm::zip(terms, parsed)) {
    auto tt = cast<RankedTensorType>(t.v.getType());
    int64_t width = tt.getRank() - ((int64_t)p.first.size() - (p.second ? 1 : 0));
    expand(p.first, width, t.labels);
    for (auto [d, l] : llvm::enumerate(t.labels)) {
      if (llvm::count(t.labels, l) > 1)
        return n.unsupported("diagonals (label '" + labelName(l) +
                             "' repeated in one operand)");
      int64_t s = tt.getDimSize(d);
      auto [it, fresh] = size.try_emplace(l, s);
      if (!fresh && it->second != s) {
        if (l < kEllipsis || (it->second != 1 && s != 1))
          return n.error("label '" + labelName(l) + "' has sizes " + llvm::Twine(it->second) +
                         " and " + llvm::Twine(s));
        it->second = std::max(it->second, s);
      }
      ++uses[l];
    }
  }
  SmallVector<int> output;
  if (arrow != std::string::npos) {
    std::string chars;
    bool ell;
    if (!letters(StringRef(eq).substr(arrow + 2), chars, ell))
      return n.error("malformed equation '" + equation + "'");
    expand(chars, ellipsisRank, output);
    for (int l : output) {
      if (!size.count(l))
        return n.error("output label '" + labelName(l) + "' is in no operand");
      if (llvm::count(output, l) > 1)
        return n.error("output label '" + labelName(l) + "' is repeated");
    }
  } else {
    // Implicit output: the broadcast dims, then the labels used once, sorted.
    for (int64_t k = 0; k < ellipsisRank; ++k)
      output.push_back(kEllipsis + (int)k);
    SmallVector<int> once;
    for (auto [l, count] : uses)
      if (count == 1 && l < kEllipsis)
        once.push_back(l);
    llvm::sort(once);
    output.append(once);
  }
  auto inOutput = [&](int l) { return llvm::is_contained(output, l); };
  // Labels that one operand alone carries, and the output does not, are summed first.
  for (EinsumTerm &t : terms) {
    QOPT_TRY(r, sumAway(n, t, [&](int l) { return inOutput(l) || uses[l] > 1; }));
    t = r;
  }
  EinsumTerm cur = terms[0];
  for (size_t i = 1; i < terms.size(); ++i) {
    auto keep = [&](int l) {
      if (inOutput(l))
        return true;
      for (size_t j = i + 1; j < terms.size(); ++j)
        if (llvm::is_contained(terms[j].labels, l))
          return true;
      return false;
    };
    QOPT_TRY(r, contract(n, cur, terms[i], keep, size));
    cur = r;
  }
  QOPT_TRY(last, sumAway(n, cur, inOutput));
  SmallVector<int64_t> perm;
  for (int l : output)
    perm.push_back(llvm::find(last.labels, l) - last.labels.begin());
  QOPT_TRY(v, transposeValue(n, last.v, perm));
  n.setOutput(0, v);
  return success();
}

static LogicalResult importGemm(NodeImporter &n) {
  QOPT_TRY(a, n.input(0));
  QOPT_TRY(b, n.input(1));
  Value c = n.optionalInput(2);
  if (!c && n.opset < 11)
    return n.error("missing required input 2 (C is optional from opset 11)");
  QOPT_TRY(alpha, n.attrFloat("alpha", 1.0f));
  QOPT_TRY(beta, n.attrFloat("beta", 1.0f));
  QOPT_TRY(transA, n.attrInt("transA", 0));
  QOPT_TRY(transB, n.attrInt("transB", 0));
  SmallVector<Value> operands{a, b};
  if (c)
    operands.push_back(c);
  QOPT_TRY(v, n.build<qnn::GemmOp>(operands,
                                   {n.named("alpha", n.b.getF32FloatAttr(alpha)),
                                    n.named("beta", n.b.getF32FloatAttr(beta)),
                                    n.named("trans_a", n.b.getBoolAttr(transA != 0)),
                                    n.named("trans_b", n.b.getBoolAttr(transB != 0))}));
  n.setOutput(0, v);
  return success();
}

template <typename OpTy> static LogicalResult importPool(NodeImporter &n) {
  constexpr bool isMax = std::is_same_v<OpTy, qnn::MaxPoolOp>;
  QOPT_TRY(x, n.input(0));
  auto xt = cast<RankedTensorType>(x.getType());
  if (xt.getRank() < 3 || xt.getRank() > 5)
    return n.unsupported("input of rank " + std::to_string(xt.getRank()) +
                         " (1 to 3 spatial dims are supported)");
  int64_t spatial = xt.getRank() - 2;
  bool hasDilations = isMax ? n.opset >= 10 : n.opset >= 19;
  QOPT_TRY(win, readWindow(n, spatial, {}, hasDilations));
  resolveAutoPad(win, xt.getShape().drop_front(2));
  int64_t ceilMode = 0;
  if (n.opset >= 10) {
    QOPT_TRY(c, n.attrInt("ceil_mode", 0));
    ceilMode = c;
  }
  SmallVector<NamedAttribute> attrs{
      n.named("kernel_shape", n.b.getDenseI64ArrayAttr(win.kernel)),
      n.named("strides", n.b.getDenseI64ArrayAttr(win.strides)),
      n.named("pads", n.b.getDenseI64ArrayAttr(win.pads)),
      n.named("dilations", n.b.getDenseI64ArrayAttr(win.dilations)),
      n.named("ceil_mode", n.b.getBoolAttr(ceilMode != 0))};
  if constexpr (isMax) {
    QOPT_TRY(order, n.attrInt("storage_order", 0));
    if (n.hasOutput(1)) {
      // The Indices output is an op of its own over the same windows.
      SmallVector<NamedAttribute> indexAttrs(attrs);
      indexAttrs.push_back(n.named("column_major", n.b.getBoolAttr(order != 0)));
      QOPT_TRY(indices, n.build<qnn::MaxPoolIndicesOp>({x}, indexAttrs));
      n.setOutput(1, indices);
    }
  } else {
    QOPT_TRY(cip, n.attrInt("count_include_pad", 0));
    attrs.push_back(n.named("count_include_pad", n.b.getBoolAttr(cip != 0)));
  }
  QOPT_TRY(v, n.build<OpTy>({x}, attrs));
  n.setOutput(0, v);
  return success();
}

/// MaxUnpool: the result's spatial size is (in - 1) * stride + kernel - pads,
/// or the constant output_shape input.
static LogicalResult importMaxUnpool(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(indices, n.input(1));
  auto xt = cast<RankedTensorType>(x.getType());
  int64_t rank = xt.getRank(), spatial = rank - 2;
  if (rank < 3 || rank > 5)
    return n.unsupported("input of rank " + std::to_string(rank) +
                         " (1 to 3 spatial dims are supported)");
  QOPT_TRY(kernel, n.attrInts("kernel_shape", std::nullopt));
  QOPT_TRY(strides, n.attrInts("strides", SmallVector<int64_t>(spatial, 1)));
  QOPT_TRY(pads, n.attrInts("pads", SmallVector<int64_t>(2 * spatial, 0)));
  if ((int64_t)kernel.size() != spatial || (int64_t)strides.size() != spatial ||
      (int64_t)pads.size() != 2 * spatial)
    return n.error("kernel_shape, strides and pads must match the " + std::to_string(spatial) +
                   " spatial dimensions");
  SmallVector<int64_t> out(xt.getShape().take_front(2));
  const int64_t limit = int64_t(1) << 31;
  for (int64_t i = 0; i < spatial; ++i) {
    if (kernel[i] < 1 || strides[i] < 1 || pads[i] < 0 || pads[spatial + i] < 0 ||
        kernel[i] > limit || strides[i] > limit || pads[i] > limit || pads[spatial + i] > limit ||
        xt.getDimSize(2 + i) > limit)
      return n.error("kernel sizes and strides must be in [1, 2^31], pads in [0, 2^31]");
    // Each term is below 2^62: no overflow.
    out.push_back((xt.getDimSize(2 + i) - 1) * strides[i] + kernel[i] - pads[i] -
                  pads[spatial + i]);
  }
  if (n.hasInput(2)) {
    QOPT_TRY(shape, n.constantInts(2, "output_shape"));
    if ((int64_t)shape.size() != rank || shape[0] != out[0] || shape[1] != out[1])
      return n.error("output_shape must have rank " + std::to_string(rank) +
                     " and keep the batch and channels");
    out.assign(shape.begin(), shape.end());
  }
  for (int64_t d : out)
    if (d < 1)
      return n.error("the result would have an empty dimension");
  QOPT_TRY(v, n.build<qnn::MaxUnpoolOp>(
                  {x, indices},
                  {n.named("kernel_shape", n.b.getDenseI64ArrayAttr(kernel)),
                   n.named("strides", n.b.getDenseI64ArrayAttr(strides)),
                   n.named("pads", n.b.getDenseI64ArrayAttr(pads))},
                  RankedTensorType::get(out, xt.getElementType())));
  n.setOutput(0, v);
  return success();
}

template <typename OpTy> static LogicalResult importGlobalPool(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(v, n.build<OpTy>({x}));
  n.setOutput(0, v);
  return success();
}

static LogicalResult importBatchNorm(NodeImporter &n) {
  SmallVector<Value> operands;
  for (int i = 0; i < 5; ++i) {
    QOPT_TRY(v, n.input(i));
    operands.push_back(v);
  }
  for (int i = 1; i < n.numOutputs(); ++i)
    if (n.hasOutput(i))
      return n.unsupported("training outputs (running mean/variance)");
  QOPT_TRY(training, n.attrInt("training_mode", 0));
  if (training)
    return n.unsupported("training_mode=1");
  if (n.opset < 9) {
    QOPT_TRY(spatial, n.attrInt("spatial", 1));
    if (!spatial)
      return n.unsupported("spatial=0");
  }
  QOPT_TRY(eps, n.attrFloat("epsilon", 1e-5f));
  QOPT_TRY(v, n.build<qnn::BatchNormOp>(operands, {n.named("epsilon", n.b.getF32FloatAttr(eps))}));
  n.setOutput(0, v);
  return success();
}

static LogicalResult importLayerNorm(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(scale, n.input(1));
  Value bias = n.optionalInput(2);
  QOPT_TRY(axis, n.attrInt("axis", -1));
  QOPT_TRY(eps, n.attrFloat("epsilon", 1e-5f));
  QOPT_TRY(stash, n.attrInt("stash_type", 1));
  if (stash != 1)
    return n.unsupported("stash_type=" + std::to_string(stash));
  SmallVector<Value> operands{x, scale};
  if (bias)
    operands.push_back(bias);
  QOPT_TRY(v, n.build<qnn::LayerNormOp>(operands, {n.named("axis", n.b.getI64IntegerAttr(axis)),
                                                   n.named("epsilon", n.b.getF32FloatAttr(eps))}));
  n.setOutput(0, v);
  if (!n.hasOutput(1) && !n.hasOutput(2))
    return success();
  // The optional statistics outputs are rarely used at inference; they are
  // computed by the ops of the LayerNormalization function body rather than
  // widening qnn.layer_norm for them.
  auto xt = cast<RankedTensorType>(x.getType());
  int64_t rank = xt.getRank(), a = axis < 0 ? axis + rank : axis;
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(a, rank));
  SmallVector<NamedAttribute> reduceAttrs{n.named("axes", n.b.getDenseI64ArrayAttr(axes)),
                                          n.named("keepdims", n.b.getBoolAttr(true))};
  QOPT_TRY(mean, n.build<qnn::ReduceMeanOp>({x}, reduceAttrs));
  QOPT_TRY(diff, n.build<qnn::SubOp>({x, mean}));
  QOPT_TRY(sq, n.build<qnn::MulOp>({diff, diff}));
  QOPT_TRY(var, n.build<qnn::ReduceMeanOp>({sq}, reduceAttrs));
  auto dtype = ref::dtypeFromType(xt.getElementType());
  if (!dtype) {
    llvm::consumeError(dtype.takeError());
    return n.unsupported("statistics outputs for this element type");
  }
  ref::Tensor epsT(*dtype, {});
  epsT.setFromDouble(0, eps);
  QOPT_TRY(shifted, n.build<qnn::AddOp>({var, n.constant(epsT, "epsilon")}));
  QOPT_TRY(stddev, n.build<qnn::SqrtOp>({shifted}));
  QOPT_TRY(invStd, n.build<qnn::ReciprocalOp>({stddev}));
  n.setOutput(1, mean);
  n.setOutput(2, invStd);
  return success();
}

/// Softmax and LogSoftmax. Before opset 13 they flatten the input to 2-D at
/// `axis` (default 1) and normalize each row: a reshape around the op.
template <typename OpTy> static LogicalResult importSoftmax(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  auto xt = cast<RankedTensorType>(x.getType());
  int64_t rank = xt.getRank();
  QOPT_TRY(axis, n.attrInt("axis", n.opset >= 13 ? -1 : 1));
  if (axis < -std::max<int64_t>(rank, 1) || axis >= std::max<int64_t>(rank, 1))
    return n.error("axis " + llvm::Twine(axis) + " is out of range for rank " + llvm::Twine(rank));
  if (n.opset >= 13 || rank == 0) {
    QOPT_TRY(v, n.build<OpTy>({x}, {n.named("axis", n.b.getI64IntegerAttr(axis))}));
    n.setOutput(0, v);
    return success();
  }
  int64_t a = axis < 0 ? axis + rank : axis;
  int64_t rows = 1, cols = 1;
  for (int64_t d = 0; d < rank; ++d)
    (d < a ? rows : cols) *= xt.getDimSize(d);
  auto flatType = RankedTensorType::get({rows, cols}, xt.getElementType());
  QOPT_TRY(flat, n.build<qnn::ReshapeOp>({x}, {}, flatType));
  QOPT_TRY(sm, n.build<OpTy>({flat}, {n.named("axis", n.b.getI64IntegerAttr(1))}));
  QOPT_TRY(v, n.build<qnn::ReshapeOp>({sm}, {}, xt));
  n.setOutput(0, v);
  return success();
}

namespace {
/// What a reduction node asks for, in qnn terms.
struct ReduceSpec {
  SmallVector<int64_t> axes; // sorted, non-negative
  bool keepdims = true;
  bool noop = false; // empty axes with noop_with_empty_axes: no reduction at all
};
} // namespace

/// Reads a reduction's axes: an attribute, or input 1 from opset 13 (ReduceSum)
/// or 18 (the others). No axes means all of them unless noop_with_empty_axes.
static FailureOr<ReduceSpec> readReduce(NodeImporter &n, int64_t rank, bool axesAsInput) {
  ReduceSpec spec;
  bool haveAxes = false;
  if (axesAsInput) {
    if (failed(n.rejectAttr("axes", "axes is an input from this opset")))
      return failure();
    if (n.hasInput(1)) {
      QOPT_TRY(a, n.constantInts(1, "axes"));
      spec.axes = a;
      haveAxes = true;
    }
  } else if (n.attr("axes")) {
    QOPT_TRY(a, n.attrInts("axes", std::nullopt));
    spec.axes = a;
    haveAxes = true;
  }
  QOPT_TRY(keepdims, n.attrInt("keepdims", 1));
  spec.keepdims = keepdims != 0;
  if (axesAsInput) {
    QOPT_TRY(noop, n.attrInt("noop_with_empty_axes", 0));
    spec.noop = noop != 0 && spec.axes.empty();
  }
  if (spec.noop)
    return spec;
  if (!haveAxes || spec.axes.empty())
    spec.axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  for (int64_t &a : spec.axes) {
    if (a < -rank || a >= rank) {
      (void)n.error("axis " + llvm::Twine(a) + " is out of range for rank " + llvm::Twine(rank));
      return failure();
    }
    if (a < 0)
      a += rank;
  }
  llvm::sort(spec.axes);
  if (std::adjacent_find(spec.axes.begin(), spec.axes.end()) != spec.axes.end()) {
    (void)n.error("axes contain a duplicate");
    return failure();
  }
  return spec;
}

template <typename OpTy>
static FailureOr<Value> buildReduce(NodeImporter &n, Value x, const ReduceSpec &spec) {
  return n.build<OpTy>({x}, {n.named("axes", n.b.getDenseI64ArrayAttr(spec.axes)),
                             n.named("keepdims", n.b.getBoolAttr(spec.keepdims))});
}

template <typename OpTy> static LogicalResult importReduce(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  bool axesAsInput = std::is_same_v<OpTy, qnn::ReduceSumOp> ? n.opset >= 13 : n.opset >= 18;
  QOPT_TRY(spec, readReduce(n, cast<RankedTensorType>(x.getType()).getRank(), axesAsInput));
  if (spec.noop) {
    n.setOutput(0, x);
    return success();
  }
  QOPT_TRY(v, buildReduce<OpTy>(n, x, spec));
  n.setOutput(0, v);
  return success();
}

/// ReduceL1, ReduceL2, ReduceSumSquare, ReduceLogSum and ReduceLogSumExp are
/// a sum between elementwise steps (their ONNX function bodies). With
/// noop_with_empty_axes they follow the ONNX reference: the input unchanged,
/// squared for ReduceSumSquare.
static LogicalResult importCompositeReduce(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(spec, readReduce(n, cast<RankedTensorType>(x.getType()).getRank(), n.opset >= 18));
  StringRef op = n.opType();
  Value pre = x;
  if (op == "ReduceL1") {
    QOPT_TRY(v, n.build<qnn::AbsOp>({x}));
    pre = v;
  } else if (op == "ReduceL2" || op == "ReduceSumSquare") {
    QOPT_TRY(v, n.build<qnn::MulOp>({x, x}));
    pre = v;
  } else if (op == "ReduceLogSumExp") {
    QOPT_TRY(v, n.build<qnn::ExpOp>({x}));
    pre = v;
  }
  if (spec.noop) {
    n.setOutput(0, op == "ReduceSumSquare" ? pre : x);
    return success();
  }
  QOPT_TRY(sum, buildReduce<qnn::ReduceSumOp>(n, pre, spec));
  Value v = sum;
  if (op == "ReduceL2") {
    QOPT_TRY(r, n.build<qnn::SqrtOp>({sum}));
    v = r;
  } else if (op == "ReduceLogSum" || op == "ReduceLogSumExp") {
    QOPT_TRY(r, n.build<qnn::LogOp>({sum}));
    v = r;
  }
  n.setOutput(0, v);
  return success();
}

template <typename OpTy> static LogicalResult importArgReduce(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(axis, n.attrInt("axis", 0));
  QOPT_TRY(keepdims, n.attrInt("keepdims", 1));
  QOPT_TRY(last, n.attrInt("select_last_index", 0));
  QOPT_TRY(v, n.build<OpTy>({x}, {n.named("axis", n.b.getI64IntegerAttr(axis)),
                                  n.named("keepdims", n.b.getBoolAttr(keepdims != 0)),
                                  n.named("select_last_index", n.b.getBoolAttr(last != 0))}));
  n.setOutput(0, v);
  return success();
}

static LogicalResult importCumSum(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(axis, n.constantInts(1, "axis"));
  if (axis.size() != 1)
    return n.error("axis must be a scalar");
  QOPT_TRY(exclusive, n.attrInt("exclusive", 0));
  QOPT_TRY(reverse, n.attrInt("reverse", 0));
  QOPT_TRY(v, n.build<qnn::CumSumOp>({x}, {n.named("axis", n.b.getI64IntegerAttr(axis[0])),
                                           n.named("exclusive", n.b.getBoolAttr(exclusive != 0)),
                                           n.named("reverse", n.b.getBoolAttr(reverse != 0))}));
  n.setOutput(0, v);
  return success();
}

void qopt::onnx_import::registerLinearHandlers(llvm::StringMap<Handler> &t) {
  t["Conv"] = importConv;
  t["ConvTranspose"] = importConvTranspose;
  t["MatMul"] = importMatMul;
  t["Einsum"] = importEinsum;
  t["Gemm"] = importGemm;
  t["MaxPool"] = importPool<qnn::MaxPoolOp>;
  t["AveragePool"] = importPool<qnn::AvgPoolOp>;
  t["MaxUnpool"] = importMaxUnpool;
  t["GlobalAveragePool"] = importGlobalPool<qnn::GlobalAvgPoolOp>;
  t["GlobalMaxPool"] = importGlobalPool<qnn::GlobalMaxPoolOp>;
  t["BatchNormalization"] = importBatchNorm;
  t["LayerNormalization"] = importLayerNorm;
  t["Softmax"] = importSoftmax<qnn::SoftmaxOp>;
  t["LogSoftmax"] = importSoftmax<qnn::LogSoftmaxOp>;
  t["ReduceMean"] = importReduce<qnn::ReduceMeanOp>;
  t["ReduceSum"] = importReduce<qnn::ReduceSumOp>;
  t["ReduceMax"] = importReduce<qnn::ReduceMaxOp>;
  t["ReduceMin"] = importReduce<qnn::ReduceMinOp>;
  t["ReduceProd"] = importReduce<qnn::ReduceProdOp>;
  for (const char *name :
       {"ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp"})
    t[name] = importCompositeReduce;
  t["ArgMax"] = importArgReduce<qnn::ArgMaxOp>;
  t["CumSum"] = importCumSum;
  t["ArgMin"] = importArgReduce<qnn::ArgMinOp>;
}
