"""The malformed-model suite: writes hostile ONNX files, runs the importing
tools on each, and checks that every one is refused cleanly.

usage: malformed_suite.py OUTDIR TOOLS_DIR [--only SUBSTRING] [--list]

For every case and every tool (qopt-translate --import-onnx, qopt-compile):
  - the exit status is exactly 1 (not a signal, not 0, not a sanitizer's
    abort), within a timeout (no hang);
  - stderr holds an `error:` naming what is wrong (each case lists the
    words it must contain: the node, tensor or file);
  - stderr holds no sanitizer report, stack dump or assertion.
Under the ASan + UBSan build (scripts/sanitize.sh) the same run also proves
there is no memory error, undefined behaviour or leak.

Models are made here, at test time, from the onnx package: nothing opaque is
checked in. External-data cases keep a secret file outside the model's folder;
any case that reads it fails.
"""
import argparse
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

SECRET = b"QOPT-SECRET-OUTSIDE-THE-MODEL-FOLDER"


def model_bytes(nodes, inputs, outputs, inits=(), opset=13, opsets=None, ir=8):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    m = helper.make_model(graph, opset_imports=opsets or [helper.make_opsetid("", opset)])
    m.ir_version = ir
    return m.SerializeToString()


def vi(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def raw_tensor(name, dims, raw=b"", dtype=TensorProto.FLOAT):
    t = TensorProto()
    t.name = name
    t.data_type = dtype
    t.dims.extend(dims)
    if raw:
        t.raw_data = raw
    return t


def f32(name, values, dims=None):
    a = np.asarray(values, np.float32)
    return helper.make_tensor(name, TensorProto.FLOAT, list(dims or a.shape), a.flatten().tolist())


def i64(name, values, dims=None):
    a = np.asarray(values, np.int64)
    return helper.make_tensor(name, TensorProto.INT64, list(a.shape if dims is None else dims),
                              a.flatten().tolist())


def add_model(w=None, x_shape=(4,), extra_nodes=(), inits=None, **kw):
    """x + w -> y: the smallest model with an initializer."""
    w = w if w is not None else f32("w", [1, 2, 3, 4])
    nodes = [helper.make_node("Add", ["x", "w"], ["y"], name="add")] + list(extra_nodes)
    return model_bytes(nodes, [vi("x", list(x_shape))], [vi("y", None)],
                       [w] + list(inits or []), **kw)


def unary(op, x_shape, inputs=(), inits=(), out_dtype=None, opset=13, **attrs):
    """One node `op` on graph input x (plus constant inputs)."""
    node = helper.make_node(op, ["x"] + list(inputs), ["y"], name="n_" + op.lower(), **attrs)
    return model_bytes([node], [vi("x", list(x_shape))], [vi("y", None, out_dtype or
                                                                  TensorProto.FLOAT)],
                       inits, opset=opset)


def with_attr(op, x_shape, attr, **attrs):
    """One node whose attribute `attr` (an AttributeProto) is set by hand."""
    node = helper.make_node(op, ["x"], ["y"], name="n_" + op.lower(), **attrs)
    node.attribute.append(attr)
    return model_bytes([node], [vi("x", list(x_shape))], [vi("y", None)])


def external(location, offset=None, length=None):
    w = raw_tensor("w", [4])
    w.data_location = TensorProto.EXTERNAL
    entries = [("location", location)]
    if offset is not None:
        entries.append(("offset", str(offset)))
    if length is not None:
        entries.append(("length", str(length)))
    for k, v in entries:
        e = w.external_data.add()
        e.key, e.value = k, v
    return add_model(w)


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number, payload):
    """A length-delimited protobuf field."""
    return varint((number << 3) | 2) + varint(len(payload)) + payload


def nested_if(depth):
    """If nodes nested `depth` deep through then_branch, written as raw
    protobuf: the onnx package itself refuses to build more than 100 levels."""
    graph = field(1, field(4, b"Identity") + field(1, b"x") + field(2, b"y"))
    for i in range(depth):
        attr = field(1, b"then_branch") + field(6, graph) + varint(20 << 3) + varint(5)
        node = field(1, b"c") + field(2, b"y") + field(3, f"if{i}".encode()) + \
            field(4, b"If") + field(5, attr)
        graph = field(1, node)
    dim4 = field(1, varint(1 << 3) + varint(4))
    x = field(1, b"x") + field(2, field(1, varint(1 << 3) + varint(1) + field(2, dim4)))
    c = field(1, b"c") + field(2, field(1, varint(1 << 3) + varint(9) + field(2, b"")))
    graph += field(11, c) + field(11, x) + field(12, field(1, b"y"))
    opset = field(1, b"") + varint(2 << 3) + varint(13)
    return varint(1 << 3) + varint(8) + field(8, opset) + field(7, graph)


def cases(root):
    """(class, name, model bytes or a callable writing the file, extra args, words)."""
    x4 = [vi("x", [4])]
    y = [vi("y", None)]
    ok = add_model()
    big = 1 << 40
    out = []

    def case(cls, name, data, words, args=()):
        out.append((cls, name, data, list(args), words))

    # --- Files that are not (whole) ONNX models.
    case("truncated protobuf", "truncated", ok[: len(ok) * 3 // 5],
         ["not a valid ONNX model"])
    case("truncated protobuf", "truncated-varint", b"\x0a\xff\xff\xff\xff\x0f",
         ["not a valid ONNX model"])
    case("not a protobuf", "png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
         ["not a valid ONNX model"])
    case("not a protobuf", "text", b"this is a text file, not a model\n" * 20,
         ["model.onnx"])
    case("not a protobuf", "empty-file", b"", ["ONNX model has no graph"])
    case("not a protobuf", "directory", lambda p: os.makedirs(p), ["not a regular file"])
    case("not a protobuf", "fifo", lambda p: os.mkfifo(p), ["not a regular file"])
    case("declared size over 2 GB", "length-prefix-3GB",
         b"\x08\x08" + b"\x3a" + varint(3_000_000_000) + b"\x0a\x00",
         ["not a valid ONNX model"])
    case("declared size over 2 GB", "sparse-3GB-file",
         lambda p: open(p, "wb").truncate(3 << 30), ["above the limit of 2147483648 bytes"])
    case("declared size over 2 GB", "tensor-3e9-elements",
         add_model(raw_tensor("w", [3_000_000_000])), ["initializer 'w'", "limit"])
    case("declared size over 2 GB", "graph-input-3e9",
         model_bytes([helper.make_node("Relu", ["x"], ["y"], name="r")],
                     [vi("x", [3_000_000_000])], y), ["graph input 'x'", "limit"])

    # --- Shapes.
    case("negative dimension", "initializer", add_model(raw_tensor("w", [-3])),
         ["initializer 'w'"])
    case("negative dimension", "graph-input",
         model_bytes([helper.make_node("Relu", ["x"], ["y"], name="r")], [vi("x", [-5])], y),
         ["graph input 'x'"])
    case("negative dimension", "reshape-target",
         unary("Reshape", [4], ["s"], [i64("s", [-2, 2])]), ["n_reshape"])
    case("negative dimension", "constant-of-shape",
         model_bytes([helper.make_node("ConstantOfShape", ["s"], ["y"], name="cos")], [], y,
                     [i64("s", [-4])]), ["cos"])
    case("dimension product overflows int64", "initializer",
         add_model(raw_tensor("w", [big, big, big])), ["initializer 'w'"])
    case("dimension product overflows int64", "graph-input",
         model_bytes([helper.make_node("Relu", ["x"], ["y"], name="r")],
                     [vi("x", [big, big, big])], y), ["graph input 'x'"])
    case("dimension product overflows int64", "expand",
         unary("Expand", [1], ["s"], [i64("s", [1 << 62, 4])]), ["n_expand"])
    case("dimension product overflows int64", "constant-of-shape",
         model_bytes([helper.make_node("ConstantOfShape", ["s"], ["y"], name="cos")], [], y,
                     [i64("s", [1 << 31, 1 << 31, 1 << 31])]), ["cos"])
    case("dimension product overflows int64", "tile",
         unary("Tile", [2], ["r"], [i64("r", [1 << 62])]), ["n_tile"])
    case("rank of a million", "initializer", add_model(raw_tensor("w", [1] * 1_000_000)),
         ["initializer 'w'", "rank"])
    case("rank of a million", "graph-input",
         model_bytes([helper.make_node("Relu", ["x"], ["y"], name="r")],
                     [vi("x", [1] * 1_000_000)], y), ["graph input 'x'", "rank"])
    case("rank of a million", "reshape",
         unary("Reshape", [1], ["s"], [i64("s", [1] * 1_000_000)]), ["n_reshape", "rank"])
    case("rank of a million", "unsqueeze",
         unary("Unsqueeze", [1], ["a"], [i64("a", list(range(100_000)))]), ["n_unsqueeze"])

    # --- Graph structure.
    case("missing initializer or input", "node-input",
         model_bytes([helper.make_node("Add", ["x", "w"], ["y"], name="add")], x4, y),
         ["'w'", "add"])
    case("missing initializer or input", "graph-output",
         model_bytes([helper.make_node("Relu", ["x"], ["y"], name="r")], x4, [vi("z", [4])]),
         ["graph output 'z'"])
    case("missing initializer or input", "required-input-absent",
         model_bytes([helper.make_node("Gemm", ["x"], ["y"], name="gemm")], [vi("x", [2, 2])],
                     y), ["gemm"])
    case("missing initializer or input", "gather-without-indices",
         model_bytes([helper.make_node("Gather", ["x"], ["y"], name="gather")], x4, y),
         ["gather"])
    case("duplicate value names", "node-outputs",
         model_bytes([helper.make_node("Relu", ["x"], ["y"], name="r1"),
                      helper.make_node("Neg", ["x"], ["y"], name="r2")], x4, y),
         ["'y'", "r2", "duplicate"])
    case("duplicate value names", "initializers",
         add_model(inits=[f32("w", [5, 6, 7, 8])]), ["initializer 'w'", "twice"])
    case("duplicate value names", "graph-inputs",
         model_bytes([helper.make_node("Relu", ["x"], ["y"], name="r")], x4 + x4, y),
         ["graph input 'x'", "twice"])
    case("duplicate value names", "output-shadows-input",
         model_bytes([helper.make_node("Relu", ["x"], ["x"], name="r")], x4, [vi("x", [4])]),
         ["'x'", "r"])
    case("cycle", "two-nodes",
         model_bytes([helper.make_node("Add", ["x", "b"], ["a"], name="n1"),
                      helper.make_node("Relu", ["a"], ["b"], name="n2")], x4,
                     [vi("b", [4])]), ["n1", "'b'"])
    case("cycle", "self-loop",
         model_bytes([helper.make_node("Add", ["x", "a"], ["a"], name="self")], x4,
                     [vi("a", [4])]), ["self", "'a'"])
    case("empty graph", "no-nodes-no-outputs", model_bytes([], [], []), ["no outputs"])
    case("empty graph", "no-nodes-dangling-output", model_bytes([], [], [vi("y", [1])]),
         ["graph output 'y'"])
    case("empty graph", "node-without-outputs",
         model_bytes([helper.make_node("Relu", ["x"], [], name="noout"),
                      helper.make_node("Relu", ["x"], ["y"], name="r")], x4, y), ["noout"])

    # --- Attributes.
    case("missing required attribute", "cast-to",
         unary("Cast", [4]), ["n_cast", "'to'"])
    case("missing required attribute", "depth-to-space-blocksize",
         unary("DepthToSpace", [1, 4, 2, 2]), ["n_depthtospace", "blocksize"])
    case("missing required attribute", "constant-value",
         model_bytes([helper.make_node("Constant", [], ["y"], name="c")], [], y), ["'c'"])
    case("attribute of the wrong type", "cast-to-string",
         with_attr("Cast", [4], helper.make_attribute("to", "FLOAT")), ["n_cast", "'to'"])
    case("attribute of the wrong type", "conv-strides-floats",
         model_bytes([helper.make_node("Conv", ["x", "w"], ["y"], name="conv",
                                       strides=[1.5, 1.5])],
                     [vi("x", [1, 1, 4, 4])], y, [f32("w", np.ones((1, 1, 3, 3)))]),
         ["conv", "strides"])
    case("attribute of the wrong type", "softmax-axis-tensor",
         with_attr("Softmax", [4], helper.make_attribute("axis", i64("a", [0]))),
         ["n_softmax", "axis"])
    case("attribute of the wrong type", "leaky-alpha-graph",
         with_attr("LeakyRelu", [4], helper.make_attribute(
             "alpha", helper.make_graph([], "sub", [], []))), ["n_leakyrelu", "alpha"])
    case("unknown domain or opset", "custom-domain",
         model_bytes([helper.make_node("Evil", ["x"], ["y"], name="evil", domain="com.evil")],
                     x4, y, opsets=[helper.make_opsetid("", 13),
                                    helper.make_opsetid("com.evil", 1)]),
         ["evil", "com.evil"])
    case("unknown domain or opset", "opset-99", add_model(opset=99), ["opset 99"])
    case("unknown domain or opset", "negative-opset", add_model(opset=-7), ["opset -7"])
    case("unknown domain or opset", "no-default-opset",
         add_model(opsets=[helper.make_opsetid("com.microsoft", 1)]), ["add", "opset"])
    case("unknown domain or opset", "unknown-op",
         model_bytes([helper.make_node("NoSuchOp", ["x"], ["y"], name="mystery")], x4, y),
         ["NoSuchOp", "mystery"])

    # --- Tensor data.
    case("raw_data size mismatch", "short", add_model(raw_tensor("w", [4], b"\0" * 8)),
         ["initializer 'w'", "8 bytes"])
    case("raw_data size mismatch", "long", add_model(raw_tensor("w", [4], b"\0" * 20)),
         ["initializer 'w'"])
    case("raw_data size mismatch", "typed-field-count",
         add_model(helper.make_tensor("w", TensorProto.FLOAT, [4], [1.0, 2.0])),
         ["initializer 'w'"])
    case("raw_data size mismatch", "unknown-data-type",
         add_model(raw_tensor("w", [4], b"\0" * 16, dtype=999)), ["'w'"])
    case("raw_data size mismatch", "string-tensor",
         add_model(helper.make_tensor("w", TensorProto.STRING, [4], [b"a", b"b", b"c", b"d"])),
         ["'w'"])
    case("tensor larger than the limit", "initializer",
         add_model(f32("w", np.zeros(4096)), x_shape=(1,)),
         ["initializer 'w'", "1000"], ["--max-tensor-bytes=1000"])
    case("tensor larger than the limit", "computed-constant",
         model_bytes([helper.make_node("ConstantOfShape", ["s"], ["y"], name="cos")], [], y,
                     [i64("s", [1 << 20])]), ["cos", "1000"], ["--max-tensor-bytes=1000"])
    case("tensor larger than the limit", "model-file", ok, ["above the limit of 10 bytes"],
         ["--max-model-bytes=10"])

    # --- External data.
    case("external data", "dotdot", external("../secret/w.bin"), ["'w'", "leaves the model's"])
    case("external data", "dotdot-inside-path", external("sub/../../secret/w.bin"),
         ["'w'", "leaves the model's"])
    case("external data", "absolute", external(os.path.join(root, "secret", "w.bin")),
         ["'w'", "relative path"])
    case("external data", "symlink-file", external("link.bin"), ["'w'", "outside"])
    case("external data", "symlink-directory", external("linkdir/w.bin"), ["'w'", "outside"])
    case("external data", "hardlink", external("hard.bin"), ["'w'", "hard links"])
    case("external data", "offset-past-end", external("w.bin", offset=64), ["'w'", "offset"])
    case("external data", "length-past-end", external("w.bin", offset=8, length=16),
         ["'w'", "outside"])
    case("external data", "huge-offset", external("w.bin", offset=1 << 62, length=16),
         ["'w'"])
    case("external data", "negative-length", external("w.bin", length=-16), ["'w'"])
    case("external data", "missing-file", external("nope.bin"), ["'w'", "nope.bin"])
    case("external data", "fifo", external("fifo.bin"), ["'w'", "regular file"])
    case("external data", "directory", external("subdir"), ["'w'", "regular file"])
    case("external data", "nul-in-location", external("w.bin\0../../secret/w.bin"), ["'w'"])
    case("external data", "proc", external("../../../../../../proc/self/environ"),
         ["'w'", "leaves the model's"])

    # --- Command-line shapes that contradict the model.
    case("input shapes contradicting the model", "rank", ok, ["x=2x3", "rank"],
         ["--input-shape", "x=2x3"])
    case("input shapes contradicting the model", "static-dim", ok, ["x=5", "dimension 0"],
         ["--input-shape", "x=5"])
    case("input shapes contradicting the model", "no-such-input", ok, ["'nope'"],
         ["--input-shape", "nope=2"])
    case("input shapes contradicting the model", "not-a-shape", ok, ["x=abc"],
         ["--input-shape", "x=abc"])

    # --- Hostile attribute values and op-level traps (crash classes reported
    # against ONNX importers: zero strides, out-of-range axes and indices,
    # endless ranges, recursion).
    conv_in = [vi("x", [1, 1, 4, 4])]
    wconv = [f32("w", np.ones((1, 1, 3, 3)))]
    for name, attrs in [("stride-zero", dict(strides=[0, 0])),
                        ("dilation-zero", dict(dilations=[0, 0])),
                        ("group-zero", dict(group=0)),
                        ("pads-huge", dict(pads=[1 << 62, 0, 1 << 62, 0])),
                        ("pads-negative", dict(pads=[-9, -9, -9, -9])),
                        ("kernel-shape-mismatch", dict(kernel_shape=[7, 7]))]:
        case("hostile attribute values", "conv-" + name,
             model_bytes([helper.make_node("Conv", ["x", "w"], ["y"], name="conv", **attrs)],
                         conv_in, y, wconv), ["conv"])
    case("hostile attribute values", "maxpool-kernel-zero",
         unary("MaxPool", [1, 1, 4, 4], kernel_shape=[0, 0]), ["n_maxpool"])
    case("hostile attribute values", "avgpool-stride-zero",
         unary("AveragePool", [1, 1, 4, 4], kernel_shape=[2, 2], strides=[0, 0]),
         ["n_averagepool"])
    case("hostile attribute values", "softmax-axis", unary("Softmax", [4], axis=1 << 40),
         ["n_softmax", "axis"])
    case("hostile attribute values", "concat-axis",
         model_bytes([helper.make_node("Concat", ["x", "x"], ["y"], name="cat", axis=-99)], x4,
                     y), ["cat"])
    case("hostile attribute values", "transpose-perm",
         unary("Transpose", [2, 2], perm=[0, 0]), ["n_transpose"])
    case("hostile attribute values", "transpose-perm-range",
         unary("Transpose", [2, 2], perm=[0, 1 << 40]), ["n_transpose"])
    case("hostile attribute values", "gather-index",
         unary("Gather", [4], ["i"], [i64("i", [1 << 40])]), ["n_gather"])
    case("hostile attribute values", "gather-constant-index",
         model_bytes([helper.make_node("Gather", ["d", "i"], ["y"], name="g")], [], y,
                     [f32("d", [1, 2, 3]), i64("i", [-(1 << 62)])]), ["'g'"])
    case("hostile attribute values", "range-delta-zero",
         model_bytes([helper.make_node("Range", ["a", "b", "d"], ["y"], name="range")], [], y,
                     [i64("a", 0, []), i64("b", 10, []), i64("d", 0, [])]), ["range"])
    case("hostile attribute values", "range-huge",
         model_bytes([helper.make_node("Range", ["a", "b", "d"], ["y"], name="range")], [], y,
                     [i64("a", -(1 << 62), []), i64("b", 1 << 62, []), i64("d", 1, [])]),
         ["range"])
    case("hostile attribute values", "slice-step-zero",
         unary("Slice", [4], ["s", "e", "a", "st"],
               [i64("s", [0]), i64("e", [4]), i64("a", [0]), i64("st", [0])]), ["n_slice"])
    case("hostile attribute values", "split-sizes",
         model_bytes([helper.make_node("Split", ["x", "s"], ["a", "b"], name="split")], x4,
                     [vi("a", None), vi("b", None)], [i64("s", [3, 3])]), ["split"])
    case("hostile attribute values", "resize-scale-huge",
         unary("Resize", [1, 1, 2, 2], ["", "sc"], [f32("sc", [1, 1, 1e30, 1e30])]),
         ["n_resize"])
    case("hostile attribute values", "resize-scale-nan",
         unary("Resize", [1, 1, 2, 2], ["", "sc"], [f32("sc", [1, 1, float("nan"), 1])]),
         ["n_resize"])
    case("hostile attribute values", "pad-huge",
         unary("Pad", [4], ["p"], [i64("p", [1 << 40, 1 << 40])]), ["n_pad"])
    case("hostile attribute values", "topk-k",
         unary("TopK", [4], ["k"], [i64("k", [1 << 40])]), ["n_topk"])
    case("hostile attribute values", "depth-to-space-wrap",
         unary("DepthToSpace", [1, 4, 2, 2], blocksize=1 << 32), ["n_depthtospace"])
    case("hostile attribute values", "onehot-depth",
         model_bytes([helper.make_node("OneHot", ["i", "d", "v"], ["y"], name="onehot")],
                     [vi("i", [1], TensorProto.INT64)], y,
                     [i64("d", 2147483647, []), f32("v", [0, 1])]), ["onehot"],
         ["--max-tensor-bytes=1000000"])
    case("hostile attribute values", "reshape-two-minus-one",
         unary("Reshape", [4], ["s"], [i64("s", [-1, -1])]), ["n_reshape"])
    case("hostile attribute values", "quantize-zero-scale",
         unary("QuantizeLinear", [4], ["s"], [f32("s", 0.0, [])],
               out_dtype=TensorProto.UINT8), ["n_quantizelinear"])
    case("hostile attribute values", "quantize-axis",
         unary("QuantizeLinear", [2, 2], ["s"], [f32("s", [1, 1, 1])], axis=7,
               out_dtype=TensorProto.UINT8), ["n_quantizelinear"])
    case("hostile attribute values", "cast-to-undefined",
         unary("Cast", [4], to=12345), ["n_cast"])
    case("hostile attribute values", "sequence-input",
         model_bytes([helper.make_node("Identity", ["s"], ["y"], name="id")],
                     [helper.make_tensor_sequence_value_info("s", TensorProto.FLOAT, [4])], y),
         ["'s'"])
    case("hostile attribute values", "if-subgraph", nested_if(2), ["if1"])
    case("hostile attribute values", "deep-recursion", nested_if(200),
         ["not a valid ONNX model"])
    case("hostile attribute values", "sparse-initializer",
         _sparse_model(), ["sparse"])
    case("hostile attribute values", "many-inputs",
         model_bytes([helper.make_node("Concat", ["x"] * 100_000, ["y"], name="cat", axis=0)],
                     x4, y), ["cat"], ["--max-tensor-bytes=100000"])
    return out


def _sparse_model():
    values = helper.make_tensor("v", TensorProto.FLOAT, [1], [1.0])
    idx = helper.make_tensor("i", TensorProto.INT64, [1], [0])
    sparse = helper.make_sparse_tensor(values, idx, [4])
    graph = helper.make_graph([helper.make_node("Add", ["x", "v"], ["y"], name="add")], "g",
                              [vi("x", [4])], [vi("y", None)], sparse_initializer=[sparse])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    return m.SerializeToString()


def write_fixtures(root):
    secret = os.path.join(root, "secret")
    os.makedirs(secret, exist_ok=True)
    with open(os.path.join(secret, "w.bin"), "wb") as f:
        f.write(SECRET[:16])
    return secret


def prepare_case_dir(root, name, secret):
    d = os.path.join(root, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "w.bin"), "wb") as f:
        f.write(np.array([1, 2, 3, 4], np.float32).tobytes())
    for n in ("link.bin", "hard.bin", "linkdir", "fifo.bin"):
        p = os.path.join(d, n)
        if os.path.lexists(p):
            os.remove(p)
    os.symlink(os.path.join(secret, "w.bin"), os.path.join(d, "link.bin"))
    os.symlink(secret, os.path.join(d, "linkdir"))
    os.link(os.path.join(secret, "w.bin"), os.path.join(d, "hard.bin"))
    os.mkfifo(os.path.join(d, "fifo.bin"))
    os.makedirs(os.path.join(d, "subdir"), exist_ok=True)
    return d


BAD_WORDS = ["Sanitizer", "runtime error:", "Stack dump", "PLEASE submit", "Assertion",
             "LLVM ERROR", "terminate called", "Segmentation fault"]


def run_case(tool, model, args, words, secret_text, timeout):
    tool_name = os.path.basename(tool[0])
    cmd = tool + [model] + args
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"{tool_name}: no answer within {timeout} s (hang)", ""
    err = p.stderr.decode("utf-8", "replace")
    first = next((l for l in err.splitlines() if "error:" in l), err.strip()[:200])
    problems = []
    if p.returncode != 1:
        problems.append(f"exit status {p.returncode}, expected 1")
    if "error:" not in err:
        problems.append("no 'error:' diagnostic")
    for w in BAD_WORDS:
        if w in err:
            problems.append(f"stderr shows '{w}'")
    for w in words:
        if w not in err:
            problems.append(f"message lacks {w!r}")
    if secret_text.encode() in p.stdout or secret_text.encode() in p.stderr:
        problems.append("read data from outside the model's folder")
    if problems:
        return f"{tool_name}: " + "; ".join(problems) + "\n      stderr: " + err[-1500:], first
    return None, first


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("tools_dir")
    ap.add_argument("--only", default="")
    ap.add_argument("--timeout", type=int, default=120)
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    root = os.path.abspath(a.outdir)
    os.makedirs(root, exist_ok=True)
    secret = write_fixtures(root)
    tools = [[os.path.join(a.tools_dir, "qopt-translate"), "--import-onnx"],
             [os.path.join(a.tools_dir, "qopt-compile"), "--precision=fp32", "--emit=mlir",
              "-o", os.devnull]]
    failures = 0
    total = 0
    classes = set()
    for cls, name, data, args, words in cases(root):
        cid = f"{cls.replace(' ', '-')}/{name}"
        if a.only not in cid:
            continue
        classes.add(cls)
        if a.list:
            print(cid)
            continue
        d = prepare_case_dir(root, cid.replace("/", "__"), secret)
        model = os.path.join(d, "model.onnx")
        if os.path.lexists(model):
            if os.path.isdir(model):
                os.rmdir(model)
            else:
                os.remove(model)
        if callable(data):
            data(model)
        else:
            with open(model, "wb") as f:
                f.write(data)
        for tool in tools:
            total += 1
            problem, first = run_case(tool, model, args, words, SECRET.decode()[:16], a.timeout)
            if problem:
                failures += 1
                print(f"FAIL {cid}\n      {problem}")
            else:
                print(f"ok   {cid:70s} {os.path.basename(tool[0]):15s} "
                      f"{first.split('error:', 1)[-1].strip()[:110]}")
        if os.path.exists(model) and os.path.getsize(model) > (1 << 30):
            os.remove(model)  # the sparse 3 GB file: keep the disk clean
    if a.list:
        return 0
    print(f"\n{total - failures} of {total} runs refused cleanly "
          f"({len(classes)} classes); {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
