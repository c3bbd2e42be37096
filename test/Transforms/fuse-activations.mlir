// RUN: qopt %s -split-input-file --qopt-fuse-activations --verify-diagnostics | FileCheck %s

// CHECK-LABEL: func.func @conv_relu6
// CHECK: %[[C:.+]] = qnn.conv {{.*}}activation = #qnn.activation<clip>, activation_params = array<f64: 0.000000e+00, 6.000000e+00>
// CHECK-NOT: qnn.clip
// CHECK: return %[[C]]
func.func @conv_relu6(%x: tensor<1x1x4x4xf32>, %w: tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32> {
  %0 = qnn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = qnn.clip %0 {min = 0.0 : f64, max = 6.0 : f64} : tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  return %1 : tensor<1x2x4x4xf32>
}

// -----

// The residual add of ResNet carries the block's relu.
// CHECK-LABEL: func.func @residual
// CHECK: %[[A:.+]] = qnn.add %arg0, %arg1 {activation = #qnn.activation<relu>}
// CHECK: return %[[A]]
func.func @residual(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qnn.add %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = qnn.relu %0 : tensor<4xf32> -> tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// mul(x, hard_sigmoid(x)) with alpha 1/6, beta 1/2 is hard_swish, which then
// fuses into the gemm.
// CHECK-LABEL: func.func @hard_swish
// CHECK: %[[G:.+]] = qnn.gemm {{.*}}activation = #qnn.activation<hard_swish>
// CHECK-NOT: qnn.mul
// CHECK: return %[[G]]
func.func @hard_swish(%x: tensor<2x3xf32>, %w: tensor<3x4xf32>) -> tensor<2x4xf32> {
  %0 = qnn.gemm %x, %w : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %1 = qnn.hard_sigmoid %0 {alpha = 0.166666672 : f32, beta = 5.000000e-01 : f32} : tensor<2x4xf32> -> tensor<2x4xf32>
  %2 = qnn.mul %0, %1 : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  return %2 : tensor<2x4xf32>
}

// -----

// Activations that cannot fuse say why.
func.func @unfused(%x: tensor<1x1x4x4xf32>, %w: tensor<1x1x1x1xf32>) -> (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x2x2xf32>) {
  // expected-remark @+1 {{'qnn.relu' not fused: its input is a function argument}}
  %0 = qnn.relu %x : tensor<1x1x4x4xf32> -> tensor<1x1x4x4xf32>
  %1 = qnn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x4x4xf32>
  // expected-remark @+1 {{'qnn.relu' not fused: the producer's result has other users}}
  %2 = qnn.relu %1 : tensor<1x1x4x4xf32> -> tensor<1x1x4x4xf32>
  %3 = qnn.max_pool %1 {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x1x4x4xf32> -> tensor<1x1x2x2xf32>
  // expected-remark @+1 {{'qnn.relu' not fused: 'qnn.max_pool' cannot carry an activation}}
  %4 = qnn.relu %3 : tensor<1x1x2x2xf32> -> tensor<1x1x2x2xf32>
  return %0, %2, %4 : tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x2x2xf32>
}

// -----

// A hard_sigmoid that is not hard_swish's stays a mul, and says so.
func.func @not_swish(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-remark @+1 {{'qnn.hard_sigmoid' not fused: its input is a function argument}}
  %0 = qnn.hard_sigmoid %x {alpha = 0.2 : f32, beta = 0.5 : f32} : tensor<4xf32> -> tensor<4xf32>
  // expected-remark @+1 {{mul(x, hard_sigmoid(x)) kept: alpha 2.000000e-01 and beta 5.000000e-01 are not hard_swish}}
  %1 = qnn.mul %x, %0 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// x * clip(x + 3, 0, 6) / 6 (PaddleOCR's hard_swish) becomes hard_swish, which
// then fuses into the conv.
// CHECK-LABEL: func.func @divided_hard_swish
// CHECK: %[[C:.+]] = qnn.conv {{.*}}activation = #qnn.activation<hard_swish>
// CHECK-NOT: qnn.div
// CHECK: return %[[C]]
func.func @divided_hard_swish(%x: tensor<1x1x4x4xf32>, %w: tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32> {
  %three = qnn.constant dense<3.0> : tensor<f32>
  %six = qnn.constant dense<6.0> : tensor<f32>
  %0 = qnn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %1 = qnn.add %0, %three : (tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %2 = qnn.clip %1 {min = 0.0 : f64, max = 6.0 : f64} : tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  %3 = qnn.mul %0, %2 : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %4 = qnn.div %3, %six : (tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  return %4 : tensor<1x2x4x4xf32>
}

// -----

// Dividing by something else than 6 is not hard_swish.
// CHECK-LABEL: func.func @divided_by_five
// CHECK: qnn.div
func.func @divided_by_five(%x: tensor<4xf32>) -> tensor<4xf32> {
  %three = qnn.constant dense<3.0> : tensor<f32>
  %five = qnn.constant dense<5.0> : tensor<f32>
  %1 = qnn.add %x, %three : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %2 = qnn.clip %1 {min = 0.0 : f64, max = 6.0 : f64} : tensor<4xf32> -> tensor<4xf32>
  %3 = qnn.mul %x, %2 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %4 = qnn.div %3, %five : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %4 : tensor<4xf32>
}

