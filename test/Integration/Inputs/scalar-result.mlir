// A scalar (rank-0) result: the mean of everything, then a float op on it.
module {
  func.func @main(%x: tensor<2x8xf32> {qnn.name = "x"}) -> (tensor<f32> {qnn.name = "m"}) {
    %0 = qnn.reduce_mean %x {axes = array<i64: 0, 1>, keepdims = false} : tensor<2x8xf32> -> tensor<f32>
    %1 = qnn.exp %0 : tensor<f32> -> tensor<f32>
    return %1 : tensor<f32>
  }
}
