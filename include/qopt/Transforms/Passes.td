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
    pass and not a canonicalization.

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
    alpha 1/6 and beta 1/2 (the MobileNetV3 / PaddleOCR spelling) first becomes
    `hard_swish(x)`. Results are unchanged: the fused activation is computed
    exactly as the standalone op. Every activation left standalone gets a
    remark saying why.
  }];
  let dependentDialects = ["::qopt::qnn::QNNDialect"];
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

#endif // QOPT_TRANSFORMS_PASSES_TD
