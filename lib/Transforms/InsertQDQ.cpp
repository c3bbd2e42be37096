//===- InsertQDQ.cpp - Quantize/dequantize insertion -----------*- C++ -*-===//
//
// Decides which ops run in int8 and wraps the tensors they touch in
// quant.qcast / quant.dcast pairs. The decisions (and every refusal) are
// local and explained by remarks; the arithmetic meaning of the pairs is
// fixed by docs/quantization.md.
//
//===----------------------------------------------------------------------===//

#include "qopt/Transforms/QuantPasses.h"
#include "QuantSupport.h"
#include "qopt/Calibration/Calibrate.h"
#include "qopt/Dialect/QNN/QNNOps.h"
#include "qopt/Reference/Executor.h"
#include "qopt/Reference/IntegerKernels.h"
#include "qopt/Transforms/Passes.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

namespace qopt {
#define GEN_PASS_DEF_INSERTQDQPASS
#include "qopt/Transforms/Passes.h.inc"
} // namespace qopt

using namespace mlir;
using namespace qopt;

namespace {

class InsertQDQPass : public qopt::impl::InsertQDQPassBase<InsertQDQPass> {
public:
  using InsertQDQPassBase::InsertQDQPassBase;
  InsertQDQPass(const InsertQDQPassOptions &options,
                std::shared_ptr<const calib::CalibrationTable> table)
      : InsertQDQPassBase(options), table(std::move(table)) {}

  void runOnOperation() override;

private:
  LogicalResult configure();
  /// Why `op` cannot run in int8, or "" when it can.
  std::string obstacle(Operation *op, bool checkOnly = true);
  /// --exclude names the op, or it has tensors other than f32.
  std::string excludedOrWide(Operation *op) const;
  /// Why an add cannot be int8 although each operand can: "" or the reason.
  std::string erasedAddend(Operation *op) const;
  /// Why a concat of tensors of very different ranges should stay float.
  std::string mixedConcat(Operation *op) const;
  /// The scale `v` would be quantized with.
  double activationScale(Value v) const {
    return qdq::activationType(v.getContext(),
                               qopt::quant::chooseRange(*stats(v), method, percentile), scheme)
        .getScale();
  }
  bool hasStats(Value v) const { return v.getDefiningOp<qnn::ConstantOp>() || stats(v); }
  const qopt::quant::TensorStatistics *stats(Value v) const {
    auto k = keys.find(v);
    if (k == keys.end())
      return nullptr;
    auto it = table->tensors.find(k->second);
    return it == table->tensors.end() ? nullptr : &it->second;
  }
  void quantizeActivation(Value v);
  void quantizeConstantOperand(Operation *op, unsigned index);
  SmallVector<double> biasMinScales(Operation *op, int64_t axis, const ref::Tensor &w);

  std::shared_ptr<const calib::CalibrationTable> table;
  llvm::DenseMap<Value, std::string> keys;
  qopt::quant::CalibrationMethod method = qopt::quant::CalibrationMethod::Percentile;
  qdq::ActivationScheme scheme;
  llvm::DenseMap<Value, Value> dequantized; // value -> its dcast
  /// (float constant, quantized type) -> its dequantized int8 copy.
  llvm::DenseMap<std::pair<Operation *, Type>, Value> quantizedConstants;
  llvm::DenseSet<Operation *> inRegion;     // ops computed by one table
};

LogicalResult InsertQDQPass::configure() {
  if (!table) {
    if (calibCache.empty())
      return emitError(getOperation().getLoc(),
                       "qopt-insert-qdq needs calibration statistics: pass "
                       "calib-cache=<file.json> (written by qopt-compile --calib-data)");
    auto loaded = calib::readCalibrationCache(calibCache);
    if (!loaded)
      return emitError(getOperation().getLoc(), llvm::toString(loaded.takeError()));
    table = std::make_shared<calib::CalibrationTable>(std::move(*loaded));
  }
  auto m = qopt::quant::parseCalibrationMethod(calibration);
  if (!m)
    return emitError(getOperation().getLoc(), llvm::toString(m.takeError()));
  method = *m;
  if (!(percentile > 0 && percentile <= 100))
    return emitError(getOperation().getLoc(), "percentile must be in (0, 100]");
  if (tableInputBits < 9 || tableInputBits > 16)
    return emitError(getOperation().getLoc(),
                     "table-input-bits must be 9 to 16 (wide-table-inputs=0 keeps 8)");
  if (activationType != "int8" && activationType != "uint8")
    return emitError(getOperation().getLoc(),
                     "activation-type must be int8 or uint8, got '" + activationType + "'");
  scheme.unsignedStorage = activationType == "uint8";
  scheme.symmetric = symmetricActivations;
  if (scheme.unsignedStorage && scheme.symmetric)
    return emitError(getOperation().getLoc(),
                     "symmetric activations need int8 storage (uint8 has no zero point 0 "
                     "in the middle of its range)");
  return success();
}

std::string InsertQDQPass::excludedOrWide(Operation *op) const {
  StringRef name = qdq::nodeName(op);
  StringRef opName = op->getName().getStringRef();
  for (const std::string &e : exclude)
    if (e == name || e == opName || (opName.consume_front("qnn.") && e == opName))
      return "excluded by --exclude " + e;
  for (Type t : llvm::concat<Type>(op->getOperandTypes(), op->getResultTypes())) {
    Type elt = getElementTypeOrSelf(t);
    if (isa<FloatType>(elt) && !elt.isF32())
      return "only f32 tensors are quantized";
  }
  return "";
}

std::string InsertQDQPass::obstacle(Operation *op, bool checkOnly) {
  if (std::string why = excludedOrWide(op); !why.empty())
    return why;
  StringRef name = qdq::nodeName(op);
  if (checkOnly && !only.empty() && qdq::classify(op) != qdq::OpClass::SameScale &&
      !llvm::is_contained(only, name.str()))
    return "not among the layers selected by --only";
  if (std::string why = qdq::integerFormObstacle(op); !why.empty())
    return why;
  for (Value v : llvm::concat<Value>(op->getOperands(), op->getResults()))
    if (isa<FloatType>(getElementTypeOrSelf(v.getType())) && !hasStats(v))
      return "tensor '" + keys.lookup(v) + "' has no calibration statistics";
  if (isa<qnn::AddOp>(op))
    return erasedAddend(op);
  return "";
}

std::string InsertQDQPass::erasedAddend(Operation *op) const {
  // An add whose computed operand is smaller than 1/256 of the other's
  // magnitude (about one int8 step of the sum's range) loses it in int8:
  // the sum is the other operand, rounded. The case in practice is an additive attention mask
  // (-1e4 or -inf) next to scores of about 10, which costs a BERT encoder
  // most of its accuracy. A small constant addend (a bias) rounded away
  // loses only itself, and stays allowed.
  double magnitude[2];
  for (int i = 0; i < 2; ++i) {
    Value v = op->getOperand(i);
    if (auto c = v.getDefiningOp<qnn::ConstantOp>()) {
      auto data = ref::tensorFromAttr(cast<ElementsAttr>(c.getValue()));
      if (!data) {
        llvm::consumeError(data.takeError());
        return "";
      }
      magnitude[i] = 0;
      for (int64_t e = 0; e < data->numElements(); ++e)
        magnitude[i] = std::max(magnitude[i], std::fabs(data->getAsDouble(e)));
    } else if (const qopt::quant::TensorStatistics *st = stats(v)) {
      magnitude[i] = std::max(std::fabs(st->min()), std::fabs(st->max()));
    } else {
      return ""; // not a float tensor the calibration saw
    }
  }
  for (int i = 0; i < 2; ++i) {
    Value v = op->getOperand(i);
    if (v.getDefiningOp<qnn::ConstantOp>() || magnitude[i] == 0 ||
        !(magnitude[i] * 256 < magnitude[1 - i]))
      continue;
    std::string other = op->getOperand(1 - i).getDefiningOp<qnn::ConstantOp>()
                            ? "a constant"
                            : "'" + keys.lookup(op->getOperand(1 - i)) + "'";
    return llvm::formatv("'{0}' (|x| <= {1:g}) is within one int8 step of {2} (|x| up to "
                         "{3:g}): an int8 sum would erase it (an additive mask?)",
                         keys.lookup(v), magnitude[i], other, magnitude[1 - i])
        .str();
  }
  return "";
}

std::string InsertQDQPass::mixedConcat(Operation *op) const {
  // An int8 concat has one scale: an input whose range spans fewer than 16
  // of the result's steps keeps at most 4 bits. The case in practice is a
  // detection head that concatenates box coordinates (0 to 640 pixels) with
  // class scores (0 to 1): in int8 every score rounds to 0 and the model
  // finds nothing. In float each input keeps its own int8 scale up to the
  // concat; an int8 reader of the result still quantizes it once, so only
  // float readers (the graph's outputs) gain, and nothing is lost.
  auto concat = dyn_cast<qnn::ConcatOp>(op);
  if (!concat || !stats(concat.getResult()))
    return "";
  double out = activationScale(concat.getResult());
  for (Value v : concat.getInputs()) {
    if (v.getDefiningOp<qnn::ConstantOp>() || !stats(v))
      continue;
    double in = activationScale(v);
    if (in * 16 < out)
      return llvm::formatv("input '{0}' (int8 step {1:e}) would be requantized to the "
                           "result's step {2:e}, {3:f1} times coarser (at most 4 of its 8 bits "
                           "kept)",
                           keys.lookup(v), in, out, out / in)
          .str();
  }
  return "";
}

void InsertQDQPass::quantizeActivation(Value v) {
  if (dequantized.count(v) || v.getDefiningOp<qnn::ConstantOp>())
    return;
  const qopt::quant::TensorStatistics *s = stats(v);
  qopt::quant::Range range = qopt::quant::chooseRange(*s, method, percentile);
  auto type = cast<RankedTensorType>(v.getType());
  Type qt = qdq::activationType(v.getContext(), range, scheme);
  // A conv/matmul/add result that only table ops read (the input of
  // hard_swish and its affine) keeps 12 bits: 8 would put ~40 levels across
  // hard_swish's curved [-3, 3] on PP-LCNetV3, the dominant int8 error there.
  Operation *def = v.getDefiningOp();
  bool wideProducer = !def || isa<qnn::ConvOp, qnn::ConvTransposeOp, qnn::MatMulOp, qnn::GemmOp,
                                  qnn::AddOp, qnn::MulOp>(def);
  bool onlyTables = !v.use_empty() && llvm::all_of(v.getUsers(), [&](Operation *u) {
    return qdq::classify(u) == qdq::OpClass::Table || inRegion.contains(u);
  });
  if (wideTableInputs && wideProducer && onlyTables)
    qt = qdq::wideTableInputType(
        v.getContext(), qopt::quant::chooseRange(*s, qopt::quant::CalibrationMethod::MinMax),
        tableInputBits);
  OpBuilder b(v.getContext());
  if (Operation *def = v.getDefiningOp())
    b.setInsertionPointAfter(def);
  else
    b.setInsertionPointToStart(cast<BlockArgument>(v).getOwner());
  Location loc = v.getDefiningOp() ? v.getDefiningOp()->getLoc() : getOperation().getLoc();
  auto q = mlir::quant::QuantizeCastOp::create(b, loc, type.clone(qt), v);
  auto d = mlir::quant::DequantizeCastOp::create(b, loc, type, q);
  v.replaceAllUsesExcept(d, q);
  dequantized[v] = d;
}

/// The smallest weight scale per channel that keeps the bias of `op` within
/// 2^30 in int32 (half the range, the rest is for the products).
SmallVector<double> InsertQDQPass::biasMinScales(Operation *op, int64_t axis,
                                                 const ref::Tensor &w) {
  unsigned biasIndex = 2;
  if (op->getNumOperands() <= biasIndex || !qdq::isBiasOperand(op, biasIndex))
    return {};
  auto c = op->getOperand(biasIndex).getDefiningOp<qnn::ConstantOp>();
  const qopt::quant::TensorStatistics *s = stats(op->getOperand(0));
  if (!c || !s)
    return {};
  auto b = ref::tensorFromAttr(c.getValue());
  if (!b || b->dtype() != ref::DType::F32) {
    if (!b)
      llvm::consumeError(b.takeError());
    return {};
  }
  double sx = qdq::activationType(op->getContext(),
                                  qopt::quant::chooseRange(*s, method, percentile), scheme)
                  .getScale();
  int64_t channels = axis >= 0 ? w.dim(axis) : 1;
  SmallVector<double> mins(channels, 0.0);
  for (int64_t i = 0; i < b->numElements(); ++i) {
    double need = std::fabs((double)b->data<float>()[i]) / (sx * double(1 << 30));
    double &m = mins[channels == 1 ? 0 : i % channels];
    m = std::max(m, need);
  }
  return mins;
}

void InsertQDQPass::quantizeConstantOperand(Operation *op, unsigned index) {
  auto c = op->getOperand(index).getDefiningOp<qnn::ConstantOp>();
  auto w = ref::tensorFromAttr(c.getValue());
  if (!w) {
    op->emitRemark() << "constant operand " << index << " not quantized: "
                     << llvm::toString(w.takeError());
    return;
  }
  std::optional<int64_t> axis = qdq::weightAxis(op, index, perChannelWeights);
  auto quantized = axis ? qdq::quantizeWeights(op->getContext(), *w, *axis,
                                               biasMinScales(op, *axis, *w))
                        : qdq::quantizeTensorConstant(op->getContext(), *w, scheme);
  if (!quantized) {
    op->emitRemark() << "constant operand " << index << " not quantized: "
                     << llvm::toString(quantized.takeError());
    return;
  }
  // Ops that read one constant with the same parameters share one quantized
  // copy: an unrolled LSTM reads its recurrent weights at every step, and a
  // copy per step made ddddocr's int8 OCR bundle 78 MB, above its fp32 size.
  // The copy sits right after the constant, where it dominates every reader.
  Value &shared = quantizedConstants[{c.getOperation(), quantized->type}];
  if (!shared) {
    OpBuilder b(c->getContext());
    b.setInsertionPointAfter(c);
    shared = qdq::materializeQuantizedConstant(
        b, c.getLoc(), *quantized, cast<RankedTensorType>(c.getType()),
        (qdq::nodeName(op) + ".q" + std::to_string(index)).str());
  }
  op->setOperand(index, shared);
}

void InsertQDQPass::runOnOperation() {
  dequantized.clear();
  quantizedConstants.clear();
  inRegion.clear();
  if (failed(configure()))
    return signalPassFailure();
  func::FuncOp func = getOperation();
  keys = calib::tensorKeys(func);

  // Compute and table ops decide; same-scale ops follow their neighbours.
  llvm::SetVector<Operation *> chosen;
  llvm::DenseSet<Value> quantizedValues;
  auto choose = [&](Operation *op) {
    chosen.insert(op);
    for (Value v : llvm::concat<Value>(op->getOperands(), op->getResults()))
      if (isa<FloatType>(getElementTypeOrSelf(v.getType())))
        quantizedValues.insert(v);
  };
  // Elementwise ops that compute one value from one tensor (hard_swish then
  // a scalar mul and add, softplus, Elu, GELU, x * sigmoid(x)) become one
  // table (qdq::TableRegion): only the region's input and output are
  // quantized.
  llvm::DenseSet<Operation *> &inChain = inRegion;
  // Ops of a region that cannot be one table are judged one by one below.
  llvm::DenseSet<Operation *> notRegion;
  func.walk([&](Operation *op) {
    if (inChain.contains(op) || notRegion.contains(op))
      return;
    std::optional<qdq::TableRegion> region;
    for (Value x : op->getOperands()) {
      if ((region = qdq::tableRegion(x, /*minOps=*/2, /*member=*/op)))
        break;
    }
    if (!region)
      return;
    // The table is the only integer form its ops need: no step's own form
    // matters, only --exclude, f32 tensors and the statistics of the two
    // tensors quantized. --only selects a region by any of its ops' names
    // (its table carries the last one's). A region that cannot be a table
    // leaves its ops to their own forms, whose remarks say why.
    Value x = region->root;
    std::string why;
    for (Operation *step : region->ops)
      if (why.empty())
        why = excludedOrWide(step);
    for (Value v : {x, region->output})
      if (why.empty() && !hasStats(v))
        why = "tensor '" + keys.lookup(v) + "' has no calibration statistics";
    if (why.empty() && !only.empty() && llvm::none_of(region->ops, [&](Operation *step) {
          return llvm::is_contained(only, qdq::nodeName(step).str());
        }))
      why = "not among the layers selected by --only";
    if (!why.empty()) {
      notRegion.insert(region->ops.begin(), region->ops.end());
      return;
    }
    inChain.insert(region->ops.begin(), region->ops.end());
    quantizedValues.insert(x);
    quantizedValues.insert(region->output);
  });
  SmallVector<Operation *> sameScale;
  llvm::DenseSet<Operation *> refused;
  func.walk([&](Operation *op) {
    qdq::OpClass k = qdq::classify(op);
    if (k == qdq::OpClass::None || inChain.contains(op))
      return;
    if (k == qdq::OpClass::SameScale) {
      sameScale.push_back(op);
      return;
    }
    if (std::string why = obstacle(op); !why.empty()) {
      op->emitRemark() << "kept in float: " << why;
      return;
    }
    choose(op);
  });
  // Same-scale ops join when a neighbour's tensor is quantized anyway;
  // iterate since chains (pool -> reshape -> concat) pass it on.
  for (bool changed = true; changed;) {
    changed = false;
    for (Operation *op : sameScale) {
      if (chosen.contains(op))
        continue;
      bool touches = llvm::any_of(op->getOperands(), [&](Value v) {
                       return quantizedValues.contains(v);
                     }) ||
                     quantizedValues.contains(op->getResult(0));
      if (!touches)
        continue;
      if (std::string why = obstacle(op); !why.empty())
        continue; // stays float silently: it only moves data of a float neighbour
      if (std::string why = mixedConcat(op); !why.empty()) {
        if (refused.insert(op).second)
          op->emitRemark() << "kept in float: " << why;
        continue;
      }
      choose(op);
      changed = true;
    }
  }

  for (Operation *op : chosen)
    for (unsigned i = 0; i < op->getNumOperands(); ++i) {
      Value v = op->getOperand(i);
      if (!isa<FloatType>(getElementTypeOrSelf(v.getType())) || qdq::isBiasOperand(op, i))
        continue;
      if (v.getDefiningOp<qnn::ConstantOp>())
        quantizeConstantOperand(op, i);
    }
  // Activations in program order, so pairs sit right after their producers.
  SmallVector<Value> values;
  for (BlockArgument a : func.getArguments())
    if (quantizedValues.contains(a))
      values.push_back(a);
  func.walk([&](Operation *op) {
    for (Value r : op->getResults())
      if (quantizedValues.contains(r))
        values.push_back(r);
  });
  for (Value v : values)
    quantizeActivation(v);
}

} // namespace

std::unique_ptr<Pass>
qopt::createInsertQDQPass(const InsertQDQPassOptions &options,
                          std::shared_ptr<const calib::CalibrationTable> table) {
  return std::make_unique<InsertQDQPass>(options, std::move(table));
}
