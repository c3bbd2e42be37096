// RUN: qopt %s --qopt-fuse-activations=clamps-only=1 --verify-diagnostics | FileCheck %s

// For int8, only clamps fuse: hard_swish needs its own table op.
// CHECK-LABEL: func.func @clamps_only
// CHECK: qnn.conv {{.*}}activation = #qnn.activation<relu>
// CHECK: qnn.hard_swish
func.func @clamps_only(%x: tensor<1x1x4x4xf32>, %w: tensor<1x1x1x1xf32>) -> (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) {
  %0 = qnn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x4x4xf32>
  %1 = qnn.relu %0 : tensor<1x1x4x4xf32> -> tensor<1x1x4x4xf32>
  %2 = qnn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x4x4xf32>
  // expected-remark @+1 {{'qnn.hard_swish' not fused: only clamps fuse in this pipeline (clamps-only)}}
  %3 = qnn.hard_swish %2 : tensor<1x1x4x4xf32> -> tensor<1x1x4x4xf32>
  return %1, %3 : tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>
}
