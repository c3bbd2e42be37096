// RUN: qopt %s --qopt-convert-float-precision -split-input-file | FileCheck %s

// Float inside, f32 at the boundary; constants are converted (round to nearest even).
// CHECK-LABEL: func.func @float(%arg0: tensor<1x2x4x4xf32>) -> tensor<1x3x4x4xf32>
// CHECK: %[[H:.+]] = qnn.cast %arg0 : tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf16>
// CHECK-DAG: qnn.constant dense<3.332520e-01> : tensor<3x2x1x1xf16>
// CHECK-DAG: qnn.constant dense<[1.000000e+00, 2.000000e+00, 6.550400e+04]> : tensor<3xf16>
// CHECK: %[[C:.+]] = qnn.conv %[[H]], {{.*}} -> tensor<1x3x4x4xf16>
// CHECK: %[[O:.+]] = qnn.cast %[[C]] : tensor<1x3x4x4xf16> -> tensor<1x3x4x4xf32>
// CHECK: return %[[O]]
func.func @float(%arg0: tensor<1x2x4x4xf32>) -> tensor<1x3x4x4xf32> {
  %w = qnn.constant dense<0.333333333> : tensor<3x2x1x1xf32>
  %b = qnn.constant dense<[1.0, 2.0, 65504.0]> : tensor<3xf32>
  %0 = qnn.conv %arg0, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
      : (tensor<1x2x4x4xf32>, tensor<3x2x1x1xf32>, tensor<3xf32>) -> tensor<1x3x4x4xf32>
  return %0 : tensor<1x3x4x4xf32>
}

// -----

// Quantized ops keep their f32 expressed type: a cast follows the dequantize
// and precedes the quantize.
// CHECK-LABEL: func.func @mixed
// CHECK: %[[D:.+]] = quant.dcast %arg0 : tensor<4x!quant.uniform<i8:f32, 1.000000e-01>> to tensor<4xf32>
// CHECK: %[[H:.+]] = qnn.cast %[[D]] : tensor<4xf32> -> tensor<4xf16>
// CHECK: %[[S:.+]] = qnn.sigmoid %[[H]] : tensor<4xf16> -> tensor<4xf16>
// CHECK: %[[F:.+]] = qnn.cast %[[S]] : tensor<4xf16> -> tensor<4xf32>
// CHECK: quant.qcast %[[F]] : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 5.000000e-03>>
func.func @mixed(%arg0: tensor<4x!quant.uniform<i8:f32, 0.1>>) -> tensor<4x!quant.uniform<i8:f32, 0.005>> {
  %0 = quant.dcast %arg0 : tensor<4x!quant.uniform<i8:f32, 0.1>> to tensor<4xf32>
  %1 = qnn.sigmoid %0 : tensor<4xf32> -> tensor<4xf32>
  %2 = quant.qcast %1 : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 0.005>>
  return %2 : tensor<4x!quant.uniform<i8:f32, 0.005>>
}
