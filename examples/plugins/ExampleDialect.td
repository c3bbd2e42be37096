//===- ExampleDialect.td - Example dialect plugin ----------*- tablegen -*-===//

#ifndef QOPT_EXAMPLES_PLUGINS_EXAMPLEDIALECT_TD
#define QOPT_EXAMPLES_PLUGINS_EXAMPLEDIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/OpBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

def Example_Dialect : Dialect {
  let name = "qnn_example";
  let cppNamespace = "::qopt_example";
  let summary = "A dialect loaded into qopt at run time with --load-dialect-plugin";
}

def Example_AnnotateOp : Op<Example_Dialect, "annotate", [Pure, SameOperandsAndResultType]> {
  let summary = "Passes a tensor through unchanged, carrying a note";
  let description = [{
    Shows how a user adds ops to qopt without rebuilding it.

    ```mlir
    %1 = qnn_example.annotate %0 {note = "after conv1"} : tensor<1x64x56x56xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, StrAttr:$note);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

#endif // QOPT_EXAMPLES_PLUGINS_EXAMPLEDIALECT_TD
