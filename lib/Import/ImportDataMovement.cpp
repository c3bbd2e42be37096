//===- ImportDataMovement.cpp - ONNX shape and data movement --*- C++ -*-===//
//
// Shape-computing ops (Shape, Size, ConstantOfShape, Range) become constants
// because input shapes are pinned; Reshape, Flatten, Squeeze and Unsqueeze
// become one static qnn.reshape; Split becomes slices.
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"

#include "llvm/ADT/StringSwitch.h"

#include "llvm/ADT/STLExtras.h"

#include <cmath>

using namespace mlir;
using namespace qopt;
using namespace qopt::onnx_import;
using llvm::SmallVector;

static ref::Tensor int64Tensor(ArrayRef<int64_t> values, bool scalar = false) {
  SmallVector<int64_t> shape;
  if (!scalar)
    shape.push_back(values.size());
  ref::Tensor t(ref::DType::I64, shape);
  for (size_t i = 0; i < values.size(); ++i)
    t.data<int64_t>()[i] = values[i];
  return t;
}

static LogicalResult importConstant(NodeImporter &n) {
  if (n.node.attribute_size() != 1)
    return n.error("Constant needs exactly one value attribute");
  const onnx::AttributeProto &a = n.node.attribute(0);
  llvm::StringRef name = a.name();
  auto expect = [&](onnx::AttributeProto::AttributeType t) -> LogicalResult {
    if (a.type() != t)
      return n.error("attribute '" + name + "' has the wrong type");
    return success();
  };
  ref::Tensor t;
  if (name == "value") {
    if (failed(expect(onnx::AttributeProto::TENSOR)))
      return failure();
    auto tensor = tensorFromProto(a.t(), n.modelDir, n.maxTensorBytes());
    if (!tensor)
      return n.error("constant value: " + llvm::toString(tensor.takeError()));
    t = std::move(*tensor);
  } else if (name == "value_float") {
    if (failed(expect(onnx::AttributeProto::FLOAT)))
      return failure();
    t = ref::Tensor(ref::DType::F32, {});
    t.data<float>()[0] = a.f();
  } else if (name == "value_floats") {
    if (failed(expect(onnx::AttributeProto::FLOATS)))
      return failure();
    t = ref::Tensor(ref::DType::F32, {(int64_t)a.floats_size()});
    for (int i = 0; i < a.floats_size(); ++i)
      t.data<float>()[i] = a.floats(i);
  } else if (name == "value_int") {
    if (failed(expect(onnx::AttributeProto::INT)))
      return failure();
    t = int64Tensor({a.i()}, /*scalar=*/true);
  } else if (name == "value_ints") {
    if (failed(expect(onnx::AttributeProto::INTS)))
      return failure();
    t = int64Tensor(SmallVector<int64_t>(a.ints().begin(), a.ints().end()));
  } else {
    return n.unsupported("attribute '" + name.str() + "' (string and sparse constants)");
  }
  n.setOutput(0, n.constant(t, n.hasOutput(0) ? n.node.output(0) : "constant"));
  return success();
}

static LogicalResult importShape(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  ArrayRef<int64_t> shape = cast<RankedTensorType>(x.getType()).getShape();
  int64_t rank = shape.size();
  QOPT_TRY(start, n.attrInt("start", 0));
  QOPT_TRY(end, n.attrInt("end", rank));
  if (n.opset < 15 && (n.attr("start") || n.attr("end")))
    return n.error("start/end attributes need opset 15");
  auto clampIdx = [&](int64_t i) {
    if (i < 0)
      i += rank;
    return std::clamp<int64_t>(i, 0, rank);
  };
  start = clampIdx(start);
  end = clampIdx(end);
  SmallVector<int64_t> dims;
  for (int64_t i = start; i < end; ++i)
    dims.push_back(shape[i]);
  n.setOutput(0, n.constant(int64Tensor(dims), n.node.output(0)));
  return success();
}

static LogicalResult importSize(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  n.setOutput(0, n.constant(int64Tensor({cast<RankedTensorType>(x.getType()).getNumElements()},
                                        /*scalar=*/true),
                            n.node.output(0)));
  return success();
}

static LogicalResult importConstantOfShape(NodeImporter &n) {
  QOPT_TRY(shape, n.constantInts(0, "shape"));
  for (int64_t d : shape)
    if (d < 0)
      return n.error("shape has a negative dimension " + llvm::Twine(d));
  ref::Tensor fill(ref::DType::F32, {});
  if (const onnx::AttributeProto *a = n.attr("value")) {
    if (a->type() != onnx::AttributeProto::TENSOR)
      return n.error("attribute 'value' must be TENSOR");
    auto t = tensorFromProto(a->t(), n.modelDir, 1 << 20);
    if (!t)
      return n.error("value: " + llvm::toString(t.takeError()));
    if (t->numElements() != 1)
      return n.error("value must hold one element");
    fill = t->reshaped({});
  }
  Value scalar = n.constant(fill, "fill");
  auto type = RankedTensorType::get(shape, cast<RankedTensorType>(scalar.getType()).getElementType());
  QOPT_TRY(v, n.build<qnn::ExpandOp>({scalar}, {}, type));
  n.setOutput(0, v);
  return success();
}

static LogicalResult importRange(NodeImporter &n) {
  QOPT_TRY(start, n.constantInput(0, "start"));
  QOPT_TRY(limit, n.constantInput(1, "limit"));
  QOPT_TRY(delta, n.constantInput(2, "delta"));
  if (start->numElements() != 1 || limit->numElements() != 1 || delta->numElements() != 1)
    return n.error("start, limit and delta must be scalars");
  if (start->dtype() != limit->dtype() || start->dtype() != delta->dtype())
    return n.error("start, limit and delta must have the same type");
  double s = start->getAsDouble(0), l = limit->getAsDouble(0), d = delta->getAsDouble(0);
  if (d == 0)
    return n.error("delta is zero");
  double count = std::ceil((l - s) / d);
  if (!(count < 1e9))
    return n.error("Range would produce more than 1e9 elements");
  int64_t num = std::max<int64_t>(0, (int64_t)count);
  QOPT_TRY(out, n.newTensor(start->dtype(), {num}));
  bool isInt = !ref::isFloat(start->dtype());
  for (int64_t i = 0; i < num; ++i) {
    if (isInt)
      out.setFromDouble(i, (double)(start->getAsInt(0) + i * delta->getAsInt(0)));
    else
      out.setFromDouble(i, s + i * d);
  }
  n.setOutput(0, n.constant(out, n.node.output(0)));
  return success();
}

static LogicalResult emitReshape(NodeImporter &n, Value x, ArrayRef<int64_t> shape) {
  auto xt = cast<RankedTensorType>(x.getType());
  if (xt.getShape() == shape) {
    n.setOutput(0, x);
    return success();
  }
  QOPT_TRY(v, n.build<qnn::ReshapeOp>({x}, {}, RankedTensorType::get(shape, xt.getElementType())));
  n.setOutput(0, v);
  return success();
}

static LogicalResult importReshape(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(shape, n.constantInts(1, "shape"));
  QOPT_TRY(allowZero, n.attrInt("allowzero", 0));
  auto xt = cast<RankedTensorType>(x.getType());
  int64_t inferAt = -1, known = 1;
  for (auto [i, d] : llvm::enumerate(shape)) {
    if (d == 0 && !allowZero) {
      if ((int64_t)i >= xt.getRank())
        return n.error("shape copies dimension " + llvm::Twine(i) + " (0) but the input has rank " +
                       llvm::Twine(xt.getRank()));
      d = xt.getDimSize(i);
    } else if (d == -1) {
      if (inferAt >= 0)
        return n.error("shape has more than one -1");
      inferAt = i;
      continue;
    } else if (d < 0) {
      return n.error("shape has an invalid dimension " + llvm::Twine(d));
    }
    if (d != 0 && known > INT64_MAX / d)
      return n.error("shape overflows int64");
    known *= d;
  }
  int64_t total = xt.getNumElements();
  if (inferAt >= 0) {
    if (known == 0 || total % known != 0)
      return n.error("cannot infer the -1 dimension: " + llvm::Twine(total) +
                     " elements do not divide by " + llvm::Twine(known));
    shape[inferAt] = total / known;
  } else if (known != total) {
    return n.error("cannot reshape " + llvm::Twine(total) + " elements to " + llvm::Twine(known));
  }
  return emitReshape(n, x, shape);
}

static LogicalResult importFlatten(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  auto xt = cast<RankedTensorType>(x.getType());
  int64_t rank = xt.getRank();
  QOPT_TRY(axis, n.attrInt("axis", 1));
  if (axis < -rank || axis > rank)
    return n.error("axis " + llvm::Twine(axis) + " is out of range for rank " + llvm::Twine(rank));
  if (axis < 0)
    axis += rank;
  int64_t a = 1, b = 1;
  for (int64_t d = 0; d < rank; ++d)
    (d < axis ? a : b) *= xt.getDimSize(d);
  return emitReshape(n, x, {a, b});
}

/// Axes from an attribute (before `inputSince`) or input 1, normalized
/// against `rank`, sorted, checked for duplicates.
static FailureOr<SmallVector<int64_t>> readAxes(NodeImporter &n, int64_t inputSince, int64_t rank,
                                                bool &present) {
  SmallVector<int64_t> axes;
  present = false;
  if (n.opset >= inputSince) {
    if (failed(n.rejectAttr("axes", "axes is an input from this opset")))
      return failure();
    if (n.hasInput(1)) {
      QOPT_TRY(a, n.constantInts(1, "axes"));
      axes = a;
      present = true;
    }
  } else if (n.attr("axes")) {
    QOPT_TRY(a, n.attrInts("axes", std::nullopt));
    axes = a;
    present = true;
  }
  for (int64_t &a : axes) {
    if (a < -rank || a >= rank) {
      (void)n.error("axis " + llvm::Twine(a) + " is out of range for rank " + llvm::Twine(rank));
      return failure();
    }
    if (a < 0)
      a += rank;
  }
  llvm::sort(axes);
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) {
    (void)n.error("axes contain a duplicate");
    return failure();
  }
  return axes;
}

static LogicalResult importSqueeze(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  auto xt = cast<RankedTensorType>(x.getType());
  bool present;
  QOPT_TRY(axes, readAxes(n, 13, xt.getRank(), present));
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < xt.getRank(); ++d) {
    bool squeeze = present ? llvm::is_contained(axes, d) : xt.getDimSize(d) == 1;
    if (squeeze && xt.getDimSize(d) != 1)
      return n.error("cannot squeeze dimension " + llvm::Twine(d) + " of size " +
                     llvm::Twine(xt.getDimSize(d)));
    if (!squeeze)
      shape.push_back(xt.getDimSize(d));
  }
  return emitReshape(n, x, shape);
}

static LogicalResult importUnsqueeze(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  auto xt = cast<RankedTensorType>(x.getType());
  // Axes index the output, whose rank is not known until axes are counted.
  SmallVector<int64_t> raw;
  if (n.opset >= 13) {
    QOPT_TRY(a, n.constantInts(1, "axes"));
    raw = a;
  } else {
    QOPT_TRY(a, n.attrInts("axes", std::nullopt));
    raw = a;
  }
  int64_t outRank = xt.getRank() + raw.size();
  for (int64_t &a : raw) {
    if (a < -outRank || a >= outRank)
      return n.error("axis " + llvm::Twine(a) + " is out of range for output rank " +
                     llvm::Twine(outRank));
    if (a < 0)
      a += outRank;
  }
  llvm::sort(raw);
  if (std::adjacent_find(raw.begin(), raw.end()) != raw.end())
    return n.error("axes contain a duplicate");
  SmallVector<int64_t> shape;
  int64_t src = 0;
  for (int64_t d = 0; d < outRank; ++d)
    shape.push_back(llvm::is_contained(raw, d) ? 1 : xt.getDimSize(src++));
  return emitReshape(n, x, shape);
}

static LogicalResult importTranspose(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  SmallVector<int64_t> reversed = llvm::to_vector(llvm::reverse(llvm::seq<int64_t>(0, rank)));
  QOPT_TRY(perm, n.attrInts("perm", reversed));
  QOPT_TRY(v, n.build<qnn::TransposeOp>({x}, {n.named("perm", n.b.getDenseI64ArrayAttr(perm))}));
  n.setOutput(0, v);
  return success();
}

static LogicalResult importConcat(NodeImporter &n) {
  SmallVector<Value> inputs;
  for (int i = 0; i < n.numInputs(); ++i) {
    QOPT_TRY(v, n.input(i));
    inputs.push_back(v);
  }
  if (inputs.empty())
    return n.error("Concat needs at least one input");
  QOPT_TRY(axis, n.attrInt("axis", std::nullopt));
  QOPT_TRY(v, n.build<qnn::ConcatOp>(inputs, {n.named("axis", n.b.getI64IntegerAttr(axis))}));
  n.setOutput(0, v);
  return success();
}

/// Clamps ONNX slice bounds of one dimension the way the spec does.
static void clampSlice(int64_t dim, int64_t step, int64_t &start, int64_t &end) {
  if (dim == 0) {
    start = end = step > 0 ? 0 : -1;
    return;
  }
  if (start < 0)
    start = start < -dim ? -dim - 1 : start + dim;
  if (end < 0)
    end = end < -dim ? -dim - 1 : end + dim;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
  } else {
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
  }
}

static LogicalResult importSlice(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  auto xt = cast<RankedTensorType>(x.getType());
  int64_t rank = xt.getRank();
  SmallVector<int64_t> starts, ends, axes, steps;
  if (n.opset < 10) {
    QOPT_TRY(s, n.attrInts("starts", std::nullopt));
    QOPT_TRY(e, n.attrInts("ends", std::nullopt));
    starts = s;
    ends = e;
    QOPT_TRY(a, n.attrInts("axes", llvm::to_vector(llvm::seq<int64_t>(0, starts.size()))));
    axes = a;
  } else {
    QOPT_TRY(s, n.constantInts(1, "starts"));
    QOPT_TRY(e, n.constantInts(2, "ends"));
    starts = s;
    ends = e;
    if (n.hasInput(3)) {
      QOPT_TRY(a, n.constantInts(3, "axes"));
      axes = a;
    } else {
      axes = llvm::to_vector(llvm::seq<int64_t>(0, starts.size()));
    }
    if (n.hasInput(4)) {
      QOPT_TRY(st, n.constantInts(4, "steps"));
      steps = st;
    }
  }
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return n.error("starts, ends, axes and steps must have the same length");
  SmallVector<int64_t> fullStarts(rank, 0), fullEnds(xt.getShape()), fullSteps(rank, 1);
  SmallVector<bool> seen(rank, false);
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t a = axes[i];
    if (a < -rank || a >= rank)
      return n.error("axis " + llvm::Twine(a) + " is out of range for rank " + llvm::Twine(rank));
    if (a < 0)
      a += rank;
    if (seen[a])
      return n.error("axes contain a duplicate");
    seen[a] = true;
    if (steps[i] == 0)
      return n.error("slice step is zero");
    int64_t s = starts[i], e = ends[i];
    clampSlice(xt.getDimSize(a), steps[i], s, e);
    fullStarts[a] = s;
    fullEnds[a] = e;
    fullSteps[a] = steps[i];
  }
  QOPT_TRY(v, n.build<qnn::SliceOp>({x}, {n.named("starts", n.b.getDenseI64ArrayAttr(fullStarts)),
                                          n.named("ends", n.b.getDenseI64ArrayAttr(fullEnds)),
                                          n.named("steps", n.b.getDenseI64ArrayAttr(fullSteps))}));
  n.setOutput(0, v);
  return success();
}

static LogicalResult importSplit(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  auto xt = cast<RankedTensorType>(x.getType());
  int64_t rank = xt.getRank();
  QOPT_TRY(axis, n.attrInt("axis", 0));
  if (axis < -rank || axis >= rank)
    return n.error("axis " + llvm::Twine(axis) + " is out of range for rank " + llvm::Twine(rank));
  if (axis < 0)
    axis += rank;
  int64_t dim = xt.getDimSize(axis), outputs = n.numOutputs();
  SmallVector<int64_t> sizes;
  if (n.opset >= 13 && n.hasInput(1)) {
    QOPT_TRY(s, n.constantInts(1, "split"));
    sizes = s;
  } else if (n.opset < 13 && n.attr("split")) {
    QOPT_TRY(s, n.attrInts("split", std::nullopt));
    sizes = s;
  } else {
    if (n.opset >= 18) {
      QOPT_TRY(num, n.attrInt("num_outputs", std::nullopt));
      if (num != outputs)
        return n.error("num_outputs differs from the number of outputs");
    }
    if (outputs <= 0)
      return n.error("Split has no outputs");
    // Equal parts; from opset 18 the last part may be smaller.
    int64_t part = (dim + outputs - 1) / outputs;
    if (n.opset < 18 && dim % outputs != 0)
      return n.error("dimension " + llvm::Twine(dim) + " does not split evenly into " +
                     llvm::Twine(outputs) + " outputs");
    for (int64_t i = 0, left = dim; i < outputs; ++i, left -= part)
      sizes.push_back(std::max<int64_t>(0, std::min(part, left)));
  }
  if ((int64_t)sizes.size() != outputs)
    return n.error("split has " + llvm::Twine(sizes.size()) + " sizes for " +
                   llvm::Twine(outputs) + " outputs");
  int64_t offset = 0;
  for (int64_t i = 0; i < outputs; ++i) {
    if (sizes[i] < 0 || offset + sizes[i] > dim)
      return n.error("split sizes do not add up to the dimension " + llvm::Twine(dim));
    SmallVector<int64_t> starts(rank, 0), ends(xt.getShape()), steps(rank, 1);
    starts[axis] = offset;
    ends[axis] = offset + sizes[i];
    offset += sizes[i];
    QOPT_TRY(v, n.build<qnn::SliceOp>({x}, {n.named("starts", n.b.getDenseI64ArrayAttr(starts)),
                                            n.named("ends", n.b.getDenseI64ArrayAttr(ends)),
                                            n.named("steps", n.b.getDenseI64ArrayAttr(steps))}));
    n.setOutput(i, v);
  }
  if (offset != dim)
    return n.error("split sizes add up to " + llvm::Twine(offset) + ", not the dimension " +
                   llvm::Twine(dim));
  return success();
}

/// Constant indices are checked at import, so an out-of-range index names the
/// node at compile time instead of failing (or reading astray) at run time.
static LogicalResult checkConstantIndices(NodeImporter &n, Value data, Value indices,
                                          int64_t axis) {
  const ref::Tensor *t = n.constantOf(indices);
  auto dt = cast<RankedTensorType>(data.getType());
  int64_t rank = dt.getRank();
  if (!t || axis < -rank || axis >= rank || !(ref::isSignedInt(t->dtype()) || ref::isUnsignedInt(t->dtype())))
    return success(); // the op verifier reports a bad axis or index type
  int64_t dim = dt.getDimSize(axis < 0 ? axis + rank : axis);
  for (int64_t i = 0; i < t->numElements(); ++i) {
    int64_t v = t->getAsInt(i);
    if (v < -dim || v >= dim)
      return n.error("index " + llvm::Twine(v) + " is out of range for axis " +
                     llvm::Twine(axis) + " of size " + llvm::Twine(dim));
  }
  return success();
}

static LogicalResult importGather(NodeImporter &n) {
  QOPT_TRY(data, n.input(0));
  QOPT_TRY(indices, n.input(1));
  QOPT_TRY(axis, n.attrInt("axis", 0));
  if (failed(checkConstantIndices(n, data, indices, axis)))
    return failure();
  QOPT_TRY(v, n.build<qnn::GatherOp>({data, indices}, {n.named("axis", n.b.getI64IntegerAttr(axis))}));
  n.setOutput(0, v);
  return success();
}

static LogicalResult importGatherElements(NodeImporter &n) {
  QOPT_TRY(data, n.input(0));
  QOPT_TRY(indices, n.input(1));
  QOPT_TRY(axis, n.attrInt("axis", 0));
  if (failed(checkConstantIndices(n, data, indices, axis)))
    return failure();
  QOPT_TRY(v, n.build<qnn::GatherElementsOp>({data, indices},
                                             {n.named("axis", n.b.getI64IntegerAttr(axis))}));
  n.setOutput(0, v);
  return success();
}

/// Constant index tuples (the last dimension of `indices`) checked against
/// data's dims `first ..`: an out-of-range entry is an import error naming
/// it, not a run-time failure.
static LogicalResult checkConstantTuples(NodeImporter &n, Value data, Value indices,
                                         int64_t first) {
  const ref::Tensor *t = n.constantOf(indices);
  auto dt = cast<RankedTensorType>(data.getType());
  if (!t || t->rank() < 1 || !ref::isSignedInt(t->dtype()))
    return success(); // the op verifier reports bad shapes and index types
  int64_t k = t->dim(t->rank() - 1);
  if (k < 1 || first < 0 || first > dt.getRank() - k)
    return success();
  for (int64_t i = 0; i < t->numElements(); ++i) {
    int64_t dim = dt.getDimSize(first + i % k), v = t->getAsInt(i);
    if (v < -dim || v >= dim)
      return n.error("index " + llvm::Twine(v) + " is out of range for dimension " +
                     llvm::Twine(first + i % k) + " of size " + llvm::Twine(dim));
  }
  return success();
}

static LogicalResult importGatherND(NodeImporter &n) {
  QOPT_TRY(data, n.input(0));
  QOPT_TRY(indices, n.input(1));
  QOPT_TRY(batchDims, n.attrInt("batch_dims", 0));
  int64_t r = cast<RankedTensorType>(data.getType()).getRank(),
          q = cast<RankedTensorType>(indices.getType()).getRank();
  if (batchDims < 0 || batchDims >= std::min(r, q))
    return n.error("batch_dims " + llvm::Twine(batchDims) +
                   " must be below the ranks of data and indices");
  if (failed(checkConstantTuples(n, data, indices, batchDims)))
    return failure();
  QOPT_TRY(v, n.build<qnn::GatherNDOp>(
                  {data, indices}, {n.named("batch_dims", n.b.getI64IntegerAttr(batchDims))}));
  n.setOutput(0, v);
  return success();
}

/// ONNX's `reduction` attribute of ScatterND and ScatterElements (opset 16
/// added add and mul, opset 18 max and min).
static FailureOr<qnn::ScatterReduction> scatterReduction(NodeImporter &n) {
  QOPT_TRY(r, n.attrString("reduction", std::string("none")));
  if (auto k = qnn::symbolizeScatterReduction(r))
    return *k;
  (void)n.unsupported("reduction '" + r + "'");
  return failure();
}

static LogicalResult importScatterND(NodeImporter &n) {
  QOPT_TRY(data, n.input(0));
  QOPT_TRY(indices, n.input(1));
  QOPT_TRY(updates, n.input(2));
  QOPT_TRY(reduction, scatterReduction(n));
  if (failed(checkConstantTuples(n, data, indices, 0)))
    return failure();
  QOPT_TRY(v, n.build<qnn::ScatterNDOp>(
                  {data, indices, updates},
                  {n.named("reduction", qnn::ScatterReductionAttr::get(n.b.getContext(), reduction))}));
  n.setOutput(0, v);
  return success();
}

/// ScatterElements, and the deprecated Scatter (opset 9 and 10), which is
/// ScatterElements without a reduction.
static LogicalResult importScatterElements(NodeImporter &n) {
  QOPT_TRY(data, n.input(0));
  QOPT_TRY(indices, n.input(1));
  QOPT_TRY(updates, n.input(2));
  QOPT_TRY(axis, n.attrInt("axis", 0));
  QOPT_TRY(reduction, scatterReduction(n));
  if (failed(checkConstantIndices(n, data, indices, axis)))
    return failure();
  QOPT_TRY(v, n.build<qnn::ScatterElementsOp>(
                  {data, indices, updates},
                  {n.named("axis", n.b.getI64IntegerAttr(axis)),
                   n.named("reduction", qnn::ScatterReductionAttr::get(n.b.getContext(), reduction))}));
  n.setOutput(0, v);
  return success();
}

/// TopK: the indices are a qnn.top_k, the values a gather of the input at
/// them. `sorted = 0` leaves the order to the implementation; qnn.top_k
/// always sorts.
static LogicalResult importTopK(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  int64_t k;
  if (n.opset < 10) {
    QOPT_TRY(attr, n.attrInt("k", std::nullopt));
    k = attr;
  } else {
    QOPT_TRY(ks, n.constantInts(1, "K"));
    if (ks.size() != 1)
      return n.error("K must hold one value, got " + llvm::Twine(ks.size()));
    k = ks[0];
  }
  QOPT_TRY(axis, n.attrInt("axis", -1));
  QOPT_TRY(largest, n.attrInt("largest", 1));
  auto xt = cast<RankedTensorType>(x.getType());
  if (axis < -xt.getRank() || axis >= xt.getRank())
    return n.error("axis " + llvm::Twine(axis) + " is out of range for rank " +
                   llvm::Twine(xt.getRank()));
  int64_t size = xt.getDimSize(axis < 0 ? axis + xt.getRank() : axis);
  if (k < 0 || k > size)
    return n.error("K = " + llvm::Twine(k) + " exceeds the size " + llvm::Twine(size) +
                   " of axis " + llvm::Twine(axis));
  if (k == 0)
    return n.unsupported("K = 0 (an empty result)");
  QOPT_TRY(indices, n.build<qnn::TopKOp>({x}, {n.named("axis", n.b.getI64IntegerAttr(axis)),
                                               n.named("k", n.b.getI64IntegerAttr(k)),
                                               n.named("largest", n.b.getBoolAttr(largest != 0))}));
  if (n.hasOutput(0)) {
    QOPT_TRY(values, n.build<qnn::GatherElementsOp>(
                         {x, indices}, {n.named("axis", n.b.getI64IntegerAttr(axis))}));
    n.setOutput(0, values);
  }
  n.setOutput(1, indices);
  return success();
}

/// GridSample: opset 16 spells the modes bilinear and bicubic, opset 20
/// linear and cubic (and allows any rank; QOpt samples 2-D images).
static LogicalResult importGridSample(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(grid, n.input(1));
  QOPT_TRY(modeName, n.attrString("mode", std::string(n.opset >= 20 ? "linear" : "bilinear")));
  QOPT_TRY(paddingName, n.attrString("padding_mode", std::string("zeros")));
  QOPT_TRY(align, n.attrInt("align_corners", 0));
  auto mode = llvm::StringSwitch<std::optional<qnn::ResizeMode>>(modeName)
                  .Cases("bilinear", "linear", qnn::ResizeMode::linear)
                  .Cases("bicubic", "cubic", qnn::ResizeMode::cubic)
                  .Case("nearest", qnn::ResizeMode::nearest)
                  .Default(std::nullopt);
  if (!mode)
    return n.unsupported("mode '" + modeName + "'");
  auto padding = qnn::symbolizeGridPadding(paddingName);
  if (!padding)
    return n.unsupported("padding_mode '" + paddingName + "'");
  if (cast<RankedTensorType>(x.getType()).getRank() != 4)
    return n.unsupported("input of rank " +
                         llvm::Twine(cast<RankedTensorType>(x.getType()).getRank()) +
                         " (QOpt samples [N, C, H, W] images)");
  auto *ctx = n.b.getContext();
  QOPT_TRY(v, n.build<qnn::GridSampleOp>(
                  {x, grid}, {n.named("mode", qnn::ResizeModeAttr::get(ctx, *mode)),
                              n.named("padding", qnn::GridPaddingAttr::get(ctx, *padding)),
                              n.named("align_corners", n.b.getBoolAttr(align != 0))}));
  n.setOutput(0, v);
  return success();
}

static LogicalResult importExpand(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  QOPT_TRY(shape, n.constantInts(1, "shape"));
  auto xt = cast<RankedTensorType>(x.getType());
  for (int64_t d : shape)
    if (d < 0)
      return n.error("shape has a negative dimension " + llvm::Twine(d));
  auto out = qnn::broadcastShapes(xt.getShape(), shape);
  if (failed(out))
    return n.error("input shape does not broadcast to the requested shape");
  if (ArrayRef<int64_t>(*out) == xt.getShape()) {
    n.setOutput(0, x);
    return success();
  }
  QOPT_TRY(v, n.build<qnn::ExpandOp>({x}, {}, RankedTensorType::get(*out, xt.getElementType())));
  n.setOutput(0, v);
  return success();
}

static LogicalResult importPad(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  auto xt = cast<RankedTensorType>(x.getType());
  int64_t rank = xt.getRank();
  QOPT_TRY(modeStr, n.attrString("mode", std::string("constant")));
  qnn::PadMode mode;
  if (modeStr == "constant")
    mode = qnn::PadMode::constant;
  else if (modeStr == "reflect")
    mode = qnn::PadMode::reflect;
  else if (modeStr == "edge")
    mode = qnn::PadMode::edge;
  else if (modeStr == "wrap" && n.opset >= 19)
    mode = qnn::PadMode::wrap;
  else
    return n.unsupported("mode '" + modeStr + "'");
  SmallVector<int64_t> pads;
  double value = 0;
  if (n.opset < 11) {
    QOPT_TRY(p, n.attrInts("pads", std::nullopt));
    pads = p;
    QOPT_TRY(v, n.attrFloat("value", 0.0f));
    value = v;
  } else {
    QOPT_TRY(p, n.constantInts(1, "pads"));
    pads = p;
    if (n.hasInput(2)) {
      QOPT_TRY(c, n.constantInput(2, "constant_value"));
      if (c->numElements() != 1)
        return n.error("constant_value must be a scalar");
      value = c->getAsDouble(0);
    }
    if (n.hasInput(3)) {
      QOPT_TRY(axes, n.constantInts(3, "axes"));
      if (pads.size() != 2 * axes.size())
        return n.error("pads must have twice as many entries as axes");
      SmallVector<int64_t> full(2 * rank, 0);
      for (auto [i, a] : llvm::enumerate(axes)) {
        if (a < -rank || a >= rank)
          return n.error("axis " + llvm::Twine(a) + " is out of range");
        if (a < 0)
          a += rank;
        full[a] = pads[i];
        full[rank + a] = pads[axes.size() + i];
      }
      pads = full;
    }
  }
  if ((int64_t)pads.size() != 2 * rank)
    return n.error("pads must have " + llvm::Twine(2 * rank) + " entries");
  QOPT_TRY(v, n.build<qnn::PadOp>({x}, {n.named("pads", n.b.getDenseI64ArrayAttr(pads)),
                                        n.named("mode", qnn::PadModeAttr::get(n.ctx(), mode)),
                                        n.named("value", n.b.getF64FloatAttr(value))}));
  n.setOutput(0, v);
  return success();
}

/// Resize (opset 10+) and Upsample (opset 7-9).
static LogicalResult importResize(NodeImporter &n) {
  QOPT_TRY(x, n.input(0));
  auto xt = cast<RankedTensorType>(x.getType());
  int64_t rank = xt.getRank();
  bool upsample = n.opType() == "Upsample";
  bool legacy = upsample || n.opset < 11;
  QOPT_TRY(modeStr, n.attrString("mode", std::string("nearest")));
  qnn::ResizeMode mode;
  if (modeStr == "nearest")
    mode = qnn::ResizeMode::nearest;
  else if (modeStr == "linear" || (upsample && modeStr == "bilinear"))
    mode = qnn::ResizeMode::linear;
  else if (modeStr == "cubic" && !legacy)
    mode = qnn::ResizeMode::cubic;
  else
    return n.unsupported("mode '" + modeStr + "'");

  // Before opset 11 the output coordinate maps back as x / scale and nearest
  // rounds down.
  qnn::CoordinateTransform transform = qnn::CoordinateTransform::asymmetric;
  qnn::NearestMode nearest = qnn::NearestMode::floor;
  float cubicA = -0.75f;
  bool excludeOutside = false;
  if (!legacy) {
    QOPT_TRY(ct, n.attrString("coordinate_transformation_mode", std::string("half_pixel")));
    if (ct == "half_pixel")
      transform = qnn::CoordinateTransform::half_pixel;
    else if (ct == "asymmetric")
      transform = qnn::CoordinateTransform::asymmetric;
    else if (ct == "align_corners")
      transform = qnn::CoordinateTransform::align_corners;
    else if (ct == "pytorch_half_pixel")
      transform = qnn::CoordinateTransform::pytorch_half_pixel;
    else if (ct == "tf_half_pixel_for_nn")
      transform = qnn::CoordinateTransform::tf_half_pixel_for_nn;
    else if (ct == "half_pixel_symmetric" && n.opset >= 19)
      transform = qnn::CoordinateTransform::half_pixel_symmetric;
    else
      return n.unsupported("coordinate_transformation_mode '" + ct + "'");
    QOPT_TRY(nm, n.attrString("nearest_mode", std::string("round_prefer_floor")));
    if (nm == "round_prefer_floor")
      nearest = qnn::NearestMode::round_prefer_floor;
    else if (nm == "round_prefer_ceil")
      nearest = qnn::NearestMode::round_prefer_ceil;
    else if (nm == "floor")
      nearest = qnn::NearestMode::floor;
    else if (nm == "ceil")
      nearest = qnn::NearestMode::ceil;
    else
      return n.unsupported("nearest_mode '" + nm + "'");
    QOPT_TRY(a, n.attrFloat("cubic_coeff_a", -0.75f));
    cubicA = a;
    QOPT_TRY(ex, n.attrInt("exclude_outside", 0));
    excludeOutside = ex != 0;
    QOPT_TRY(antialias, n.attrInt("antialias", 0));
    if (antialias)
      return n.unsupported("antialias=1");
    if (failed(n.rejectAttr("axes", "axes subsets")))
      return failure();
    QOPT_TRY(policy, n.attrString("keep_aspect_ratio_policy", std::string("stretch")));
    if (policy != "stretch")
      return n.unsupported("keep_aspect_ratio_policy '" + policy + "'");
  }

  SmallVector<float> scales;
  SmallVector<int64_t> sizes;
  if (upsample && n.opset < 9) {
    QOPT_TRY(s, n.attrFloats("scales", std::nullopt));
    scales = s;
  } else {
    int scalesInput = legacy ? 1 : 2;
    if (n.hasInput(scalesInput)) {
      QOPT_TRY(s, n.constantInput(scalesInput, "scales"));
      for (int64_t i = 0; i < s->numElements(); ++i)
        scales.push_back((float)s->getAsDouble(i));
    }
    if (!legacy && n.hasInput(3)) {
      QOPT_TRY(sz, n.constantInts(3, "sizes"));
      sizes = sz;
    }
  }
  if (!scales.empty() && !sizes.empty())
    return n.error("only one of scales and sizes may be given");
  if (scales.empty() && sizes.empty())
    return n.error("one of scales and sizes is required");
  SmallVector<int64_t> outShape;
  if (!sizes.empty()) {
    if ((int64_t)sizes.size() != rank)
      return n.error("sizes must have " + llvm::Twine(rank) + " entries");
    for (int64_t d = 0; d < rank; ++d) {
      if (sizes[d] <= 0 || xt.getDimSize(d) <= 0)
        return n.error("sizes must be positive");
      outShape.push_back(sizes[d]);
      scales.push_back((float)sizes[d] / (float)xt.getDimSize(d));
    }
  } else {
    if ((int64_t)scales.size() != rank)
      return n.error("scales must have " + llvm::Twine(rank) + " entries");
    for (int64_t d = 0; d < rank; ++d) {
      if (!(scales[d] > 0) || !(scales[d] < 1e6))
        return n.error("scales must be positive and finite");
      if (upsample && scales[d] < 1)
        return n.error("Upsample scales must be >= 1");
      // ONNX Runtime rounds up where the ONNX reference floors: rejected
      // rather than picking one silently.
      if (legacy && mode == qnn::ResizeMode::nearest && scales[d] < 1)
        return n.unsupported("nearest downsampling before opset 11 (ONNX Runtime and the "
                             "ONNX reference disagree)");
      double o = std::floor((double)xt.getDimSize(d) * scales[d]);
      if (o > 1e12)
        return n.error("resized dimension is too large");
      outShape.push_back((int64_t)o);
    }
  }
  QOPT_TRY(v, n.build<qnn::ResizeOp>(
                  {x},
                  {n.named("mode", qnn::ResizeModeAttr::get(n.ctx(), mode)),
                   n.named("coordinate_transform", qnn::CoordinateTransformAttr::get(n.ctx(), transform)),
                   n.named("nearest_mode", qnn::NearestModeAttr::get(n.ctx(), nearest)),
                   n.named("scales", n.b.getDenseF32ArrayAttr(scales)),
                   n.named("cubic_coeff_a", n.b.getF32FloatAttr(cubicA)),
                   n.named("exclude_outside", n.b.getBoolAttr(excludeOutside))},
                  RankedTensorType::get(outShape, xt.getElementType())));
  n.setOutput(0, v);
  return success();
}

void qopt::onnx_import::registerDataMovementHandlers(llvm::StringMap<Handler> &t) {
  t["Constant"] = importConstant;
  t["Shape"] = importShape;
  t["Size"] = importSize;
  t["ConstantOfShape"] = importConstantOfShape;
  t["Range"] = importRange;
  t["Reshape"] = importReshape;
  t["Flatten"] = importFlatten;
  t["Squeeze"] = importSqueeze;
  t["Unsqueeze"] = importUnsqueeze;
  t["Transpose"] = importTranspose;
  t["Concat"] = importConcat;
  t["Slice"] = importSlice;
  t["Split"] = importSplit;
  t["Gather"] = importGather;
  t["GatherElements"] = importGatherElements;
  t["GatherND"] = importGatherND;
  t["ScatterND"] = importScatterND;
  t["ScatterElements"] = importScatterElements;
  t["Scatter"] = importScatterElements;
  t["TopK"] = importTopK;
  t["GridSample"] = importGridSample;
  t["Expand"] = importExpand;
  t["Pad"] = importPad;
  t["Resize"] = importResize;
  t["Upsample"] = importResize;
}
