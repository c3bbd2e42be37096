// uint8 tensors on the GPU path: the lowering stores them as signless bytes
// and widens them with zero extension. A uint8 constant (onnxruntime's
// quantize_dynamic stores a BERT's embedding table so) used to reach the
// lowering as 'tensor<4x3xui8>' and fail ("qopt-lower-to-linalg produced
// 'tensor<4x3xui8>' for 'tensor<4x3xui8>'"); casts of uint8 failed with
// "cast of 'ui8' (signless integers only)".
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python -c "import numpy as np; np.save('%t/i.npy', np.array([3, 0, 2], np.int64)); np.save('%t/u.npy', np.array([0, 1, 127, 128, 200, 255], np.uint8))"
// RUN: qopt-ref %s --input i=%t/i.npy --input u=%t/u.npy --output-dir %t/ref
// RUN: qopt-ref %s --engine linalg-cpu --input i=%t/i.npy --input u=%t/u.npy --output-dir %t/cpu
// RUN: cmp %t/ref/rows.npy %t/cpu/rows.npy
// RUN: cmp %t/ref/wide.npy %t/cpu/wide.npy
// RUN: cmp %t/ref/narrow.npy %t/cpu/narrow.npy
// RUN: cmp %t/ref/sat_u8.npy %t/cpu/sat_u8.npy
// RUN: cmp %t/ref/sat_i8.npy %t/cpu/sat_i8.npy
// RUN: cmp %t/ref/sat_i32.npy %t/cpu/sat_i32.npy
// RUN: %python -c "import numpy as np; print(np.load('%t/cpu/rows.npy').tolist(), np.load('%t/cpu/wide.npy').tolist(), np.load('%t/cpu/narrow.npy').tolist())" | FileCheck %s
// CHECK: {{\[\[}}250.0, 9.0, 128.0], [0.0, 1.0, 255.0], [2.0, 130.0, 77.0]] [0, 1, 127, 128, 200, 255] [0, 1, 127, 128, 200, 255]
// Float to integer outside the range saturates, NaN gives 0, in-range
// values truncate: the reference's rule. fptoui/fptosi alone returned
// poison there (255 for -1.0 to uint8 on this CPU).
// RUN: %python -c "import numpy as np; print(np.load('%t/cpu/sat_u8.npy').tolist(), np.load('%t/cpu/sat_i8.npy').tolist(), np.load('%t/cpu/sat_i32.npy').tolist())" | FileCheck %s --check-prefix=SAT
// SAT: [0, 255, 0, 2, 0, 255] [-1, 127, 0, 2, -2, 127] [-1, 300, 0, 2, -2, 2147483647]
func.func @main(%i: tensor<3xi64> {qnn.name = "i"}, %u: tensor<6xui8> {qnn.name = "u"})
    -> (tensor<3x3xf32> {qnn.name = "rows"}, tensor<6xi32> {qnn.name = "wide"}, tensor<6xui8> {qnn.name = "narrow"},
        tensor<6xui8> {qnn.name = "sat_u8"}, tensor<6xi8> {qnn.name = "sat_i8"}, tensor<6xi32> {qnn.name = "sat_i32"}) {
  %table = qnn.constant dense<[[0, 1, 255], [7, 8, 9], [2, 130, 77], [250, 9, 128]]> : tensor<4x3xui8>
  %g = qnn.gather %table, %i {axis = 0 : i64} : (tensor<4x3xui8>, tensor<3xi64>) -> tensor<3x3xui8>
  %rows = qnn.cast %g : tensor<3x3xui8> -> tensor<3x3xf32>
  %wide = qnn.cast %u : tensor<6xui8> -> tensor<6xi32>
  %f = qnn.cast %u : tensor<6xui8> -> tensor<6xf32>
  %narrow = qnn.cast %f : tensor<6xf32> -> tensor<6xui8>
  %odd = qnn.constant dense<[-1.0, 300.0, 0x7FC00000, 2.7, -2.7, 1.0e10]> : tensor<6xf32>
  %su8 = qnn.cast %odd : tensor<6xf32> -> tensor<6xui8>
  %si8 = qnn.cast %odd : tensor<6xf32> -> tensor<6xi8>
  %si32 = qnn.cast %odd : tensor<6xf32> -> tensor<6xi32>
  return %rows, %wide, %narrow, %su8, %si8, %si32 : tensor<3x3xf32>, tensor<6xi32>, tensor<6xui8>, tensor<6xui8>, tensor<6xi8>, tensor<6xi32>
}
