func.func @main(%x: tensor<2x3xf32> {qnn.name = "x"}) -> (tensor<2x3xf32> {qnn.name = "y"}) {
  %0 = qnn.cum_sum %x {axis = 1 : i64} : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
