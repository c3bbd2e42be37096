// RUN: qopt %s --pass-pipeline='builtin.module(qopt-graph-optimize)' | FileCheck %s
// RUN: qopt %s --pass-pipeline='builtin.module(qopt-graph-optimize{fuse-activations=false fuse-residual-add=false})' | FileCheck %s --check-prefix=PARTIAL

// A ResNet block tail becomes one conv with the shortcut and the relu fused,
// the batch norm folded into its weights.
// CHECK-LABEL: func.func @block
// CHECK: %[[C:.+]] = qnn.conv %arg0, %{{.+}}, %{{.+}} residual(%arg1) {activation = #qnn.activation<relu>
// CHECK-NOT: qnn.batch_norm
// CHECK-NOT: qnn.add
// CHECK-NOT: qnn.relu
// CHECK: return %[[C]]
// PARTIAL-LABEL: func.func @block
// PARTIAL: qnn.conv
// PARTIAL-NOT: qnn.batch_norm
// PARTIAL: qnn.add
// PARTIAL: qnn.relu
func.func @block(%x: tensor<1x2x4x4xf32>, %skip: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = qnn.constant dense<1.0> : tensor<2x2x1x1xf32>
  %p = qnn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %0 = qnn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = qnn.batch_norm %0, %p, %p, %p, %p {epsilon = 1.0e-5 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %2 = qnn.add %1, %skip : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %3 = qnn.relu %2 : tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  return %3 : tensor<1x2x4x4xf32>
}
