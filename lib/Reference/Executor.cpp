//===- Executor.cpp - CPU reference executor for qnn IR ------*- C++ -*-===//

#include "qopt/Reference/Executor.h"
#include "OpParams.h"
#include "qopt/Dialect/QNN/QNNOps.h"
#include "qopt/Reference/Kernels.h"
#include "qopt/Reference/QuantizedOps.h"

#include "mlir/Dialect/Quant/IR/Quant.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"

#include <chrono>
#include <cmath>
#include <cstring>

using namespace mlir;
using namespace qopt;
using namespace qopt::ref;
using llvm::Expected;
using llvm::SmallVector;

Expected<DType> qopt::ref::dtypeFromType(Type t) {
  if (t.isF16())
    return DType::F16;
  if (t.isBF16())
    return DType::BF16;
  if (t.isF32())
    return DType::F32;
  if (t.isF64())
    return DType::F64;
  if (isa<quant::QuantizedType>(t))
    return storageDTypeOf(t);
  if (auto it = dyn_cast<IntegerType>(t)) {
    bool isUnsigned = it.isUnsigned();
    switch (it.getWidth()) {
    case 1: return DType::Bool;
    case 8: return isUnsigned ? DType::U8 : DType::I8;
    case 16: return isUnsigned ? DType::U16 : DType::I16;
    case 32: return isUnsigned ? DType::U32 : DType::I32;
    case 64: return isUnsigned ? DType::U64 : DType::I64;
    default: break;
    }
  }
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return llvm::createStringError("unsupported element type " + s);
}

Type qopt::ref::typeFromDType(MLIRContext *ctx, DType dtype) {
  Builder b(ctx);
  switch (dtype) {
  case DType::F16: return b.getF16Type();
  case DType::BF16: return b.getBF16Type();
  case DType::F32: return b.getF32Type();
  case DType::F64: return b.getF64Type();
  case DType::Bool: return b.getI1Type();
  case DType::I8: return b.getIntegerType(8);
  case DType::I16: return b.getIntegerType(16);
  case DType::I32: return b.getIntegerType(32);
  case DType::I64: return b.getIntegerType(64);
  case DType::U8: return b.getIntegerType(8, false);
  case DType::U16: return b.getIntegerType(16, false);
  case DType::U32: return b.getIntegerType(32, false);
  case DType::U64: return b.getIntegerType(64, false);
  }
  return {};
}

Expected<Tensor> qopt::ref::tensorFromAttr(ElementsAttr attr) {
  auto type = cast<ShapedType>(attr.getType());
  auto dtype = dtypeFromType(type.getElementType());
  if (!dtype)
    return dtype.takeError();
  if (auto res = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob)
      return llvm::createStringError("resource blob '" + res.getRawHandle().getKey().str() +
                                     "' has no data (was it elided?)");
    return Tensor::fromBytes(*dtype, type.getShape(), blob->getData());
  }
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  if (!dense)
    return llvm::createStringError("unsupported constant attribute kind");
  auto t = Tensor::allocate(*dtype, type.getShape());
  if (!t)
    return t.takeError();
  if (*dtype == DType::Bool) {
    int64_t i = 0;
    for (bool v : dense.getValues<bool>())
      t->data<uint8_t>()[i++] = v;
    return t;
  }
  ArrayRef<char> raw = dense.getRawData();
  size_t elt = dtypeSize(*dtype);
  if (dense.isSplat()) {
    for (int64_t i = 0; i < t->numElements(); ++i)
      std::memcpy(t->bytes() + i * elt, raw.data(), elt);
  } else {
    if (raw.size() != t->byteSize())
      return llvm::createStringError("constant holds %zu bytes, expected %zu", raw.size(),
                                     t->byteSize());
    if (!raw.empty()) // an empty tensor may have no storage: memcpy(null, null, 0) is UB
      std::memcpy(t->bytes(), raw.data(), raw.size());
  }
  return t;
}

ElementsAttr qopt::ref::attrFromTensor(MLIRContext *ctx, const Tensor &t, StringRef blobHint,
                                       int64_t inlineLimit) {
  auto type = RankedTensorType::get(t.shape(), typeFromDType(ctx, t.dtype()));
  if (t.dtype() == DType::Bool) {
    SmallVector<bool> values(t.data<uint8_t>(), t.data<uint8_t>() + t.numElements());
    return DenseElementsAttr::get(type, values);
  }
  ArrayRef<char> bytes(t.bytes(), t.byteSize());
  if (t.numElements() <= inlineLimit)
    return DenseElementsAttr::getFromRawBuffer(type, bytes);
  return DenseResourceElementsAttr::get(
      type, blobHint,
      // 8 bytes: enough for every element type. Larger alignments make
      // bytecode unreadable from buffers that are not that aligned (MLIR checks
      // the buffer, and heap-read files are only 16-byte aligned).
      HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, alignof(int64_t)));
}

std::string qopt::ref::describeOp(Operation *op) {
  std::string name;
  Location loc = op->getLoc();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location l : fused.getLocations())
      if (auto n = dyn_cast<NameLoc>(l)) {
        loc = n;
        break;
      }
  if (auto n = dyn_cast<NameLoc>(loc))
    name = n.getName().str();
  std::string s = "'" + op->getName().getStringRef().str() + "'";
  if (!name.empty())
    s += " (node '" + name + "')";
  return s;
}

//===----------------------------------------------------------------------===//
// Op dispatch
//===----------------------------------------------------------------------===//

static ArrayRef<int64_t> resultShape(Operation *op, unsigned i = 0) {
  return cast<RankedTensorType>(op->getResult(i).getType()).getShape();
}

static std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

static int64_t normAxis(uint64_t axis, int64_t rank) { return qnn::resolveAxis(axis, rank); }

/// Kernels must agree with the op's declared result; a mismatch is a bug that
/// would silently corrupt every consumer, so it is reported, not trusted.
static llvm::Error checkResult(Operation *op, const Tensor &result) {
  auto rt = cast<RankedTensorType>(op->getResult(0).getType());
  auto want = dtypeFromType(rt.getElementType());
  if (!want)
    return want.takeError();
  if (result.shape() != rt.getShape() || result.dtype() != *want)
    return llvm::createStringError(describeOp(op) + ": kernel produced " + result.describe() +
                                   ", op declares " + dtypeName(*want).str() +
                                   shapeString(rt.getShape()));
  return llvm::Error::success();
}

std::optional<BinaryKind> qopt::ref::binaryKindOf(Operation *op) {
  return llvm::TypeSwitch<Operation *, std::optional<BinaryKind>>(op)
      .Case([](qnn::AddOp) { return BinaryKind::Add; })
      .Case([](qnn::SubOp) { return BinaryKind::Sub; })
      .Case([](qnn::MulOp) { return BinaryKind::Mul; })
      .Case([](qnn::DivOp) { return BinaryKind::Div; })
      .Case([](qnn::PowOp) { return BinaryKind::Pow; })
      .Case([](qnn::MaxOp) { return BinaryKind::Max; })
      .Case([](qnn::MinOp) { return BinaryKind::Min; })
      .Case([](qnn::ModOp m) { return m.getFmod() ? BinaryKind::FMod : BinaryKind::Mod; })
      .Case([](qnn::EqualOp) { return BinaryKind::Equal; })
      .Case([](qnn::LessOp) { return BinaryKind::Less; })
      .Case([](qnn::LessOrEqualOp) { return BinaryKind::LessOrEqual; })
      .Case([](qnn::GreaterOp) { return BinaryKind::Greater; })
      .Case([](qnn::GreaterOrEqualOp) { return BinaryKind::GreaterOrEqual; })
      .Case([](qnn::AndOp) { return BinaryKind::And; })
      .Case([](qnn::OrOp) { return BinaryKind::Or; })
      .Case([](qnn::XorOp) { return BinaryKind::Xor; })
      .Default([](Operation *) { return std::nullopt; });
}

Expected<SmallVector<Tensor, 1>> qopt::ref::evaluateOp(Operation *op, ArrayRef<Tensor> in) {
  if (isQuantizedEvaluation(op)) {
    auto r = evaluateQuantizedOp(op, in);
    if (!r)
      return llvm::createStringError(describeOp(op) + ": " + llvm::toString(r.takeError()));
    if (auto err = checkResult(op, *r))
      return std::move(err);
    SmallVector<Tensor, 1> results;
    results.push_back(std::move(*r));
    return results;
  }
  auto binary = [&](BinaryKind k) { return ref::binary(k, in[0], in[1], resultShape(op)); };
  auto unary = [&](UnaryKind k, UnaryParams p = {}) { return ref::unary(k, in[0], p); };
  auto opt = [&](Value v, size_t idx) -> const Tensor * { return v ? &in[idx] : nullptr; };

  std::optional<BinaryKind> binaryKind = binaryKindOf(op);
  Expected<Tensor> result =
      binaryKind ? binary(*binaryKind) :
      llvm::TypeSwitch<Operation *, Expected<Tensor>>(op)
          .Case([&](qnn::ConstantOp c) { return tensorFromAttr(c.getValue()); })
          .Case([&](qnn::WhereOp) { return ref::where(in[0], in[1], in[2], resultShape(op)); })
          .Case([&](qnn::ReluOp) { return unary(UnaryKind::Relu); })
          .Case([&](qnn::SigmoidOp) { return unary(UnaryKind::Sigmoid); })
          .Case([&](qnn::TanhOp) { return unary(UnaryKind::Tanh); })
          .Case([&](qnn::ExpOp) { return unary(UnaryKind::Exp); })
          .Case([&](qnn::LogOp) { return unary(UnaryKind::Log); })
          .Case([&](qnn::SqrtOp) { return unary(UnaryKind::Sqrt); })
          .Case([&](qnn::ErfOp) { return unary(UnaryKind::Erf); })
          .Case([&](qnn::SinOp) { return unary(UnaryKind::Sin); })
          .Case([&](qnn::CosOp) { return unary(UnaryKind::Cos); })
          .Case([&](qnn::TanOp) { return unary(UnaryKind::Tan); })
          .Case([&](qnn::AsinOp) { return unary(UnaryKind::Asin); })
          .Case([&](qnn::AcosOp) { return unary(UnaryKind::Acos); })
          .Case([&](qnn::AtanOp) { return unary(UnaryKind::Atan); })
          .Case([&](qnn::SinhOp) { return unary(UnaryKind::Sinh); })
          .Case([&](qnn::CoshOp) { return unary(UnaryKind::Cosh); })
          .Case([&](qnn::AsinhOp) { return unary(UnaryKind::Asinh); })
          .Case([&](qnn::AcoshOp) { return unary(UnaryKind::Acosh); })
          .Case([&](qnn::AtanhOp) { return unary(UnaryKind::Atanh); })
          .Case([&](qnn::ReciprocalOp) { return unary(UnaryKind::Reciprocal); })
          .Case([&](qnn::FloorOp) { return unary(UnaryKind::Floor); })
          .Case([&](qnn::CeilOp) { return unary(UnaryKind::Ceil); })
          .Case([&](qnn::RoundOp) { return unary(UnaryKind::Round); })
          .Case([&](qnn::HardSwishOp) { return unary(UnaryKind::HardSwish); })
          .Case([&](qnn::NegOp) { return unary(UnaryKind::Neg); })
          .Case([&](qnn::AbsOp) { return unary(UnaryKind::Abs); })
          .Case([&](qnn::SignOp) { return unary(UnaryKind::Sign); })
          .Case([&](qnn::NotOp) { return unary(UnaryKind::Not); })
          .Case([&](qnn::LeakyReluOp o) {
            UnaryParams p;
            p.alpha = o.getAlpha().convertToDouble();
            return unary(UnaryKind::LeakyRelu, p);
          })
          .Case([&](qnn::HardSigmoidOp o) {
            UnaryParams p;
            p.alpha = o.getAlpha().convertToDouble();
            p.beta = o.getBeta().convertToDouble();
            return unary(UnaryKind::HardSigmoid, p);
          })
          .Case([&](qnn::GeluOp o) {
            return unary(o.getApproximate() == qnn::GeluApproximation::tanh ? UnaryKind::GeluTanh
                                                                             : UnaryKind::Gelu);
          })
          .Case([&](qnn::ClipOp o) {
            UnaryParams p;
            if (o.getMin())
              p.lo = o.getMin()->convertToDouble();
            if (o.getMax())
              p.hi = o.getMax()->convertToDouble();
            return unary(UnaryKind::Clip, p);
          })
          .Case([&](qnn::CastOp o) -> Expected<Tensor> {
            auto to = dtypeFromType(o.getOutput().getType().getElementType());
            if (!to)
              return to.takeError();
            return in[0].castTo(*to);
          })
          .Case([&](qnn::ConvOp o) -> Expected<Tensor> {
            auto y = ref::conv(in[0], in[1], opt(o.getBias(), 2),
                               detail::convParams(o),
                               resultShape(op));
            if (!y || !o.getResidual())
              return y;
            // The residual joins after the bias, exactly as a following add.
            return ref::binary(BinaryKind::Add, *y, in.back(), resultShape(op));
          })
          .Case([&](qnn::ConvTransposeOp o) {
            return ref::convTranspose(in[0], in[1], opt(o.getBias(), 2),
                                      detail::convParams(o),
                                      resultShape(op));
          })
          .Case([&](qnn::MatMulOp) { return ref::matmul(in[0], in[1], resultShape(op)); })
          .Case([&](qnn::GemmOp o) {
            return ref::gemm(in[0], in[1], opt(o.getC(), 2), o.getAlpha().convertToFloat(),
                             o.getBeta().convertToFloat(), o.getTransA(), o.getTransB());
          })
          .Case([&](qnn::MaxPoolOp o) { return ref::maxPool(in[0], detail::poolParams(o), resultShape(op)); })
          .Case([&](qnn::MaxPoolIndicesOp o) {
            return ref::maxPoolIndices(in[0], detail::poolParams(o), resultShape(op),
                                       o.getColumnMajor());
          })
          .Case([&](qnn::MaxUnpoolOp) { return ref::maxUnpool(in[0], in[1], resultShape(op)); })
          .Case([&](qnn::AvgPoolOp o) {
            return ref::avgPool(in[0], detail::poolParams(o), resultShape(op));
          })
          .Case([&](qnn::GlobalAvgPoolOp) { return ref::globalAvgPool(in[0]); })
          .Case([&](qnn::GlobalMaxPoolOp) { return ref::globalMaxPool(in[0]); })
          .Case([&](qnn::BatchNormOp o) {
            return ref::batchNorm(in[0], in[1], in[2], in[3], in[4],
                                  o.getEpsilon().convertToFloat());
          })
          .Case([&](qnn::LayerNormOp o) {
            return ref::layerNorm(in[0], in[1], opt(o.getBias(), 2),
                                  normAxis(o.getAxis(), in[0].rank()),
                                  o.getEpsilon().convertToFloat());
          })
          .Case([&](qnn::SoftmaxOp o) {
            return ref::softmax(in[0], normAxis(o.getAxis(), in[0].rank()), false);
          })
          .Case([&](qnn::LogSoftmaxOp o) {
            return ref::softmax(in[0], normAxis(o.getAxis(), in[0].rank()), true);
          })
          .Case([&](qnn::ReshapeOp) -> Expected<Tensor> { return in[0].reshaped(resultShape(op)); })
          .Case([&](qnn::TransposeOp o) { return ref::transpose(in[0], o.getPerm()); })
          .Case([&](qnn::ConcatOp o) {
            SmallVector<const Tensor *> ptrs;
            for (const Tensor &t : in)
              ptrs.push_back(&t);
            return ref::concat(ptrs, normAxis(o.getAxis(), in[0].rank()));
          })
          .Case([&](qnn::SliceOp o) {
            return ref::slice(in[0], o.getStarts(), o.getSteps(), resultShape(op));
          })
          .Case([&](qnn::GatherOp o) {
            return ref::gather(in[0], in[1], normAxis(o.getAxis(), in[0].rank()));
          })
          .Case([&](qnn::ExpandOp) { return ref::expand(in[0], resultShape(op)); })
          .Case([&](qnn::GatherElementsOp o) {
            return ref::gatherElements(in[0], in[1], normAxis(o.getAxis(), in[0].rank()));
          })
          .Case([&](qnn::GridSampleOp o) {
            return ref::gridSample(in[0], in[1], static_cast<ResizeMode>(o.getMode()),
                                   static_cast<GridPadding>(o.getPadding()), o.getAlignCorners());
          })
          .Case([&](qnn::GatherNDOp o) { return ref::gatherND(in[0], in[1], o.getBatchDims()); })
          .Case([&](qnn::ScatterNDOp o) {
            return ref::scatterND(in[0], in[1], in[2], detail::scatterReduction(o.getReduction()));
          })
          .Case([&](qnn::ScatterElementsOp o) {
            return ref::scatterElements(in[0], in[1], in[2], normAxis(o.getAxis(), in[0].rank()),
                                        detail::scatterReduction(o.getReduction()));
          })
          .Case([&](qnn::TopKOp o) {
            return ref::topK(in[0], normAxis(o.getAxis(), in[0].rank()), o.getK(), o.getLargest());
          })
          .Case([&](qnn::PadOp o) {
            return ref::pad(in[0], o.getPads(), detail::padMode(o.getMode()),
                            o.getValue().convertToDouble());
          })
          .Case([&](qnn::ResizeOp o) {
            ResizeParams p;
            p.mode = static_cast<ResizeMode>(o.getMode());
            p.transform = static_cast<CoordTransform>(o.getCoordinateTransform());
            p.nearest = static_cast<NearestRounding>(o.getNearestMode());
            p.scales.assign(o.getScales().begin(), o.getScales().end());
            p.cubicCoeffA = o.getCubicCoeffA().convertToFloat();
            p.excludeOutside = o.getExcludeOutside();
            return ref::resize(in[0], p, resultShape(op));
          })
          .Case([&](qnn::ReduceMeanOp o) {
            return ref::reduce(ReduceKind::Mean, in[0], o.getAxes(), o.getKeepdims());
          })
          .Case([&](qnn::ReduceSumOp o) {
            return ref::reduce(ReduceKind::Sum, in[0], o.getAxes(), o.getKeepdims());
          })
          .Case([&](qnn::ReduceMaxOp o) {
            return ref::reduce(ReduceKind::Max, in[0], o.getAxes(), o.getKeepdims());
          })
          .Case([&](qnn::ReduceMinOp o) {
            return ref::reduce(ReduceKind::Min, in[0], o.getAxes(), o.getKeepdims());
          })
          .Case([&](qnn::CumSumOp o) {
            return ref::cumSum(in[0], normAxis(o.getAxis(), in[0].rank()), o.getExclusive(),
                               o.getReverse());
          })
          .Case([&](qnn::ArgMaxOp o) {
            return ref::argReduce(true, in[0], normAxis(o.getAxis(), in[0].rank()),
                                  o.getKeepdims(), o.getSelectLastIndex());
          })
          .Case([&](qnn::ArgMinOp o) {
            return ref::argReduce(false, in[0], normAxis(o.getAxis(), in[0].rank()),
                                  o.getKeepdims(), o.getSelectLastIndex());
          })
          .Case([&](qnn::ReduceProdOp o) {
            return ref::reduce(ReduceKind::Prod, in[0], o.getAxes(), o.getKeepdims());
          })
          .Default([&](Operation *) -> Expected<Tensor> {
            return llvm::createStringError("the reference executor has no kernel for this op");
          });
  if (!result)
    return llvm::createStringError(describeOp(op) + ": " + llvm::toString(result.takeError()));
  if (auto kind = op->getAttrOfType<qnn::ActivationAttr>("activation")) {
    // Exactly the standalone activation op, applied to the result.
    auto params = op->getAttrOfType<DenseF64ArrayAttr>("activation_params");
    auto param = [&](size_t i) { return params && (size_t)params.size() > i ? params[i] : 0.0; };
    UnaryParams p;
    UnaryKind k = UnaryKind::Relu;
    switch (kind.getValue()) {
    case qnn::Activation::relu: k = UnaryKind::Relu; break;
    case qnn::Activation::hard_swish: k = UnaryKind::HardSwish; break;
    case qnn::Activation::leaky_relu:
      k = UnaryKind::LeakyRelu;
      p.alpha = param(0);
      break;
    case qnn::Activation::hard_sigmoid:
      k = UnaryKind::HardSigmoid;
      p.alpha = param(0);
      p.beta = param(1);
      break;
    case qnn::Activation::clip:
      k = UnaryKind::Clip;
      if (!std::isnan(param(0)))
        p.lo = param(0);
      if (!std::isnan(param(1)))
        p.hi = param(1);
      break;
    }
    result = ref::unary(k, *result, p);
    if (!result)
      return llvm::createStringError(describeOp(op) + ": " + llvm::toString(result.takeError()));
  }
  if (auto err = checkResult(op, *result))
    return std::move(err);
  SmallVector<Tensor, 1> results;
  results.push_back(std::move(*result));
  return results;
}

//===----------------------------------------------------------------------===//
// Executor
//===----------------------------------------------------------------------===//

Expected<Executor> Executor::create(func::FuncOp func) {
  Executor ex;
  ex.func = func;
  if (func.isExternal())
    return llvm::createStringError("function '" + func.getSymName().str() + "' has no body");
  if (!func.getBody().hasOneBlock())
    return llvm::createStringError("function '" + func.getSymName().str() +
                                   "' must have a single block");
  // Inputs and outputs come from files the user gives; the signature must be
  // one the executor can hold before anything relies on it.
  for (Type t : llvm::concat<const Type>(func.getArgumentTypes(), func.getResultTypes())) {
    auto rt = dyn_cast<RankedTensorType>(t);
    std::string s;
    llvm::raw_string_ostream os(s);
    os << t;
    if (!rt || !rt.hasStaticShape())
      return llvm::createStringError("function '" + func.getSymName().str() + "' has a " + s +
                                     " input or output; only statically shaped tensors run");
    auto dtype = dtypeFromType(rt.getElementType());
    if (!dtype)
      return llvm::createStringError("function '" + func.getSymName().str() + "': " +
                                     llvm::toString(dtype.takeError()));
  }
  DenseMap<Value, Operation *> lastUser;
  for (Operation &op : func.getBody().front()) {
    if (auto c = dyn_cast<qnn::ConstantOp>(op)) {
      auto t = tensorFromAttr(c.getValue());
      if (!t)
        return llvm::createStringError(describeOp(&op) + ": " + llvm::toString(t.takeError()));
      ex.constants[&op] = std::move(*t);
      continue;
    }
    bool known = isa<func::ReturnOp, quant::QuantizeCastOp, quant::DequantizeCastOp,
                     quant::StorageCastOp>(op) ||
                 isa<qnn::QNNDialect>(op.getDialect());
    if (!known)
      return llvm::createStringError(describeOp(&op) + ": not a qnn or quant op; the reference "
                                     "executor runs qnn IR only");
    if (op.getNumResults() > 1)
      return llvm::createStringError(describeOp(&op) + ": ops with several results are not supported");
    for (Value v : op.getOperands())
      lastUser[v] = &op;
  }
  for (auto &[value, user] : lastUser)
    if (!isa<func::ReturnOp>(user))
      ex.lastUses[user].push_back(value);
  return ex;
}

Expected<SmallVector<Tensor>> Executor::run(ArrayRef<Tensor> inputs, ExecutionProfile *profile,
                                            Observer observer) {
  Block &body = func.getBody().front();
  if (inputs.size() != body.getNumArguments())
    return llvm::createStringError(llvm::formatv("expected {0} inputs, got {1}",
                                                 body.getNumArguments(), inputs.size())
                                       .str());
  DenseMap<Value, Tensor> values;
  for (auto [i, arg] : llvm::enumerate(body.getArguments())) {
    auto type = cast<RankedTensorType>(arg.getType());
    auto dtype = dtypeFromType(type.getElementType());
    if (!dtype)
      return dtype.takeError();
    std::string name = "input " + std::to_string(i);
    if (auto n = func.getArgAttrOfType<StringAttr>(i, "qnn.name"))
      name = "input '" + n.str() + "'";
    if (inputs[i].dtype() != *dtype || inputs[i].shape() != type.getShape()) {
      std::string want = dtypeName(*dtype).str() + shapeString(type.getShape());
      return llvm::createStringError(name + ": expected " + want + ", got " +
                                     inputs[i].describe());
    }
    values[arg] = inputs[i];
    if (observer)
      observer(arg, inputs[i]);
  }
  SmallVector<Tensor> operands;
  for (Operation &op : body) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      SmallVector<Tensor> outputs;
      for (Value v : ret.getOperands())
        outputs.push_back(values.lookup(v));
      return outputs;
    }
    if (auto it = constants.find(&op); it != constants.end()) {
      values[op.getResult(0)] = it->second;
      if (observer)
        observer(op.getResult(0), it->second);
      continue;
    }
    operands.clear();
    for (Value v : op.getOperands())
      operands.push_back(values.lookup(v));
    auto start = std::chrono::steady_clock::now();
    auto results = evaluateOp(&op, operands);
    if (!results)
      return results.takeError();
    if (profile) {
      auto &entry = profile->byOp[op.getName().getStringRef()];
      entry.seconds +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      ++entry.calls;
    }
    values[op.getResult(0)] = std::move((*results)[0]);
    if (observer)
      observer(op.getResult(0), values[op.getResult(0)]);
    if (auto it = lastUses.find(&op); it != lastUses.end())
      for (Value v : it->second)
        values.erase(v);
  }
  return llvm::createStringError("function has no return");
}
