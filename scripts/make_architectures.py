#!/usr/bin/env python3
"""Small versions of the architectures users bring, as ONNX models with seeded
random weights, for scripts/check_architectures.py (held-out-style coverage:
none of them is in the model set the compiler was developed on).

  effnet      EfficientNet blocks: SiLU (x * Sigmoid(x)), depthwise convs, a
              squeeze-excite gate (GlobalAveragePool, 1x1 convs, Sigmoid, Mul
              broadcast), residual adds
  mnv3        MobileNetV3 blocks: HardSwish, HardSigmoid-gated squeeze-excite
  densenet    DenseNet: BatchNormalization after Concat (no conv to fold into),
              pre-activation, AveragePool transition
  shufflenet  ShuffleNetV2: Split, channel shuffle (Reshape, Transpose, Reshape)
  convnext    ConvNeXt: 7x7 depthwise, LayerNormalization over channels between
              Transposes, MatMul linears, GELU written with Erf
  vit         ViT: patch conv, multi-head attention (MatMul, Softmax), LayerNorm
  yolo        YOLO-style: LeakyRelu, MaxPool 5x5 stride 1, Resize (nearest),
              Concat, Sigmoid head
  bert        A BERT-style encoder: int64 token ids into a Gather embedding,
              LayerNorm written out (ReduceMean, Sub, Pow, Sqrt, Div), linears
              as MatMul + Add, 4-head attention with an additive -10000 mask,
              Erf GELU, the first token to a Gemm classifier
  yolov5      A YOLOv5 detect head as older exporters wrote it: SiLU convs, the
              head's [1, 3, 6, H, W] view transposed, Sigmoid, box decoding
              written back with ScatterND (constant indices, the exporter's
              in-place `y[..., 0:2] = ...`), then the 20 best scores (TopK) and
              their rows (GatherND): outputs `boxes` and `top`
  alexnet     AlexNet/GoogLeNet-era: an 11x11 stride-4 conv, LRN after the
              first two convs, overlapping 3x3 stride-2 max pools
  segnet      SegNet/ENet-style encoder-decoder: MaxPool with its Indices
              output, MaxUnpool at those indices in the decoder, a per-pixel
              class map

Every model takes `input` float32[1, 3, 64, 64], except bert: `input_ids`
int64[1, 64] (`sample` draws inputs for either).

usage: make_architectures.py OUTDIR
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

rng = np.random.default_rng(0)
INPUT = [1, 3, 64, 64]
TOKENS, VOCAB = 64, 100


def sample(model, seed):
    """The name of a model's input and a seeded sample for it."""
    r = np.random.default_rng(seed)
    if model == "bert":
        return "input_ids", r.integers(0, VOCAB, (1, TOKENS)).astype(np.int64)
    return "input", r.standard_normal(INPUT).astype(np.float32)


class G:
    """A graph under construction: nodes, initializers and fresh names.

    Weights are drawn from the module's seeded generator in call order, so the
    models are the same on every run."""

    def __init__(self, name):
        self.nodes = []
        self.inits = []
        self.n = 0
        self.name = name

    def t(self, arr, base="w"):
        """An initializer; float data is stored as float32."""
        self.n += 1
        name = f"{base}{self.n}"
        a = np.asarray(arr)
        self.inits.append(nh.from_array(a.astype(np.float32) if a.dtype.kind == "f" else a, name))
        return name

    def op(self, op_type, inputs, **attrs):
        self.n += 1
        out = f"{op_type.lower()}{self.n}"
        self.nodes.append(h.make_node(op_type, inputs, [out], **attrs))
        return out

    def conv(self, x, cin, cout, k=3, st=1, g=1, bias=True, pad=None):
        """He-initialized; `pad` defaults to k // 2 ("same" for odd k)."""
        w = self.t(rng.standard_normal((cout, cin // g, k, k)) * np.sqrt(2 / (cin // g * k * k)))
        inputs = [x, w] + ([self.t(rng.standard_normal(cout) * 0.1)] if bias else [])
        return self.op("Conv", inputs, kernel_shape=[k, k], strides=[st, st],
                       pads=[k // 2 if pad is None else pad] * 4, group=g)

    def bn(self, x, c):
        return self.op("BatchNormalization",
                       [x, self.t(1 + 0.1 * rng.standard_normal(c)),
                        self.t(0.1 * rng.standard_normal(c)), self.t(0.1 * rng.standard_normal(c)),
                        self.t(0.5 + rng.random(c))], epsilon=1e-5)

    def save(self, out, out_shape, path, inputs=None, more=()):
        """`more`: further (name, shape) float outputs."""
        outs = [h.make_tensor_value_info(n, T.FLOAT, s) for n, s in [(out, out_shape), *more]]
        graph = h.make_graph(self.nodes, self.name,
                             inputs or [h.make_tensor_value_info("input", T.FLOAT, INPUT)],
                             outs, self.inits)
        model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
        model.ir_version = 8
        onnx.checker.check_model(model)
        onnx.save(model, path)


def head(g, x, c, classes=10):
    """Global average pool, flatten, a linear classifier."""
    p = g.op("GlobalAveragePool", [x])
    f = g.op("Flatten", [p], axis=1)
    return g.op("Gemm", [f, g.t(rng.standard_normal((classes, c)) * 0.1), g.t(np.zeros(classes))],
                transB=1)


def silu(g, x):
    return g.op("Mul", [x, g.op("Sigmoid", [x])])


def se(g, x, c, act="silu", gate="Sigmoid"):
    """Squeeze-excite: pool, reduce, activate, expand, gate, scale."""
    p = g.op("GlobalAveragePool", [x])
    r = g.conv(p, c, max(c // 4, 4), k=1)
    r = silu(g, r) if act == "silu" else g.op("Relu", [r])
    e = g.conv(r, max(c // 4, 4), c, k=1)
    e = g.op(gate, [e]) if gate == "Sigmoid" else g.op("HardSigmoid", [e], alpha=1 / 6, beta=0.5)
    return g.op("Mul", [x, e])


def effnet(path):
    g = G("effnet")
    x = silu(g, g.bn(g.conv("input", 3, 16, st=2, bias=False), 16))
    for cin, cout, st in [(16, 24, 2), (24, 24, 1), (24, 40, 2)]:
        # MBConv: expand 1x1, depthwise 3x3, squeeze-excite, project 1x1.
        y = silu(g, g.bn(g.conv(x, cin, cin * 4, k=1, bias=False), cin * 4))
        y = silu(g, g.bn(g.conv(y, cin * 4, cin * 4, st=st, g=cin * 4, bias=False), cin * 4))
        y = se(g, y, cin * 4)
        y = g.bn(g.conv(y, cin * 4, cout, k=1, bias=False), cout)
        x = g.op("Add", [x, y]) if (cin == cout and st == 1) else y
    g.save(head(g, x, 40), [1, 10], path)


def mnv3(path):
    g = G("mnv3")
    x = g.op("HardSwish", [g.bn(g.conv("input", 3, 16, st=2, bias=False), 16)])
    for cin, cout, st in [(16, 24, 2), (24, 24, 1)]:
        y = g.op("HardSwish", [g.bn(g.conv(x, cin, cin * 3, k=1, bias=False), cin * 3)])
        y = g.op("Relu", [g.bn(g.conv(y, cin * 3, cin * 3, st=st, g=cin * 3, bias=False), cin * 3)])
        y = se(g, y, cin * 3, act="relu", gate="Hard")
        y = g.bn(g.conv(y, cin * 3, cout, k=1, bias=False), cout)
        x = g.op("Add", [x, y]) if (cin == cout and st == 1) else y
    g.save(head(g, x, 24), [1, 10], path)


def densenet(path):
    """Pre-activation dense block: BN (after a Concat, so no conv absorbs it)."""
    g = G("densenet")
    x = g.conv("input", 3, 16, st=2)
    c = 16
    for _ in range(3):
        y = g.conv(g.op("Relu", [g.bn(x, c)]), c, 16, k=3)
        x = g.op("Concat", [x, y], axis=1)
        c += 16
    x = g.op("AveragePool", [g.conv(g.op("Relu", [g.bn(x, c)]), c, 32, k=1)], kernel_shape=[2, 2],
             strides=[2, 2])
    g.save(head(g, x, 32), [1, 10], path)


def shufflenet(path):
    """One ShuffleNetV2 unit: split, a branch, concat, channel shuffle."""
    g = G("shufflenet")
    x = g.op("Relu", [g.bn(g.conv("input", 3, 32, st=2), 32)])
    s1, s2 = "sp0a", "sp0b"
    g.nodes.append(h.make_node("Split", [x, g.t(np.array([16, 16], dtype=np.int64))], [s1, s2],
                               axis=1))
    y = g.op("Relu", [g.bn(g.conv(s2, 16, 16, k=1), 16)])
    y = g.bn(g.conv(y, 16, 16, g=16), 16)
    y = g.op("Relu", [g.conv(y, 16, 16, k=1)])
    cc = g.op("Concat", [s1, y], axis=1)
    r = g.op("Reshape", [cc, g.t(np.array([1, 2, 16, 32, 32], dtype=np.int64))])
    tr = g.op("Transpose", [r], perm=[0, 2, 1, 3, 4])
    x = g.op("Reshape", [tr, g.t(np.array([1, 32, 32, 32], dtype=np.int64))])
    g.save(head(g, x, 32), [1, 10], path)


def convnext(path):
    """Patchify, then blocks of 7x7 depthwise, LayerNorm over channels
    (between Transposes), linear, GELU written with Erf, linear, residual."""
    g = G("convnext")
    x = g.conv("input", 3, 32, k=4, st=4, pad=0)
    for _ in range(2):
        y = g.conv(x, 32, 32, k=7, g=32)
        y = g.op("Transpose", [y], perm=[0, 2, 3, 1])
        y = g.op("LayerNormalization", [y, g.t(np.ones(32)), g.t(np.zeros(32))], axis=-1,
                 epsilon=1e-6)
        y = g.op("Add", [g.op("MatMul", [y, g.t(rng.standard_normal((32, 128)) * 0.1)]),
                         g.t(np.zeros(128))])
        y = g.op("Mul", [g.op("Mul", [y, g.t(np.array(0.5))]),
                         g.op("Add", [g.t(np.array(1.0)),
                                      g.op("Erf", [g.op("Div", [y, g.t(np.array(1.4142135))])])])])
        y = g.op("MatMul", [y, g.t(rng.standard_normal((128, 32)) * 0.1)])
        y = g.op("Transpose", [y], perm=[0, 3, 1, 2])
        x = g.op("Add", [x, y])
    g.save(head(g, x, 32), [1, 10], path)


def vit(path):
    """Patch embedding to 64 tokens of 64, two pre-norm blocks of 4-head
    attention and an MLP, mean over tokens, a linear classifier."""
    g = G("vit")
    x = g.conv("input", 3, 64, k=8, st=8, pad=0)  # [1, 64, 8, 8]
    x = g.op("Transpose", [g.op("Reshape", [x, g.t(np.array([1, 64, 64], dtype=np.int64))])],
             perm=[0, 2, 1])  # [1, 64 tokens, 64]
    for _ in range(2):
        y = g.op("LayerNormalization", [x, g.t(np.ones(64)), g.t(np.zeros(64))], axis=-1,
                 epsilon=1e-6)
        q = g.op("MatMul", [y, g.t(rng.standard_normal((64, 64)) * 0.1)])
        k = g.op("MatMul", [y, g.t(rng.standard_normal((64, 64)) * 0.1)])
        v = g.op("MatMul", [y, g.t(rng.standard_normal((64, 64)) * 0.1)])
        heads = g.t(np.array([1, 64, 4, 16], dtype=np.int64))
        q = g.op("Transpose", [g.op("Reshape", [q, heads])], perm=[0, 2, 1, 3])
        k = g.op("Transpose", [g.op("Reshape", [k, heads])], perm=[0, 2, 3, 1])
        v = g.op("Transpose", [g.op("Reshape", [v, heads])], perm=[0, 2, 1, 3])
        a = g.op("Softmax", [g.op("Mul", [g.op("MatMul", [q, k]), g.t(np.array(0.25))])], axis=-1)
        o = g.op("Reshape", [g.op("Transpose", [g.op("MatMul", [a, v])], perm=[0, 2, 1, 3]),
                             g.t(np.array([1, 64, 64], dtype=np.int64))])
        x = g.op("Add", [x, g.op("MatMul", [o, g.t(rng.standard_normal((64, 64)) * 0.1)])])
        y = g.op("LayerNormalization", [x, g.t(np.ones(64)), g.t(np.zeros(64))], axis=-1,
                 epsilon=1e-6)
        # The MLP: a linear, a (unit) scale, ReLU, a linear.
        y = g.op("Mul", [g.op("MatMul", [y, g.t(rng.standard_normal((64, 128)) * 0.1)]),
                         g.t(np.array(1.0))])
        x = g.op("Add", [x, g.op("MatMul", [g.op("Relu", [y]),
                                            g.t(rng.standard_normal((128, 64)) * 0.1)])])
    m = g.op("ReduceMean", [x], axes=[1], keepdims=0)
    out = g.op("Gemm", [m, g.t(rng.standard_normal((10, 64)) * 0.1), g.t(np.zeros(10))], transB=1)
    g.save(out, [1, 10], path)


def yolo(path):
    """Two LeakyRelu stages, an SPP-style 5x5 max pool, nearest upsampling,
    a concat with the first stage and a Sigmoid detection head."""
    g = G("yolo")
    a = g.op("LeakyRelu", [g.bn(g.conv("input", 3, 16, st=2), 16)], alpha=0.1)
    b = g.op("LeakyRelu", [g.bn(g.conv(a, 16, 32, st=2), 32)], alpha=0.1)
    c = g.op("MaxPool", [b], kernel_shape=[5, 5], strides=[1, 1], pads=[2, 2, 2, 2])
    u = g.op("Resize", [c, "", g.t(np.array([1, 1, 2, 2], dtype=np.float32))], mode="nearest")
    d = g.op("Concat", [a, u], axis=1)
    e = g.conv(d, 48, 18, k=1)
    g.save(g.op("Sigmoid", [e]), [1, 18, 32, 32], path)


def bert(path):
    """Token and position embeddings, two post-norm encoder layers of width
    128 (4 heads of 32, an MLP of 512), the first token to a 2-way Gemm."""
    g = G("bert")
    d, heads = 128, 4

    def layer_norm(x):
        # As exporters write it before opset 17.
        c = g.op("Sub", [x, g.op("ReduceMean", [x], axes=[-1])])
        var = g.op("ReduceMean", [g.op("Pow", [c, g.t(np.array(2.0))])], axes=[-1])
        n = g.op("Div", [c, g.op("Sqrt", [g.op("Add", [var, g.t(np.array(1e-12))])])])
        return g.op("Add", [g.op("Mul", [n, g.t(1 + 0.1 * rng.standard_normal(d))]),
                            g.t(0.1 * rng.standard_normal(d))])

    def linear(x, i, o):
        w = g.t(rng.standard_normal((i, o)) / np.sqrt(i))
        return g.op("Add", [g.op("MatMul", [x, w]), g.t(rng.standard_normal(o) * 0.1)])

    x = g.op("Gather", [g.t(rng.standard_normal((VOCAB, d)) * 0.5), "input_ids"], axis=0)
    x = layer_norm(g.op("Add", [x, g.t(rng.standard_normal((1, TOKENS, d)) * 0.1)]))
    # The last 8 tokens are padding: -10000 before the softmax.
    mask = g.t((np.arange(TOKENS) >= TOKENS - 8).reshape(1, 1, 1, TOKENS) * -10000.0)
    split = g.t(np.array([1, TOKENS, heads, d // heads], dtype=np.int64))
    for _ in range(2):
        q = g.op("Transpose", [g.op("Reshape", [linear(x, d, d), split])], perm=[0, 2, 1, 3])
        k = g.op("Transpose", [g.op("Reshape", [linear(x, d, d), split])], perm=[0, 2, 3, 1])
        v = g.op("Transpose", [g.op("Reshape", [linear(x, d, d), split])], perm=[0, 2, 1, 3])
        scores = g.op("Div", [g.op("MatMul", [q, k]), g.t(np.array(np.sqrt(d // heads)))])
        a = g.op("Softmax", [g.op("Add", [scores, mask])], axis=-1)
        o = g.op("Reshape", [g.op("Transpose", [g.op("MatMul", [a, v])], perm=[0, 2, 1, 3]),
                             g.t(np.array([1, TOKENS, d], dtype=np.int64))])
        x = layer_norm(g.op("Add", [x, linear(o, d, d)]))
        f = linear(x, d, 4 * d)
        erf = g.op("Erf", [g.op("Div", [f, g.t(np.array(np.sqrt(2.0)))])])
        f = g.op("Mul", [g.op("Mul", [f, g.op("Add", [erf, g.t(np.array(1.0))])]),
                         g.t(np.array(0.5))])
        x = layer_norm(g.op("Add", [x, linear(f, 4 * d, d)]))
    first = g.op("Gather", [x, g.t(np.array(0, dtype=np.int64))], axis=1)
    out = g.op("Gemm", [first, g.t(rng.standard_normal((2, d)) * 0.1), g.t(np.zeros(2))],
               transB=1)
    g.save(out, [1, 2], path, [h.make_tensor_value_info("input_ids", T.INT64, [1, TOKENS])])


def yolov5(path):
    """Two SiLU stages to a 16x16 grid, a 1x1 head of 3 anchors x 6 values
    (box, objectness, one class), decoded as YOLOv5's Detect wrote it
    before inplace=False: xy and wh computed from slices of the sigmoid and
    written back into it with ScatterND. The 20 highest objectness scores
    (TopK) select their rows (GatherND, batch_dims 1)."""
    g = G("yolov5")
    a = silu(g, g.bn(g.conv("input", 3, 16, st=2), 16))
    b = silu(g, g.bn(g.conv(a, 16, 32, st=2), 32))
    p = g.conv(b, 32, 18, k=1)
    n, side, stride = 3, 16, 4.0
    r = g.op("Reshape", [p, g.t(np.array([1, n, 6, side, side], dtype=np.int64))])
    y = g.op("Sigmoid", [g.op("Transpose", [r], perm=[0, 1, 3, 4, 2])])

    def part(lo, hi):
        return g.op("Slice", [y, g.t(np.array([lo], dtype=np.int64)),
                              g.t(np.array([hi], dtype=np.int64)), g.t(np.array([4], dtype=np.int64))])

    def write_back(y, lo, value):
        # The constant indices of y[..., lo:lo+2]: [1, 3, 16, 16, 2, 5].
        grid = np.stack(np.meshgrid(*[np.arange(k) for k in (1, n, side, side, 2)],
                                    indexing="ij"), axis=-1)
        grid[..., 4] += lo
        return g.op("ScatterND", [y, g.t(grid.astype(np.int64)), value])

    gy, gx = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    cells = np.stack([gx, gy], -1).reshape(1, 1, side, side, 2).astype(np.float32)
    xy = g.op("Mul", [g.op("Add", [g.op("Sub", [g.op("Mul", [part(0, 2), g.t(np.array(2.0))]),
                                                g.t(np.array(0.5))]), g.t(cells)]),
                      g.t(np.array(stride))])
    anchors = np.array([[10, 13], [16, 30], [33, 23]], np.float32).reshape(1, n, 1, 1, 2)
    wh2 = g.op("Mul", [part(2, 4), g.t(np.array(2.0))])
    wh = g.op("Mul", [g.op("Mul", [wh2, wh2]), g.t(anchors)])
    y = write_back(write_back(y, 0, xy), 2, wh)
    boxes = g.op("Reshape", [y, g.t(np.array([1, n * side * side, 6], dtype=np.int64))])
    score = g.op("Gather", [boxes, g.t(np.array(4, dtype=np.int64))], axis=2)
    g.n += 1
    values, best = f"topk_values{g.n}", f"topk_indices{g.n}"
    g.nodes.append(h.make_node("TopK", [score, g.t(np.array([20], dtype=np.int64))],
                               [values, best], axis=-1))
    top = g.op("GatherND", [boxes, g.op("Unsqueeze", [best, g.t(np.array([-1], dtype=np.int64))])],
               batch_dims=1)
    g.nodes.append(h.make_node("Identity", [boxes], ["boxes"]))
    g.nodes.append(h.make_node("Identity", [top], ["top"]))
    g.save("boxes", [1, n * side * side, 6], path, more=[("top", [1, 20, 6])])


def alexnet(path):
    """An 11x11 stride-4 conv and a 5x5 conv, each followed by ReLU, LRN
    (size 5, AlexNet's parameters) and a 3x3 stride-2 max pool; a linear
    head."""
    g = G("alexnet")
    x = "input"
    for cin, cout, k, st in ((3, 32, 11, 4), (32, 48, 5, 1)):
        x = g.op("Relu", [g.conv(x, cin, cout, k=k, st=st, pad=k // 2)])
        x = g.op("LRN", [x], size=5, alpha=1e-4, beta=0.75, bias=2.0)
        x = g.op("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2])
    g.save(head(g, x, 48), [1, 10], path)


def segnet(path):
    """Two encoder stages (conv, BN, ReLU, 2x2 max pool keeping its indices),
    two decoder stages (MaxUnpool at the matching indices, conv, BN, ReLU),
    a 1x1 conv to 5 classes per pixel."""
    g = G("segnet")
    x, saved = "input", []
    for cin, cout in ((3, 16), (16, 32)):
        x = g.op("Relu", [g.bn(g.conv(x, cin, cout), cout)])
        g.n += 1
        y, idx = f"pool{g.n}", f"indices{g.n}"
        g.nodes.append(h.make_node("MaxPool", [x], [y, idx], kernel_shape=[2, 2], strides=[2, 2]))
        saved.append(idx)
        x = y
    for cin, cout in ((32, 16), (16, 16)):
        x = g.op("MaxUnpool", [x, saved.pop()], kernel_shape=[2, 2], strides=[2, 2])
        x = g.op("Relu", [g.bn(g.conv(x, cin, cout), cout)])
    g.save(g.conv(x, 16, 5, k=1), [1, 5, 64, 64], path)


def build(outdir):
    os.makedirs(outdir, exist_ok=True)
    # In this order: each model's weights continue the generator's sequence.
    for make in (effnet, mnv3, densenet, shufflenet, convnext, vit, yolo, bert, yolov5, alexnet,
                 segnet):
        make(os.path.join(outdir, f"{make.__name__}.onnx"))


if __name__ == "__main__":
    build(sys.argv[1])
