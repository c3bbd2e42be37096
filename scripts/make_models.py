#!/usr/bin/env python3
"""Generate QOpt's synthetic test models with seeded random weights.

Usage: make_models.py OUTDIR [--only resnet50,mobilenetv2,bert] [--seed 0]

Writes, using only onnx.helper / onnx.numpy_helper and numpy:

  resnet50.onnx     ResNet-50 v1.5 (torchvision layout), opset 13, input `input`
                    float32 [N,3,224,224], output `logits` [N,1000]. BatchNormalization
                    nodes are kept separate from the convolutions.
  mobilenetv2.onnx  MobileNetV2 (width 1.0), opset 13, Relu6 as Clip(x, 0, 6) with
                    min/max initializers, same input/output names as resnet50.
  bert4.onnx        4-layer BERT-style encoder (hidden 256, 4 heads, FFN 1024, vocab
                    1000, max seq 128), opset 17, inputs `input_ids` / `attention_mask`
                    int64 [B,S], output `last_hidden_state` float32 [B,S,256]. The
                    shape arithmetic mimics the PyTorch exporter (Shape/Gather/
                    Unsqueeze/Concat/Slice chains, scalar Constant nodes).

Weights are He-initialised and the BatchNormalization statistics are realistic
(var in [0.5, 1.5], small mean, gamma 1 +- 0.1, small beta). Each conv's output channels
are scaled by sqrt(running_var), as in a trained network, and the last conv of every
residual branch is scaled down, so that activations stay O(1) through the whole network
(logits std ~2 for resnet50 and ~0.8 for mobilenetv2 on N(0,1) input). The BERT weights
use std 1/sqrt(fan_in), so attention is far from uniform.

The models use IR version 8 so that ONNX 1.12 (Debian's libonnx) can read and check
them. Weights are stored inside the files.
"""

from __future__ import annotations

import argparse
import math
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

IR_VERSION = 8
ALL_MODELS = ("resnet50", "mobilenetv2", "bert")
FILE_NAMES = {"resnet50": "resnet50.onnx", "mobilenetv2": "mobilenetv2.onnx", "bert": "bert4.onnx"}


class GraphBuilder:
    """Small helper that accumulates nodes and initializers with unique names."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._names: set[str] = set()
        self._counts: dict[str, int] = {}

    def unique(self, base: str) -> str:
        n = self._counts.get(base, 0)
        name = base if n == 0 and base not in self._names else f"{base}_{n}"
        while name in self._names:
            n += 1
            name = f"{base}_{n}"
        self._counts[base] = n + 1
        self._names.add(name)
        return name

    def init(self, name: str, array: np.ndarray) -> str:
        name = self.unique(name)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def op(self, op_type: str, inputs: list[str], name: str, output: str | None = None,
           **attrs) -> str:
        """Append a single-output node; its output is named after the node unless given."""
        name = self.unique(name)
        if output is None:
            output = name
        else:
            assert output not in self._names, output
            self._names.add(output)
        self.nodes.append(helper.make_node(op_type, inputs, [output], name=name, **attrs))
        return output

    def constant(self, name: str, array: np.ndarray) -> str:
        """A Constant node (the way the PyTorch exporter emits scalars and shapes)."""
        tensor = numpy_helper.from_array(np.asarray(array), self.unique(name + "_value"))
        return self.op("Constant", [], name, value=tensor)

    def make_model(self, name: str, inputs, outputs, opset: int, doc: str) -> onnx.ModelProto:
        graph = helper.make_graph(self.nodes, name, inputs, outputs, initializer=self.initializers)
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", opset)],
            producer_name="qopt-make_models",
            producer_version="1",
            doc_string=doc,
        )
        model.ir_version = IR_VERSION
        return model


# --------------------------------------------------------------------------- CNN helpers


def _conv_weight(rng, c_out, c_in_per_group, k, gain=2.0, scale=1.0):
    fan_in = c_in_per_group * k * k
    std = math.sqrt(gain / fan_in) * scale
    return (rng.standard_normal((c_out, c_in_per_group, k, k)) * std).astype(np.float32)


def _bn_params(rng, c):
    gamma = (1.0 + 0.1 * rng.uniform(-1.0, 1.0, c)).astype(np.float32)
    beta = (0.05 * rng.standard_normal(c)).astype(np.float32)
    mean = (0.05 * rng.standard_normal(c)).astype(np.float32)
    var = rng.uniform(0.5, 1.5, c).astype(np.float32)
    return gamma, beta, mean, var


def conv_bn(b: GraphBuilder, x: str, name: str, c_in: int, c_out: int, k: int, stride: int = 1,
            group: int = 1, gain: float = 2.0, scale: float = 1.0) -> str:
    """Conv (no bias) followed by a separate BatchNormalization node."""
    pad = k // 2
    gamma, beta, mean, var = _bn_params(b.rng, c_out)
    # Like a trained network, the per-channel conv output variance roughly matches the BN
    # running variance, so BN rescales to ~gamma instead of amplifying by 1/sqrt(var).
    weight = _conv_weight(b.rng, c_out, c_in // group, k, gain, scale)
    weight *= np.sqrt(var)[:, None, None, None]
    w = b.init(f"{name}.weight", weight.astype(np.float32))
    y = b.op("Conv", [x, w], f"{name}.conv", kernel_shape=[k, k], strides=[stride, stride],
             pads=[pad, pad, pad, pad], dilations=[1, 1], group=group)
    return b.op("BatchNormalization",
                [y, b.init(f"{name}.bn.weight", gamma), b.init(f"{name}.bn.bias", beta),
                 b.init(f"{name}.bn.running_mean", mean), b.init(f"{name}.bn.running_var", var)],
                f"{name}.bn", epsilon=1e-5, momentum=0.9)


def classifier(b: GraphBuilder, x: str, c_in: int, n_classes: int, use_reshape: bool) -> str:
    pooled = b.op("GlobalAveragePool", [x], "avgpool")
    if use_reshape:
        shape = b.init("flatten_shape", np.array([-1, c_in], dtype=np.int64))
        flat = b.op("Reshape", [pooled, shape], "flatten")
    else:
        flat = b.op("Flatten", [pooled], "flatten", axis=1)
    w = (b.rng.standard_normal((n_classes, c_in)) * math.sqrt(1.0 / c_in)).astype(np.float32)
    bias = (0.01 * b.rng.standard_normal(n_classes)).astype(np.float32)
    return b.op("Gemm", [flat, b.init("fc.weight", w), b.init("fc.bias", bias)], "fc",
                output="logits", alpha=1.0, beta=1.0, transB=1)


def image_io(b: GraphBuilder, logits: str, n_classes: int):
    inputs = [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 224, 224])]
    outputs = [helper.make_tensor_value_info(logits, TensorProto.FLOAT, ["N", n_classes])]
    return inputs, outputs


# --------------------------------------------------------------------------- ResNet-50


def make_resnet50(seed: int) -> onnx.ModelProto:
    """ResNet-50 v1.5: the stride of a downsampling bottleneck sits on its 3x3 conv."""
    b = GraphBuilder(np.random.default_rng(seed))
    x = b.op("Relu", [conv_bn(b, "input", "conv1", 3, 64, 7, stride=2)], "relu")
    x = b.op("MaxPool", [x], "maxpool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    c_in = 64
    # Scale of the last conv of every residual branch: keeps the residual stream's
    # variance from doubling at each block (16 blocks) while leaving it non-trivial.
    branch_scale = 0.35
    for stage, (width, blocks, stride) in enumerate(zip((64, 128, 256, 512), (3, 4, 6, 3),
                                                        (1, 2, 2, 2)), start=1):
        c_out = width * 4
        for i in range(blocks):
            s = stride if i == 0 else 1
            p = f"layer{stage}.{i}"
            y = b.op("Relu", [conv_bn(b, x, f"{p}.conv1", c_in, width, 1)], f"{p}.relu1")
            y = b.op("Relu", [conv_bn(b, y, f"{p}.conv2", width, width, 3, stride=s)], f"{p}.relu2")
            y = conv_bn(b, y, f"{p}.conv3", width, c_out, 1, scale=branch_scale)
            if i == 0:  # projection shortcut
                shortcut = conv_bn(b, x, f"{p}.downsample", c_in, c_out, 1, stride=s, gain=1.0)
            else:
                shortcut = x
            x = b.op("Relu", [b.op("Add", [y, shortcut], f"{p}.add")], f"{p}.relu3")
            c_in = c_out
    logits = classifier(b, x, 2048, 1000, use_reshape=False)
    inputs, outputs = image_io(b, logits, 1000)
    return b.make_model("resnet50", inputs, outputs, 13,
                        "ResNet-50 v1.5 with random weights (qopt make_models.py)")


# --------------------------------------------------------------------------- MobileNetV2


def make_mobilenetv2(seed: int) -> onnx.ModelProto:
    b = GraphBuilder(np.random.default_rng(seed))
    clip_min = b.init("relu6.min", np.array(0.0, dtype=np.float32))
    clip_max = b.init("relu6.max", np.array(6.0, dtype=np.float32))

    def relu6(x: str, name: str) -> str:
        return b.op("Clip", [x, clip_min, clip_max], name)

    x = relu6(conv_bn(b, "input", "features.0", 3, 32, 3, stride=2), "features.0.relu6")
    c_in = 32
    settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
    idx = 1
    for t, c, n, s in settings:
        for i in range(n):
            stride = s if i == 0 else 1
            p = f"features.{idx}"
            hidden = c_in * t
            y = x
            if t != 1:
                y = relu6(conv_bn(b, y, f"{p}.expand", c_in, hidden, 1), f"{p}.expand.relu6")
            y = relu6(conv_bn(b, y, f"{p}.dw", hidden, hidden, 3, stride=stride, group=hidden),
                      f"{p}.dw.relu6")
            residual = stride == 1 and c_in == c
            y = conv_bn(b, y, f"{p}.project", hidden, c, 1, gain=1.0,
                        scale=0.5 if residual else 1.0)
            if residual:
                y = b.op("Add", [x, y], f"{p}.add")
            x = y
            c_in = c
            idx += 1
    x = relu6(conv_bn(b, x, f"features.{idx}", c_in, 1280, 1), f"features.{idx}.relu6")
    logits = classifier(b, x, 1280, 1000, use_reshape=True)
    inputs, outputs = image_io(b, logits, 1000)
    return b.make_model("mobilenetv2", inputs, outputs, 13,
                        "MobileNetV2 (width 1.0) with random weights (qopt make_models.py)")


# --------------------------------------------------------------------------- BERT


def make_bert(seed: int, layers: int = 4, hidden: int = 256, heads: int = 4,
              intermediate: int = 1024, vocab: int = 1000, max_seq: int = 128) -> onnx.ModelProto:
    b = GraphBuilder(np.random.default_rng(seed))
    rng = b.rng
    head_dim = hidden // heads
    i64 = np.int64

    def dense_init(name: str, n_in: int, n_out: int) -> tuple[str, str]:
        w = (rng.standard_normal((n_in, n_out)) / math.sqrt(n_in)).astype(np.float32)
        bias = (0.02 * rng.standard_normal(n_out)).astype(np.float32)
        return b.init(f"{name}.weight", w), b.init(f"{name}.bias", bias)

    def dense(x: str, name: str, n_in: int, n_out: int) -> str:
        w, bias = dense_init(name, n_in, n_out)
        return b.op("Add", [b.op("MatMul", [x, w], f"{name}.matmul"), bias], f"{name}.add")

    def layer_norm(x: str, name: str, output: str | None = None) -> str:
        gamma = (1.0 + 0.1 * rng.uniform(-1.0, 1.0, hidden)).astype(np.float32)
        beta = (0.02 * rng.standard_normal(hidden)).astype(np.float32)
        return b.op("LayerNormalization",
                    [x, b.init(f"{name}.weight", gamma), b.init(f"{name}.bias", beta)],
                    name, output=output, axis=-1, epsilon=1e-12)

    def dim(x: str, axis: int, name: str) -> str:
        """Shape(x)[axis] as a 1-element int64 tensor: Shape -> Gather -> Unsqueeze."""
        shape = b.op("Shape", [x], f"{name}.shape")
        scalar = b.op("Gather", [shape, b.constant(f"{name}.index", np.array(axis, dtype=i64))],
                      f"{name}.gather", axis=0)
        return b.op("Unsqueeze", [scalar, b.constant(f"{name}.axes", np.array([0], dtype=i64))],
                    f"{name}.unsqueeze")

    # ---- embeddings
    word_emb = b.init("embeddings.word_embeddings.weight",
                      (0.5 * rng.standard_normal((vocab, hidden))).astype(np.float32))
    pos_emb = b.init("embeddings.position_embeddings.weight",
                     (0.5 * rng.standard_normal((max_seq, hidden))).astype(np.float32))
    pos_ids_all = b.init("embeddings.position_ids", np.arange(max_seq, dtype=i64)[None, :])
    seq_len = dim("input_ids", 1, "embeddings.seq_len")
    pos_ids = b.op("Slice", [pos_ids_all, b.constant("embeddings.slice_start", np.array([0], i64)),
                             seq_len, b.constant("embeddings.slice_axes", np.array([1], i64))],
                   "embeddings.position_ids_slice")
    pos_ids = b.op("Expand", [pos_ids, b.op("Shape", ["input_ids"], "embeddings.ids_shape")],
                   "embeddings.position_ids_expand")
    words = b.op("Gather", [word_emb, "input_ids"], "embeddings.word_gather", axis=0)
    positions = b.op("Gather", [pos_emb, pos_ids], "embeddings.position_gather", axis=0)
    h = layer_norm(b.op("Add", [words, positions], "embeddings.add"), "embeddings.LayerNorm")

    # ---- additive attention mask [B,1,1,S]: Where(mask == 0, -10000, 0)
    mask_f = b.op("Cast", ["attention_mask"], "mask.cast", to=TensorProto.FLOAT)
    is_pad = b.op("Equal", [mask_f, b.constant("mask.zero", np.array(0.0, np.float32))],
                  "mask.equal")
    additive = b.op("Where", [is_pad, b.constant("mask.neg", np.array(-10000.0, np.float32)),
                              b.constant("mask.pos", np.array(0.0, np.float32))], "mask.where")
    additive = b.op("Unsqueeze", [additive, b.constant("mask.axes", np.array([1, 2], i64))],
                    "mask.unsqueeze")

    def split_heads(x: str, name: str, perm: list[int]) -> str:
        shape = b.op("Concat", [dim(x, 0, f"{name}.batch"), dim(x, 1, f"{name}.seq"),
                                b.constant(f"{name}.heads", np.array([heads], i64)),
                                b.constant(f"{name}.head_dim", np.array([head_dim], i64))],
                     f"{name}.shape", axis=0)
        x = b.op("Reshape", [x, shape], f"{name}.reshape")
        return b.op("Transpose", [x], f"{name}.transpose", perm=perm)

    for layer in range(layers):
        p = f"encoder.layer.{layer}"
        q = split_heads(dense(h, f"{p}.attention.query", hidden, hidden), f"{p}.attention.q",
                        [0, 2, 1, 3])
        k = split_heads(dense(h, f"{p}.attention.key", hidden, hidden), f"{p}.attention.k",
                        [0, 2, 3, 1])
        v = split_heads(dense(h, f"{p}.attention.value", hidden, hidden), f"{p}.attention.v",
                        [0, 2, 1, 3])
        scores = b.op("MatMul", [q, k], f"{p}.attention.scores")
        scores = b.op("Div", [scores, b.constant(f"{p}.attention.scale",
                                                 np.array(math.sqrt(head_dim), np.float32))],
                      f"{p}.attention.div")
        scores = b.op("Add", [scores, additive], f"{p}.attention.mask_add")
        probs = b.op("Softmax", [scores], f"{p}.attention.softmax", axis=-1)
        ctx = b.op("MatMul", [probs, v], f"{p}.attention.context")
        ctx = b.op("Transpose", [ctx], f"{p}.attention.context_transpose", perm=[0, 2, 1, 3])
        merged_shape = b.op("Concat", [dim(ctx, 0, f"{p}.attention.merge_batch"),
                                       dim(ctx, 1, f"{p}.attention.merge_seq"),
                                       b.constant(f"{p}.attention.merge_hidden",
                                                  np.array([hidden], i64))],
                            f"{p}.attention.merge_shape", axis=0)
        ctx = b.op("Reshape", [ctx, merged_shape], f"{p}.attention.merge")
        attn = dense(ctx, f"{p}.attention.output.dense", hidden, hidden)
        h = layer_norm(b.op("Add", [attn, h], f"{p}.attention.residual"),
                       f"{p}.attention.output.LayerNorm")

        inter = dense(h, f"{p}.intermediate.dense", hidden, intermediate)
        # GELU exactly as the PyTorch exporter writes it: x * 0.5 * (1 + erf(x / sqrt(2)))
        erf = b.op("Erf", [b.op("Div", [inter, b.constant(f"{p}.gelu.sqrt2",
                                                        np.array(math.sqrt(2.0), np.float32))],
                                f"{p}.gelu.div")], f"{p}.gelu.erf")
        erf1 = b.op("Add", [erf, b.constant(f"{p}.gelu.one", np.array(1.0, np.float32))],
                    f"{p}.gelu.add")
        gelu = b.op("Mul", [b.op("Mul", [inter, erf1], f"{p}.gelu.mul"),
                            b.constant(f"{p}.gelu.half", np.array(0.5, np.float32))],
                    f"{p}.gelu.mul_half")
        out = dense(gelu, f"{p}.output.dense", intermediate, hidden)
        h = layer_norm(b.op("Add", [out, h], f"{p}.output.residual"), f"{p}.output.LayerNorm",
                       output="last_hidden_state" if layer == layers - 1 else None)

    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["B", "S"]),
              helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["B", "S"])]
    outputs = [helper.make_tensor_value_info(h, TensorProto.FLOAT, ["B", "S", hidden])]
    return b.make_model("bert4", inputs, outputs, 17,
                        f"{layers}-layer BERT-style encoder with random weights "
                        "(qopt make_models.py)")


BUILDERS = {"resnet50": make_resnet50, "mobilenetv2": make_mobilenetv2, "bert": make_bert}
SEED_OFFSETS = {"resnet50": 50, "mobilenetv2": 2, "bert": 4}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", help="directory to write the .onnx files into")
    parser.add_argument("--only", default=",".join(ALL_MODELS),
                        help=f"comma-separated subset of {','.join(ALL_MODELS)}")
    parser.add_argument("--seed", type=int, default=0, help="base seed for the weights")
    args = parser.parse_args(argv)
    args.only = [m.strip() for m in args.only.split(",") if m.strip()]
    unknown = [m for m in args.only if m not in BUILDERS]
    if unknown:
        parser.error(f"unknown model(s) {','.join(unknown)}; choose from {','.join(ALL_MODELS)}")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    os.makedirs(args.outdir, exist_ok=True)
    for name in args.only:
        model = BUILDERS[name](args.seed * 1000 + SEED_OFFSETS[name])
        onnx.checker.check_model(model, full_check=True)
        path = os.path.join(args.outdir, FILE_NAMES[name])
        onnx.save_model(model, path, save_as_external_data=False)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
