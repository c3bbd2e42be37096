// RUN: qopt %s --qopt-lower-to-linalg -split-input-file | FileCheck %s

// GatherND: the element's leading indices name a tuple; each tuple entry is
// read, made non-negative and clamped, and indexes data's next dimension.
// CHECK-LABEL: func.func @gather_nd
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<2x3x4xf32>)
// CHECK: tensor.extract %arg1[%{{.*}}, %{{.*}}, %c0{{.*}}] : tensor<2x3x1xi64>
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: tensor.extract %arg0[%{{.*}}, %{{.*}}, %{{.*}}] : tensor<2x5x4xf32>
func.func @gather_nd(%d: tensor<2x5x4xf32>, %i: tensor<2x3x1xi64>) -> tensor<2x3x4xf32> {
  %0 = qnn.gather_nd %d, %i {batch_dims = 1 : i64} : (tensor<2x5x4xf32>, tensor<2x3x1xi64>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// ScatterND with constant indices: the tuples are inverted at compile time
// into per-row lists (row 0: tuple 1; row 2: tuples 0 then 2, in tuple
// order), and each element folds in only its own updates.
// CHECK-LABEL: func.func @scatter_nd_constant
// CHECK-DAG: %[[OFF:.+]] = arith.constant dense<[0, 1, 1, 3, 3]> : tensor<5xi32>
// CHECK-DAG: %[[WR:.+]] = arith.constant dense<[1, 0, 2]> : tensor<3xi32>
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<4x3xf32>)
// CHECK: tensor.extract %[[OFF]]
// CHECK: tensor.extract %[[OFF]]
// CHECK: scf.for
// CHECK: tensor.extract %[[WR]]
// CHECK: arith.addf
func.func @scatter_nd_constant(%d: tensor<4x3xf32>, %u: tensor<3x3xf32>) -> tensor<4x3xf32> {
  %i = qnn.constant dense<[[2], [0], [-2]]> : tensor<3x1xi64>
  %0 = qnn.scatter_nd %d, %i, %u {reduction = #qnn.scatter_reduction<add>} : (tensor<4x3xf32>, tensor<3x1xi64>, tensor<3x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// ScatterND with run-time indices scans every tuple; max is arith.maximumf
// (NaN wins, -0 below +0), as in the reference.
// CHECK-LABEL: func.func @scatter_nd_runtime
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<4x3xf32>)
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c3
// CHECK: tensor.extract %arg1
// CHECK: arith.cmpi eq
// CHECK: arith.maximumf
// CHECK: arith.select
func.func @scatter_nd_runtime(%d: tensor<4x3xf32>, %i: tensor<3x1xi64>, %u: tensor<3x3xf32>) -> tensor<4x3xf32> {
  %0 = qnn.scatter_nd %d, %i, %u {reduction = #qnn.scatter_reduction<max>} : (tensor<4x3xf32>, tensor<3x1xi64>, tensor<3x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// ScatterElements scans only indices' axis (2 positions); rows beyond
// indices' first dimension (2 of 3) receive nothing.
// CHECK-LABEL: func.func @scatter_elements
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<3x5xi8>)
// CHECK: arith.cmpi slt, %{{.*}}, %c2
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c2
// CHECK: arith.cmpi eq
// CHECK: arith.andi
// CHECK: arith.minsi
func.func @scatter_elements(%d: tensor<3x5xi8>, %i: tensor<2x2xi64>, %u: tensor<2x2xi8>) -> tensor<3x5xi8> {
  %0 = qnn.scatter_elements %d, %i, %u {axis = 1 : i64, reduction = #qnn.scatter_reduction<min>} : (tensor<3x5xi8>, tensor<2x2xi64>, tensor<2x2xi8>) -> tensor<3x5xi8>
  return %0 : tensor<3x5xi8>
}

// -----

// TopK: every element's rank along the axis (one kernel, a loop over the
// row counting the elements before it, NaN above numbers, ties by position),
// then each output slot finds the element of its rank.
// CHECK-LABEL: func.func @top_k
// CHECK: %[[RANK:.+]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<2x6xi32>)
// CHECK: scf.for
// CHECK: arith.cmpf uno
// CHECK: arith.cmpf ogt
// CHECK: arith.cmpf oeq
// CHECK: arith.cmpi slt
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<2x3xi64>)
// CHECK: scf.for
// CHECK: tensor.extract %[[RANK]]
// CHECK: arith.select
func.func @top_k(%x: tensor<2x6xf32>) -> tensor<2x3xi64> {
  %0 = qnn.top_k %x {axis = -1 : i64, k = 3 : i64, largest = false} : tensor<2x6xf32> -> tensor<2x3xi64>
  return %0 : tensor<2x3xi64>
}

// -----

// GridSample, bilinear with reflection: the point is folded inside (floor of
// the distance over the range, parity of the fold count), then four taps
// are read through the same fold and weighted; one generic, no loop.
// CHECK-LABEL: func.func @grid_sample
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x2x4x5xf32>)
// CHECK-NOT: scf.for
// CHECK: tensor.extract %arg1
// CHECK: math.floor
// CHECK: arith.andi
// CHECK: math.floor
// CHECK-COUNT-4: tensor.extract %arg0
// CHECK: linalg.yield
func.func @grid_sample(%x: tensor<1x2x6x6xf32>, %g: tensor<1x4x5x2xf32>) -> tensor<1x2x4x5xf32> {
  %0 = qnn.grid_sample %x, %g {mode = #qnn.resize_mode<linear>, padding = #qnn.grid_padding<reflection>, align_corners = false} : (tensor<1x2x6x6xf32>, tensor<1x4x5x2xf32>) -> tensor<1x2x4x5xf32>
  return %0 : tensor<1x2x4x5xf32>
}

// -----

// No update at all (indices with an empty dimension): the data as it is. The
// kernel used to read indices[.., -1] of the empty tensor.
// CHECK-LABEL: func.func @scatter_elements_empty
// CHECK-NOT: linalg.generic
// CHECK: return %arg0
func.func @scatter_elements_empty(%d: tensor<2x3xf32>, %i: tensor<2x0xi64>, %u: tensor<2x0xf32>) -> tensor<2x3xf32> {
  %0 = qnn.scatter_elements %d, %i, %u {axis = 0 : i64} : (tensor<2x3xf32>, tensor<2x0xi64>, tensor<2x0xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Constant indices over more than 2^22 targets keep the per-element scan
// rather than a 16 MB list of targets.
// CHECK-LABEL: func.func @scatter_nd_many_targets
// CHECK-NOT: tensor<4194306xi32>
// CHECK: linalg.generic
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c1
// CHECK: arith.cmpi eq
func.func @scatter_nd_many_targets(%d: tensor<4194305x1xf32>, %u: tensor<1x1xf32>) -> tensor<4194305x1xf32> {
  %i = qnn.constant dense<[[7]]> : tensor<1x1xi64>
  %0 = qnn.scatter_nd %d, %i, %u : (tensor<4194305x1xf32>, tensor<1x1xi64>, tensor<1x1xf32>) -> tensor<4194305x1xf32>
  return %0 : tensor<4194305x1xf32>
}
