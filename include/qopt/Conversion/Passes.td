//===- Passes.td - QOpt lowering passes --------------------*- tablegen -*-===//

#ifndef QOPT_CONVERSION_PASSES_TD
#define QOPT_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def LowerQNNToLinalgPass : Pass<"qopt-lower-to-linalg", "mlir::func::FuncOp"> {
  let summary = "Lowers qnn ops (integer and float) to linalg on storage types";
  let description = [{
    Every `qnn` op becomes one all-parallel `linalg.generic` (one output element
    per iteration, reductions as `scf.for` loops inside the body) on plain
    storage types: `!quant.uniform<i8:...>` tensors become `i8` tensors and
    every quantization parameter becomes a constant of the body. Integer ops
    compute exactly the rules of docs/quantization.md (the same fixed-point
    multipliers as the CPU reference, computed by the same functions), so the
    result of this pass, run on any backend, equals `qopt-ref` bit for bit.
    Padding is implicit (taps outside the input are skipped), a fused bias,
    residual and activation are applied in the same body, and reshapes become
    `tensor.collapse_shape`/`expand_shape` views.

    ```mlir
    %y = qnn.conv %x, %w, %b {...} : (tensor<1x8x8x8x!quant.uniform<i8:f32, 0.1:-3>>, ...)
    // becomes
    %y = linalg.generic {iterator_types = ["parallel", ...]} outs(%e : tensor<1x8x8x8xi8>) {
      ... scf.for over (c, kh, kw) accumulating in i32, then the requantization ...
    }
    ```

    Ops without a lowering are errors naming the op and its ONNX node.

    With `tensor-cores`, integer convs that fit (group 1, signed 8-bit input
    and weights, symmetric weights) become a tensor-core implicit GEMM kernel
    instead (a `gpu.launch` between `bufferization.to_buffer`/`to_tensor`):
    for the GPU pipeline only, since the host cannot run it.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect", "::mlir::scf::SCFDialect",
                           "::mlir::math::MathDialect", "::mlir::gpu::GPUDialect",
                           "::mlir::vector::VectorDialect", "::mlir::memref::MemRefDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::nvgpu::NVGPUDialect", "::mlir::NVVM::NVVMDialect",
                           "::mlir::affine::AffineDialect"];
  let options = [
    Option<"tensorCores", "tensor-cores", "bool", "false",
           "Lower eligible integer convs to the tensor-core kernel (GPU only)">,
    Option<"tensorCoreEmulation", "tensor-core-emulation", "bool", "false",
           "Lower eligible integer convs to the tensor-core kernel's tile algorithm as "
           "host loops (to check it on the CPU)">,
    Option<"tensorCoreTile", "tensor-core-tile", "std::string", "\"auto\"",
           "Tile shape of every tensor-core kernel, BMxBNxBK/WMxWN/STAGES "
           "(e.g. 128x128x64/64x32/3), or auto for the per-shape heuristic">,
    Option<"tensorCoreTiles", "tensor-core-tiles", "std::string", "\"\"",
           "A tile file: per problem shape (output channels x pixels x taps) the tile "
           "of its tensor-core kernel, {\"tiles\": {\"MxPxK\": \"BMxBNxBK/WMxWN/S\"}} "
           "(bench/autotune.py writes it); other shapes get the heuristic's">,
    Option<"tensorCoreMma", "tensor-core-mma", "std::string", "\"mma.sync\"",
           "The tensor-core instruction: mma.sync (sm_80 and newer) or wgmma (Hopper's "
           "warpgroup MMA, sm_90a only)">,
    Option<"layout", "layout", "std::string", "\"auto\"",
           "Activation layout inside the function: nhwc (4-D activations stored "
           "[N, H, W, C], tensor-core convs read K-contiguous rows), nchw, or auto "
           "(nhwc with tensor cores or their emulation, else nchw)">
  ];
}

def PackConvWeightsPass : Pass<"qopt-pack-conv-weights", "mlir::func::FuncOp"> {
  let summary = "Stores a tensor-core conv's weights as [Cout, KH, KW, Cin]";
  let description = [{
    In the NHWC layout (qopt-lower-to-linalg), a tensor-core conv whose input
    channels are a multiple of 16 and whose kernel is larger than 1x1 takes
    K in (ky, kx, ci) order and reads its weights as [Cout, KH, KW, Cin]. This
    pass stores a constant weight used by that conv alone in that order, in
    the program itself, with a `qnn.transpose` back to [Cout, Cin, KH, KW]:
    the reference runs the same function and the kernel reads the constant,
    so a bundle stores the weights once (the transpose is dead once lowered).

    ```mlir
    %w0 = qnn.constant dense<...> : tensor<64x64x3x3xi8>
    // becomes
    %p = qnn.constant dense<...> : tensor<64x3x3x64xi8>
    %w0 = qnn.transpose %p {perm = array<i64: 0, 3, 1, 2>} : tensor<64x3x3x64xi8> -> tensor<64x64x3x3xi8>
    ```
  }];
  let dependentDialects = ["::qopt::qnn::QNNDialect"];
}

def PackMatMulWeightsPass : Pass<"qopt-pack-matmul-weights", "mlir::func::FuncOp"> {
  let summary = "Stores a tensor-core matmul's constant B as [N, K]";
  let description = [{
    A tensor-core matmul (an integer `qnn.matmul` whose B is a constant
    matrix: a transformer's linear layer) reads B as [N, K], rows contiguous
    along K. This pass stores a B used by that matmul alone so, in the
    program itself, with a `qnn.transpose` back to [K, N]: the reference runs
    the same function and the kernel reads the constant, so a bundle stores
    B once (the transpose is dead once lowered). Per-axis scales stay on B's
    type, along N.

    ```mlir
    %b0 = qnn.constant dense<...> : tensor<64x128xi8>
    // becomes
    %p = qnn.constant dense<...> : tensor<128x64xi8>
    %b0 = qnn.transpose %p {perm = array<i64: 1, 0>} : tensor<128x64xi8> -> tensor<64x128xi8>
    ```
  }];
  let dependentDialects = ["::qopt::qnn::QNNDialect"];
}

def CloneSharedProducersPass : Pass<"qopt-clone-shared-producers", "mlir::func::FuncOp"> {
  let summary = "Gives each elementwise consumer its own copy of a small shared producer";
  let description = [{
    `linalg-fuse-elementwise-ops` fuses a producer only into its single user,
    so a value with several users stays a kernel of its own. For the chains of
    0-d and per-row values that dynamic quantization computes (a scale from a
    reduced min and max, then zero point, reciprocal, ...), that is one
    single-thread launch per op. This pass clones such a producer for each
    user, so each copy fuses into its user and the chain is recomputed inside
    the kernels that read it, which costs a few instructions per thread.

    A producer is cloned when it is a `linalg.generic` with only parallel
    loops, no region in its body (no `scf.for`: not a conv or reduction),
    at most `max-ops` ops in its body, at most `max-elements` result
    elements, at most `max-users` users, and every user can fuse it
    (`linalg::areElementwiseOpsFusable`). The clone computes the same ops in
    the same order, so results are unchanged bit for bit.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
  let options = [
    Option<"maxOps", "max-ops", "unsigned", "16", "Most ops in a cloned producer's body">,
    Option<"maxElements", "max-elements", "int64_t", "65536",
           "Most elements of a cloned producer's result">,
    Option<"maxUsers", "max-users", "unsigned", "16", "Most users of a cloned producer">
  ];
}

def MapParallelToGPUPass : Pass<"qopt-map-parallel-to-gpu", "mlir::func::FuncOp"> {
  let summary = "Turns each top-level scf.parallel into a 1-D gpu.launch";
  let description = [{
    After bufferization and `convert-linalg-to-parallel-loops`, every kernel is
    an `scf.parallel` nest on the host. This pass linearizes its iteration
    space (any rank, any static bounds), launches one thread per point with
    `block-size` threads per block, guards the tail, and rebuilds the
    induction variables with `affine.delinearize_index`. Inner sequential
    loops (the reductions) stay `scf.for` in the thread.

    ```mlir
    scf.parallel (%i, %j) = (%c0, %c0) to (%c3, %c5) step (%c1, %c1) { ... }
    // becomes
    gpu.launch blocks(%bx, ...) in (%gx = %c1, ...) threads(%tx, ...) in (%b = %c256, ...) {
      %l = ... %bx * 256 + %tx
      scf.if (%l < 15) { %ij:2 = affine.delinearize_index %l into (3, 5) ... }
    }
    ```
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::affine::AffineDialect",
                           "::mlir::scf::SCFDialect", "::mlir::arith::ArithDialect"];
  let options = [
    Option<"blockSize", "block-size", "int64_t", "256", "Threads per block">
  ];
}

def SharedMemorySpacePass : Pass<"qopt-shared-memory-space", "mlir::gpu::GPUModuleOp"> {
  let summary = "Spells workgroup memory as address space 3 in kernels";
  let description = [{
    Rewrites every memref type with `#gpu.address_space<workgroup>` in a
    `gpu.module` to the NVVM integer address space 3. The tensor-core kernels
    are built with the attribute (vector-to-nvgpu chooses `ldmatrix` only for
    it) but `convert-nvgpu-to-nvvm` and `convert-vector-to-llvm`, which run
    before `convert-gpu-to-nvvm`, only convert integer memory spaces. It
    also aligns every workgroup buffer to 16 bytes (`llvm.align`), which
    `ldmatrix` needs and the NVVM lowering does not give byte buffers, and
    gives kernels with workgroup memory a register budget of 168 (`nvvm.maxnreg`).

    ```mlir
    memref<64x32xi8, #gpu.address_space<workgroup>>  // becomes memref<64x32xi8, 3>
    ```
  }];
}

def PreciseGPUMathPass : Pass<"qopt-precise-gpu-math", "mlir::gpu::GPUModuleOp"> {
  let summary = "Gives f32 square roots in kernels NVPTX's IEEE-rounded sqrt.rn";
  let description = [{
    `convert-gpu-to-nvvm` turns `math.sqrt` into libdevice's `__nv_sqrtf`,
    which without a precise-sqrt reflection is `sqrt.approx.f32`, and a
    `1 / sqrt` then becomes `rsqrt.approx.f32`. Both differ from the
    reference's correctly rounded square root, which breaks the bit-exact
    contract for the float ops of int8 programs (LayerNorm, BatchNorm,
    Sqrt; docs/quantization.md). This pass, run in the `gpu.module` before
    that conversion, rewrites every f32 `math.sqrt` to the intrinsic
    `llvm.nvvm.sqrt.rn.f`. Every other float operation the kernels use
    already rounds once (add.rn, mul.rn, div.rn, fma.rn, cvt.rni).

    ```mlir
    %r = math.sqrt %x : f32
    // becomes
    %r = llvm.call_intrinsic "llvm.nvvm.sqrt.rn.f"(%x) : (f32) -> f32
    ```
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

#endif // QOPT_CONVERSION_PASSES_TD
