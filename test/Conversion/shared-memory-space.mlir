// RUN: qopt %s --pass-pipeline='builtin.module(gpu.module(qopt-shared-memory-space))' | FileCheck %s

// Workgroup memory becomes address space 3, 16-byte aligned, and a kernel
// that has it gets a register budget; a kernel without it is left alone.
module attributes {gpu.container_module} {
  // CHECK-LABEL: gpu.module @kernels
  gpu.module @kernels {
    // CHECK: gpu.func @tile(%{{.+}}: memref<4xi8>) workgroup(%[[S:.+]] : memref<64x32xi8, 3> {llvm.align = 16 : i64}) kernel attributes {nvvm.maxnreg = 168 : i32}
    // CHECK: %[[V:.+]] = memref.subview %[[S]][0, 0] [16, 32] [1, 1] : memref<64x32xi8, 3> to memref<16x32xi8, strided<[32, 1]>, 3>
    // CHECK: memref.load %[[V]]
    gpu.func @tile(%out: memref<4xi8>) workgroup(%s : memref<64x32xi8, #gpu.address_space<workgroup>>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.subview %s[0, 0] [16, 32] [1, 1] : memref<64x32xi8, #gpu.address_space<workgroup>> to memref<16x32xi8, strided<[32, 1]>, #gpu.address_space<workgroup>>
      %x = memref.load %v[%c0, %c0] : memref<16x32xi8, strided<[32, 1]>, #gpu.address_space<workgroup>>
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
