// The executor refuses signatures it cannot hold instead of crashing.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python -c "import numpy as np; np.save('%t/s.npy', np.float32(1))"
// RUN: not qopt-ref %s --input arg0=%t/s.npy 2>&1 | FileCheck %s
// CHECK: error: function 'main' has a f32 input or output; only statically shaped tensors run

func.func @main(%x: f32) -> f32 {
  return %x : f32
}
