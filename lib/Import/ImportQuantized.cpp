//===- ImportQuantized.cpp - Pre-quantized ONNX models ---------*- C++ -*-===//
//
// QDQ models (QuantizeLinear / DequantizeLinear around float ops) and
// QOperator models (QLinearConv, QLinearMatMul, ConvInteger, MatMulInteger)
// import into the IR that QOpt's own quantization produces: quant.qcast /
// quant.dcast with `!quant.uniform` types and qnn ops on quantized types, so
// qopt-fold-qdq turns both into the same integer ops.
//
// ONNX passes quantized tensors as plain uint8/int8/int32; they cross into
// quantized types with quant.scast (after a bit-preserving cast of uint8 to
// the signless storage type). Scales and zero points must be constants to
// become types; QuantizeLinear, DequantizeLinear and MatMulInteger with
// run-time parameters, and DynamicQuantizeLinear, import as the float and
// integer arithmetic that defines them.
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"
#include "qopt/Reference/Executor.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"

#include <cmath>

using namespace mlir;
using namespace qopt;
using namespace qopt::onnx_import;
using llvm::SmallVector;
namespace mq = mlir::quant;

namespace {

RankedTensorType tensorType(Value v) { return cast<RankedTensorType>(v.getType()); }

/// Storage of a quantized tensor as ONNX gives it.
struct Storage {
  unsigned width = 8;
  bool isSigned = false;
};

FailureOr<Storage> storageOf(NodeImporter &n, Type elt, llvm::StringRef what) {
  auto it = dyn_cast<IntegerType>(elt);
  if (it && (it.getWidth() == 8 || it.getWidth() == 16 || it.getWidth() == 32) &&
      !(it.getWidth() == 32 && it.isUnsigned()))
    return Storage{it.getWidth(), !it.isUnsigned()};
  std::string s;
  llvm::raw_string_ostream os(s);
  os << elt;
  (void)n.unsupported(what.str() + " of element type " + s +
                      " (int8, uint8, int16, uint16 and int32 are supported)");
  return failure();
}

/// The uniform quantized type for constant scale(s) and zero point(s):
/// per tensor for a single scale, else along `axis` of a rank-`rank` tensor.
FailureOr<Type> quantTypeFrom(NodeImporter &n, const ref::Tensor &scale,
                              const ref::Tensor *zero, Storage st, int64_t axis,
                              RankedTensorType valueType) {
  if (!ref::isFloat(scale.dtype()) || scale.rank() > 1)
    return ((void)n.error("scale must be a float scalar or 1-D tensor, got " + scale.describe()),
            failure());
  int64_t count = scale.numElements();
  if (zero && zero->numElements() != count)
    return ((void)n.error("zero point " + zero->describe() + " does not match scale " +
                    scale.describe()),
            failure());
  int64_t qmin = st.isSigned ? -(int64_t(1) << (st.width - 1)) : 0;
  int64_t qmax = st.isSigned ? (int64_t(1) << (st.width - 1)) - 1 : (int64_t(1) << st.width) - 1;
  SmallVector<double> scales;
  SmallVector<int64_t> zeros;
  for (int64_t i = 0; i < count; ++i) {
    double s = scale.getAsDouble(i);
    if (!(s > 0) || !std::isfinite(s))
      return ((void)n.error("scale " + std::to_string(s) + " must be positive and finite"), failure());
    scales.push_back(s);
    int64_t z = zero ? zero->getAsInt(i) : 0;
    if (z < qmin || z > qmax)
      return ((void)n.error("zero point " + std::to_string(z) + " is outside the storage range"),
              failure());
    zeros.push_back(z);
  }
  MLIRContext *ctx = n.ctx();
  Type storage = IntegerType::get(ctx, st.width);
  Type expressed = Float32Type::get(ctx);
  unsigned flags = st.isSigned ? (unsigned)mq::QuantizationFlags::Signed : 0;
  bool perAxis = scale.rank() == 1 && !(count == 1 && (axis < 0 || valueType.getRank() == 0 ||
                                                       valueType.getDimSize(axis) != 1));
  if (scale.rank() == 0 || (scale.rank() == 1 && count == 1 && !perAxis))
    return (Type)mq::UniformQuantizedType::get(flags, storage, expressed, scales[0], zeros[0],
                                               qmin, qmax);
  if (axis < 0 || valueType.getRank() == 0 || valueType.getDimSize(axis) != count)
    return ((void)n.error("per-axis scale of " + std::to_string(count) + " values does not match axis " +
                    std::to_string(axis) + " of the tensor"),
            failure());
  return (Type)mq::UniformQuantizedPerAxisType::get(flags, storage, expressed, scales, zeros,
                                                    (int32_t)axis, qmin, qmax);
}

/// A plain ONNX integer tensor as the signless storage of its width: uint8
/// -> i8 keeps the bits (integer narrowing wraps, as ONNX Cast).
FailureOr<Value> storageBits(NodeImporter &n, Value v) {
  RankedTensorType t = tensorType(v);
  auto it = cast<IntegerType>(t.getElementType());
  if (!it.isUnsigned())
    return v;
  return n.build<qnn::CastOp>({v}, {}, t.clone(IntegerType::get(n.ctx(), it.getWidth())));
}

/// A plain ONNX integer tensor seen as quantized values of type `qt`.
FailureOr<Value> toQuantized(NodeImporter &n, Value v, Type qt) {
  QOPT_TRY(bits, storageBits(n, v));
  return mq::StorageCastOp::create(n.b, n.loc, tensorType(v).clone(qt), bits).getResult();
}

/// Quantized values back to the plain ONNX integer type `onnxElt`.
FailureOr<Value> fromQuantized(NodeImporter &n, Value q, Type onnxElt) {
  RankedTensorType t = tensorType(q);
  auto qt = cast<mq::QuantizedType>(t.getElementType());
  Value s = mq::StorageCastOp::create(n.b, n.loc, t.clone(qt.getStorageType()), q);
  if (onnxElt == qt.getStorageType())
    return s;
  return n.build<qnn::CastOp>({s}, {}, t.clone(onnxElt));
}

FailureOr<int64_t> readAxis(NodeImporter &n, int64_t rank) {
  QOPT_TRY(axis, n.attrInt("axis", 1));
  // The axis only matters for per-axis parameters; quantTypeFrom rejects an
  // out-of-range one then (-1 here).
  if (axis < -rank || axis >= rank)
    return -1;
  return axis < 0 ? axis + rank : axis;
}

Value scalarConstant(NodeImporter &n, float v, llvm::StringRef hint) {
  ref::Tensor t(ref::DType::F32, {});
  t.data<float>()[0] = v;
  return n.constant(t, hint);
}

/// A per-axis parameter vector reshaped to broadcast along `axis`.
FailureOr<Value> alongAxis(NodeImporter &n, Value p, int64_t axis, int64_t rank) {
  RankedTensorType t = tensorType(p);
  if (t.getRank() == 0 || t.getNumElements() == 1 || rank == 0)
    return p;
  SmallVector<int64_t> shape(rank, 1);
  shape[axis] = t.getNumElements();
  return n.build<qnn::ReshapeOp>({p}, {}, RankedTensorType::get(shape, t.getElementType()));
}

FailureOr<Value> toF32(NodeImporter &n, Value v) {
  RankedTensorType t = tensorType(v);
  if (t.getElementType().isF32())
    return v;
  return n.build<qnn::CastOp>({v}, {}, t.clone(Float32Type::get(n.ctx())));
}

/// clip(round(x / s) + z, qmin, qmax) as the storage type: QuantizeLinear
/// with run-time parameters, computed exactly as ONNX defines it.
FailureOr<Value> quantizeAtRunTime(NodeImporter &n, Value x, Value s, Value zF, Storage st,
                                   Type outElt) {
  QOPT_TRY(q, n.build<qnn::DivOp>({x, s}));
  QOPT_TRY(r, n.build<qnn::RoundOp>({q}, {}, tensorType(q)));
  Value shifted = r;
  if (zF) {
    QOPT_TRY(a, n.build<qnn::AddOp>({r, zF}));
    shifted = a;
  }
  double qmin = st.isSigned ? -std::ldexp(1.0, st.width - 1) : 0;
  double qmax = st.isSigned ? std::ldexp(1.0, st.width - 1) - 1 : std::ldexp(1.0, st.width) - 1;
  QOPT_TRY(c, n.build<qnn::ClipOp>({shifted},
                                   {n.named("min", n.b.getF64FloatAttr(qmin)),
                                    n.named("max", n.b.getF64FloatAttr(qmax))},
                                   tensorType(shifted)));
  return n.build<qnn::CastOp>({c}, {}, tensorType(c).clone(outElt));
}

//===----------------------------------------------------------------------===//
// QuantizeLinear / DequantizeLinear
//===----------------------------------------------------------------------===//

/// Blocked quantization (opset 21's block_size) has no quantized type.
LogicalResult rejectBlocked(NodeImporter &n) {
  if (const auto *bs = n.attr("block_size"); bs && bs->i() != 0)
    return n.unsupported("blocked quantization (block_size " + std::to_string(bs->i()) + ")");
  return success();
}

LogicalResult importQuantizeLinear(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(scale, n.input(1));
  Value zero = n.optionalInput(2);
  if (failed(rejectBlocked(n)))
    return failure();
  RankedTensorType xt = tensorType(x);
  Type outElt = zero ? tensorType(zero).getElementType() : IntegerType::get(n.ctx(), 8, IntegerType::Unsigned);
  QOPT_TRY(st, storageOf(n, outElt, "QuantizeLinear output"));
  if (st.width == 32)
    return n.unsupported("QuantizeLinear to int32");
  QOPT_TRY(axis, readAxis(n, xt.getRank()));
  QOPT_TRY(xf, toF32(n, x));
  const ref::Tensor *s = n.constantOf(scale);
  const ref::Tensor *z = zero ? n.constantOf(zero) : nullptr;
  if (s && (!zero || z)) {
    QOPT_TRY(qt, quantTypeFrom(n, *s, z, st, axis, xt));
    Value q = mq::QuantizeCastOp::create(n.b, n.loc, xt.clone(qt), xf);
    QOPT_TRY(out, fromQuantized(n, q, outElt));
    n.setOutput(0, out);
    return success();
  }
  QOPT_TRY(sf, toF32(n, scale));
  QOPT_TRY(sa, alongAxis(n, sf, axis, xt.getRank()));
  Value za;
  if (zero) {
    QOPT_TRY(zf, toF32(n, zero));
    QOPT_TRY(zb, alongAxis(n, zf, axis, xt.getRank()));
    za = zb;
  }
  QOPT_TRY(out, quantizeAtRunTime(n, xf, sa, za, st, outElt));
  n.setOutput(0, out);
  return success();
}

LogicalResult importDequantizeLinear(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(scale, n.input(1));
  Value zero = n.optionalInput(2);
  if (failed(rejectBlocked(n)))
    return failure();
  RankedTensorType xt = tensorType(x);
  QOPT_TRY(st, storageOf(n, xt.getElementType(), "DequantizeLinear input"));
  QOPT_TRY(axis, readAxis(n, xt.getRank()));
  Type outElt = tensorType(scale).getElementType();
  const ref::Tensor *s = n.constantOf(scale);
  const ref::Tensor *z = zero ? n.constantOf(zero) : nullptr;
  if (s && (!zero || z)) {
    QOPT_TRY(qt, quantTypeFrom(n, *s, z, st, axis, xt));
    QOPT_TRY(q, toQuantized(n, x, qt));
    Value d = mq::DequantizeCastOp::create(n.b, n.loc, xt.clone(Float32Type::get(n.ctx())), q);
    if (!outElt.isF32()) {
      QOPT_TRY(c, n.build<qnn::CastOp>({d}, {}, xt.clone(outElt)));
      d = c;
    }
    n.setOutput(0, d);
    return success();
  }
  // (x - z) * s: the difference is exact in f32 for 8- and 16-bit storage.
  QOPT_TRY(xf, toF32(n, x));
  Value centered = xf;
  if (zero) {
    QOPT_TRY(zf, toF32(n, zero));
    QOPT_TRY(zb, alongAxis(n, zf, axis, xt.getRank()));
    QOPT_TRY(c, n.build<qnn::SubOp>({xf, zb}));
    centered = c;
  }
  QOPT_TRY(sf, toF32(n, scale));
  QOPT_TRY(sb, alongAxis(n, sf, axis, xt.getRank()));
  QOPT_TRY(y, n.build<qnn::MulOp>({centered, sb}));
  if (!outElt.isF32()) {
    QOPT_TRY(c, n.build<qnn::CastOp>({y}, {}, tensorType(y).clone(outElt)));
    y = c;
  }
  n.setOutput(0, y);
  return success();
}

//===----------------------------------------------------------------------===//
// DynamicQuantizeLinear
//===----------------------------------------------------------------------===//

/// uint8 with scale (max(0, max x) - min(0, min x)) / 255 and zero point
/// round(clip(-min(0, min x) / scale, 0, 255)), as the ONNX function body
/// defines it; three outputs from single-result ops.
LogicalResult importDynamicQuantizeLinear(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  RankedTensorType xt = tensorType(x);
  if (!xt.getElementType().isF32())
    return n.unsupported("DynamicQuantizeLinear of a non-f32 input");
  SmallVector<int64_t> axes;
  for (int64_t i = 0; i < xt.getRank(); ++i)
    axes.push_back(i);
  auto reduceAttrs = [&] {
    return SmallVector<NamedAttribute>{n.named("axes", n.b.getDenseI64ArrayAttr(axes)),
                                       n.named("keepdims", n.b.getBoolAttr(false))};
  };
  Value zero = scalarConstant(n, 0.0f, "dql.zero");
  Value range = scalarConstant(n, 255.0f, "dql.range");
  QOPT_TRY(mn, n.build<qnn::ReduceMinOp>({x}, reduceAttrs()));
  QOPT_TRY(mx, n.build<qnn::ReduceMaxOp>({x}, reduceAttrs()));
  QOPT_TRY(lo, n.build<qnn::MinOp>({mn, zero}));
  QOPT_TRY(hi, n.build<qnn::MaxOp>({mx, zero}));
  QOPT_TRY(width, n.build<qnn::SubOp>({hi, lo}));
  QOPT_TRY(scale, n.build<qnn::DivOp>({width, range}));
  QOPT_TRY(loOverScale, n.build<qnn::DivOp>({lo, scale}));
  QOPT_TRY(izp, n.build<qnn::SubOp>({zero, loOverScale}));
  QOPT_TRY(sat, n.build<qnn::ClipOp>({izp},
                                     {n.named("min", n.b.getF64FloatAttr(0.0)),
                                      n.named("max", n.b.getF64FloatAttr(255.0))},
                                     tensorType(izp)));
  QOPT_TRY(zpF, n.build<qnn::RoundOp>({sat}, {}, tensorType(sat)));
  Type u8 = IntegerType::get(n.ctx(), 8, IntegerType::Unsigned);
  QOPT_TRY(y, quantizeAtRunTime(n, x, scale, zpF, Storage{8, false}, u8));
  QOPT_TRY(zp, n.build<qnn::CastOp>({zpF}, {}, tensorType(zpF).clone(u8)));
  n.setOutput(0, y);
  n.setOutput(1, scale);
  n.setOutput(2, zp);
  return success();
}

//===----------------------------------------------------------------------===//
// QLinearConv, QLinearMatMul
//===----------------------------------------------------------------------===//

/// Input `i` (a tensor) quantized by the constant scale at `si` and zero
/// point at `zi` (absent: 0), per axis `axis` when the scale is a vector.
FailureOr<Value> quantizedInput(NodeImporter &n, int i, int si, int zi, int64_t axis) {
  QOPT_TRY(v, n.input(i));
  QOPT_TRY(st, storageOf(n, tensorType(v).getElementType(), "input " + std::to_string(i)));
  QOPT_TRY(s, n.constantInput(si, "scale"));
  const ref::Tensor *z = nullptr;
  if (n.hasInput(zi)) {
    QOPT_TRY(zc, n.constantInput(zi, "zero point"));
    z = zc;
  }
  QOPT_TRY(qt, quantTypeFrom(n, *s, z, st, axis, tensorType(v)));
  return toQuantized(n, v, qt);
}

/// The result type of a QLinear op from its constant y_scale / y_zero_point.
FailureOr<Type> quantizedResult(NodeImporter &n, int si, int zi, Type onnxElt,
                                RankedTensorType shape) {
  QOPT_TRY(st, storageOf(n, onnxElt, "output"));
  QOPT_TRY(s, n.constantInput(si, "output scale"));
  QOPT_TRY(z, n.constantInput(zi, "output zero point"));
  if (s->numElements() != 1)
    return ((void)n.unsupported("a per-axis output scale"), failure());
  return quantTypeFrom(n, *s, z, st, 0, shape);
}

LogicalResult importQLinearConv(NodeImporter &n) {
  QOPT_TRY(x, quantizedInput(n, 0, 1, 2, 1));
  QOPT_TRY(w, quantizedInput(n, 3, 4, 5, 0));
  Value bias = n.optionalInput(8);
  if (bias && !tensorType(bias).getElementType().isInteger(32))
    return n.error("bias must be int32");
  QOPT_TRY(y, buildConv(n, x, w, bias));
  Type onnxElt = tensorType(n.optionalInput(7)).getElementType();
  QOPT_TRY(qt, quantizedResult(n, 6, 7, onnxElt, tensorType(y)));
  y.setType(tensorType(y).clone(qt));
  QOPT_TRY(out, fromQuantized(n, y, onnxElt));
  n.setOutput(0, out);
  return success();
}

LogicalResult importQLinearMatMul(NodeImporter &n) {
  QOPT_TRY(bRaw, n.input(3));
  int64_t bRank = tensorType(bRaw).getRank();
  QOPT_TRY(a, quantizedInput(n, 0, 1, 2, 0));
  QOPT_TRY(b, quantizedInput(n, 3, 4, 5, std::max<int64_t>(bRank - 1, 0)));
  QOPT_TRY(y, n.build<qnn::MatMulOp>({a, b}));
  Type onnxElt = tensorType(n.optionalInput(7)).getElementType();
  QOPT_TRY(qt, quantizedResult(n, 6, 7, onnxElt, tensorType(y)));
  y.setType(tensorType(y).clone(qt));
  QOPT_TRY(out, fromQuantized(n, y, onnxElt));
  n.setOutput(0, out);
  return success();
}

//===----------------------------------------------------------------------===//
// ConvInteger, MatMulInteger
//===----------------------------------------------------------------------===//

/// Input `i` as quantized values with scale 1 and the zero point at `zi`:
/// the integer ops then produce the raw int32 accumulator (multiplier 1).
FailureOr<Value> unitScaleInput(NodeImporter &n, int i, int zi, int64_t axis) {
  QOPT_TRY(v, n.input(i));
  QOPT_TRY(st, storageOf(n, tensorType(v).getElementType(), "input " + std::to_string(i)));
  if (st.width != 8)
    return ((void)n.unsupported("integer operands wider than 8 bits"), failure());
  const ref::Tensor *z = nullptr;
  if (n.hasInput(zi)) {
    QOPT_TRY(zc, n.constantInput(zi, "zero point"));
    z = zc;
  }
  int64_t count = z ? z->numElements() : 1;
  ref::Tensor ones(ref::DType::F32, z && z->rank() == 1 ? SmallVector<int64_t>{count}
                                                         : SmallVector<int64_t>{});
  for (int64_t k = 0; k < ones.numElements(); ++k)
    ones.data<float>()[k] = 1.0f;
  QOPT_TRY(qt, quantTypeFrom(n, ones, z, st, axis, tensorType(v)));
  return toQuantized(n, v, qt);
}

Type int32Accumulator(MLIRContext *ctx) {
  return mq::UniformQuantizedType::get((unsigned)mq::QuantizationFlags::Signed,
                                       IntegerType::get(ctx, 32), Float32Type::get(ctx), 1.0, 0,
                                       INT32_MIN, INT32_MAX);
}

/// The unit-scale type with zero point 0 of storage `st`: integer values
/// as they are, for products whose zero points are handled outside.
FailureOr<Type> plainIntegerType(NodeImporter &n, Storage st, RankedTensorType valueType) {
  ref::Tensor one(ref::DType::F32, {});
  one.data<float>()[0] = 1.0f;
  return quantTypeFrom(n, one, nullptr, st, 0, valueType);
}

/// z * sum(w - z_w), the sum over every dimension of the constant `w` but
/// `axis` (z_w: one value, or one per index along `axis`), shaped `shape`:
/// what a run-time scalar zero point z of the other operand subtracts from
/// an integer product. Built before the product, so a tensor-core kernel's
/// epilogue can subtract it.
FailureOr<Value> zeroPointCorrection(NodeImporter &n, const ref::Tensor &w, const ref::Tensor &wz,
                                     int64_t axis, ArrayRef<int64_t> shape, Value z,
                                     StringRef hint) {
  int64_t count = w.dim(axis), inner = 1;
  for (int64_t d = axis + 1; d < w.rank(); ++d)
    inner *= w.dim(d);
  SmallVector<int64_t> totals(count, 0);
  for (int64_t i = 0; i < w.numElements(); ++i) {
    int64_t c = count ? (i / inner) % count : 0;
    totals[c] += w.getAsInt(i) - (wz.valid() ? wz.getAsInt(wz.numElements() == 1 ? 0 : c) : 0);
  }
  QOPT_TRY(sums, n.newTensor(ref::DType::I32, shape));
  for (int64_t c = 0; c < count; ++c) {
    if (totals[c] < INT32_MIN || totals[c] > INT32_MAX)
      return ((void)n.unsupported("weights whose sum overflows int32"), failure());
    sums.data<int32_t>()[c] = (int32_t)totals[c];
  }
  Value sumsC = n.constant(sums, hint);
  QOPT_TRY(zScalar, reshapeValue(n, z, {}));
  Type i32 = IntegerType::get(n.ctx(), 32);
  QOPT_TRY(zWide, n.build<qnn::CastOp>({zScalar}, {}, tensorType(zScalar).clone(i32)));
  return n.build<qnn::MulOp>({zWide, sumsC});
}

/// ConvInteger whose input zero point z is known only at run time (from
/// DynamicQuantizeLinear: onnxruntime's quantize_dynamic on a CNN). With
/// w' = w - w_zero_point and the padded input x_p (padded with z, the real
/// zero), the result is
///   sum (x_p - z) w' = conv(x_p, w') - z * sum(w')
/// so the integer conv runs with a constant zero point of 0 and the run-time
/// part is one product per output channel; sum(w') is folded here, which
/// needs constant weights. The padding is explicit: a pad with 0, then z
/// written into the padded border.
LogicalResult importConvIntegerRunTimeZero(NodeImporter &n) {
  QOPT_TRY(xRaw, n.input(0));
  QOPT_TRY(wRaw, n.input(1));
  Value xz = n.optionalInput(2);
  RankedTensorType xt = tensorType(xRaw), zt = tensorType(xz);
  if (zt.getNumElements() != 1)
    return n.unsupported("a per-channel input zero point");
  if (zt.getElementType() != xt.getElementType())
    return n.error("x_zero_point must have the input's element type");
  QOPT_TRY(st, storageOf(n, xt.getElementType(), "input 0"));
  if (st.width != 8)
    return n.unsupported("integer operands wider than 8 bits");
  // By value: building ops below adds constants, which may move the table
  // constantOf points into (the copy shares the data).
  const ref::Tensor *wp = n.constantOf(wRaw);
  if (!wp)
    return n.unsupported("a run-time input zero point with non-constant weights");
  ref::Tensor wc = *wp;
  QOPT_TRY(w, unitScaleInput(n, 1, 3, 0));
  ref::Tensor wz;
  if (Value wzv = n.optionalInput(3))
    wz = *n.constantOf(wzv); // unitScaleInput required a constant of M or 1 values
  QOPT_TRY(pads, convPads(n, xRaw, wRaw));

  SmallVector<int64_t> sumShape(xt.getRank(), 1);
  sumShape[1] = wc.dim(0);
  QOPT_TRY(correction, zeroPointCorrection(n, wc, wz, 0, sumShape, xz,
                                           "conv_integer.weight_sums"));

  // The input's 8-bit storage, padded with z: a pad with 0, then z written
  // into the border.
  QOPT_TRY(xb, storageBits(n, xRaw));
  Value xp = xb;
  int64_t spatial = xt.getRank() - 2;
  if (llvm::any_of(pads, [](int64_t p) { return p != 0; })) {
    SmallVector<int64_t> padAll(2 * xt.getRank(), 0), padded(xt.getShape());
    padded[0] = padded[1] = 1;
    for (int64_t i = 0; i < spatial; ++i) {
      padAll[2 + i] = pads[i];
      padAll[xt.getRank() + 2 + i] = pads[spatial + i];
      padded[2 + i] += pads[i] + pads[spatial + i];
    }
    QOPT_TRY(zeroPadded, n.build<qnn::PadOp>(
                             {xb}, {n.named("pads", n.b.getDenseI64ArrayAttr(padAll)),
                                    n.named("mode", qnn::PadModeAttr::get(
                                                        n.ctx(), qnn::PadMode::constant))}));
    // The border mask, [1, 1, spatial...]: true outside the input.
    QOPT_TRY(mask, n.newTensor(ref::DType::Bool, padded));
    for (int64_t k = 0; k < mask.numElements(); ++k) {
      int64_t rest = k;
      bool border = false;
      for (int64_t i = spatial - 1; i >= 0; --i) {
        int64_t c = rest % padded[2 + i];
        rest /= padded[2 + i];
        border |= c < pads[i] || c >= pads[i] + xt.getDimSize(2 + i);
      }
      mask.data<bool>()[k] = border;
    }
    Value maskC = n.constant(mask, "conv_integer.border");
    QOPT_TRY(zb, storageBits(n, xz));
    QOPT_TRY(zScalar, reshapeValue(n, zb, {}));
    QOPT_TRY(filled, n.build<qnn::WhereOp>({maskC, zScalar, zeroPadded}));
    xp = filled;
  }
  QOPT_TRY(xPlainType, plainIntegerType(n, st, tensorType(xp)));
  Value xq = mq::StorageCastOp::create(n.b, n.loc, tensorType(xp).clone(xPlainType), xp);
  SmallVector<int64_t> noPads(2 * spatial, 0);
  QOPT_TRY(acc, buildConv(n, xq, w, Value(), ArrayRef<int64_t>(noPads)));
  acc.setType(tensorType(acc).clone(int32Accumulator(n.ctx())));
  QOPT_TRY(accI, fromQuantized(n, acc, IntegerType::get(n.ctx(), 32)));

  QOPT_TRY(y, n.build<qnn::SubOp>({accI, correction}));
  n.setOutput(0, y);
  return success();
}

LogicalResult importConvInteger(NodeImporter &n) {
  if (Value xz = n.optionalInput(2); xz && !n.constantOf(xz))
    return importConvIntegerRunTimeZero(n);
  QOPT_TRY(x, unitScaleInput(n, 0, 2, 1));
  QOPT_TRY(w, unitScaleInput(n, 1, 3, 0));
  QOPT_TRY(y, buildConv(n, x, w, Value()));
  y.setType(tensorType(y).clone(int32Accumulator(n.ctx())));
  QOPT_TRY(out, fromQuantized(n, y, IntegerType::get(n.ctx(), 32)));
  n.setOutput(0, out);
  return success();
}

/// MatMulInteger whose A zero point z_a is one value known only at run time
/// (DynamicQuantizeLinear: onnxruntime's quantize_dynamic on a transformer),
/// with a constant matrix B:
///   sum_k (a - z_a)(b - z_b) = sum_k a (b - z_b) - z_a * sum_k (b - z_b)
/// The product then has constant zero points (A's is 0), so it is an integer
/// matmul like any other (tensor cores included, once qopt-signed-storage has
/// made a uint8 A signed); the column sums of B - z_b fold here.
LogicalResult importMatMulIntegerRunTimeZero(NodeImporter &n, ref::Tensor b) {
  QOPT_TRY(aRaw, n.input(0));
  Value az = n.optionalInput(2);
  if (tensorType(az).getElementType() != tensorType(aRaw).getElementType())
    return n.error("a_zero_point must have A's element type");
  // B first: its zero points are checked against its columns there.
  QOPT_TRY(bq, unitScaleInput(n, 1, 3, 1));
  ref::Tensor bz; // unitScaleInput required a constant of N or 1 values
  if (n.hasInput(3))
    bz = *n.constantOf(n.optionalInput(3));
  QOPT_TRY(correction, zeroPointCorrection(n, b, bz, 1, {b.dim(1)}, az,
                                           "matmul_integer.column_sums"));
  QOPT_TRY(st, storageOf(n, tensorType(aRaw).getElementType(), "input 0"));
  QOPT_TRY(aType, plainIntegerType(n, st, tensorType(aRaw)));
  QOPT_TRY(a, toQuantized(n, aRaw, aType));
  QOPT_TRY(acc, n.build<qnn::MatMulOp>({a, bq}));
  acc.setType(tensorType(acc).clone(int32Accumulator(n.ctx())));
  QOPT_TRY(accI, fromQuantized(n, acc, IntegerType::get(n.ctx(), 32)));
  QOPT_TRY(y, n.build<qnn::SubOp>({accI, correction}));
  n.setOutput(0, y);
  return success();
}

LogicalResult importMatMulInteger(NodeImporter &n) {
  QOPT_TRY(aRaw, n.input(0));
  QOPT_TRY(bRaw, n.input(1));
  Value az = n.optionalInput(2), bz = n.optionalInput(3);
  if (az && !n.constantOf(az) && tensorType(az).getNumElements() == 1 &&
      tensorType(aRaw).getElementType().getIntOrFloatBitWidth() == 8) {
    const ref::Tensor *b = n.constantOf(bRaw);
    const ref::Tensor *bzc = bz ? n.constantOf(bz) : nullptr;
    if (b && b->rank() == 2 && (!bz || bzc) && b->dim(0) <= (1 << 14))
      return importMatMulIntegerRunTimeZero(n, *b);
  }
  auto scalarOrConstant = [&](Value z, bool allowVector) {
    if (!z)
      return true;
    const ref::Tensor *t = n.constantOf(z);
    return t && (t->numElements() == 1 || allowVector);
  };
  int64_t bRank = tensorType(bRaw).getRank();
  // Constant per-tensor A and per-tensor or per-column B zero points map to
  // quantized types; anything else is exact int32 arithmetic.
  if (scalarOrConstant(az, false) && scalarOrConstant(bz, bRank >= 2)) {
    QOPT_TRY(a, unitScaleInput(n, 0, 2, 0));
    QOPT_TRY(b, unitScaleInput(n, 1, 3, std::max<int64_t>(bRank - 1, 0)));
    QOPT_TRY(y, n.build<qnn::MatMulOp>({a, b}));
    y.setType(tensorType(y).clone(int32Accumulator(n.ctx())));
    QOPT_TRY(out, fromQuantized(n, y, IntegerType::get(n.ctx(), 32)));
    n.setOutput(0, out);
    return success();
  }
  Type i32 = IntegerType::get(n.ctx(), 32);
  auto centered = [&](Value v, Value z, bool rows) -> FailureOr<Value> {
    QOPT_TRY(wide, n.build<qnn::CastOp>({v}, {}, tensorType(v).clone(i32)));
    if (!z)
      return wide;
    QOPT_TRY(zw, n.build<qnn::CastOp>({z}, {}, tensorType(z).clone(i32)));
    Value zb = zw;
    // A per-row zero point of A ([M]) broadcasts along rows: [M, 1].
    if (rows && tensorType(zw).getRank() == 1 && tensorType(zw).getNumElements() > 1) {
      QOPT_TRY(r, n.build<qnn::ReshapeOp>(
                      {zw}, {},
                      RankedTensorType::get({tensorType(zw).getNumElements(), 1}, i32)));
      zb = r;
    }
    return n.build<qnn::SubOp>({wide, zb});
  };
  QOPT_TRY(a, centered(aRaw, az, true));
  QOPT_TRY(b, centered(bRaw, bz, false));
  QOPT_TRY(y, n.build<qnn::MatMulOp>({a, b}));
  n.setOutput(0, y);
  return success();
}

} // namespace

void qopt::onnx_import::registerQuantizedHandlers(llvm::StringMap<Handler> &t) {
  t["QuantizeLinear"] = importQuantizeLinear;
  t["DequantizeLinear"] = importDequantizeLinear;
  t["DynamicQuantizeLinear"] = importDynamicQuantizeLinear;
  t["QLinearConv"] = importQLinearConv;
  t["QLinearMatMul"] = importQLinearMatMul;
  t["ConvInteger"] = importConvInteger;
  t["MatMulInteger"] = importMatMulInteger;
}
