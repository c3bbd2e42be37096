//===- DynamicQuantize.cpp - Run-time activation quantization --*- C++ -*-===//
//
// Rewrites matmul/gemm with constant weights into ops that quantize the
// activation when the model runs. Everything is expressed with existing qnn
// ops, so the CPU reference and any later lowering compute the same program
// step by step: the integer product is exact, the float steps are spelled
// out in order.
//
//===----------------------------------------------------------------------===//

#include "QuantSupport.h"
#include "qopt/Dialect/QNN/QNNOps.h"
#include "qopt/Reference/Executor.h"
#include "qopt/Reference/Kernels.h"
#include "qopt/Transforms/Passes.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"

namespace qopt {
#define GEN_PASS_DEF_DYNAMICQUANTIZEPASS
#include "qopt/Transforms/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;
namespace mq = mlir::quant;

namespace {

RankedTensorType tensorType(Value v) { return cast<RankedTensorType>(v.getType()); }

class DynamicQuantizePass : public qopt::impl::DynamicQuantizePassBase<DynamicQuantizePass> {
public:
  using DynamicQuantizePassBase::DynamicQuantizePassBase;

  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<qnn::MatMulOp, qnn::GemmOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops)
      if (std::string why = rewrite(op); !why.empty())
        op->emitRemark() << "kept in float: " << why;
  }

private:
  /// Quantizes `op`, or says why not.
  std::string rewrite(Operation *op) {
    StringRef name = qdq::nodeName(op);
    StringRef opName = op->getName().getStringRef();
    for (const std::string &e : exclude)
      if (e == name || e == opName || (opName.consume_front("qnn.") && e == opName))
        return "excluded by --exclude " + e;
    if (op->getAttr("activation"))
      return "a fused activation (run qopt-dynamic-quantize before qopt-fuse-activations)";
    Value x = op->getOperand(0), w = op->getOperand(1), bias;
    bool transB = false;
    if (auto g = dyn_cast<qnn::GemmOp>(op)) {
      if (g.getAlpha().convertToDouble() != 1.0 || g.getBeta().convertToDouble() != 1.0)
        return "gemm with alpha or beta other than 1";
      if (g.getTransA())
        return "gemm with a transposed A";
      transB = g.getTransB();
      bias = g.getC();
    }
    auto wc = w.getDefiningOp<qnn::ConstantOp>();
    if (!wc)
      return "the weights are not a constant";
    RankedTensorType xt = tensorType(x), wt = tensorType(w);
    if (!xt.getElementType().isF32() || !wt.getElementType().isF32())
      return "only f32 matmuls are quantized";
    if (wt.getRank() != 2 || xt.getRank() < 1)
      return "weights must be a matrix";
    auto weights = ref::tensorFromAttr(wc.getValue());
    if (!weights)
      return llvm::toString(weights.takeError());
    if (transB) {
      auto t = ref::transpose(*weights, {1, 0});
      if (!t)
        return llvm::toString(t.takeError());
      weights = std::move(*t);
    }
    int64_t n = weights->dim(1);
    auto q = qdq::quantizeWeights(op->getContext(), *weights, 1);
    if (!q)
      return llvm::toString(q.takeError());
    if (perRow && xt.getRank() < 2)
      return "per-row scales need a matrix activation";

    OpBuilder b(op);
    Location loc = op->getLoc();
    MLIRContext *ctx = op->getContext();
    Type f32 = Float32Type::get(ctx);
    auto scalar = [&](float v, StringRef hint) {
      ref::Tensor t(ref::DType::F32, {});
      t.data<float>()[0] = v;
      return qnn::ConstantOp::create(b, loc, ref::attrFromTensor(ctx, t, hint)).getResult();
    };
    // s = max(reduce_max(|x|) / 127, tiny): the per-tensor or per-row scale.
    Value absX = qnn::AbsOp::create(b, loc, xt, x);
    SmallVector<int64_t> axes;
    SmallVector<int64_t> sShape;
    if (perRow) {
      axes.push_back(xt.getRank() - 1);
      sShape.assign(xt.getShape().begin(), xt.getShape().end());
      sShape.back() = 1;
    } else {
      for (int64_t i = 0; i < xt.getRank(); ++i)
        axes.push_back(i);
    }
    auto sType = RankedTensorType::get(sShape, f32);
    Value maxAbs = qnn::ReduceMaxOp::create(b, loc, sType, absX, b.getDenseI64ArrayAttr(axes),
                                            b.getBoolAttr(perRow));
    Value s127 = qnn::DivOp::create(b, loc, sType, maxAbs, scalar(127.0f, "dq.127"));
    Value s = qnn::MaxOp::create(b, loc, sType, s127, scalar(1e-30f, "dq.tiny"));
    // xq = clip(round(x / s), -127, 127) as int8 with a unit scale.
    Value div = qnn::DivOp::create(b, loc, xt, x, s);
    Value rounded = qnn::RoundOp::create(b, loc, xt, div);
    Value clipped = qnn::ClipOp::create(b, loc, xt, rounded, b.getF64FloatAttr(-127.0),
                                        b.getF64FloatAttr(127.0));
    Type i8 = IntegerType::get(ctx, 8);
    Value xi = qnn::CastOp::create(b, loc, xt.clone(i8), clipped);
    unsigned sign = (unsigned)mq::QuantizationFlags::Signed;
    auto unit8 = mq::UniformQuantizedType::get(sign, i8, f32, 1.0, 0, -127, 127);
    Value xq = mq::StorageCastOp::create(b, loc, xt.clone(unit8), xi);
    // The weights, int8 per column, carried with a unit scale; their real
    // scales join the activation's in the f32 rescale.
    auto wAttr = ref::attrFromTensor(ctx, q->storage, (name + ".dq_weight").str());
    Value wi = qnn::ConstantOp::create(b, loc, wAttr);
    auto wUnit = RankedTensorType::get(weights->shape(), unit8);
    Value wq = mq::StorageCastOp::create(b, loc, wUnit, wi);
    auto acc32 = mq::UniformQuantizedType::get(sign, IntegerType::get(ctx, 32), f32, 1.0, 0,
                                               INT32_MIN, INT32_MAX);
    auto outShape = tensorType(op->getResult(0)).getShape();
    auto accType = RankedTensorType::get(outShape, acc32);
    Value acc = qnn::MatMulOp::create(b, loc, TypeRange{accType}, ValueRange{xq, wq});
    Value accI = mq::StorageCastOp::create(b, loc, RankedTensorType::get(outShape, IntegerType::get(ctx, 32)), acc);
    auto yType = RankedTensorType::get(outShape, f32);
    Value accF = qnn::CastOp::create(b, loc, yType, accI);
    // y = (acc * s) * s_w + bias: every operand exists before the product,
    // so a tensor-core kernel applies the whole rescale in its epilogue
    // (acc * (s * s_w) would need s * s_w computed by a kernel of its own).
    ref::Tensor sw(ref::DType::F32, {n});
    auto perAxis = cast<mq::UniformQuantizedPerAxisType>(q->type);
    for (int64_t j = 0; j < n; ++j)
      sw.data<float>()[j] = (float)perAxis.getScales()[j];
    Value swC = qnn::ConstantOp::create(b, loc, ref::attrFromTensor(ctx, sw, (name + ".dq_scale").str()));
    Value y = qnn::MulOp::create(b, loc, yType, accF, s);
    y = qnn::MulOp::create(b, loc, yType, y, swC);
    if (bias)
      y = qnn::AddOp::create(b, loc, TypeRange{yType}, ValueRange{y, bias});
    if (failed(verify(y.getDefiningOp())))
      return "internal: the rewritten ops do not verify";
    op->getResult(0).replaceAllUsesWith(y);
    op->erase();
    return "";
  }

  static LogicalResult verify(Operation *last) {
    // Each created op verifies on its own; a shape slip is a compiler bug
    // better caught here than by the executor.
    for (Operation *op = last; op; op = op->getPrevNode()) {
      if (failed(mlir::verify(op)))
        return failure();
      if (isa<qnn::AbsOp>(op))
        break;
    }
    return success();
  }
};

} // namespace
