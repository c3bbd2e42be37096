// Quantized unary ops that keep their own integer form (a chain of one op is
// not folded into a qnn.lut): the reference evaluates each as a table of its
// input codes, and so must every kernel. SiLU's sigmoid (x also feeds the
// Mul) is the common case; an unsigned input and a signed one.
!x = !quant.uniform<i8:f32, 0.05:3>
!u = !quant.uniform<u8:f32, 0.03:128>
!p = !quant.uniform<i8:f32, 0.0039215686:-128>
!t = !quant.uniform<i8:f32, 0.0078431373>
!g = !quant.uniform<i8:f32, 0.04:-20>
module {
  func.func @main(%arg0: tensor<2x8xf32> {qnn.name = "x"})
      -> (tensor<2x8xf32> {qnn.name = "sig"}, tensor<2x8xf32> {qnn.name = "tanh"},
          tensor<2x8xf32> {qnn.name = "gelu"}, tensor<2x8xf32> {qnn.name = "hswish"}) {
    %q = quant.qcast %arg0 : tensor<2x8xf32> to tensor<2x8x!x>
    %s = qnn.sigmoid %q : tensor<2x8x!x> -> tensor<2x8x!p>
    %qu = quant.qcast %arg0 : tensor<2x8xf32> to tensor<2x8x!u>
    %t = qnn.tanh %qu : tensor<2x8x!u> -> tensor<2x8x!t>
    %g = qnn.gelu %q : tensor<2x8x!x> -> tensor<2x8x!g>
    %h = qnn.hard_swish %q : tensor<2x8x!x> -> tensor<2x8x!g>
    %0 = quant.dcast %s : tensor<2x8x!p> to tensor<2x8xf32>
    %1 = quant.dcast %t : tensor<2x8x!t> to tensor<2x8xf32>
    %2 = quant.dcast %g : tensor<2x8x!g> to tensor<2x8xf32>
    %3 = quant.dcast %h : tensor<2x8x!g> to tensor<2x8xf32>
    return %0, %1, %2, %3 : tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>
  }
}
