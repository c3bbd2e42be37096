// qopt-ref runs quantized qnn IR on the integer kernels, bit for bit as
// docs/quantization.md specifies: quant.qcast (f32 division, round half to
// even, saturation, NaN -> zero point), an integer qnn.conv with per-axis int8
// weights and an int32 bias, requantized with the fixed-point multiplier
// (half up), and quant.dcast / quant.scast out.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/quantized_conv_reference.py %t
// RUN: qopt-ref %s --input x=%t/x.npy --output-dir %t/out
// RUN: %python %S/Inputs/quantized_conv_reference.py %t --check %t/out/yq.npy %t/out/y.npy | FileCheck %s --check-prefix=RULE
// RULE: matches docs/quantization.md
// RUN: %python -c "import numpy as np; q = np.load('%t/out/yq.npy'); y = np.load('%t/out/y.npy'); print(q.dtype, q.tolist()); print(y.dtype, y.tolist())" | FileCheck %s
//
// The input quantizes (s = 0.25, z = -3) to
//   [[-3, -1, -5], [1, -11, 127], [-3, -1, -4]]      0.125, 0.375, -0.625 are
//   [[-128, 9, 6], [-9, 0, -3], [17, -7, 4]]         ties to even; 100 and -40
// saturate; NaN is the zero point. Channel 1 has the multiplier
// 0.25 * 0.0625 / 0.5 = 2^-5 exactly, and its accumulator -112 at (0, 2) is
// -3.5 steps: half up gives -3 + 5 = 2 where half to even would give 1.
// Channel 0 reaches 127 at (1, 1) and (1, 2) from the saturated input 127
// (accumulators 15119 and 15283 at multiplier 0.01); channel 1 reaches -128.
// CHECK: int8 {{\[\[\[\[}}16, 4, 6], [13, 127, 127], [7, 20, 0]], {{\[\[}}-128, -21, 2], [-8, -61, 127], [41, -36, 71]]]]
// CHECK: float32 {{\[\[\[\[}}5.5, -0.5, 0.5], [4.0, 61.0, 61.0], [1.0, 7.5, -2.5]], {{\[\[}}-66.5, -13.0, -1.5], [-6.5, -33.0, 61.0], [18.0, -20.5, 33.0]]]]

func.func @main(%x: tensor<1x2x3x3xf32> {qnn.name = "x"})
    -> (tensor<1x2x3x3xf32> {qnn.name = "y"}, tensor<1x2x3x3xi8> {qnn.name = "yq"}) {
  %w = qnn.constant dense<[[[[1, -2], [3, 127]], [[-127, 0], [5, -6]]],
                           [[[10, 20], [-30, 40]], [[7, -8], [9, 100]]]]> : tensor<2x2x2x2xi8>
  %wq = quant.scast %w : tensor<2x2x2x2xi8> to tensor<2x2x2x2x!quant.uniform<i8<-127:127>:f32:0, {0.02, 0.0625}>>
  %b = qnn.constant dense<[300, -980]> : tensor<2xi32>
  %xq = quant.qcast %x : tensor<1x2x3x3xf32> to tensor<1x2x3x3x!quant.uniform<i8:f32, 0.25:-3>>
  %c = qnn.conv %xq, %wq, %b {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x3x3x!quant.uniform<i8:f32, 0.25:-3>>, tensor<2x2x2x2x!quant.uniform<i8<-127:127>:f32:0, {0.02, 0.0625}>>, tensor<2xi32>) -> tensor<1x2x3x3x!quant.uniform<i8:f32, 0.5:5>>
  %y = quant.dcast %c : tensor<1x2x3x3x!quant.uniform<i8:f32, 0.5:5>> to tensor<1x2x3x3xf32>
  %yq = quant.scast %c : tensor<1x2x3x3x!quant.uniform<i8:f32, 0.5:5>> to tensor<1x2x3x3xi8>
  return %y, %yq : tensor<1x2x3x3xf32>, tensor<1x2x3x3xi8>
}
