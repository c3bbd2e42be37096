// RUN: qopt %s -split-input-file --qopt-insert-qdq="calib-cache=%S/Inputs/calib-chain.json calibration=minmax wide-table-inputs=0" --qopt-propagate-scales --qopt-fold-qdq | FileCheck %s
// RUN: qopt %s -split-input-file --qopt-insert-qdq="calib-cache=%S/Inputs/calib-chain.json calibration=minmax" --qopt-propagate-scales --qopt-fold-qdq | FileCheck %s --check-prefix=WIDE

// By default a tensor only table ops read is 12-bit over its whole range
// (4/2047 per step) and the table has 4096 entries.
// WIDE-LABEL: func.func @chain
// WIDE: %[[Q:.+]] = quant.qcast %arg0 : tensor<1x8xf32> to tensor<1x8x!quant.uniform<i16<-2048:2047>:f32, 0.0019540791399776936>>
// WIDE: %[[T:.+]] = qnn.constant dense_resource<hs.table> : tensor<4096xi8>
// WIDE: qnn.lut %[[Q]], %[[T]] : (tensor<1x8x!quant.uniform<i16<-2048:2047>:f32, 0.0019540791399776936>>, tensor<4096xi8>) -> tensor<1x8x!quant.uniform<i8:f32, 0.011764706112444401:-128>>

// hard_swish followed by a scalar mul and add (PP-LCNetV3's activation and
// learnable affine) is quantized only at its ends and becomes one table: the
// float chain evaluated on all 256 input codes, quantized once.
// x in [-4, 4]: s = 8/255 (rounded to f32), z = -1; y = 0.5 * hard_swish(x) + 1 in [0.8125, 3]
// widened to [0, 3]: s = 3/255, z = -128.
// CHECK-LABEL: func.func @chain
// CHECK: %[[Q:.+]] = quant.qcast %arg0 : tensor<1x8xf32> to tensor<1x8x!quant.uniform<i8:f32, 0.031372550874948502:-1>>
// CHECK: %[[T:.+]] = qnn.constant dense_resource<hs.table> : tensor<256xi8>
// CHECK: %[[L:.+]] = qnn.lut %[[Q]], %[[T]] : (tensor<1x8x!quant.uniform<i8:f32, 0.031372550874948502:-1>>, tensor<256xi8>) -> tensor<1x8x!quant.uniform<i8:f32, 0.011764706112444401:-128>>
// CHECK: quant.dcast %[[L]]
// CHECK-NOT: qnn.hard_swish
// CHECK-NOT: qnn.mul
// Code -128 is x = -3.98: hard_swish 0, y = 1 = (-43 + 128) * 3/255: 0xD5.
// CHECK: hs.table: "0x08000000D5D5
func.func @chain(%x: tensor<1x8xf32> {qnn.name = "x"}) -> tensor<1x8xf32> {
  %half = qnn.constant dense<0.5> : tensor<1xf32>
  %one = qnn.constant dense<1.0> : tensor<f32>
  %0 = qnn.hard_swish %x : tensor<1x8xf32> -> tensor<1x8xf32> loc("hs")
  %1 = qnn.mul %0, %half : (tensor<1x8xf32>, tensor<1xf32>) -> tensor<1x8xf32> loc("scale")
  %2 = qnn.add %one, %1 : (tensor<f32>, tensor<1x8xf32>) -> tensor<1x8xf32> loc("shift")
  return %2 : tensor<1x8xf32>
}

// -----

// softplus as ONNX defines it (exp, add 1, log) is a function of x alone:
// one table, x and the result quantized, nothing between (quantized, the
// exp's range [0.02, 55] would round the added 1 away: log(0)). Code -128
// is x = -3.98: softplus 0.0185, one step of [0, 4.018] above -128: 0x81.
// CHECK-LABEL: func.func @softplus
// CHECK: %[[Q:.+]] = quant.qcast %arg0 : tensor<1x8xf32> to tensor<1x8x!quant.uniform<i8:f32, 0.031372550874948502:-1>>
// CHECK: %[[T:.+]] = qnn.constant dense_resource<sp_exp.table> : tensor<256xi8>
// CHECK: qnn.lut %[[Q]], %[[T]] : {{.*}} -> tensor<1x8x!quant.uniform<i8:f32, 0.015756862238049507:-128>>
// CHECK-NOT: qnn.exp
// CHECK-NOT: qnn.log
// CHECK: sp_exp.table: "0x0800000081
func.func @softplus(%x: tensor<1x8xf32> {qnn.name = "x"}) -> tensor<1x8xf32> {
  %one = qnn.constant dense<1.0> : tensor<f32>
  %0 = qnn.exp %x : tensor<1x8xf32> -> tensor<1x8xf32> loc("sp_exp")
  %1 = qnn.add %0, %one : (tensor<1x8xf32>, tensor<f32>) -> tensor<1x8xf32> loc("sp_add")
  %2 = qnn.log %1 : tensor<1x8xf32> -> tensor<1x8xf32> loc("sp")
  return %2 : tensor<1x8xf32>
}

// -----

// When an intermediate is used outside (the exp is also returned), the
// table starts after it: the exp stays float, its value is quantized (it is
// an output anyway), and one table computes log(e + 1) from it.
// CHECK-LABEL: func.func @shared
// CHECK: qnn.exp %arg0
// CHECK-NEXT: %[[QE:.+]] = quant.qcast
// CHECK: qnn.lut %[[QE]], %{{.+}} : {{.*}}tensor<256xi8>
// CHECK-NOT: qnn.log
func.func @shared(%x: tensor<1x8xf32> {qnn.name = "x"}) -> (tensor<1x8xf32>, tensor<1x8xf32>) {
  %one = qnn.constant dense<1.0> : tensor<f32>
  %0 = qnn.exp %x : tensor<1x8xf32> -> tensor<1x8xf32> loc("e2")
  %1 = qnn.add %0, %one : (tensor<1x8xf32>, tensor<f32>) -> tensor<1x8xf32> loc("sp2_add")
  %2 = qnn.log %1 : tensor<1x8xf32> -> tensor<1x8xf32> loc("sp2")
  return %2, %0 : tensor<1x8xf32>, tensor<1x8xf32>
}
