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

#endif // QOPT_TRANSFORMS_PASSES_TD
