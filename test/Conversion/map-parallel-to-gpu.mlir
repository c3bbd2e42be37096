// RUN: qopt %s --qopt-map-parallel-to-gpu=block-size=4 | FileCheck %s

// A 2-D nest of 3 x 5 = 15 points: 4 blocks of 4 threads, the tail guarded,
// the indices rebuilt from the linear id.
// CHECK-LABEL: func.func @nest
// CHECK: gpu.launch blocks(%[[BX:[^,]+]], %{{[^)]+}}) in (%{{[^ ]+}} = %c4, {{.*}}) threads(%[[TX:[^,]+]], %{{[^)]+}}) in (%{{[^ ]+}} = %c4
// CHECK: %[[MUL:.+]] = arith.muli %[[BX]], %{{.+}} : index
// CHECK: %[[LIN:.+]] = arith.addi %[[MUL]], %[[TX]] : index
// CHECK: %[[OK:.+]] = arith.cmpi ult, %[[LIN]], %c15 : index
// CHECK: scf.if %[[OK]]
// CHECK: %[[IJ:.+]]:2 = affine.delinearize_index %[[LIN]] into (3, 5)
// CHECK: memref.store %{{.+}}, %arg0[%[[IJ]]#0, %[[IJ]]#1]
// CHECK: gpu.terminator
// CHECK-NOT: scf.parallel
func.func @nest(%arg0: memref<3x5xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c5 = arith.constant 5 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c3, %c5) step (%c1, %c1) {
    memref.store %f, %arg0[%i, %j] : memref<3x5xf32>
    scf.reduce
  }
  return
}

// A nest with a lower bound and a step: indices are scaled and offset back.
// CHECK-LABEL: func.func @strided
// CHECK: gpu.launch
// CHECK: arith.cmpi ult, %{{.+}}, %c5 : index
// CHECK: arith.muli %{{.+}}, %{{.+}} : index
// CHECK: arith.addi %{{.+}}, %{{.+}} : index
// CHECK: memref.store
func.func @strided(%arg0: memref<10xf32>) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c10 = arith.constant 10 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c1) to (%c10) step (%c2) {
    memref.store %f, %arg0[%i] : memref<10xf32>
    scf.reduce
  }
  return
}
