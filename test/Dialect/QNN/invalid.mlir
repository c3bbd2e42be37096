// RUN: qopt %s -split-input-file -verify-diagnostics

func.func @constant_type_mismatch() {
  // expected-error @+1 {{failed to verify that all of {value, output} have same type}}
  %0 = "qnn.constant"() {value = dense<1> : tensor<2xi64>} : () -> tensor<3xi64>
  return
}

// -----

func.func @add_no_broadcast(%a: tensor<2x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{'qnn.add' operand shapes [2,3] and [4] do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.add %a, %b : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @sub_element_types(%a: tensor<2xf32>, %b: tensor<2xf16>) {
  // expected-error @+1 {{operand element types differ: 'f32' vs 'f16'}}
  %0 = qnn.sub %a, %b : (tensor<2xf32>, tensor<2xf16>) -> tensor<2xf32>
  return
}

// -----

func.func @mul_wrong_result(%a: tensor<2xf32>) {
  // expected-error @+2 {{'qnn.mul' op inferred type(s) 'tensor<2xf32>' are incompatible with return type(s) of operation 'tensor<3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.mul %a, %a : (tensor<2xf32>, tensor<2xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @div_broadcast(%a: tensor<3xf32>, %b: tensor<2xf32>) {
  // expected-error @+2 {{do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.div %a, %b : (tensor<3xf32>, tensor<2xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @pow_broadcast(%a: tensor<3xf32>, %b: tensor<2xi64>) {
  // expected-error @+2 {{do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.pow %a, %b : (tensor<3xf32>, tensor<2xi64>) -> tensor<3xf32>
  return
}

// -----

func.func @max_types(%a: tensor<3xf32>, %b: tensor<3xi64>) {
  // expected-error @+1 {{operand element types differ}}
  %0 = qnn.max %a, %b : (tensor<3xf32>, tensor<3xi64>) -> tensor<3xf32>
  return
}

// -----

func.func @min_types(%a: tensor<3xf32>, %b: tensor<3xi64>) {
  // expected-error @+1 {{operand element types differ}}
  %0 = qnn.min %a, %b : (tensor<3xf32>, tensor<3xi64>) -> tensor<3xf32>
  return
}

// -----

func.func @mod_types(%a: tensor<3xi32>, %b: tensor<3xi64>) {
  // expected-error @+1 {{operand element types differ}}
  %0 = qnn.mod %a, %b : (tensor<3xi32>, tensor<3xi64>) -> tensor<3xi32>
  return
}

// -----

func.func @equal_result_not_bool(%a: tensor<3xi64>) {
  // expected-error @+1 {{result #0 must be statically shaped tensor of 1-bit signless integer values}}
  %0 = qnn.equal %a, %a : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  return
}

// -----

func.func @less_types(%a: tensor<3xi64>, %b: tensor<3xi32>) {
  // expected-error @+1 {{operand element types differ}}
  %0 = qnn.less %a, %b : (tensor<3xi64>, tensor<3xi32>) -> tensor<3xi1>
  return
}

// -----

func.func @less_or_equal_shape(%a: tensor<3xi64>, %b: tensor<2xi64>) {
  // expected-error @+2 {{do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.less_or_equal %a, %b : (tensor<3xi64>, tensor<2xi64>) -> tensor<3xi1>
  return
}

// -----

func.func @greater_shape(%a: tensor<3xi64>, %b: tensor<2xi64>) {
  // expected-error @+2 {{do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.greater %a, %b : (tensor<3xi64>, tensor<2xi64>) -> tensor<3xi1>
  return
}

// -----

func.func @greater_or_equal_shape(%a: tensor<3xi64>, %b: tensor<2xi64>) {
  // expected-error @+2 {{do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.greater_or_equal %a, %b : (tensor<3xi64>, tensor<2xi64>) -> tensor<3xi1>
  return
}

// -----

func.func @and_not_bool(%a: tensor<3xi64>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of 1-bit signless integer values}}
  %0 = qnn.and %a, %a : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi1>
  return
}

// -----

func.func @or_shape(%a: tensor<3xi1>, %b: tensor<2xi1>) {
  // expected-error @+2 {{do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.or %a, %b : (tensor<3xi1>, tensor<2xi1>) -> tensor<3xi1>
  return
}

// -----

func.func @xor_shape(%a: tensor<3xi1>, %b: tensor<2xi1>) {
  // expected-error @+2 {{do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.xor %a, %b : (tensor<3xi1>, tensor<2xi1>) -> tensor<3xi1>
  return
}

// -----

func.func @where_types(%c: tensor<3xi1>, %x: tensor<3xf32>, %y: tensor<3xi64>) {
  // expected-error @+1 {{'x' and 'y' element types differ}}
  %0 = qnn.where %c, %x, %y : (tensor<3xi1>, tensor<3xf32>, tensor<3xi64>) -> tensor<3xf32>
  return
}

// -----

func.func @relu_shape(%x: tensor<3xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<3xf32>' are incompatible}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.relu %x : tensor<3xf32> -> tensor<4xf32>
  return
}

// -----

func.func @sigmoid_int(%x: tensor<3xi32>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of}}
  %0 = qnn.sigmoid %x : tensor<3xi32> -> tensor<3xi32>
  return
}

// -----

func.func @tanh_int(%x: tensor<3xi32>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of}}
  %0 = qnn.tanh %x : tensor<3xi32> -> tensor<3xi32>
  return
}

// -----

func.func @exp_shape(%x: tensor<3xf32>) {
  // expected-error @+2 {{incompatible}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.exp %x : tensor<3xf32> -> tensor<2xf32>
  return
}

// -----

func.func @log_shape(%x: tensor<3xf32>) {
  // expected-error @+2 {{incompatible}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.log %x : tensor<3xf32> -> tensor<2xf32>
  return
}

// -----

func.func @sqrt_int(%x: tensor<3xi64>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of}}
  %0 = qnn.sqrt %x : tensor<3xi64> -> tensor<3xi64>
  return
}

// -----

func.func @erf_type(%x: tensor<3xf32>) {
  // expected-error @+2 {{incompatible}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.erf %x : tensor<3xf32> -> tensor<3xf16>
  return
}

// -----

func.func @reciprocal_int(%x: tensor<3xi8>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of}}
  %0 = qnn.reciprocal %x : tensor<3xi8> -> tensor<3xi8>
  return
}

// -----

func.func @floor_int(%x: tensor<3xi8>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of}}
  %0 = qnn.floor %x : tensor<3xi8> -> tensor<3xi8>
  return
}

// -----

func.func @ceil_int(%x: tensor<3xi8>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of}}
  %0 = qnn.ceil %x : tensor<3xi8> -> tensor<3xi8>
  return
}

// -----

func.func @round_int(%x: tensor<3xi8>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of}}
  %0 = qnn.round %x : tensor<3xi8> -> tensor<3xi8>
  return
}

// -----

func.func @hard_swish_shape(%x: tensor<3xf32>) {
  // expected-error @+2 {{incompatible}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.hard_swish %x : tensor<3xf32> -> tensor<1xf32>
  return
}

// -----

func.func @neg_bool(%x: tensor<3xi1>) {
  // expected-error @+2 {{incompatible}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.neg %x : tensor<3xi1> -> tensor<3xi8>
  return
}

// -----

func.func @abs_shape(%x: tensor<3xi32>) {
  // expected-error @+2 {{incompatible}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.abs %x : tensor<3xi32> -> tensor<2xi32>
  return
}

// -----

func.func @sign_shape(%x: tensor<3xi32>) {
  // expected-error @+2 {{incompatible}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.sign %x : tensor<3xi32> -> tensor<2xi32>
  return
}

// -----

func.func @not_int(%x: tensor<3xi32>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of 1-bit signless integer values}}
  %0 = qnn.not %x : tensor<3xi32> -> tensor<3xi32>
  return
}

// -----

func.func @leaky_relu_missing_alpha(%x: tensor<3xf32>) {
  // expected-error @+1 {{requires attribute 'alpha'}}
  %0 = qnn.leaky_relu %x : tensor<3xf32> -> tensor<3xf32>
  return
}

// -----

func.func @hard_sigmoid_missing_beta(%x: tensor<3xf32>) {
  // expected-error @+1 {{requires attribute 'beta'}}
  %0 = qnn.hard_sigmoid %x {alpha = 0.2 : f32} : tensor<3xf32> -> tensor<3xf32>
  return
}

// -----

func.func @gelu_int(%x: tensor<3xi32>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of}}
  %0 = qnn.gelu %x : tensor<3xi32> -> tensor<3xi32>
  return
}

// -----

func.func @clip_bounds(%x: tensor<3xf32>) {
  // expected-error @+1 {{'qnn.clip' op min 6.000000e+00 exceeds max 0.000000e+00}}
  %0 = qnn.clip %x {min = 6.0 : f64, max = 0.0 : f64} : tensor<3xf32> -> tensor<3xf32>
  return
}

// -----

func.func @cast_shape(%x: tensor<3xf32>) {
  // expected-error @+1 {{'qnn.cast' op input shape [3] differs from result shape [4]}}
  %0 = qnn.cast %x : tensor<3xf32> -> tensor<4xi64>
  return
}

// -----

func.func @conv_channels(%x: tensor<1x3x8x8xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+2 {{'qnn.conv' input channels 3, weight [4,2,3,3] and group 1 are inconsistent}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_kernel_too_big(%x: tensor<1x3x2x2xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{'qnn.conv' kernel does not fit spatial dimension 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x2x2xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x1x1xf32>
  return
}

// -----

func.func @conv_attr_sizes(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{'qnn.conv' expects 2 kernel dims, strides and dilations and 4 pads}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.conv %x, %w {strides = array<i64: 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_bias(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{'qnn.conv' bias must be 1-D of size 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_transpose_channels(%x: tensor<1x3x4x4xf32>, %w: tensor<4x2x2x2xf32>) {
  // expected-error @+2 {{'qnn.conv_transpose' input channels 3, weight [4,2,2,2] and group 1 are inconsistent}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.conv_transpose %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: 0, 0>, group = 1 : i64} : (tensor<1x3x4x4xf32>, tensor<4x2x2x2xf32>) -> tensor<1x2x8x8xf32>
  return
}

// -----

func.func @matmul_contraction(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+2 {{'qnn.matmul' contraction dimensions differ: [2,3] x [4,5]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @gemm_c(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>, %c: tensor<3xf32>) {
  // expected-error @+2 {{'qnn.gemm' C of shape [3] does not broadcast to [2,4]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.gemm %a, %b, %c : (tensor<2x3xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @max_pool_pads(%x: tensor<1x1x4x4xf32>) {
  // expected-error @+2 {{'qnn.max_pool' pads must be smaller than the kernel}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.max_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 1, 1>, pads = array<i64: 2, 0, 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x1x4x4xf32> -> tensor<1x1x5x3xf32>
  return
}

// -----

func.func @avg_pool_rank(%x: tensor<4x4xf32>) {
  // expected-error @+2 {{'qnn.avg_pool' supports 1 to 3 spatial dimensions, got 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.avg_pool %x {kernel_shape = array<i64>, strides = array<i64>, pads = array<i64>, dilations = array<i64>} : tensor<4x4xf32> -> tensor<4x4xf32>
  return
}

// -----

func.func @global_avg_pool_rank(%x: tensor<4x4xf32>) {
  // expected-error @+2 {{'qnn.global_avg_pool' expects rank >= 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.global_avg_pool %x : tensor<4x4xf32> -> tensor<4x4xf32>
  return
}

// -----

func.func @global_max_pool_result(%x: tensor<1x2x4x4xf32>) {
  // expected-error @+2 {{incompatible}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.global_max_pool %x : tensor<1x2x4x4xf32> -> tensor<1x2xf32>
  return
}

// -----

func.func @batch_norm_params(%x: tensor<1x4x2x2xf32>, %p: tensor<3xf32>) {
  // expected-error @+2 {{'qnn.batch_norm' parameters must be 1-D of size 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.batch_norm %x, %p, %p, %p, %p {epsilon = 1.0e-5 : f32} : (tensor<1x4x2x2xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x4x2x2xf32>
  return
}

// -----

func.func @layer_norm_scale(%x: tensor<2x8xf32>, %s: tensor<4xf32>) {
  // expected-error @+2 {{'qnn.layer_norm' scale/bias shape [4] does not broadcast to the normalized shape [8]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.layer_norm %x, %s {axis = -1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x8xf32>, tensor<4xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @softmax_axis(%x: tensor<2x8xf32>) {
  // expected-error @+2 {{'qnn.softmax' axis 2 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.softmax %x {axis = 2 : i64} : tensor<2x8xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @log_softmax_axis(%x: tensor<2x8xf32>) {
  // expected-error @+2 {{'qnn.log_softmax' axis -3 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.log_softmax %x {axis = -3 : i64} : tensor<2x8xf32> -> tensor<2x8xf32>
  return
}

// -----

func.func @reshape_count(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'qnn.reshape' op cannot reshape [2,8] (16 elements) to [3,5] (15 elements)}}
  %0 = qnn.reshape %x : tensor<2x8xf32> -> tensor<3x5xf32>
  return
}

// -----

func.func @transpose_perm(%x: tensor<2x8xf32>) {
  // expected-error @+2 {{'qnn.transpose' perm [0,0] is not a permutation}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.transpose %x {perm = array<i64: 0, 0>} : tensor<2x8xf32> -> tensor<2x2xf32>
  return
}

// -----

func.func @concat_shapes(%a: tensor<2x8xf32>, %b: tensor<3x4xf32>) {
  // expected-error @+2 {{'qnn.concat' inputs [2,8] and [3,4] differ outside axis 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.concat %a, %b {axis = 0 : i64} : (tensor<2x8xf32>, tensor<3x4xf32>) -> tensor<5x8xf32>
  return
}

// -----

func.func @slice_unclamped(%x: tensor<8xf32>) {
  // expected-error @+2 {{'qnn.slice' bounds of dimension 0 are not clamped to its size 8}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.slice %x {starts = array<i64: 0>, ends = array<i64: 9>, steps = array<i64: 1>} : tensor<8xf32> -> tensor<8xf32>
  return
}

// -----

func.func @slice_zero_step(%x: tensor<8xf32>) {
  // expected-error @+2 {{'qnn.slice' step of dimension 0 is zero}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.slice %x {starts = array<i64: 0>, ends = array<i64: 8>, steps = array<i64: 0>} : tensor<8xf32> -> tensor<8xf32>
  return
}

// -----

func.func @gather_axis(%d: tensor<4x8xf32>, %i: tensor<2xi64>) {
  // expected-error @+2 {{'qnn.gather' axis 2 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.gather %d, %i {axis = 2 : i64} : (tensor<4x8xf32>, tensor<2xi64>) -> tensor<2x8xf32>
  return
}

// -----

func.func @gather_float_indices(%d: tensor<4x8xf32>, %i: tensor<2xf32>) {
  // expected-error @+1 {{operand #1 must be statically shaped tensor of 32-bit signless integer or 64-bit signless integer values}}
  %0 = qnn.gather %d, %i {axis = 0 : i64} : (tensor<4x8xf32>, tensor<2xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @expand_shape(%x: tensor<3x1xf32>) {
  // expected-error @+1 {{'qnn.expand' op cannot broadcast [3,1] to [2,4]}}
  %0 = qnn.expand %x : tensor<3x1xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @pad_reflect(%x: tensor<2x2xf32>) {
  // expected-error @+2 {{'qnn.pad' reflect pads must be smaller than dimension 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.pad %x {pads = array<i64: 2, 0, 0, 0>, mode = #qnn.pad_mode<reflect>} : tensor<2x2xf32> -> tensor<4x2xf32>
  return
}

// -----

func.func @resize_scales(%x: tensor<1x1x2x2xf32>) {
  // expected-error @+1 {{'qnn.resize' op expects 4 scales}}
  %0 = qnn.resize %x {mode = #qnn.resize_mode<nearest>, coordinate_transform = #qnn.coordinate_transform<asymmetric>, nearest_mode = #qnn.nearest_mode<floor>, scales = array<f32: 2.0, 2.0>} : tensor<1x1x2x2xf32> -> tensor<1x1x4x4xf32>
  return
}

// -----

func.func @resize_enum(%x: tensor<1x1x2x2xf32>) {
  // expected-error @+2 {{expected ::qopt::qnn::ResizeMode to be one of: nearest, linear, cubic}}
  // expected-error @+1 {{failed to parse QNN_ResizeModeAttr parameter}}
  %0 = qnn.resize %x {mode = #qnn.resize_mode<bilinear>, coordinate_transform = #qnn.coordinate_transform<asymmetric>, nearest_mode = #qnn.nearest_mode<floor>, scales = array<f32: 1.0, 1.0, 2.0, 2.0>} : tensor<1x1x2x2xf32> -> tensor<1x1x4x4xf32>
  return
}

// -----

func.func @reduce_mean_axes(%x: tensor<2x8xf32>) {
  // expected-error @+2 {{'qnn.reduce_mean' axes [1,0] must be sorted, unique and in [0, rank)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.reduce_mean %x {axes = array<i64: 1, 0>, keepdims = false} : tensor<2x8xf32> -> tensor<f32>
  return
}

// -----

func.func @reduce_sum_axes(%x: tensor<2x8xf32>) {
  // expected-error @+2 {{'qnn.reduce_sum' axes [2] must be sorted}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.reduce_sum %x {axes = array<i64: 2>, keepdims = false} : tensor<2x8xf32> -> tensor<2xf32>
  return
}

// -----

func.func @reduce_max_result(%x: tensor<2x8xf32>) {
  // expected-error @+2 {{incompatible}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.reduce_max %x {axes = array<i64: 1>, keepdims = true} : tensor<2x8xf32> -> tensor<2xf32>
  return
}

// -----

func.func @reduce_min_result(%x: tensor<2x8xf32>) {
  // expected-error @+2 {{incompatible}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.reduce_min %x {axes = array<i64: 1>, keepdims = false} : tensor<2x8xf32> -> tensor<2x1xf32>
  return
}

// -----

func.func @reduce_prod_axes(%x: tensor<2x8xf32>) {
  // expected-error @+2 {{must be sorted, unique}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.reduce_prod %x {axes = array<i64: 0, 0>, keepdims = false} : tensor<2x8xf32> -> tensor<8xf32>
  return
}

// -----

func.func @quantized_result_shape(%x: tensor<4x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+2 {{incompatible}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.relu %x : tensor<4x!quant.uniform<i8:f32, 0.1>> -> tensor<5x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @conv_huge_stride(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{'qnn.conv' kernel, strides and dilations must be at most 2^31}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.conv %x, %w {strides = array<i64: 1099511627776, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x1x6xf32>
  return
}

// -----

func.func @sin_quantized(%x: tensor<4x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values}}
  %0 = qnn.sin %x : tensor<4x!quant.uniform<i8:f32, 0.1>> -> tensor<4x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @cos_quantized(%x: tensor<4x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values}}
  %0 = qnn.cos %x : tensor<4x!quant.uniform<i8:f32, 0.1>> -> tensor<4x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @tan_quantized(%x: tensor<4x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values}}
  %0 = qnn.tan %x : tensor<4x!quant.uniform<i8:f32, 0.1>> -> tensor<4x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @asin_quantized(%x: tensor<4x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values}}
  %0 = qnn.asin %x : tensor<4x!quant.uniform<i8:f32, 0.1>> -> tensor<4x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @acos_quantized(%x: tensor<4x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values}}
  %0 = qnn.acos %x : tensor<4x!quant.uniform<i8:f32, 0.1>> -> tensor<4x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @atan_quantized(%x: tensor<4x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values}}
  %0 = qnn.atan %x : tensor<4x!quant.uniform<i8:f32, 0.1>> -> tensor<4x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @sinh_quantized(%x: tensor<4x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values}}
  %0 = qnn.sinh %x : tensor<4x!quant.uniform<i8:f32, 0.1>> -> tensor<4x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @cosh_quantized(%x: tensor<4x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values}}
  %0 = qnn.cosh %x : tensor<4x!quant.uniform<i8:f32, 0.1>> -> tensor<4x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @asinh_quantized(%x: tensor<4x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values}}
  %0 = qnn.asinh %x : tensor<4x!quant.uniform<i8:f32, 0.1>> -> tensor<4x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @acosh_quantized(%x: tensor<4x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values}}
  %0 = qnn.acosh %x : tensor<4x!quant.uniform<i8:f32, 0.1>> -> tensor<4x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @atanh_quantized(%x: tensor<4x!quant.uniform<i8:f32, 0.1>>) {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values}}
  %0 = qnn.atanh %x : tensor<4x!quant.uniform<i8:f32, 0.1>> -> tensor<4x!quant.uniform<i8:f32, 0.1>>
  return
}

// -----

func.func @arg_max_axis(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{'qnn.arg_max' axis 2 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.arg_max %x {axis = 2 : i64, keepdims = false} : tensor<2x3xf32> -> tensor<2xi64>
  return
}

// -----

func.func @arg_min_empty(%x: tensor<2x0xf32>) {
  // expected-error @+1 {{'qnn.arg_min' op cannot reduce an empty axis}}
  %0 = qnn.arg_min %x {axis = 1 : i64, keepdims = false} : tensor<2x0xf32> -> tensor<2xi64>
  return
}

// -----

func.func @cum_sum_axis(%x: tensor<2x3xi64>) {
  // expected-error @+2 {{'qnn.cum_sum' axis 3 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.cum_sum %x {axis = 3 : i64} : tensor<2x3xi64> -> tensor<2x3xi64>
  return
}

// -----

func.func @gather_elements_rank(%d: tensor<2x5xf32>, %i: tensor<3xi64>) {
  // expected-error @+2 {{'qnn.gather_elements' indices must have the rank of data (2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.gather_elements %d, %i {axis = 0 : i64} : (tensor<2x5xf32>, tensor<3xi64>) -> tensor<3xf32>
  return
}

// -----

func.func @dynamic_dims(%x: tensor<1xf32>) {
  // expected-error @+1 {{'qnn.expand' op result #0 must be statically shaped tensor of}}
  %0 = qnn.expand %x : tensor<1xf32> -> tensor<?xf32>
  return
}

// -----

func.func @resize_shape(%x: tensor<1x1x2x2xf32>) {
  // expected-error @+1 {{'qnn.resize' op result dimension 2 (100) does not follow from 2 x scale 2}}
  %0 = qnn.resize %x {mode = #qnn.resize_mode<nearest>, coordinate_transform = #qnn.coordinate_transform<asymmetric>, nearest_mode = #qnn.nearest_mode<floor>, scales = array<f32: 1.0, 1.0, 2.0, 2.0>} : tensor<1x1x2x2xf32> -> tensor<1x1x100x3xf32>
  return
}

// -----

func.func @cum_sum_scalar(%x: tensor<i64>) {
  // expected-error @+2 {{'qnn.cum_sum' needs rank >= 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.cum_sum %x {axis = 0 : i64} : tensor<i64> -> tensor<i64>
  return
}

// -----

func.func @gather_elements_dims(%d: tensor<2x5xf32>, %i: tensor<3x1xi64>) {
  // expected-error @+2 {{'qnn.gather_elements' indices [3,1] exceed data [2,5] in dimension 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.gather_elements %d, %i {axis = 1 : i64} : (tensor<2x5xf32>, tensor<3x1xi64>) -> tensor<3x1xf32>
  return
}

// -----

func.func @activation_params_count(%a: tensor<2xf32>) {
  // expected-error @+1 {{'qnn.add' op activation clip takes 2 parameters, got 1}}
  %0 = qnn.add %a, %a {activation = #qnn.activation<clip>, activation_params = array<f64: 0.0>} : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @activation_params_alone(%a: tensor<2x2xf32>) {
  // expected-error @+1 {{'qnn.matmul' op has activation_params but no activation}}
  %0 = qnn.matmul %a, %a {activation_params = array<f64: 0.0>} : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  return
}

// -----

func.func @activation_clip_bounds(%a: tensor<2x2xf32>) {
  // expected-error @+1 {{'qnn.gemm' op clip activation min 6.000000e+00 exceeds max 0.000000e+00}}
  %0 = qnn.gemm %a, %a {activation = #qnn.activation<clip>, activation_params = array<f64: 6.0, 0.0>} : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  return
}

// -----

func.func @conv_residual_type(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x1x1xf32>, %r: tensor<1x4x8x1xf32>) {
  // expected-error @+1 {{'qnn.conv' op residual of type 'tensor<1x4x8x1xf32>' differs from the result type 'tensor<1x4x8x8xf32>'}}
  %0 = qnn.conv %x, %w residual(%r) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x1x1xf32>, tensor<1x4x8x1xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @activation_on_integers(%x: tensor<4xi32>) {
  // expected-error @+1 {{'qnn.add' op activation hard_swish needs a float or quantized result, got 'i32'}}
  %0 = qnn.add %x, %x {activation = #qnn.activation<hard_swish>} : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  return
}

// -----

func.func @conv_quantized_residual_on_float(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x1x1xf32>, %r: tensor<1x4x8x8x!quant.uniform<i8:f32, 0.5:3>>) {
  // expected-error @+1 {{residual of type}}
  %0 = qnn.conv %x, %w residual(%r) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x1x1xf32>, tensor<1x4x8x8x!quant.uniform<i8:f32, 0.5:3>>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @requantize_shape(%x: tensor<2x3x!quant.uniform<i8:f32, 0.05:-3>>) {
  // expected-error @+1 {{'qnn.requantize' op input shape [2,3] differs from result shape [3,2]}}
  %0 = qnn.requantize %x : tensor<2x3x!quant.uniform<i8:f32, 0.05:-3>> -> tensor<3x2x!quant.uniform<i8:f32, 0.1:0>>
  return
}

// -----

func.func @requantize_per_axis(%x: tensor<2x3x!quant.uniform<i8:f32:1, {0.05, 0.1, 0.2}>>) {
  // expected-error @+1 {{'qnn.requantize' op requantizes per-tensor types only}}
  %0 = qnn.requantize %x : tensor<2x3x!quant.uniform<i8:f32:1, {0.05, 0.1, 0.2}>> -> tensor<2x3x!quant.uniform<i8:f32, 0.1:0>>
  return
}

// -----

func.func @requantize_float(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{must be statically shaped tensor of uniform quantized type values}}
  %0 = qnn.requantize %x : tensor<2x3xf32> -> tensor<2x3x!quant.uniform<i8:f32, 0.1:0>>
  return
}

// -----

func.func @lut_table_size(%x: tensor<4x!quant.uniform<i8:f32, 0.05:-3>>, %t: tensor<128xi8>) {
  // expected-error @+1 {{'qnn.lut' op table must have 256 entries, got [128]}}
  %0 = qnn.lut %x, %t : (tensor<4x!quant.uniform<i8:f32, 0.05:-3>>, tensor<128xi8>) -> tensor<4x!quant.uniform<i8:f32, 0.1:0>>
  return
}

// -----

func.func @lut_wide(%x: tensor<4x!quant.uniform<i16:f32, 0.05:-3>>, %t: tensor<256xi8>) {
  // expected-error @+1 {{'qnn.lut' op table must have 65536 entries, got [256]}}
  %0 = qnn.lut %x, %t : (tensor<4x!quant.uniform<i16:f32, 0.05:-3>>, tensor<256xi8>) -> tensor<4x!quant.uniform<i8:f32, 0.1:0>>
  return
}

// -----

func.func @gather_nd_tuple(%d: tensor<2x5xf32>, %i: tensor<3x3xi64>) {
  // expected-error @+2 {{'qnn.gather_nd' index tuples of length 3 do not fit data [2,5] after 0 batch dimensions}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.gather_nd %d, %i : (tensor<2x5xf32>, tensor<3x3xi64>) -> tensor<3xf32>
  return
}

// -----

func.func @gather_nd_batch(%d: tensor<2x5xf32>, %i: tensor<3x1xi64>) {
  // expected-error @+2 {{'qnn.gather_nd' batch dimensions of data [2,5] and indices [3,1] differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.gather_nd %d, %i {batch_dims = 1 : i64} : (tensor<2x5xf32>, tensor<3x1xi64>) -> tensor<3xf32>
  return
}

// -----

func.func @scatter_nd_updates(%d: tensor<4x4xf32>, %i: tensor<2x1xi64>, %u: tensor<2x3xf32>) {
  // expected-error @+2 {{'qnn.scatter_nd' updates have shape [2,3], expected [2,4]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.scatter_nd %d, %i, %u : (tensor<4x4xf32>, tensor<2x1xi64>, tensor<2x3xf32>) -> tensor<4x4xf32>
  return
}

// -----

func.func @scatter_nd_type(%d: tensor<4x4xf32>, %i: tensor<2x1xi64>, %u: tensor<2x4xf16>) {
  // expected-error @+2 {{'qnn.scatter_nd' updates must have the element type of data}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.scatter_nd %d, %i, %u : (tensor<4x4xf32>, tensor<2x1xi64>, tensor<2x4xf16>) -> tensor<4x4xf32>
  return
}

// -----

func.func @scatter_elements_dims(%d: tensor<2x5xf32>, %i: tensor<3x1xi64>, %u: tensor<3x1xf32>) {
  // expected-error @+2 {{'qnn.scatter_elements' indices [3,1] exceed data [2,5] in dimension 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.scatter_elements %d, %i, %u {axis = 1 : i64} : (tensor<2x5xf32>, tensor<3x1xi64>, tensor<3x1xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @scatter_elements_reduction(%d: tensor<2x5xf32>, %i: tensor<2x1xi64>, %u: tensor<2x1xf32>) {
  // expected-error @+2 {{expected ::qopt::qnn::ScatterReduction to be one of: none, add, mul, max, min}}
  // expected-error @+1 {{failed to parse QNN_ScatterReductionAttr parameter 'value'}}
  %0 = qnn.scatter_elements %d, %i, %u {axis = 1 : i64, reduction = #qnn.scatter_reduction<sum>} : (tensor<2x5xf32>, tensor<2x1xi64>, tensor<2x1xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @top_k_too_many(%x: tensor<2x5xf32>) {
  // expected-error @+2 {{'qnn.top_k' k = 6 must be in [1, 5], the size of axis 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.top_k %x {axis = -1 : i64, k = 6 : i64} : tensor<2x5xf32> -> tensor<2x6xi64>
  return
}

// -----

func.func @top_k_result(%x: tensor<2x5xf32>) {
  // expected-error @+2 {{'qnn.top_k' op inferred type(s) 'tensor<2x2xi64>' are incompatible with return type(s) of operation 'tensor<2x3xi64>'}}
  // expected-error @+1 {{'qnn.top_k' op failed to infer returned types}}
  %0 = qnn.top_k %x {axis = 1 : i64, k = 2 : i64} : tensor<2x5xf32> -> tensor<2x3xi64>
  return
}

// -----

func.func @grid_sample_grid(%x: tensor<1x3x8x8xf32>, %g: tensor<1x4x4x3xf32>) {
  // expected-error @+2 {{'qnn.grid_sample' needs input [N, C, H, W] and grid [N, Ho, Wo, 2], got [1,3,8,8] and [1,4,4,3]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.grid_sample %x, %g {mode = #qnn.resize_mode<linear>, padding = #qnn.grid_padding<zeros>, align_corners = false} : (tensor<1x3x8x8xf32>, tensor<1x4x4x3xf32>) -> tensor<1x3x4x4xf32>
  return
}

// -----

func.func @grid_sample_int(%x: tensor<1x3x8x8xi8>, %g: tensor<1x4x4x2xf32>) {
  // expected-error @+1 {{'qnn.grid_sample' op operand #0 must be statically shaped tensor of}}
  %0 = qnn.grid_sample %x, %g {mode = #qnn.resize_mode<linear>, padding = #qnn.grid_padding<zeros>, align_corners = false} : (tensor<1x3x8x8xi8>, tensor<1x4x4x2xf32>) -> tensor<1x3x4x4xi8>
  return
}

// -----

func.func @max_unpool_indices(%x: tensor<1x2x4x4xf32>, %i: tensor<1x2x4x3xi64>) {
  // expected-error @+1 {{'qnn.max_unpool' op indices [1,2,4,3] must have the input's shape [1,2,4,4]}}
  %0 = qnn.max_unpool %x, %i {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x2x4x4xf32>, tensor<1x2x4x3xi64>) -> tensor<1x2x8x8xf32>
  return
}

// -----

func.func @max_unpool_channels(%x: tensor<1x2x4x4xf32>, %i: tensor<1x2x4x4xi64>) {
  // expected-error @+1 {{'qnn.max_unpool' op result 'tensor<1x3x8x8xf32>' must keep the input's batch, channels and type}}
  %0 = qnn.max_unpool %x, %i {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xi64>) -> tensor<1x3x8x8xf32>
  return
}

// -----

func.func @max_pool_indices_window(%x: tensor<1x2x4x4xf32>) {
  // expected-error @+2 {{'qnn.max_pool_indices' pads must be smaller than the kernel}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.max_pool_indices %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 2, 0, 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x2x4x4xf32> -> tensor<1x2x3x2xi64>
  return
}

// -----

func.func @max_pool_empty_window(%x: tensor<1x2x2xf32>) {
  // Taps at -1 and 2 step over both elements.
  // expected-error @+2 {{'qnn.max_pool' window 0 of spatial dimension 0 covers no input element}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.max_pool %x {kernel_shape = array<i64: 2>, strides = array<i64: 1>, pads = array<i64: 1, 1>, dilations = array<i64: 3>} : tensor<1x2x2xf32> -> tensor<1x2x1xf32>
  return
}

// -----

func.func @top_k_bool(%x: tensor<2x5xi1>) {
  // expected-error @+2 {{'qnn.top_k' does not order booleans}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.top_k %x {axis = 1 : i64, k = 2 : i64} : tensor<2x5xi1> -> tensor<2x2xi64>
  return
}

// -----

func.func @scatter_add_bool(%d: tensor<4xi1>, %i: tensor<2x1xi64>, %u: tensor<2xi1>) {
  // expected-error @+2 {{'qnn.scatter_nd' reduction add needs float or integer data, got i1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = qnn.scatter_nd %d, %i, %u {reduction = #qnn.scatter_reduction<add>} : (tensor<4xi1>, tensor<2x1xi64>, tensor<2xi1>) -> tensor<4xi1>
  return
}
