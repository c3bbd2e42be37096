//===- ImportComposite.cpp - ONNX ops imported as qnn op sequences -*- C++ -*-===//
//
// ONNX ops that are exact compositions of qnn ops (the ONNX function bodies
// of these operators) import as those compositions, so every later stage sees
// fewer op kinds: PRelu, Mean, Tile, DepthToSpace, SpaceToDepth,
// InstanceNormalization, Trilu, the exponential-linear activations (Elu, Selu,
// Celu), ThresholdedRelu, Softsign, Softplus, Shrink, IsNaN and IsInf.
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"

#include "qopt/Reference/Executor.h"

#include <limits>

using namespace mlir;
using namespace qopt;
using namespace qopt::onnx_import;
using llvm::SmallVector;

FailureOr<Value> qopt::onnx_import::scalarLike(NodeImporter &n, Value like, double v,
                                               StringRef name) {
  auto dtype = ref::dtypeFromType(cast<RankedTensorType>(like.getType()).getElementType());
  if (!dtype) {
    llvm::consumeError(dtype.takeError());
    (void)n.unsupported("element type");
    return failure();
  }
  ref::Tensor t(*dtype, {});
  t.setFromDouble(0, v);
  return n.constant(t, name);
}

FailureOr<Value> qopt::onnx_import::reshapeValue(NodeImporter &n, Value x,
                                                 ArrayRef<int64_t> shape) {
  auto xt = cast<RankedTensorType>(x.getType());
  if (xt.getShape() == shape)
    return x;
  return n.build<qnn::ReshapeOp>({x}, {}, RankedTensorType::get(shape, xt.getElementType()));
}

FailureOr<Value> qopt::onnx_import::transposeValue(NodeImporter &n, Value x,
                                                   ArrayRef<int64_t> perm) {
  if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())))
    return x;
  return n.build<qnn::TransposeOp>({x}, {n.named("perm", n.b.getDenseI64ArrayAttr(perm))});
}

FailureOr<Value> qopt::onnx_import::sliceAxis(NodeImporter &n, Value x, int64_t axis,
                                              int64_t start, int64_t end) {
  auto shape = cast<RankedTensorType>(x.getType()).getShape();
  SmallVector<int64_t> starts(shape.size(), 0), ends(shape), steps(shape.size(), 1);
  starts[axis] = start;
  ends[axis] = end;
  return n.build<qnn::SliceOp>({x}, {n.named("starts", n.b.getDenseI64ArrayAttr(starts)),
                                     n.named("ends", n.b.getDenseI64ArrayAttr(ends)),
                                     n.named("steps", n.b.getDenseI64ArrayAttr(steps))});
}

/// PRelu(x, slope) = x < 0 ? x * slope : x, slope broadcast to x.
static LogicalResult importPRelu(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(slope, n.input(1));
  QOPT_TRY(zero, scalarLike(n, x, 0.0, "zero"));
  QOPT_TRY(neg, n.build<qnn::LessOp>({x, zero}));
  QOPT_TRY(scaled, n.build<qnn::MulOp>({x, slope}));
  auto xt = cast<RankedTensorType>(x.getType());
  if (cast<RankedTensorType>(scaled.getType()).getShape() != xt.getShape())
    return n.error("slope does not broadcast to the input (unidirectional broadcasting)");
  QOPT_TRY(v, n.build<qnn::WhereOp>({neg, scaled, x}));
  n.setOutput(0, v);
  return success();
}

/// Mean of one or more inputs: their broadcast sum divided by the count.
static LogicalResult importMean(NodeImporter &n) {
  QOPT_TRY(acc, n.input(0));
  for (int i = 1; i < n.numInputs(); ++i) {
    QOPT_TRY(next, n.input(i));
    QOPT_TRY(sum, n.build<qnn::AddOp>({acc, next}));
    acc = sum;
  }
  if (n.numInputs() > 1) {
    QOPT_TRY(count, scalarLike(n, acc, n.numInputs(), "count"));
    QOPT_TRY(mean, n.build<qnn::DivOp>({acc, count}));
    acc = mean;
  }
  n.setOutput(0, acc);
  return success();
}

/// Tile repeats the whole tensor along each dim: reshape to interleaved unit
/// dims, expand them to the repeat counts, and merge.
static LogicalResult importTile(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(repeats, n.constantInts(1, "repeats"));
  auto xt = cast<RankedTensorType>(x.getType());
  if ((int64_t)repeats.size() != xt.getRank())
    return n.error("repeats must have one entry per input dimension");
  SmallVector<int64_t> split, expanded, merged;
  for (auto [d, r] : llvm::zip(xt.getShape(), repeats)) {
    if (r < 0 || (d != 0 && r > INT64_MAX / d))
      return n.error("repeats must be non-negative and keep the size in range");
    split.append({1, d});
    expanded.append({r, d});
    merged.push_back(r * d);
  }
  QOPT_TRY(s, reshapeValue(n, x, split));
  QOPT_TRY(e, n.build<qnn::ExpandOp>({s}, {}, RankedTensorType::get(expanded, xt.getElementType())));
  QOPT_TRY(v, reshapeValue(n, e, merged));
  n.setOutput(0, v);
  return success();
}

/// DepthToSpace (DCR and CRD) and SpaceToDepth as reshape, transpose, reshape,
/// the ONNX definitions of these ops.
static LogicalResult importDepthToSpace(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  auto xt = cast<RankedTensorType>(x.getType());
  if (xt.getRank() != 4)
    return n.error("input must be 4-D");
  QOPT_TRY(b, n.attrInt("blocksize", std::nullopt));
  QOPT_TRY(mode, n.attrString("mode", std::string("DCR")));
  int64_t N = xt.getDimSize(0), C = xt.getDimSize(1), H = xt.getDimSize(2), W = xt.getDimSize(3);
  if (b <= 0 || b > C || C % (b * b) != 0)
    return n.error("channels must be a multiple of blocksize^2");
  int64_t c = C / (b * b);
  SmallVector<int64_t> shape, perm;
  if (mode == "DCR") {
    shape = {N, b, b, c, H, W};
    perm = {0, 3, 4, 1, 5, 2};
  } else if (mode == "CRD") {
    shape = {N, c, b, b, H, W};
    perm = {0, 1, 4, 2, 5, 3};
  } else {
    return n.unsupported("mode '" + mode + "'");
  }
  QOPT_TRY(r, reshapeValue(n, x, shape));
  QOPT_TRY(t, n.build<qnn::TransposeOp>({r}, {n.named("perm", n.b.getDenseI64ArrayAttr(perm))}));
  QOPT_TRY(v, reshapeValue(n, t, {N, c, H * b, W * b}));
  n.setOutput(0, v);
  return success();
}

static LogicalResult importSpaceToDepth(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  auto xt = cast<RankedTensorType>(x.getType());
  if (xt.getRank() != 4)
    return n.error("input must be 4-D");
  QOPT_TRY(b, n.attrInt("blocksize", std::nullopt));
  int64_t N = xt.getDimSize(0), C = xt.getDimSize(1), H = xt.getDimSize(2), W = xt.getDimSize(3);
  if (b <= 0 || b > H || b > W || H % b != 0 || W % b != 0 || C > INT64_MAX / (b * b))
    return n.error("height and width must be multiples of blocksize");
  QOPT_TRY(r, reshapeValue(n, x, {N, C, H / b, b, W / b, b}));
  QOPT_TRY(t, n.build<qnn::TransposeOp>(
                  {r}, {n.named("perm", n.b.getDenseI64ArrayAttr({0, 3, 5, 1, 2, 4}))}));
  QOPT_TRY(v, reshapeValue(n, t, {N, C * b * b, H / b, W / b}));
  n.setOutput(0, v);
  return success();
}

/// InstanceNormalization: per (image, channel) statistics over the spatial
/// dims, then a per-channel scale and bias.
static LogicalResult importInstanceNorm(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(scale, n.input(1));
  QOPT_TRY(bias, n.input(2));
  QOPT_TRY(eps, n.attrFloat("epsilon", 1e-5f));
  auto xt = cast<RankedTensorType>(x.getType());
  int64_t rank = xt.getRank();
  if (rank < 3)
    return n.error("input must have at least one spatial dimension");
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(2, rank));
  SmallVector<NamedAttribute> reduce{n.named("axes", n.b.getDenseI64ArrayAttr(axes)),
                                     n.named("keepdims", n.b.getBoolAttr(true))};
  QOPT_TRY(mean, n.build<qnn::ReduceMeanOp>({x}, reduce));
  QOPT_TRY(diff, n.build<qnn::SubOp>({x, mean}));
  QOPT_TRY(sq, n.build<qnn::MulOp>({diff, diff}));
  QOPT_TRY(var, n.build<qnn::ReduceMeanOp>({sq}, reduce));
  QOPT_TRY(epsV, scalarLike(n, x, eps, "epsilon"));
  QOPT_TRY(shifted, n.build<qnn::AddOp>({var, epsV}));
  QOPT_TRY(stddev, n.build<qnn::SqrtOp>({shifted}));
  QOPT_TRY(normed, n.build<qnn::DivOp>({diff, stddev}));
  // Per-channel parameters broadcast as C x 1 x ... x 1.
  SmallVector<int64_t> chan(rank - 1, 1);
  chan[0] = xt.getDimSize(1);
  if (cast<RankedTensorType>(scale.getType()).getNumElements() != chan[0] ||
      cast<RankedTensorType>(bias.getType()).getNumElements() != chan[0])
    return n.error("scale and bias must have one value per channel");
  QOPT_TRY(s, reshapeValue(n, scale, chan));
  QOPT_TRY(bb, reshapeValue(n, bias, chan));
  QOPT_TRY(scaled, n.build<qnn::MulOp>({normed, s}));
  QOPT_TRY(v, n.build<qnn::AddOp>({scaled, bb}));
  n.setOutput(0, v);
  return success();
}

/// LRN: x / (bias + alpha / size * sum of squares over a window of
/// channels)^beta. The window sum is an average pool over the channel axis of
/// x * x viewed as [N, 1, C, rest] (the divisor is `size` at every channel,
/// padding included), so the reference and the GPU path reuse their pools.
static LogicalResult importLRN(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(size, n.attrInt("size", std::nullopt));
  QOPT_TRY(alpha, n.attrFloat("alpha", 1e-4f));
  QOPT_TRY(beta, n.attrFloat("beta", 0.75f));
  QOPT_TRY(bias, n.attrFloat("bias", 1.0f));
  auto xt = cast<RankedTensorType>(x.getType());
  if (xt.getRank() < 2)
    return n.error("input must have a batch and a channel dimension");
  if (size < 1)
    return n.error("size must be positive, got " + llvm::Twine(size));
  int64_t rest = 1;
  for (int64_t d = 2; d < xt.getRank(); ++d)
    rest *= xt.getDimSize(d);
  int64_t lo = (size - 1) / 2, hi = size - 1 - lo;
  QOPT_TRY(sq, n.build<qnn::MulOp>({x, x}));
  QOPT_TRY(view, reshapeValue(n, sq, {xt.getDimSize(0), 1, xt.getDimSize(1), rest}));
  QOPT_TRY(avg, n.build<qnn::AvgPoolOp>(
                    {view}, {n.named("kernel_shape", n.b.getDenseI64ArrayAttr({size, 1})),
                             n.named("strides", n.b.getDenseI64ArrayAttr({1, 1})),
                             n.named("pads", n.b.getDenseI64ArrayAttr({lo, 0, hi, 0})),
                             n.named("dilations", n.b.getDenseI64ArrayAttr({1, 1})),
                             n.named("count_include_pad", n.b.getBoolAttr(true))}));
  QOPT_TRY(mean, reshapeValue(n, avg, xt.getShape()));
  QOPT_TRY(a, scalarLike(n, x, alpha, "alpha"));
  QOPT_TRY(bb, scalarLike(n, x, bias, "bias"));
  QOPT_TRY(e, scalarLike(n, x, beta, "beta"));
  QOPT_TRY(scaled, n.build<qnn::MulOp>({a, mean}));
  QOPT_TRY(base, n.build<qnn::AddOp>({bb, scaled}));
  QOPT_TRY(den, n.build<qnn::PowOp>({base, e}));
  QOPT_TRY(v, n.build<qnn::DivOp>({x, den}));
  n.setOutput(0, v);
  return success();
}

/// Trilu keeps the upper (or lower) triangle from diagonal k: a select with a
/// constant mask, since shapes are static.
static LogicalResult importTrilu(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(upper, n.attrInt("upper", 1));
  int64_t k = 0;
  if (n.hasInput(1)) {
    QOPT_TRY(kv, n.constantInts(1, "k"));
    if (kv.size() != 1)
      return n.error("k must be a scalar");
    k = kv[0];
  }
  auto xt = cast<RankedTensorType>(x.getType());
  if (xt.getRank() < 2)
    return n.error("input must have rank >= 2");
  int64_t rows = xt.getDimSize(xt.getRank() - 2), cols = xt.getDimSize(xt.getRank() - 1);
  QOPT_TRY(mask, n.newTensor(ref::DType::Bool, {rows, cols}));
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      mask.data<uint8_t>()[i * cols + j] = upper ? j - i >= k : j - i <= k;
  QOPT_TRY(zero, scalarLike(n, x, 0.0, "zero"));
  QOPT_TRY(v, n.build<qnn::WhereOp>({n.constant(mask, "trilu_mask"), x, zero}));
  n.setOutput(0, v);
  return success();
}

/// alpha * (exp(x) - 1) for x < 0, else x; Selu scales both sides by gamma.
static LogicalResult importElu(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  bool selu = n.opType() == "Selu";
  QOPT_TRY(alpha, n.attrFloat("alpha", selu ? 1.67326319217681884765625f : 1.0f));
  QOPT_TRY(gamma, n.attrFloat("gamma", 1.05070102214813232421875f));
  QOPT_TRY(zero, scalarLike(n, x, 0.0, "zero"));
  QOPT_TRY(one, scalarLike(n, x, 1.0, "one"));
  QOPT_TRY(a, scalarLike(n, x, alpha, "alpha"));
  QOPT_TRY(neg, n.build<qnn::LessOp>({x, zero}));
  QOPT_TRY(e, n.build<qnn::ExpOp>({x}));
  QOPT_TRY(em1, n.build<qnn::SubOp>({e, one}));
  QOPT_TRY(scaled, n.build<qnn::MulOp>({a, em1}));
  QOPT_TRY(v, n.build<qnn::WhereOp>({neg, scaled, x}));
  if (selu) {
    QOPT_TRY(g, scalarLike(n, x, gamma, "gamma"));
    QOPT_TRY(sv, n.build<qnn::MulOp>({g, v}));
    v = sv;
  }
  n.setOutput(0, v);
  return success();
}

/// Celu: max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).
static LogicalResult importCelu(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(alpha, n.attrFloat("alpha", 1.0f));
  if (alpha == 0)
    return n.error("alpha must not be zero");
  QOPT_TRY(zero, scalarLike(n, x, 0.0, "zero"));
  QOPT_TRY(one, scalarLike(n, x, 1.0, "one"));
  QOPT_TRY(a, scalarLike(n, x, alpha, "alpha"));
  QOPT_TRY(pos, n.build<qnn::MaxOp>({x, zero}));
  QOPT_TRY(xa, n.build<qnn::DivOp>({x, a}));
  QOPT_TRY(e, n.build<qnn::ExpOp>({xa}));
  QOPT_TRY(em1, n.build<qnn::SubOp>({e, one}));
  QOPT_TRY(scaled, n.build<qnn::MulOp>({a, em1}));
  QOPT_TRY(negPart, n.build<qnn::MinOp>({scaled, zero}));
  QOPT_TRY(v, n.build<qnn::AddOp>({pos, negPart}));
  n.setOutput(0, v);
  return success();
}

/// ThresholdedRelu: x where x > alpha, else 0.
static LogicalResult importThresholdedRelu(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(alpha, n.attrFloat("alpha", 1.0f));
  QOPT_TRY(zero, scalarLike(n, x, 0.0, "zero"));
  QOPT_TRY(a, scalarLike(n, x, alpha, "alpha"));
  QOPT_TRY(keep, n.build<qnn::GreaterOp>({x, a}));
  QOPT_TRY(v, n.build<qnn::WhereOp>({keep, x, zero}));
  n.setOutput(0, v);
  return success();
}

/// Softsign: x / (1 + |x|).
static LogicalResult importSoftsign(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(one, scalarLike(n, x, 1.0, "one"));
  QOPT_TRY(ax, n.build<qnn::AbsOp>({x}));
  QOPT_TRY(den, n.build<qnn::AddOp>({one, ax}));
  QOPT_TRY(v, n.build<qnn::DivOp>({x, den}));
  n.setOutput(0, v);
  return success();
}

/// Softplus: log(exp(x) + 1), as the ONNX definition.
static LogicalResult importSoftplus(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(one, scalarLike(n, x, 1.0, "one"));
  QOPT_TRY(e, n.build<qnn::ExpOp>({x}));
  QOPT_TRY(ep1, n.build<qnn::AddOp>({e, one}));
  QOPT_TRY(v, n.build<qnn::LogOp>({ep1}));
  n.setOutput(0, v);
  return success();
}

/// Shrink: x + bias where x < -lambd, x - bias where x > lambd, else 0.
static LogicalResult importShrink(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(lambd, n.attrFloat("lambd", 0.5f));
  QOPT_TRY(bias, n.attrFloat("bias", 0.0f));
  QOPT_TRY(zero, scalarLike(n, x, 0.0, "zero"));
  QOPT_TRY(l, scalarLike(n, x, lambd, "lambd"));
  QOPT_TRY(nl, scalarLike(n, x, -lambd, "neg_lambd"));
  QOPT_TRY(b, scalarLike(n, x, bias, "bias"));
  QOPT_TRY(below, n.build<qnn::LessOp>({x, nl}));
  QOPT_TRY(above, n.build<qnn::GreaterOp>({x, l}));
  QOPT_TRY(plus, n.build<qnn::AddOp>({x, b}));
  QOPT_TRY(minus, n.build<qnn::SubOp>({x, b}));
  QOPT_TRY(hi, n.build<qnn::WhereOp>({above, minus, zero}));
  QOPT_TRY(v, n.build<qnn::WhereOp>({below, plus, hi}));
  n.setOutput(0, v);
  return success();
}

/// IsNaN: x != x.
static LogicalResult importIsNaN(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(same, n.build<qnn::EqualOp>({x, x}));
  QOPT_TRY(v, n.build<qnn::NotOp>({same}));
  n.setOutput(0, v);
  return success();
}

/// IsInf: x == +inf and/or x == -inf, as the detect flags ask.
static LogicalResult importIsInf(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(detectPos, n.attrInt("detect_positive", 1));
  QOPT_TRY(detectNeg, n.attrInt("detect_negative", 1));
  double inf = std::numeric_limits<double>::infinity();
  QOPT_TRY(pinf, scalarLike(n, x, inf, "inf"));
  QOPT_TRY(ninf, scalarLike(n, x, -inf, "neg_inf"));
  QOPT_TRY(isPos, n.build<qnn::EqualOp>({x, pinf}));
  QOPT_TRY(isNeg, n.build<qnn::EqualOp>({x, ninf}));
  Value v;
  if (detectPos && detectNeg) {
    QOPT_TRY(both, n.build<qnn::OrOp>({isPos, isNeg}));
    v = both;
  } else if (detectPos) {
    v = isPos;
  } else if (detectNeg) {
    v = isNeg;
  } else {
    QOPT_TRY(none, n.build<qnn::AndOp>({isPos, isNeg}));
    v = none;
  }
  n.setOutput(0, v);
  return success();
}

/// An int64 tensor holding 0..n-1 along dimension `axis` of a rank-`rank`
/// shape whose other dimensions are 1, for index comparisons.
static FailureOr<Value> iotaAlong(NodeImporter &n, int64_t rank, int64_t axis, int64_t size) {
  SmallVector<int64_t> shape(rank, 1);
  shape[axis] = size;
  QOPT_TRY(t, n.newTensor(ref::DType::I64, shape));
  for (int64_t i = 0; i < size; ++i)
    t.data<int64_t>()[i] = i;
  return n.constant(t, "iota");
}

/// ReverseSequence: along the time axis, the first sequence_lens[b] steps
/// of batch entry b reversed, the rest kept. A GatherElements at indices
/// where(t < len, len - 1 - t, t), computed from an iota and the lengths
/// (folded to a constant when the lengths are constant).
static LogicalResult importReverseSequence(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(lens, n.input(1));
  QOPT_TRY(timeAxis, n.attrInt("time_axis", 0));
  QOPT_TRY(batchAxis, n.attrInt("batch_axis", 1));
  auto xt = cast<RankedTensorType>(x.getType());
  int64_t rank = xt.getRank();
  if (rank < 2 || !((timeAxis == 0 && batchAxis == 1) || (timeAxis == 1 && batchAxis == 0)))
    return n.error("time_axis and batch_axis must be 0 and 1 (in either order) of an input of "
                   "rank >= 2");
  auto lt = cast<RankedTensorType>(lens.getType());
  int64_t steps = xt.getDimSize(timeAxis), batch = xt.getDimSize(batchAxis);
  if (lt.getRank() != 1 || lt.getDimSize(0) != batch)
    return n.error("sequence_lens must hold one length per batch entry (" + llvm::Twine(batch) +
                   ")");
  if (const ref::Tensor *c = n.constantOf(lens))
    for (int64_t i = 0; i < c->numElements(); ++i)
      if (c->getAsInt(i) < 0 || c->getAsInt(i) > steps)
        return n.error("sequence length " + llvm::Twine(c->getAsInt(i)) +
                       " is outside [0, " + llvm::Twine(steps) + "]");
  // The per-(time, batch) indices, then broadcast over the trailing dims.
  QOPT_TRY(t, iotaAlong(n, 2, timeAxis, steps));
  SmallVector<int64_t> lensShape(2, 1);
  lensShape[batchAxis] = batch;
  if (!lt.getElementType().isInteger(64)) {
    QOPT_TRY(wide, n.build<qnn::CastOp>({lens}, {}, RankedTensorType::get({batch}, n.b.getI64Type())));
    lens = wide;
  }
  QOPT_TRY(len, reshapeValue(n, lens, lensShape));
  QOPT_TRY(one, scalarLike(n, t, 1.0, "one"));
  QOPT_TRY(inside, n.build<qnn::LessOp>({t, len}));
  QOPT_TRY(last, n.build<qnn::SubOp>({len, one}));
  QOPT_TRY(reversed, n.build<qnn::SubOp>({last, t}));
  QOPT_TRY(plane, n.build<qnn::WhereOp>({inside, reversed, t}));
  SmallVector<int64_t> planeShape(rank, 1);
  planeShape[timeAxis] = steps;
  planeShape[batchAxis] = batch;
  QOPT_TRY(shaped, reshapeValue(n, plane, planeShape));
  Value indices = shaped;
  if (ArrayRef<int64_t>(planeShape) != xt.getShape()) {
    QOPT_TRY(full, n.build<qnn::ExpandOp>(
                       {shaped}, {}, RankedTensorType::get(xt.getShape(), n.b.getI64Type())));
    indices = full;
  }
  QOPT_TRY(v, n.build<qnn::GatherElementsOp>({x, indices},
                                             {n.named("axis", n.b.getI64IntegerAttr(timeAxis))}));
  n.setOutput(0, v);
  return success();
}

/// MeanVarianceNormalization as ONNX's function body defines it:
/// (x - E[x]) / (sqrt(E[x^2] - E[x]^2) + 1e-9) over `axes` (default N, H, W).
static LogicalResult importMeanVarianceNormalization(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(axes, n.attrInts("axes", SmallVector<int64_t>{0, 2, 3}));
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  for (int64_t &a : axes) {
    if (a < -rank || a >= rank)
      return n.error("axis " + llvm::Twine(a) + " is out of range for rank " + llvm::Twine(rank));
    a = a < 0 ? a + rank : a;
  }
  SmallVector<NamedAttribute> reduce{n.named("axes", n.b.getDenseI64ArrayAttr(axes)),
                                     n.named("keepdims", n.b.getBoolAttr(true))};
  QOPT_TRY(mean, n.build<qnn::ReduceMeanOp>({x}, reduce));
  QOPT_TRY(sq, n.build<qnn::MulOp>({x, x}));
  QOPT_TRY(meanSq, n.build<qnn::ReduceMeanOp>({sq}, reduce));
  QOPT_TRY(sqMean, n.build<qnn::MulOp>({mean, mean}));
  QOPT_TRY(var, n.build<qnn::SubOp>({meanSq, sqMean}));
  QOPT_TRY(stddev, n.build<qnn::SqrtOp>({var}));
  QOPT_TRY(eps, scalarLike(n, x, 1e-9, "epsilon"));
  QOPT_TRY(den, n.build<qnn::AddOp>({stddev, eps}));
  QOPT_TRY(diff, n.build<qnn::SubOp>({x, mean}));
  QOPT_TRY(v, n.build<qnn::DivOp>({diff, den}));
  n.setOutput(0, v);
  return success();
}

/// Hardmax: 1 at the first maximum along the axis, 0 elsewhere. Before opset
/// 13 the input is flattened to 2-D at the axis, as for Softmax.
static LogicalResult importHardmax(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  auto xt = cast<RankedTensorType>(x.getType());
  int64_t rank = xt.getRank();
  QOPT_TRY(axisAttr, n.attrInt("axis", n.opset >= 13 ? -1 : 1));
  if (rank == 0 || axisAttr < -rank || axisAttr >= rank)
    return n.error("axis " + llvm::Twine(axisAttr) + " is out of range for rank " +
                   llvm::Twine(rank));
  int64_t axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
  Value in = x;
  if (n.opset < 13) {
    int64_t rows = 1, cols = 1;
    for (int64_t d = 0; d < rank; ++d)
      (d < axis ? rows : cols) *= xt.getDimSize(d);
    QOPT_TRY(flat, reshapeValue(n, x, {rows, cols}));
    in = flat;
    axis = 1;
  }
  auto it = cast<RankedTensorType>(in.getType());
  QOPT_TRY(arg, n.build<qnn::ArgMaxOp>({in}, {n.named("axis", n.b.getI64IntegerAttr(axis)),
                                              n.named("keepdims", n.b.getBoolAttr(true))}));
  QOPT_TRY(iota, iotaAlong(n, it.getRank(), axis, it.getDimSize(axis)));
  QOPT_TRY(hit, n.build<qnn::EqualOp>({iota, arg}));
  QOPT_TRY(one, scalarLike(n, x, 1.0, "one"));
  QOPT_TRY(zero, scalarLike(n, x, 0.0, "zero"));
  QOPT_TRY(v, n.build<qnn::WhereOp>({hit, one, zero}));
  QOPT_TRY(out, reshapeValue(n, v, xt.getShape()));
  n.setOutput(0, out);
  return success();
}

/// EyeLike: ones on diagonal k of a 2-D tensor shaped like the input; a
/// constant, since shapes are static.
static LogicalResult importEyeLike(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  auto xt = cast<RankedTensorType>(x.getType());
  if (xt.getRank() != 2)
    return n.error("input must be 2-D");
  QOPT_TRY(k, n.attrInt("k", 0));
  Type elt = xt.getElementType();
  if (n.attr("dtype")) {
    QOPT_TRY(dt, n.attrInt("dtype", std::nullopt));
    elt = elementTypeFromONNX(n.ctx(), (int32_t)dt);
    if (!elt)
      return n.unsupported("dtype " + onnxTypeName((int32_t)dt).str());
  }
  auto dtype = ref::dtypeFromType(elt);
  if (!dtype) {
    llvm::consumeError(dtype.takeError());
    return n.unsupported("element type");
  }
  int64_t rows = xt.getDimSize(0), cols = xt.getDimSize(1);
  QOPT_TRY(t, n.newTensor(*dtype, {rows, cols}));
  for (int64_t i = 0; i < rows; ++i)
    if (k <= cols && k >= -rows)
      if (int64_t j = i + k; j >= 0 && j < cols)
        t.setFromDouble(i * cols + j, 1.0);
  n.setOutput(0, n.constant(t, "eye"));
  return success();
}

/// OneHot: `on` where the (wrapped) index equals the position along the new
/// axis, `off` elsewhere.
static LogicalResult importOneHot(NodeImporter &n) {
  QOPT_TRY(indices, n.input(0));
  QOPT_TRY(depthT, n.constantInput(1, "depth"));
  QOPT_TRY(values, n.input(2));
  if (depthT->numElements() != 1)
    return n.error("depth must be a scalar");
  double depthD = depthT->getAsDouble(0);
  if (!(depthD >= 1 && depthD < (double)(int64_t(1) << 31)))
    return n.error("depth must be a positive integer below 2^31");
  int64_t depth = (int64_t)depthD;
  auto it = cast<RankedTensorType>(indices.getType());
  auto vt = cast<RankedTensorType>(values.getType());
  if (vt.getRank() != 1 || vt.getDimSize(0) != 2)
    return n.error("values must hold [off, on]");
  int64_t outRank = it.getRank() + 1;
  QOPT_TRY(axisAttr, n.attrInt("axis", -1));
  if (axisAttr < -outRank || axisAttr >= outRank)
    return n.error("axis " + llvm::Twine(axisAttr) + " is out of range");
  int64_t axis = axisAttr < 0 ? axisAttr + outRank : axisAttr;
  // Indices as int64, negative ones wrapped by depth, with a unit dim at axis.
  Value idx = indices;
  if (it.getElementType() != n.b.getI64Type()) {
    QOPT_TRY(c, n.build<qnn::CastOp>(
                    {indices}, {}, RankedTensorType::get(it.getShape(), n.b.getI64Type())));
    idx = c;
  }
  ref::Tensor zeroT(ref::DType::I64, {}), depthC(ref::DType::I64, {});
  depthC.data<int64_t>()[0] = depth;
  Value zero = n.constant(zeroT, "zero"), dep = n.constant(depthC, "depth");
  QOPT_TRY(negative, n.build<qnn::LessOp>({idx, zero}));
  QOPT_TRY(wrapped, n.build<qnn::AddOp>({idx, dep}));
  QOPT_TRY(fixed, n.build<qnn::WhereOp>({negative, wrapped, idx}));
  SmallVector<int64_t> unitShape(it.getShape());
  unitShape.insert(unitShape.begin() + axis, 1);
  QOPT_TRY(unit, reshapeValue(n, fixed, unitShape));
  QOPT_TRY(iota, iotaAlong(n, outRank, axis, depth));
  QOPT_TRY(hit, n.build<qnn::EqualOp>({unit, iota}));
  auto pick = [&](int64_t i) -> FailureOr<Value> {
    return n.build<qnn::SliceOp>(
        {values}, {n.named("starts", n.b.getDenseI64ArrayAttr({i})),
                   n.named("ends", n.b.getDenseI64ArrayAttr({i + 1})),
                   n.named("steps", n.b.getDenseI64ArrayAttr({1}))});
  };
  QOPT_TRY(off, pick(0));
  QOPT_TRY(on, pick(1));
  QOPT_TRY(v, n.build<qnn::WhereOp>({hit, on, off}));
  n.setOutput(0, v);
  return success();
}

void qopt::onnx_import::registerCompositeHandlers(llvm::StringMap<Handler> &t) {
  t["PRelu"] = importPRelu;
  t["Mean"] = importMean;
  t["Tile"] = importTile;
  t["DepthToSpace"] = importDepthToSpace;
  t["SpaceToDepth"] = importSpaceToDepth;
  t["InstanceNormalization"] = importInstanceNorm;
  t["LRN"] = importLRN;
  t["ReverseSequence"] = importReverseSequence;
  t["MeanVarianceNormalization"] = importMeanVarianceNormalization;
  t["Trilu"] = importTrilu;
  t["Elu"] = importElu;
  t["Selu"] = importElu;
  t["Celu"] = importCelu;
  t["ThresholdedRelu"] = importThresholdedRelu;
  t["Softsign"] = importSoftsign;
  t["Softplus"] = importSoftplus;
  t["Shrink"] = importShrink;
  t["IsNaN"] = importIsNaN;
  t["IsInf"] = importIsInf;
  t["Hardmax"] = importHardmax;
  t["EyeLike"] = importEyeLike;
  t["OneHot"] = importOneHot;
}
