func.func @main(%x: tensor<2x3xi32> {qnn.name = "x"}) -> (tensor<2xi32> {qnn.name = "y"}) {
  %0 = qnn.reduce_sum %x {axes = array<i64: 1>, keepdims = false} : tensor<2x3xi32> -> tensor<2xi32>
  return %0 : tensor<2xi32>
}
