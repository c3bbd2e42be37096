// A small integer program with the op kinds of an int8 CNN: quantize, conv
// (+relu), depthwise conv, residual add, max pool, global average pool,
// reshape, gemm, dequantize. Shared by the lowering and code generation tests.
!x = !quant.uniform<i8:f32, 0.05:-3>
!a = !quant.uniform<i8:f32, 0.04:-128>
!b = !quant.uniform<i8:f32, 0.03:5>
!s = !quant.uniform<i8:f32, 0.06:-20>
!w = !quant.uniform<i8<-127:127>:f32:0, {0.02, 0.01, 0.015, 0.03}>
!d = !quant.uniform<i8<-127:127>:f32:0, {0.02, 0.025, 0.01, 0.05}>
!g = !quant.uniform<i8<-127:127>:f32:1, {0.01, 0.02, 0.03}>
!o = !quant.uniform<i8:f32, 0.1:2>
module {
  func.func @main(%arg0: tensor<1x2x6x6xf32> {qnn.name = "x"}) -> (tensor<1x3xf32> {qnn.name = "y"}) {
    %0 = quant.qcast %arg0 : tensor<1x2x6x6xf32> to tensor<1x2x6x6x!x>
    %w0 = qnn.constant dense<[[[[1, -2, 3], [4, 5, -6], [7, 8, 9]], [[-9, 8, -7], [6, 5, 4], [3, 2, 1]]],
                              [[[10, 20, 30], [-40, 50, 60], [70, -80, 90]], [[1, 1, 1], [1, 1, 1], [1, 1, 1]]],
                              [[[-1, -1, -1], [-1, 127, -1], [-1, -1, -1]], [[0, 0, 0], [0, -127, 0], [0, 0, 0]]],
                              [[[5, 0, -5], [5, 0, -5], [5, 0, -5]], [[2, 4, 2], [0, 0, 0], [-2, -4, -2]]]]> : tensor<4x2x3x3xi8>
    %w = quant.scast %w0 : tensor<4x2x3x3xi8> to tensor<4x2x3x3x!w>
    %bias = qnn.constant dense<[100, -200, 0, 50]> : tensor<4xi32>
    %1 = qnn.conv %0, %w, %bias {activation = #qnn.activation<relu>, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>}
        : (tensor<1x2x6x6x!x>, tensor<4x2x3x3x!w>, tensor<4xi32>) -> tensor<1x4x6x6x!a>
    %dw0 = qnn.constant dense<[[[[1, 2, 1], [2, 4, 2], [1, 2, 1]]], [[[0, -1, 0], [-1, 4, -1], [0, -1, 0]]],
                               [[[127, 0, 0], [0, 0, 0], [0, 0, -127]]], [[[3, 3, 3], [3, 3, 3], [3, 3, 3]]]]> : tensor<4x1x3x3xi8>
    %dw = quant.scast %dw0 : tensor<4x1x3x3xi8> to tensor<4x1x3x3x!d>
    %2 = qnn.conv %1, %dw {dilations = array<i64: 1, 1>, group = 4 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>}
        : (tensor<1x4x6x6x!a>, tensor<4x1x3x3x!d>) -> tensor<1x4x6x6x!b>
    %3 = qnn.add %2, %1 {activation = #qnn.activation<relu>} : (tensor<1x4x6x6x!b>, tensor<1x4x6x6x!a>) -> tensor<1x4x6x6x!s>
    %4 = qnn.max_pool %3 {dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
        : tensor<1x4x6x6x!s> -> tensor<1x4x3x3x!s>
    %5 = qnn.global_avg_pool %4 : tensor<1x4x3x3x!s> -> tensor<1x4x1x1x!s>
    %6 = qnn.reshape %5 : tensor<1x4x1x1x!s> -> tensor<1x4x!s>
    %g0 = qnn.constant dense<[[10, -20, 30], [-40, 50, -60], [70, -80, 90], [-100, 110, -120]]> : tensor<4x3xi8>
    %g = quant.scast %g0 : tensor<4x3xi8> to tensor<4x3x!g>
    %gb = qnn.constant dense<[7, -7, 70]> : tensor<3xi32>
    %7 = qnn.gemm %6, %g, %gb : (tensor<1x4x!s>, tensor<4x3x!g>, tensor<3xi32>) -> tensor<1x3x!o>
    %8 = quant.dcast %7 : tensor<1x3x!o> to tensor<1x3xf32>
    return %8 : tensor<1x3xf32>
  }
}
