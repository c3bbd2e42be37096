// A dialect plugin adds ops to qopt at run time; they mix with qnn ops.
// RUN: qopt %s --load-dialect-plugin=%qnn_example_dialect_plugin | \
// RUN:   qopt --load-dialect-plugin=%qnn_example_dialect_plugin | FileCheck %s
// RUN: not qopt %s 2>&1 | FileCheck %s --check-prefix=NOPLUGIN

// CHECK-LABEL: func.func @annotated
// CHECK: %[[R:.+]] = qnn.relu
// CHECK: qnn_example.annotate %[[R]] {note = "after relu"} : tensor<4xf32>
// NOPLUGIN: error: Dialect `qnn_example' not found for custom op 'qnn_example.annotate'
func.func @annotated(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qnn.relu %x : tensor<4xf32> -> tensor<4xf32>
  %1 = qnn_example.annotate %0 {note = "after relu"} : tensor<4xf32>
  return %1 : tensor<4xf32>
}
