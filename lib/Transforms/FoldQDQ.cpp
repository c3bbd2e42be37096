//===- FoldQDQ.cpp - Dequantize -> op -> quantize to integer ops -*- C++ -*-===//
//
// Works on any Q/DQ graph, ours or an imported pre-quantized model: every
// integer form is checked against what the integer kernels accept, and an
// op that cannot fold stays float between its casts with a remark.
//
//===----------------------------------------------------------------------===//

#include "QuantSupport.h"
#include "qopt/Dialect/QNN/QNNOps.h"
#include "qopt/Reference/Executor.h"
#include "qopt/Reference/QuantizedOps.h"
#include "qopt/Quant/Arithmetic.h"
#include "qopt/Transforms/Passes.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

namespace qopt {
#define GEN_PASS_DEF_FOLDQDQPASS
#include "qopt/Transforms/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

using mlir::quant::DequantizeCastOp;
using mlir::quant::QuantizeCastOp;
using mlir::quant::QuantizedType;
using mlir::quant::StorageCastOp;
using mlir::quant::UniformQuantizedPerAxisType;
using mlir::quant::UniformQuantizedType;

Type elementOf(Value v) { return getElementTypeOrSelf(v.getType()); }

bool is8Bit(Type t) {
  auto q = dyn_cast<QuantizedType>(t);
  return q && q.getStorageTypeIntegralWidth() == 8;
}

/// Scale of channel c of a per-tensor or per-axis type.
double scaleOf(Type t, int64_t c) {
  if (auto u = dyn_cast<UniformQuantizedType>(t))
    return u.getScale();
  auto a = cast<UniformQuantizedPerAxisType>(t);
  return a.getScales()[c];
}

/// Checks the quantized operand types of an integer form against what the
/// kernels accept; returns why not, or "".
std::string operandObstacle(Operation *op, ArrayRef<Type> q) {
  auto perTensor8 = [](Type t) { return is8Bit(t) && isa<UniformQuantizedType>(t); };
  auto weightOk = [](Type t, int64_t axis) {
    if (!is8Bit(t))
      return false;
    if (auto a = dyn_cast<UniformQuantizedPerAxisType>(t))
      return a.getQuantizedDimension() == axis;
    return true;
  };
  return llvm::TypeSwitch<Operation *, std::string>(op)
      .Case([&](qnn::ConvOp) -> std::string {
        if (!perTensor8(q[0]) || !weightOk(q[1], 0))
          return "conv needs an 8-bit per-tensor input and 8-bit weights per tensor or axis 0";
        return "";
      })
      .Case([&](qnn::ConvTransposeOp) -> std::string {
        if (!perTensor8(q[0]) || !weightOk(q[1], 1))
          return "conv_transpose needs an 8-bit per-tensor input and 8-bit weights per tensor "
                 "or axis 1";
        return "";
      })
      .Case([&](qnn::MatMulOp m) -> std::string {
        int64_t last = cast<RankedTensorType>(m.getRhs().getType()).getRank() - 1;
        if (!perTensor8(q[0]) || !weightOk(q[1], last))
          return "matmul needs an 8-bit per-tensor A and B per tensor or per column";
        return "";
      })
      .Case([&](qnn::GemmOp g) -> std::string {
        if (!perTensor8(q[0]) || !weightOk(q[1], g.getTransB() ? 0 : 1))
          return "gemm needs an 8-bit per-tensor A and B per tensor or along N";
        return "";
      })
      .Default([&](Operation *) -> std::string {
        for (Type t : q)
          if (t && !perTensor8(t))
            return "operands must be 8-bit per tensor";
        return "";
      });
}

class FoldQDQPass : public qopt::impl::FoldQDQPassBase<FoldQDQPass> {
public:
  using FoldQDQPassBase::FoldQDQPassBase;

  void runOnOperation() override {
    SmallVector<Operation *> candidates;
    getOperation().walk([&](Operation *op) {
      if (qdq::classify(op) != qdq::OpClass::None)
        candidates.push_back(op);
    });
    collapseStorageRoundTrips();
    llvm::DenseSet<Operation *> erased;
    SmallVector<DequantizeCastOp> dcasts;
    getOperation().walk([&](DequantizeCastOp d) { dcasts.push_back(d); });
    for (DequantizeCastOp d : dcasts)
      while (foldRegion(d, erased)) {
      }
    for (Operation *op : candidates) {
      if (erased.contains(op))
        continue;
      fold(op);
    }
    foldCastPairs();
    dequantizeConstants();
    eraseDeadCasts();
  }

private:
  /// The int32 bias of a conv/gemm: real bias over s_x * s_w[c], rounded half
  /// to even and saturated (a saturated entry is reported). `channels` is the
  /// output-channel count; a gemm C of 1 or N elements becomes N values, since
  /// per-column weight scales give each column its own integer bias.
  FailureOr<Value> quantizeBias(Operation *op, Value bias, Type xType, Type wType,
                                int64_t channels, OpBuilder &b) {
    auto c = bias.getDefiningOp<qnn::ConstantOp>();
    if (!c)
      return failure();
    auto t = ref::tensorFromAttr(c.getValue());
    if (!t || t->dtype() != ref::DType::F32) {
      if (!t)
        llvm::consumeError(t.takeError());
      return failure();
    }
    SmallVector<int64_t> shape(t->shape());
    if (t->numElements() == 1 || t->numElements() == channels)
      shape = {channels};
    else if (t->numElements() % channels)
      return failure();
    double sx = cast<UniformQuantizedType>(xType).getScale();
    // Per-axis weights hold one scale per output channel, or, for a grouped
    // conv_transpose (axis 1), one per output channel of a group.
    auto perAxisW = dyn_cast<UniformQuantizedPerAxisType>(wType);
    int64_t wScales = perAxisW ? (int64_t)perAxisW.getScales().size() : 1;
    if (channels % wScales)
      return failure();
    ref::Tensor q(ref::DType::I32, shape);
    int64_t saturated = 0;
    for (int64_t i = 0; i < q.numElements(); ++i) {
      int64_t ch = i % channels;
      double real = t->data<float>()[t->numElements() == 1 ? 0 : i];
      double v = std::nearbyint(real / (sx * scaleOf(wType, ch % wScales)));
      if (v > INT32_MAX || v < INT32_MIN) {
        ++saturated;
        v = std::clamp(v, (double)INT32_MIN, (double)INT32_MAX);
      }
      q.data<int32_t>()[i] = (int32_t)v;
    }
    if (saturated)
      op->emitRemark() << saturated << " bias values saturated to int32";
    auto cst = qnn::ConstantOp::create(
        b, c.getLoc(),
        ref::attrFromTensor(b.getContext(), q, (qdq::nodeName(op) + ".bias_i32").str()));
    return cst.getResult();
  }

  /// Imported models pass quantized values between ops as plain integers:
  /// scast to storage, a bit-preserving uint8 <-> int8 cast or two, and scast
  /// back. A round trip to the same type is the original value.
  void collapseStorageRoundTrips() {
    SmallVector<StorageCastOp> casts;
    getOperation().walk([&](StorageCastOp c) {
      if (isa<QuantizedType>(elementOf(c.getResult())))
        casts.push_back(c);
    });
    for (StorageCastOp c : casts) {
      Value v = c.getInput();
      while (auto cast = v.getDefiningOp<qnn::CastOp>()) {
        auto from = dyn_cast<IntegerType>(elementOf(cast.getInput()));
        auto to = dyn_cast<IntegerType>(elementOf(cast.getOutput()));
        if (!from || !to || from.getWidth() != to.getWidth())
          break;
        v = cast.getInput();
      }
      auto back = v.getDefiningOp<StorageCastOp>();
      if (back && back.getInput().getType() == c.getResult().getType())
        c.getResult().replaceAllUsesWith(back.getInput());
    }
  }

  /// An imported int32 bias: dcast of an i32 quantized value whose scale is
  /// s_x * s_w (checked to 1e-6 relative, as ONNX requires it).
  Value importedBias(Operation *op, Value bias, Type xType, Type wType) {
    auto d = bias.getDefiningOp<DequantizeCastOp>();
    if (!d)
      return {};
    Type bt = elementOf(d.getInput());
    auto q = dyn_cast<QuantizedType>(bt);
    if (!q || q.getStorageTypeIntegralWidth() != 32 || !isa<UniformQuantizedType>(xType))
      return {};
    int64_t n = cast<RankedTensorType>(bias.getType()).getNumElements();
    double sx = cast<UniformQuantizedType>(xType).getScale();
    for (int64_t c = 0; c < n; ++c) {
      double want = sx * scaleOf(wType, isa<UniformQuantizedPerAxisType>(wType) ? c : 0);
      double have = scaleOf(bt, isa<UniformQuantizedPerAxisType>(bt) ? c : 0);
      if (std::abs(have - want) > 1e-6 * want) {
        op->emitRemark() << "bias scale " << have << " of channel " << c
                         << " is not input scale x weight scale " << want;
        return {};
      }
    }
    if (auto u = dyn_cast<UniformQuantizedType>(bt); u && u.getZeroPoint() != 0)
      return {};
    if (auto a = dyn_cast<UniformQuantizedPerAxisType>(bt);
        a && llvm::any_of(a.getZeroPoints(), [](int64_t z) { return z != 0; }))
      return {};
    return d.getInput();
  }

  /// dcast -> elementwise region (qdq::TableRegion: ops computing one value
  /// from the dcast's alone) -> qcast becomes one qnn.lut whose table is the
  /// region evaluated on every input code and quantized once. A region of
  /// one op on an 8-bit input keeps that op's own integer form.
  bool foldRegion(DequantizeCastOp d, llvm::DenseSet<Operation *> &erased) {
    auto inType = dyn_cast<UniformQuantizedType>(elementOf(d.getInput()));
    bool wide = inType && inType.getStorageTypeIntegralWidth() == 16;
    if (!inType || (!is8Bit(inType) && !wide))
      return false;
    // A 16-bit input has no per-op integer form: even a single table op
    // becomes a lut.
    std::optional<qdq::TableRegion> region = qdq::tableRegion(d.getResult(), wide ? 1 : 2);
    if (!region)
      return false;
    // The region ends where its value is quantized.
    Value r = region->output;
    if (!r.hasOneUse() || !isa<QuantizeCastOp>(*r.getUsers().begin()))
      return false;
    ArrayRef<Operation *> chain = region->ops;
    Operation *head = chain.front();
    auto q = cast<QuantizeCastOp>(*r.getUsers().begin());
    auto outType = dyn_cast<UniformQuantizedType>(elementOf(q));
    if (!outType || !is8Bit(outType))
      return false;
    auto inDType = ref::storageDTypeOf(inType);
    auto inParams = ref::quantParamsOf(inType);
    auto outParams = ref::quantParamsOf(outType);
    if (!inDType || !inParams || !outParams) {
      llvm::consumeError(inDType.takeError());
      llvm::consumeError(inParams.takeError());
      llvm::consumeError(outParams.takeError());
      return false;
    }
    int64_t qmin = inType.getStorageTypeMin();
    int64_t entries = inType.getStorageTypeMax() - qmin + 1;
    ref::Tensor codes(*inDType, {entries});
    for (int64_t i = 0; i < entries; ++i)
      codes.setFromDouble(i, (double)(qmin + i));
    auto values = ref::dequantizeTensor(codes, *inParams);
    if (values)
      values = qdq::evaluateRegion(*region, d.getResult(), *values);
    if (!values) {
      head->emitRemark() << "chain not folded into a table: " << llvm::toString(values.takeError());
      return false;
    }
    ref::Tensor table(ref::DType::I8, {entries});
    for (int64_t i = 0; i < entries; ++i) {
      int32_t v = qopt::quant::quantize(values->data<float>()[i], (float)outType.getScale(),
                                        (int32_t)outType.getZeroPoint(),
                                        (int32_t)outType.getStorageTypeMin(),
                                        (int32_t)outType.getStorageTypeMax());
      table.data<int8_t>()[i] = (int8_t)v; // the output's storage bits
    }
    OpBuilder b(q);
    std::string hint = (qdq::nodeName(head) + ".table").str();
    Value t = qnn::ConstantOp::create(b, head->getLoc(),
                                      ref::attrFromTensor(b.getContext(), table, hint));
    // The table produces the chain's last value, and is named after it.
    auto lut = qnn::LutOp::create(b, chain.back()->getLoc(), q.getType(), d.getInput(), t);
    q.getResult().replaceAllUsesWith(lut.getResult());
    q.erase();
    for (Operation *step : llvm::reverse(chain)) {
      erased.insert(step);
      step->erase();
    }
    return true;
  }

  void fold(Operation *op) {
    // The quantized source of every float operand but the bias.
    SmallVector<Value> sources(op->getNumOperands());
    SmallVector<Type> qtypes(op->getNumOperands());
    bool anyCast = false;
    std::string why;
    for (auto [i, v] : llvm::enumerate(op->getOperands())) {
      if (!isa<FloatType>(elementOf(v)))
        continue;
      if (qdq::isBiasOperand(op, i))
        continue;
      if (auto d = v.getDefiningOp<DequantizeCastOp>()) {
        sources[i] = d.getInput();
        qtypes[i] = elementOf(d.getInput());
        anyCast = true;
      } else if (why.empty()) {
        why = "operand " + std::to_string(i) + " is not dequantized";
      }
    }
    Value r = op->getResult(0);
    QuantizeCastOp out = r.hasOneUse() ? dyn_cast<QuantizeCastOp>(*r.getUsers().begin())
                                       : QuantizeCastOp();
    if (!anyCast && !out)
      return; // a float op untouched by quantization
    if (why.empty() && !out)
      why = "its result is not quantized by a single quant.qcast";
    if (why.empty() && !isa<UniformQuantizedType>(elementOf(out)))
      why = "its result is quantized per axis";
    if (why.empty())
      why = qdq::integerFormObstacle(op);
    if (why.empty())
      why = operandObstacle(op, qtypes);
    OpBuilder b(op);
    IRMapping map;
    if (why.empty())
      for (auto [i, v] : llvm::enumerate(op->getOperands())) {
        if (sources[i]) {
          map.map(v, sources[i]);
          continue;
        }
        if (!qdq::isBiasOperand(op, i) || !isa<FloatType>(elementOf(v)))
          continue;
        if (Value imported = importedBias(op, v, qtypes[0], qtypes[1])) {
          map.map(v, imported);
          continue;
        }
        auto outShape = cast<RankedTensorType>(r.getType()).getShape();
        int64_t channels = isa<qnn::GemmOp>(op) ? outShape.back() : outShape[1];
        auto q = quantizeBias(op, v, qtypes[0], qtypes[1], channels, b);
        if (failed(q)) {
          why = "the bias is neither a float constant nor an int32 value scaled by s_x * s_w";
          break;
        }
        map.map(v, *q);
      }
    if (!why.empty()) {
      if (anyCast || out)
        op->emitRemark() << "'" << op->getName().getStringRef() << "' stays float: " << why;
      return;
    }
    Operation *integer = b.clone(*op, map);
    integer->getResult(0).setType(out.getType());
    out.getResult().replaceAllUsesWith(integer->getResult(0));
    out.erase();
    op->erase();
  }

  /// qcast(dcast(q)) is q, or a requantize between per-tensor types.
  void foldCastPairs() {
    SmallVector<QuantizeCastOp> casts;
    getOperation().walk([&](QuantizeCastOp q) { casts.push_back(q); });
    for (QuantizeCastOp q : casts) {
      auto d = q.getInput().getDefiningOp<DequantizeCastOp>();
      if (!d)
        continue;
      Value src = d.getInput();
      if (src.getType() == q.getType()) {
        q.getResult().replaceAllUsesWith(src);
        q.erase();
        continue;
      }
      Type from = elementOf(src), to = elementOf(q);
      if (isa<UniformQuantizedType>(from) && isa<UniformQuantizedType>(to) && is8Bit(from) &&
          is8Bit(to)) {
        OpBuilder b(q);
        auto rq = qnn::RequantizeOp::create(b, q.getLoc(), q.getType(), src);
        q.getResult().replaceAllUsesWith(rq.getResult());
        q.erase();
      }
    }
  }

  /// Quantized constants that only float ops read (an imported model's
  /// batch-norm parameters, a float layer's weights) become float constants,
  /// so graph passes see constants again.
  void dequantizeConstants() {
    SmallVector<DequantizeCastOp> casts;
    getOperation().walk([&](DequantizeCastOp d) { casts.push_back(d); });
    for (DequantizeCastOp d : casts) {
      auto s = d.getInput().getDefiningOp<StorageCastOp>();
      auto c = s ? s.getInput().getDefiningOp<qnn::ConstantOp>() : qnn::ConstantOp();
      if (!c)
        continue;
      auto storage = ref::tensorFromAttr(c.getValue());
      auto params = ref::quantParamsOf(elementOf(d.getInput()));
      if (!storage || !params) {
        llvm::consumeError(storage.takeError());
        llvm::consumeError(params.takeError());
        continue;
      }
      auto dtype = ref::storageDTypeOf(elementOf(d.getInput()));
      if (!dtype) {
        llvm::consumeError(dtype.takeError());
        continue;
      }
      auto real = ref::dequantizeTensor(storage->bitcast(*dtype), *params);
      if (!real || !cast<RankedTensorType>(d.getType()).getElementType().isF32()) {
        if (!real)
          llvm::consumeError(real.takeError());
        continue;
      }
      OpBuilder b(d);
      auto f = qnn::ConstantOp::create(
          b, d.getLoc(), ref::attrFromTensor(b.getContext(), *real, "dequantized"));
      d.getResult().replaceAllUsesWith(f.getResult());
      d.erase();
    }
  }

  void eraseDeadCasts() {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) { ops.push_back(op); });
    for (Operation *op : llvm::reverse(ops))
      if (op->use_empty() &&
          isa<DequantizeCastOp, QuantizeCastOp, StorageCastOp, qnn::ConstantOp>(op))
        op->erase();
  }
};

} // namespace
