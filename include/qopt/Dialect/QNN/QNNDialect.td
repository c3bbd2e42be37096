//===- QNNDialect.td - QNN dialect definition --------------*- tablegen -*-===//
//
// The `qnn` dialect: ONNX-semantics graph ops on ranked tensors. Float models
// import into it; quantized models use the same ops on `!quant.uniform` element
// types (see ARCHITECTURE.md section 3).
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_DIALECT_QNN_QNNDIALECT_TD
#define QOPT_DIALECT_QNN_QNNDIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/EnumAttr.td"

def QNN_Dialect : Dialect {
  let name = "qnn";
  let cppNamespace = "::qopt::qnn";
  let summary = "Neural-network graph operations with ONNX semantics";
  let description = [{
    `qnn` holds the graph of a model between ONNX import and lowering. Every op
    follows the semantics of the ONNX operator it is named after, restricted to
    static shapes: dynamic shape computations are folded at import once input
    shapes are pinned. Ops that have quantized forms accept `!quant.uniform`
    element types (per tensor and per axis) from the upstream `quant` dialect.
  }];
  let dependentDialects = ["::mlir::quant::QuantDialect"];
  let hasConstantMaterializer = 1;
  let useDefaultAttributePrinterParser = 1;
}

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def QNN_ResizeMode : I32EnumAttr<"ResizeMode", "interpolation of qnn.resize", [
    I32EnumAttrCase<"nearest", 0>, I32EnumAttrCase<"linear", 1>,
    I32EnumAttrCase<"cubic", 2>]> {
  let cppNamespace = "::qopt::qnn";
  let genSpecializedAttr = 0;
}
def QNN_ResizeModeAttr : EnumAttr<QNN_Dialect, QNN_ResizeMode, "resize_mode"> {
  let assemblyFormat = "`<` $value `>`";
}

def QNN_CoordinateTransform : I32EnumAttr<"CoordinateTransform",
    "maps output coordinates of qnn.resize to input coordinates", [
    I32EnumAttrCase<"half_pixel", 0>, I32EnumAttrCase<"asymmetric", 1>,
    I32EnumAttrCase<"align_corners", 2>, I32EnumAttrCase<"pytorch_half_pixel", 3>,
    I32EnumAttrCase<"tf_half_pixel_for_nn", 4>, I32EnumAttrCase<"half_pixel_symmetric", 5>]> {
  let cppNamespace = "::qopt::qnn";
  let genSpecializedAttr = 0;
}
def QNN_CoordinateTransformAttr : EnumAttr<QNN_Dialect, QNN_CoordinateTransform, "coordinate_transform"> {
  let assemblyFormat = "`<` $value `>`";
}

def QNN_NearestMode : I32EnumAttr<"NearestMode",
    "rounding of qnn.resize in nearest mode", [
    I32EnumAttrCase<"round_prefer_floor", 0>, I32EnumAttrCase<"round_prefer_ceil", 1>,
    I32EnumAttrCase<"floor", 2>, I32EnumAttrCase<"ceil", 3>]> {
  let cppNamespace = "::qopt::qnn";
  let genSpecializedAttr = 0;
}
def QNN_NearestModeAttr : EnumAttr<QNN_Dialect, QNN_NearestMode, "nearest_mode"> {
  let assemblyFormat = "`<` $value `>`";
}

def QNN_PadMode : I32EnumAttr<"PadMode", "border handling of qnn.pad", [
    I32EnumAttrCase<"constant", 0>, I32EnumAttrCase<"reflect", 1>,
    I32EnumAttrCase<"edge", 2>, I32EnumAttrCase<"wrap", 3>]> {
  let cppNamespace = "::qopt::qnn";
  let genSpecializedAttr = 0;
}
def QNN_PadModeAttr : EnumAttr<QNN_Dialect, QNN_PadMode, "pad_mode"> {
  let assemblyFormat = "`<` $value `>`";
}

def QNN_ScatterReduction : I32EnumAttr<"ScatterReduction",
    "how qnn.scatter_nd and qnn.scatter_elements combine an update with the element it lands on", [
    I32EnumAttrCase<"none", 0>, I32EnumAttrCase<"add", 1>, I32EnumAttrCase<"mul", 2>,
    I32EnumAttrCase<"max", 3>, I32EnumAttrCase<"min", 4>]> {
  let cppNamespace = "::qopt::qnn";
  let genSpecializedAttr = 0;
}
def QNN_ScatterReductionAttr : EnumAttr<QNN_Dialect, QNN_ScatterReduction, "scatter_reduction"> {
  let assemblyFormat = "`<` $value `>`";
}

def QNN_GridPadding : I32EnumAttr<"GridPadding",
    "what qnn.grid_sample reads outside its input", [
    I32EnumAttrCase<"zeros", 0>, I32EnumAttrCase<"border", 1>,
    I32EnumAttrCase<"reflection", 2>]> {
  let cppNamespace = "::qopt::qnn";
  let genSpecializedAttr = 0;
}
def QNN_GridPaddingAttr : EnumAttr<QNN_Dialect, QNN_GridPadding, "grid_padding"> {
  let assemblyFormat = "`<` $value `>`";
}

def QNN_GeluApproximation : I32EnumAttr<"GeluApproximation",
    "approximation used by qnn.gelu", [
    I32EnumAttrCase<"none", 0>, I32EnumAttrCase<"tanh", 1>]> {
  let cppNamespace = "::qopt::qnn";
  let genSpecializedAttr = 0;
}
def QNN_GeluApproximationAttr : EnumAttr<QNN_Dialect, QNN_GeluApproximation, "gelu_approximation"> {
  let assemblyFormat = "`<` $value `>`";
}

def QNN_Activation : I32EnumAttr<"Activation",
    "activation fused into the op that produces its input", [
    I32EnumAttrCase<"relu", 0>, I32EnumAttrCase<"clip", 1>,
    I32EnumAttrCase<"hard_sigmoid", 2>, I32EnumAttrCase<"hard_swish", 3>,
    I32EnumAttrCase<"leaky_relu", 4>]> {
  let cppNamespace = "::qopt::qnn";
  let genSpecializedAttr = 0;
}
def QNN_ActivationAttr : EnumAttr<QNN_Dialect, QNN_Activation, "activation"> {
  let assemblyFormat = "`<` $value `>`";
}

#endif // QOPT_DIALECT_QNN_QNNDIALECT_TD
