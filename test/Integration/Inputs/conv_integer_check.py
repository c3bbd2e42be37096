"""ConvInteger with a run-time input zero point, against onnxruntime.

usage: conv_integer_check.py BIN_DIR WORK_DIR

Two kinds of model:
- a single ConvInteger node whose x_zero_point is a graph input: the int32
  result must equal, bit for bit, ONNX's definition computed with numpy and
  (where onnxruntime has a kernel: per-tensor weight zero points) onnxruntime;
- a small float CNN put through onnxruntime's quantize_dynamic
  (DynamicQuantizeLinear -> ConvInteger -> Cast -> Mul), per tensor and per
  channel: QOpt must compute what onnxruntime computes (same integers, same
  float steps), checked to 1e-6 relative.
Each runs on the reference and on the GPU lowering compiled for this CPU, in
NCHW and NHWC. Prints one line per case: "<case>: ok ..." or "... MISMATCH".
"""

import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

ENGINES = [("reference", None), ("linalg-cpu", "nchw"), ("linalg-cpu", "nhwc")]

# name, x shape, w shape, attributes, x dtype, w dtype, per-channel w zero point
NODE_CASES = [
    ("3x3 pads 1", (2, 3, 9, 8), (4, 3, 3, 3), {"pads": [1, 1, 1, 1]}, np.uint8, np.uint8, True),
    ("asymmetric pads, stride 2", (1, 4, 7, 10), (5, 4, 3, 2),
     {"pads": [0, 2, 1, 0], "strides": [2, 2]}, np.uint8, np.uint8, False),
    ("SAME_UPPER, dilation 2", (1, 3, 8, 8), (2, 3, 3, 3),
     {"auto_pad": "SAME_UPPER", "dilations": [2, 2]}, np.uint8, np.uint8, True),
    ("depthwise", (1, 6, 6, 6), (6, 1, 3, 3), {"pads": [1, 1, 1, 1], "group": 6},
     np.uint8, np.uint8, True),
    ("grouped, int8 input", (1, 4, 5, 5), (6, 2, 3, 3), {"pads": [2, 2, 2, 2], "group": 2},
     np.int8, np.uint8, False),
    ("1x1 no pads", (2, 5, 4, 4), (3, 5, 1, 1), {}, np.uint8, np.int8, False),
    ("1-D", (1, 3, 11), (4, 3, 5), {"pads": [2, 1]}, np.uint8, np.uint8, True),
]


def onnx_type(dt):
    return {np.uint8: TensorProto.UINT8, np.int8: TensorProto.INT8}[dt]


def run_qopt(bins, model, inputs, work, engine, layout):
    args = []
    for name, arr in inputs.items():
        path = os.path.join(work, name + ".npy")
        np.save(path, arr)
        args += ["--input", f"{name}={path}"]
    out_dir = os.path.join(work, f"{engine}-{layout}")
    cmd = [f"{bins}/qopt-ref", model, "--engine", engine, *args, "--output-dir", out_dir]
    if layout:
        cmd += ["--layout", layout]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr
    return np.load(os.path.join(out_dir, "y.npy")), ""


def worst_over_engines(bins, model, x, work, want, label):
    """(every engine ran, worst relative error against `want`) for input x."""
    worst = 0.0
    for engine, layout in ENGINES:
        got, err = run_qopt(bins, model, {"x": x}, work, engine, layout)
        if got is None:
            print(f"{label}: {engine} {layout} FAILED\n{err}")
            return False, worst
        worst = max(worst, float(np.max(np.abs(got - want)) / np.max(np.abs(want))))
    return True, worst


def conv_integer(x, w, xz, wz, attrs):
    """ONNX ConvInteger in int64 numpy: centered operands, zero padding."""
    spatial = x.ndim - 2
    strides = attrs.get("strides", [1] * spatial)
    dil = attrs.get("dilations", [1] * spatial)
    group = attrs.get("group", 1)
    pads = list(attrs.get("pads", [0] * 2 * spatial))
    if attrs.get("auto_pad") == "SAME_UPPER":
        for i in range(spatial):
            out = -(-x.shape[2 + i] // strides[i])
            total = max(0, (out - 1) * strides[i] + (w.shape[2 + i] - 1) * dil[i] + 1
                        - x.shape[2 + i])
            pads[i], pads[spatial + i] = total // 2, total - total // 2
    xc = x.astype(np.int64) - int(xz)
    wzb = np.asarray(wz, dtype=np.int64).reshape((-1,) + (1,) * (w.ndim - 1))
    wc = w.astype(np.int64) - wzb
    xc = np.pad(xc, [(0, 0), (0, 0)] + [(pads[i], pads[spatial + i]) for i in range(spatial)])
    outs = [(xc.shape[2 + i] - (w.shape[2 + i] - 1) * dil[i] - 1) // strides[i] + 1
            for i in range(spatial)]
    m, cg = w.shape[0], w.shape[1]
    y = np.zeros((x.shape[0], m, *outs), dtype=np.int64)
    for o in range(m):
        g = o // (m // group)
        for pos in np.ndindex(*outs):
            sl = tuple(slice(pos[i] * strides[i],
                             pos[i] * strides[i] + (w.shape[2 + i] - 1) * dil[i] + 1, dil[i])
                       for i in range(spatial))
            patch = xc[(slice(None), slice(g * cg, (g + 1) * cg)) + sl]
            y[(slice(None), o) + pos] = np.sum(patch * wc[o], axis=tuple(range(1, patch.ndim)))
    return y.astype(np.int32)


def node_model(xs, ws, attrs, xdt, wdt, per_channel, rng):
    lo, hi = (0, 256) if wdt == np.uint8 else (-128, 128)
    w = rng.integers(lo, hi, ws).astype(wdt)
    wz = rng.integers(lo, hi, (ws[0],) if per_channel else ()).astype(wdt)
    node = helper.make_node("ConvInteger", ["x", "w", "xz", "wz"], ["y"], **attrs)
    graph = helper.make_graph(
        [node], "conv_integer",
        [helper.make_tensor_value_info("x", onnx_type(xdt), xs),
         helper.make_tensor_value_info("xz", onnx_type(xdt), [])],
        [helper.make_tensor_value_info("y", TensorProto.INT32, None)],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(wz, "wz")])
    return (helper.make_model(graph, ir_version=8, opset_imports=[helper.make_opsetid("", 13)]),
            w, wz)


def float_cnn(rng):
    """conv 3x3 pad 1 -> relu -> depthwise 3x3 stride 2 -> conv 1x1 -> global pool."""
    def w(shape):
        return numpy_helper.from_array(
            (rng.standard_normal(shape) * 0.3).astype(np.float32), f"w{len(inits)}")
    inits = []
    inits.append(w((8, 3, 3, 3)))
    inits.append(numpy_helper.from_array(rng.standard_normal(8).astype(np.float32), "b0"))
    inits.append(w((8, 1, 3, 3)))
    inits.append(w((6, 8, 1, 1)))
    nodes = [
        helper.make_node("Conv", ["x", "w0", "b0"], ["c0"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c0"], ["r0"]),
        helper.make_node("Conv", ["r0", "w2"], ["c1"], pads=[1, 1, 1, 1], strides=[2, 2],
                         group=8),
        helper.make_node("Conv", ["c1", "w3"], ["c2"]),
        helper.make_node("GlobalAveragePool", ["c2"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes, "cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 12, 12])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 6, 1, 1])], inits)
    return helper.make_model(graph, ir_version=8, opset_imports=[helper.make_opsetid("", 13)])


def main() -> int:
    bins, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(11)
    failed = 0

    for k, (name, xs, ws, attrs, xdt, wdt, per_channel) in enumerate(NODE_CASES):
        d = os.path.join(work, f"node{k}")
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, "m.onnx")
        model, w, wz = node_model(xs, ws, attrs, xdt, wdt, per_channel, rng)
        onnx.save(model, path)
        lo, hi = (0, 256) if xdt == np.uint8 else (-128, 128)
        inputs = {"x": rng.integers(lo, hi, xs).astype(xdt),
                  "xz": np.array(rng.integers(lo, hi), dtype=xdt)}
        want = conv_integer(inputs["x"], w, inputs["xz"], wz, attrs)
        oracle = "numpy"
        ok = True
        if not per_channel and xdt == np.uint8 and wdt == np.uint8:
            sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
            if not np.array_equal(sess.run(None, inputs)[0], want):
                print(f"{name}: onnxruntime and numpy disagree: MISMATCH")
                ok = False
            oracle = "numpy and onnxruntime"
        for engine, layout in ENGINES:
            got, err = run_qopt(bins, path, inputs, d, engine, layout)
            if got is None:
                print(f"{name}: {engine} {layout} FAILED\n{err}")
                ok = False
                break
            if got.dtype != want.dtype or not np.array_equal(got, want):
                print(f"{name}: {engine} {layout} differs from {oracle}: MISMATCH")
                ok = False
        failed += not ok
        if ok:
            print(f"{name}: ok (int32 equal to {oracle}, {want.size} values)")

    from onnxruntime.quantization import QuantType, quantize_dynamic
    fmodel = float_cnn(rng)
    fpath = os.path.join(work, "cnn.onnx")
    onnx.save(fmodel, fpath)
    x = rng.standard_normal((2, 3, 12, 12)).astype(np.float32)
    for per_channel in (False, True):
        label = f"quantize_dynamic per_channel={per_channel}"
        d = os.path.join(work, f"dyn{int(per_channel)}")
        os.makedirs(d, exist_ok=True)
        qpath = os.path.join(d, "m.onnx")
        quantize_dynamic(fpath, qpath, per_channel=per_channel, weight_type=QuantType.QUInt8)
        ops = {n.op_type for n in onnx.load(qpath).graph.node}
        if "ConvInteger" not in ops:
            print(f"{label}: onnxruntime made no ConvInteger ({sorted(ops)}): MISMATCH")
            failed += 1
            continue
        want = ort.InferenceSession(qpath, providers=["CPUExecutionProvider"]).run(
            None, {"x": x})[0]
        ok, worst = worst_over_engines(bins, qpath, x, d, want, label)
        ok = ok and worst <= 1e-6
        failed += not ok
        print(f"{label}: {'ok' if ok else 'MISMATCH'} (max rel error {worst:.1e})")

    # MatMulInteger with A's run-time zero point: quantize_dynamic on an MLP
    # (int8 weights, onnxruntime's default for MatMul). Its products must be
    # tensor-core kernels once compiled.
    w1 = numpy_helper.from_array((rng.standard_normal((64, 96)) * 0.2).astype(np.float32), "w1")
    b1 = numpy_helper.from_array(rng.standard_normal(96).astype(np.float32), "b1")
    w2 = numpy_helper.from_array((rng.standard_normal((96, 48)) * 0.2).astype(np.float32), "w2")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w1"], ["h"]), helper.make_node("Add", ["h", "b1"], ["a"]),
         helper.make_node("Relu", ["a"], ["r"]), helper.make_node("MatMul", ["r", "w2"], ["y"])],
        "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 40, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 40, 48])], [w1, b1, w2])
    mpath = os.path.join(work, "mlp.onnx")
    onnx.save(helper.make_model(graph, ir_version=8, opset_imports=[helper.make_opsetid("", 13)]),
              mpath)
    d = os.path.join(work, "mlp")
    os.makedirs(d, exist_ok=True)
    qpath = os.path.join(d, "m.onnx")
    quantize_dynamic(mpath, qpath)
    x = rng.standard_normal((2, 40, 64)).astype(np.float32)
    want = ort.InferenceSession(qpath, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    ok, worst = worst_over_engines(bins, qpath, x, d, want, "quantize_dynamic MLP")
    mlir = os.path.join(d, "m.mlir")
    r = subprocess.run([f"{bins}/qopt-compile", qpath, "--precision", "int8", "--emit", "mlir",
                        "-o", mlir], capture_output=True, text=True)
    r = subprocess.run([f"{bins}/qopt", mlir, "--pass-pipeline",
                        "builtin.module(func.func(qopt-lower-to-linalg{tensor-cores}))",
                        "-o", os.devnull], capture_output=True, text=True)
    tc = r.stderr.count("remark: tensor-core kernel")
    np.save(os.path.join(d, "x.npy"), x)
    tiles = {}
    for engine in ("reference", "tensor-core-cpu"):
        r = subprocess.run([f"{bins}/qopt-ref", mlir, "--engine", engine, "--input",
                            f"x={os.path.join(d, 'x.npy')}", "--output-dir",
                            os.path.join(d, "tc-" + engine)], capture_output=True, text=True)
        tiles[engine] = np.load(os.path.join(d, "tc-" + engine, "y.npy")) if r.returncode == 0 else None
    exact = all(v is not None for v in tiles.values()) and np.array_equal(
        tiles["reference"].view(np.uint32), tiles["tensor-core-cpu"].view(np.uint32))
    ok = ok and worst <= 1e-6 and tc == 2 and exact
    failed += not ok
    print(f"quantize_dynamic MLP: {'ok' if ok else 'MISMATCH'} (max rel error {worst:.1e}, "
          f"{tc} tensor-core kernels, tiles on the CPU {'bit-exact' if exact else 'DIFFER'})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
