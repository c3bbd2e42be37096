// RUN: qopt %s -split-input-file --qopt-insert-qdq="calib-cache=%S/Inputs/calib-small.json calibration=minmax" --verify-diagnostics | FileCheck %s

// Activations get one qcast/dcast pair right after their producer; weights
// become i8 constants, per output channel, symmetric in [-127, 127]; the
// bias stays float for qopt-fold-qdq. x in [-1, 1] is 2/255 per step with
// zero point 0; the post-relu conv1 in [0, 2.55] is 0.01 with zero point -128.
// CHECK-LABEL: func.func @conv_pool
// CHECK: %[[QX:.+]] = quant.qcast %arg0 : tensor<1x2x4x4xf32> to tensor<1x2x4x4x!quant.uniform<i8:f32, 0.0078431377187371254:-1>>
// CHECK: %[[DX:.+]] = quant.dcast %[[QX]]
// CHECK: %[[W:.+]] = qnn.constant dense<{{\[\[\[\[}}127]], {{\[\[}}-64]]], {{\[\[\[}}-127]], {{\[\[}}0]]], {{\[\[\[}}0]], {{\[\[}}127]]]]> : tensor<3x2x1x1xi8>
// CHECK: %[[SW:.+]] = quant.scast %[[W]] : tensor<3x2x1x1xi8> to tensor<3x2x1x1x!quant.uniform<i8<-127:127>:f32:0, {0.0078740157186985015,0.015748031437397003,0.0039370078593492508}>>
// CHECK: %[[DW:.+]] = quant.dcast %[[SW]]
// CHECK: %[[C:.+]] = qnn.conv %[[DX]], %[[DW]], %{{.+}} {activation = #qnn.activation<relu>
// CHECK: %[[QC:.+]] = quant.qcast %[[C]] : tensor<1x3x4x4xf32> to tensor<1x3x4x4x!quant.uniform<i8:f32, 0.0099999997764825821:-128>>
// CHECK: %[[DC:.+]] = quant.dcast %[[QC]]
// CHECK: %[[P:.+]] = qnn.max_pool %[[DC]]
// CHECK: quant.qcast %[[P]] : tensor<1x3x2x2xf32> to tensor<1x3x2x2x!quant.uniform<i8:f32, 0.0078431377187371254:-128>>
func.func @conv_pool(%x: tensor<1x2x4x4xf32> {qnn.name = "x"}) -> tensor<1x3x2x2xf32> {
  %w = qnn.constant dense<[[[[1.0]], [[-0.5]]], [[[-2.0]], [[0.0]]], [[[0.0]], [[0.5]]]]> : tensor<3x2x1x1xf32>
  %b = qnn.constant dense<[0.5, -0.25, 0.0]> : tensor<3xf32>
  %0 = qnn.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64, activation = #qnn.activation<relu>} : (tensor<1x2x4x4xf32>, tensor<3x2x1x1xf32>, tensor<3xf32>) -> tensor<1x3x4x4xf32> loc("conv1")
  %1 = qnn.max_pool %0 {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x3x4x4xf32> -> tensor<1x3x2x2xf32> loc("pool")
  return %1 : tensor<1x3x2x2xf32>
}

// -----

// hard_swish(x) + x is a function of x alone: one table region, quantized
// only at its ends (x with 12 bits, as only the table reads it; no pair
// between hard_swish and the add). The softmax after it stays float but
// reads dequantized values.
// CHECK-LABEL: func.func @table_and_add
// CHECK: %[[Q:.+]] = quant.qcast %arg0 {{.*}}!quant.uniform<i16<-2048:2047>:f32, 4.8851978499442339E-4>>
// CHECK-NEXT: %[[D:.+]] = quant.dcast %[[Q]]
// CHECK-NEXT: %[[H:.+]] = qnn.hard_swish %[[D]] : tensor<1x4xf32>
// CHECK-NEXT: qnn.add %[[H]], %[[D]]
// CHECK-NEXT: quant.qcast {{.*}}!quant.uniform<i8:f32, 0.023529412224888802:-1>
// CHECK-NEXT: quant.dcast
// CHECK-NEXT: qnn.softmax
func.func @table_and_add(%x: tensor<1x4xf32> {qnn.name = "x"}) -> tensor<1x4xf32> {
  %0 = qnn.hard_swish %x : tensor<1x4xf32> -> tensor<1x4xf32> loc("hs")
  %1 = qnn.add %0, %x : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32> loc("add")
  %2 = qnn.softmax %1 {axis = 1 : i64} : tensor<1x4xf32> -> tensor<1x4xf32> loc("soft")
  return %2 : tensor<1x4xf32>
}

