// RUN: qopt %S/Inputs/conv-int8-16x8.mlir --pass-pipeline='builtin.module(func.func(qopt-lower-to-linalg{tensor-cores}))' | FileCheck %s
// RUN: qopt %S/Inputs/conv-int8-16x8.mlir --pass-pipeline='builtin.module(qopt-gpu-codegen{targets=sm_80 tensor-cores=true})' | FileCheck %s --check-prefix=PTX
// RUN: qopt %S/Inputs/tiny-int8.mlir --pass-pipeline='builtin.module(func.func(qopt-lower-to-linalg{tensor-cores}))' | FileCheck %s --check-prefix=SMALL
// RUN: qopt %S/Inputs/gemm-int8-3x40x20.mlir --pass-pipeline='builtin.module(func.func(qopt-lower-to-linalg{tensor-cores}))' | FileCheck %s --check-prefix=GEMM

// A 16-channel int8 conv becomes one tensor-core kernel: weights and the
// im2col tile staged in shared memory, ldmatrix + mma.sync m16n8k32 per warp,
// the epilogue through shared memory; the buffers enter and leave through
// bufferization casts.
// CHECK-LABEL: func.func @main
// CHECK: %[[X:.+]] = bufferization.to_buffer %{{.+}} read_only : tensor<1x8x6x6xi8> to memref<1x8x6x6xi8>
// CHECK: %[[Y:.+]] = memref.alloc() : memref<1x16x6x6xi8>
// CHECK: gpu.launch blocks({{.*}}) in (%{{.+}} = %c1{{.*}}) threads({{.*}}) in (%{{.+}} = %c128{{.*}}) workgroup(%{{.+}} : memref<64x32xi8, #gpu.address_space<workgroup>>, %{{.+}} : memref<64x32xi8, #gpu.address_space<workgroup>>, %{{.+}} : memref<64x64xi32, #gpu.address_space<workgroup>>)
// CHECK: scf.for
// CHECK: memref.load %[[X]]
// CHECK: gpu.barrier
// CHECK: nvgpu.ldmatrix {{.*}} {numTiles = 4 : i32, transpose = false}
// CHECK: nvgpu.ldmatrix {{.*}} {numTiles = 2 : i32, transpose = false}
// CHECK: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 32]} : (vector<4x4xi8>, vector<2x4xi8>, vector<2x2xi32>) -> vector<2x2xi32>
// CHECK: gpu.barrier
// CHECK: arith.shrsi
// CHECK: memref.store %{{.+}}, %[[Y]]
// CHECK: gpu.terminator
// CHECK: bufferization.to_tensor %[[Y]] restrict writable

// PTX-LABEL: gpu.binary
// PTX: .shared .align 16 .b8
// PTX: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX: mma.sync.aligned.m16n8k32.row.col.satfinite.s32.s8.s8.s32

// Convs too small for a tile (4 output channels) and depthwise convs stay SIMT.
// SMALL-NOT: gpu.launch
// SMALL-NOT: nvgpu.mma.sync

// An int8 gemm is the same kernel over the rows of A, with B transposed to
// [N, K] at compile time (a new constant) and the result stored row-major.
// GEMM-LABEL: func.func @main
// GEMM: arith.constant dense_resource<{{.+}}> : tensor<20x40xi8>
// GEMM: gpu.launch
// GEMM: nvgpu.mma.sync
// GEMM: memref.store %{{.+}}, %{{[a-z0-9_]+}}[%{{.+}}, %{{.+}}] : memref<3x20xi8>

