func.func @main(%x: tensor<1x4x3x3xf32> {qnn.name = "x"}) -> (tensor<1x6x4x4xf32> {qnn.name = "y"}) {
  %w = qnn.constant dense<[[[[1.0, 2.0], [3.0, 4.0]], [[0.5, -1.0], [2.0, 1.0]], [[1.5, 0.0], [-2.0, 3.0]]], [[[1.0, 0.0], [0.0, 1.0]], [[2.0, 1.0], [1.0, 2.0]], [[-1.0, 1.0], [1.0, -1.0]]], [[[0.3, 0.6], [0.9, 1.2]], [[1.0, 1.0], [1.0, 1.0]], [[2.0, -2.0], [2.0, -2.0]]], [[[0.1, 0.2], [0.3, 0.4]], [[-0.5, 0.5], [-0.5, 0.5]], [[3.0, 2.0], [1.0, 0.0]]]]> : tensor<4x3x2x2xf32>
  %s = qnn.constant dense<[1.0, 2.0, 0.5, 3.0, -1.0, 1.5]> : tensor<6xf32>
  %t = qnn.constant dense<[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]> : tensor<6xf32>
  %m = qnn.constant dense<[0.0, 1.0, -1.0, 0.5, 0.2, 0.0]> : tensor<6xf32>
  %v = qnn.constant dense<[1.0, 2.0, 0.5, 4.0, 1.0, 3.0]> : tensor<6xf32>
  %0 = qnn.conv_transpose %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: 0, 0>, group = 2 : i64} : (tensor<1x4x3x3xf32>, tensor<4x3x2x2xf32>) -> tensor<1x6x4x4xf32>
  %1 = qnn.batch_norm %0, %s, %t, %m, %v {epsilon = 1.0e-5 : f32} : (tensor<1x6x4x4xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<1x6x4x4xf32>
  return %1 : tensor<1x6x4x4xf32>
}
