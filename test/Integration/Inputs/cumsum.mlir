func.func @main(%x: tensor<2x3xf32> {qnn.name = "x"}) -> (tensor<2x3xf32> {qnn.name = "y"}, tensor<2x3xf32> {qnn.name = "r"}) {
  %0 = qnn.cum_sum %x {axis = 1 : i64} : tensor<2x3xf32> -> tensor<2x3xf32>
  %1 = qnn.cum_sum %x {axis = -1 : i64, exclusive = true, reverse = true} : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0, %1 : tensor<2x3xf32>, tensor<2x3xf32>
}
