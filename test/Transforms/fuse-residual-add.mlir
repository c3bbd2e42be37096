// RUN: qopt %s -split-input-file --qopt-fuse-residual-add --verify-diagnostics | FileCheck %s

// The ResNet block tail: conv, then add of the shortcut with the block's relu.
// CHECK-LABEL: func.func @block
// CHECK: %[[C:.+]] = qnn.conv %arg0, %arg1, %arg2 residual(%arg3) {activation = #qnn.activation<relu>, dilations
// CHECK-NOT: qnn.add
// CHECK: return %[[C]]
func.func @block(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x1x1xf32>, %b: tensor<8xf32>, %skip: tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32> {
  %0 = qnn.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<8x4x1x1xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32>
  %1 = qnn.add %skip, %0 {activation = #qnn.activation<relu>} : (tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  return %1 : tensor<1x8x8x8xf32>
}

// -----

// The shortcut may be computed after the conv: the fused conv moves to the add.
// CHECK-LABEL: func.func @late_shortcut
// CHECK: %[[S:.+]] = qnn.relu %arg2
// CHECK: qnn.conv %arg0, %arg1 residual(%[[S]])
func.func @late_shortcut(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x1x1xf32>, %y: tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32> {
  %0 = qnn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<8x4x1x1xf32>) -> tensor<1x8x8x8xf32>
  %1 = qnn.relu %y : tensor<1x8x8x8xf32> -> tensor<1x8x8x8xf32>
  %2 = qnn.add %0, %1 : (tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  return %2 : tensor<1x8x8x8xf32>
}

// -----

func.func @not_fused(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x1x1xf32>, %bias: tensor<8x1x1xf32>) -> (tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>) {
  %0 = qnn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<8x4x1x1xf32>) -> tensor<1x8x8x8xf32>
  // expected-remark @+1 {{residual add not fused into its conv: the add broadcasts or changes types}}
  %1 = qnn.add %0, %bias : (tensor<1x8x8x8xf32>, tensor<8x1x1xf32>) -> tensor<1x8x8x8xf32>
  %2 = qnn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64, activation = #qnn.activation<relu>} : (tensor<1x4x8x8xf32>, tensor<8x4x1x1xf32>) -> tensor<1x8x8x8xf32>
  // expected-remark @+1 {{residual add not fused into its conv: the conv applies an activation before the add}}
  %3 = qnn.add %2, %1 : (tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  return %3, %3 : tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>
}
