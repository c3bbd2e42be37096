// RUN: qopt %s -split-input-file --qopt-fold-batchnorm --verify-diagnostics | FileCheck %s

// Conv weights are scaled per output channel; the bias absorbs the shift.
// a = scale / sqrt(var + eps) = [2, 0.5]; c = bias - mean * a = [1 - 2, 0 - 0.5].
// CHECK-LABEL: func.func @conv
// CHECK-DAG: %[[W:.+]] = qnn.constant dense<{{\[\[\[\[}}2.000000e+00]]], {{\[\[\[}}1.500000e+00]]]]> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B:.+]] = qnn.constant dense<[1.000000e+00, 5.000000e-01]> : tensor<2xf32>
// CHECK: %[[C:.+]] = qnn.conv %arg0, %[[W]], %[[B]]
// CHECK-NOT: qnn.batch_norm
// CHECK: return %[[C]]
func.func @conv(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = qnn.constant dense<[[[[1.0]]], [[[3.0]]]]> : tensor<2x1x1x1xf32>
  %b = qnn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %s = qnn.constant dense<[2.0, 1.0]> : tensor<2xf32>
  %t = qnn.constant dense<[1.0, 0.0]> : tensor<2xf32>
  %m = qnn.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %v = qnn.constant dense<[1.0, 4.0]> : tensor<2xf32>
  %0 = qnn.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %1 = qnn.batch_norm %0, %s, %t, %m, %v {epsilon = 0.0 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %1 : tensor<1x2x4x4xf32>
}

// -----

// Gemm with trans_b scales the rows of B; C becomes the shift.
// CHECK-LABEL: func.func @gemm
// CHECK: qnn.gemm %arg0, %{{.+}}, %{{.+}} {trans_b = true}
// CHECK-NOT: qnn.batch_norm
func.func @gemm(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %w = qnn.constant dense<1.0> : tensor<2x4xf32>
  %p = qnn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %0 = qnn.gemm %x, %w {trans_b = true} : (tensor<3x4xf32>, tensor<2x4xf32>) -> tensor<3x2xf32>
  %1 = qnn.batch_norm %0, %p, %p, %p, %p {epsilon = 1.0e-5 : f32} : (tensor<3x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  return %1 : tensor<3x2xf32>
}

// -----

// A conv whose result is also used elsewhere keeps its weights; the batch
// norm becomes a per-channel multiply-add.
// CHECK-LABEL: func.func @shared
// CHECK: %[[C:.+]] = qnn.conv
// CHECK: %[[M:.+]] = qnn.mul %[[C]], %{{.+}} : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>)
// CHECK: %[[A:.+]] = qnn.add %[[M]], %{{.+}} : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>)
// CHECK: return %[[A]], %[[C]]
func.func @shared(%x: tensor<1x1x4x4xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %w = qnn.constant dense<1.0> : tensor<2x1x1x1xf32>
  %p = qnn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %0 = qnn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  // expected-remark @+1 {{batch norm not folded into its producer: the producer's result has other users; rewritten as a per-channel multiply-add}}
  %1 = qnn.batch_norm %0, %p, %p, %p, %p {epsilon = 1.0e-5 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %1, %0 : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// -----

// Parameters computed at run time stay a batch norm.
// CHECK-LABEL: func.func @dynamic_params
// CHECK: qnn.batch_norm
func.func @dynamic_params(%x: tensor<1x2x4x4xf32>, %p: tensor<2xf32>) -> tensor<1x2x4x4xf32> {
  // expected-remark @+1 {{batch norm not folded: its parameters are not constants}}
  %1 = qnn.batch_norm %x, %p, %p, %p, %p {epsilon = 1.0e-5 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %1 : tensor<1x2x4x4xf32>
}

// -----

// A conv that already adds a residual cannot absorb the scale: it would scale
// the residual too.
// CHECK-LABEL: func.func @residual_conv
// CHECK: qnn.conv {{.*}} residual(
// CHECK: qnn.mul
// CHECK: qnn.add
func.func @residual_conv(%x: tensor<1x1x1x2xf32>, %s: tensor<1x1x1x2xf32>) -> tensor<1x1x1x2xf32> {
  %w = qnn.constant dense<1.0> : tensor<1x1x1x1xf32>
  %p = qnn.constant dense<[2.0]> : tensor<1xf32>
  %z = qnn.constant dense<[0.0]> : tensor<1xf32>
  %o = qnn.constant dense<[1.0]> : tensor<1xf32>
  %0 = qnn.conv %x, %w residual(%s) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x1x2xf32>, tensor<1x1x1x1xf32>, tensor<1x1x1x2xf32>) -> tensor<1x1x1x2xf32>
  // expected-remark @+1 {{batch norm not folded into its producer: the convolution already adds a residual}}
  %1 = qnn.batch_norm %0, %p, %z, %z, %o {epsilon = 0.0 : f32} : (tensor<1x1x1x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x2xf32>
  return %1 : tensor<1x1x1x2xf32>
}

// -----

// A gemm C with one value per row (M x 1) does not fold into per-column
// shifts, even when M equals N.
// CHECK-LABEL: func.func @gemm_row_bias
// CHECK: qnn.gemm
// CHECK: qnn.mul
func.func @gemm_row_bias(%a: tensor<2x1xf32>) -> tensor<2x2xf32> {
  %b = qnn.constant dense<1.0> : tensor<1x2xf32>
  %c = qnn.constant dense<[[10.0], [20.0]]> : tensor<2x1xf32>
  %p = qnn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %z = qnn.constant dense<0.0> : tensor<2xf32>
  %o = qnn.constant dense<1.0> : tensor<2xf32>
  %0 = qnn.gemm %a, %b, %c : (tensor<2x1xf32>, tensor<1x2xf32>, tensor<2x1xf32>) -> tensor<2x2xf32>
  // expected-remark @+1 {{batch norm not folded into its producer: the gemm's C varies along rows}}
  %1 = qnn.batch_norm %0, %p, %z, %z, %o {epsilon = 0.0 : f32} : (tensor<2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<2x2xf32>
  return %1 : tensor<2x2xf32>
}

// -----

// A per-channel mul and add by constants after a conv (PaddleOCR's learnable
// affine, or a batch norm an exporter already rewrote) fold into the conv:
// w' = w * a, b' = b * a + c.
// CHECK-LABEL: func.func @conv_mul_add
// CHECK-DAG: %[[W:.+]] = qnn.constant dense<{{\[\[\[\[}}2.000000e+00]]], {{\[\[\[}}-1.500000e+00]]]]> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B:.+]] = qnn.constant dense<[1.250000e+00, -1.750000e+00]> : tensor<2xf32>
// CHECK: %[[C:.+]] = qnn.conv %arg0, %[[W]], %[[B]]
// CHECK-NOT: qnn.mul
// CHECK-NOT: qnn.add
// CHECK: return %[[C]]
func.func @conv_mul_add(%x: tensor<1x1x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %w = qnn.constant dense<[[[[1.0]]], [[[1.0]]]]> : tensor<2x1x1x1xf32>
  %b = qnn.constant dense<[0.5, 0.0]> : tensor<2xf32>
  %a = qnn.constant dense<[[[2.0]], [[-1.5]]]> : tensor<2x1x1xf32>
  %c = qnn.constant dense<[0.25]> : tensor<1xf32>
  %c2 = qnn.constant dense<[[[0.0]], [[-2.0]]]> : tensor<2x1x1xf32>
  %0 = qnn.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x2x2xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  %1 = qnn.mul %0, %a : (tensor<1x2x2x2xf32>, tensor<2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %2 = qnn.add %c, %1 : (tensor<1xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %3 = qnn.add %2, %c2 : (tensor<1x2x2x2xf32>, tensor<2x1x1xf32>) -> tensor<1x2x2x2xf32>
  return %3 : tensor<1x2x2x2xf32>
}

// -----

// A constant that varies along a spatial dim is not a per-channel affine.
// CHECK-LABEL: func.func @not_per_channel
// CHECK: qnn.mul
func.func @not_per_channel(%x: tensor<1x1x2x2xf32>, %w: tensor<2x1x1x1xf32>) -> tensor<1x2x2x2xf32> {
  %wc = qnn.constant dense<1.0> : tensor<2x1x1x1xf32>
  %a = qnn.constant dense<[[1.0, 2.0]]> : tensor<1x2xf32>
  %0 = qnn.conv %x, %wc {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x2x2xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x2x2xf32>
  %1 = qnn.mul %0, %a : (tensor<1x2x2x2xf32>, tensor<1x2xf32>) -> tensor<1x2x2x2xf32>
  return %1 : tensor<1x2x2x2xf32>
}
