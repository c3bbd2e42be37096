// The ops carry names (locations), which key the calibration statistics,
// so the remark is checked in the output rather than by --verify-diagnostics.
// RUN: qopt %s -split-input-file --qopt-insert-qdq="calib-cache=%S/Inputs/calib-concat.json" 2>&1 | FileCheck %s

// A detection head concatenates box coordinates (0 to 320) with class
// scores (0 to 1). One int8 scale for both (320/255) would round every
// score to 0; the concat stays float and each input keeps its own scale.
// CHECK: remark: loc("head"): kept in float: input 'scores' (int8 step 3.921569e-03) would be requantized to the result's step 1.254902e+00, 320.0 times coarser (at most 4 of its 8 bits kept)
// CHECK-LABEL: func.func @detection_head
// CHECK: %[[B:.+]] = qnn.mul
// CHECK: quant.qcast %[[B]] : tensor<1x4x8xf32> to tensor<1x4x8x!quant.uniform<i8:f32, 1.2549
// CHECK: %[[S:.+]] = qnn.sigmoid
// CHECK: quant.qcast %[[S]] : tensor<1x2x8xf32> to tensor<1x2x8x!quant.uniform<i8:f32, 0.0039
// CHECK: %[[C:.+]] = qnn.concat %{{.+}}, %{{.+}} {axis = 1 : i64} : (tensor<1x4x8xf32>, tensor<1x2x8xf32>) -> tensor<1x6x8xf32>
// CHECK-NOT: quant.qcast
// CHECK: return %[[C]]
func.func @detection_head(%x: tensor<1x4x8xf32> {qnn.name = "x"}, %l: tensor<1x2x8xf32> {qnn.name = "logits"}) -> tensor<1x6x8xf32> {
  %b = qnn.mul %x, %x : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32> loc("boxes")
  %s = qnn.sigmoid %l : tensor<1x2x8xf32> -> tensor<1x2x8xf32> loc("scores")
  %c = qnn.concat %b, %s {axis = 1 : i64} : (tensor<1x4x8xf32>, tensor<1x2x8xf32>) -> tensor<1x6x8xf32> loc("head")
  return %c : tensor<1x6x8xf32>
}

// -----

// Ranges within 16x of each other (4 and 1): the concat is int8.
// CHECK-NOT: remark
// CHECK-LABEL: func.func @similar_ranges
// CHECK: %[[C:.+]] = qnn.concat
// CHECK-NEXT: quant.qcast %[[C]] : tensor<1x8x8xf32> to tensor<1x8x8x!quant.uniform<
func.func @similar_ranges(%x: tensor<1x4x8xf32> {qnn.name = "a"}, %y: tensor<1x4x8xf32> {qnn.name = "b"}) -> tensor<1x8x8xf32> {
  %p = qnn.mul %x, %x : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32> loc("a2")
  %q = qnn.sigmoid %y : tensor<1x4x8xf32> -> tensor<1x4x8xf32> loc("b2")
  %c = qnn.concat %p, %q {axis = 1 : i64} : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x8x8xf32> loc("cat")
  return %c : tensor<1x8x8xf32>
}
