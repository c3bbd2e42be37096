#!/usr/bin/env python3
"""Writes an int8 conv or gemm program (qnn MLIR) with random weights, for the
tensor-core kernel tests: shapes large enough for several tiles in every
dimension, with tails, and K steps beyond the pipeline's depth.

  gen_tensor_core_case.py gemm ROWS K N [--trans-b] [--seed S]
  gen_tensor_core_case.py conv N CIN H W COUT KH KW STRIDE PAD [--seed S]

The program reads float input `x` and writes float output `y`.
"""
import argparse

import numpy as np


def dense(a):
    return "dense<" + np.array2string(a, separator=", ", threshold=1 << 40,
                                      max_line_width=1 << 40).replace("\n", "") + ">"


def scales(n, lo, step):
    return ", ".join(f"{lo + step * i:.6g}" for i in range(n))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("kind", choices=["gemm", "conv"])
    p.add_argument("dims", type=int, nargs="+")
    p.add_argument("--trans-b", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)
    xq = "!quant.uniform<i8:f32, 0.04:7>"
    yq = "!quant.uniform<i8:f32, 0.3:-5>"
    if a.kind == "gemm":
        rows, k, n = a.dims
        bshape = (n, k) if a.trans_b else (k, n)
        axis = 0 if a.trans_b else 1
        b = rng.integers(-127, 128, bshape, dtype=np.int64)
        c = rng.integers(-3000, 3000, (n,), dtype=np.int64)
        bq = f"!quant.uniform<i8<-127:127>:f32:{axis}, {{{scales(n, 0.002, 0.0001)}}}>"
        bt = f"{bshape[0]}x{bshape[1]}"
        trans = " {trans_b = true}" if a.trans_b else ""
        print(f"""func.func @main(%arg0: tensor<{rows}x{k}xf32> {{qnn.name = "x"}}) -> (tensor<{rows}x{n}xf32> {{qnn.name = "y"}}) {{
  %0 = quant.qcast %arg0 : tensor<{rows}x{k}xf32> to tensor<{rows}x{k}x{xq}>
  %b0 = qnn.constant {dense(b)} : tensor<{bt}xi8>
  %b = quant.scast %b0 : tensor<{bt}xi8> to tensor<{bt}x{bq}>
  %c = qnn.constant {dense(c)} : tensor<{n}xi32>
  %1 = qnn.gemm %0, %b, %c{trans} : (tensor<{rows}x{k}x{xq}>, tensor<{bt}x{bq}>, tensor<{n}xi32>) -> tensor<{rows}x{n}x{yq}>
  %2 = quant.dcast %1 : tensor<{rows}x{n}x{yq}> to tensor<{rows}x{n}xf32>
  return %2 : tensor<{rows}x{n}xf32>
}}""")
        return
    n, cin, h, w, cout, kh, kw, stride, pad = a.dims
    oh = (h + 2 * pad - kh) // stride + 1
    ow = (w + 2 * pad - kw) // stride + 1
    wt = rng.integers(-127, 128, (cout, cin, kh, kw), dtype=np.int64)
    bias = rng.integers(-500, 500, (cout,), dtype=np.int64)
    wq = f"!quant.uniform<i8<-127:127>:f32:0, {{{scales(cout, 0.001, 0.00005)}}}>"
    xt, yt = f"{n}x{cin}x{h}x{w}", f"{n}x{cout}x{oh}x{ow}"
    wts = f"{cout}x{cin}x{kh}x{kw}"
    print(f"""func.func @main(%arg0: tensor<{xt}xf32> {{qnn.name = "x"}}) -> (tensor<{yt}xf32> {{qnn.name = "y"}}) {{
  %0 = quant.qcast %arg0 : tensor<{xt}xf32> to tensor<{xt}x{xq}>
  %w0 = qnn.constant {dense(wt)} : tensor<{wts}xi8>
  %w = quant.scast %w0 : tensor<{wts}xi8> to tensor<{wts}x{wq}>
  %b = qnn.constant {dense(bias)} : tensor<{cout}xi32>
  %1 = qnn.conv %0, %w, %b {{activation = #qnn.activation<relu>, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: {pad}, {pad}, {pad}, {pad}>, strides = array<i64: {stride}, {stride}>}} : (tensor<{xt}x{xq}>, tensor<{wts}x{wq}>, tensor<{cout}xi32>) -> tensor<{yt}x{yq}>
  %2 = quant.dcast %1 : tensor<{yt}x{yq}> to tensor<{yt}xf32>
  return %2 : tensor<{yt}xf32>
}}""")


if __name__ == "__main__":
    main()
