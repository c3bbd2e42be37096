// RUN: qopt %s --qopt-lower-to-linalg -split-input-file -verify-diagnostics

// An op with no lowering is refused as unsupported.
func.func @no_lowering(%arg0: tensor<2x3xi32>) -> tensor<2xi32> {
  // expected-error @+1 {{unsupported on the GPU path: integer reductions (only float)}}
  %0 = qnn.reduce_sum %arg0 {axes = array<i64: 1>, keepdims = false} : tensor<2x3xi32> -> tensor<2xi32>
  return %0 : tensor<2xi32>
}

// -----

// Unsigned integers (ONNX uint8 tensors) are refused, not miscompiled.
func.func @unsigned(%a: tensor<4xui8>, %b: tensor<4xui8>) -> tensor<4xi1> {
  // expected-error @+1 {{unsupported on the GPU path: 'qnn.less' on 'ui8' (signless integers only)}}
  %0 = qnn.less %a, %b : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

// A fused activation that is not a clamp cannot end an integer op.
func.func @not_a_clamp(%a: tensor<4x!quant.uniform<i8:f32, 0.1:0>>, %b: tensor<4x!quant.uniform<i8:f32, 0.1:0>>)
    -> tensor<4x!quant.uniform<i8:f32, 0.1:0>> {
  // expected-error @+1 {{fused hard_swish is not a clamp and cannot end an integer op}}
  %0 = qnn.add %a, %b {activation = #qnn.activation<hard_swish>} : (tensor<4x!quant.uniform<i8:f32, 0.1:0>>, tensor<4x!quant.uniform<i8:f32, 0.1:0>>) -> tensor<4x!quant.uniform<i8:f32, 0.1:0>>
  return %0 : tensor<4x!quant.uniform<i8:f32, 0.1:0>>
}

// -----

// Requantization scales of 2^29 and more do not fit the fixed-point form.
func.func @scale_too_large(%a: tensor<4x!quant.uniform<i8:f32, 1.0e+3:0>>, %b: tensor<4x!quant.uniform<i8:f32, 1.0e+3:0>>)
    -> tensor<4x!quant.uniform<i8:f32, 1.0e-9:0>> {
  // expected-error @+1 {{too large}}
  %0 = qnn.mul %a, %b : (tensor<4x!quant.uniform<i8:f32, 1.0e+3:0>>, tensor<4x!quant.uniform<i8:f32, 1.0e+3:0>>) -> tensor<4x!quant.uniform<i8:f32, 1.0e-9:0>>
  return %0 : tensor<4x!quant.uniform<i8:f32, 1.0e-9:0>>
}

// -----

// TopK and scatter reductions on unsigned integers are refused (arith has
// no unsigned element types), not left to fail IR verification.
func.func @top_k_unsigned(%x: tensor<2x5xui8>) -> tensor<2x2xi64> {
  // expected-error @+1 {{unsupported on the GPU path: top_k of 'ui8' (signless integers only)}}
  %0 = qnn.top_k %x {axis = 1 : i64, k = 2 : i64} : tensor<2x5xui8> -> tensor<2x2xi64>
  return %0 : tensor<2x2xi64>
}

// -----

func.func @scatter_max_unsigned(%d: tensor<4xui8>, %i: tensor<2x1xi64>, %u: tensor<2xui8>) -> tensor<4xui8> {
  // expected-error @+1 {{unsupported on the GPU path: qnn.scatter_nd reduction on 'ui8' (signless integers only)}}
  %0 = qnn.scatter_nd %d, %i, %u {reduction = #qnn.scatter_reduction<max>} : (tensor<4xui8>, tensor<2x1xi64>, tensor<2xui8>) -> tensor<4xui8>
  return %0 : tensor<4xui8>
}
