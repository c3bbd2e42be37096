//===- QuantSupport.cpp - Shared pieces of the quantization passes -*- C++ -*-===//

#include "QuantSupport.h"
#include "qopt/Dialect/QNN/QNNOps.h"
#include "qopt/Reference/Executor.h"
#include "qopt/Reference/IntegerKernels.h"
#include "qopt/Reference/QuantizedOps.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace qopt;
using namespace qopt::qdq;

StringRef qdq::nodeName(Operation *op) {
  if (auto n = dyn_cast<NameLoc>(op->getLoc()))
    return n.getName().strref();
  if (auto f = dyn_cast<FusedLoc>(op->getLoc()))
    for (Location l : f.getLocations())
      if (auto n = dyn_cast<NameLoc>(l))
        return n.getName().strref();
  return "";
}

OpClass qdq::classify(Operation *op) {
  return llvm::TypeSwitch<Operation *, OpClass>(op)
      .Case<qnn::ConvOp, qnn::ConvTransposeOp, qnn::MatMulOp, qnn::GemmOp, qnn::AddOp,
            qnn::MulOp, qnn::AvgPoolOp, qnn::GlobalAvgPoolOp>([](auto) { return OpClass::Compute; })
      .Case<qnn::HardSwishOp, qnn::HardSigmoidOp, qnn::SigmoidOp, qnn::TanhOp, qnn::LeakyReluOp>(
          [](auto) { return OpClass::Table; })
      .Case<qnn::MaxPoolOp, qnn::GlobalMaxPoolOp, qnn::ReshapeOp, qnn::TransposeOp, qnn::SliceOp,
            qnn::PadOp, qnn::ReluOp, qnn::ClipOp, qnn::ResizeOp, qnn::ConcatOp>(
          [](auto) { return OpClass::SameScale; })
      .Default([](Operation *) { return OpClass::None; });
}

/// Ops a table region may hold: unary ops with a table form, relu and clip,
/// the arithmetic, min/max and comparison binaries (no fused activation), and
/// where.
static bool isRegionStep(Operation *op) {
  if (op->getNumResults() != 1 || op->getAttr("activation"))
    return false;
  return ref::isTableUnary(op) || isa<qnn::ReluOp, qnn::ClipOp, qnn::WhereOp>(op) ||
         ref::binaryKindOf(op).has_value();
}

/// A single-element constant.
static bool isScalarConstant(Value v) {
  auto c = v.getDefiningOp<qnn::ConstantOp>();
  return c && cast<RankedTensorType>(c.getType()).getNumElements() == 1;
}

std::optional<TableRegion> qdq::tableRegion(Value x, size_t minOps, Operation *member) {
  auto xt = dyn_cast<RankedTensorType>(x.getType());
  if (!xt || !isa<FloatType>(xt.getElementType()) || x.getDefiningOp<qnn::ConstantOp>())
    return std::nullopt;
  // Every op after x's definition whose operands are x, results of ops
  // already taken, or scalar constants (at least one not a constant), of
  // x's shape: in program order, which is an order of evaluation.
  Block *block = x.getParentBlock();
  Operation *def = x.getDefiningOp();
  llvm::SetVector<Operation *> taken;
  llvm::DenseSet<Value> computed{x};
  for (Operation &op : def ? llvm::make_range(std::next(def->getIterator()), block->end())
                           : llvm::make_range(block->begin(), block->end())) {
    if (!isRegionStep(&op))
      continue;
    auto rt = dyn_cast<RankedTensorType>(op.getResult(0).getType());
    if (!rt || rt.getShape() != xt.getShape())
      continue;
    bool fed = false, ok = true;
    for (Value v : op.getOperands()) {
      if (computed.contains(v))
        fed = true;
      else if (!isScalarConstant(v))
        ok = false;
    }
    if (!ok || !fed)
      continue;
    taken.insert(&op);
    computed.insert(op.getResult(0));
  }
  // The region ends in one value: the latest op whose result is a float all
  // of whose own inputs are used only inside the ops it depends on.
  for (Operation *last : llvm::reverse(taken)) {
    if (!isa<FloatType>(getElementTypeOrSelf(last->getResult(0).getType())))
      continue;
    llvm::SetVector<Operation *> deps;
    SmallVector<Operation *> work{last};
    while (!work.empty()) {
      Operation *op = work.pop_back_val();
      if (!deps.insert(op))
        continue;
      for (Value v : op->getOperands())
        if (Operation *d = v.getDefiningOp(); d && taken.contains(d))
          work.push_back(d);
    }
    if (deps.size() < minOps || (member && !deps.contains(member)))
      continue;
    bool closed = llvm::all_of(deps, [&](Operation *op) {
      return op == last || llvm::all_of(op->getUsers(), [&](Operation *u) {
               return deps.contains(u);
             });
    });
    if (!closed)
      continue;
    TableRegion r;
    r.root = x;
    r.output = last->getResult(0);
    for (Operation *op : taken)
      if (deps.contains(op))
        r.ops.push_back(op);
    return r;
  }
  return std::nullopt;
}

llvm::Expected<ref::Tensor> qdq::evaluateRegion(const TableRegion &region, Value x,
                                          const ref::Tensor &values) {
  llvm::DenseMap<Value, ref::Tensor> at;
  at.try_emplace(x, values);
  ArrayRef<int64_t> shape = values.shape();
  for (Operation *op : region.ops) {
    SmallVector<ref::Tensor> in;
    for (Value v : op->getOperands()) {
      if (auto it = at.find(v); it != at.end()) {
        in.push_back(it->second);
        continue;
      }
      auto c = v.getDefiningOp<qnn::ConstantOp>();
      auto k = ref::tensorFromAttr(c.getValue());
      if (!k)
        return k.takeError();
      in.push_back(k->reshaped({}));
    }
    llvm::Expected<ref::Tensor> out = [&]() -> llvm::Expected<ref::Tensor> {
      if (auto k = ref::binaryKindOf(op))
        return ref::binary(*k, in[0], in[1], shape);
      if (isa<qnn::WhereOp>(op))
        return ref::where(in[0], in[1], in[2], shape);
      return ref::applyElementwise(op, in[0]);
    }();
    if (!out)
      return out.takeError();
    at.insert_or_assign(op->getResult(0), std::move(*out));
  }
  return at.find(region.output)->second;
}

static int64_t spatialRank(Value v) { return cast<RankedTensorType>(v.getType()).getRank() - 2; }

std::string qdq::integerFormObstacle(Operation *op) {
  if (auto kind = op->getAttrOfType<qnn::ActivationAttr>("activation"))
    if (kind.getValue() != qnn::Activation::relu && kind.getValue() != qnn::Activation::clip)
      return "fused " + qnn::stringifyActivation(kind.getValue()).str() +
             " is not a clamp (run qopt-fuse-activations{clamps-only=1} before quantizing)";
  return llvm::TypeSwitch<Operation *, std::string>(op)
      .Case([](qnn::ConvOp c) -> std::string {
        if (c.getResidual())
          return "a fused residual add has no integer form (quantize before "
                 "qopt-fuse-residual-add)";
        if (spatialRank(c.getInput()) > 2)
          return "3-D convolutions have no integer kernel";
        return "";
      })
      .Case([](qnn::ConvTransposeOp c) -> std::string {
        return spatialRank(c.getInput()) > 2 ? "3-D transposed convolutions have no integer kernel"
                                             : "";
      })
      .Case([](qnn::GemmOp g) -> std::string {
        if (g.getAlpha().convertToDouble() != 1.0 || g.getBeta().convertToDouble() != 1.0)
          return "gemm with alpha or beta other than 1";
        if (Value c = g.getC()) {
          auto ct = cast<RankedTensorType>(c.getType());
          if (!c.getDefiningOp<qnn::ConstantOp>() &&
              !c.getDefiningOp<mlir::quant::DequantizeCastOp>())
            return "gemm's C is not a constant";
          (void)ct;
        }
        return "";
      })
      .Case([](qnn::AvgPoolOp p) -> std::string {
        return spatialRank(p.getInput()) > 2 ? "3-D average pooling has no integer kernel" : "";
      })
      .Case([](qnn::ConvOp) { return std::string(); })
      .Case([](qnn::ResizeOp r) -> std::string {
        return r.getMode() == qnn::ResizeMode::nearest ? "" : "only nearest resize is integer";
      })
      .Case([](qnn::MatMulOp m) -> std::string {
        if (m.getLhs().getDefiningOp<qnn::ConstantOp>())
          return "a constant left operand of matmul";
        return "";
      })
      .Default([](Operation *) { return std::string(); });
}

bool qdq::isBiasOperand(Operation *op, unsigned index) {
  if (auto c = dyn_cast<qnn::ConvOp>(op))
    return c.getBias() && index == 2;
  if (auto c = dyn_cast<qnn::ConvTransposeOp>(op))
    return c.getBias() && index == 2;
  if (auto g = dyn_cast<qnn::GemmOp>(op))
    return g.getC() && index == 2;
  return false;
}

std::optional<int64_t> qdq::weightAxis(Operation *op, unsigned index, bool perChannel) {
  if (isa<qnn::ConvOp>(op) && index == 1)
    return perChannel ? 0 : -1;
  if (auto c = dyn_cast<qnn::ConvTransposeOp>(op); c && index == 1)
    return perChannel && c.getGroup() == 1 ? 1 : -1;
  if (auto m = dyn_cast<qnn::MatMulOp>(op); m && index == 1)
    return perChannel ? cast<RankedTensorType>(m.getRhs().getType()).getRank() - 1 : -1;
  if (auto g = dyn_cast<qnn::GemmOp>(op); g && index == 1)
    return perChannel ? (g.getTransB() ? 0 : 1) : -1;
  return std::nullopt;
}

static double asF32(double s) { return (double)(float)s; }

mlir::quant::UniformQuantizedType qdq::activationType(MLIRContext *ctx, qopt::quant::Range range,
                                                const ActivationScheme &scheme) {
  double lo = std::min(range.min, 0.0), hi = std::max(range.max, 0.0);
  int64_t qmin = scheme.unsignedStorage ? 0 : -128, qmax = scheme.unsignedStorage ? 255 : 127;
  double scale;
  int64_t zero;
  if (scheme.symmetric) {
    double m = std::max(-lo, hi);
    scale = asF32(m > 0 ? m / 127.0 : 1.0);
    zero = 0;
  } else {
    scale = asF32(hi > lo ? (hi - lo) / 255.0 : 1.0);
    zero = (int64_t)std::nearbyint(qmin - lo / scale);
    zero = std::clamp(zero, qmin, qmax);
  }
  // A scale that underflows f32 (an all-zero tensor) still must be positive.
  if (!(scale > 0) || !std::isfinite(scale))
    scale = 1.0;
  return mlir::quant::UniformQuantizedType::get(
      scheme.unsignedStorage ? 0 : (unsigned)mlir::quant::QuantizationFlags::Signed,
      IntegerType::get(ctx, 8), Float32Type::get(ctx), scale, zero, qmin, qmax);
}

mlir::quant::UniformQuantizedType qdq::wideTableInputType(MLIRContext *ctx,
                                                        qopt::quant::Range range,
                                                        unsigned bits) {
  int64_t qmax = (int64_t(1) << (std::clamp(bits, 9u, 16u) - 1)) - 1;
  double m = std::max(-std::min(range.min, 0.0), std::max(range.max, 0.0));
  double scale = asF32(m > 0 ? m / (double)qmax : 1.0);
  if (!(scale > 0) || !std::isfinite(scale))
    scale = 1.0;
  return mlir::quant::UniformQuantizedType::get(
      (unsigned)mlir::quant::QuantizationFlags::Signed, IntegerType::get(ctx, 16),
      Float32Type::get(ctx), scale, 0, -qmax - 1, qmax);
}

llvm::Expected<QuantizedConstant> qdq::quantizeWeights(MLIRContext *ctx, const ref::Tensor &w,
                                                       int64_t axis,
                                                       ArrayRef<double> minScales) {
  if (w.dtype() != ref::DType::F32)
    return llvm::createStringError("weights must be f32, got " + w.describe());
  ref::QuantParams p;
  p.qmin = -127;
  p.qmax = 127;
  int64_t channels = axis >= 0 ? w.dim(axis) : 1;
  int64_t inner = 1;
  for (int64_t d = axis + 1; axis >= 0 && d < w.rank(); ++d)
    inner *= w.dim(d);
  std::vector<double> maxAbs(channels, 0.0);
  const float *wd = w.data<float>();
  for (int64_t i = 0; i < w.numElements(); ++i) {
    if (!std::isfinite(wd[i]))
      return llvm::createStringError("weights hold a non-finite value");
    int64_t c = axis >= 0 ? (i / inner) % channels : 0;
    maxAbs[c] = std::max(maxAbs[c], (double)std::fabs(wd[i]));
  }
  for (auto [c, m] : llvm::enumerate(maxAbs)) {
    double s = m / 127.0;
    if (c < minScales.size())
      s = std::max(s, minScales[c]);
    s = asF32(s);
    p.scales.push_back(s > 0 && std::isfinite(s) ? s : 1.0);
    p.zeroPoints.push_back(0);
  }
  p.axis = axis;
  auto q = ref::quantizeTensor(w, p, ref::DType::I8);
  if (!q)
    return q.takeError();
  Type storage = IntegerType::get(ctx, 8);
  Type expressed = Float32Type::get(ctx);
  unsigned flags = (unsigned)mlir::quant::QuantizationFlags::Signed;
  Type type;
  if (axis >= 0) {
    SmallVector<int64_t> zeros(channels, 0);
    type = mlir::quant::UniformQuantizedPerAxisType::get(flags, storage, expressed, p.scales, zeros,
                                                   (int32_t)axis, -127, 127);
  } else {
    type = mlir::quant::UniformQuantizedType::get(flags, storage, expressed, p.scales[0], 0, -127, 127);
  }
  return QuantizedConstant{std::move(*q), type};
}

llvm::Expected<QuantizedConstant> qdq::quantizeTensorConstant(MLIRContext *ctx,
                                                              const ref::Tensor &t,
                                                              const ActivationScheme &scheme) {
  if (t.dtype() != ref::DType::F32)
    return llvm::createStringError("constant must be f32, got " + t.describe());
  qopt::quant::Range r;
  const float *d = t.data<float>();
  for (int64_t i = 0; i < t.numElements(); ++i) {
    if (!std::isfinite(d[i]))
      return llvm::createStringError("constant holds a non-finite value");
    r.min = std::min(r.min, (double)d[i]);
    r.max = std::max(r.max, (double)d[i]);
  }
  auto type = qdq::activationType(ctx, r, scheme);
  ref::QuantParams p;
  p.scales = {type.getScale()};
  p.zeroPoints = {(int32_t)type.getZeroPoint()};
  p.qmin = (int32_t)type.getStorageTypeMin();
  p.qmax = (int32_t)type.getStorageTypeMax();
  auto q = ref::quantizeTensor(t, p, scheme.unsignedStorage ? ref::DType::U8 : ref::DType::I8);
  if (!q)
    return q.takeError();
  return QuantizedConstant{q->bitcast(ref::DType::I8), type};
}

Value qdq::materializeQuantizedConstant(OpBuilder &b, Location loc, const QuantizedConstant &c,
                                        RankedTensorType floatType, StringRef blobHint) {
  ref::Tensor storage = c.storage.dtype() == ref::DType::U8 ? c.storage.bitcast(ref::DType::I8)
                                                            : c.storage;
  auto cst = qnn::ConstantOp::create(b, loc, ref::attrFromTensor(b.getContext(), storage, blobHint));
  auto qt = floatType.clone(c.type);
  auto scast = mlir::quant::StorageCastOp::create(b, loc, qt, cst);
  return mlir::quant::DequantizeCastOp::create(b, loc, floatType, scast);
}
