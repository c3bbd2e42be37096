//===- Passes.td - QOpt graph passes -----------------------*- tablegen -*-===//

#ifndef QOPT_TRANSFORMS_PASSES_TD
#define QOPT_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def FoldConstantsPass : Pass<"qopt-fold-constants", "mlir::func::FuncOp"> {
  let summary = "Evaluates qnn ops whose operands are all constants";
  let description = [{
    Runs every `qnn` op whose operands are all `qnn.constant` on the CPU
    reference executor and replaces it by a constant with the result, so shape
    computations (Shape/Gather/Concat chains left by exporters) and weight
    transformations disappear before quantization and lowering. The executor
    is the same one that defines the model's reference numbers, so folding
    never changes results. Results above `max-bytes` are left unfolded, so a
    constant `expand` cannot blow up the weights.

    ```mlir
    %0 = qnn.constant dense<[1, 2]> : tensor<2xi64>
    %1 = qnn.constant dense<[3, 4]> : tensor<2xi64>
    %2 = qnn.add %0, %1 : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
    // becomes
    %2 = qnn.constant dense<[4, 6]> : tensor<2xi64>
    ```
  }];
  let dependentDialects = ["::qopt::qnn::QNNDialect"];
  let options = [
    Option<"maxBytes", "max-bytes", "int64_t", "64 << 20",
           "Largest folded result in bytes; bigger results stay computed at run time">
  ];
}

def FoldBatchNormPass : Pass<"qopt-fold-batchnorm", "mlir::func::FuncOp"> {
  let summary = "Folds inference batch normalization into the preceding conv or gemm";
  let description = [{
    `batch_norm(conv(x, w, b))` becomes `conv(x, w * a, b * a + c)` with the
    per-channel `a = scale / sqrt(var + eps)` and `c = bias - mean * a`; the same
    for `conv_transpose` (weights scaled along their output-channel axis) and
    `gemm` (columns of B, and C). A batch norm that cannot fold into its
    producer becomes a per-channel `mul` and `add`. This changes float rounding
    (the products are formed once, in f32), which is why it is an explicit
    pass and not a canonicalization. A `mul` or `add` of such a producer's
    result by a per-channel (or scalar) constant folds the same way: the
    learnable affine blocks of PaddleOCR's PP-LCNetV3, which would otherwise
    cost two extra requantizations per block in int8.

    Each batch norm left unfolded into a producer gets a remark saying why
    (producer's result used elsewhere, non-constant weights or parameters, a
    fused activation already on the producer, ...).
  }];
  let dependentDialects = ["::qopt::qnn::QNNDialect"];
}

def FuseActivationsPass : Pass<"qopt-fuse-activations", "mlir::func::FuncOp"> {
  let summary = "Fuses activations into the op that produces their input";
  let description = [{
    `relu`, `clip` (Relu6), `hard_sigmoid`, `hard_swish` and `leaky_relu`
    become the `activation` attribute of a `conv`, `conv_transpose`, `matmul`,
    `gemm` or `add` whose only user they are. `mul(x, hard_sigmoid(x))` with
    alpha 1/6 and beta 1/2 (the MobileNetV3 spelling) and
    `x * clip(x + 3, 0, 6) / 6` (PaddleOCR's) first become `hard_swish(x)`;
    the rewrite computes the same function with one rounding less, so it can
    differ from the unfused graph in the last bit. Results are unchanged: the fused activation is computed
    exactly as the standalone op. Every activation left standalone gets a
    remark saying why.

    With `clamps-only`, only relu and clip fuse: the int8 pipeline uses it,
    because an integer op can end in a clamp but hard_swish and friends need
    their own calibrated output and a table op.
  }];
  let dependentDialects = ["::qopt::qnn::QNNDialect"];
  let options = [
    Option<"clampsOnly", "clamps-only", "bool", "false",
           "Fuse only relu and clip (activations an integer op can apply as a clamp)">
  ];
}

def FuseResidualAddPass : Pass<"qopt-fuse-residual-add", "mlir::func::FuncOp"> {
  let summary = "Fuses a residual add (and its activation) into the conv that feeds it";
  let description = [{
    `add(conv(x, w, b), skip)`, optionally carrying a fused activation, becomes
    `conv(x, w, b) residual(skip)` with that activation: the ResNet block tail
    in one op, so a kernel can add the shortcut in its epilogue. Legal when
    the conv's only user is the add, the conv has no activation or residual
    yet, and neither side of the add broadcasts. Results are unchanged.
    Candidates left alone get a remark saying why.
  }];
  let dependentDialects = ["::qopt::qnn::QNNDialect"];
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

def InsertQDQPass : Pass<"qopt-insert-qdq", "mlir::func::FuncOp"> {
  let summary = "Inserts quantize/dequantize pairs from calibrated ranges";
  let description = [{
    Chooses which ops run in int8 and puts a `quant.qcast` / `quant.dcast`
    pair on every float tensor they read or write, with parameters from the
    calibration cache (`calib-cache`, written by `qopt-compile`). Activations
    are int8 per tensor (asymmetric by default; `symmetric-activations`, or
    `activation-type=uint8`); weights are int8 symmetric in [-127, 127] per
    output channel (or per tensor), stored as `qnn.constant` i8 plus
    `quant.scast`; biases stay float until `qopt-fold-qdq` turns them into
    int32 with scale `s_x * s_w[c]`.

    Compute ops (conv, conv_transpose, matmul, gemm, add, mul, pools) and
    table ops (hard_swish, hard_sigmoid, sigmoid, tanh, leaky_relu) are
    quantized when legal; same-scale ops (max pool, reshape, transpose,
    slice, pad, relu, clip, nearest resize, concat) join when a neighbour is
    quantized. `exclude` keeps ops in float by ONNX node name or qnn op name
    (`conv`, `qnn.matmul`). Every candidate left in float gets a remark with
    the reason.

    ```mlir
    %y = qnn.relu %x : tensor<1x8xf32> -> tensor<1x8xf32>
    // becomes
    %q = quant.qcast %x : tensor<1x8xf32> to tensor<1x8x!quant.uniform<i8:f32, 0.02:-3>>
    %d = quant.dcast %q : tensor<1x8x!quant.uniform<i8:f32, 0.02:-3>> to tensor<1x8xf32>
    %y = qnn.relu %d : ...
    ```
  }];
  let dependentDialects = ["::qopt::qnn::QNNDialect", "::mlir::quant::QuantDialect"];
  let options = [
    Option<"calibCache", "calib-cache", "std::string", "\"\"",
           "Calibration cache (JSON) with the statistics of every tensor">,
    Option<"calibration", "calibration", "std::string", "\"percentile\"",
           "Range choice: minmax, percentile, entropy or mse">,
    Option<"percentile", "percentile", "double", "99.99",
           "Percentile of |x| kept by the percentile method">,
    Option<"activationType", "activation-type", "std::string", "\"int8\"",
           "Storage of activations: int8 or uint8">,
    Option<"symmetricActivations", "symmetric-activations", "bool", "false",
           "Zero point 0 for activations (int8 only)">,
    Option<"perChannelWeights", "per-channel-weights", "bool", "true",
           "One weight scale per output channel (else per tensor)">,
    Option<"wideTableInputs", "wide-table-inputs", "bool", "true",
           "Quantize a conv/matmul/add result that only table ops read to 12 bits "
           "(i16<-2048:2047>, its full range, symmetric), looked up by a 4096-entry table">,
    Option<"tableInputBits", "table-input-bits", "unsigned", "12",
           "Bits of a wide table input, 9 to 16 (a table of 2^bits entries)">,
    ListOption<"exclude", "exclude", "std::string",
               "ONNX node names or qnn op names to keep in float">,
    ListOption<"only", "only", "std::string",
               "When given, quantize only these ONNX node names (sensitivity analysis)">
  ];
}

def PropagateScalesPass : Pass<"qopt-propagate-scales", "mlir::func::FuncOp"> {
  let summary = "Gives same-scale ops their input's quantization parameters";
  let description = [{
    Max pool, global max pool, reshape, transpose, slice, pad, nearest
    resize, relu and clip move values without changing them,
    so their output's `quant.qcast` takes the input's parameters (a relu or
    clip keeps its clamp): the integer op then needs no requantization.
    A concat either unifies (an input's producer quantizes straight to the
    concat's parameters) or requantizes that input, whichever the expected
    rounding error (step^2/12 per element, counting other readers of the
    input) says loses less. Run between `qopt-insert-qdq` and
    `qopt-fold-qdq`.
  }];
  let dependentDialects = ["::qopt::qnn::QNNDialect", "::mlir::quant::QuantDialect"];
}

def FoldQDQPass : Pass<"qopt-fold-qdq", "mlir::func::FuncOp"> {
  let summary = "Folds dequantize -> op -> quantize into integer qnn ops";
  let description = [{
    An op whose float operands are all `quant.dcast` results and whose only
    user is a `quant.qcast` becomes the same op on the quantized types, with
    the semantics of docs/quantization.md (int32 accumulation, fixed-point
    requantization, fused relu/clip as a clamp). Float biases become int32
    constants with scale `s_x * s_w[c]` (round half to even). Then
    `quant.qcast(quant.dcast(q))` becomes `q` (same type) or
    `qnn.requantize` (different per-tensor types), and dead casts go away.
    Ops that stay float get a remark saying why.
  }];
  let dependentDialects = ["::qopt::qnn::QNNDialect", "::mlir::quant::QuantDialect"];
}

def SignedStoragePass : Pass<"qopt-signed-storage", "mlir::func::FuncOp"> {
  let summary = "Re-expresses uint8-quantized tensors as int8 with the zero point moved by 128";
  let description = [{
    `!quant.uniform<u8:f32, s:z>` and `!quant.uniform<i8:f32, s:z-128>` hold
    the same real values, with storage bytes that differ by 128. Models
    quantized by onnxruntime (uint8 activations) and QOperator models use the
    first; tensor cores multiply int8, so their convs and matmuls stayed on
    SIMT kernels. This pass gives every 8-bit unsigned quantized value the
    signed form. Every integer op computes on `q - z`, which does not change;
    a requantize, quantize or table that writes the value stores its result
    minus 128.
    - Constants (weights, tables) are rewritten: their bytes flip bit 7.
    - Values that cross from or to plain ONNX integers (`quant.scast`),
      function arguments and results keep their type at the boundary. A
      `qnn.requantize` converts them there, which subtracts or adds 128
      exactly.

    ```mlir
    %y = qnn.conv %x, %w ... -> tensor<1x8x4x4x!quant.uniform<u8:f32, 0.1:128>>
    // becomes
    %y = qnn.conv %x, %w ... -> tensor<1x8x4x4x!quant.uniform<i8:f32, 0.1>>
    ```
  }];
  let dependentDialects = ["::qopt::qnn::QNNDialect", "::mlir::quant::QuantDialect"];
}

def DynamicQuantizePass : Pass<"qopt-dynamic-quantize", "mlir::func::FuncOp"> {
  let summary = "Int8 matmul/gemm with activations quantized at run time";
  let description = [{
    For a `matmul` or `gemm` with constant weights: the weights become int8,
    symmetric per output column; the activation is quantized when the model
    runs, symmetric int8 with scale max|x| / 127 per tensor (or per row with
    `per-row`), so no calibration data is needed. The product accumulates
    exactly in int32 (`qnn.matmul` on unit-scale quantized types) and is
    rescaled in f32 by `s_x`, then by `s_w[n]`, then the bias is added:

    ```
    s  = max(reduce_max(|x|) / 127, 1e-30)
    xq = clip(round(x / s), -127, 127)          (int8)
    y  = (f32(xq @ wq) * s) * s_w + bias
    ```

    The seed case of transformer and LSTM quantization. Ops with a fused
    activation, transposed A, alpha/beta other than 1 or non-constant weights
    stay float with a remark.
  }];
  let dependentDialects = ["::qopt::qnn::QNNDialect", "::mlir::quant::QuantDialect"];
  let options = [
    Option<"perRow", "per-row", "bool", "false",
           "One activation scale per row (last-but-one dim) instead of per tensor">,
    ListOption<"exclude", "exclude", "std::string",
               "ONNX node names or qnn op names to keep in float">
  ];
}

def ConvertFloatPrecisionPass : Pass<"qopt-convert-float-precision", "mlir::func::FuncOp"> {
  let summary = "Stores every float tensor inside the model in f16";
  let description = [{
    Every f32 tensor inside the function (activations, weights, biases, and
    the float layers an int8 program keeps) becomes f16; the inputs and
    outputs stay f32, with a `qnn.cast` after each input and before each
    output. Quantized ops are untouched: a `quant.dcast` still produces f32
    (its expressed type) and is followed by a cast to f16, a `quant.qcast`
    is preceded by a cast back to f32. Kernels compute in f32 and store f16
    (docs/codegen.md), so this halves float memory traffic and weight size at
    fp16 rounding of every stored value; weights round to nearest even.

    ```mlir
    %0 = qnn.relu %x : tensor<8xf32> -> tensor<8xf32>
    // becomes
    %h = qnn.cast %x : tensor<8xf32> -> tensor<8xf16>
    %0 = qnn.relu %h : tensor<8xf16> -> tensor<8xf16>
    ```
  }];
  let dependentDialects = ["::qopt::qnn::QNNDialect"];
}

def PackGemmWeightsPass : Pass<"qopt-pack-gemm-weights", "mlir::func::FuncOp"> {
  let summary = "Stores a gemm's constant B as [N, K] (trans_b)";
  let description = [{
    A `qnn.gemm` with `trans_b = false` whose B is a constant used by nothing
    else gets B transposed at compile time and `trans_b = true`: the same
    function, with B in the [N, K] layout the tensor-core kernels read (rows
    contiguous along K). Before, the kernels kept a transposed copy and the
    bundle's program IR the original, so a bundle stored B twice. Per-axis
    quantization moves from axis 1 to axis 0 with the data.

    ```mlir
    %b = quant.scast %b0 : tensor<40x20xi8> to tensor<40x20x!quant.uniform<i8:f32:1, {...}>>
    %y = qnn.gemm %a, %b : ...
    // becomes
    %b = quant.scast %t0 : tensor<20x40xi8> to tensor<20x40x!quant.uniform<i8:f32:0, {...}>>
    %y = qnn.gemm %a, %b {trans_b = true} : ...
    ```
  }];
  let dependentDialects = ["::qopt::qnn::QNNDialect", "::mlir::quant::QuantDialect"];
}

#endif // QOPT_TRANSFORMS_PASSES_TD
