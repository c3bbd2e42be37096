#!/usr/bin/env python3
"""Writes the qnn program of one int8 GEMM, for the GPU benchmark (bench/gpu_bench.py).

C[M, N] = requantize(A[M, K] x B[K, N] + bias): A and C are int8 at the bundle's boundary
(storage integers with their scale and zero point, so the bundle runs the GEMM kernel and
nothing else), B is a constant. B's values repeat with a period of 4093 bytes, so that the
bundle compresses to almost nothing for the trip to the GPU machine while every tile of B
still differs from its neighbours.

Usage: gemm_program.py M N K out.mlir
"""

import sys

import numpy as np


def main() -> None:
    m, n, k = (int(v) for v in sys.argv[1:4])
    rng = np.random.default_rng(7)
    period = rng.integers(-127, 128, 4093, dtype=np.int8)
    b = np.resize(period, k * n).reshape(k, n)
    bias = rng.integers(-2000, 2000, n, dtype=np.int32)
    a_t = "!quant.uniform<i8:f32, 0.04>"
    b_t = "!quant.uniform<i8<-127:127>:f32, 0.002>"
    c_t = "!quant.uniform<i8:f32, 0.5:-3>"
    blob = "0x04000000" + b.tobytes().hex().upper()
    with open(sys.argv[4], "w") as f:
        f.write(f"func.func @main(%a: tensor<{m}x{k}x{a_t}> {{qnn.name = \"a\"}})"
                f" -> (tensor<{m}x{n}x{c_t}> {{qnn.name = \"c\"}}) {{\n")
        f.write(f"  %b0 = qnn.constant dense_resource<b> : tensor<{k}x{n}xi8>\n")
        f.write(f"  %b = quant.scast %b0 : tensor<{k}x{n}xi8> to tensor<{k}x{n}x{b_t}>\n")
        f.write(f"  %bias = qnn.constant dense<[{', '.join(str(v) for v in bias)}]>"
                f" : tensor<{n}xi32>\n")
        f.write(f"  %c = qnn.gemm %a, %b, %bias : (tensor<{m}x{k}x{a_t}>, tensor<{k}x{n}x{b_t}>,"
                f" tensor<{n}xi32>) -> tensor<{m}x{n}x{c_t}>\n")
        f.write(f"  return %c : tensor<{m}x{n}x{c_t}>\n}}\n")
        f.write(f"{{-#\n  dialect_resources: {{\n    builtin: {{\n      b: \"{blob}\"\n"
                f"    }}\n  }}\n#-}}\n")


if __name__ == "__main__":
    main()
