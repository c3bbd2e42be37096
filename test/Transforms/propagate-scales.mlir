// RUN: qopt %s -split-input-file --qopt-propagate-scales --verify-diagnostics | FileCheck %s

// Same-scale ops move values without changing them: the qcast on their
// output takes the parameters of the dcast on their input (here 0.05:-3
// replaces the calibrated 0.1:7), so qopt-fold-qdq needs no requantization.
// CHECK-LABEL: func.func @max_pool
// CHECK: %[[P:.+]] = qnn.max_pool
// CHECK-NEXT: quant.qcast %[[P]] : tensor<1x2x2x2xf32> to tensor<1x2x2x2x!quant.uniform<i8:f32, 5.000000e-02:-3>>
// CHECK-NOT: 1.000000e-01:7
func.func @max_pool(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %q = quant.qcast %x : tensor<1x2x4x4xf32> to tensor<1x2x4x4x!quant.uniform<i8:f32, 0.05:-3>>
  %d = quant.dcast %q : tensor<1x2x4x4x!quant.uniform<i8:f32, 0.05:-3>> to tensor<1x2x4x4xf32>
  %p = qnn.max_pool %d {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x2x4x4xf32> -> tensor<1x2x2x2xf32>
  %qp = quant.qcast %p : tensor<1x2x2x2xf32> to tensor<1x2x2x2x!quant.uniform<i8:f32, 0.1:7>>
  %dp = quant.dcast %qp : tensor<1x2x2x2x!quant.uniform<i8:f32, 0.1:7>> to tensor<1x2x2x2xf32>
  return %dp : tensor<1x2x2x2xf32>
}

// -----

// CHECK-LABEL: func.func @reshape
// CHECK: %[[R:.+]] = qnn.reshape
// CHECK-NEXT: %[[Q:.+]] = quant.qcast %[[R]] : tensor<2x8xf32> to tensor<2x8x!quant.uniform<i8:f32, 5.000000e-02:-3>>
// CHECK-NEXT: quant.dcast %[[Q]] : tensor<2x8x!quant.uniform<i8:f32, 5.000000e-02:-3>> to tensor<2x8xf32>
func.func @reshape(%x: tensor<4x4xf32>) -> tensor<2x8xf32> {
  %q = quant.qcast %x : tensor<4x4xf32> to tensor<4x4x!quant.uniform<i8:f32, 0.05:-3>>
  %d = quant.dcast %q : tensor<4x4x!quant.uniform<i8:f32, 0.05:-3>> to tensor<4x4xf32>
  %r = qnn.reshape %d : tensor<4x4xf32> -> tensor<2x8xf32>
  %qr = quant.qcast %r : tensor<2x8xf32> to tensor<2x8x!quant.uniform<i8:f32, 0.1:7>>
  %dr = quant.dcast %qr : tensor<2x8x!quant.uniform<i8:f32, 0.1:7>> to tensor<2x8xf32>
  return %dr : tensor<2x8xf32>
}

// -----

// CHECK-LABEL: func.func @transpose
// CHECK: %[[T:.+]] = qnn.transpose
// CHECK-NEXT: quant.qcast %[[T]] : tensor<3x2xf32> to tensor<3x2x!quant.uniform<i8:f32, 5.000000e-02:-3>>
func.func @transpose(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %q = quant.qcast %x : tensor<2x3xf32> to tensor<2x3x!quant.uniform<i8:f32, 0.05:-3>>
  %d = quant.dcast %q : tensor<2x3x!quant.uniform<i8:f32, 0.05:-3>> to tensor<2x3xf32>
  %t = qnn.transpose %d {perm = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<3x2xf32>
  %qt = quant.qcast %t : tensor<3x2xf32> to tensor<3x2x!quant.uniform<i8:f32, 0.1:7>>
  %dt = quant.dcast %qt : tensor<3x2x!quant.uniform<i8:f32, 0.1:7>> to tensor<3x2xf32>
  return %dt : tensor<3x2xf32>
}

// -----

// CHECK-LABEL: func.func @slice
// CHECK: %[[S:.+]] = qnn.slice
// CHECK-NEXT: quant.qcast %[[S]] : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 5.000000e-02:-3>>
func.func @slice(%x: tensor<8xf32>) -> tensor<4xf32> {
  %q = quant.qcast %x : tensor<8xf32> to tensor<8x!quant.uniform<i8:f32, 0.05:-3>>
  %d = quant.dcast %q : tensor<8x!quant.uniform<i8:f32, 0.05:-3>> to tensor<8xf32>
  %s = qnn.slice %d {starts = array<i64: 2>, ends = array<i64: 6>, steps = array<i64: 1>} : tensor<8xf32> -> tensor<4xf32>
  %qs = quant.qcast %s : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 0.1:7>>
  %ds = quant.dcast %qs : tensor<4x!quant.uniform<i8:f32, 0.1:7>> to tensor<4xf32>
  return %ds : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @pad
// CHECK: %[[P:.+]] = qnn.pad
// CHECK-NEXT: quant.qcast %[[P]] : tensor<4x2xf32> to tensor<4x2x!quant.uniform<i8:f32, 5.000000e-02:-3>>
func.func @pad(%x: tensor<2x2xf32>) -> tensor<4x2xf32> {
  %q = quant.qcast %x : tensor<2x2xf32> to tensor<2x2x!quant.uniform<i8:f32, 0.05:-3>>
  %d = quant.dcast %q : tensor<2x2x!quant.uniform<i8:f32, 0.05:-3>> to tensor<2x2xf32>
  %p = qnn.pad %d {pads = array<i64: 1, 0, 1, 0>, mode = #qnn.pad_mode<constant>, value = -1.5} : tensor<2x2xf32> -> tensor<4x2xf32>
  %qp = quant.qcast %p : tensor<4x2xf32> to tensor<4x2x!quant.uniform<i8:f32, 0.1:7>>
  %dp = quant.dcast %qp : tensor<4x2x!quant.uniform<i8:f32, 0.1:7>> to tensor<4x2xf32>
  return %dp : tensor<4x2xf32>
}

// -----

// A constant pad value outside the input's range (0.05:-3 holds
// [-6.25, 6.5]) would saturate: the output keeps its calibrated parameters.
// CHECK-LABEL: func.func @pad_value_out_of_range
// CHECK: %[[P:.+]] = qnn.pad
// CHECK-NEXT: quant.qcast %[[P]] : tensor<4x2xf32> to tensor<4x2x!quant.uniform<i8:f32, 1.000000e-01:7>>
func.func @pad_value_out_of_range(%x: tensor<2x2xf32>) -> tensor<4x2xf32> {
  %q = quant.qcast %x : tensor<2x2xf32> to tensor<2x2x!quant.uniform<i8:f32, 0.05:-3>>
  %d = quant.dcast %q : tensor<2x2x!quant.uniform<i8:f32, 0.05:-3>> to tensor<2x2xf32>
  %p = qnn.pad %d {pads = array<i64: 1, 0, 1, 0>, mode = #qnn.pad_mode<constant>, value = 10.0} : tensor<2x2xf32> -> tensor<4x2xf32>
  %qp = quant.qcast %p : tensor<4x2xf32> to tensor<4x2x!quant.uniform<i8:f32, 0.1:7>>
  %dp = quant.dcast %qp : tensor<4x2x!quant.uniform<i8:f32, 0.1:7>> to tensor<4x2xf32>
  return %dp : tensor<4x2xf32>
}

// -----

// A relu keeps its clamp: it takes the input's parameters, and the integer
// relu clamps at the zero point.
// CHECK-LABEL: func.func @relu
// CHECK: %[[R:.+]] = qnn.relu
// CHECK-NEXT: quant.qcast %[[R]] : tensor<1x8xf32> to tensor<1x8x!quant.uniform<i8:f32, 5.000000e-02:-3>>
func.func @relu(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %q = quant.qcast %x : tensor<1x8xf32> to tensor<1x8x!quant.uniform<i8:f32, 0.05:-3>>
  %d = quant.dcast %q : tensor<1x8x!quant.uniform<i8:f32, 0.05:-3>> to tensor<1x8xf32>
  %r = qnn.relu %d : tensor<1x8xf32> -> tensor<1x8xf32>
  %qr = quant.qcast %r : tensor<1x8xf32> to tensor<1x8x!quant.uniform<i8:f32, 0.025:-128>>
  %dr = quant.dcast %qr : tensor<1x8x!quant.uniform<i8:f32, 0.025:-128>> to tensor<1x8xf32>
  return %dr : tensor<1x8xf32>
}

// -----

// CHECK-LABEL: func.func @resize_nearest
// CHECK: %[[R:.+]] = qnn.resize
// CHECK-NEXT: quant.qcast %[[R]] : tensor<1x1x4x4xf32> to tensor<1x1x4x4x!quant.uniform<i8:f32, 5.000000e-02:-3>>
func.func @resize_nearest(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  %q = quant.qcast %x : tensor<1x1x2x2xf32> to tensor<1x1x2x2x!quant.uniform<i8:f32, 0.05:-3>>
  %d = quant.dcast %q : tensor<1x1x2x2x!quant.uniform<i8:f32, 0.05:-3>> to tensor<1x1x2x2xf32>
  %r = qnn.resize %d {mode = #qnn.resize_mode<nearest>, coordinate_transform = #qnn.coordinate_transform<asymmetric>, nearest_mode = #qnn.nearest_mode<floor>, scales = array<f32: 1.0, 1.0, 2.0, 2.0>} : tensor<1x1x2x2xf32> -> tensor<1x1x4x4xf32>
  %qr = quant.qcast %r : tensor<1x1x4x4xf32> to tensor<1x1x4x4x!quant.uniform<i8:f32, 0.1:7>>
  %dr = quant.dcast %qr : tensor<1x1x4x4x!quant.uniform<i8:f32, 0.1:7>> to tensor<1x1x4x4xf32>
  return %dr : tensor<1x1x4x4xf32>
}

// -----

// A cubic resize computes new values (it can overshoot the input's range),
// so its calibrated output parameters stay.
// CHECK-LABEL: func.func @resize_cubic
// CHECK: %[[R:.+]] = qnn.resize
// CHECK-NEXT: quant.qcast %[[R]] : tensor<1x1x4x4xf32> to tensor<1x1x4x4x!quant.uniform<i8:f32, 1.000000e-01:7>>
func.func @resize_cubic(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  %q = quant.qcast %x : tensor<1x1x2x2xf32> to tensor<1x1x2x2x!quant.uniform<i8:f32, 0.05:-3>>
  %d = quant.dcast %q : tensor<1x1x2x2x!quant.uniform<i8:f32, 0.05:-3>> to tensor<1x1x2x2xf32>
  %r = qnn.resize %d {mode = #qnn.resize_mode<cubic>, coordinate_transform = #qnn.coordinate_transform<asymmetric>, nearest_mode = #qnn.nearest_mode<floor>, scales = array<f32: 1.0, 1.0, 2.0, 2.0>} : tensor<1x1x2x2xf32> -> tensor<1x1x4x4xf32>
  %qr = quant.qcast %r : tensor<1x1x4x4xf32> to tensor<1x1x4x4x!quant.uniform<i8:f32, 0.1:7>>
  %dr = quant.dcast %qr : tensor<1x1x4x4x!quant.uniform<i8:f32, 0.1:7>> to tensor<1x1x4x4xf32>
  return %dr : tensor<1x1x4x4xf32>
}

// -----

// A chain passes the parameters on: the reshape reads the pool's retyped
// output, so both end up with the input's 0.05:-3.
// CHECK-LABEL: func.func @chain
// CHECK: %[[P:.+]] = qnn.max_pool
// CHECK-NEXT: %[[QP:.+]] = quant.qcast %[[P]] : tensor<1x2x2x2xf32> to tensor<1x2x2x2x!quant.uniform<i8:f32, 5.000000e-02:-3>>
// CHECK-NEXT: %[[DP:.+]] = quant.dcast %[[QP]]
// CHECK-NEXT: %[[R:.+]] = qnn.reshape %[[DP]]
// CHECK-NEXT: quant.qcast %[[R]] : tensor<1x8xf32> to tensor<1x8x!quant.uniform<i8:f32, 5.000000e-02:-3>>
func.func @chain(%x: tensor<1x2x4x4xf32>) -> tensor<1x8xf32> {
  %q = quant.qcast %x : tensor<1x2x4x4xf32> to tensor<1x2x4x4x!quant.uniform<i8:f32, 0.05:-3>>
  %d = quant.dcast %q : tensor<1x2x4x4x!quant.uniform<i8:f32, 0.05:-3>> to tensor<1x2x4x4xf32>
  %p = qnn.max_pool %d {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x2x4x4xf32> -> tensor<1x2x2x2xf32>
  %qp = quant.qcast %p : tensor<1x2x2x2xf32> to tensor<1x2x2x2x!quant.uniform<i8:f32, 0.1:7>>
  %dp = quant.dcast %qp : tensor<1x2x2x2x!quant.uniform<i8:f32, 0.1:7>> to tensor<1x2x2x2xf32>
  %r = qnn.reshape %dp : tensor<1x2x2x2xf32> -> tensor<1x8xf32>
  %qr = quant.qcast %r : tensor<1x8xf32> to tensor<1x8x!quant.uniform<i8:f32, 0.2:-1>>
  %dr = quant.dcast %qr : tensor<1x8x!quant.uniform<i8:f32, 0.2:-1>> to tensor<1x8xf32>
  return %dr : tensor<1x8xf32>
}

// -----

// Ops that compute new values keep their calibrated output parameters.
// CHECK-LABEL: func.func @compute_ops
// CHECK: %[[A:.+]] = qnn.add
// CHECK-NEXT: quant.qcast %[[A]] : tensor<1x8xf32> to tensor<1x8x!quant.uniform<i8:f32, 1.000000e-01:7>>
// CHECK: %[[C:.+]] = qnn.conv
// CHECK-NEXT: quant.qcast %[[C]] : tensor<1x1x2x2xf32> to tensor<1x1x2x2x!quant.uniform<i8:f32, 2.000000e-01:-1>>
func.func @compute_ops(%x: tensor<1x8xf32>, %y: tensor<1x1x2x2xf32>) -> (tensor<1x8xf32>, tensor<1x1x2x2xf32>) {
  %q = quant.qcast %x : tensor<1x8xf32> to tensor<1x8x!quant.uniform<i8:f32, 0.05:-3>>
  %d = quant.dcast %q : tensor<1x8x!quant.uniform<i8:f32, 0.05:-3>> to tensor<1x8xf32>
  %a = qnn.add %d, %d : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  %qa = quant.qcast %a : tensor<1x8xf32> to tensor<1x8x!quant.uniform<i8:f32, 0.1:7>>
  %da = quant.dcast %qa : tensor<1x8x!quant.uniform<i8:f32, 0.1:7>> to tensor<1x8xf32>
  %qy = quant.qcast %y : tensor<1x1x2x2xf32> to tensor<1x1x2x2x!quant.uniform<i8:f32, 0.05:-3>>
  %dy = quant.dcast %qy : tensor<1x1x2x2x!quant.uniform<i8:f32, 0.05:-3>> to tensor<1x1x2x2xf32>
  %w = qnn.constant dense<[[[[127]]]]> : tensor<1x1x1x1xi8>
  %sw = quant.scast %w : tensor<1x1x1x1xi8> to tensor<1x1x1x1x!quant.uniform<i8<-127:127>:f32:0, {0.01}>>
  %dw = quant.dcast %sw : tensor<1x1x1x1x!quant.uniform<i8<-127:127>:f32:0, {0.01}>> to tensor<1x1x1x1xf32>
  %c = qnn.conv %dy, %dw {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x2x2xf32>
  %qc = quant.qcast %c : tensor<1x1x2x2xf32> to tensor<1x1x2x2x!quant.uniform<i8:f32, 0.2:-1>>
  %dc = quant.dcast %qc : tensor<1x1x2x2x!quant.uniform<i8:f32, 0.2:-1>> to tensor<1x1x2x2xf32>
  return %da, %dc : tensor<1x8xf32>, tensor<1x1x2x2xf32>
}

// -----

// A same-scale op whose result is read by more than its qcast is left
// alone: the float reader would see a different rounding.
// CHECK-LABEL: func.func @not_single_qcast
// CHECK: %[[R:.+]] = qnn.reshape
// CHECK-NEXT: quant.qcast %[[R]] : tensor<2x8xf32> to tensor<2x8x!quant.uniform<i8:f32, 1.000000e-01:7>>
func.func @not_single_qcast(%x: tensor<4x4xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %q = quant.qcast %x : tensor<4x4xf32> to tensor<4x4x!quant.uniform<i8:f32, 0.05:-3>>
  %d = quant.dcast %q : tensor<4x4x!quant.uniform<i8:f32, 0.05:-3>> to tensor<4x4xf32>
  %r = qnn.reshape %d : tensor<4x4xf32> -> tensor<2x8xf32>
  %qr = quant.qcast %r : tensor<2x8xf32> to tensor<2x8x!quant.uniform<i8:f32, 0.1:7>>
  %dr = quant.dcast %qr : tensor<2x8x!quant.uniform<i8:f32, 0.1:7>> to tensor<2x8xf32>
  return %dr, %r : tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// Concat: %a is read by the concat only, so its producer quantizes straight
// to the concat's 0.1:0. %b (scale 0.01) is also read by the sigmoid; unifying
// would make that reader's step 10x coarser, so %b is requantized inside
// the concat instead and keeps its parameters.
// CHECK-LABEL: func.func @concat
// CHECK: %[[QA:.+]] = quant.qcast %arg0 : tensor<1x4xf32> to tensor<1x4x!quant.uniform<i8:f32, 1.000000e-01>>
// CHECK: %[[QB:.+]] = quant.qcast %arg1 : tensor<1x4xf32> to tensor<1x4x!quant.uniform<i8:f32, 1.000000e-02:2>>
// CHECK: %[[C:.+]] = qnn.concat
// CHECK-NEXT: quant.qcast %[[C]] : tensor<1x8xf32> to tensor<1x8x!quant.uniform<i8:f32, 1.000000e-01>>
func.func @concat(%x: tensor<1x4xf32>, %y: tensor<1x4xf32>) -> (tensor<1x8xf32>, tensor<1x4xf32>) {
  %qa = quant.qcast %x : tensor<1x4xf32> to tensor<1x4x!quant.uniform<i8:f32, 0.05:-3>>
  %da = quant.dcast %qa : tensor<1x4x!quant.uniform<i8:f32, 0.05:-3>> to tensor<1x4xf32>
  %qb = quant.qcast %y : tensor<1x4xf32> to tensor<1x4x!quant.uniform<i8:f32, 0.01:2>>
  %db = quant.dcast %qb : tensor<1x4x!quant.uniform<i8:f32, 0.01:2>> to tensor<1x4xf32>
  // expected-remark @+1 {{input with scale 1.000000e-02 requantized to 1.000000e-01 (unifying would coarsen 1 other readers of 4 elements)}}
  %c = qnn.concat %da, %db {axis = 1 : i64} : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x8xf32>
  %qc = quant.qcast %c : tensor<1x8xf32> to tensor<1x8x!quant.uniform<i8:f32, 0.1:0>>
  %dc = quant.dcast %qc : tensor<1x8x!quant.uniform<i8:f32, 0.1:0>> to tensor<1x8xf32>
  %e = qnn.sigmoid %db : tensor<1x4xf32> -> tensor<1x4xf32>
  %qe = quant.qcast %e : tensor<1x4xf32> to tensor<1x4x!quant.uniform<i8:f32, 0.004:-128>>
  %de = quant.dcast %qe : tensor<1x4x!quant.uniform<i8:f32, 0.004:-128>> to tensor<1x4xf32>
  return %dc, %de : tensor<1x8xf32>, tensor<1x4xf32>
}

// -----

// An input with another reader but nearly the concat's scale unifies: the
// other reader's expected error grows by (0.1^2 - 0.098^2) / 12, less than
// the extra rounding a requantization would add.
// CHECK-LABEL: func.func @concat_close_scales
// CHECK: quant.qcast %arg0 : tensor<1x4xf32> to tensor<1x4x!quant.uniform<i8:f32, 1.000000e-01>>
// CHECK: quant.qcast %arg1 : tensor<1x4xf32> to tensor<1x4x!quant.uniform<i8:f32, 1.000000e-01>>
func.func @concat_close_scales(%x: tensor<1x4xf32>, %y: tensor<1x4xf32>) -> (tensor<1x8xf32>, tensor<1x4xf32>) {
  %qa = quant.qcast %x : tensor<1x4xf32> to tensor<1x4x!quant.uniform<i8:f32, 0.05:-3>>
  %da = quant.dcast %qa : tensor<1x4x!quant.uniform<i8:f32, 0.05:-3>> to tensor<1x4xf32>
  %qb = quant.qcast %y : tensor<1x4xf32> to tensor<1x4x!quant.uniform<i8:f32, 0.098:1>>
  %db = quant.dcast %qb : tensor<1x4x!quant.uniform<i8:f32, 0.098:1>> to tensor<1x4xf32>
  %c = qnn.concat %da, %db {axis = 1 : i64} : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x8xf32>
  %qc = quant.qcast %c : tensor<1x8xf32> to tensor<1x8x!quant.uniform<i8:f32, 0.1:0>>
  %dc = quant.dcast %qc : tensor<1x8x!quant.uniform<i8:f32, 0.1:0>> to tensor<1x8xf32>
  %e = qnn.relu %db : tensor<1x4xf32> -> tensor<1x4xf32>
  return %dc, %e : tensor<1x8xf32>, tensor<1x4xf32>
}
