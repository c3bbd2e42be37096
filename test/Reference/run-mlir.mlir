// qopt-ref runs qnn IR directly; outputs are written per result name.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python -c "import numpy as np; np.save('%t/x.npy', np.array([[-1.0, 2.0, -3.0], [4.0, -5.0, 6.0]], np.float32)); np.save('%t/x3.npy', np.zeros((3, 3), np.float32))"
// RUN: qopt-ref %s --input x=%t/x.npy --output-dir %t/out
// RUN: %python -c "import numpy as np; y = np.load('%t/out/relu_out.npy'); print(y.tolist(), y.dtype)" | FileCheck %s
// CHECK: {{\[\[0.0, 2.0, 0.0\], \[4.0, 0.0, 6.0\]\]}} float32
// A batch that differs from the program's pinned batch is an error, never a truncation.
// RUN: not qopt-ref %s --input x=%t/x3.npy --output-dir %t/bad 2>&1 | FileCheck %s --check-prefix=BATCH
// BATCH: error: input 'x': expected float32[2,3], got float32[3,3]
// RUN: not qopt-ref %s --output-dir %t/bad 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: model input 'x' was not given (use --input x=file.npy)
// RUN: not qopt-ref %s --input x=%t/x.npy --input z=%t/x.npy 2>&1 | FileCheck %s --check-prefix=EXTRA
// EXTRA: error: the model has no input named 'z'

func.func @main(%x: tensor<2x3xf32> {qnn.name = "x"}) -> (tensor<2x3xf32> {qnn.name = "relu/out"}) {
  %0 = qnn.relu %x : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
