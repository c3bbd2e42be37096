// The example pass plugin loads into qopt at run time and runs on qnn IR.
// RUN: qopt %s --load-pass-plugin=%qnn_op_counter_plugin \
// RUN:   --pass-pipeline='builtin.module(func.func(qopt-example-count-qnn-ops))' \
// RUN:   --verify-diagnostics | FileCheck %s

// CHECK-LABEL: func.func @block
// CHECK-SAME: attributes {qnn.op_counts = {add = 1 : i64, conv = 2 : i64, relu = 2 : i64}}
// expected-remark @+1 {{5 qnn ops in 3 kinds}}
func.func @block(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) -> tensor<1x4x8x8xf32> {
  %0 = qnn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x8x8xf32>
  %1 = qnn.relu %0 : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32>
  %2 = qnn.conv %1, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x8x8xf32>
  %3 = qnn.add %2, %x : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %4 = qnn.relu %3 : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32>
  return %4 : tensor<1x4x8x8xf32>
}
