//===- ImporterImpl.h - ONNX importer internals ----------------*- C++ -*-===//
//
// State shared by the graph walker (ONNXImporter.cpp) and the per-family op
// handlers (Import*.cpp). Not installed.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_LIB_IMPORT_IMPORTERIMPL_H
#define QOPT_LIB_IMPORT_IMPORTERIMPL_H

#include "qopt/Dialect/QNN/QNNOps.h"
#include "qopt/Import/ONNXImporter.h"
#include "qopt/Reference/Tensor.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"

#include <onnx/onnx_pb.h>

#include <optional>

namespace qopt::onnx_import {

class NodeImporter;
using Handler = mlir::LogicalResult (*)(NodeImporter &);

/// Each adds the handlers of one op family (ONNX op type -> handler).
void registerElementwiseHandlers(llvm::StringMap<Handler> &table);
void registerLinearHandlers(llvm::StringMap<Handler> &table);
void registerDataMovementHandlers(llvm::StringMap<Handler> &table);
void registerCompositeHandlers(llvm::StringMap<Handler> &table);
void registerQuantizedHandlers(llvm::StringMap<Handler> &table);
void registerRecurrentHandlers(llvm::StringMap<Handler> &table);

/// Converts a TensorProto (inline or external data) to a host tensor. External
/// data is read only from regular files inside `modelDir`.
llvm::Expected<ref::Tensor> tensorFromProto(const onnx::TensorProto &proto,
                                            llvm::StringRef modelDir, int64_t maxBytes);
/// Maps an ONNX element type to an MLIR type; null for types QOpt cannot hold.
mlir::Type elementTypeFromONNX(mlir::MLIRContext *ctx, int32_t onnxType);
/// The ONNX name of an element type ("FLOAT", "STRING", ...).
llvm::StringRef onnxTypeName(int32_t onnxType);

/// Everything a handler needs to turn one ONNX node into qnn ops.
class NodeImporter {
public:
  NodeImporter(mlir::OpBuilder &builder, const onnx::NodeProto &node, mlir::Location loc,
               int64_t opset, llvm::StringMap<mlir::Value> &values,
               llvm::DenseMap<mlir::Value, ref::Tensor> &constants,
               const ONNXImportOptions &options)
      : b(builder), node(node), loc(loc), opset(opset), values(values), constants(constants),
        options(options) {}

  mlir::OpBuilder &b;
  const onnx::NodeProto &node;
  /// Folder of the model file; external data resolves inside it.
  std::string modelDir;
  mlir::Location loc;
  int64_t opset;

  mlir::MLIRContext *ctx() { return b.getContext(); }
  llvm::StringRef opType() const { return node.op_type(); }
  /// The node's name, or a description naming its first output when unnamed.
  std::string nodeName() const;

  // Inputs. An input is present when its name is non-empty.
  /// Number of inputs, present or not.
  int numInputs() const { return node.input_size(); }
  bool hasInput(int i) const { return i < node.input_size() && !node.input(i).empty(); }
  /// The value of input i, or a failure with a diagnostic when it is missing.
  mlir::FailureOr<mlir::Value> input(int i);
  /// The value of input i if present; null otherwise.
  mlir::Value optionalInput(int i);
  mlir::RankedTensorType inputType(int i) {
    return mlir::cast<mlir::RankedTensorType>(optionalInput(i).getType());
  }
  /// The constant value of a present input, or nullopt when it is computed at
  /// run time.
  const ref::Tensor *constantOf(mlir::Value v);
  /// Input i as a constant, failing with "unsupported: non-constant <what>".
  mlir::FailureOr<const ref::Tensor *> constantInput(int i, llvm::StringRef what);
  /// Input i as a list of int64 (1-D or scalar integer constant).
  mlir::FailureOr<llvm::SmallVector<int64_t>> constantInts(int i, llvm::StringRef what);

  // Attributes.
  const onnx::AttributeProto *attr(llvm::StringRef name) const;
  mlir::FailureOr<int64_t> attrInt(llvm::StringRef name, std::optional<int64_t> dflt);
  mlir::FailureOr<float> attrFloat(llvm::StringRef name, std::optional<float> dflt);
  mlir::FailureOr<std::string> attrString(llvm::StringRef name,
                                          std::optional<std::string> dflt);
  mlir::FailureOr<llvm::SmallVector<int64_t>>
  attrInts(llvm::StringRef name, std::optional<llvm::SmallVector<int64_t>> dflt);
  mlir::FailureOr<llvm::SmallVector<float>>
  attrFloats(llvm::StringRef name, std::optional<llvm::SmallVector<float>> dflt);
  /// Rejects attributes a handler does not implement when they are present
  /// with a non-default value.
  mlir::LogicalResult rejectAttr(llvm::StringRef name, llvm::StringRef why);

  // Diagnostics. All name the op type, node and opset.
  mlir::LogicalResult error(const llvm::Twine &msg);
  mlir::LogicalResult unsupported(const llvm::Twine &what);

  // Building.
  /// Creates an op, infers its result type (unless given), verifies it and
  /// folds it when all operands are constant. Bad input yields a located
  /// diagnostic, never an assertion.
  template <typename OpTy>
  mlir::FailureOr<mlir::Value> build(mlir::ValueRange operands,
                                     llvm::ArrayRef<mlir::NamedAttribute> attrs = {},
                                     mlir::Type resultType = {}) {
    mlir::Type placeholder = resultType ? resultType : operands.front().getType();
    auto op = OpTy::create(b, loc, mlir::TypeRange{placeholder}, operands, attrs);
    return finish(op, /*inferType=*/!resultType);
  }
  /// A constant op holding `t`.
  mlir::Value constant(const ref::Tensor &t, llvm::StringRef nameHint);
  /// A zero-filled tensor for a constant the handler computes, refused (with
  /// a diagnostic) above the configured tensor limit.
  mlir::FailureOr<ref::Tensor> newTensor(ref::DType dtype, llvm::ArrayRef<int64_t> shape);
  /// The largest tensor the import may create, in bytes.
  int64_t maxTensorBytes() const { return options.maxTensorBytes; }

  /// Records output i of the node.
  void setOutput(int i, mlir::Value v);
  int numOutputs() const { return node.output_size(); }
  bool hasOutput(int i) const { return i < node.output_size() && !node.output(i).empty(); }

  /// Shorthand for building op attributes.
  mlir::NamedAttribute named(llvm::StringRef name, mlir::Attribute a) {
    return b.getNamedAttr(name, a);
  }

private:
  mlir::FailureOr<mlir::Value> finish(mlir::Operation *op, bool inferType);

  llvm::StringMap<mlir::Value> &values;
  llvm::DenseMap<mlir::Value, ref::Tensor> &constants;
  const ONNXImportOptions &options;
};

/// The begin and end pads (ONNX Conv order, auto_pad resolved) of the current
/// node's window over `x` with weights `w`.
mlir::FailureOr<llvm::SmallVector<int64_t>> convPads(NodeImporter &n, mlir::Value x,
                                                     mlir::Value w);
/// qnn.conv from ONNX Conv attributes of the current node (QLinearConv and
/// ConvInteger share them); the result has the input's element type. `pads`
/// replaces the node's padding when given.
mlir::FailureOr<mlir::Value> buildConv(NodeImporter &n, mlir::Value x, mlir::Value w,
                                       mlir::Value bias,
                                       std::optional<llvm::ArrayRef<int64_t>> pads = std::nullopt);

/// Shape helpers the composite handlers share (ImportComposite.cpp); each
/// returns `x` itself when there is nothing to do.
mlir::FailureOr<mlir::Value> reshapeValue(NodeImporter &n, mlir::Value x,
                                          llvm::ArrayRef<int64_t> shape);
mlir::FailureOr<mlir::Value> transposeValue(NodeImporter &n, mlir::Value x,
                                            llvm::ArrayRef<int64_t> perm);
/// x[..., start:end, ...] along `axis`.
mlir::FailureOr<mlir::Value> sliceAxis(NodeImporter &n, mlir::Value x, int64_t axis,
                                       int64_t start, int64_t end);
/// A scalar constant of `like`'s element type.
mlir::FailureOr<mlir::Value> scalarLike(NodeImporter &n, mlir::Value like, double v,
                                        llvm::StringRef name);

/// Shorthand for handlers: unwraps a FailureOr or returns failure.
#define QOPT_TRY(var, expr)                                                                  \
  auto var##OrFail = (expr);                                                                 \
  if (mlir::failed(var##OrFail))                                                             \
    return mlir::failure();                                                                  \
  auto var = *var##OrFail

} // namespace qopt::onnx_import

#endif // QOPT_LIB_IMPORT_IMPORTERIMPL_H
