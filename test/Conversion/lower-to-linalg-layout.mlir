// qopt-lower-to-linalg{layout=nhwc}: convs and pools write NHWC, the add
// follows its operands' order, the global pool's [N, 1, 1, C] becomes the
// reshape's NCHW input without moving data, and no transpose is left
// between the ops (docs/codegen.md, "Layout").
// RUN: qopt %S/Inputs/tiny-int8.mlir --pass-pipeline='builtin.module(func.func(qopt-lower-to-linalg{layout=nhwc}))' | FileCheck %s
// RUN: qopt %S/Inputs/tiny-int8.mlir --pass-pipeline='builtin.module(func.func(qopt-lower-to-linalg{layout=nchw}))' | FileCheck %s --check-prefix=NCHW
// RUN: not qopt %S/Inputs/tiny-int8.mlir --pass-pipeline='builtin.module(func.func(qopt-lower-to-linalg{layout=nchwc}))' 2>&1 | FileCheck %s --check-prefix=BAD

// CHECK-LABEL: func.func @main
// CHECK: linalg.generic {{.*}} ins(%arg0 : tensor<1x2x6x6xf32>) outs(%{{.+}} : tensor<1x2x6x6xi8>)
// CHECK: %[[CONV:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<1x6x6x4xi8>)
// CHECK: %[[DW:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<1x6x6x4xi8>)
// CHECK: linalg.generic {{.*}} ins(%[[DW]], %[[CONV]] : tensor<1x6x6x4xi8>, tensor<1x6x6x4xi8>) outs(%{{.+}} : tensor<1x6x6x4xi8>)
// CHECK: linalg.generic {{.*}} outs(%{{.+}} : tensor<1x3x3x4xi8>)
// CHECK: %[[GAP:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<1x1x1x4xi8>)
// CHECK-NEXT: ^bb0
// CHECK: tensor.collapse_shape %[[GAP]] {{\[}}[0, 1, 2, 3]] : tensor<1x1x1x4xi8> into tensor<4xi8>
// CHECK-NEXT: tensor.expand_shape %{{.+}} {{\[}}[0, 1, 2, 3]] output_shape [1, 4, 1, 1] : tensor<4xi8> into tensor<1x4x1x1xi8>
// CHECK: return %{{.+}} : tensor<1x3xf32>

// NCHW-NOT: tensor<1x6x6x4xi8>
// NCHW: outs(%{{.+}} : tensor<1x4x6x6xi8>)

// BAD: layout must be auto, nchw or nhwc, got 'nchwc'

// The tools refuse a bad --layout before any work, with the same words.
// RUN: not qopt-compile %S/Inputs/tiny-int8.mlir --layout=nchwc -o %t.qbin 2>&1 | FileCheck %s --check-prefix=TOOL
// RUN: not qopt-ref %S/Inputs/tiny-int8.mlir --engine linalg-cpu --layout=nchwc --input x=%S/Inputs/tiny-int8.mlir 2>&1 | FileCheck %s --check-prefix=TOOL
// TOOL: --layout must be auto, nchw or nhwc, got 'nchwc'
