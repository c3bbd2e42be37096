// RUN: qopt %s --pass-pipeline='builtin.module(func.func(qopt-signed-storage))' | FileCheck %s
// RUN: qopt %s --pass-pipeline='builtin.module(func.func(qopt-signed-storage))' -o %t.mlir
// RUN: %python -c "import numpy as np; np.save('%t.x.npy', np.arange(8, dtype=np.uint8).reshape(2, 4) * 30); np.save('%t.f.npy', np.linspace(-300, 300, 6, dtype=np.float32).reshape(2, 3))"
// RUN: qopt-ref %s --input x=%t.x.npy --input f=%t.f.npy --output-dir %t.before
// RUN: qopt-ref %t.mlir --input x=%t.x.npy --input f=%t.f.npy --output-dir %t.after
// RUN: cmp %t.before/y.npy %t.after/y.npy
// RUN: cmp %t.before/bits.npy %t.after/bits.npy
// RUN: cmp %t.before/d.npy %t.after/d.npy

// uint8-quantized values (onnxruntime's activations) become int8 with the
// zero point moved by 128: the same real values, so every output is the same
// bit for bit (the cmp lines), and the product can run on tensor cores.
!u = !quant.uniform<u8:f32, 0.5:128>
!w = !quant.uniform<u8:f32, 0.25:128>
!acc = !quant.uniform<u8:f32, 2.0:100>
func.func @main(%x8: tensor<2x4xui8> {qnn.name = "x"}, %f: tensor<2x3xf32> {qnn.name = "f"})
    -> (tensor<2x3xf32> {qnn.name = "y"}, tensor<2x3xui8> {qnn.name = "bits"}, tensor<2x3xf32> {qnn.name = "d"}) {
  %xi = qnn.cast %x8 : tensor<2x4xui8> -> tensor<2x4xi8>
  %x = quant.scast %xi : tensor<2x4xi8> to tensor<2x4x!u>
  %wi = qnn.constant dense<[[0, 1, 2], [127, -128, -127], [-2, -1, 3], [10, 20, 30]]> : tensor<4x3xi8>
  %w = quant.scast %wi : tensor<4x3xi8> to tensor<4x3x!w>
  %m = qnn.matmul %x, %w : (tensor<2x4x!u>, tensor<4x3x!w>) -> tensor<2x3x!acc>
  %t = qnn.constant dense<[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 127, -128, -127, -126, -125, -124, -123, -122, -121, -120, -119, -118, -117, -116, -115, -114, -113, -112, -111, -110, -109, -108, -107, -106, -105, -104, -103, -102, -101, -100, -99, -98, -97, -96, -95, -94, -93, -92, -91, -90, -89, -88, -87, -86, -85, -84, -83, -82, -81, -80, -79, -78, -77, -76, -75, -74, -73, -72, -71, -70, -69, -68, -67, -66, -65, -64, -63, -62, -61, -60, -59, -58, -57, -56, -55, -54, -53, -52, -51, -50, -49, -48, -47, -46, -45, -44, -43, -42, -41, -40, -39, -38, -37, -36, -35, -34, -33, -32, -31, -30, -29, -28, -27, -26, -25, -24, -23, -22, -21, -20, -19, -18, -17, -16, -15, -14, -13, -12, -11, -10, -9, -8, -7, -6, -5, -4, -3, -2, -1]> : tensor<256xi8>
  %l = qnn.lut %m, %t : (tensor<2x3x!acc>, tensor<256xi8>) -> tensor<2x3x!acc>
  %y = quant.dcast %l : tensor<2x3x!acc> to tensor<2x3xf32>
  %s = quant.scast %m : tensor<2x3x!acc> to tensor<2x3xi8>
  %bits = qnn.cast %s : tensor<2x3xi8> -> tensor<2x3xui8>
  %q = quant.qcast %f : tensor<2x3xf32> to tensor<2x3x!acc>
  %d = quant.dcast %q : tensor<2x3x!acc> to tensor<2x3xf32>
  return %y, %bits, %d : tensor<2x3xf32>, tensor<2x3xui8>, tensor<2x3xf32>
}
// A run-time uint8 input is converted after it crosses into the quantized
// type; the constant weights are rewritten (bit 7 flipped).
// CHECK: %[[XQ:.+]] = quant.scast %{{.+}} : tensor<2x4xi8> to tensor<2x4x!quant.uniform<u8:f32, 5.000000e-01:128>>
// CHECK: %[[X:.+]] = qnn.requantize %[[XQ]] {{.*}} -> tensor<2x4x!quant.uniform<i8:f32, 5.000000e-01>>
// CHECK: %[[WB:.+]] = qnn.constant dense<{{\[\[}}-128, -127, -126], [-1, 0, 1], [126, 127, -125], [-118, -108, -98]]> : tensor<4x3xi8>
// CHECK: %[[W:.+]] = quant.scast %[[WB]] : tensor<4x3xi8> to tensor<4x3x!quant.uniform<i8:f32, 2.500000e-01>>
// CHECK: %[[M:.+]] = qnn.matmul %[[X]], %[[W]] {{.*}} -> tensor<2x3x!quant.uniform<i8:f32, 2.000000e+00:-28>>
// The table's entries are output bytes: flipped as well.
// CHECK: %[[T:.+]] = qnn.constant dense_resource<signed> : tensor<256xi8>
// CHECK: qnn.lut %[[M]], %[[T]]
// Back to uint8 bits where the value leaves the quantized types.
// CHECK: %[[U:.+]] = qnn.requantize %[[M]] {{.*}} -> tensor<2x3x!quant.uniform<u8:f32, 2.000000e+00:100>>
// CHECK: quant.scast %[[U]] : tensor<2x3x!quant.uniform<u8:f32, 2.000000e+00:100>> to tensor<2x3xi8>
// CHECK: quant.qcast %{{.+}} : tensor<2x3xf32> to tensor<2x3x!quant.uniform<i8:f32, 2.000000e+00:-28>>
