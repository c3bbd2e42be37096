// qopt-insert-qdq, qopt-propagate-scales and qopt-fold-qdq together turn a
// float conv -> relu -> max pool -> reshape -> gemm into integer ops between
// one qcast and one dcast, and qopt-ref runs the result.
// RUN: qopt %s --pass-pipeline='builtin.module(func.func(qopt-insert-qdq{calib-cache=%S/Inputs/calib-pipeline.json calibration=minmax},qopt-propagate-scales,qopt-fold-qdq))' --verify-diagnostics | FileCheck %s
//
// The pool and reshape take the conv's 0.01:-128 instead of their own
// calibrated ranges; weights are i8 with per-channel scales, biases i32.
// CHECK-LABEL: func.func @main
// CHECK: %[[X:.+]] = quant.qcast %arg0 : tensor<4x2x4x4xf32> to tensor<4x2x4x4x!quant.uniform<i8:f32, 0.0078431377187371254:-1>>
// CHECK-NOT: quant.dcast
// CHECK: %[[C:.+]] = qnn.conv %[[X]], %{{.+}}, %{{.+}} {{.*}} : (tensor<4x2x4x4x!quant.uniform<i8:f32, 0.0078431377187371254:-1>>, tensor<3x2x1x1x!quant.uniform<i8<-127:127>:f32:0, {{.*}}>>, tensor<3xi32>) -> tensor<4x3x4x4x!quant.uniform<i8:f32, 0.0099999997764825821:-128>>
// CHECK-NOT: quant.dcast
// CHECK: %[[P:.+]] = qnn.max_pool %[[C]] {{.*}} -> tensor<4x3x2x2x!quant.uniform<i8:f32, 0.0099999997764825821:-128>>
// CHECK-NOT: quant.dcast
// CHECK: %[[R:.+]] = qnn.reshape %[[P]] : {{.*}} -> tensor<4x12x!quant.uniform<i8:f32, 0.0099999997764825821:-128>>
// CHECK-NOT: quant.dcast
// CHECK: %[[G:.+]] = qnn.gemm %[[R]], %{{.+}}, %{{.+}} {trans_b = true} : ({{.*}}, tensor<4x12x!quant.uniform<i8<-127:127>:f32:0, {{.*}}>>, tensor<4xi32>) -> tensor<4x4x!quant.uniform<i8:f32, 0.035294119268655777:-1>>
// CHECK-NEXT: %[[Y:.+]] = quant.dcast %[[G]] : tensor<4x4x!quant.uniform<i8:f32, 0.035294119268655777:-1>> to tensor<4x4xf32>
// CHECK-NEXT: return %[[Y]]
// CHECK-NOT: quant.qcast
//
// Executed: the int8 program matches the float one within one step of the
// output scale s_y = 9/255. Inputs lie on the input grid and weights on their
// per-channel grids, so the only errors are the conv's rounding (half a step
// of 0.01 per flattened value, reaching y through at most sum|B row| = 1.904)
// and the gemm's own rounding (half of s_y): 0.0096 + 0.0177 < s_y = 0.0353.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %S/Inputs/pipeline_check.py %t
// RUN: qopt %s --pass-pipeline='builtin.module(func.func(qopt-insert-qdq{calib-cache=%S/Inputs/calib-pipeline.json calibration=minmax},qopt-propagate-scales,qopt-fold-qdq))' -o %t/int8.mlir
// RUN: qopt-ref %s --input x=%t/x.npy --output-dir %t/float
// RUN: qopt-ref %t/int8.mlir --input x=%t/x.npy --output-dir %t/int8
// RUN: %python %S/Inputs/pipeline_check.py %t --check %t/float/y.npy %t/int8/y.npy | FileCheck %s --check-prefix=EXEC
// EXEC: within one output step

func.func @main(%x: tensor<4x2x4x4xf32> {qnn.name = "x"}) -> (tensor<4x4xf32> {qnn.name = "y"}) {
  %w = qnn.constant dense<[[[[1.27]], [[-0.5]]], [[[-1.27]], [[0.25]]], [[[0.635]], [[0.5]]]]> : tensor<3x2x1x1xf32>
  %b = qnn.constant dense<[0.1, -0.2, 0.3]> : tensor<3xf32>
  %0 = qnn.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64, activation = #qnn.activation<relu>} : (tensor<4x2x4x4xf32>, tensor<3x2x1x1xf32>, tensor<3xf32>) -> tensor<4x3x4x4xf32> loc("conv1")
  %1 = qnn.max_pool %0 {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : tensor<4x3x4x4xf32> -> tensor<4x3x2x2xf32> loc("pool")
  %2 = qnn.reshape %1 : tensor<4x3x2x2xf32> -> tensor<4x12xf32> loc("flat")
  %fw = qnn.constant dense<[[0.254, -0.1, 0.05, 0.2, -0.25, 0.1, 0.0, 0.15, -0.2, 0.124, -0.05, 0.08],
                            [-0.254, 0.2, 0.2, -0.1, 0.05, -0.05, 0.25, -0.2, 0.1, 0.0, 0.15, -0.15],
                            [0.1, 0.1, 0.1, 0.1, -0.254, -0.254, 0.2, 0.2, 0.05, -0.05, 0.02, -0.02],
                            [0.0, 0.254, -0.254, 0.012, 0.1, -0.1, 0.2, -0.2, 0.25, -0.25, 0.1, 0.1]]> : tensor<4x12xf32>
  %fc = qnn.constant dense<[0.5, -0.25, 0.125, 0.0]> : tensor<4xf32>
  %3 = qnn.gemm %2, %fw, %fc {trans_b = true} : (tensor<4x12xf32>, tensor<4x12xf32>, tensor<4xf32>) -> tensor<4x4xf32> loc("fc")
  return %3 : tensor<4x4xf32>
}
