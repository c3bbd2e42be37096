//===- Passes.td - Example plugin passes -------------------*- tablegen -*-===//

#ifndef QOPT_EXAMPLES_PLUGINS_PASSES_TD
#define QOPT_EXAMPLES_PLUGINS_PASSES_TD

include "mlir/Pass/PassBase.td"

def CountQNNOpsPass : Pass<"qopt-example-count-qnn-ops", "mlir::func::FuncOp"> {
  let summary = "Counts qnn ops by kind and attaches the counts to each function";
  let description = [{
    Loaded at run time with `qopt --load-pass-plugin=QNNOpCounterPlugin.so`.
    Sets `qnn.op_counts = {conv = 53 : i64, ...}` on every function and emits
    a remark with the total.
  }];
}

#endif // QOPT_EXAMPLES_PLUGINS_PASSES_TD
