// RUN: qopt %s -split-input-file --qopt-fold-qdq --verify-diagnostics | FileCheck %s

// dcast -> conv -> qcast becomes an integer conv. The float bias becomes an
// int32 constant with scale s_x * s_w[c] = 0.5 * {0.25, 0.125, 0.5}, rounded
// half to even: 0.3125 / 0.125 = 2.5 -> 2, -0.09375 / 0.0625 = -1.5 -> -2,
// 0.875 / 0.25 = 3.5 -> 4 (half away from zero would give 3, -2, 4).
// CHECK-LABEL: func.func @conv
// CHECK-NEXT: %[[QX:.+]] = quant.qcast %arg0 : tensor<1x2x3x3xf32> to tensor<1x2x3x3x!quant.uniform<i8:f32, 5.000000e-01:-1>>
// CHECK-NEXT: %[[W:.+]] = qnn.constant dense<{{.*}}> : tensor<3x2x1x1xi8>
// CHECK-NEXT: %[[SW:.+]] = quant.scast %[[W]]
// CHECK-NEXT: %[[B:.+]] = qnn.constant dense<[2, -2, 4]> : tensor<3xi32>
// CHECK-NEXT: %[[C:.+]] = qnn.conv %[[QX]], %[[SW]], %[[B]] {activation = #qnn.activation<relu>{{.*}}} : (tensor<1x2x3x3x!quant.uniform<i8:f32, 5.000000e-01:-1>>, tensor<3x2x1x1x!quant.uniform<i8<-127:127>:f32:0, {2.500000e-01,1.250000e-01,5.000000e-01}>>, tensor<3xi32>) -> tensor<1x3x3x3x!quant.uniform<i8:f32, 2.000000e-01:4>>
// CHECK-NEXT: %[[D:.+]] = quant.dcast %[[C]]
// CHECK-NEXT: return %[[D]]
func.func @conv(%x: tensor<1x2x3x3xf32>) -> tensor<1x3x3x3xf32> {
  %q = quant.qcast %x : tensor<1x2x3x3xf32> to tensor<1x2x3x3x!quant.uniform<i8:f32, 0.5:-1>>
  %d = quant.dcast %q : tensor<1x2x3x3x!quant.uniform<i8:f32, 0.5:-1>> to tensor<1x2x3x3xf32>
  %w = qnn.constant dense<[[[[1]], [[-2]]], [[[3]], [[127]]], [[[-127]], [[0]]]]> : tensor<3x2x1x1xi8>
  %sw = quant.scast %w : tensor<3x2x1x1xi8> to tensor<3x2x1x1x!quant.uniform<i8<-127:127>:f32:0, {0.25, 0.125, 0.5}>>
  %dw = quant.dcast %sw : tensor<3x2x1x1x!quant.uniform<i8<-127:127>:f32:0, {0.25, 0.125, 0.5}>> to tensor<3x2x1x1xf32>
  %b = qnn.constant dense<[0.3125, -0.09375, 0.875]> : tensor<3xf32>
  %c = qnn.conv %d, %dw, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64, activation = #qnn.activation<relu>} : (tensor<1x2x3x3xf32>, tensor<3x2x1x1xf32>, tensor<3xf32>) -> tensor<1x3x3x3xf32>
  %qc = quant.qcast %c : tensor<1x3x3x3xf32> to tensor<1x3x3x3x!quant.uniform<i8:f32, 0.2:4>>
  %dc = quant.dcast %qc : tensor<1x3x3x3x!quant.uniform<i8:f32, 0.2:4>> to tensor<1x3x3x3xf32>
  return %dc : tensor<1x3x3x3xf32>
}

// -----

// Depthwise (group = channels): one weight scale and one bias per channel,
// 0.25 * {0.5, 0.03125}: 1.0 / 0.125 = 8, -0.0234375 / 0.0078125 = -3.
// CHECK-LABEL: func.func @depthwise
// CHECK-DAG: %[[B:.+]] = qnn.constant dense<[8, -3]> : tensor<2xi32>
// CHECK: qnn.conv %{{.+}}, %{{.+}}, %[[B]] {{.*}}group = 2 : i64{{.*}} -> tensor<1x2x2x2x!quant.uniform<i8:f32, 1.000000e-01>>
// CHECK-NOT: quant.qcast
func.func @depthwise(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x2x2xf32> {
  %q = quant.qcast %x : tensor<1x2x3x3xf32> to tensor<1x2x3x3x!quant.uniform<i8:f32, 0.25:0>>
  %d = quant.dcast %q : tensor<1x2x3x3x!quant.uniform<i8:f32, 0.25:0>> to tensor<1x2x3x3xf32>
  %w = qnn.constant dense<[[[[1, 2], [3, 4]]], [[[5, 6], [7, 8]]]]> : tensor<2x1x2x2xi8>
  %sw = quant.scast %w : tensor<2x1x2x2xi8> to tensor<2x1x2x2x!quant.uniform<i8<-127:127>:f32:0, {0.5, 0.03125}>>
  %dw = quant.dcast %sw : tensor<2x1x2x2x!quant.uniform<i8<-127:127>:f32:0, {0.5, 0.03125}>> to tensor<2x1x2x2xf32>
  %b = qnn.constant dense<[1.0, -0.0234375]> : tensor<2xf32>
  %c = qnn.conv %d, %dw, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 2 : i64} : (tensor<1x2x3x3xf32>, tensor<2x1x2x2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  %qc = quant.qcast %c : tensor<1x2x2x2xf32> to tensor<1x2x2x2x!quant.uniform<i8:f32, 0.1:0>>
  %dc = quant.dcast %qc : tensor<1x2x2x2x!quant.uniform<i8:f32, 0.1:0>> to tensor<1x2x2x2xf32>
  return %dc : tensor<1x2x2x2xf32>
}

// -----

// Grouped conv_transpose: per-axis weights along axis 1 hold one scale per
// output channel of a group (2 here), shared by the groups, so output
// channel m uses s_w[m % 2]: 0.5 * {0.25, 0.5} for channels 0, 2 and 1, 3.
// 1.0 / 0.125 = 8, 1.0 / 0.25 = 4, -0.5 / 0.125 = -4, 0.375 / 0.25 = 1.5 -> 2.
// CHECK-LABEL: func.func @conv_transpose_groups
// CHECK-DAG: %[[B:.+]] = qnn.constant dense<[8, 4, -4, 2]> : tensor<4xi32>
// CHECK: qnn.conv_transpose %{{.+}}, %{{.+}}, %[[B]] {{.*}} -> tensor<1x4x2x2x!quant.uniform<i8:f32, 1.000000e-01>>
func.func @conv_transpose_groups(%x: tensor<1x2x2x2xf32>) -> tensor<1x4x2x2xf32> {
  %q = quant.qcast %x : tensor<1x2x2x2xf32> to tensor<1x2x2x2x!quant.uniform<i8:f32, 0.5:0>>
  %d = quant.dcast %q : tensor<1x2x2x2x!quant.uniform<i8:f32, 0.5:0>> to tensor<1x2x2x2xf32>
  %w = qnn.constant dense<[[[[1]], [[2]]], [[[3]], [[4]]]]> : tensor<2x2x1x1xi8>
  %sw = quant.scast %w : tensor<2x2x1x1xi8> to tensor<2x2x1x1x!quant.uniform<i8<-127:127>:f32:1, {0.25, 0.5}>>
  %dw = quant.dcast %sw : tensor<2x2x1x1x!quant.uniform<i8<-127:127>:f32:1, {0.25, 0.5}>> to tensor<2x2x1x1xf32>
  %b = qnn.constant dense<[1.0, 1.0, -0.5, 0.375]> : tensor<4xf32>
  %c = qnn.conv_transpose %d, %dw, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: 0, 0>, group = 2 : i64} : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>, tensor<4xf32>) -> tensor<1x4x2x2xf32>
  %qc = quant.qcast %c : tensor<1x4x2x2xf32> to tensor<1x4x2x2x!quant.uniform<i8:f32, 0.1:0>>
  %dc = quant.dcast %qc : tensor<1x4x2x2x!quant.uniform<i8:f32, 0.1:0>> to tensor<1x4x2x2xf32>
  return %dc : tensor<1x4x2x2xf32>
}

// -----

// Gemm with B transposed (per-axis along N = axis 0) and a C of N elements:
// 0.5 * {0.25, 0.125, 0.5}: 0.375 / 0.125 = 3, -0.34375 / 0.0625 = -5.5 -> -6,
// 0.125 / 0.25 = 0.5 -> 0. A single-element C becomes N int32 values, one
// per column scale: 0.25 / {0.125, 0.0625, 0.25} = 2, 4, 1.
// CHECK-LABEL: func.func @gemm
// CHECK-DAG: %[[C1:.+]] = qnn.constant dense<[3, -6, 0]> : tensor<3xi32>
// CHECK-DAG: %[[QA:.+]] = quant.qcast %arg0 : tensor<2x4xf32> to tensor<2x4x!quant.uniform<i8:f32, 5.000000e-01>>
// CHECK-DAG: %[[B:.+]] = quant.scast
// CHECK: qnn.gemm %[[QA]], %[[B]], %[[C1]] {trans_b = true} : (tensor<2x4x!quant.uniform<i8:f32, 5.000000e-01>>, tensor<3x4x!quant.uniform<i8<-127:127>:f32:0, {2.500000e-01,1.250000e-01,5.000000e-01}>>, tensor<3xi32>) -> tensor<2x3x!quant.uniform<i8:f32, 1.000000e-01:3>>
// CHECK: %[[C2:.+]] = qnn.constant dense<[2, 4, 1]> : tensor<3xi32>
// CHECK-NEXT: qnn.gemm %[[QA]], %[[B]], %[[C2]] {trans_b = true} : ({{.*}}, tensor<3xi32>) -> tensor<2x3x!quant.uniform<i8:f32, 1.000000e-01:3>>
// CHECK-NOT: quant.qcast
func.func @gemm(%a: tensor<2x4xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %qa = quant.qcast %a : tensor<2x4xf32> to tensor<2x4x!quant.uniform<i8:f32, 0.5:0>>
  %da = quant.dcast %qa : tensor<2x4x!quant.uniform<i8:f32, 0.5:0>> to tensor<2x4xf32>
  %b = qnn.constant dense<[[1, 2, 3, 4], [-1, -2, -3, -4], [127, 0, -127, 5]]> : tensor<3x4xi8>
  %sb = quant.scast %b : tensor<3x4xi8> to tensor<3x4x!quant.uniform<i8<-127:127>:f32:0, {0.25, 0.125, 0.5}>>
  %db = quant.dcast %sb : tensor<3x4x!quant.uniform<i8<-127:127>:f32:0, {0.25, 0.125, 0.5}>> to tensor<3x4xf32>
  %c = qnn.constant dense<[0.375, -0.34375, 0.125]> : tensor<3xf32>
  %g = qnn.gemm %da, %db, %c {trans_b = true} : (tensor<2x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %qg = quant.qcast %g : tensor<2x3xf32> to tensor<2x3x!quant.uniform<i8:f32, 0.1:3>>
  %dg = quant.dcast %qg : tensor<2x3x!quant.uniform<i8:f32, 0.1:3>> to tensor<2x3xf32>
  %c1 = qnn.constant dense<[0.25]> : tensor<1xf32>
  %g1 = qnn.gemm %da, %db, %c1 {trans_b = true} : (tensor<2x4xf32>, tensor<3x4xf32>, tensor<1xf32>) -> tensor<2x3xf32>
  %qg1 = quant.qcast %g1 : tensor<2x3xf32> to tensor<2x3x!quant.uniform<i8:f32, 0.1:3>>
  %dg1 = quant.dcast %qg1 : tensor<2x3x!quant.uniform<i8:f32, 0.1:3>> to tensor<2x3xf32>
  return %dg, %dg1 : tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// MatMul with B per column (axis 1).
// CHECK-LABEL: func.func @matmul
// CHECK: %[[QA:.+]] = quant.qcast %arg0
// CHECK: %[[B:.+]] = quant.scast
// CHECK-NEXT: %[[M:.+]] = qnn.matmul %[[QA]], %[[B]] : (tensor<2x4x!quant.uniform<i8:f32, 5.000000e-01>>, tensor<4x3x!quant.uniform<i8<-127:127>:f32:1, {2.500000e-01,1.250000e-01,5.000000e-01}>>) -> tensor<2x3x!quant.uniform<i8:f32, 1.000000e-01:3>>
// CHECK-NEXT: quant.dcast %[[M]]
func.func @matmul(%a: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %qa = quant.qcast %a : tensor<2x4xf32> to tensor<2x4x!quant.uniform<i8:f32, 0.5:0>>
  %da = quant.dcast %qa : tensor<2x4x!quant.uniform<i8:f32, 0.5:0>> to tensor<2x4xf32>
  %b = qnn.constant dense<[[1, 2, 3], [4, -1, -2], [-3, -4, 127], [0, -127, 5]]> : tensor<4x3xi8>
  %sb = quant.scast %b : tensor<4x3xi8> to tensor<4x3x!quant.uniform<i8<-127:127>:f32:1, {0.25, 0.125, 0.5}>>
  %db = quant.dcast %sb : tensor<4x3x!quant.uniform<i8<-127:127>:f32:1, {0.25, 0.125, 0.5}>> to tensor<4x3xf32>
  %m = qnn.matmul %da, %db : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %qm = quant.qcast %m : tensor<2x3xf32> to tensor<2x3x!quant.uniform<i8:f32, 0.1:3>>
  %dm = quant.dcast %qm : tensor<2x3x!quant.uniform<i8:f32, 0.1:3>> to tensor<2x3xf32>
  return %dm : tensor<2x3xf32>
}

// -----

// Add and Mul of two tensors with different parameters; each operand keeps
// its own type (the integer op rescales them), the result takes the qcast's.
// CHECK-LABEL: func.func @add_mul
// CHECK-DAG: %[[X:.+]] = quant.qcast %arg0 : tensor<1x8xf32> to tensor<1x8x!quant.uniform<i8:f32, 5.000000e-02:-3>>
// CHECK-DAG: %[[Y:.+]] = quant.qcast %arg1 : tensor<1x8xf32> to tensor<1x8x!quant.uniform<i8:f32, 1.000000e-01:7>>
// CHECK: %[[A:.+]] = qnn.add %[[X]], %[[Y]] : (tensor<1x8x!quant.uniform<i8:f32, 5.000000e-02:-3>>, tensor<1x8x!quant.uniform<i8:f32, 1.000000e-01:7>>) -> tensor<1x8x!quant.uniform<i8:f32, 2.000000e-01:1>>
// CHECK: qnn.mul %[[A]], %[[Y]] : (tensor<1x8x!quant.uniform<i8:f32, 2.000000e-01:1>>, tensor<1x8x!quant.uniform<i8:f32, 1.000000e-01:7>>) -> tensor<1x8x!quant.uniform<i8:f32, 4.000000e-01:-2>>
// CHECK-NOT: quant.qcast
func.func @add_mul(%x: tensor<1x8xf32>, %y: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %qx = quant.qcast %x : tensor<1x8xf32> to tensor<1x8x!quant.uniform<i8:f32, 0.05:-3>>
  %dx = quant.dcast %qx : tensor<1x8x!quant.uniform<i8:f32, 0.05:-3>> to tensor<1x8xf32>
  %qy = quant.qcast %y : tensor<1x8xf32> to tensor<1x8x!quant.uniform<i8:f32, 0.1:7>>
  %dy = quant.dcast %qy : tensor<1x8x!quant.uniform<i8:f32, 0.1:7>> to tensor<1x8xf32>
  %a = qnn.add %dx, %dy : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  %qa = quant.qcast %a : tensor<1x8xf32> to tensor<1x8x!quant.uniform<i8:f32, 0.2:1>>
  %da = quant.dcast %qa : tensor<1x8x!quant.uniform<i8:f32, 0.2:1>> to tensor<1x8xf32>
  %m = qnn.mul %da, %dy : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  %qm = quant.qcast %m : tensor<1x8xf32> to tensor<1x8x!quant.uniform<i8:f32, 0.4:-2>>
  %dm = quant.dcast %qm : tensor<1x8x!quant.uniform<i8:f32, 0.4:-2>> to tensor<1x8xf32>
  return %dm : tensor<1x8xf32>
}

// -----

// Pools: average pools requantize to their own output, max pool moves
// values (here to a different output type, which the integer op rescales).
// CHECK-LABEL: func.func @pools
// CHECK: %[[X:.+]] = quant.qcast %arg0 : tensor<1x2x4x4xf32> to tensor<1x2x4x4x!quant.uniform<i8:f32, 5.000000e-02:-3>>
// CHECK: qnn.avg_pool %[[X]] {{.*}} : tensor<1x2x4x4x!quant.uniform<i8:f32, 5.000000e-02:-3>> -> tensor<1x2x2x2x!quant.uniform<i8:f32, 4.000000e-02:-5>>
// CHECK: qnn.global_avg_pool %[[X]] : tensor<1x2x4x4x!quant.uniform<i8:f32, 5.000000e-02:-3>> -> tensor<1x2x1x1x!quant.uniform<i8:f32, 3.000000e-02:-6>>
// CHECK: qnn.max_pool %[[X]] {{.*}} : tensor<1x2x4x4x!quant.uniform<i8:f32, 5.000000e-02:-3>> -> tensor<1x2x2x2x!quant.uniform<i8:f32, 5.000000e-02:-3>>
// CHECK-NOT: quant.qcast
func.func @pools(%x: tensor<1x2x4x4xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x1x1xf32>, tensor<1x2x2x2xf32>) {
  %q = quant.qcast %x : tensor<1x2x4x4xf32> to tensor<1x2x4x4x!quant.uniform<i8:f32, 0.05:-3>>
  %d = quant.dcast %q : tensor<1x2x4x4x!quant.uniform<i8:f32, 0.05:-3>> to tensor<1x2x4x4xf32>
  %a = qnn.avg_pool %d {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x2x4x4xf32> -> tensor<1x2x2x2xf32>
  %qa = quant.qcast %a : tensor<1x2x2x2xf32> to tensor<1x2x2x2x!quant.uniform<i8:f32, 0.04:-5>>
  %da = quant.dcast %qa : tensor<1x2x2x2x!quant.uniform<i8:f32, 0.04:-5>> to tensor<1x2x2x2xf32>
  %g = qnn.global_avg_pool %d : tensor<1x2x4x4xf32> -> tensor<1x2x1x1xf32>
  %qg = quant.qcast %g : tensor<1x2x1x1xf32> to tensor<1x2x1x1x!quant.uniform<i8:f32, 0.03:-6>>
  %dg = quant.dcast %qg : tensor<1x2x1x1x!quant.uniform<i8:f32, 0.03:-6>> to tensor<1x2x1x1xf32>
  %m = qnn.max_pool %d {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x2x4x4xf32> -> tensor<1x2x2x2xf32>
  %qm = quant.qcast %m : tensor<1x2x2x2xf32> to tensor<1x2x2x2x!quant.uniform<i8:f32, 0.05:-3>>
  %dm = quant.dcast %qm : tensor<1x2x2x2x!quant.uniform<i8:f32, 0.05:-3>> to tensor<1x2x2x2xf32>
  return %da, %dg, %dm : tensor<1x2x2x2xf32>, tensor<1x2x1x1xf32>, tensor<1x2x2x2xf32>
}

// -----

// Concat of inputs with different parameters, a table op and a nearest
// resize.
// CHECK-LABEL: func.func @concat_table_resize
// CHECK-DAG: %[[X:.+]] = quant.qcast %arg0 : tensor<1x4xf32> to tensor<1x4x!quant.uniform<i8:f32, 5.000000e-02:-3>>
// CHECK-DAG: %[[Y:.+]] = quant.qcast %arg1 : tensor<1x4xf32> to tensor<1x4x!quant.uniform<i8:f32, 1.000000e-01>>
// CHECK: %[[C:.+]] = qnn.concat %[[X]], %[[Y]] {axis = 1 : i64} : (tensor<1x4x!quant.uniform<i8:f32, 5.000000e-02:-3>>, tensor<1x4x!quant.uniform<i8:f32, 1.000000e-01>>) -> tensor<1x8x!quant.uniform<i8:f32, 1.000000e-01>>
// CHECK: %[[H:.+]] = qnn.hard_swish %[[C]] : tensor<1x8x!quant.uniform<i8:f32, 1.000000e-01>> -> tensor<1x8x!quant.uniform<i8:f32, 5.000000e-02:-120>>
// CHECK: %[[Z:.+]] = quant.qcast %arg2
// CHECK: qnn.resize %[[Z]] {{.*}}mode = #qnn.resize_mode<nearest>{{.*}} : tensor<1x1x2x2x!quant.uniform<i8:f32, 2.500000e-01:10>> -> tensor<1x1x4x4x!quant.uniform<i8:f32, 2.500000e-01:10>>
// CHECK-NOT: quant.qcast
func.func @concat_table_resize(%x: tensor<1x4xf32>, %y: tensor<1x4xf32>, %z: tensor<1x1x2x2xf32>) -> (tensor<1x8xf32>, tensor<1x1x4x4xf32>) {
  %qx = quant.qcast %x : tensor<1x4xf32> to tensor<1x4x!quant.uniform<i8:f32, 0.05:-3>>
  %dx = quant.dcast %qx : tensor<1x4x!quant.uniform<i8:f32, 0.05:-3>> to tensor<1x4xf32>
  %qy = quant.qcast %y : tensor<1x4xf32> to tensor<1x4x!quant.uniform<i8:f32, 0.1:0>>
  %dy = quant.dcast %qy : tensor<1x4x!quant.uniform<i8:f32, 0.1:0>> to tensor<1x4xf32>
  %c = qnn.concat %dx, %dy {axis = 1 : i64} : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x8xf32>
  %qc = quant.qcast %c : tensor<1x8xf32> to tensor<1x8x!quant.uniform<i8:f32, 0.1:0>>
  %dc = quant.dcast %qc : tensor<1x8x!quant.uniform<i8:f32, 0.1:0>> to tensor<1x8xf32>
  %h = qnn.hard_swish %dc : tensor<1x8xf32> -> tensor<1x8xf32>
  %qh = quant.qcast %h : tensor<1x8xf32> to tensor<1x8x!quant.uniform<i8:f32, 0.05:-120>>
  %dh = quant.dcast %qh : tensor<1x8x!quant.uniform<i8:f32, 0.05:-120>> to tensor<1x8xf32>
  %qz = quant.qcast %z : tensor<1x1x2x2xf32> to tensor<1x1x2x2x!quant.uniform<i8:f32, 0.25:10>>
  %dz = quant.dcast %qz : tensor<1x1x2x2x!quant.uniform<i8:f32, 0.25:10>> to tensor<1x1x2x2xf32>
  %r = qnn.resize %dz {mode = #qnn.resize_mode<nearest>, coordinate_transform = #qnn.coordinate_transform<asymmetric>, nearest_mode = #qnn.nearest_mode<floor>, scales = array<f32: 1.0, 1.0, 2.0, 2.0>} : tensor<1x1x2x2xf32> -> tensor<1x1x4x4xf32>
  %qr = quant.qcast %r : tensor<1x1x4x4xf32> to tensor<1x1x4x4x!quant.uniform<i8:f32, 0.25:10>>
  %dr = quant.dcast %qr : tensor<1x1x4x4x!quant.uniform<i8:f32, 0.25:10>> to tensor<1x1x4x4xf32>
  return %dh, %dr : tensor<1x8xf32>, tensor<1x1x4x4xf32>
}

// -----

// Cast pairs: qcast(dcast(q)) to the same type is q; to another per-tensor
// type it is a qnn.requantize; per axis to per tensor stays a float round
// trip. Casts left without users disappear, with the constants behind them.
// CHECK-LABEL: func.func @cast_pairs
// CHECK-NEXT: %[[Q:.+]] = quant.qcast %arg0 : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 5.000000e-02:-3>>
// CHECK-NEXT: %[[R:.+]] = qnn.requantize %[[Q]] : tensor<4x!quant.uniform<i8:f32, 5.000000e-02:-3>> -> tensor<4x!quant.uniform<i8:f32, 1.000000e-01:7>>
// CHECK-NEXT: %[[A:.+]] = quant.qcast %arg1 : tensor<1x4xf32> to tensor<1x4x!quant.uniform<i8:f32:1, {{.*}}>>
// CHECK-NEXT: %[[DA:.+]] = quant.dcast %[[A]]
// CHECK-NEXT: %[[QA:.+]] = quant.qcast %[[DA]] : tensor<1x4xf32> to tensor<1x4x!quant.uniform<i8:f32, 1.000000e-01>>
// CHECK-NEXT: return %[[Q]], %[[R]], %[[QA]]
func.func @cast_pairs(%x: tensor<4xf32>, %y: tensor<1x4xf32>) -> (tensor<4x!quant.uniform<i8:f32, 0.05:-3>>, tensor<4x!quant.uniform<i8:f32, 0.1:7>>, tensor<1x4x!quant.uniform<i8:f32, 0.1:0>>) {
  %q = quant.qcast %x : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 0.05:-3>>
  %d = quant.dcast %q : tensor<4x!quant.uniform<i8:f32, 0.05:-3>> to tensor<4xf32>
  %same = quant.qcast %d : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 0.05:-3>>
  %other = quant.qcast %d : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 0.1:7>>
  %a = quant.qcast %y : tensor<1x4xf32> to tensor<1x4x!quant.uniform<i8:f32:1, {0.1, 0.2, 0.3, 0.4}>>
  %da = quant.dcast %a : tensor<1x4x!quant.uniform<i8:f32:1, {0.1, 0.2, 0.3, 0.4}>> to tensor<1x4xf32>
  %qa = quant.qcast %da : tensor<1x4xf32> to tensor<1x4x!quant.uniform<i8:f32, 0.1:0>>
  %dead_q = quant.qcast %x : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 0.5:0>>
  %dead_d = quant.dcast %dead_q : tensor<4x!quant.uniform<i8:f32, 0.5:0>> to tensor<4xf32>
  %dead_w = qnn.constant dense<[5, 6, 7, 8]> : tensor<4xi8>
  %dead_s = quant.scast %dead_w : tensor<4xi8> to tensor<4x!quant.uniform<i8:f32, 0.5:0>>
  %dead_ds = quant.dcast %dead_s : tensor<4x!quant.uniform<i8:f32, 0.5:0>> to tensor<4xf32>
  return %same, %other, %qa : tensor<4x!quant.uniform<i8:f32, 0.05:-3>>, tensor<4x!quant.uniform<i8:f32, 0.1:7>>, tensor<1x4x!quant.uniform<i8:f32, 0.1:0>>
}

// -----

// Ops without an integer form stay float between their casts, each with a
// remark saying why.
// CHECK-LABEL: func.func @gemm_alpha
// CHECK: qnn.gemm %{{.+}}, %{{.+}}, %{{.+}} {alpha = 2.000000e+00 : f32, trans_b = true} : (tensor<2x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: quant.qcast
func.func @gemm_alpha(%a: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %qa = quant.qcast %a : tensor<2x4xf32> to tensor<2x4x!quant.uniform<i8:f32, 0.5:0>>
  %da = quant.dcast %qa : tensor<2x4x!quant.uniform<i8:f32, 0.5:0>> to tensor<2x4xf32>
  %b = qnn.constant dense<[[1, 2, 3, 4], [-1, -2, -3, -4], [127, 0, -127, 5]]> : tensor<3x4xi8>
  %sb = quant.scast %b : tensor<3x4xi8> to tensor<3x4x!quant.uniform<i8<-127:127>:f32:0, {0.25, 0.125, 0.5}>>
  %db = quant.dcast %sb : tensor<3x4x!quant.uniform<i8<-127:127>:f32:0, {0.25, 0.125, 0.5}>> to tensor<3x4xf32>
  %c = qnn.constant dense<[0.375, -0.34375, 0.125]> : tensor<3xf32>
  // expected-remark @+1 {{'qnn.gemm' stays float: gemm with alpha or beta other than 1}}
  %g = qnn.gemm %da, %db, %c {alpha = 2.0 : f32, trans_b = true} : (tensor<2x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %qg = quant.qcast %g : tensor<2x3xf32> to tensor<2x3x!quant.uniform<i8:f32, 0.1:3>>
  %dg = quant.dcast %qg : tensor<2x3x!quant.uniform<i8:f32, 0.1:3>> to tensor<2x3xf32>
  return %dg : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @resize_linear
// CHECK: qnn.resize %{{.+}} {{.*}} : tensor<1x1x2x2xf32> -> tensor<1x1x4x4xf32>
func.func @resize_linear(%z: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  %qz = quant.qcast %z : tensor<1x1x2x2xf32> to tensor<1x1x2x2x!quant.uniform<i8:f32, 0.25:10>>
  %dz = quant.dcast %qz : tensor<1x1x2x2x!quant.uniform<i8:f32, 0.25:10>> to tensor<1x1x2x2xf32>
  // expected-remark @+1 {{'qnn.resize' stays float: only nearest resize is integer}}
  %r = qnn.resize %dz {mode = #qnn.resize_mode<linear>, coordinate_transform = #qnn.coordinate_transform<asymmetric>, nearest_mode = #qnn.nearest_mode<floor>, scales = array<f32: 1.0, 1.0, 2.0, 2.0>} : tensor<1x1x2x2xf32> -> tensor<1x1x4x4xf32>
  %qr = quant.qcast %r : tensor<1x1x4x4xf32> to tensor<1x1x4x4x!quant.uniform<i8:f32, 0.25:10>>
  %dr = quant.dcast %qr : tensor<1x1x4x4x!quant.uniform<i8:f32, 0.25:10>> to tensor<1x1x4x4xf32>
  return %dr : tensor<1x1x4x4xf32>
}

// -----

// Activations quantized per axis (as an imported model may have them) have
// no integer kernel, for a conv input as for an add operand.
// CHECK-LABEL: func.func @per_axis_activation
// CHECK: qnn.conv {{.*}} : (tensor<1x2x1x1xf32>, tensor<1x2x1x1xf32>) -> tensor<1x1x1x1xf32>
// CHECK: qnn.add {{.*}} : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x2xf32>
func.func @per_axis_activation(%x: tensor<1x2x1x1xf32>, %y: tensor<1x2xf32>) -> (tensor<1x1x1x1xf32>, tensor<1x2xf32>) {
  %q = quant.qcast %x : tensor<1x2x1x1xf32> to tensor<1x2x1x1x!quant.uniform<i8:f32:1, {0.1, 0.2}>>
  %d = quant.dcast %q : tensor<1x2x1x1x!quant.uniform<i8:f32:1, {0.1, 0.2}>> to tensor<1x2x1x1xf32>
  %w = qnn.constant dense<[[[[1]], [[2]]]]> : tensor<1x2x1x1xi8>
  %sw = quant.scast %w : tensor<1x2x1x1xi8> to tensor<1x2x1x1x!quant.uniform<i8<-127:127>:f32:0, {0.5}>>
  %dw = quant.dcast %sw : tensor<1x2x1x1x!quant.uniform<i8<-127:127>:f32:0, {0.5}>> to tensor<1x2x1x1xf32>
  // expected-remark @+1 {{'qnn.conv' stays float: conv needs an 8-bit per-tensor input and 8-bit weights per tensor or axis 0}}
  %c = qnn.conv %d, %dw {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x1x1xf32>, tensor<1x2x1x1xf32>) -> tensor<1x1x1x1xf32>
  %qc = quant.qcast %c : tensor<1x1x1x1xf32> to tensor<1x1x1x1x!quant.uniform<i8:f32, 0.1:0>>
  %dc = quant.dcast %qc : tensor<1x1x1x1x!quant.uniform<i8:f32, 0.1:0>> to tensor<1x1x1x1xf32>
  %qy = quant.qcast %y : tensor<1x2xf32> to tensor<1x2x!quant.uniform<i8:f32:1, {0.1, 0.2}>>
  %dy = quant.dcast %qy : tensor<1x2x!quant.uniform<i8:f32:1, {0.1, 0.2}>> to tensor<1x2xf32>
  // expected-remark @+1 {{'qnn.add' stays float: operands must be 8-bit per tensor}}
  %a = qnn.add %dy, %dy : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x2xf32>
  %qa = quant.qcast %a : tensor<1x2xf32> to tensor<1x2x!quant.uniform<i8:f32, 0.1:0>>
  %da = quant.dcast %qa : tensor<1x2x!quant.uniform<i8:f32, 0.1:0>> to tensor<1x2xf32>
  return %dc, %da : tensor<1x1x1x1xf32>, tensor<1x2xf32>
}

// -----

// A result read by more than its qcast (here also returned in float), or
// quantized per axis, has no single per-tensor output type.
// CHECK-LABEL: func.func @result_not_single_qcast
// CHECK: %[[R:.+]] = qnn.relu %{{.+}} : tensor<1x8xf32> -> tensor<1x8xf32>
// CHECK: %[[H:.+]] = qnn.hard_swish %{{.+}} : tensor<1x8xf32> -> tensor<1x8xf32>
// CHECK: return %{{.+}}, %[[R]]
func.func @result_not_single_qcast(%x: tensor<1x8xf32>) -> (tensor<1x8xf32>, tensor<1x8xf32>, tensor<1x8xf32>) {
  %q = quant.qcast %x : tensor<1x8xf32> to tensor<1x8x!quant.uniform<i8:f32, 0.05:-3>>
  %d = quant.dcast %q : tensor<1x8x!quant.uniform<i8:f32, 0.05:-3>> to tensor<1x8xf32>
  // expected-remark @+1 {{'qnn.relu' stays float: its result is not quantized by a single quant.qcast}}
  %r = qnn.relu %d : tensor<1x8xf32> -> tensor<1x8xf32>
  %qr = quant.qcast %r : tensor<1x8xf32> to tensor<1x8x!quant.uniform<i8:f32, 0.05:-3>>
  %dr = quant.dcast %qr : tensor<1x8x!quant.uniform<i8:f32, 0.05:-3>> to tensor<1x8xf32>
  // expected-remark @+1 {{'qnn.hard_swish' stays float: its result is quantized per axis}}
  %h = qnn.hard_swish %d : tensor<1x8xf32> -> tensor<1x8xf32>
  %qh = quant.qcast %h : tensor<1x8xf32> to tensor<1x8x!quant.uniform<i8:f32:0, {0.1}>>
  %dh = quant.dcast %qh : tensor<1x8x!quant.uniform<i8:f32:0, {0.1}>> to tensor<1x8xf32>
  return %dr, %r, %dh : tensor<1x8xf32>, tensor<1x8xf32>, tensor<1x8xf32>
}

// -----

// An operand that is not dequantized, a bias that is not a constant, and a
// fused activation that is not a clamp.
// CHECK-LABEL: func.func @float_operands
// CHECK: qnn.matmul {{.*}} : (tensor<1x4xf32>, tensor<4x4xf32>) -> tensor<1x4xf32>
// CHECK: qnn.conv {{.*}} : (tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>, tensor<1xf32>) -> tensor<1x1x2x2xf32>
// CHECK: qnn.conv {{.*}} : (tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x2x2xf32>
func.func @float_operands(%x: tensor<1x4xf32>, %w: tensor<4x4xf32>, %y: tensor<1x1x2x2xf32>, %b: tensor<1xf32>) -> (tensor<1x4xf32>, tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>) {
  %q = quant.qcast %x : tensor<1x4xf32> to tensor<1x4x!quant.uniform<i8:f32, 0.05:-3>>
  %d = quant.dcast %q : tensor<1x4x!quant.uniform<i8:f32, 0.05:-3>> to tensor<1x4xf32>
  // expected-remark @+1 {{'qnn.matmul' stays float: operand 1 is not dequantized}}
  %m = qnn.matmul %d, %w : (tensor<1x4xf32>, tensor<4x4xf32>) -> tensor<1x4xf32>
  %qm = quant.qcast %m : tensor<1x4xf32> to tensor<1x4x!quant.uniform<i8:f32, 0.1:0>>
  %dm = quant.dcast %qm : tensor<1x4x!quant.uniform<i8:f32, 0.1:0>> to tensor<1x4xf32>
  %qy = quant.qcast %y : tensor<1x1x2x2xf32> to tensor<1x1x2x2x!quant.uniform<i8:f32, 0.05:-3>>
  %dy = quant.dcast %qy : tensor<1x1x2x2x!quant.uniform<i8:f32, 0.05:-3>> to tensor<1x1x2x2xf32>
  %cw = qnn.constant dense<[[[[127]]]]> : tensor<1x1x1x1xi8>
  %sw = quant.scast %cw : tensor<1x1x1x1xi8> to tensor<1x1x1x1x!quant.uniform<i8<-127:127>:f32:0, {0.01}>>
  %dw = quant.dcast %sw : tensor<1x1x1x1x!quant.uniform<i8<-127:127>:f32:0, {0.01}>> to tensor<1x1x1x1xf32>
  // expected-remark @+1 {{'qnn.conv' stays float: the bias is neither a float constant nor an int32 value scaled by s_x * s_w}}
  %c = qnn.conv %dy, %dw, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>, tensor<1xf32>) -> tensor<1x1x2x2xf32>
  %qc = quant.qcast %c : tensor<1x1x2x2xf32> to tensor<1x1x2x2x!quant.uniform<i8:f32, 0.2:-1>>
  %dc = quant.dcast %qc : tensor<1x1x2x2x!quant.uniform<i8:f32, 0.2:-1>> to tensor<1x1x2x2xf32>
  // expected-remark @+1 {{'qnn.conv' stays float: fused hard_swish is not a clamp}}
  %h = qnn.conv %dy, %dw {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64, activation = #qnn.activation<hard_swish>} : (tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x2x2xf32>
  %qh = quant.qcast %h : tensor<1x1x2x2xf32> to tensor<1x1x2x2x!quant.uniform<i8:f32, 0.2:-1>>
  %dh = quant.dcast %qh : tensor<1x1x2x2x!quant.uniform<i8:f32, 0.2:-1>> to tensor<1x1x2x2xf32>
  return %dm, %dc, %dh : tensor<1x4xf32>, tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>
}

// -----

// A bias beyond int32 at scale s_x * s_w = 2^-20 * 2^-20 saturates, and
// says so; the conv still folds.
// CHECK-LABEL: func.func @bias_saturates
// CHECK: qnn.constant dense<[2147483647, -2147483648, 1024]> : tensor<3xi32>
// CHECK: qnn.conv {{.*}} -> tensor<1x3x1x1x!quant.uniform<i8:f32, 1.000000e-01>>
func.func @bias_saturates(%x: tensor<1x1x1x1xf32>) -> tensor<1x3x1x1xf32> {
  %q = quant.qcast %x : tensor<1x1x1x1xf32> to tensor<1x1x1x1x!quant.uniform<i8:f32, 9.5367431640625e-07:0>>
  %d = quant.dcast %q : tensor<1x1x1x1x!quant.uniform<i8:f32, 9.5367431640625e-07:0>> to tensor<1x1x1x1xf32>
  %w = qnn.constant dense<[[[[1]]], [[[1]]], [[[1]]]]> : tensor<3x1x1x1xi8>
  %sw = quant.scast %w : tensor<3x1x1x1xi8> to tensor<3x1x1x1x!quant.uniform<i8<-127:127>:f32, 9.5367431640625e-07>>
  %dw = quant.dcast %sw : tensor<3x1x1x1x!quant.uniform<i8<-127:127>:f32, 9.5367431640625e-07>> to tensor<3x1x1x1xf32>
  %b = qnn.constant dense<[1.0, -1.0, 9.31322574615478515625e-10]> : tensor<3xf32>
  // expected-remark @+1 {{2 bias values saturated to int32}}
  %c = qnn.conv %d, %dw, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x1x1xf32>, tensor<3x1x1x1xf32>, tensor<3xf32>) -> tensor<1x3x1x1xf32>
  %qc = quant.qcast %c : tensor<1x3x1x1xf32> to tensor<1x3x1x1x!quant.uniform<i8:f32, 0.1:0>>
  %dc = quant.dcast %qc : tensor<1x3x1x1x!quant.uniform<i8:f32, 0.1:0>> to tensor<1x3x1x1xf32>
  return %dc : tensor<1x3x1x1xf32>
}
