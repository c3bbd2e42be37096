// RUN: rm -rf %t && mkdir -p %t
// RUN: %python -c "import numpy as np; np.save('%t/x.npy', np.zeros((3, 0), np.float32)); np.save('%t/p.npy', np.zeros((1, 2, 0, 4), np.float32))"
// RUN: qopt-ref %s --input x=%t/x.npy --input p=%t/p.npy --output-dir %t/ref
// RUN: qopt-ref %s --engine linalg-cpu --input x=%t/x.npy --input p=%t/p.npy --output-dir %t/cpu
// RUN: %python -c "import numpy as np; [print(n, np.load('%t/' + d + '/' + n + '.npy').tolist()) for d in ('ref', 'cpu') for n in ('mean', 'sum', 'gap')]" | FileCheck %s
// A mean over no elements is 0 / 0 = NaN on both engines (the GPU lowering
// divided by max(count, 1) and returned 0); an empty sum is 0.
// CHECK: mean [nan, nan, nan]
// CHECK-NEXT: sum [0.0, 0.0, 0.0]
// CHECK-NEXT: gap {{\[\[\[\[}}nan]], {{\[\[}}nan]]]]
// CHECK-NEXT: mean [nan, nan, nan]
// CHECK-NEXT: sum [0.0, 0.0, 0.0]
// CHECK-NEXT: gap {{\[\[\[\[}}nan]], {{\[\[}}nan]]]]
func.func @main(%x: tensor<3x0xf32> {qnn.name = "x"}, %p: tensor<1x2x0x4xf32> {qnn.name = "p"})
    -> (tensor<3xf32> {qnn.name = "mean"}, tensor<3xf32> {qnn.name = "sum"}, tensor<1x2x1x1xf32> {qnn.name = "gap"}) {
  %0 = qnn.reduce_mean %x {axes = array<i64: 1>, keepdims = false} : tensor<3x0xf32> -> tensor<3xf32>
  %1 = qnn.reduce_sum %x {axes = array<i64: 1>, keepdims = false} : tensor<3x0xf32> -> tensor<3xf32>
  %2 = qnn.global_avg_pool %p : tensor<1x2x0x4xf32> -> tensor<1x2x1x1xf32>
  return %0, %1, %2 : tensor<3xf32>, tensor<3xf32>, tensor<1x2x1x1xf32>
}
