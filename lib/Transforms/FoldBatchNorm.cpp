//===- FoldBatchNorm.cpp - Fold batchnorm into conv and gemm ---*- C++ -*-===//

#include "qopt/Dialect/QNN/QNNOps.h"
#include "qopt/Reference/Executor.h"
#include "qopt/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"

#include <cmath>

namespace qopt {
#define GEN_PASS_DEF_FOLDBATCHNORMPASS
#include "qopt/Transforms/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;
using ref::DType;
using ref::Tensor;

namespace {

/// The value of a qnn.constant, or nullopt.
std::optional<Tensor> constantValue(Value v) {
  auto c = v ? v.getDefiningOp<qnn::ConstantOp>() : nullptr;
  if (!c)
    return std::nullopt;
  auto t = ref::tensorFromAttr(c.getValue());
  if (!t) {
    llvm::consumeError(t.takeError());
    return std::nullopt;
  }
  return std::move(*t);
}

Value makeConstant(OpBuilder &b, Location loc, const Tensor &t, StringRef hint) {
  return qnn::ConstantOp::create(b, loc, ref::attrFromTensor(b.getContext(), t, hint));
}

/// Per-channel y = x * a + c of an inference batch norm, in double.
struct Affine {
  SmallVector<double> a, c;
};

class FoldBatchNormPass : public qopt::impl::FoldBatchNormPassBase<FoldBatchNormPass> {
public:
  using qopt::impl::FoldBatchNormPassBase<FoldBatchNormPass>::FoldBatchNormPassBase;

  void runOnOperation() override {
    SmallVector<qnn::BatchNormOp> norms;
    getOperation().walk([&](qnn::BatchNormOp bn) { norms.push_back(bn); });
    for (qnn::BatchNormOp bn : norms)
      foldOne(bn);
    // Exporters also spell the affine as a mul and an add by constants
    // (PaddleOCR's learnable affine blocks, a BN rewritten before export);
    // fold those too, repeatedly, so mul-then-add folds completely.
    for (bool changed = true; changed;) {
      changed = false;
      SmallVector<Operation *> ops;
      getOperation().walk([&](Operation *op) {
        if (isa<qnn::MulOp, qnn::AddOp>(op))
          ops.push_back(op);
      });
      for (Operation *op : ops)
        changed |= foldElementwiseAffine(op);
    }
  }

private:
  /// The per-output-channel values of a constant that broadcasts against a
  /// result of rank `rank` only along `channelDim` (or is a scalar).
  static std::optional<SmallVector<double>> perChannel(const Tensor &t, int64_t rank,
                                                       int64_t channelDim, int64_t channels) {
    SmallVector<double> v;
    if (t.numElements() == 1) {
      v.assign(channels, t.getAsDouble(0));
      return v;
    }
    if (t.rank() > rank)
      return std::nullopt;
    int64_t offset = rank - t.rank();
    for (int64_t d = 0; d < t.rank(); ++d) {
      bool isChannel = d + offset == channelDim;
      if (t.dim(d) != (isChannel ? channels : 1))
        return std::nullopt;
    }
    for (int64_t i = 0; i < channels; ++i)
      v.push_back(t.getAsDouble(i));
    return v;
  }

  /// mul/add of a conv, conv_transpose or gemm result by a per-channel
  /// constant folds into the producer's weights and bias; silent when the
  /// pattern does not apply (most muls and adds are not affines).
  bool foldElementwiseAffine(Operation *op) {
    for (int side = 0; side < 2; ++side) {
      Value x = op->getOperand(side), k = op->getOperand(1 - side);
      auto t = constantValue(k);
      Operation *producer = x.getDefiningOp();
      if (!t || !producer || !isa<qnn::ConvOp, qnn::ConvTransposeOp, qnn::GemmOp>(producer) ||
          !x.hasOneUse() || producer->getAttr("activation") ||
          op->getResult(0).getType() != x.getType())
        continue;
      if (auto conv = dyn_cast<qnn::ConvOp>(producer); conv && conv.getResidual())
        continue;
      auto type = cast<RankedTensorType>(x.getType());
      int64_t channelDim = isa<qnn::GemmOp>(producer) ? 1 : 1;
      int64_t channels = type.getDimSize(channelDim);
      auto values = perChannel(*t, type.getRank(), channelDim, channels);
      if (!values)
        continue;
      Affine f;
      bool isMul = isa<qnn::MulOp>(op);
      for (double v : *values) {
        f.a.push_back(isMul ? v : 1.0);
        f.c.push_back(isMul ? 0.0 : v);
      }
      std::string reason;
      if (failed(foldInto(producer, f, reason)))
        continue;
      op->getResult(0).replaceAllUsesWith(producer->getResult(0));
      op->erase();
      return true;
    }
    return false;
  }

  void foldOne(qnn::BatchNormOp bn) {
    auto scale = constantValue(bn.getScale()), bias = constantValue(bn.getBias()),
         mean = constantValue(bn.getMean()), var = constantValue(bn.getVariance());
    if (!scale || !bias || !mean || !var) {
      bn.emitRemark("batch norm not folded: its parameters are not constants");
      return;
    }
    Affine f;
    double eps = bn.getEpsilon().convertToDouble();
    for (int64_t i = 0; i < scale->numElements(); ++i) {
      double a = scale->getAsDouble(i) / std::sqrt(var->getAsDouble(i) + eps);
      f.a.push_back(a);
      f.c.push_back(bias->getAsDouble(i) - mean->getAsDouble(i) * a);
    }
    std::string reason;
    Operation *producer = bn.getInput().getDefiningOp();
    if (!producer)
      reason = "its input is a function argument";
    else if (!isa<qnn::ConvOp, qnn::ConvTransposeOp, qnn::GemmOp>(producer))
      reason = "'" + producer->getName().getStringRef().str() + "' cannot absorb it";
    else if (!producer->getResult(0).hasOneUse())
      reason = "the producer's result has other users";
    else if (producer->getAttr("activation"))
      reason = "the producer already applies an activation";
    else if (auto conv = dyn_cast<qnn::ConvOp>(producer); conv && conv.getResidual())
      reason = "the convolution already adds a residual";
    else if (failed(foldInto(producer, f, reason)))
      ; // reason set
    else {
      bn.getResult().replaceAllUsesWith(producer->getResult(0));
      bn.erase();
      return;
    }
    bn.emitRemark() << "batch norm not folded into its producer: " << reason
                    << "; rewritten as a per-channel multiply-add";
    rewriteAsMulAdd(bn, f);
  }

  /// Scales a conv's or conv_transpose's weights per output channel
  /// (`channelOf(w, i)` names the channel of weight element i) and gives it
  /// the folded bias.
  template <typename ConvLike, typename ChannelOf>
  LogicalResult foldIntoConv(ConvLike conv, const Affine &f, std::string &reason,
                             ChannelOf channelOf) {
    auto w = constantValue(conv.getWeight());
    auto bias = conv.getBias() ? constantValue(conv.getBias()) : std::optional<Tensor>();
    if (!w || (conv.getBias() && !bias)) {
      reason = "the convolution's weights or bias are not constants";
      return failure();
    }
    bool scales = llvm::any_of(f.a, [](double a) { return a != 1.0; });
    Tensor nw = scales ? w->clone() : *w;
    for (int64_t i = 0; scales && i < nw.numElements(); ++i)
      nw.setFromDouble(i, nw.getAsDouble(i) * f.a[channelOf(nw, i)]);
    int64_t channels = f.a.size();
    Tensor nb(nw.dtype(), {channels});
    for (int64_t o = 0; o < channels; ++o)
      nb.setFromDouble(o, (bias ? bias->getAsDouble(o) : 0.0) * f.a[o] + f.c[o]);
    OpBuilder b(conv);
    if (scales) // a shift alone leaves the weights as they are
      conv.getWeightMutable().assign(makeConstant(b, conv.getLoc(), nw, "folded_weight"));
    Value newBias = makeConstant(b, conv.getLoc(), nb, "folded_bias");
    if (conv.getBias())
      conv.getBiasMutable().assign(newBias);
    else
      conv.getBiasMutable().append(newBias);
    return success();
  }

  /// Scales `producer`'s weights and bias in place. Fails with `reason` when
  /// they are not constants the pass can rewrite.
  LogicalResult foldInto(Operation *producer, const Affine &f, std::string &reason) {
    OpBuilder b(producer);
    Location loc = producer->getLoc();
    auto eltType = cast<RankedTensorType>(producer->getResult(0).getType()).getElementType();
    if (!eltType.isF32() && !eltType.isF64()) {
      reason = "only f32 and f64 weights are folded";
      return failure();
    }
    int64_t channels = f.a.size();
    if (auto conv = dyn_cast<qnn::ConvOp>(producer)) {
      // Weights O x I/g x k: output channel o owns a contiguous block.
      return foldIntoConv(conv, f, reason, [](const Tensor &w, int64_t i) {
        return i / (w.numElements() / w.dim(0));
      });
    }
    if (auto conv = dyn_cast<qnn::ConvTransposeOp>(producer)) {
      // Weights I x O/g x k: element (r, j, s) feeds output channel
      // g * O/g + j, with group g = r / (I/g).
      int64_t group = conv.getGroup();
      return foldIntoConv(conv, f, reason, [group](const Tensor &w, int64_t i) {
        int64_t og = w.dim(1), k = w.numElements() / (w.dim(0) * og), ig = w.dim(0) / group;
        int64_t r = i / (og * k), j = (i / k) % og;
        return (r / ig) * og + j;
      });
    }
    auto gemm = cast<qnn::GemmOp>(producer);
    auto w = constantValue(gemm.getB());
    auto c = gemm.getC() ? constantValue(gemm.getC()) : std::optional<Tensor>();
    if (!w || (gemm.getC() && !c)) {
      reason = "the gemm's B or C are not constants";
      return failure();
    }
    // Only a C that is the same for every row folds into a per-column shift.
    if (c && c->rank() > 1 && c->dim(0) != 1) {
      reason = "the gemm's C varies along rows";
      return failure();
    }
    // Output column n is scaled: B is K x N, or N x K with trans_b.
    Tensor nw = w->clone();
    int64_t rows = nw.dim(0), cols = nw.dim(1);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t col = 0; col < cols; ++col)
        nw.setFromDouble(r * cols + col, nw.getAsDouble(r * cols + col) *
                                             f.a[gemm.getTransB() ? r : col]);
    double beta = gemm.getBeta().convertToDouble();
    Tensor nc(nw.dtype(), {channels});
    for (int64_t n = 0; n < channels; ++n) {
      double cv = c ? c->getAsDouble(c->numElements() == 1 ? 0 : n) : 0.0;
      nc.setFromDouble(n, beta * cv * f.a[n] + f.c[n]);
    }
    gemm.getBMutable().assign(makeConstant(b, loc, nw, "folded_weight"));
    Value newC = makeConstant(b, loc, nc, "folded_bias");
    if (gemm.getC())
      gemm.getCMutable().assign(newC);
    else
      gemm.getCMutable().append(newC);
    gemm.setBeta(APFloat(1.0f));
    return success();
  }

  /// y = x * a + c with a and c shaped C x 1 x ... x 1.
  void rewriteAsMulAdd(qnn::BatchNormOp bn, const Affine &f) {
    OpBuilder b(bn);
    auto type = bn.getInput().getType();
    auto dtype = ref::dtypeFromType(type.getElementType());
    if (!dtype) {
      llvm::consumeError(dtype.takeError());
      return;
    }
    SmallVector<int64_t> shape(type.getRank() - 1, 1);
    shape[0] = f.a.size();
    Tensor a(*dtype, shape), c(*dtype, shape);
    for (size_t i = 0; i < f.a.size(); ++i) {
      a.setFromDouble(i, f.a[i]);
      c.setFromDouble(i, f.c[i]);
    }
    Location loc = bn.getLoc();
    Value mul =
        qnn::MulOp::create(b, loc, type, bn.getInput(), makeConstant(b, loc, a, "bn_scale"));
    Value add =
        qnn::AddOp::create(b, loc, type, mul, makeConstant(b, loc, c, "bn_shift"), nullptr, nullptr);
    bn.getResult().replaceAllUsesWith(add);
    bn.erase();
  }
};

} // namespace
