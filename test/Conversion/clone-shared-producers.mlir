// RUN: qopt %s --pass-pipeline='builtin.module(func.func(qopt-clone-shared-producers))' -split-input-file | FileCheck %s
// RUN: qopt %s --pass-pipeline='builtin.module(func.func(qopt-clone-shared-producers),linalg-fuse-elementwise-ops)' -split-input-file | FileCheck %s --check-prefix=FUSED

// A scale computed as a one-element tensor, collapsed to a scalar and read
// by two kernels (the shape of dynamic quantization): both read the element
// directly, each gets its own copy of the scale, and fusion leaves two
// kernels instead of three.
#id = affine_map<(d0) -> (d0)>
#scalar = affine_map<(d0, d1) -> ()>
#full = affine_map<(d0, d1) -> (d0, d1)>
func.func @shared_scale(%m: tensor<1xf32>, %x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %c127 = arith.constant 127.0 : f32
  %e = tensor.empty() : tensor<1xf32>
  %s = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%m : tensor<1xf32>) outs(%e : tensor<1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %d = arith.divf %a, %c127 : f32
    linalg.yield %d : f32
  } -> tensor<1xf32>
  %s0 = tensor.collapse_shape %s [] : tensor<1xf32> into tensor<f32>
  %e2 = tensor.empty() : tensor<4x8xf32>
  %q = linalg.generic {indexing_maps = [#full, #scalar, #full], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s0 : tensor<4x8xf32>, tensor<f32>) outs(%e2 : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.divf %a, %b : f32
    linalg.yield %d : f32
  } -> tensor<4x8xf32>
  %r = linalg.generic {indexing_maps = [#full, #scalar, #full], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s0 : tensor<4x8xf32>, tensor<f32>) outs(%e2 : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.mulf %a, %b : f32
    linalg.yield %d : f32
  } -> tensor<4x8xf32>
  return %q, %r : tensor<4x8xf32>, tensor<4x8xf32>
}
// CHECK-DAG: #[[ZERO:.*]] = affine_map<(d0, d1) -> (0)>
// CHECK-LABEL: func.func @shared_scale
// CHECK-NOT: tensor.collapse_shape
// CHECK: %[[S1:.*]] = linalg.generic
// CHECK: arith.divf %{{.*}}, %cst
// CHECK: %[[S2:.*]] = linalg.generic
// CHECK: arith.divf %{{.*}}, %cst
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[ZERO]], #{{.*}}]{{.*}} ins(%{{.*}}, %[[S2]] :
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[ZERO]], #{{.*}}]{{.*}} ins(%{{.*}}, %[[S1]] :
// FUSED-LABEL: func.func @shared_scale
// FUSED-COUNT-2: linalg.generic
// FUSED-NOT: linalg.generic
// FUSED: return

// -----

// A producer that loops (a reduction or a conv in QOpt's lowering) is not
// recomputed: it stays one kernel that both users read.
#id = affine_map<(d0) -> (d0)>
#row = affine_map<(d0, d1) -> (d0)>
#full = affine_map<(d0, d1) -> (d0, d1)>
func.func @looping_producer(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %sum = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]} outs(%e : tensor<4xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %t = scf.for %k = %c0 to %c8 step %c1 iter_args(%acc = %zero) -> (f32) {
      %v = tensor.extract %x[%i, %k] : tensor<4x8xf32>
      %n = arith.addf %acc, %v : f32
      scf.yield %n : f32
    }
    linalg.yield %t : f32
  } -> tensor<4xf32>
  %e2 = tensor.empty() : tensor<4x8xf32>
  %a = linalg.generic {indexing_maps = [#full, #row, #full], iterator_types = ["parallel", "parallel"]}
      ins(%x, %sum : tensor<4x8xf32>, tensor<4xf32>) outs(%e2 : tensor<4x8xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %d = arith.divf %p, %q : f32
    linalg.yield %d : f32
  } -> tensor<4x8xf32>
  %b = linalg.generic {indexing_maps = [#full, #row, #full], iterator_types = ["parallel", "parallel"]}
      ins(%x, %sum : tensor<4x8xf32>, tensor<4xf32>) outs(%e2 : tensor<4x8xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %d = arith.subf %p, %q : f32
    linalg.yield %d : f32
  } -> tensor<4x8xf32>
  return %a, %b : tensor<4x8xf32>, tensor<4x8xf32>
}
// CHECK-LABEL: func.func @looping_producer
// CHECK-COUNT-1: scf.for
// CHECK-NOT: scf.for
// CHECK: return

// -----

// A producer whose value also leaves the function must exist anyway: it is
// not copied into its other user.
#id = affine_map<(d0) -> (d0)>
func.func @returned_producer(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %e = tensor.empty() : tensor<8xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%p: f32, %o: f32):
    %d = arith.negf %p : f32
    linalg.yield %d : f32
  } -> tensor<8xf32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%a : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%p: f32, %o: f32):
    %d = arith.mulf %p, %p : f32
    linalg.yield %d : f32
  } -> tensor<8xf32>
  return %a, %b : tensor<8xf32>, tensor<8xf32>
}
// CHECK-LABEL: func.func @returned_producer
// CHECK-COUNT-1: arith.negf
// CHECK-NOT: arith.negf
// CHECK: return

// -----

// Above max-elements a shared value is kept: recomputing a large tensor in
// each user would read its inputs once per user.
#id = affine_map<(d0) -> (d0)>
func.func @large_producer(%x: tensor<100000xf32>) -> (tensor<100000xf32>, tensor<100000xf32>) {
  %e = tensor.empty() : tensor<100000xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<100000xf32>) outs(%e : tensor<100000xf32>) {
  ^bb0(%p: f32, %o: f32):
    %d = arith.negf %p : f32
    linalg.yield %d : f32
  } -> tensor<100000xf32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%a : tensor<100000xf32>) outs(%e : tensor<100000xf32>) {
  ^bb0(%p: f32, %o: f32):
    %d = arith.mulf %p, %p : f32
    linalg.yield %d : f32
  } -> tensor<100000xf32>
  %c = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%a : tensor<100000xf32>) outs(%e : tensor<100000xf32>) {
  ^bb0(%p: f32, %o: f32):
    %d = arith.addf %p, %p : f32
    linalg.yield %d : f32
  } -> tensor<100000xf32>
  return %b, %c : tensor<100000xf32>, tensor<100000xf32>
}
// CHECK-LABEL: func.func @large_producer
// CHECK-COUNT-1: arith.negf
// CHECK-NOT: arith.negf
// CHECK: return
