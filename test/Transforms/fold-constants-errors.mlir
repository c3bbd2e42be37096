// RUN: qopt %s -split-input-file --qopt-fold-constants --verify-diagnostics

// A kernel error on constant operands is reported at the op, not a crash.
func.func @bad_gather() -> tensor<1xf32> {
  %0 = qnn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %1 = qnn.constant dense<[5]> : tensor<1xi64>
  // expected-error @+1 {{Gather: index 5 out of range for axis 0 of size 2}}
  %2 = qnn.gather %0, %1 {axis = 0 : i64} : (tensor<2xf32>, tensor<1xi64>) -> tensor<1xf32>
  return %2 : tensor<1xf32>
}

// -----

func.func @divide_by_zero() -> tensor<1xi32> {
  %0 = qnn.constant dense<[7]> : tensor<1xi32>
  %1 = qnn.constant dense<[0]> : tensor<1xi32>
  // expected-error @+1 {{division by zero}}
  %2 = qnn.div %0, %1 : (tensor<1xi32>, tensor<1xi32>) -> tensor<1xi32>
  return %2 : tensor<1xi32>
}
