// RUN: qopt %s -split-input-file --qopt-insert-qdq="calib-cache=%S/Inputs/calib-small.json exclude=add,hard_swish" --verify-diagnostics -o /dev/null

// Ops that stay float say why: excluded by name, or missing statistics
// (tensors without a location are named after their op, here 'qnn.add').
func.func @excluded(%x: tensor<1x4xf32> {qnn.name = "x"}) -> tensor<1x4xf32> {
  // expected-remark @+1 {{kept in float: excluded by --exclude hard_swish}}
  %0 = qnn.hard_swish %x : tensor<1x4xf32> -> tensor<1x4xf32>
  // expected-remark @+1 {{kept in float: excluded by --exclude add}}
  %1 = qnn.add %0, %x : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  return %1 : tensor<1x4xf32>
}

// -----

func.func @no_stats(%x: tensor<1x4xf32> {qnn.name = "x"}, %y: tensor<1x4xf32> {qnn.name = "unseen"}) -> tensor<1x4xf32> {
  // expected-remark @+1 {{kept in float: tensor 'unseen' has no calibration statistics}}
  %0 = qnn.mul %x, %y : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}

// -----

func.func @not_a_clamp(%x: tensor<1x4xf32> {qnn.name = "x"}, %w: tensor<4x4xf32>) -> tensor<1x4xf32> {
  // expected-remark @+1 {{kept in float: fused hard_swish is not a clamp}}
  %0 = qnn.matmul %x, %w {activation = #qnn.activation<hard_swish>} : (tensor<1x4xf32>, tensor<4x4xf32>) -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}
