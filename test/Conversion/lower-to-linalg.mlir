// RUN: qopt %s --qopt-lower-to-linalg -split-input-file | FileCheck %s

// Quantize: divide, round half to even, clamp before the conversion, add the zero point.
// CHECK-LABEL: func.func @quantize(%arg0: tensor<2x3xf32>) -> tensor<2x3xi8>
// CHECK: linalg.generic {{.*}} ins(%arg0 : tensor<2x3xf32>) outs(%{{.*}} : tensor<2x3xi8>)
// CHECK: arith.divf %{{.*}}, %{{.*}} : f32
// CHECK: arith.cmpf uno
// CHECK: math.roundeven
// CHECK: arith.fptosi
// CHECK: arith.trunci %{{.*}} : i32 to i8
func.func @quantize(%arg0: tensor<2x3xf32>) -> tensor<2x3x!quant.uniform<i8:f32, 0.5:3>> {
  %0 = quant.qcast %arg0 : tensor<2x3xf32> to tensor<2x3x!quant.uniform<i8:f32, 0.5:3>>
  return %0 : tensor<2x3x!quant.uniform<i8:f32, 0.5:3>>
}

// -----

// Dequantize: (q - z) exact in i32, then one f32 product.
// CHECK-LABEL: func.func @dequantize(%arg0: tensor<4xi8>) -> tensor<4xf32>
// CHECK: arith.extsi %{{.*}} : i8 to i32
// CHECK: arith.subi
// CHECK: arith.sitofp
// CHECK: arith.mulf
func.func @dequantize(%arg0: tensor<4x!quant.uniform<i8:f32, 0.25:-1>>) -> tensor<4xf32> {
  %0 = quant.dcast %arg0 : tensor<4x!quant.uniform<i8:f32, 0.25:-1>> to tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Integer conv: one generic per output element, the taps as an scf.for nest
// accumulating (x - z_x)(w - z_w) in i32 from the bias, per-channel fixed-point
// requantization in i64 (round half up, arithmetic shift), relu as the clamp.
// Taps in the padding read a clamped index and are masked to 0.
// CHECK-LABEL: func.func @conv
// CHECK-DAG: %[[W:.+]] = arith.constant dense<{{.*}}> : tensor<2x1x3x3xi8>
// CHECK-DAG: %[[B:.+]] = arith.constant dense<[10, -10]> : tensor<2xi32>
// CHECK-DAG: %[[SHIFT:.+]] = arith.constant dense<[37, 38]> : tensor<2xi32>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel"]{{.*}} outs(%{{.*}} : tensor<1x2x3x3xi8>)
// CHECK: tensor.extract %[[B]]
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for
// CHECK: arith.select %{{.+}}, %{{.+}}, %{{.+}} : index
// CHECK: tensor.extract %arg0
// CHECK: tensor.extract %[[W]]
// CHECK: arith.select %{{.+}}, %{{.+}}, %{{.+}} : i32
// CHECK: arith.muli %{{.*}}, %{{.*}} : i32
// CHECK: tensor.extract %[[SHIFT]]
// CHECK: arith.shrsi %{{.*}}, %{{.*}} : i64
// CHECK: arith.maxsi
// CHECK: arith.trunci %{{.*}} : i64 to i8
!x = !quant.uniform<i8:f32, 0.05:-3>
!w = !quant.uniform<i8<-127:127>:f32:0, {0.02, 0.01}>
!y = !quant.uniform<i8:f32, 0.1:-128>
func.func @conv(%arg0: tensor<1x1x3x3x!x>) -> tensor<1x2x3x3x!y> {
  %w0 = qnn.constant dense<[[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]], [[[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]]]]> : tensor<2x1x3x3xi8>
  %w = quant.scast %w0 : tensor<2x1x3x3xi8> to tensor<2x1x3x3x!w>
  %b = qnn.constant dense<[10, -10]> : tensor<2xi32>
  %0 = qnn.conv %arg0, %w, %b {activation = #qnn.activation<relu>, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>}
      : (tensor<1x1x3x3x!x>, tensor<2x1x3x3x!w>, tensor<2xi32>) -> tensor<1x2x3x3x!y>
  return %0 : tensor<1x2x3x3x!y>
}

// -----

// Integer add: each side lifted by 2^20 and rescaled, then requantized; the
// broadcast operand is read through its indexing map, not expanded.
// CHECK-LABEL: func.func @add
// CHECK: linalg.generic {{.*}} ins(%arg0, %arg1 : tensor<2x3xi8>, tensor<1x3xi8>) outs(%{{.*}} : tensor<2x3xi8>)
// CHECK: arith.shli
// CHECK: arith.shli
// CHECK: arith.shrsi
func.func @add(%a: tensor<2x3x!quant.uniform<i8:f32, 0.1:1>>, %b: tensor<1x3x!quant.uniform<i8:f32, 0.2:-2>>)
    -> tensor<2x3x!quant.uniform<i8:f32, 0.25:0>> {
  %0 = qnn.add %a, %b : (tensor<2x3x!quant.uniform<i8:f32, 0.1:1>>, tensor<1x3x!quant.uniform<i8:f32, 0.2:-2>>) -> tensor<2x3x!quant.uniform<i8:f32, 0.25:0>>
  return %0 : tensor<2x3x!quant.uniform<i8:f32, 0.25:0>>
}

// -----

// A reshape that keeps the parameters is a view; one that changes them
// requantizes.
// CHECK-LABEL: func.func @reshape
// CHECK: %[[V:.+]] = tensor.collapse_shape %arg0 {{\[}}[0], [1, 2, 3]] : tensor<1x4x1x1xi8> into tensor<1x4xi8>
// CHECK-NOT: linalg.generic
// CHECK: return %[[V]]
func.func @reshape(%arg0: tensor<1x4x1x1x!quant.uniform<i8:f32, 0.1:1>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.1:1>> {
  %0 = qnn.reshape %arg0 : tensor<1x4x1x1x!quant.uniform<i8:f32, 0.1:1>> -> tensor<1x4x!quant.uniform<i8:f32, 0.1:1>>
  return %0 : tensor<1x4x!quant.uniform<i8:f32, 0.1:1>>
}

// -----

// Float conv with a fused residual and relu: bias, residual and activation in
// the same body.
// CHECK-LABEL: func.func @float_conv
// CHECK: linalg.generic
// CHECK: scf.for
// CHECK: arith.mulf
// CHECK: tensor.extract %arg1
// CHECK: arith.addf
// CHECK: arith.cmpf olt
// CHECK: arith.select
func.func @float_conv(%arg0: tensor<1x2x4x4xf32>, %arg1: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = qnn.constant dense<0.5> : tensor<2x2x1x1xf32>
  %b = qnn.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %0 = qnn.conv %arg0, %w, %b residual(%arg1) {activation = #qnn.activation<relu>, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}
      : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %0 : tensor<1x2x4x4xf32>
}

// -----

// Integer max pool: taps outside the input are skipped; the same parameters
// in and out, so no requantization.
// CHECK-LABEL: func.func @max_pool
// CHECK: linalg.generic
// CHECK: scf.for
// CHECK: arith.maxsi
// CHECK: arith.trunci %{{.*}} : i32 to i8
// CHECK-NOT: arith.shrsi
func.func @max_pool(%arg0: tensor<1x1x4x4x!quant.uniform<i8:f32, 0.1:1>>) -> tensor<1x1x2x2x!quant.uniform<i8:f32, 0.1:1>> {
  %0 = qnn.max_pool %arg0 {dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
      : tensor<1x1x4x4x!quant.uniform<i8:f32, 0.1:1>> -> tensor<1x1x2x2x!quant.uniform<i8:f32, 0.1:1>>
  return %0 : tensor<1x1x2x2x!quant.uniform<i8:f32, 0.1:1>>
}

// -----

// Table lookup: the code minus the type's minimum indexes the table.
// CHECK-LABEL: func.func @lut
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: arith.index_cast
// CHECK: tensor.extract %arg1
func.func @lut(%arg0: tensor<8x!quant.uniform<i8:f32, 0.1:0>>, %arg1: tensor<256xi8>) -> tensor<8x!quant.uniform<i8:f32, 0.05:0>> {
  %0 = qnn.lut %arg0, %arg1 : (tensor<8x!quant.uniform<i8:f32, 0.1:0>>, tensor<256xi8>) -> tensor<8x!quant.uniform<i8:f32, 0.05:0>>
  return %0 : tensor<8x!quant.uniform<i8:f32, 0.05:0>>
}

// -----

// Softmax: the row maxima and the row sums of exp(x - max) are kernels of
// their own, one loop over the row per row (before, every element
// recomputed both, n^2 reads per row); the elements then read them. exp is
// qopt/Quant/FloatMath.h's sequence of IEEE operations (the reference's), not
// math.exp, which libdevice would approximate on the GPU.
// CHECK-LABEL: func.func @softmax_rows
// CHECK: %[[MAX:.+]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<3x1xf32>)
// CHECK: scf.for
// CHECK: arith.maximumf
// CHECK: %[[SUM:.+]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<3x1xf32>)
// CHECK: tensor.extract %[[MAX]]
// CHECK: scf.for
// CHECK-NOT: math.exp
// CHECK: math.roundeven
// CHECK: math.fma
// CHECK: arith.shrsi
// CHECK: arith.bitcast
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<3x5xf32>)
// CHECK-NOT: scf.for
// CHECK: tensor.extract %[[MAX]]
// CHECK: tensor.extract %[[SUM]]
// CHECK: arith.divf
// CHECK: return
func.func @softmax_rows(%x: tensor<3x5xf32>) -> tensor<3x5xf32> {
  %0 = qnn.softmax %x {axis = -1 : i64} : tensor<3x5xf32> -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

// LayerNorm over the last two dimensions: the row means, then the
// reciprocal standard deviations from them, each a loop nest over the row
// per row; the elements read both.
// CHECK-LABEL: func.func @layer_norm_rows
// CHECK: %[[MEAN:.+]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<2x1x1xf32>)
// CHECK: scf.for
// CHECK: scf.for
// CHECK: %[[INV:.+]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<2x1x1xf32>)
// CHECK: tensor.extract %[[MEAN]]
// CHECK: math.sqrt
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<2x3x8xf32>)
// CHECK-NOT: scf.for
// CHECK: tensor.extract %[[MEAN]]
// CHECK: tensor.extract %[[INV]]
// CHECK: return
func.func @layer_norm_rows(%x: tensor<2x3x8xf32>, %s: tensor<8xf32>) -> tensor<2x3x8xf32> {
  %0 = qnn.layer_norm %x, %s {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x3x8xf32>, tensor<8xf32>) -> tensor<2x3x8xf32>
  return %0 : tensor<2x3x8xf32>
}

// -----

// Rows of 768 split into 16 lanes (qopt/Quant/RowReduction.h): one thread
// per (row, lane) folds the elements lane, lane + 16, ... (a trip count of
// its own), and one thread per row combines the lanes pairwise (8 + 4 + 2 +
// 1 = 15 adds) before dividing by the count. Then the same for the
// squared deviations, then the elements.
// CHECK-LABEL: func.func @layer_norm_lanes
// CHECK: %[[MP:.+]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<4x1x16xf32>)
// CHECK: %[[LANE:.+]] = linalg.index 2 : index
// CHECK: %[[LAST:.+]] = arith.subi %{{.*}}, %[[LANE]] : index
// CHECK: %[[Q:.+]] = arith.divui %[[LAST]], %{{.*}} : index
// CHECK: %[[TRIPS:.+]] = arith.addi %[[Q]], %{{.*}} : index
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[TRIPS]]
// CHECK: %[[MEAN:.+]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<4x1xf32>)
// CHECK-NOT: scf.for
// CHECK-COUNT-15: arith.addf
// CHECK: arith.divf
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<4x1x16xf32>)
// CHECK: tensor.extract %[[MEAN]]
// CHECK: scf.for
// CHECK: %[[INV:.+]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<4x1xf32>)
// CHECK: math.sqrt
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<4x768xf32>)
// CHECK: return
func.func @layer_norm_lanes(%x: tensor<4x768xf32>, %s: tensor<768xf32>) -> tensor<4x768xf32> {
  %0 = qnn.layer_norm %x, %s {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<4x768xf32>, tensor<768xf32>) -> tensor<4x768xf32>
  return %0 : tensor<4x768xf32>
}

// -----

// A reduction over two non-adjacent dimensions (2 x 40 = 80 elements: 2
// lanes) without keepdims: the lane's row position r is split into the two
// coordinates (r / 40, r % 40); the result drops the reduced dimensions.
// CHECK-LABEL: func.func @reduce_sum_lanes
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x3x1x2xf32>)
// CHECK: scf.for
// CHECK: arith.remui %{{.*}}, %{{.*}} : index
// CHECK: arith.divui %{{.*}}, %{{.*}} : index
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<3xf32>)
// CHECK: arith.addf
// CHECK-NOT: arith.addf
// CHECK: return
func.func @reduce_sum_lanes(%x: tensor<2x3x40xf32>) -> tensor<3xf32> {
  %0 = qnn.reduce_sum %x {axes = array<i64: 0, 2>, keepdims = false} : tensor<2x3x40xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
