// int8 global average pools over planes long enough to split into lanes
// (56 x 56 = 3,136: 32 lanes; 7 x 10 = 70: 2 lanes), and a float one
// (test/Integration/row-statistics.test).
!x = !quant.uniform<i8:f32, 0.05:-3>
!y = !quant.uniform<i8:f32, 0.004:7>
!u = !quant.uniform<u8:f32, 0.03:128>
!v = !quant.uniform<u8:f32, 0.002:120>
module {
  func.func @main(%arg0: tensor<2x3x56x56xf32> {qnn.name = "big"}, %arg1: tensor<1x4x7x10xf32> {qnn.name = "small"})
      -> (tensor<2x3x1x1xf32> {qnn.name = "gap_i8"}, tensor<1x4x1x1xf32> {qnn.name = "gap_u8"},
          tensor<2x3x1x1xf32> {qnn.name = "gap_f32"}) {
    %0 = quant.qcast %arg0 : tensor<2x3x56x56xf32> to tensor<2x3x56x56x!x>
    %1 = qnn.global_avg_pool %0 : tensor<2x3x56x56x!x> -> tensor<2x3x1x1x!y>
    %2 = quant.dcast %1 : tensor<2x3x1x1x!y> to tensor<2x3x1x1xf32>
    %3 = quant.qcast %arg1 : tensor<1x4x7x10xf32> to tensor<1x4x7x10x!u>
    %4 = qnn.global_avg_pool %3 : tensor<1x4x7x10x!u> -> tensor<1x4x1x1x!v>
    %5 = quant.dcast %4 : tensor<1x4x1x1x!v> to tensor<1x4x1x1xf32>
    %6 = qnn.global_avg_pool %arg0 : tensor<2x3x56x56xf32> -> tensor<2x3x1x1xf32>
    return %2, %5, %6 : tensor<2x3x1x1xf32>, tensor<1x4x1x1xf32>, tensor<2x3x1x1xf32>
  }
}
