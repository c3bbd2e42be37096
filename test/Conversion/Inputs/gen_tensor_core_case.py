#!/usr/bin/env python3
"""Writes an int8 conv or gemm program (qnn MLIR) with random weights, for the
tensor-core kernel tests: shapes large enough for several tiles in every
dimension, with tails, and K steps beyond the pipeline's depth.

  gen_tensor_core_case.py gemm ROWS K N [--trans-b] [--seed S]
  gen_tensor_core_case.py conv N CIN H W COUT KH KW STRIDE PAD [--seed S]
  gen_tensor_core_case.py residual N C H W [--seed S]
  gen_tensor_core_case.py epilogue N C H W [--seed S]
  gen_tensor_core_case.py matmul BATCH M K N [--seed S] [--b-zero-point Z]
  gen_tensor_core_case.py attention BATCH HEADS S D

`residual` is a residual block: y = relu(conv1x1(s) + conv1x1'(s)) with
s = relu(conv3x3(x) + x), so that one add takes its residual from before its
conv (the input) and the other from a conv issued earlier.

`epilogue` is a conv followed by a chain of elementwise ops that its
tensor-core epilogue takes: a dequantize, a float batchnorm (multiply by a
[C, 1, 1] constant, add a [1, C, 1, 1] one), a quantize, an integer
multiply by a [1, C, 1, 1] constant, a lut (hard sigmoid table) and a relu'd
residual add of the quantized input; then a 1x1 conv whose dequantized
result leaves the function.

`matmul` is a transformer's linear layer: a [BATCH, M, K] activation times
a constant [K, N] matrix (per-column scales), then a quantized add of an
[M, N] constant (broadcast over the batch, like a position embedding), a
relu'd add of an [N] one (a bias), and a dequantize: one tensor-core kernel
whose epilogue indexes its operands by batch, row and column. With
--b-zero-point, B is per-tensor with that zero point instead (asymmetric
weights: the kernel reads B at run time and corrects both zero points).

`attention` is attention's two matmuls on operands computed at run time,
with zero points on both sides: x [BATCH, HEADS, S, D] quantized three ways
as Q, K and V; Q times K's transpose ([.., D, S]), then that (zero point -60,
far from 0 as a softmax's) times V, dequantized.

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
    p.add_argument("kind",
                   choices=["gemm", "conv", "residual", "epilogue", "matmul", "attention"])
    p.add_argument("dims", type=int, nargs="+")
    p.add_argument("--trans-b", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--b-zero-point", type=int, default=None)
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
    if a.kind == "residual":
        residual(rng, *a.dims)
        return
    if a.kind == "epilogue":
        epilogue(rng, *a.dims)
        return
    if a.kind == "matmul":
        matmul(rng, *a.dims, b_zero_point=a.b_zero_point)
        return
    if a.kind == "attention":
        attention(*a.dims)
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


def residual(rng, n, c, h, w):
    t = f"{n}x{c}x{h}x{w}"
    q = lambda s, z: f"!quant.uniform<i8:f32, {s}:{z}>"
    xq, sq, yq = q(0.04, 7), q(0.05, -128), q(0.06, -128)
    cq = [q(0.03, -2), q(0.02, 3), q(0.025, -1)]
    lines = [f'func.func @main(%arg0: tensor<{t}xf32> {{qnn.name = "x"}}) -> '
             f'(tensor<{t}xf32> {{qnn.name = "y"}}) {{',
             f"  %x = quant.qcast %arg0 : tensor<{t}xf32> to tensor<{t}x{xq}>"]
    for i, k in enumerate((3, 1, 1)):
        wt = rng.integers(-127, 128, (c, c, k, k), dtype=np.int64)
        bias = rng.integers(-400, 400, (c,), dtype=np.int64)
        wq = f"!quant.uniform<i8<-127:127>:f32:0, {{{scales(c, 0.001, 0.00003)}}}>"
        ws = f"{c}x{c}x{k}x{k}"
        lines += [f"  %w{i}0 = qnn.constant {dense(wt)} : tensor<{ws}xi8>",
                  f"  %w{i} = quant.scast %w{i}0 : tensor<{ws}xi8> to tensor<{ws}x{wq}>",
                  f"  %b{i} = qnn.constant {dense(bias)} : tensor<{c}xi32>"]
    conv = ("qnn.conv {x}, %w{i}, %b{i} {{dilations = array<i64: 1, 1>, group = 1 : i64, "
            "pads = array<i64: {p}, {p}, {p}, {p}>, strides = array<i64: 1, 1>}} : "
            "(tensor<{t}x{xt}>, tensor<{c}x{c}x{k}x{k}x!quant.uniform<i8<-127:127>:f32:0, "
            "{{{s}}}>>, tensor<{c}xi32>) -> tensor<{t}x{yt}>")
    sc = scales(c, 0.001, 0.00003)
    lines.append("  %c0 = " + conv.format(x="%x", i=0, p=1, t=t, xt=xq, c=c, k=3, s=sc, yt=cq[0]))
    lines.append(f"  %s = qnn.add %c0, %x {{activation = #qnn.activation<relu>}} : "
                 f"(tensor<{t}x{cq[0]}>, tensor<{t}x{xq}>) -> tensor<{t}x{sq}>")
    lines.append("  %c1 = " + conv.format(x="%s", i=1, p=0, t=t, xt=sq, c=c, k=1, s=sc, yt=cq[1]))
    lines.append("  %c2 = " + conv.format(x="%s", i=2, p=0, t=t, xt=sq, c=c, k=1, s=sc, yt=cq[2]))
    lines.append(f"  %y = qnn.add %c1, %c2 {{activation = #qnn.activation<relu>}} : "
                 f"(tensor<{t}x{cq[1]}>, tensor<{t}x{cq[2]}>) -> tensor<{t}x{yq}>")
    lines.append(f"  %r = quant.dcast %y : tensor<{t}x{yq}> to tensor<{t}xf32>")
    lines.append(f"  return %r : tensor<{t}xf32>\n}}")
    print("\n".join(lines))


def epilogue(rng, n, c, h, w):
    t = f"{n}x{c}x{h}x{w}"
    q = lambda s, z: f"!quant.uniform<i8:f32, {s}:{z}>"
    xq, cq, aq, mq, lq, rq, yq = (q(0.04, 7), q(0.03, -2), q(0.05, 3), q(0.02, -1),
                                  q(0.004, -128), q(0.05, -128), q(0.3, -5))
    wq = f"!quant.uniform<i8<-127:127>:f32:0, {{{scales(c, 0.001, 0.00003)}}}>"
    lines = [f'func.func @main(%arg0: tensor<{t}xf32> {{qnn.name = "x"}}) -> '
             f'(tensor<{t}xf32> {{qnn.name = "y"}}) {{',
             f"  %x = quant.qcast %arg0 : tensor<{t}xf32> to tensor<{t}x{xq}>"]
    for i, k in enumerate((3, 1)):
        ws = f"{c}x{c}x{k}x{k}"
        lines += [f"  %w{i}0 = qnn.constant {dense(rng.integers(-127, 128, (c, c, k, k)))} : tensor<{ws}xi8>",
                  f"  %w{i} = quant.scast %w{i}0 : tensor<{ws}xi8> to tensor<{ws}x{wq}>",
                  f"  %b{i} = qnn.constant {dense(rng.integers(-400, 400, (c,)))} : tensor<{c}xi32>"]
    def conv(x, i, p, xt, k, yt):
        return (f"qnn.conv {x}, %w{i}, %b{i} {{dilations = array<i64: 1, 1>, group = 1 : i64, "
                f"pads = array<i64: {p}, {p}, {p}, {p}>, strides = array<i64: 1, 1>}} : "
                f"(tensor<{t}x{xt}>, tensor<{c}x{c}x{k}x{k}x{wq}>, tensor<{c}xi32>) -> "
                f"tensor<{t}x{yt}>")
    scale = rng.uniform(0.5, 1.5, (c, 1, 1)).astype(np.float32)
    shift = rng.uniform(-0.5, 0.5, (1, c, 1, 1)).astype(np.float32)
    gate = rng.integers(20, 127, (1, c, 1, 1))
    # A hard sigmoid as the lut's 256 entries (i8 codes in, i8 codes out).
    codes = np.arange(-128, 128)
    table = np.clip(np.round(np.clip((codes + 1) * 0.02 / 6 + 0.5, 0, 1) / 0.004) - 128, -128, 127)
    lines += [
        "  %c0 = " + conv("%x", 0, 1, xq, 3, cq),
        f"  %d = quant.dcast %c0 : tensor<{t}x{cq}> to tensor<{t}xf32>",
        f"  %s = qnn.constant {dense(scale)} : tensor<{c}x1x1xf32>",
        f"  %m = qnn.mul %d, %s : (tensor<{t}xf32>, tensor<{c}x1x1xf32>) -> tensor<{t}xf32>",
        f"  %o = qnn.constant {dense(shift)} : tensor<1x{c}x1x1xf32>",
        f"  %a = qnn.add %m, %o : (tensor<{t}xf32>, tensor<1x{c}x1x1xf32>) -> tensor<{t}xf32>",
        f"  %aq = quant.qcast %a : tensor<{t}xf32> to tensor<{t}x{aq}>",
        f"  %g0 = qnn.constant {dense(gate)} : tensor<1x{c}x1x1xi8>",
        f"  %g = quant.scast %g0 : tensor<1x{c}x1x1xi8> to tensor<1x{c}x1x1x!quant.uniform<i8:f32, 0.01>>",
        f"  %mg = qnn.mul %aq, %g : (tensor<{t}x{aq}>, tensor<1x{c}x1x1x!quant.uniform<i8:f32, 0.01>>) -> tensor<{t}x{mq}>",
        f"  %tb = qnn.constant {dense(table.astype(np.int64))} : tensor<256xi8>",
        f"  %l = qnn.lut %mg, %tb : (tensor<{t}x{mq}>, tensor<256xi8>) -> tensor<{t}x{lq}>",
        f"  %r = qnn.add %l, %x {{activation = #qnn.activation<relu>}} : "
        f"(tensor<{t}x{lq}>, tensor<{t}x{xq}>) -> tensor<{t}x{rq}>",
        "  %c1 = " + conv("%r", 1, 0, rq, 1, yq),
        f"  %y = quant.dcast %c1 : tensor<{t}x{yq}> to tensor<{t}xf32>",
        f"  return %y : tensor<{t}xf32>\n}}"]
    print("\n".join(lines))


def matmul(rng, batch, m, k, n, b_zero_point=None):
    q = lambda s, z: f"!quant.uniform<i8:f32, {s}:{z}>"
    xq, mq, pq, cq, aq, yq = (q(0.04, 7), q(0.3, -5), q(0.02, 3), q(0.01, -4), q(0.3, 2),
                              q(0.25, -128))
    bq = f"!quant.uniform<i8<-127:127>:f32:1, {{{scales(n, 0.002, 0.0001)}}}>"
    if b_zero_point is not None:
        bq = f"!quant.uniform<i8:f32, 0.002:{b_zero_point}>"
    xt, yt = f"{batch}x{m}x{k}", f"{batch}x{m}x{n}"
    print("\n".join([
        f'func.func @main(%arg0: tensor<{xt}xf32> {{qnn.name = "x"}}) -> '
        f'(tensor<{yt}xf32> {{qnn.name = "y"}}) {{',
        f"  %x = quant.qcast %arg0 : tensor<{xt}xf32> to tensor<{xt}x{xq}>",
        f"  %b0 = qnn.constant {dense(rng.integers(-127, 128, (k, n)))} : tensor<{k}x{n}xi8>",
        f"  %b = quant.scast %b0 : tensor<{k}x{n}xi8> to tensor<{k}x{n}x{bq}>",
        f"  %m = qnn.matmul %x, %b : (tensor<{xt}x{xq}>, tensor<{k}x{n}x{bq}>) -> tensor<{yt}x{mq}>",
        f"  %p0 = qnn.constant {dense(rng.integers(-128, 128, (m, n)))} : tensor<{m}x{n}xi8>",
        f"  %p = quant.scast %p0 : tensor<{m}x{n}xi8> to tensor<{m}x{n}x{pq}>",
        f"  %a = qnn.add %m, %p : (tensor<{yt}x{mq}>, tensor<{m}x{n}x{pq}>) -> tensor<{yt}x{aq}>",
        f"  %c0 = qnn.constant {dense(rng.integers(-128, 128, (n,)))} : tensor<{n}xi8>",
        f"  %c = quant.scast %c0 : tensor<{n}xi8> to tensor<{n}x{cq}>",
        f"  %s = qnn.add %a, %c {{activation = #qnn.activation<relu>}} : "
        f"(tensor<{yt}x{aq}>, tensor<{n}x{cq}>) -> tensor<{yt}x{yq}>",
        f"  %y = quant.dcast %s : tensor<{yt}x{yq}> to tensor<{yt}xf32>",
        f"  return %y : tensor<{yt}xf32>\n}}"]))


def attention(batch, heads, s, d):
    q = lambda sc, z: f"!quant.uniform<i8:f32, {sc}:{z}>"
    qq, kq, vq, pq, yq = q(0.04, 7), q(0.05, -3), q(0.03, 2), q(0.6, -60), q(20.0, 5)
    xt, kt, pt = f"{batch}x{heads}x{s}x{d}", f"{batch}x{heads}x{d}x{s}", f"{batch}x{heads}x{s}x{s}"
    print("\n".join([
        f'func.func @main(%arg0: tensor<{xt}xf32> {{qnn.name = "x"}}) -> '
        f'(tensor<{xt}xf32> {{qnn.name = "y"}}) {{',
        f"  %q = quant.qcast %arg0 : tensor<{xt}xf32> to tensor<{xt}x{qq}>",
        f"  %k0 = quant.qcast %arg0 : tensor<{xt}xf32> to tensor<{xt}x{kq}>",
        f"  %k = qnn.transpose %k0 {{perm = array<i64: 0, 1, 3, 2>}} : "
        f"tensor<{xt}x{kq}> -> tensor<{kt}x{kq}>",
        f"  %v = quant.qcast %arg0 : tensor<{xt}xf32> to tensor<{xt}x{vq}>",
        f"  %p = qnn.matmul %q, %k : (tensor<{xt}x{qq}>, tensor<{kt}x{kq}>) -> tensor<{pt}x{pq}>",
        f"  %o = qnn.matmul %p, %v : (tensor<{pt}x{pq}>, tensor<{xt}x{vq}>) -> tensor<{xt}x{yq}>",
        f"  %y = quant.dcast %o : tensor<{xt}x{yq}> to tensor<{xt}xf32>",
        f"  return %y : tensor<{xt}xf32>\n}}"]))


if __name__ == "__main__":
    main()
