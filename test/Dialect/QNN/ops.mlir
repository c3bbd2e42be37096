// RUN: qopt %s | qopt | FileCheck %s
// RUN: qopt %s --mlir-print-op-generic | qopt | FileCheck %s

// CHECK-LABEL: func.func @constants
func.func @constants() -> (tensor<2xi64>, tensor<2x2xf32>) {
  // CHECK: qnn.constant dense<[1, 2]> : tensor<2xi64>
  %0 = qnn.constant dense<[1, 2]> : tensor<2xi64>
  // CHECK: qnn.constant dense_resource<w> : tensor<2x2xf32>
  %1 = qnn.constant dense_resource<w> : tensor<2x2xf32>
  return %0, %1 : tensor<2xi64>, tensor<2x2xf32>
}

// CHECK-LABEL: func.func @binary
func.func @binary(%a: tensor<1x64x8x8xf32>, %b: tensor<64x1x1xf32>, %i: tensor<4xi64>, %c: tensor<4xi1>) {
  // CHECK: qnn.add %{{.*}}, %{{.*}} : (tensor<1x64x8x8xf32>, tensor<64x1x1xf32>) -> tensor<1x64x8x8xf32>
  %0 = qnn.add %a, %b : (tensor<1x64x8x8xf32>, tensor<64x1x1xf32>) -> tensor<1x64x8x8xf32>
  // CHECK: qnn.sub
  %1 = qnn.sub %a, %b : (tensor<1x64x8x8xf32>, tensor<64x1x1xf32>) -> tensor<1x64x8x8xf32>
  // CHECK: qnn.mul
  %2 = qnn.mul %a, %b : (tensor<1x64x8x8xf32>, tensor<64x1x1xf32>) -> tensor<1x64x8x8xf32>
  // CHECK: qnn.div
  %3 = qnn.div %a, %b : (tensor<1x64x8x8xf32>, tensor<64x1x1xf32>) -> tensor<1x64x8x8xf32>
  // CHECK: qnn.pow
  %4 = qnn.pow %a, %b : (tensor<1x64x8x8xf32>, tensor<64x1x1xf32>) -> tensor<1x64x8x8xf32>
  // CHECK: qnn.max
  %5 = qnn.max %i, %i : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  // CHECK: qnn.min
  %6 = qnn.min %i, %i : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  // CHECK: qnn.mod %{{.*}}, %{{.*}} : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  %7 = qnn.mod %i, %i {fmod = false} : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  // CHECK: qnn.equal {{.*}} -> tensor<4xi1>
  %8 = qnn.equal %i, %i : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi1>
  // CHECK: qnn.less
  %9 = qnn.less %i, %i : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi1>
  // CHECK: qnn.less_or_equal
  %10 = qnn.less_or_equal %i, %i : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi1>
  // CHECK: qnn.greater
  %11 = qnn.greater %i, %i : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi1>
  // CHECK: qnn.greater_or_equal
  %12 = qnn.greater_or_equal %i, %i : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi1>
  // CHECK: qnn.and
  %13 = qnn.and %c, %c : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  // CHECK: qnn.or
  %14 = qnn.or %c, %c : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  // CHECK: qnn.xor
  %15 = qnn.xor %c, %c : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  // CHECK: qnn.where {{.*}} : (tensor<4xi1>, tensor<4xi64>, tensor<i64>) -> tensor<4xi64>
  %s = qnn.constant dense<0> : tensor<i64>
  %16 = qnn.where %c, %i, %s : (tensor<4xi1>, tensor<4xi64>, tensor<i64>) -> tensor<4xi64>
  return
}

// CHECK-LABEL: func.func @unary
func.func @unary(%x: tensor<2x3xf32>, %i: tensor<3xi32>, %c: tensor<3xi1>) {
  // CHECK: qnn.relu %{{.*}} : tensor<2x3xf32> -> tensor<2x3xf32>
  %0 = qnn.relu %x : tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: qnn.sigmoid
  %1 = qnn.sigmoid %x : tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: qnn.tanh
  %2 = qnn.tanh %x : tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: qnn.exp
  %3 = qnn.exp %x : tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: qnn.log
  %4 = qnn.log %x : tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: qnn.sqrt
  %5 = qnn.sqrt %x : tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: qnn.erf
  %6 = qnn.erf %x : tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: qnn.reciprocal
  %7 = qnn.reciprocal %x : tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: qnn.floor
  %8 = qnn.floor %x : tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: qnn.ceil
  %9 = qnn.ceil %x : tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: qnn.round
  %10 = qnn.round %x : tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: qnn.hard_swish
  %11 = qnn.hard_swish %x : tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: qnn.neg
  %12 = qnn.neg %i : tensor<3xi32> -> tensor<3xi32>
  // CHECK: qnn.abs
  %13 = qnn.abs %i : tensor<3xi32> -> tensor<3xi32>
  // CHECK: qnn.sign
  %14 = qnn.sign %x : tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: qnn.not
  %15 = qnn.not %c : tensor<3xi1> -> tensor<3xi1>
  // CHECK: qnn.leaky_relu %{{.*}} {alpha = 1.000000e-01 : f32}
  %16 = qnn.leaky_relu %x {alpha = 0.1 : f32} : tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: qnn.hard_sigmoid %{{.*}} {alpha = 2.000000e-01 : f32, beta = 5.000000e-01 : f32}
  %17 = qnn.hard_sigmoid %x {alpha = 0.2 : f32, beta = 0.5 : f32} : tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: qnn.gelu %{{.*}} {approximate = #qnn.gelu_approximation<tanh>}
  %18 = qnn.gelu %x {approximate = #qnn.gelu_approximation<tanh>} : tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: qnn.clip %{{.*}} {max = 6.000000e+00 : f64, min = 0.000000e+00 : f64}
  %19 = qnn.clip %x {min = 0.0 : f64, max = 6.0 : f64} : tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: qnn.cast %{{.*}} : tensor<3xi32> -> tensor<3xf16>
  %20 = qnn.cast %i : tensor<3xi32> -> tensor<3xf16>
  // CHECK: qnn.sin %{{.*}} : tensor<2x3xf32> -> tensor<2x3xf32>
  %t0 = qnn.sin %x : tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: qnn.cos %{{.*}} : tensor<2x3xf32> -> tensor<2x3xf32>
  %t1 = qnn.cos %x : tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: qnn.tan %{{.*}} : tensor<2x3xf32> -> tensor<2x3xf32>
  %t2 = qnn.tan %x : tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: qnn.asin %{{.*}} : tensor<2x3xf32> -> tensor<2x3xf32>
  %t3 = qnn.asin %x : tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: qnn.acos %{{.*}} : tensor<2x3xf32> -> tensor<2x3xf32>
  %t4 = qnn.acos %x : tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: qnn.atan %{{.*}} : tensor<2x3xf32> -> tensor<2x3xf32>
  %t5 = qnn.atan %x : tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: qnn.sinh %{{.*}} : tensor<2x3xf32> -> tensor<2x3xf32>
  %t6 = qnn.sinh %x : tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: qnn.cosh %{{.*}} : tensor<2x3xf32> -> tensor<2x3xf32>
  %t7 = qnn.cosh %x : tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: qnn.asinh %{{.*}} : tensor<2x3xf32> -> tensor<2x3xf32>
  %t8 = qnn.asinh %x : tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: qnn.acosh %{{.*}} : tensor<2x3xf32> -> tensor<2x3xf32>
  %t9 = qnn.acosh %x : tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: qnn.atanh %{{.*}} : tensor<2x3xf32> -> tensor<2x3xf32>
  %t10 = qnn.atanh %x : tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// CHECK-LABEL: func.func @linear
func.func @linear(%x: tensor<1x3x224x224xf32>, %w: tensor<64x3x7x7xf32>, %b: tensor<64xf32>,
                  %a: tensor<1x128x256xf32>, %m: tensor<256x1024xf32>,
                  %g: tensor<1x2048xf32>, %gw: tensor<1000x2048xf32>, %gb: tensor<1000xf32>) {
  // CHECK: qnn.conv %{{.*}}, %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 3, 3, 3, 3>, strides = array<i64: 2, 2>} : (tensor<1x3x224x224xf32>, tensor<64x3x7x7xf32>, tensor<64xf32>) -> tensor<1x64x112x112xf32>
  %0 = qnn.conv %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 3, 3, 3, 3>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x224x224xf32>, tensor<64x3x7x7xf32>, tensor<64xf32>) -> tensor<1x64x112x112xf32>
  // CHECK: qnn.conv_transpose {{.*}} -> tensor<1x3x448x448xf32>
  %wt = qnn.constant dense<1.0> : tensor<64x3x2x2xf32>
  %wt2 = qnn.constant dense<1.0> : tensor<64x64x1x1xf32>
  %1 = qnn.conv_transpose %0, %wt {strides = array<i64: 4, 4>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: 2, 2>, group = 1 : i64} : (tensor<1x64x112x112xf32>, tensor<64x3x2x2xf32>) -> tensor<1x3x448x448xf32>
  // CHECK: qnn.conv {{.*}}activation = #qnn.activation<hard_sigmoid>, activation_params = array<f64: 2.000000e-01, 5.000000e-01>
  %fused = qnn.conv %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 3, 3, 3, 3>, dilations = array<i64: 1, 1>, group = 1 : i64, activation = #qnn.activation<hard_sigmoid>, activation_params = array<f64: 0.2, 0.5>} : (tensor<1x3x224x224xf32>, tensor<64x3x7x7xf32>, tensor<64xf32>) -> tensor<1x64x112x112xf32>
  // CHECK: qnn.conv %{{.*}}, %{{.*}} residual(%{{.*}}) {activation = #qnn.activation<relu>
  %res = qnn.conv %0, %wt2 residual(%0) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64, activation = #qnn.activation<relu>} : (tensor<1x64x112x112xf32>, tensor<64x64x1x1xf32>, tensor<1x64x112x112xf32>) -> tensor<1x64x112x112xf32>
  // CHECK: qnn.matmul {{.*}}{activation = #qnn.activation<relu>}
  %mm = qnn.matmul %a, %m {activation = #qnn.activation<relu>} : (tensor<1x128x256xf32>, tensor<256x1024xf32>) -> tensor<1x128x1024xf32>
  // CHECK: qnn.matmul {{.*}} -> tensor<1x128x1024xf32>
  %2 = qnn.matmul %a, %m : (tensor<1x128x256xf32>, tensor<256x1024xf32>) -> tensor<1x128x1024xf32>
  // CHECK: qnn.gemm {{.*}} {trans_b = true} : (tensor<1x2048xf32>, tensor<1000x2048xf32>, tensor<1000xf32>) -> tensor<1x1000xf32>
  %3 = qnn.gemm %g, %gw, %gb {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<1x2048xf32>, tensor<1000x2048xf32>, tensor<1000xf32>) -> tensor<1x1000xf32>
  return
}

// CHECK-LABEL: func.func @pools_and_norms
func.func @pools_and_norms(%x: tensor<1x64x112x112xf32>, %p: tensor<64xf32>, %t: tensor<1x128x256xf32>, %s: tensor<256xf32>) {
  // CHECK: qnn.max_pool {{.*}} -> tensor<1x64x56x56xf32>
  %0 = qnn.max_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : tensor<1x64x112x112xf32> -> tensor<1x64x56x56xf32>
  // CHECK: qnn.avg_pool {{.*}}ceil_mode = true{{.*}}count_include_pad = true{{.*}} -> tensor<1x64x57x57xf32>
  %1 = qnn.avg_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, ceil_mode = true, count_include_pad = true} : tensor<1x64x112x112xf32> -> tensor<1x64x57x57xf32>
  // CHECK: qnn.global_avg_pool {{.*}} -> tensor<1x64x1x1xf32>
  %2 = qnn.global_avg_pool %x : tensor<1x64x112x112xf32> -> tensor<1x64x1x1xf32>
  // CHECK: qnn.global_max_pool
  %3 = qnn.global_max_pool %x : tensor<1x64x112x112xf32> -> tensor<1x64x1x1xf32>
  // CHECK: qnn.batch_norm {{.*}} {epsilon = 9.99999974E-6 : f32}
  %4 = qnn.batch_norm %x, %p, %p, %p, %p {epsilon = 1.0e-5 : f32} : (tensor<1x64x112x112xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<1x64x112x112xf32>
  // CHECK: qnn.layer_norm {{.*}} {axis = -1 : i64
  %5 = qnn.layer_norm %t, %s, %s {axis = -1 : i64, epsilon = 1.0e-12 : f32} : (tensor<1x128x256xf32>, tensor<256xf32>, tensor<256xf32>) -> tensor<1x128x256xf32>
  // CHECK: qnn.softmax {{.*}} {axis = -1 : i64}
  %6 = qnn.softmax %t {axis = -1 : i64} : tensor<1x128x256xf32> -> tensor<1x128x256xf32>
  // CHECK: qnn.log_softmax
  %7 = qnn.log_softmax %t {axis = 1 : i64} : tensor<1x128x256xf32> -> tensor<1x128x256xf32>
  return
}

// CHECK-LABEL: func.func @data_movement
func.func @data_movement(%x: tensor<1x128x4x64xf32>, %i: tensor<1x512xi64>, %e: tensor<1000x256xf32>, %y: tensor<1x3x32x32xf32>,
                         %g: tensor<2x5x4xf32>, %gi: tensor<2x3x1xi64>, %si: tensor<3x2xi64>, %su: tensor<3x4xf32>,
                         %grid: tensor<1x8x8x2xf32>) {
  // CHECK: qnn.reshape {{.*}} : tensor<1x128x4x64xf32> -> tensor<128x256xf32>
  %0 = qnn.reshape %x : tensor<1x128x4x64xf32> -> tensor<128x256xf32>
  // CHECK: qnn.transpose {{.*}} {perm = array<i64: 0, 2, 1, 3>}
  %1 = qnn.transpose %x {perm = array<i64: 0, 2, 1, 3>} : tensor<1x128x4x64xf32> -> tensor<1x4x128x64xf32>
  // CHECK: qnn.concat {{.*}} {axis = 2 : i64} : (tensor<1x128x4x64xf32>, tensor<1x128x4x64xf32>) -> tensor<1x128x8x64xf32>
  %2 = qnn.concat %x, %x {axis = 2 : i64} : (tensor<1x128x4x64xf32>, tensor<1x128x4x64xf32>) -> tensor<1x128x8x64xf32>
  // CHECK: qnn.slice {{.*}} -> tensor<1x128xi64>
  %3 = qnn.slice %i {starts = array<i64: 0, 0>, ends = array<i64: 1, 128>, steps = array<i64: 1, 1>} : tensor<1x512xi64> -> tensor<1x128xi64>
  // A step as large as int64 allows takes one element.
  // CHECK: qnn.slice {{.*}}steps = array<i64: 1, 9223372036854775807>{{.*}} -> tensor<1x1xi64>
  %big = qnn.slice %i {starts = array<i64: 0, 0>, ends = array<i64: 1, 512>, steps = array<i64: 1, 9223372036854775807>} : tensor<1x512xi64> -> tensor<1x1xi64>
  // CHECK: qnn.slice {{.*}}steps = array<i64: 1, -2>{{.*}} -> tensor<1x256xi64>
  %4 = qnn.slice %i {starts = array<i64: 0, 511>, ends = array<i64: 1, -1>, steps = array<i64: 1, -2>} : tensor<1x512xi64> -> tensor<1x256xi64>
  // CHECK: qnn.gather {{.*}} -> tensor<1x128x256xf32>
  %5 = qnn.gather %e, %3 {axis = 0 : i64} : (tensor<1000x256xf32>, tensor<1x128xi64>) -> tensor<1x128x256xf32>
  // CHECK: qnn.gather_elements {{.*}} {axis = 1 : i64} : (tensor<1000x256xf32>, tensor<1x128xi64>) -> tensor<1x128xf32>
  %ge = qnn.gather_elements %e, %3 {axis = 1 : i64} : (tensor<1000x256xf32>, tensor<1x128xi64>) -> tensor<1x128xf32>
  // CHECK: qnn.gather_nd {{.*}} {batch_dims = 1 : i64} : (tensor<2x5x4xf32>, tensor<2x3x1xi64>) -> tensor<2x3x4xf32>
  %gnd = qnn.gather_nd %g, %gi {batch_dims = 1 : i64} : (tensor<2x5x4xf32>, tensor<2x3x1xi64>) -> tensor<2x3x4xf32>
  // CHECK: qnn.scatter_nd {{.*}} {reduction = #qnn.scatter_reduction<add>} : (tensor<2x5x4xf32>, tensor<3x2xi64>, tensor<3x4xf32>) -> tensor<2x5x4xf32>
  %snd = qnn.scatter_nd %g, %si, %su {reduction = #qnn.scatter_reduction<add>} : (tensor<2x5x4xf32>, tensor<3x2xi64>, tensor<3x4xf32>) -> tensor<2x5x4xf32>
  // CHECK: qnn.scatter_elements {{.*}} {axis = 1 : i64} : (tensor<1000x256xf32>, tensor<1x128xi64>, tensor<1x128xf32>) -> tensor<1000x256xf32>
  %sel = qnn.scatter_elements %e, %3, %ge {axis = 1 : i64} : (tensor<1000x256xf32>, tensor<1x128xi64>, tensor<1x128xf32>) -> tensor<1000x256xf32>
  // CHECK: qnn.top_k {{.*}} {axis = 1 : i64, k = 5 : i64, largest = false} : tensor<1000x256xf32> -> tensor<1000x5xi64>
  %tk = qnn.top_k %e {axis = 1 : i64, k = 5 : i64, largest = false} : tensor<1000x256xf32> -> tensor<1000x5xi64>
  // CHECK: qnn.grid_sample {{.*}} {align_corners = true, mode = #qnn.resize_mode<cubic>, padding = #qnn.grid_padding<reflection>} : (tensor<1x3x32x32xf32>, tensor<1x8x8x2xf32>) -> tensor<1x3x8x8xf32>
  %gs = qnn.grid_sample %y, %grid {mode = #qnn.resize_mode<cubic>, padding = #qnn.grid_padding<reflection>, align_corners = true} : (tensor<1x3x32x32xf32>, tensor<1x8x8x2xf32>) -> tensor<1x3x8x8xf32>
  // CHECK: qnn.max_pool_indices {{.*}}column_major = true{{.*}} : tensor<1x3x32x32xf32> -> tensor<1x3x16x16xi64>
  %mpi = qnn.max_pool_indices %y {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, column_major = true} : tensor<1x3x32x32xf32> -> tensor<1x3x16x16xi64>
  %mp = qnn.max_pool %y {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x3x32x32xf32> -> tensor<1x3x16x16xf32>
  // CHECK: qnn.max_unpool {{.*}} : (tensor<1x3x16x16xf32>, tensor<1x3x16x16xi64>) -> tensor<1x3x32x32xf32>
  %mu = qnn.max_unpool %mp, %mpi {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x3x16x16xf32>, tensor<1x3x16x16xi64>) -> tensor<1x3x32x32xf32>
  // CHECK: qnn.expand {{.*}} : tensor<1x128xi64> -> tensor<2x128xi64>
  %6 = qnn.expand %3 : tensor<1x128xi64> -> tensor<2x128xi64>
  // CHECK: qnn.pad {{.*}}mode = #qnn.pad_mode<reflect>
  %7 = qnn.pad %y {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, mode = #qnn.pad_mode<reflect>} : tensor<1x3x32x32xf32> -> tensor<1x3x34x34xf32>
  // CHECK: qnn.resize {{.*}}coordinate_transform = #qnn.coordinate_transform<asymmetric>{{.*}}mode = #qnn.resize_mode<nearest>, nearest_mode = #qnn.nearest_mode<floor>, scales = array<f32: 1.000000e+00, 1.000000e+00, 2.000000e+00, 2.000000e+00>
  %8 = qnn.resize %y {mode = #qnn.resize_mode<nearest>, coordinate_transform = #qnn.coordinate_transform<asymmetric>, nearest_mode = #qnn.nearest_mode<floor>, scales = array<f32: 1.0, 1.0, 2.0, 2.0>} : tensor<1x3x32x32xf32> -> tensor<1x3x64x64xf32>
  return
}

// CHECK-LABEL: func.func @reductions
func.func @reductions(%x: tensor<2x3x4xf32>) {
  // CHECK: qnn.reduce_mean {{.*}} {axes = array<i64: 2>, keepdims = true} : tensor<2x3x4xf32> -> tensor<2x3x1xf32>
  %0 = qnn.reduce_mean %x {axes = array<i64: 2>, keepdims = true} : tensor<2x3x4xf32> -> tensor<2x3x1xf32>
  // CHECK: qnn.reduce_sum {{.*}} -> tensor<3xf32>
  %1 = qnn.reduce_sum %x {axes = array<i64: 0, 2>, keepdims = false} : tensor<2x3x4xf32> -> tensor<3xf32>
  // CHECK: qnn.reduce_max
  %2 = qnn.reduce_max %x {axes = array<i64: 1>, keepdims = false} : tensor<2x3x4xf32> -> tensor<2x4xf32>
  // CHECK: qnn.reduce_min
  %3 = qnn.reduce_min %x {axes = array<i64: 1>, keepdims = false} : tensor<2x3x4xf32> -> tensor<2x4xf32>
  // CHECK: qnn.reduce_prod
  %4 = qnn.reduce_prod %x {axes = array<i64>, keepdims = true} : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  // CHECK: qnn.arg_max %{{.*}} {axis = 1 : i64, keepdims = false} : tensor<2x3x4xf32> -> tensor<2x4xi64>
  %5 = qnn.arg_max %x {axis = 1 : i64, keepdims = false} : tensor<2x3x4xf32> -> tensor<2x4xi64>
  // CHECK: qnn.arg_min %{{.*}} {axis = -1 : i64, keepdims = true, select_last_index = true} : tensor<2x3x4xf32> -> tensor<2x3x1xi64>
  %6 = qnn.arg_min %x {axis = -1 : i64, keepdims = true, select_last_index = true} : tensor<2x3x4xf32> -> tensor<2x3x1xi64>
  // CHECK: qnn.cum_sum %{{.*}} {axis = 1 : i64, reverse = true} : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  %7 = qnn.cum_sum %x {axis = 1 : i64, reverse = true} : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  return
}

// Quantized element types are accepted where ARCHITECTURE.md says so.
// CHECK-LABEL: func.func @quantized
func.func @quantized(%x: tensor<1x8x4x4x!quant.uniform<i8:f32, 0.05:-3>>,
                     %w: tensor<16x8x3x3x!quant.uniform<i8<-127:127>:f32:0, {0.01,0.02,0.01,0.02,0.01,0.02,0.01,0.02,0.01,0.02,0.01,0.02,0.01,0.02,0.01,0.02}>>,
                     %b: tensor<16xi32>) {
  // CHECK: qnn.conv {{.*}} -> tensor<1x16x4x4x!quant.uniform<i8:f32, 1.000000e-01:5>>
  %0 = qnn.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x8x4x4x!quant.uniform<i8:f32, 0.05:-3>>, tensor<16x8x3x3x!quant.uniform<i8<-127:127>:f32:0, {0.01,0.02,0.01,0.02,0.01,0.02,0.01,0.02,0.01,0.02,0.01,0.02,0.01,0.02,0.01,0.02}>>, tensor<16xi32>) -> tensor<1x16x4x4x!quant.uniform<i8:f32, 0.1:5>>
  // CHECK: qnn.max_pool {{.*}}!quant.uniform
  %1 = qnn.max_pool %0 {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x16x4x4x!quant.uniform<i8:f32, 0.1:5>> -> tensor<1x16x2x2x!quant.uniform<i8:f32, 0.1:5>>
  // CHECK: qnn.add {{.*}}!quant.uniform<i8:f32, 2.000000e-01:1>>
  %2 = qnn.add %1, %1 : (tensor<1x16x2x2x!quant.uniform<i8:f32, 0.1:5>>, tensor<1x16x2x2x!quant.uniform<i8:f32, 0.1:5>>) -> tensor<1x16x2x2x!quant.uniform<i8:f32, 0.2:1>>
  return
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000000803F000000400000404000008040"
    }
  }
#-}

// CHECK-LABEL: func @requantize
// CHECK: qnn.requantize %{{.*}} : tensor<2x3x!quant.uniform<i8:f32, 5.000000e-02:-3>> -> tensor<2x3x!quant.uniform<u8:f32, 1.000000e-01:128>>
func.func @requantize(%x: tensor<2x3x!quant.uniform<i8:f32, 0.05:-3>>) -> tensor<2x3x!quant.uniform<u8:f32, 0.1:128>> {
  %0 = qnn.requantize %x : tensor<2x3x!quant.uniform<i8:f32, 0.05:-3>> -> tensor<2x3x!quant.uniform<u8:f32, 0.1:128>>
  return %0 : tensor<2x3x!quant.uniform<u8:f32, 0.1:128>>
}

// CHECK-LABEL: func @lut
// CHECK: qnn.lut %{{.*}}, %{{.*}} : (tensor<2x3x!quant.uniform<i8:f32, 5.000000e-02:-3>>, tensor<256xi8>) -> tensor<2x3x!quant.uniform<u8:f32, 1.000000e-01:128>>
func.func @lut(%x: tensor<2x3x!quant.uniform<i8:f32, 0.05:-3>>, %t: tensor<256xi8>) -> tensor<2x3x!quant.uniform<u8:f32, 0.1:128>> {
  %0 = qnn.lut %x, %t : (tensor<2x3x!quant.uniform<i8:f32, 0.05:-3>>, tensor<256xi8>) -> tensor<2x3x!quant.uniform<u8:f32, 0.1:128>>
  return %0 : tensor<2x3x!quant.uniform<u8:f32, 0.1:128>>
}
