//===- QNNOps.td - QNN dialect operations ------------------*- tablegen -*-===//
//
// Ops are grouped by family: constants, elementwise, linear algebra, pooling,
// normalization, data movement, reductions. Shapes are static; result types are
// inferred from operands and attributes wherever ONNX defines them that way,
// and element types of quantized results may differ from their inputs (a
// quantized op picks its own output scale).
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_DIALECT_QNN_QNNOPS_TD
#define QOPT_DIALECT_QNN_QNNOPS_TD

include "qopt/Dialect/QNN/QNNDialect.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def QNN_QuantizedType : Type<CPred<"::llvm::isa<::mlir::quant::UniformQuantizedType, "
                                   "::mlir::quant::UniformQuantizedPerAxisType>($_self)">,
                             "uniform quantized type">;
def QNN_Float : AnyTypeOf<[F16, BF16, F32, F64]>;

// Every qnn value has a static shape: dynamic dims are pinned or folded at
// import, and the executor and later lowering rely on it.
class QNN_TensorOf<list<Type> allowedTypes>
    : RankedTensorOf<allowedTypes, [HasStaticShapePred], "statically shaped tensor">;

def QNN_FloatTensor : QNN_TensorOf<[QNN_Float]>;
def QNN_FloatOrQuantTensor : QNN_TensorOf<[QNN_Float, QNN_QuantizedType]>;
def QNN_NumericTensor : QNN_TensorOf<[QNN_Float, AnyInteger, QNN_QuantizedType]>;
def QNN_BoolTensor : QNN_TensorOf<[I1]>;
def QNN_IndexTensor : QNN_TensorOf<[I32, I64]>;
def QNN_AnyTensor : QNN_TensorOf<[QNN_Float, AnyInteger, QNN_QuantizedType]>;

//===----------------------------------------------------------------------===//
// Fused activations
//===----------------------------------------------------------------------===//

// An activation applied to the op's result, as if the standalone activation
// op followed it. Parameters: clip (min, max; NaN means unbounded),
// hard_sigmoid (alpha, beta), leaky_relu (alpha); none for relu, hard_swish.
defvar QNN_FusedActivationArgs = (ins OptionalAttr<QNN_ActivationAttr>:$activation,
                                      OptionalAttr<DenseF64ArrayAttr>:$activation_params);

//===----------------------------------------------------------------------===//
// Base classes
//===----------------------------------------------------------------------===//

class QNN_Op<string mnemonic, list<Trait> traits = []>
    : Op<QNN_Dialect, mnemonic, !listconcat(traits, [Pure])>;

// An op whose result type follows from its operands and attributes.
class QNN_InferredOp<string mnemonic, list<Trait> traits = []>
    : QNN_Op<mnemonic, !listconcat(traits, [InferTypeOpAdaptorWithIsCompatible])>;

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def QNN_ConstantOp : QNN_Op<"constant", [ConstantLike, AllTypesMatch<["value", "output"]>]> {
  let summary = "Constant tensor (weights, folded shapes)";
  let description = [{
    A constant tensor. Weights imported from ONNX initializers are
    `dense_resource` blobs so the textual IR stays small; small folded values
    (shapes, scalars) are `dense` literals.

    ```mlir
    %w = qnn.constant dense_resource<conv1.weight> : tensor<64x3x7x7xf32>
    %s = qnn.constant dense<[1, 2048]> : tensor<2xi64>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs QNN_AnyTensor:$output);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise: binary ops with multidirectional (NumPy) broadcasting
//===----------------------------------------------------------------------===//

class QNN_BinaryOp<string mnemonic, string onnxName, Type operandType = QNN_NumericTensor,
                   Type resultType = QNN_NumericTensor, list<Trait> traits = []>
    : QNN_InferredOp<mnemonic, traits> {
  let summary = "Elementwise " # onnxName # " with NumPy broadcasting";
  let description = [{
    Applies ONNX `}] # onnxName # [{` elementwise. Operands broadcast
    multidirectionally (NumPy rules); the result has the broadcast shape.

    ```mlir
    %0 = qnn.}] # mnemonic # [{ %a, %b : (tensor<1x64x56x56xf32>, tensor<64x1x1xf32>) -> tensor<1x64x56x56xf32>
    ```
  }];
  let arguments = (ins operandType:$lhs, operandType:$rhs);
  let results = (outs resultType:$output);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QNN_AddOp : QNN_BinaryOp<"add", "Add", QNN_NumericTensor, QNN_NumericTensor, [Commutative]> {
  let arguments = !con((ins QNN_NumericTensor:$lhs, QNN_NumericTensor:$rhs),
                       QNN_FusedActivationArgs);
}
def QNN_SubOp : QNN_BinaryOp<"sub", "Sub">;
def QNN_MulOp : QNN_BinaryOp<"mul", "Mul", QNN_NumericTensor, QNN_NumericTensor, [Commutative]>;
def QNN_DivOp : QNN_BinaryOp<"div", "Div">;
def QNN_PowOp : QNN_BinaryOp<"pow", "Pow">;
def QNN_MaxOp : QNN_BinaryOp<"max", "Max", QNN_NumericTensor, QNN_NumericTensor, [Commutative]>;
def QNN_MinOp : QNN_BinaryOp<"min", "Min", QNN_NumericTensor, QNN_NumericTensor, [Commutative]>;
def QNN_ModOp : QNN_BinaryOp<"mod", "Mod"> {
  let arguments = (ins QNN_NumericTensor:$lhs, QNN_NumericTensor:$rhs,
                       DefaultValuedAttr<BoolAttr, "false">:$fmod);
}
def QNN_EqualOp : QNN_BinaryOp<"equal", "Equal", QNN_NumericTensor, QNN_BoolTensor, [Commutative]>;
def QNN_LessOp : QNN_BinaryOp<"less", "Less", QNN_NumericTensor, QNN_BoolTensor>;
def QNN_LessOrEqualOp
    : QNN_BinaryOp<"less_or_equal", "LessOrEqual", QNN_NumericTensor, QNN_BoolTensor>;
def QNN_GreaterOp : QNN_BinaryOp<"greater", "Greater", QNN_NumericTensor, QNN_BoolTensor>;
def QNN_GreaterOrEqualOp
    : QNN_BinaryOp<"greater_or_equal", "GreaterOrEqual", QNN_NumericTensor, QNN_BoolTensor>;
def QNN_AndOp : QNN_BinaryOp<"and", "And", QNN_BoolTensor, QNN_BoolTensor, [Commutative]>;
def QNN_OrOp : QNN_BinaryOp<"or", "Or", QNN_BoolTensor, QNN_BoolTensor, [Commutative]>;
def QNN_XorOp : QNN_BinaryOp<"xor", "Xor", QNN_BoolTensor, QNN_BoolTensor, [Commutative]>;

def QNN_WhereOp : QNN_InferredOp<"where"> {
  let summary = "Elementwise select with NumPy broadcasting";
  let description = [{
    ONNX `Where`: `condition ? x : y`, all three broadcast together.

    ```mlir
    %0 = qnn.where %c, %x, %y : (tensor<1x1x1x128xi1>, tensor<f32>, tensor<1x4x128x128xf32>) -> tensor<1x4x128x128xf32>
    ```
  }];
  let arguments = (ins QNN_BoolTensor:$condition, QNN_AnyTensor:$x, QNN_AnyTensor:$y);
  let results = (outs QNN_AnyTensor:$output);
  let assemblyFormat = "$condition `,` $x `,` $y attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise: unary ops
//===----------------------------------------------------------------------===//

class QNN_UnaryOp<string mnemonic, string onnxName, Type tensorType = QNN_FloatOrQuantTensor,
                  list<Trait> traits = []>
    : QNN_InferredOp<mnemonic, traits> {
  let summary = "Elementwise " # onnxName;
  let description = [{
    Applies ONNX `}] # onnxName # [{` to every element.

    ```mlir
    %0 = qnn.}] # mnemonic # [{ %x : tensor<1x64x56x56xf32> -> tensor<1x64x56x56xf32>
    ```
  }];
  let arguments = (ins tensorType:$input);
  let results = (outs tensorType:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
}

def QNN_ReluOp : QNN_UnaryOp<"relu", "Relu", QNN_NumericTensor>;
def QNN_SigmoidOp : QNN_UnaryOp<"sigmoid", "Sigmoid">;
def QNN_TanhOp : QNN_UnaryOp<"tanh", "Tanh">;
def QNN_ExpOp : QNN_UnaryOp<"exp", "Exp">;
def QNN_LogOp : QNN_UnaryOp<"log", "Log">;
def QNN_SqrtOp : QNN_UnaryOp<"sqrt", "Sqrt">;
def QNN_ErfOp : QNN_UnaryOp<"erf", "Erf">;
def QNN_SinOp : QNN_UnaryOp<"sin", "Sin", QNN_FloatTensor>;
def QNN_CosOp : QNN_UnaryOp<"cos", "Cos", QNN_FloatTensor>;
def QNN_TanOp : QNN_UnaryOp<"tan", "Tan", QNN_FloatTensor>;
def QNN_AsinOp : QNN_UnaryOp<"asin", "Asin", QNN_FloatTensor>;
def QNN_AcosOp : QNN_UnaryOp<"acos", "Acos", QNN_FloatTensor>;
def QNN_AtanOp : QNN_UnaryOp<"atan", "Atan", QNN_FloatTensor>;
def QNN_SinhOp : QNN_UnaryOp<"sinh", "Sinh", QNN_FloatTensor>;
def QNN_CoshOp : QNN_UnaryOp<"cosh", "Cosh", QNN_FloatTensor>;
def QNN_AsinhOp : QNN_UnaryOp<"asinh", "Asinh", QNN_FloatTensor>;
def QNN_AcoshOp : QNN_UnaryOp<"acosh", "Acosh", QNN_FloatTensor>;
def QNN_AtanhOp : QNN_UnaryOp<"atanh", "Atanh", QNN_FloatTensor>;
def QNN_ReciprocalOp : QNN_UnaryOp<"reciprocal", "Reciprocal">;
def QNN_FloorOp : QNN_UnaryOp<"floor", "Floor">;
def QNN_CeilOp : QNN_UnaryOp<"ceil", "Ceil">;
def QNN_RoundOp : QNN_UnaryOp<"round", "Round">;
def QNN_HardSwishOp : QNN_UnaryOp<"hard_swish", "HardSwish">;
def QNN_NegOp : QNN_UnaryOp<"neg", "Neg", QNN_NumericTensor>;
def QNN_AbsOp : QNN_UnaryOp<"abs", "Abs", QNN_NumericTensor>;
def QNN_SignOp : QNN_UnaryOp<"sign", "Sign", QNN_NumericTensor>;
def QNN_NotOp : QNN_UnaryOp<"not", "Not", QNN_BoolTensor>;

def QNN_LeakyReluOp : QNN_UnaryOp<"leaky_relu", "LeakyRelu"> {
  let arguments = (ins QNN_FloatOrQuantTensor:$input, F32Attr:$alpha);
}
def QNN_HardSigmoidOp : QNN_UnaryOp<"hard_sigmoid", "HardSigmoid"> {
  let summary = "Elementwise HardSigmoid: max(0, min(1, alpha * x + beta))";
  let arguments = (ins QNN_FloatOrQuantTensor:$input, F32Attr:$alpha, F32Attr:$beta);
}
def QNN_GeluOp : QNN_UnaryOp<"gelu", "Gelu"> {
  let arguments = (ins QNN_FloatOrQuantTensor:$input,
                       DefaultValuedAttr<QNN_GeluApproximationAttr,
                                         "GeluApproximation::none">:$approximate);
}
def QNN_ClipOp : QNN_UnaryOp<"clip", "Clip", QNN_NumericTensor> {
  let summary = "Clamps every element to [min, max]";
  let description = [{
    ONNX `Clip` with constant bounds; a missing bound is unbounded. `Relu6`
    is `qnn.clip` with `min = 0.0, max = 6.0`.

    ```mlir
    %0 = qnn.clip %x {min = 0.0 : f64, max = 6.0 : f64} : tensor<1x32x112x112xf32> -> tensor<1x32x112x112xf32>
    ```
  }];
  let arguments = (ins QNN_NumericTensor:$input, OptionalAttr<F64Attr>:$min,
                       OptionalAttr<F64Attr>:$max);
  let hasVerifier = 1;
}

def QNN_CastOp : QNN_Op<"cast"> {
  let summary = "Converts elements to another type (ONNX Cast)";
  let description = [{
    Converts every element to the result's element type with ONNX `Cast`
    semantics: float to integer truncates toward zero, float to bool tests for
    non-zero, and float narrowing rounds to nearest even.

    ```mlir
    %0 = qnn.cast %mask : tensor<1x128xi64> -> tensor<1x128xf32>
    ```
  }];
  let arguments = (ins QNN_TensorOf<[QNN_Float, AnyInteger]>:$input);
  let results = (outs QNN_TensorOf<[QNN_Float, AnyInteger]>:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def QNN_RequantizeOp : QNN_Op<"requantize"> {
  let summary = "Changes the scale and zero point of a quantized tensor in integers";
  let description = [{
    Re-expresses a per-tensor quantized tensor with other parameters without
    going through float: `y = clamp(apply_scale(q - z_in, s_in / s_out) +
    z_out)` with the fixed-point multiplier of docs/quantization.md. It is
    what `quant.dcast` followed by `quant.qcast` with different parameters
    folds to, and how concat inputs meet a common scale.

    ```mlir
    %0 = qnn.requantize %x : tensor<1x64x!quant.uniform<i8:f32, 0.05:-3>>
                           -> tensor<1x64x!quant.uniform<i8:f32, 0.1:10>>
    ```
  }];
  let arguments = (ins QNN_TensorOf<[QNN_QuantizedType]>:$input);
  let results = (outs QNN_TensorOf<[QNN_QuantizedType]>:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def QNN_LutOp : QNN_Op<"lut"> {
  let summary = "Table lookup on 8-bit quantized values";
  let description = [{
    `output[i] = table[input[i] - qmin]` where `qmin` is the input type's
    storage minimum (-128 for i8, 0 for u8, -2048 for `i16<-2048:2047>`); the
    table has one entry per storage value of the input type (256 for 8 bits,
    4096 for the 12-bit range QOpt uses for wide table inputs) holding the
    output's 8-bit storage bits. `qopt-fold-qdq` builds one table for a whole chain
    of elementwise float ops between a dequantize and a quantize
    (`hard_swish` then a scalar `mul` and `add`, ...), evaluating the chain
    once per possible input value: one rounding instead of one per op.

    ```mlir
    %t = qnn.constant dense_resource<hs_table> : tensor<256xi8>
    %0 = qnn.lut %x, %t : (tensor<1x16x24x160x!quant.uniform<i8:f32, 0.1:-3>>, tensor<256xi8>)
        -> tensor<1x16x24x160x!quant.uniform<i8:f32, 0.05:-120>>
    ```
  }];
  let arguments = (ins QNN_TensorOf<[QNN_QuantizedType]>:$input, QNN_TensorOf<[I8]>:$table);
  let results = (outs QNN_TensorOf<[QNN_QuantizedType]>:$output);
  let assemblyFormat = "$input `,` $table attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

def QNN_ConvOp : QNN_InferredOp<"conv", [AttrSizedOperandSegments]> {
  let summary = "N-d convolution, NCHW (ONNX Conv)";
  let description = [{
    Grouped, strided, dilated convolution over 1 to 3 spatial dimensions in
    NC[D]HW layout with weights OI[D]HW (`I = C / group`). `pads` holds the
    begin pads of every spatial dimension followed by the end pads; `auto_pad`
    is resolved at import. Depthwise convolution is `group = C`. Quantized
    forms take `!quant.uniform` input, per-axis weights and an i32 bias.

    An optional `residual` of the result's type is added after the bias and
    before the fused activation: `act(conv(x, w) + bias + residual)`, the
    ResNet block tail that `qopt-fuse-residual-add` forms.

    ```mlir
    %0 = qnn.conv %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 3, 3, 3, 3>,
                              dilations = array<i64: 1, 1>, group = 1 : i64}
        : (tensor<1x3x224x224xf32>, tensor<64x3x7x7xf32>, tensor<64xf32>) -> tensor<1x64x112x112xf32>
    %1 = qnn.conv %y, %w2, %b2 residual(%skip) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>,
                              dilations = array<i64: 1, 1>, group = 1 : i64, activation = #qnn.activation<relu>}
        : (tensor<1x64x56x56xf32>, tensor<256x64x1x1xf32>, tensor<256xf32>, tensor<1x256x56x56xf32>)
        -> tensor<1x256x56x56xf32>
    ```
  }];
  let arguments = (ins QNN_FloatOrQuantTensor:$input, QNN_FloatOrQuantTensor:$weight,
                       Optional<QNN_TensorOf<[QNN_Float, I32, QNN_QuantizedType]>>:$bias,
                       Optional<QNN_FloatOrQuantTensor>:$residual,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                       DenseI64ArrayAttr:$dilations, I64Attr:$group,
                       OptionalAttr<QNN_ActivationAttr>:$activation,
                       OptionalAttr<DenseF64ArrayAttr>:$activation_params);
  let results = (outs QNN_FloatOrQuantTensor:$output);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? (`residual` `(` $residual^ `)`)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def QNN_ConvTransposeOp : QNN_InferredOp<"conv_transpose"> {
  let summary = "N-d transposed convolution, NCHW (ONNX ConvTranspose)";
  let description = [{
    The gradient of `qnn.conv` with respect to its input. Weights are
    I(O/group)[D]HW as in ONNX. `pads` (begin pads then end pads) and
    `output_padding` are explicit; `output_shape` and `auto_pad` are resolved
    at import. Output size per spatial dim:
    `stride * (in - 1) + output_padding + ((k - 1) * dilation + 1) - pad_begin - pad_end`.

    ```mlir
    %0 = qnn.conv_transpose %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>,
                                    dilations = array<i64: 1, 1>, output_padding = array<i64: 0, 0>,
                                    group = 1 : i64}
        : (tensor<1x64x40x40xf32>, tensor<64x64x2x2xf32>) -> tensor<1x64x80x80xf32>
    ```
  }];
  let arguments = (ins QNN_FloatOrQuantTensor:$input, QNN_FloatOrQuantTensor:$weight,
                       Optional<QNN_TensorOf<[QNN_Float, I32, QNN_QuantizedType]>>:$bias,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                       DenseI64ArrayAttr:$dilations, DenseI64ArrayAttr:$output_padding,
                       I64Attr:$group, OptionalAttr<QNN_ActivationAttr>:$activation,
                       OptionalAttr<DenseF64ArrayAttr>:$activation_params);
  let results = (outs QNN_FloatOrQuantTensor:$output);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def QNN_MatMulOp : QNN_InferredOp<"matmul"> {
  let summary = "Batched matrix product with NumPy semantics (ONNX MatMul)";
  let description = [{
    1-D operands are promoted to matrices and the added dimension removed from
    the result; batch dimensions broadcast.

    ```mlir
    %0 = qnn.matmul %a, %b : (tensor<1x128x256xf32>, tensor<256x1024xf32>) -> tensor<1x128x1024xf32>
    ```
  }];
  let arguments = (ins QNN_NumericTensor:$lhs, QNN_NumericTensor:$rhs,
                       OptionalAttr<QNN_ActivationAttr>:$activation,
                       OptionalAttr<DenseF64ArrayAttr>:$activation_params);
  let results = (outs QNN_NumericTensor:$output);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QNN_GemmOp : QNN_InferredOp<"gemm"> {
  let summary = "General matrix multiply alpha * op(A) * op(B) + beta * C (ONNX Gemm)";
  let description = [{
    `op(X)` transposes X when `trans_a`/`trans_b` is set. `C` is optional and
    broadcasts unidirectionally to the M x N result.

    ```mlir
    %0 = qnn.gemm %x, %w, %b {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true}
        : (tensor<1x2048xf32>, tensor<1000x2048xf32>, tensor<1000xf32>) -> tensor<1x1000xf32>
    ```
  }];
  let arguments = (ins QNN_NumericTensor:$a, QNN_NumericTensor:$b,
                       Optional<QNN_NumericTensor>:$c,
                       DefaultValuedAttr<F32Attr, "1.0f">:$alpha,
                       DefaultValuedAttr<F32Attr, "1.0f">:$beta,
                       DefaultValuedAttr<BoolAttr, "false">:$trans_a,
                       DefaultValuedAttr<BoolAttr, "false">:$trans_b,
                       OptionalAttr<QNN_ActivationAttr>:$activation,
                       OptionalAttr<DenseF64ArrayAttr>:$activation_params);
  let results = (outs QNN_NumericTensor:$output);
  let assemblyFormat = "$a `,` $b (`,` $c^)? attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

class QNN_PoolOp<string mnemonic, string onnxName> : QNN_InferredOp<mnemonic> {
  let summary = onnxName # " over 1 to 3 spatial dimensions, NCHW";
  let description = [{
    ONNX `}] # onnxName # [{` with explicit `pads` (begin pads then end pads);
    `auto_pad` is resolved at import. `ceil_mode` rounds the output size up, a
    window starting in the right padding being dropped as in ONNX.

    ```mlir
    %0 = qnn.}] # mnemonic # [{ %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>,
                         pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>}
        : tensor<1x64x112x112xf32> -> tensor<1x64x56x56xf32>
    ```
  }];
  let results = (outs QNN_FloatOrQuantTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def QNN_MaxPoolOp : QNN_PoolOp<"max_pool", "MaxPool"> {
  let arguments = (ins QNN_TensorOf<[QNN_Float, I8, UI8, QNN_QuantizedType]>:$input,
                       DenseI64ArrayAttr:$kernel_shape, DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$pads, DenseI64ArrayAttr:$dilations,
                       DefaultValuedAttr<BoolAttr, "false">:$ceil_mode);
  let results = (outs QNN_TensorOf<[QNN_Float, I8, UI8, QNN_QuantizedType]>:$output);
}
def QNN_MaxPoolIndicesOp : QNN_InferredOp<"max_pool_indices"> {
  let summary = "Where MaxPool's maxima are (ONNX MaxPool's Indices output)";
  let description = [{
    For each window of the `qnn.max_pool` with the same attributes, the
    position of its maximum in the whole input, flattened: the plane
    (n * C + c) times the plane size plus the spatial position, row-major, or
    with the first spatial dimension fastest when `column_major` (ONNX's
    storage_order = 1). Among equal maxima the first in window order; a
    window without a number above -inf gives its first element.

    ```mlir
    %0 = qnn.max_pool_indices %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>,
                                  pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>}
        : tensor<1x64x112x112xf32> -> tensor<1x64x56x56xi64>
    ```
  }];
  let arguments = (ins QNN_TensorOf<[QNN_Float, I8, UI8, QNN_QuantizedType]>:$input,
                       DenseI64ArrayAttr:$kernel_shape, DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$pads, DenseI64ArrayAttr:$dilations,
                       DefaultValuedAttr<BoolAttr, "false">:$ceil_mode,
                       DefaultValuedAttr<BoolAttr, "false">:$column_major);
  let results = (outs QNN_TensorOf<[I64]>:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
}

def QNN_MaxUnpoolOp : QNN_Op<"max_unpool"> {
  let summary = "Places values at MaxPool's indices, zeros elsewhere (ONNX MaxUnpool)";
  let description = [{
    The result (its shape explicit) is zero except that, for each element of
    `input` in row-major order, the result's element at the flattened
    position `indices[i]` is `input[i]` (a later element wins). The window
    attributes are the MaxPool's that produced `indices`.

    ```mlir
    %0 = qnn.max_unpool %y, %i {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>,
                                pads = array<i64: 0, 0, 0, 0>}
        : (tensor<1x64x56x56xf32>, tensor<1x64x56x56xi64>) -> tensor<1x64x112x112xf32>
    ```
  }];
  let arguments = (ins QNN_TensorOf<[QNN_Float, AnyInteger]>:$input, QNN_TensorOf<[I64]>:$indices,
                       DenseI64ArrayAttr:$kernel_shape, DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$pads);
  let results = (outs QNN_TensorOf<[QNN_Float, AnyInteger]>:$output);
  let assemblyFormat = "$input `,` $indices attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QNN_AvgPoolOp : QNN_PoolOp<"avg_pool", "AveragePool"> {
  let arguments = (ins QNN_FloatOrQuantTensor:$input,
                       DenseI64ArrayAttr:$kernel_shape, DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$pads, DenseI64ArrayAttr:$dilations,
                       DefaultValuedAttr<BoolAttr, "false">:$ceil_mode,
                       DefaultValuedAttr<BoolAttr, "false">:$count_include_pad);
}

class QNN_GlobalPoolOp<string mnemonic, string onnxName> : QNN_InferredOp<mnemonic> {
  let summary = onnxName # ": reduces every spatial dimension to 1";
  let description = [{
    ONNX `}] # onnxName # [{`: the result keeps rank, with every spatial
    dimension 1.

    ```mlir
    %0 = qnn.}] # mnemonic # [{ %x : tensor<1x2048x7x7xf32> -> tensor<1x2048x1x1xf32>
    ```
  }];
  let arguments = (ins QNN_FloatOrQuantTensor:$input);
  let results = (outs QNN_FloatOrQuantTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}
def QNN_GlobalAvgPoolOp : QNN_GlobalPoolOp<"global_avg_pool", "GlobalAveragePool">;
def QNN_GlobalMaxPoolOp : QNN_GlobalPoolOp<"global_max_pool", "GlobalMaxPool">;

//===----------------------------------------------------------------------===//
// Normalization and activation over an axis
//===----------------------------------------------------------------------===//

def QNN_BatchNormOp : QNN_InferredOp<"batch_norm"> {
  let summary = "Inference-mode batch normalization (ONNX BatchNormalization)";
  let description = [{
    `(x - mean) / sqrt(var + epsilon) * scale + bias` per channel (dimension
    1). Training-mode outputs are not supported.

    ```mlir
    %0 = qnn.batch_norm %x, %scale, %bias, %mean, %var {epsilon = 1.0e-05 : f32}
        : (tensor<1x64x112x112xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>)
        -> tensor<1x64x112x112xf32>
    ```
  }];
  let arguments = (ins QNN_FloatTensor:$input, QNN_FloatTensor:$scale, QNN_FloatTensor:$bias,
                       QNN_FloatTensor:$mean, QNN_FloatTensor:$variance, F32Attr:$epsilon);
  let results = (outs QNN_FloatTensor:$output);
  let assemblyFormat = "$input `,` $scale `,` $bias `,` $mean `,` $variance attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QNN_LayerNormOp : QNN_InferredOp<"layer_norm"> {
  let summary = "Layer normalization over the trailing dimensions from `axis`";
  let description = [{
    ONNX `LayerNormalization` (inference output only): normalizes over
    dimensions `axis..rank-1`, then multiplies by `scale` and adds the optional
    `bias`, both broadcast to the normalized shape.

    ```mlir
    %0 = qnn.layer_norm %x, %g, %b {axis = -1 : i64, epsilon = 9.99999996e-13 : f32}
        : (tensor<1x128x256xf32>, tensor<256xf32>, tensor<256xf32>) -> tensor<1x128x256xf32>
    ```
  }];
  let arguments = (ins QNN_FloatOrQuantTensor:$input, QNN_FloatTensor:$scale,
                       Optional<QNN_FloatTensor>:$bias, I64Attr:$axis, F32Attr:$epsilon);
  let results = (outs QNN_FloatOrQuantTensor:$output);
  let assemblyFormat = "$input `,` $scale (`,` $bias^)? attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

class QNN_AxisOp<string mnemonic, string onnxName> : QNN_InferredOp<mnemonic> {
  let summary = onnxName # " along one axis (opset 13 semantics)";
  let description = [{
    ONNX `}] # onnxName # [{` along `axis` (negative counts from the end).
    Models of opset below 13, which coerce the input to 2-D, are rewritten at
    import into a reshape around this op.

    ```mlir
    %0 = qnn.}] # mnemonic # [{ %x {axis = -1 : i64} : tensor<1x4x128x128xf32> -> tensor<1x4x128x128xf32>
    ```
  }];
  let arguments = (ins QNN_FloatOrQuantTensor:$input, I64Attr:$axis);
  let results = (outs QNN_FloatOrQuantTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}
def QNN_SoftmaxOp : QNN_AxisOp<"softmax", "Softmax">;
def QNN_LogSoftmaxOp : QNN_AxisOp<"log_softmax", "LogSoftmax">;

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def QNN_ReshapeOp : QNN_Op<"reshape"> {
  let summary = "Reinterprets a tensor with a new static shape";
  let description = [{
    ONNX `Reshape`, `Flatten`, `Squeeze` and `Unsqueeze` all import as this op
    once the target shape is known; the element count must not change.

    ```mlir
    %0 = qnn.reshape %x : tensor<1x2048x1x1xf32> -> tensor<1x2048xf32>
    ```
  }];
  let arguments = (ins QNN_AnyTensor:$input);
  let results = (outs QNN_AnyTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def QNN_TransposeOp : QNN_InferredOp<"transpose"> {
  let summary = "Permutes dimensions (ONNX Transpose)";
  let description = [{
    Result dimension `i` is input dimension `perm[i]`.

    ```mlir
    %0 = qnn.transpose %x {perm = array<i64: 0, 2, 1, 3>} : tensor<1x128x4x64xf32> -> tensor<1x4x128x64xf32>
    ```
  }];
  let arguments = (ins QNN_AnyTensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs QNN_AnyTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def QNN_ConcatOp : QNN_InferredOp<"concat"> {
  let summary = "Joins tensors along an axis (ONNX Concat)";
  let description = [{
    All inputs agree on every dimension but `axis`.

    ```mlir
    %0 = qnn.concat %a, %b {axis = 1 : i64} : (tensor<1x64x80x80xf32>, tensor<1x64x80x80xf32>) -> tensor<1x128x80x80xf32>
    ```
  }];
  let arguments = (ins Variadic<QNN_AnyTensor>:$inputs, I64Attr:$axis);
  let results = (outs QNN_AnyTensor:$output);
  let assemblyFormat = "$inputs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QNN_SliceOp : QNN_InferredOp<"slice"> {
  let summary = "Strided slice with static bounds on every dimension (ONNX Slice)";
  let description = [{
    One `start`, `end` and non-zero `step` per dimension, already clamped to
    the dimension as ONNX defines; a negative step walks backwards. Element
    `i` of dimension `d` is input element `starts[d] + i * steps[d]`.

    ```mlir
    %0 = qnn.slice %x {starts = array<i64: 0, 0>, ends = array<i64: 1, 128>, steps = array<i64: 1, 1>}
        : tensor<1x512xi64> -> tensor<1x128xi64>
    ```
  }];
  let arguments = (ins QNN_AnyTensor:$input, DenseI64ArrayAttr:$starts,
                       DenseI64ArrayAttr:$ends, DenseI64ArrayAttr:$steps);
  let results = (outs QNN_AnyTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def QNN_GatherOp : QNN_InferredOp<"gather"> {
  let summary = "Gathers slices along an axis by index (ONNX Gather)";
  let description = [{
    The result shape is `data.shape[:axis] + indices.shape + data.shape[axis+1:]`.
    Negative indices count from the end; an index out of range is a run-time
    error of the executor.

    ```mlir
    %0 = qnn.gather %table, %ids {axis = 0 : i64} : (tensor<1000x256xf32>, tensor<1x128xi64>) -> tensor<1x128x256xf32>
    ```
  }];
  let arguments = (ins QNN_AnyTensor:$data, QNN_IndexTensor:$indices, I64Attr:$axis);
  let results = (outs QNN_AnyTensor:$output);
  let assemblyFormat = "$data `,` $indices attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def QNN_GatherElementsOp : QNN_InferredOp<"gather_elements"> {
  let summary = "Gathers elements along an axis by per-element index (ONNX GatherElements)";
  let description = [{
    The result has the shape of `indices`; element `i` reads `data` at `i`
    with its `axis` coordinate replaced by `indices[i]` (negative counts from
    the end). `indices` must have the rank of `data`.

    ```mlir
    %0 = qnn.gather_elements %data, %idx {axis = 1 : i64} : (tensor<2x5xf32>, tensor<2x3xi64>) -> tensor<2x3xf32>
    ```
  }];
  let arguments = (ins QNN_AnyTensor:$data, QNN_IndexTensor:$indices, I64Attr:$axis);
  let results = (outs QNN_AnyTensor:$output);
  let assemblyFormat = "$data `,` $indices attr-dict `:` functional-type(operands, results)";
}

def QNN_GatherNDOp : QNN_InferredOp<"gather_nd"> {
  let summary = "Gathers elements or slices by index tuples (ONNX GatherND)";
  let description = [{
    The last dimension `k` of `indices` holds tuples that index dimensions
    `batch_dims .. batch_dims+k-1` of `data`; the first `batch_dims`
    dimensions of both are shared. The result shape is
    `indices.shape[:-1] + data.shape[batch_dims+k:]`. Negative indices count
    from the end; an index out of range is a run-time error of the executor.

    ```mlir
    %0 = qnn.gather_nd %data, %idx {batch_dims = 1 : i64} : (tensor<2x5x4xf32>, tensor<2x3x1xi64>) -> tensor<2x3x4xf32>
    ```
  }];
  let arguments = (ins QNN_AnyTensor:$data, QNN_IndexTensor:$indices,
                       DefaultValuedAttr<I64Attr, "0">:$batch_dims);
  let results = (outs QNN_AnyTensor:$output);
  let assemblyFormat = "$data `,` $indices attr-dict `:` functional-type(operands, results)";
}

def QNN_ScatterNDOp : QNN_InferredOp<"scatter_nd"> {
  let summary = "Writes slices at index tuples into a copy of a tensor (ONNX ScatterND)";
  let description = [{
    The result is `data` with, for each tuple `indices[u]` in row-major
    order, the slice `data[indices[u]]` replaced by (or, with a reduction,
    combined with) `updates[u]`. `updates` has the shape
    `indices.shape[:-1] + data.shape[k:]` for tuples of length `k`. With
    reduction `none` a later tuple that repeats an earlier one wins.

    ```mlir
    %0 = qnn.scatter_nd %data, %idx, %upd {reduction = #qnn.scatter_reduction<add>}
        : (tensor<4x4xf32>, tensor<2x1xi64>, tensor<2x4xf32>) -> tensor<4x4xf32>
    ```
  }];
  let arguments = (ins QNN_AnyTensor:$data, QNN_IndexTensor:$indices, QNN_AnyTensor:$updates,
                       DefaultValuedAttr<QNN_ScatterReductionAttr,
                                         "::qopt::qnn::ScatterReduction::none">:$reduction);
  let results = (outs QNN_AnyTensor:$output);
  let assemblyFormat = "$data `,` $indices `,` $updates attr-dict `:` functional-type(operands, results)";
}

def QNN_ScatterElementsOp : QNN_InferredOp<"scatter_elements"> {
  let summary = "Writes elements at per-element indices along an axis (ONNX ScatterElements)";
  let description = [{
    The result is `data` with, for each position `i` of `indices` in
    row-major order, the element at `i` with its `axis` coordinate replaced
    by `indices[i]` replaced by (or combined with) `updates[i]`. `indices`
    and `updates` have one shape, of `data`'s rank, no larger than `data`
    outside `axis`. With reduction `none` a later position wins.

    ```mlir
    %0 = qnn.scatter_elements %data, %idx, %upd {axis = 1 : i64}
        : (tensor<3x5xf32>, tensor<3x2xi64>, tensor<3x2xf32>) -> tensor<3x5xf32>
    ```
  }];
  let arguments = (ins QNN_AnyTensor:$data, QNN_IndexTensor:$indices, QNN_AnyTensor:$updates,
                       I64Attr:$axis,
                       DefaultValuedAttr<QNN_ScatterReductionAttr,
                                         "::qopt::qnn::ScatterReduction::none">:$reduction);
  let results = (outs QNN_AnyTensor:$output);
  let assemblyFormat = "$data `,` $indices `,` $updates attr-dict `:` functional-type(operands, results)";
}

def QNN_TopKOp : QNN_InferredOp<"top_k"> {
  let summary = "Indices of the k largest or smallest elements along an axis (ONNX TopK)";
  let description = [{
    The int64 positions along `axis` of the `k` elements that come first in
    the order "larger first" (`largest`) or "smaller first", ties broken by
    the lower position, NaN above every number. The result has `data`'s
    shape with `k` along `axis`, always sorted. ONNX TopK's values are a
    `qnn.gather_elements` of the input at these indices.

    ```mlir
    %0 = qnn.top_k %logits {axis = 1 : i64, k = 5 : i64} : tensor<1x1000xf32> -> tensor<1x5xi64>
    ```
  }];
  let arguments = (ins QNN_TensorOf<[QNN_Float, AnyInteger, QNN_QuantizedType]>:$input,
                       I64Attr:$axis, I64Attr:$k,
                       DefaultValuedAttr<BoolAttr, "true">:$largest);
  let results = (outs QNN_TensorOf<[I64]>:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
}

def QNN_ExpandOp : QNN_Op<"expand"> {
  let summary = "Broadcasts a tensor to a static shape (ONNX Expand)";
  let description = [{
    The result shape is the NumPy broadcast of the input shape and the ONNX
    `shape` operand, which must be constant at import.

    ```mlir
    %0 = qnn.expand %pos : tensor<1x128xi64> -> tensor<2x128xi64>
    ```
  }];
  let arguments = (ins QNN_AnyTensor:$input);
  let results = (outs QNN_AnyTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def QNN_PadOp : QNN_InferredOp<"pad"> {
  let summary = "Pads a tensor (ONNX Pad)";
  let description = [{
    `pads` holds begin pads of every dimension followed by end pads; negative
    pads crop. `value` fills in constant mode.

    ```mlir
    %0 = qnn.pad %x {mode = #qnn.pad_mode<constant>, pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 0.0 : f64}
        : tensor<1x3x32x32xf32> -> tensor<1x3x34x34xf32>
    ```
  }];
  let arguments = (ins QNN_AnyTensor:$input, DenseI64ArrayAttr:$pads,
                       QNN_PadModeAttr:$mode, DefaultValuedAttr<F64Attr, "0.0">:$value);
  let results = (outs QNN_AnyTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def QNN_ResizeOp : QNN_Op<"resize"> {
  let summary = "Resizes the spatial dimensions (ONNX Resize and Upsample)";
  let description = [{
    The result shape is explicit; `scales` holds, per dimension, the scale
    used to map output coordinates back to input coordinates (ONNX uses
    `out / in` when the model gives sizes instead of scales).

    ```mlir
    %0 = qnn.resize %x {mode = #qnn.resize_mode<nearest>, coordinate_transform = #qnn.coordinate_transform<asymmetric>,
                        nearest_mode = #qnn.nearest_mode<floor>, scales = array<f32: 1.0, 1.0, 2.0, 2.0>,
                        cubic_coeff_a = -7.500000e-01 : f32, exclude_outside = false}
        : tensor<1x64x20x20xf32> -> tensor<1x64x40x40xf32>
    ```
  }];
  let arguments = (ins QNN_FloatOrQuantTensor:$input, QNN_ResizeModeAttr:$mode,
                       QNN_CoordinateTransformAttr:$coordinate_transform,
                       QNN_NearestModeAttr:$nearest_mode, DenseF32ArrayAttr:$scales,
                       DefaultValuedAttr<F32Attr, "-0.75f">:$cubic_coeff_a,
                       DefaultValuedAttr<BoolAttr, "false">:$exclude_outside);
  let results = (outs QNN_FloatOrQuantTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def QNN_GridSampleOp : QNN_InferredOp<"grid_sample"> {
  let summary = "Samples an image at per-output normalized coordinates (ONNX GridSample)";
  let description = [{
    For input [N, C, H, W] and grid [N, Ho, Wo, 2] (x then y, in [-1, 1]),
    the result [N, C, Ho, Wo] interpolates (nearest, linear or cubic with
    A = -0.75) the input at each grid point, reading `padding` outside it;
    `align_corners` maps -1 and 1 to the centers of the corner pixels rather
    than their outer edges. Float only, computed in f32.

    ```mlir
    %0 = qnn.grid_sample %x, %grid {mode = #qnn.resize_mode<linear>, padding = #qnn.grid_padding<zeros>, align_corners = false}
        : (tensor<1x3x32x32xf32>, tensor<1x8x8x2xf32>) -> tensor<1x3x8x8xf32>
    ```
  }];
  let arguments = (ins QNN_TensorOf<[QNN_Float]>:$input, QNN_TensorOf<[QNN_Float]>:$grid,
                       QNN_ResizeModeAttr:$mode, QNN_GridPaddingAttr:$padding,
                       BoolAttr:$align_corners);
  let results = (outs QNN_TensorOf<[QNN_Float]>:$output);
  let assemblyFormat = "$input `,` $grid attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

class QNN_ReduceOp<string mnemonic, string onnxName> : QNN_InferredOp<mnemonic> {
  let summary = onnxName # " over a static set of axes";
  let description = [{
    ONNX `}] # onnxName # [{` with the axes known at import (sorted,
    non-negative, unique). An empty `axes` reduces nothing (the ONNX
    `noop_with_empty_axes` case; the importer expands "all axes" explicitly).

    ```mlir
    %0 = qnn.}] # mnemonic # [{ %x {axes = array<i64: 2>, keepdims = true} : tensor<1x128x256xf32> -> tensor<1x128x1xf32>
    ```
  }];
  let arguments = (ins QNN_NumericTensor:$input, DenseI64ArrayAttr:$axes, BoolAttr:$keepdims);
  let results = (outs QNN_NumericTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}
def QNN_ReduceMeanOp : QNN_ReduceOp<"reduce_mean", "ReduceMean">;
def QNN_ReduceSumOp : QNN_ReduceOp<"reduce_sum", "ReduceSum">;
def QNN_ReduceMaxOp : QNN_ReduceOp<"reduce_max", "ReduceMax">;
def QNN_ReduceMinOp : QNN_ReduceOp<"reduce_min", "ReduceMin">;
def QNN_ReduceProdOp : QNN_ReduceOp<"reduce_prod", "ReduceProd">;

class QNN_ArgReduceOp<string mnemonic, string onnxName> : QNN_InferredOp<mnemonic> {
  let summary = onnxName # ": int64 index of the extreme element along an axis";
  let description = [{
    ONNX `}] # onnxName # [{`: ties pick the first index, or the last with
    `select_last_index`.

    ```mlir
    %0 = qnn.}] # mnemonic # [{ %x {axis = 1 : i64, keepdims = false} : tensor<1x1000xf32> -> tensor<1xi64>
    ```
  }];
  let arguments = (ins QNN_TensorOf<[QNN_Float, AnyInteger]>:$input, I64Attr:$axis,
                       BoolAttr:$keepdims,
                       DefaultValuedAttr<BoolAttr, "false">:$select_last_index);
  let results = (outs QNN_TensorOf<[I64]>:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}
def QNN_ArgMaxOp : QNN_ArgReduceOp<"arg_max", "ArgMax">;
def QNN_ArgMinOp : QNN_ArgReduceOp<"arg_min", "ArgMin">;

def QNN_CumSumOp : QNN_InferredOp<"cum_sum"> {
  let summary = "Cumulative sum along an axis (ONNX CumSum)";
  let description = [{
    Running sums along `axis`; `exclusive` leaves out the current element and
    `reverse` sums from the end. Integer sums wrap.

    ```mlir
    %0 = qnn.cum_sum %mask {axis = 1 : i64} : tensor<1x128xi64> -> tensor<1x128xi64>
    ```
  }];
  let arguments = (ins QNN_TensorOf<[QNN_Float, AnyInteger]>:$input, I64Attr:$axis,
                       DefaultValuedAttr<BoolAttr, "false">:$exclusive,
                       DefaultValuedAttr<BoolAttr, "false">:$reverse);
  let results = (outs QNN_TensorOf<[QNN_Float, AnyInteger]>:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
}

#endif // QOPT_DIALECT_QNN_QNNOPS_TD
