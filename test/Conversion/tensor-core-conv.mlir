// RUN: qopt %S/Inputs/conv-int8-16x8.mlir --pass-pipeline='builtin.module(func.func(qopt-lower-to-linalg{tensor-cores}))' | FileCheck %s
// RUN: qopt %S/Inputs/conv-int8-16x8.mlir --pass-pipeline='builtin.module(qopt-gpu-codegen{targets=sm_80 tensor-cores=true})' | FileCheck %s --check-prefix=PTX
// RUN: qopt %S/Inputs/tiny-int8.mlir --pass-pipeline='builtin.module(func.func(qopt-lower-to-linalg{tensor-cores}))' | FileCheck %s --check-prefix=SMALL
// RUN: qopt %S/Inputs/gemm-int8-3x40x20.mlir --pass-pipeline='builtin.module(func.func(qopt-lower-to-linalg{tensor-cores}))' | FileCheck %s --check-prefix=GEMM

// A 16-channel int8 conv becomes one tensor-core kernel (the heuristic's
// small conv tile: 64x64, K steps of 32, 8 warps of 32x16, 2 stages): a
// software pipeline stages W and the im2col tile in dynamic shared memory
// (one step issued before the K loop, then wait + barrier, the next issue,
// ldmatrix + mma.sync m16n8k32 per warp), the stages are XOR-swizzled, and
// after a full drain the C tile takes their place for the epilogue. K = 72
// is no multiple of 16, so W goes byte by byte here (the gemms of
// tensor-core-pipeline.test use cp.async).
// CHECK-LABEL: func.func @main
// CHECK: %[[X:.+]] = bufferization.to_buffer %{{.+}} read_only : tensor<1x8x6x6xi8> to memref<1x8x6x6xi8>
// CHECK: memref.collapse_shape %[[X]] {{\[}}[0, 1, 2, 3]] : memref<1x8x6x6xi8> into memref<288xi8>
// The dequantize after the conv runs in its epilogue, so the kernel writes
// f32; as the result leaves the function, the kernel writes it NCHW itself
// (other tensor-core convs write NHWC).
// CHECK: %[[Y:.+]] = memref.alloc() : memref<1x16x6x6xf32>
// CHECK: gpu.launch blocks({{.*}}) in (%{{.+}} = %c1{{.*}}) threads({{.*}}) in (%{{.+}} = %c256{{.*}}) dynamic_shared_memory_size %c16896_i32
// CHECK: %[[DYN:.+]] = gpu.dynamic_shared_memory {qopt.max_registers = 168 : i32} : memref<?xi8, #gpu.address_space<workgroup>>
// CHECK: %[[SA:.+]] = memref.view %[[DYN]][%{{.+}}][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<2x64x32xi8, #gpu.address_space<workgroup>>
// CHECK: %[[SB:.+]] = memref.view %[[DYN]][%{{.+}}][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<2x64x32xi8, #gpu.address_space<workgroup>>
// CHECK: %[[SC:.+]] = memref.view %[[DYN]][%{{.+}}][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<64x66xi32, #gpu.address_space<workgroup>>
// CHECK: memref.load %{{.+}}[%{{.+}}] : memref<288xi8>
// CHECK: arith.xori
// CHECK: memref.store %{{.+}}, %[[SB]]
// CHECK: nvvm.cp.async.commit.group
// CHECK: scf.for
// CHECK: nvvm.cp.async.wait.group 0
// CHECK-NEXT: gpu.barrier
// CHECK: nvvm.cp.async.commit.group
// CHECK: arith.xori
// CHECK: nvgpu.ldmatrix %[[SA]]{{.*}} {numTiles = 4 : i32, transpose = false}
// CHECK: nvgpu.ldmatrix %[[SB]]{{.*}} {numTiles = 2 : i32, transpose = false}
// CHECK: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 32]} : (vector<4x4xi8>, vector<2x4xi8>, vector<2x2xi32>) -> vector<2x2xi32>
// CHECK: scf.yield
// CHECK: nvvm.cp.async.wait.group 0
// CHECK-NEXT: gpu.barrier
// CHECK: vector.store %{{.+}}, %[[SC]]
// CHECK: gpu.barrier
// CHECK: arith.shrsi
// CHECK: arith.sitofp
// CHECK: arith.mulf
// CHECK: memref.store %{{.+}}, %[[Y]]
// CHECK: gpu.terminator
// CHECK: %[[T:.+]] = bufferization.to_tensor %[[Y]] restrict writable
// CHECK-NEXT: return %[[T]] : tensor<1x16x6x6xf32>

// PTX-LABEL: gpu.binary
// PTX: .maxnreg 168
// PTX: .shared .align 16 .b8 __dynamic_shmem__0
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
// GEMM: memref.store %{{.+}}, %{{[a-z0-9_]+}}[%{{.+}}, %{{.+}}] : memref<3x20xf32>

