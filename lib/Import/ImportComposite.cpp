//===- ImportComposite.cpp - ONNX ops imported as qnn op sequences -*- C++ -*-===//
//
// ONNX ops that are exact compositions of qnn ops (the ONNX function bodies
// of these operators) import as those compositions, so every later stage sees
// fewer op kinds: PRelu, Mean, Tile, DepthToSpace, SpaceToDepth and
// InstanceNormalization.
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"

#include "qopt/Reference/Executor.h"

using namespace mlir;
using namespace qopt;
using namespace qopt::onnx_import;
using llvm::SmallVector;

/// A scalar constant of `like`'s element type.
static FailureOr<Value> scalarLike(NodeImporter &n, Value like, double v, StringRef name) {
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

static FailureOr<Value> reshapeTo(NodeImporter &n, Value x, ArrayRef<int64_t> shape) {
  auto xt = cast<RankedTensorType>(x.getType());
  if (xt.getShape() == shape)
    return x;
  return n.build<qnn::ReshapeOp>({x}, {}, RankedTensorType::get(shape, xt.getElementType()));
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
    if (r < 0)
      return n.error("repeats must be non-negative");
    split.append({1, d});
    expanded.append({r, d});
    merged.push_back(r * d);
  }
  QOPT_TRY(s, reshapeTo(n, x, split));
  QOPT_TRY(e, n.build<qnn::ExpandOp>({s}, {}, RankedTensorType::get(expanded, xt.getElementType())));
  QOPT_TRY(v, reshapeTo(n, e, merged));
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
  if (b <= 0 || C % (b * b) != 0)
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
  QOPT_TRY(r, reshapeTo(n, x, shape));
  QOPT_TRY(t, n.build<qnn::TransposeOp>({r}, {n.named("perm", n.b.getDenseI64ArrayAttr(perm))}));
  QOPT_TRY(v, reshapeTo(n, t, {N, c, H * b, W * b}));
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
  if (b <= 0 || H % b != 0 || W % b != 0)
    return n.error("height and width must be multiples of blocksize");
  QOPT_TRY(r, reshapeTo(n, x, {N, C, H / b, b, W / b, b}));
  QOPT_TRY(t, n.build<qnn::TransposeOp>(
                  {r}, {n.named("perm", n.b.getDenseI64ArrayAttr({0, 3, 5, 1, 2, 4}))}));
  QOPT_TRY(v, reshapeTo(n, t, {N, C * b * b, H / b, W / b}));
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
  QOPT_TRY(s, reshapeTo(n, scale, chan));
  QOPT_TRY(bb, reshapeTo(n, bias, chan));
  QOPT_TRY(scaled, n.build<qnn::MulOp>({normed, s}));
  QOPT_TRY(v, n.build<qnn::AddOp>({scaled, bb}));
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
}
