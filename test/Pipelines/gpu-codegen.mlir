// RUN: qopt %S/../Conversion/Inputs/tiny-int8.mlir --pass-pipeline='builtin.module(qopt-gpu-codegen{targets=sm_80,sm_90})' | FileCheck %s

// The pipeline stops before gpu-to-llvm: a host function of allocations,
// weights (globals) and kernel launches, outputs written in place through an
// out-parameter, and one gpu.binary per kernel with PTX for every target.
// CHECK: module attributes {gpu.container_module}
// CHECK-DAG: memref.global "private" constant @{{.+}} : memref<4x2x3x3xi8> = dense<
// CHECK-LABEL: func.func @main(%arg0: memref<1x2x6x6xf32> {qnn.name = "x"}, %arg1: memref<1x3xf32> {bufferize.result, qnn.name = "y"})
// CHECK: memref.get_global @{{.+}} : memref<4x2x3x3xi8>
// CHECK: %[[Q:.+]] = memref.alloc() {{.*}} : memref<1x2x6x6xi8>
// CHECK: gpu.launch_func  @[[K0:[a-z_0-9]+]]::@{{[a-z_0-9]+}} blocks in ({{.*}}) threads in ({{.*}}) args(%arg0 : memref<1x2x6x6xf32>, %[[Q]] : memref<1x2x6x6xi8>)
// CHECK: gpu.launch_func {{.*}}args({{.*}}%[[Q]] : memref<1x2x6x6xi8>
// CHECK: memref.collapse_shape
// CHECK: args({{.*}}%arg1 : memref<1x3xf32>)
// CHECK-NEXT: return
// CHECK: gpu.binary @[[K0]] [#gpu.object<#nvvm.target<O = 3, chip = "sm_80", features = "+ptx80">, {{.*}}assembly = "{{.*}}.target sm_80{{.*}}.entry {{.*}}">, #gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">, {{.*}}.target sm_90
