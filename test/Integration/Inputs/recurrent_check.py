"""LSTM, GRU and RNN through qopt-ref (and the GPU lowering on the CPU) against onnxruntime.

usage: recurrent_check.py BIN_DIR WORK_DIR
Prints one line per case: "<case>: ok (max rel error E)" or "... MISMATCH".
       recurrent_check.py --crnn WORK_DIR
Writes a CRNN-style model with an LSTM, an input and calibration samples there.
"""

import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

SEQ, BATCH, INPUT, HIDDEN = 5, 2, 3, 4

# name, op, attributes, extra inputs (B, sequence_lens, initial_h, initial_c, P), layout
CASES = [
    ("lstm-forward", "LSTM", {}, ["B"], 0),
    ("lstm-bidirectional-states-peepholes-clip", "LSTM",
     {"direction": "bidirectional", "clip": 0.8}, ["B", "sequence_lens", "initial_h", "initial_c", "P"], 0),
    ("lstm-reverse-layout1", "LSTM", {"direction": "reverse"}, ["B", "initial_h"], 1),
    ("lstm-activations", "LSTM",
     {"activations": ["HardSigmoid", "ScaledTanh", "Tanh"], "activation_alpha": [0.25, 1.5],
      "activation_beta": [0.4, 0.8]}, ["B"], 0),
    ("lstm-no-bias", "LSTM", {}, [], 0),
    ("gru-forward", "GRU", {}, ["B", "initial_h"], 0),
    ("gru-linear-before-reset-bidirectional", "GRU",
     {"direction": "bidirectional", "linear_before_reset": 1}, ["B"], 0),
    ("gru-no-state-no-bias", "GRU", {}, [], 0),
    ("rnn-bidirectional", "RNN", {"direction": "bidirectional"}, ["B", "initial_h"], 0),
    ("rnn-relu-layout1", "RNN", {"activations": ["Relu"]}, ["B"], 1),
]


def parameters(op, attrs, extras, rng):
    """The layer's tensors in layout-0 shapes, by input slot."""
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[op]
    dirs = 2 if attrs.get("direction") == "bidirectional" else 1
    shapes = {"W": (dirs, gates * HIDDEN, INPUT), "R": (dirs, gates * HIDDEN, HIDDEN),
              "B": (dirs, 2 * gates * HIDDEN), "initial_h": (dirs, BATCH, HIDDEN),
              "initial_c": (dirs, BATCH, HIDDEN), "P": (dirs, 3 * HIDDEN)}
    p = {}
    for slot in ["W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P"]:
        if slot in ("W", "R") or slot in extras:
            p[slot] = (np.full((BATCH,), SEQ, np.int32) if slot == "sequence_lens" else
                       (rng.standard_normal(shapes[slot]) * 0.5).astype(np.float32))
    return p, dirs


def build(op, attrs, params, dirs, layout):
    """The model with the given layout (onnxruntime runs only layout 0)."""
    inits, names = [], ["X"]
    for slot in ["W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P"]:
        if slot not in params:
            names.append("")
            continue
        names.append(slot)
        v = params[slot]
        if layout and slot in ("initial_h", "initial_c"):
            v = np.ascontiguousarray(v.transpose(1, 0, 2))
        inits.append(numpy_helper.from_array(v, slot))
    while names[-1] == "":
        names.pop()
    x_shape = (BATCH, SEQ, INPUT) if layout else (SEQ, BATCH, INPUT)
    outs = ["Y", "Y_h"] + (["Y_c"] if op == "LSTM" else [])
    node = helper.make_node(op, names, outs, hidden_size=HIDDEN, **dict(attrs, layout=layout))
    y_shape = (BATCH, SEQ, dirs, HIDDEN) if layout else (SEQ, dirs, BATCH, HIDDEN)
    h_shape = (BATCH, dirs, HIDDEN) if layout else (dirs, BATCH, HIDDEN)
    outputs = [helper.make_tensor_value_info("Y", TensorProto.FLOAT, y_shape)] + [
        helper.make_tensor_value_info(o, TensorProto.FLOAT, h_shape) for o in outs[1:]]
    graph = helper.make_graph([node], op.lower(),
                              [helper.make_tensor_value_info("X", TensorProto.FLOAT, x_shape)],
                              outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 8
    return model, outs


def crnn(work: str) -> int:
    """A CRNN-style recognizer (conv, then a bidirectional LSTM over the width, then a
    per-step classifier) with random weights, an input and 8 calibration samples."""
    rng = np.random.default_rng(3)

    def w(name, shape, scale):
        return numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name)

    h, feat, classes = 16, 8 * 4, 12
    nodes = [
        helper.make_node("Conv", ["x", "cw", "cb"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
        # [1, 8, 4, 12] -> [12 steps, 1, 32 features]
        helper.make_node("Transpose", ["p"], ["t"], perm=[3, 0, 1, 2]),
        helper.make_node("Reshape", ["t", "seq_shape"], ["s"]),
        helper.make_node("LSTM", ["s", "W", "R", "B"], ["y"], hidden_size=h, direction="bidirectional"),
        helper.make_node("Reshape", ["y", "flat_shape"], ["f"]),
        helper.make_node("MatMul", ["f", "fc"], ["logits"]),
    ]
    inits = [w("cw", (8, 1, 3, 3), 0.5), w("cb", (8,), 0.1),
             numpy_helper.from_array(np.array([12, 1, feat], np.int64), "seq_shape"),
             w("W", (2, 4 * h, feat), 0.2), w("R", (2, 4 * h, h), 0.2), w("B", (2, 8 * h), 0.1),
             numpy_helper.from_array(np.array([12, 2 * h], np.int64), "flat_shape"),
             w("fc", (2 * h, classes), 0.3)]
    graph = helper.make_graph(
        nodes, "crnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, (1, 1, 8, 24))],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, (12, classes))], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 8
    os.makedirs(os.path.join(work, "calib"), exist_ok=True)
    onnx.save(model, os.path.join(work, "crnn.onnx"))
    for i in range(8):
        np.save(os.path.join(work, "calib", f"{i}.npy"), rng.standard_normal((1, 1, 8, 24)).astype(np.float32))
    np.save(os.path.join(work, "x.npy"), rng.standard_normal((1, 1, 8, 24)).astype(np.float32))
    return 0


def main() -> int:
    if sys.argv[1] == "--crnn":
        return crnn(sys.argv[2])
    bins, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(11)
    failed = 0
    for name, op, attrs, extras, layout in CASES:
        params, dirs = parameters(op, attrs, extras, rng)
        d = os.path.join(work, name)
        os.makedirs(d, exist_ok=True)
        model, outs = build(op, attrs, params, dirs, layout)
        path = os.path.join(d, "m.onnx")
        onnx.save(model, path)
        x0 = rng.standard_normal((SEQ, BATCH, INPUT)).astype(np.float32)
        x = np.ascontiguousarray(x0.transpose(1, 0, 2)) if layout else x0
        np.save(os.path.join(d, "x.npy"), x)
        ort_path = os.path.join(d, "layout0.onnx")
        onnx.save(build(op, attrs, params, dirs, 0)[0], ort_path)
        sess = ort.InferenceSession(ort_path, providers=["CPUExecutionProvider"])
        want = dict(zip(outs, sess.run(outs, {"X": x0})))
        if layout:
            want = {o: np.ascontiguousarray(v.transpose(2, 0, 1, 3) if o == "Y" else v.transpose(1, 0, 2))
                    for o, v in want.items()}
        worst = 0.0
        ok = True
        for engine in ("reference", "linalg-cpu"):
            out_dir = os.path.join(d, engine)
            r = subprocess.run([f"{bins}/qopt-ref", path, "--engine", engine, "--input",
                                f"X={os.path.join(d, 'x.npy')}", "--output-dir", out_dir],
                               capture_output=True, text=True)
            if r.returncode != 0:
                print(f"{name}: {engine} FAILED\n{r.stderr}")
                ok = False
                break
            for o in outs:
                got = np.load(os.path.join(out_dir, o + ".npy"))
                if got.shape != want[o].shape:
                    print(f"{name}: {engine} {o} shape {got.shape}, onnxruntime {want[o].shape}")
                    ok = False
                    continue
                scale = max(float(np.max(np.abs(want[o]))), 1e-6)
                worst = max(worst, float(np.max(np.abs(got - want[o]))) / scale)
        ok = ok and worst <= 1e-5
        failed += not ok
        print(f"{name}: {'ok' if ok else 'MISMATCH'} (max rel error {worst:.1e})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
