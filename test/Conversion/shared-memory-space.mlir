// RUN: qopt %s --pass-pipeline='builtin.module(gpu.module(qopt-shared-memory-space))' | FileCheck %s

// Workgroup memory becomes address space 3, 16-byte aligned. Dynamic shared
// memory keeps the workgroup attribute its op insists on and reaches its
// users through a cast; the register budget a tensor-core kernel carries on
// it becomes PTX .maxnreg. Kernels without one are left alone.
module attributes {gpu.container_module} {
  // CHECK-LABEL: gpu.module @kernels
  gpu.module @kernels {
    // CHECK: gpu.func @tile(%{{.+}}: memref<4xi8>) workgroup(%[[S:.+]] : memref<64x32xi8, 3> {llvm.align = 16 : i64}) kernel {
    // CHECK: %[[V:.+]] = memref.subview %[[S]][0, 0] [16, 32] [1, 1] : memref<64x32xi8, 3> to memref<16x32xi8, strided<[32, 1]>, 3>
    // CHECK: memref.load %[[V]]
    gpu.func @tile(%out: memref<4xi8>) workgroup(%s : memref<64x32xi8, #gpu.address_space<workgroup>>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.subview %s[0, 0] [16, 32] [1, 1] : memref<64x32xi8, #gpu.address_space<workgroup>> to memref<16x32xi8, strided<[32, 1]>, #gpu.address_space<workgroup>>
      %x = memref.load %v[%c0, %c0] : memref<16x32xi8, strided<[32, 1]>, #gpu.address_space<workgroup>>
      memref.store %x, %out[%c0] : memref<4xi8>
      gpu.return
    }
    // CHECK: gpu.func @dynamic(%{{.+}}: memref<4xi8>) kernel attributes {nvvm.maxnreg = 128 : i32}
    // CHECK: %[[D:.+]] = gpu.dynamic_shared_memory {qopt.max_registers = 128 : i32} : memref<?xi8, #gpu.address_space<workgroup>>
    // CHECK: %[[C:.+]] = builtin.unrealized_conversion_cast %[[D]] : memref<?xi8, #gpu.address_space<workgroup>> to memref<?xi8, 3>
    // CHECK: memref.view %[[C]][%{{.+}}][] : memref<?xi8, 3> to memref<2x64xi8, 3>
    gpu.func @dynamic(%out: memref<4xi8>) kernel {
      %c0 = arith.constant 0 : index
      %d = gpu.dynamic_shared_memory {qopt.max_registers = 128 : i32} : memref<?xi8, #gpu.address_space<workgroup>>
      %v = memref.view %d[%c0][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<2x64xi8, #gpu.address_space<workgroup>>
      %x = memref.load %v[%c0, %c0] : memref<2x64xi8, #gpu.address_space<workgroup>>
      memref.store %x, %out[%c0] : memref<4xi8>
      gpu.return
    }
    // CHECK: gpu.func @simt(%{{.+}}: memref<4xi8>) kernel {
    // CHECK-NOT: nvvm.maxnreg
    gpu.func @simt(%out: memref<4xi8>) kernel {
      gpu.return
    }
  }
}
