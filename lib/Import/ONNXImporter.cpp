//===- ONNXImporter.cpp - ONNX to qnn import -------------------*- C++ -*-===//
//
// Reads the protobuf with explicit size limits, turns initializers into
// constants, pins input shapes, and walks the nodes in order, dispatching each
// to the handler of its op type. Anything the importer cannot represent
// exactly is an error naming the node; nothing is silently dropped.
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"

#include "qopt/Reference/Executor.h"
#include "qopt/Reference/File.h"
#include "qopt/Reference/Npy.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <google/protobuf/io/coded_stream.h>

#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace mlir;
using namespace qopt;
using namespace qopt::onnx_import;
using llvm::SmallVector;

//===----------------------------------------------------------------------===//
// Element types and tensors
//===----------------------------------------------------------------------===//

Type qopt::onnx_import::elementTypeFromONNX(MLIRContext *ctx, int32_t t) {
  Builder b(ctx);
  switch (t) {
  case onnx::TensorProto::FLOAT: return b.getF32Type();
  case onnx::TensorProto::DOUBLE: return b.getF64Type();
  case onnx::TensorProto::FLOAT16: return b.getF16Type();
  case onnx::TensorProto::BFLOAT16: return b.getBF16Type();
  case onnx::TensorProto::BOOL: return b.getI1Type();
  case onnx::TensorProto::INT8: return b.getIntegerType(8);
  case onnx::TensorProto::INT16: return b.getIntegerType(16);
  case onnx::TensorProto::INT32: return b.getIntegerType(32);
  case onnx::TensorProto::INT64: return b.getIntegerType(64);
  case onnx::TensorProto::UINT8: return b.getIntegerType(8, false);
  case onnx::TensorProto::UINT16: return b.getIntegerType(16, false);
  case onnx::TensorProto::UINT32: return b.getIntegerType(32, false);
  case onnx::TensorProto::UINT64: return b.getIntegerType(64, false);
  default: return {};
  }
}

llvm::StringRef qopt::onnx_import::onnxTypeName(int32_t t) {
  if (onnx::TensorProto::DataType_IsValid(t))
    return onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(t));
  return "<invalid type>";
}

/// Reads `length` bytes at `offset` of an external data file, refusing paths
/// that leave the model's folder by any route: absolute paths, `..`, symbolic
/// links (resolved with realpath) and hard links (a second name elsewhere).
static llvm::Expected<std::vector<char>> readExternalData(const onnx::TensorProto &proto,
                                                          llvm::StringRef modelDir,
                                                          int64_t maxBytes) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto &kv : proto.external_data()) {
    char *end = nullptr;
    if (kv.key() == "location") {
      location = kv.value();
    } else if (kv.key() == "offset" || kv.key() == "length") {
      errno = 0;
      long long v = std::strtoll(kv.value().c_str(), &end, 10);
      if (errno || end == kv.value().c_str() || *end || v < 0)
        return llvm::createStringError("external data %s '%s' is not a non-negative integer",
                                       kv.key().c_str(), kv.value().c_str());
      (kv.key() == "offset" ? offset : length) = v;
    }
  }
  if (location.empty())
    return llvm::createStringError("external data has no location");
  if (location.find('\0') != std::string::npos || llvm::sys::path::is_absolute(location) ||
      location.find('\\') != std::string::npos)
    return llvm::createStringError("external data location '%s' must be a relative path "
                                   "inside the model's folder", location.c_str());
  for (auto it = llvm::sys::path::begin(location), e = llvm::sys::path::end(location); it != e;
       ++it)
    if (*it == "..")
      return llvm::createStringError("external data location '%s' leaves the model's folder",
                                     location.c_str());
  SmallVector<char> dirReal, fileReal;
  llvm::SmallString<256> joined(modelDir);
  llvm::sys::path::append(joined, location);
  if (llvm::sys::fs::real_path(modelDir, dirReal) ||
      llvm::sys::fs::real_path(joined, fileReal))
    return llvm::createStringError("external data file '%s' not found", location.c_str());
  llvm::StringRef dirS(dirReal.data(), dirReal.size()), fileS(fileReal.data(), fileReal.size());
  if (!fileS.starts_with(dirS) || fileS.size() <= dirS.size() || fileS[dirS.size()] != '/')
    return llvm::createStringError("external data location '%s' resolves outside the model's "
                                   "folder", location.c_str());
  // Open first, then check what was opened: a component swapped for a
  // symbolic link after the check above cannot redirect the read, because the
  // open file's own path (/proc/self/fd) must still lie inside the folder.
  // O_NONBLOCK keeps a FIFO from blocking the open; it is refused below.
  std::string fileStr = fileS.str();
  int fd = ::open(fileStr.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
  if (fd < 0)
    return llvm::createStringError("cannot open external data file '%s'", location.c_str());
  FILE *f = ::fdopen(fd, "rb");
  if (!f) {
    ::close(fd);
    return llvm::createStringError("cannot open external data file '%s'", location.c_str());
  }
  llvm::scope_exit closer([&] { std::fclose(f); });
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    return llvm::createStringError("external data '%s' is not a regular file", location.c_str());
  if (st.st_nlink > 1)
    return llvm::createStringError("external data file '%s' has %ld hard links; refusing a file "
                                   "that may live outside the model's folder",
                                   location.c_str(), (long)st.st_nlink);
  SmallVector<char> opened;
  if (llvm::sys::fs::real_path("/proc/self/fd/" + llvm::Twine(fd), opened) ||
      !llvm::StringRef(opened.data(), opened.size()).starts_with((dirS + "/").str()))
    return llvm::createStringError("external data location '%s' resolves outside the model's "
                                   "folder", location.c_str());
  int64_t size = st.st_size;
  if (offset > size)
    return llvm::createStringError("external data offset %lld is past the end of '%s' (%lld "
                                   "bytes)", (long long)offset, location.c_str(),
                                   (long long)size);
  if (length < 0)
    length = size - offset;
  if (length > size - offset)
    return llvm::createStringError("external data range [%lld, %lld) is outside '%s' (%lld "
                                   "bytes)", (long long)offset, (long long)(offset + length),
                                   location.c_str(), (long long)size);
  if (length > maxBytes)
    return llvm::createStringError("external data of %lld bytes exceeds the tensor limit of "
                                   "%lld bytes", (long long)length, (long long)maxBytes);
  std::vector<char> data(length);
  if (fseeko(f, offset, SEEK_SET) != 0 ||
      (length && std::fread(data.data(), 1, length, f) != (size_t)length))
    return llvm::createStringError("cannot read external data from '%s'", location.c_str());
  return data;
}

template <typename Src, typename Dst, typename Field>
static llvm::Error copyTyped(ref::Tensor &t, const Field &field, llvm::StringRef fieldName) {
  if (field.size() != t.numElements())
    return llvm::createStringError("%s holds %d values, the shape needs %lld",
                                   fieldName.str().c_str(), field.size(),
                                   (long long)t.numElements());
  Dst *out = t.data<Dst>();
  for (int64_t i = 0; i < t.numElements(); ++i)
    out[i] = static_cast<Dst>(static_cast<Src>(field.Get(i)));
  return llvm::Error::success();
}

llvm::Expected<ref::Tensor> qopt::onnx_import::tensorFromProto(const onnx::TensorProto &proto,
                                                               llvm::StringRef modelDir,
                                                               int64_t maxBytes) {
  using ref::DType;
  static const std::pair<int32_t, DType> kTypes[] = {
      {onnx::TensorProto::FLOAT, DType::F32},    {onnx::TensorProto::DOUBLE, DType::F64},
      {onnx::TensorProto::FLOAT16, DType::F16},  {onnx::TensorProto::BFLOAT16, DType::BF16},
      {onnx::TensorProto::BOOL, DType::Bool},    {onnx::TensorProto::INT8, DType::I8},
      {onnx::TensorProto::INT16, DType::I16},    {onnx::TensorProto::INT32, DType::I32},
      {onnx::TensorProto::INT64, DType::I64},    {onnx::TensorProto::UINT8, DType::U8},
      {onnx::TensorProto::UINT16, DType::U16},   {onnx::TensorProto::UINT32, DType::U32},
      {onnx::TensorProto::UINT64, DType::U64}};
  std::optional<DType> dtype;
  for (auto [onnxType, d] : kTypes)
    if (onnxType == proto.data_type())
      dtype = d;
  if (!dtype)
    return llvm::createStringError("unsupported dtype %s",
                                   onnxTypeName(proto.data_type()).str().c_str());
  SmallVector<int64_t> shape(proto.dims().begin(), proto.dims().end());
  auto n = ref::checkedNumElements(shape, maxBytes / (int64_t)ref::dtypeSize(*dtype));
  if (!n)
    return llvm::createStringError("shape is invalid or exceeds the tensor limit of %lld bytes: %s",
                                   (long long)maxBytes, llvm::toString(n.takeError()).c_str());
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    auto data = readExternalData(proto, modelDir, maxBytes);
    if (!data)
      return data.takeError();
    if ((int64_t)data->size() != *n * (int64_t)ref::dtypeSize(*dtype))
      return llvm::createStringError("external data holds %zu bytes, the shape needs %lld",
                                     data->size(), (long long)(*n * ref::dtypeSize(*dtype)));
    return ref::Tensor::fromBytes(*dtype, shape, *data);
  }
  if (proto.has_raw_data()) {
    const std::string &raw = proto.raw_data();
    // Compared before allocating, so a tiny file cannot ask for a huge buffer.
    if ((int64_t)raw.size() != *n * (int64_t)ref::dtypeSize(*dtype))
      return llvm::createStringError("raw_data holds %zu bytes, the shape needs %lld",
                                     raw.size(), (long long)(*n * ref::dtypeSize(*dtype)));
    return ref::Tensor::fromBytes(*dtype, shape, llvm::ArrayRef<char>(raw.data(), raw.size()));
  }
  int64_t fieldSize = 0;
  switch (*dtype) {
  case DType::F32: fieldSize = proto.float_data_size(); break;
  case DType::F64: fieldSize = proto.double_data_size(); break;
  case DType::I64: fieldSize = proto.int64_data_size(); break;
  case DType::U32:
  case DType::U64: fieldSize = proto.uint64_data_size(); break;
  default: fieldSize = proto.int32_data_size(); break;
  }
  if (fieldSize != *n)
    return llvm::createStringError("the tensor holds %lld values, the shape needs %lld",
                                   (long long)fieldSize, (long long)*n);
  auto t = ref::Tensor::allocate(*dtype, shape);
  if (!t)
    return t.takeError();
  llvm::Error err = llvm::Error::success();
  switch (*dtype) {
  case DType::F32: err = copyTyped<float, float>(*t, proto.float_data(), "float_data"); break;
  case DType::F64: err = copyTyped<double, double>(*t, proto.double_data(), "double_data"); break;
  case DType::I64: err = copyTyped<int64_t, int64_t>(*t, proto.int64_data(), "int64_data"); break;
  case DType::U32: err = copyTyped<uint64_t, uint32_t>(*t, proto.uint64_data(), "uint64_data"); break;
  case DType::U64: err = copyTyped<uint64_t, uint64_t>(*t, proto.uint64_data(), "uint64_data"); break;
  case DType::I32: err = copyTyped<int32_t, int32_t>(*t, proto.int32_data(), "int32_data"); break;
  case DType::I16: err = copyTyped<int32_t, int16_t>(*t, proto.int32_data(), "int32_data"); break;
  case DType::I8: err = copyTyped<int32_t, int8_t>(*t, proto.int32_data(), "int32_data"); break;
  case DType::U16:
  case DType::F16:
  case DType::BF16: err = copyTyped<int32_t, uint16_t>(*t, proto.int32_data(), "int32_data"); break;
  case DType::U8: err = copyTyped<int32_t, uint8_t>(*t, proto.int32_data(), "int32_data"); break;
  case DType::Bool: err = copyTyped<int32_t, uint8_t>(*t, proto.int32_data(), "int32_data"); break;
  }
  if (err)
    return std::move(err);
  if (*dtype == DType::Bool)
    for (int64_t i = 0; i < t->numElements(); ++i)
      t->data<uint8_t>()[i] = t->data<uint8_t>()[i] != 0;
  return t;
}

//===----------------------------------------------------------------------===//
// NodeImporter
//===----------------------------------------------------------------------===//

std::string NodeImporter::nodeName() const {
  if (!node.name().empty())
    return node.name();
  return node.output_size() ? "<unnamed node producing '" + node.output(0) + "'>"
                            : "<unnamed node>";
}

LogicalResult NodeImporter::error(const llvm::Twine &msg) {
  return emitError(loc) << msg.str() << " (op '" << opType().str() << "', node '" << nodeName()
                        << "', opset " << opset << ")";
}

LogicalResult NodeImporter::unsupported(const llvm::Twine &what) {
  return emitError(loc) << "unsupported " << what.str() << " of op '" << opType().str()
                        << "' (node '" << nodeName() << "', opset " << opset << ")";
}

FailureOr<Value> NodeImporter::input(int i) {
  if (!hasInput(i)) {
    (void)error("missing required input " + llvm::Twine(i));
    return failure();
  }
  return values.lookup(node.input(i));
}

Value NodeImporter::optionalInput(int i) {
  return hasInput(i) ? values.lookup(node.input(i)) : Value();
}

const ref::Tensor *NodeImporter::constantOf(Value v) {
  if (!v)
    return nullptr;
  auto it = constants.find(v);
  return it == constants.end() ? nullptr : &it->second;
}

FailureOr<const ref::Tensor *> NodeImporter::constantInput(int i, llvm::StringRef what) {
  QOPT_TRY(v, input(i));
  if (const ref::Tensor *t = constantOf(v))
    return t;
  (void)unsupported("non-constant " + what.str() + " (input " + std::to_string(i) +
                    "; QOpt needs it known at compile time)");
  return failure();
}

FailureOr<SmallVector<int64_t>> NodeImporter::constantInts(int i, llvm::StringRef what) {
  QOPT_TRY(t, constantInput(i, what));
  if (ref::isFloat(t->dtype()) || t->rank() > 1) {
    (void)error(what + " must be a 1-D integer tensor, got " + t->describe());
    return failure();
  }
  SmallVector<int64_t> out;
  for (int64_t k = 0; k < t->numElements(); ++k)
    out.push_back(t->getAsInt(k));
  return out;
}

const onnx::AttributeProto *NodeImporter::attr(llvm::StringRef name) const {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

static llvm::StringRef attrTypeName(onnx::AttributeProto::AttributeType t) {
  if (onnx::AttributeProto::AttributeType_IsValid(t))
    return onnx::AttributeProto::AttributeType_Name(t);
  return "<invalid>";
}

#define QOPT_ATTR_GETTER(NAME, RET, ATTRTYPE, EXTRACT)                                      \
  FailureOr<RET> NodeImporter::NAME(llvm::StringRef name, std::optional<RET> dflt) {        \
    const onnx::AttributeProto *a = attr(name);                                              \
    if (!a) {                                                                                \
      if (dflt)                                                                              \
        return *dflt;                                                                        \
      (void)error("missing required attribute '" + name + "'");                             \
      return failure();                                                                      \
    }                                                                                        \
    if (a->type() != onnx::AttributeProto::ATTRTYPE) {                                       \
      (void)error("attribute '" + name + "' must be " #ATTRTYPE ", got " +                  \
                  attrTypeName(a->type()));                                                  \
      return failure();                                                                      \
    }                                                                                        \
    EXTRACT                                                                                  \
  }

QOPT_ATTR_GETTER(attrInt, int64_t, INT, return a->i();)
QOPT_ATTR_GETTER(attrFloat, float, FLOAT, return a->f();)
QOPT_ATTR_GETTER(attrString, std::string, STRING, return a->s();)
QOPT_ATTR_GETTER(attrInts, SmallVector<int64_t>, INTS,
                 return SmallVector<int64_t>(a->ints().begin(), a->ints().end());)
QOPT_ATTR_GETTER(attrFloats, SmallVector<float>, FLOATS,
                 return SmallVector<float>(a->floats().begin(), a->floats().end());)

LogicalResult NodeImporter::rejectAttr(llvm::StringRef name, llvm::StringRef why) {
  if (attr(name))
    return unsupported("attribute '" + name.str() + "' (" + why.str() + ")");
  return success();
}

FailureOr<ref::Tensor> NodeImporter::newTensor(ref::DType dtype, llvm::ArrayRef<int64_t> shape) {
  auto n = ref::checkedNumElements(shape, options.maxTensorBytes / (int64_t)ref::dtypeSize(dtype));
  if (!n) {
    (void)error("constant of shape exceeds the tensor limit of " +
                llvm::Twine(options.maxTensorBytes) + " bytes or is invalid");
    llvm::consumeError(n.takeError());
    return failure();
  }
  auto t = ref::Tensor::allocate(dtype, shape);
  if (!t) {
    (void)error(llvm::toString(t.takeError()));
    return failure();
  }
  return std::move(*t);
}

Value NodeImporter::constant(const ref::Tensor &t, llvm::StringRef nameHint) {
  ElementsAttr value = ref::attrFromTensor(ctx(), t, nameHint);
  auto op = qnn::ConstantOp::create(b, loc, value);
  constants[op.getResult()] = t;
  return op.getResult();
}

/// "2x3x4", "scalar", or "of rank N" for shapes too long to print.
static std::string shapeToString(llvm::ArrayRef<int64_t> s) {
  if (s.size() > 16)
    return "of rank " + std::to_string(s.size());
  std::string r;
  for (size_t i = 0; i < s.size(); ++i)
    r += (i ? "x" : "") + std::to_string(s[i]);
  return r.empty() ? "scalar" : r;
}

FailureOr<Value> NodeImporter::finish(Operation *op, bool inferType) {
  if (inferType) {
    auto iface = cast<InferTypeOpInterface>(op);
    SmallVector<Type> types;
    if (failed(iface.inferReturnTypes(ctx(), loc, op->getOperands(), op->getAttrDictionary(),
                                      op->getPropertiesStorage(), op->getRegions(), types))) {
      op->erase();
      return failure();
    }
    op->getResult(0).setType(types[0]);
  }
  if (failed(mlir::verify(op))) {
    op->erase();
    return failure();
  }
  // Shape arithmetic in handlers and type inference can produce absurd sizes
  // from hostile attributes; nothing that large is ever allocated.
  {
    auto rt = cast<RankedTensorType>(op->getResult(0).getType());
    Type elt = rt.getElementType();
    int64_t bits = isa<quant::QuantizedType>(elt)
                       ? cast<quant::QuantizedType>(elt).getStorageTypeIntegralWidth()
                       : rt.getElementTypeBitWidth();
    int64_t eltBytes = std::max<int64_t>(1, (bits + 7) / 8);
    auto n = ref::checkedNumElements(rt.getShape(), options.maxTensorBytes / eltBytes);
    if (!n) {
      (void)error("result shape " + llvm::Twine(shapeToString(rt.getShape())) +
                  " is invalid or exceeds the tensor "
                  "limit of " + llvm::Twine(options.maxTensorBytes) + " bytes: " +
                  llvm::toString(n.takeError()));
      op->erase();
      return failure();
    }
  }
  // Fold ops whose operands are all known: shape arithmetic disappears and
  // reshape targets become static.
  SmallVector<ref::Tensor> operands;
  for (Value v : op->getOperands()) {
    const ref::Tensor *t = constantOf(v);
    if (!t)
      return op->getResult(0);
    operands.push_back(*t);
  }
  auto rt = cast<RankedTensorType>(op->getResult(0).getType());
  // Quantized values stay ops: a constant holds plain storage integers only.
  if (isa<quant::QuantizedType>(rt.getElementType()))
    return op->getResult(0);
  auto dtype = ref::dtypeFromType(rt.getElementType());
  if (!dtype) {
    llvm::consumeError(dtype.takeError());
    return op->getResult(0);
  }
  auto n = ref::checkedNumElements(rt.getShape(),
                                   options.maxFoldBytes / (int64_t)ref::dtypeSize(*dtype));
  if (!n) {
    llvm::consumeError(n.takeError());
    return op->getResult(0);
  }
  auto results = ref::evaluateOp(op, operands);
  if (!results) {
    emitError(loc) << llvm::toString(results.takeError()) << " (while folding node '"
                   << nodeName() << "')";
    op->erase();
    return failure();
  }
  std::string hint = hasOutput(0) ? node.output(0) : std::string("folded");
  Value c = constant((*results)[0], hint);
  op->erase();
  return c;
}

void NodeImporter::setOutput(int i, Value v) {
  if (hasOutput(i))
    values[node.output(i)] = v;
}

//===----------------------------------------------------------------------===//
// Graph
//===----------------------------------------------------------------------===//

bool qopt::parseInputShape(llvm::StringRef text, std::string &name,
                           llvm::SmallVectorImpl<int64_t> &dims, std::string &error) {
  auto [n, d] = text.rsplit('=');
  if (n.empty() || !text.contains('=')) {
    error = "expected name=DIMS (for example input=1x3x224x224), got '" + text.str() + "'";
    return false;
  }
  name = n.str();
  dims.clear();
  if (d.empty())
    return true;
  SmallVector<llvm::StringRef> parts;
  d.split(parts, 'x');
  for (llvm::StringRef p : parts) {
    int64_t v;
    if (p.getAsInteger(10, v) || v < 0) {
      error = "'" + text.str() + "': dimension '" + p.str() + "' of input '" + name +
              "' is not a non-negative integer";
      return false;
    }
    dims.push_back(v);
  }
  return true;
}

bool qopt::parseFrozenInput(llvm::StringRef text, ONNXImportOptions &options,
                            std::string &error) {
  auto [name, file] = text.split('=');
  if (name.empty() || file.empty()) {
    error = "expected NAME=FILE.npy (for example sr=sr.npy), got '" + text.str() + "'";
    return false;
  }
  auto t = ref::readNpy(file, options.maxTensorBytes);
  if (!t) {
    error = "'" + text.str() + "': " + llvm::toString(t.takeError());
    return false;
  }
  options.frozenInputs[name] = std::move(*t);
  return true;
}

namespace {
class GraphImporter {
public:
  GraphImporter(MLIRContext *ctx, llvm::StringRef path, const ONNXImportOptions &options)
      : ctx(ctx), path(path), options(options), builder(ctx),
        fileLoc(FileLineColLoc::get(ctx, path, 0, 0)) {
    modelDir = llvm::sys::path::parent_path(path).str();
    if (modelDir.empty())
      modelDir = ".";
  }

  /// Imports the model file at `path`.
  OwningOpRef<ModuleOp> run();
  /// Imports the serialized model in `bytes`; `path` only names it (and its
  /// folder anchors external data).
  OwningOpRef<ModuleOp> run(llvm::ArrayRef<uint8_t> bytes);

private:
  LogicalResult loadModel();
  LogicalResult parseModel(llvm::ArrayRef<uint8_t> bytes);
  OwningOpRef<ModuleOp> importGraph();
  LogicalResult importInputs(func::FuncOp &func);
  LogicalResult importInitializer(const onnx::TensorProto &t);
  LogicalResult importNode(const onnx::NodeProto &node);
  LogicalResult importIf(const onnx::NodeProto &node, NodeImporter &ni);
  Location nodeLoc(const onnx::NodeProto &node);
  InFlightDiagnostic fileError() { return emitError(fileLoc); }

  MLIRContext *ctx;
  std::string path, modelDir;
  const ONNXImportOptions &options;
  OpBuilder builder;
  Location fileLoc;
  onnx::ModelProto model;
  int64_t opset = 0;
  llvm::StringMap<Value> values;
  llvm::DenseMap<Value, ref::Tensor> constants;
  llvm::StringMap<Handler> handlers;
};
} // namespace

LogicalResult GraphImporter::loadModel() {
  auto buffer = ref::readRegularFile(path, options.maxModelBytes);
  if (!buffer)
    return fileError() << llvm::toString(buffer.takeError());
  return parseModel({reinterpret_cast<const uint8_t *>((*buffer)->getBufferStart()),
                     (*buffer)->getBufferSize()});
}

LogicalResult GraphImporter::parseModel(llvm::ArrayRef<uint8_t> bytes) {
  if ((int64_t)bytes.size() > options.maxModelBytes)
    return fileError() << "model is " << bytes.size() << " bytes, above the limit of "
                       << options.maxModelBytes << " bytes";
  // Protobuf messages are limited to 2 GiB; larger models keep their weights
  // in external data files.
  if (bytes.size() >= (uint64_t)INT32_MAX)
    return fileError() << "model is " << bytes.size()
                       << " bytes; protobuf models must be below 2 GiB (use external data)";
  google::protobuf::io::CodedInputStream stream(bytes.data(), (int)bytes.size());
  stream.SetTotalBytesLimit(INT32_MAX);
  stream.SetRecursionLimit(64);
  if (!model.ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage())
    return fileError() << "not a valid ONNX model (protobuf parse failed: truncated or not "
                          "an ONNX file)";
  if (!model.has_graph())
    return fileError() << "ONNX model has no graph";
  for (const auto &imp : model.opset_import()) {
    if (imp.domain().empty() || imp.domain() == "ai.onnx")
      opset = imp.version();
  }
  if (opset == 0 && model.opset_import_size() == 0)
    opset = 1; // IR version 1-2 models have no opset_import; ONNX says opset 1
  // Legacy attributes of opsets before 7 that change semantics (Add's
  // `broadcast`, ...) are rejected by the handlers that see them.
  if (opset < 0)
    return fileError() << "invalid opset " << opset << " of the default ONNX domain";
  if (opset > 21)
    return fileError() << "unsupported opset " << opset
                       << " of the default ONNX domain (QOpt imports opsets 1 to 21)";
  return success();
}

Location GraphImporter::nodeLoc(const onnx::NodeProto &node) {
  std::string name = node.name();
  if (name.empty() && node.output_size())
    name = node.output(0);
  return NameLoc::get(StringAttr::get(ctx, name), fileLoc);
}


LogicalResult GraphImporter::importInputs(func::FuncOp &func) {
  const onnx::GraphProto &g = model.graph();
  llvm::StringSet<> initializerNames;
  for (const auto &t : g.initializer())
    initializerNames.insert(t.name());
  llvm::StringSet<> inputNames;
  SmallVector<Type> types;
  SmallVector<std::string> names;
  for (const auto &in : g.input()) {
    if (initializerNames.contains(in.name()))
      continue; // an input with a default value: treated as the constant
    if (auto frozen = options.frozenInputs.find(in.name());
        frozen != options.frozenInputs.end()) {
      if (!inputNames.insert(in.name()).second)
        return fileError() << "graph input '" << in.name() << "' is declared twice";
      const ref::Tensor &value = frozen->getValue();
      if (in.type().has_tensor_type()) {
        const auto &tt = in.type().tensor_type();
        Type want = elementTypeFromONNX(ctx, tt.elem_type());
        auto have = ref::typeFromDType(ctx, value.dtype());
        if (want && want != have)
          return fileError() << "frozen input '" << in.name() << "' is "
                             << ref::dtypeName(value.dtype()).str() << " but the model declares "
                             << onnxTypeName(tt.elem_type()).str();
        if (tt.has_shape()) {
          bool ok = tt.shape().dim_size() == value.rank();
          for (int d = 0; ok && d < tt.shape().dim_size(); ++d)
            if (tt.shape().dim(d).has_dim_value() && tt.shape().dim(d).dim_value() >= 0)
              ok = tt.shape().dim(d).dim_value() == value.dim(d);
          if (!ok)
            return fileError() << "frozen input '" << in.name() << "' has shape "
                               << value.describe() << ", which the model's declaration "
                                  "contradicts";
        }
      }
      continue; // bound to a constant below
    }
    if (!inputNames.insert(in.name()).second)
      return fileError() << "graph input '" << in.name() << "' is declared twice";
    if (!in.type().has_tensor_type())
      return fileError() << "unsupported graph input '" << in.name()
                         << "': only tensor inputs are supported (not sequences, maps or "
                            "optionals)";
    const auto &tt = in.type().tensor_type();
    Type elt = elementTypeFromONNX(ctx, tt.elem_type());
    if (!elt)
      return fileError() << "unsupported dtype " << onnxTypeName(tt.elem_type()).str()
                         << " of graph input '" << in.name() << "'";
    SmallVector<int64_t> dims;
    auto pinned = options.inputShapes.find(in.name());
    if (!tt.has_shape() && pinned == options.inputShapes.end())
      return fileError() << "graph input '" << in.name()
                         << "' has no shape; pin it with --input-shape " << in.name() << "=DIMS";
    if (tt.has_shape()) {
      for (const auto &[i, d] : llvm::enumerate(tt.shape().dim())) {
        if (d.has_dim_value() && d.dim_value() >= 0) {
          dims.push_back(d.dim_value());
        } else if (pinned == options.inputShapes.end()) {
          std::string sym = d.has_dim_param()   ? d.dim_param()
                            : d.has_dim_value() ? std::to_string(d.dim_value())
                                                : std::string("?");
          return fileError() << "graph input '" << in.name() << "' has dynamic dimension " << i
                             << " ('" << sym << "'); pin it with --input-shape " << in.name()
                             << "=DIMS";
        } else {
          dims.push_back(-1);
        }
      }
    }
    if (pinned != options.inputShapes.end()) {
      llvm::ArrayRef<int64_t> want = pinned->second;
      if (tt.has_shape() && want.size() != dims.size())
        return fileError() << "--input-shape " << in.name() << "=" << shapeToString(want)
                           << " has rank " << want.size() << " but the model declares rank "
                           << dims.size();
      for (size_t i = 0; i < dims.size(); ++i)
        if (dims[i] >= 0 && dims[i] != want[i])
          return fileError() << "--input-shape " << in.name() << "=" << shapeToString(want)
                             << " contradicts the model's static dimension " << i << " = "
                             << dims[i];
      dims.assign(want.begin(), want.end());
    }
    int64_t eltBytes = std::max<int64_t>(1, elt.getIntOrFloatBitWidth() / 8);
    auto n = ref::checkedNumElements(dims, options.maxTensorBytes / eltBytes);
    if (!n)
      return fileError() << "graph input '" << in.name() << "' shape " << shapeToString(dims)
                         << " is invalid or exceeds the tensor limit: "
                         << llvm::toString(n.takeError());
    types.push_back(RankedTensorType::get(dims, elt));
    names.push_back(in.name());
  }
  for (const auto &entry : options.frozenInputs)
    if (!inputNames.contains(entry.getKey()))
      return fileError() << "cannot freeze '" << entry.getKey().str()
                         << "', which is not a graph input";
  for (const auto &entry : options.inputShapes)
    if (!inputNames.contains(entry.getKey())) {
      std::string known;
      for (const std::string &n : names)
        known += (known.empty() ? "" : ", ") + n;
      return fileError() << "the model has no input named '" << entry.getKey().str()
                         << "' (its inputs: " << (known.empty() ? "none" : known) << ")";
    }

  func = func::FuncOp::create(builder, fileLoc, "main", builder.getFunctionType(types, {}));
  Block *entry = func.addEntryBlock();
  for (auto [i, name] : llvm::enumerate(names)) {
    func.setArgAttr(i, "qnn.name", builder.getStringAttr(name));
    values[name] = entry->getArgument(i);
  }
  builder.setInsertionPointToStart(entry);
  for (const auto &entry : options.frozenInputs) {
    Location loc = NameLoc::get(StringAttr::get(ctx, entry.getKey()), fileLoc);
    const ref::Tensor &t = entry.getValue();
    auto op = qnn::ConstantOp::create(builder, loc,
                                      ref::attrFromTensor(ctx, t, entry.getKey()));
    constants[op.getResult()] = t;
    values[entry.getKey()] = op.getResult();
  }
  return success();
}

LogicalResult GraphImporter::importInitializer(const onnx::TensorProto &t) {
  if (t.name().empty())
    return fileError() << "initializer without a name";
  if (values.count(t.name()))
    return fileError() << "initializer '" << t.name() << "' is defined twice";
  auto tensor = tensorFromProto(t, modelDir, options.maxTensorBytes);
  if (!tensor)
    return fileError() << "initializer '" << t.name() << "': " << llvm::toString(tensor.takeError());
  Location loc = NameLoc::get(StringAttr::get(ctx, t.name()), fileLoc);
  auto op = qnn::ConstantOp::create(builder, loc,
                                    ref::attrFromTensor(ctx, *tensor, t.name()));
  constants[op.getResult()] = std::move(*tensor);
  values[t.name()] = op.getResult();
  return success();
}

LogicalResult GraphImporter::importNode(const onnx::NodeProto &node) {
  Location loc = nodeLoc(node);
  NodeImporter ni(builder, node, loc, opset, values, constants, options);
  ni.modelDir = modelDir;
  if ((node.domain().empty() || node.domain() == "ai.onnx") && opset == 0)
    return emitError(loc) << "unsupported op '" << node.op_type() << "' (node '" << ni.nodeName()
                          << "'): the model imports no opset of the default ONNX domain";
  if (!node.domain().empty() && node.domain() != "ai.onnx")
    return emitError(loc) << "unsupported op '" << node.domain() << "." << node.op_type()
                          << "' (node '" << ni.nodeName() << "', opset " << opset
                          << "): domain '" << node.domain() << "' is not supported";
  if (node.output_size() == 0)
    return ni.error("node has no outputs");
  for (const std::string &in : node.input())
    if (!in.empty() && !values.count(in))
      return ni.error("input '" + in +
                      "' is not produced by an earlier node, an initializer or a graph input "
                      "(the graph is not topologically sorted, has a cycle, or lacks it)");
  for (const std::string &in : node.input())
    if (!in.empty() && !values.lookup(in))
      return ni.unsupported("use of '" + in +
                            "', an optional output its producer does not support");
  for (const std::string &out : node.output())
    if (!out.empty() && values.count(out))
      return ni.error("output '" + out + "' is already defined (duplicate value name)");
  if (node.op_type() == "If")
    return importIf(node, ni);
  auto it = handlers.find(node.op_type());
  if (it == handlers.end())
    return emitError(loc) << "unsupported op '" << node.op_type() << "' (node '"
                          << ni.nodeName() << "', opset " << opset << ")";
  // Errors from op verifiers and type inference know the location, not the
  // ONNX node: name it, as the importer's own messages do.
  std::string suffix = (" (op '" + node.op_type() + "', node '" + ni.nodeName() + "', opset " +
                        llvm::Twine(opset) + ")")
                           .str();
  ScopedDiagnosticHandler nameNode(ctx, [&](Diagnostic &d) {
    if (d.getSeverity() == DiagnosticSeverity::Error &&
        d.str().find("node '") == std::string::npos)
      d << suffix;
    return failure(); // not handled: goes on to the tool's handler
  });
  if (failed(it->second(ni)))
    return failure();
  for (int i = 0; i < node.output_size(); ++i)
    if (!node.output(i).empty() && !values.count(node.output(i)))
      values[node.output(i)] = Value(); // produced but unsupported; checked at use
  return success();
}

/// If: QOpt compiles a static program, so the condition must be known at
/// compile time: folded from constants and the pinned input shapes (an
/// exporter's `if x.shape[0] == 1`), or from inputs frozen to values. The
/// taken branch is imported in place; its nodes read outer values by name,
/// as ONNX scoping allows, and its outputs become the If's. ONNX forbids a
/// subgraph to redefine an outer name, which importNode's duplicate check
/// enforces.
LogicalResult GraphImporter::importIf(const onnx::NodeProto &node, NodeImporter &ni) {
  if (node.input_size() != 1 || node.input(0).empty())
    return ni.error("If takes exactly one input, the condition");
  Value cond = values.lookup(node.input(0));
  auto c = constants.find(cond);
  if (c == constants.end())
    return ni.unsupported(
        "If whose condition '" + node.input(0) +
        "' is computed at run time (QOpt compiles one branch: the condition must follow from "
        "constants and input shapes; freeze the inputs it reads with --freeze)");
  const ref::Tensor &t = c->second;
  if (t.numElements() != 1)
    return ni.error("the condition '" + node.input(0) + "' has " +
                    llvm::Twine(t.numElements()) + " elements; If needs one");
  bool taken = t.getAsDouble(0) != 0;
  const char *branchName = taken ? "then_branch" : "else_branch";
  const onnx::AttributeProto *a = ni.attr(branchName);
  if (!a || a->type() != onnx::AttributeProto::GRAPH || !a->has_g())
    return ni.error(llvm::Twine("If has no graph attribute '") + branchName + "'");
  const onnx::GraphProto &g = a->g();
  if (g.output_size() != node.output_size())
    return ni.error(llvm::Twine(branchName) + " has " + llvm::Twine(g.output_size()) +
                    " outputs but the node has " + llvm::Twine(node.output_size()));
  if (g.sparse_initializer_size())
    return ni.unsupported("sparse initializers in a branch");
  for (const auto &init : g.initializer())
    if (failed(importInitializer(init)))
      return failure();
  for (const auto &inner : g.node())
    if (failed(importNode(inner)))
      return failure();
  for (int i = 0; i < node.output_size(); ++i) {
    const std::string &from = g.output(i).name();
    auto it = values.find(from);
    if (it == values.end())
      return ni.error("output '" + from + "' of " + branchName + " is not produced by it");
    if (!node.output(i).empty() && node.output(i) != from)
      values[node.output(i)] = it->second;
  }
  // The branch's own names end with it: a sibling branch or a later node
  // may define them again, and nothing outside may read them.
  auto forget = [&](const std::string &name) {
    if (!llvm::is_contained(node.output(), name))
      values.erase(name);
  };
  for (const auto &init : g.initializer())
    forget(init.name());
  for (const auto &inner : g.node())
    for (const std::string &out : inner.output())
      if (!out.empty())
        forget(out);
  return success();
}

OwningOpRef<ModuleOp> GraphImporter::run() {
  if (failed(loadModel()))
    return nullptr;
  return importGraph();
}

OwningOpRef<ModuleOp> GraphImporter::run(llvm::ArrayRef<uint8_t> bytes) {
  if (failed(parseModel(bytes)))
    return nullptr;
  return importGraph();
}

OwningOpRef<ModuleOp> GraphImporter::importGraph() {
  registerElementwiseHandlers(handlers);
  registerLinearHandlers(handlers);
  registerDataMovementHandlers(handlers);
  registerCompositeHandlers(handlers);
  registerRecurrentHandlers(handlers);
  registerQuantizedHandlers(handlers);
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  builder.setInsertionPointToEnd(module->getBody());
  func::FuncOp func;
  if (failed(importInputs(func)))
    return nullptr;
  const onnx::GraphProto &g = model.graph();
  for (const auto &t : g.initializer())
    if (failed(importInitializer(t)))
      return nullptr;
  if (g.sparse_initializer_size())
    return fileError() << "unsupported sparse initializers", nullptr;
  for (const auto &node : g.node()) {
    if (failed(importNode(node)))
      return nullptr;
  }
  if (g.output_size() == 0)
    return fileError() << "graph has no outputs", nullptr;
  SmallVector<Value> results;
  for (const auto &out : g.output()) {
    auto it = values.find(out.name());
    if (it == values.end())
      return fileError() << "graph output '" << out.name() << "' is not produced by any node",
             nullptr;
    if (!it->second)
      return fileError() << "graph output '" << out.name()
                         << "' is an unsupported secondary output of its node",
             nullptr;
    Value v = it->second;
    auto rt = cast<RankedTensorType>(v.getType());
    if (out.type().has_tensor_type()) {
      const auto &tt = out.type().tensor_type();
      if (tt.elem_type() != 0) {
        Type want = elementTypeFromONNX(ctx, tt.elem_type());
        if (want && want != rt.getElementType())
          return fileError() << "graph output '" << out.name() << "' is declared "
                             << onnxTypeName(tt.elem_type()).str() << " but computes "
                             << rt.getElementType(),
                 nullptr;
      }
      // A declared output shape is the exporter's annotation, and some are
      // stale (ddddocr's OCR model declares [1, seqlen] for a [32, 1, 8210]
      // result): like onnxruntime, warn and keep the computed shape.
      auto stale = [&](const llvm::Twine &what) {
        emitWarning(fileLoc) << "graph output '" << out.name() << "' is declared with " << what
                             << "; the computed shape " << shapeToString(rt.getShape())
                             << " is used, as onnxruntime does";
      };
      if (tt.has_shape() && tt.shape().dim_size() != rt.getRank()) {
        stale("rank " + llvm::Twine(tt.shape().dim_size()));
      } else if (tt.has_shape()) {
        for (int d = 0; d < rt.getRank(); ++d) {
          const auto &dim = tt.shape().dim(d);
          if (dim.has_dim_value() && dim.dim_value() >= 0 && dim.dim_value() != rt.getDimSize(d)) {
            stale("dim " + llvm::Twine(d) + " = " + llvm::Twine(dim.dim_value()));
            break;
          }
        }
      }
    }
    results.push_back(v);
  }
  func::ReturnOp::create(builder, fileLoc, results);
  SmallVector<Type> argTypes(func.getArgumentTypes());
  func.setType(builder.getFunctionType(argTypes, ValueRange(results).getTypes()));
  for (auto [i, out] : llvm::enumerate(g.output()))
    func.setResultAttr(i, "qnn.name", builder.getStringAttr(out.name()));
  // Drop constants nothing uses (folded shape inputs, unused initializers).
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(func.getBody().front())))
    if (isa<qnn::ConstantOp>(op) && op.use_empty())
      op.erase();
  if (failed(mlir::verify(*module)))
    return nullptr;
  return module;
}

void qopt::registerONNXImportDialects(MLIRContext *ctx) {
  ctx->loadDialect<qnn::QNNDialect, func::FuncDialect>();
}

OwningOpRef<ModuleOp> qopt::importONNXFile(llvm::StringRef path, MLIRContext *ctx,
                                           const ONNXImportOptions &options) {
  registerONNXImportDialects(ctx);
  GraphImporter importer(ctx, path, options);
  return importer.run();
}

OwningOpRef<ModuleOp> qopt::importONNXBuffer(llvm::ArrayRef<uint8_t> bytes, llvm::StringRef path,
                                             MLIRContext *ctx, const ONNXImportOptions &options) {
  registerONNXImportDialects(ctx);
  GraphImporter importer(ctx, path, options);
  return importer.run(bytes);
}
