// RUN: qopt %s --pass-pipeline='builtin.module(gpu.module(qopt-precise-gpu-math))' | FileCheck %s
// RUN: qopt %s --pass-pipeline='builtin.module(gpu.module(qopt-precise-gpu-math,convert-gpu-to-nvvm))' | FileCheck %s --check-prefix=NVVM

// f32 square roots become NVPTX's IEEE-rounded sqrt.rn, so LayerNorm's
// 1 / sqrt(var + eps) matches the reference's bit for bit. Without the pass
// the NVVM conversion calls libdevice's __nv_sqrtf (sqrt.approx, and with
// the division rsqrt.approx in the PTX). An f64 root is left to libdevice.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    // CHECK-LABEL: gpu.func @inv_std
    // CHECK: %[[R:.+]] = llvm.call_intrinsic "llvm.nvvm.sqrt.rn.f"(%{{.+}}) : (f32) -> f32
    // CHECK: arith.divf %{{.+}}, %[[R]] : f32
    // CHECK: math.sqrt %{{.+}} : f64
    // NVVM-LABEL: llvm.func @inv_std
    // NVVM: llvm.call_intrinsic "llvm.nvvm.sqrt.rn.f"
    // NVVM-NOT: @__nv_sqrtf
    // NVVM: llvm.call @__nv_sqrt(
    gpu.func @inv_std(%out: memref<2xf32>, %wide: memref<1xf64>, %v: f32, %d: f64) kernel {
      %c0 = arith.constant 0 : index
      %one = arith.constant 1.0 : f32
      %r = math.sqrt %v : f32
      %i = arith.divf %one, %r : f32
      memref.store %i, %out[%c0] : memref<2xf32>
      %rd = math.sqrt %d : f64
      memref.store %rd, %wide[%c0] : memref<1xf64>
      gpu.return
    }
  }
}
