// RUN: qopt %s -split-input-file --qopt-fold-constants | FileCheck %s
// RUN: qopt %s -split-input-file --qopt-fold-constants=max-bytes=4 --verify-diagnostics | FileCheck %s --check-prefix=LIMIT

// CHECK-LABEL: func.func @shape_arith
// CHECK-NEXT: %[[C:.+]] = qnn.constant dense<[4, 6]> : tensor<2xi64>
// CHECK-NEXT: return %[[C]]
// LIMIT-LABEL: func.func @shape_arith
// LIMIT: qnn.add
func.func @shape_arith() -> tensor<2xi64> {
  %0 = qnn.constant dense<[1, 2]> : tensor<2xi64>
  %1 = qnn.constant dense<[3, 4]> : tensor<2xi64>
  // expected-remark @+1 {{not folded: result exceeds max-bytes=4}}
  %2 = qnn.add %0, %1 : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  return %2 : tensor<2xi64>
}

// -----

// Folding goes through chains and through the reference kernels.
// CHECK-LABEL: func.func @chain
// CHECK: %[[C:.+]] = qnn.constant dense<[2.000000e+00, 8.000000e+00]> : tensor<2xf32>
// CHECK: qnn.mul %arg0, %[[C]]
func.func @chain(%x: tensor<2xf32>) -> tensor<2xf32> {
  %0 = qnn.constant dense<[1.0, 4.0]> : tensor<2xf32>
  %1 = qnn.constant dense<2.0> : tensor<f32>
  // expected-remark @+1 {{not folded}}
  %2 = qnn.mul %0, %1 : (tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
  %3 = qnn.mul %x, %2 : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %3 : tensor<2xf32>
}
