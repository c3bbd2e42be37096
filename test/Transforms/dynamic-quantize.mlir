// RUN: qopt %s -split-input-file --qopt-dynamic-quantize --verify-diagnostics | FileCheck %s
// RUN: qopt %s -split-input-file --qopt-dynamic-quantize=per-row=1 --verify-diagnostics | FileCheck %s --check-prefix=ROW

// Weights become int8 per column (column 0: max 2 -> scale 2/127; column 1:
// max 0.5 -> 0.5/127); the activation's scale is computed at run time and
// the int32 product is rescaled in f32, then the bias is added.
// CHECK-LABEL: func.func @gemm
// CHECK: %[[ABS:.+]] = qnn.abs %arg0
// CHECK: %[[MAX:.+]] = qnn.reduce_max %[[ABS]] {axes = array<i64: 0, 1>, keepdims = false} : tensor<2x3xf32> -> tensor<f32>
// CHECK: %[[S:.+]] = qnn.max
// CHECK: qnn.round
// CHECK: qnn.clip %{{.+}} {max = 1.270000e+02 : f64, min = -1.270000e+02 : f64}
// CHECK: %[[XI:.+]] = qnn.cast %{{.+}} : tensor<2x3xf32> -> tensor<2x3xi8>
// CHECK: %[[XQ:.+]] = quant.scast %[[XI]] : tensor<2x3xi8> to tensor<2x3x!quant.uniform<i8<-127:127>:f32, 1.000000e+00>>
// CHECK: qnn.constant dense<{{\[\[}}127, 127], [127, 0], [0, -127]]> : tensor<3x2xi8>
// CHECK: %[[ACC:.+]] = qnn.matmul %[[XQ]], %{{.+}} -> tensor<2x2x!quant.uniform<i32:f32, 1.000000e+00>>
// The activation's scale first, then the weights': every operand of the
// rescale exists before the product, so a tensor-core kernel applies it in
// its epilogue (Integration/dynamic-tensor-cores.test).
// CHECK: %[[ACCF:.+]] = qnn.cast %{{.+}} : tensor<2x2xi32> -> tensor<2x2xf32>
// CHECK: %[[SW:.+]] = qnn.constant dense<[0.0157480314, 0.00393700786]> : tensor<2xf32>
// CHECK: %[[YS:.+]] = qnn.mul %[[ACCF]], %[[S]] : (tensor<2x2xf32>, tensor<f32>)
// CHECK: %[[Y:.+]] = qnn.mul %[[YS]], %[[SW]] : (tensor<2x2xf32>, tensor<2xf32>)
// CHECK: qnn.add %[[Y]], %arg1
// CHECK-NEXT: return
// ROW-LABEL: func.func @gemm
// ROW: qnn.reduce_max %{{.+}} {axes = array<i64: 1>, keepdims = true} : tensor<2x3xf32> -> tensor<2x1xf32>
func.func @gemm(%x: tensor<2x3xf32>, %c: tensor<2xf32>) -> tensor<2x2xf32> {
  %w = qnn.constant dense<[[2.0, 2.0, 0.0], [0.5, 0.0, -0.5]]> : tensor<2x3xf32>
  %0 = qnn.gemm %x, %w, %c {trans_b = true} : (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// -----

// Matmuls whose weights are computed stay float (attention scores).
func.func @activations(%x: tensor<2x3xf32>, %y: tensor<3x4xf32>) -> tensor<2x4xf32> {
  // expected-remark @+1 {{kept in float: the weights are not a constant}}
  %0 = qnn.matmul %x, %y : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @fused(%x: tensor<2x3xf32>) -> tensor<2x2xf32> {
  %w = qnn.constant dense<1.0> : tensor<3x2xf32>
  // expected-remark @+1 {{kept in float: a fused activation}}
  %0 = qnn.matmul %x, %w {activation = #qnn.activation<relu>} : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// -----

func.func @scaled(%x: tensor<2x3xf32>) -> tensor<2x2xf32> {
  %w = qnn.constant dense<1.0> : tensor<3x2xf32>
  // expected-remark @+1 {{kept in float: gemm with alpha or beta other than 1}}
  %0 = qnn.gemm %x, %w {alpha = 2.0 : f32} : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}
