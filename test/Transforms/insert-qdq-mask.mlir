// RUN: qopt %s -split-input-file --qopt-insert-qdq="calib-cache=%S/Inputs/calib-mask.json" --verify-diagnostics | FileCheck %s

// An add whose computed operand is smaller than 1/256 of the
// other's magnitude stays float: in int8 the sum would be the large operand
// rounded (an additive attention mask of -1e4 next to scores in [-1, 1]).
// CHECK-LABEL: func.func @mask
// CHECK-NOT: quant.qcast
// CHECK: qnn.add %arg0, %{{.+}} : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
// CHECK-NOT: quant.qcast
// CHECK: return
func.func @mask(%x: tensor<1x4xf32> {qnn.name = "x"}) -> tensor<1x4xf32> {
  %m = qnn.constant dense<[[0.0, 0.0, -10000.0, -10000.0]]> : tensor<1x4xf32>
  // expected-remark @+1 {{kept in float: 'x' (|x| <= 1.00) is within one int8 step of a constant (|x| up to 10000.00): an int8 sum would erase it (an additive mask?)}}
  %0 = qnn.add %x, %m : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}

// -----

// A small constant addend (a bias) rounded away loses only itself: the add
// stays int8.
// CHECK-LABEL: func.func @small_bias
// CHECK: %[[S:.+]] = qnn.add
// CHECK-NEXT: quant.qcast %[[S]] : tensor<1x4xf32> to tensor<1x4x!quant.uniform<i8
func.func @small_bias(%x: tensor<1x4xf32> {qnn.name = "x"}) -> tensor<1x4xf32> {
  %b = qnn.constant dense<[[0.001, 0.0, -0.001, 0.002]]> : tensor<1x4xf32>
  %0 = qnn.add %x, %b : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}
