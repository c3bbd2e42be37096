"""MaxPool's Indices output and MaxUnpool through qopt-ref against onnxruntime.

usage: unpool_check.py BIN_DIR WORK_DIR
Each case is a small model run on the reference and on the GPU lowering compiled for this CPU
(NCHW and NHWC activations); every output must equal onnxruntime's exactly. Prints one line
per case: "<name>: ok" or "<name>: MISMATCH ..." / "<name>: FAILED" with qopt-ref's stderr.
"""

import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper


def pool_model(shape, attrs, unpool=None, scale=False, out_shape=None):
    """MaxPool with both outputs; with `unpool`, the values (times 3 when scale, as a
    decoder would change them) go back through MaxUnpool at the indices."""
    nodes = [helper.make_node("MaxPool", ["x"], ["y", "i"], **attrs)]
    outputs = ["y", "i"]
    inits = []
    if unpool is not None:
        src = "y"
        if scale:
            inits.append(numpy_helper.from_array(np.array(3.0, np.float32), "three"))
            nodes.append(helper.make_node("Mul", ["y", "three"], ["y3"]))
            src = "y3"
        ins = [src, "i"]
        if out_shape is not None:
            inits.append(numpy_helper.from_array(np.array(out_shape, np.int64), "shape"))
            ins.append("shape")
        nodes.append(helper.make_node("MaxUnpool", ins, ["u"], **unpool))
        outputs.append("u")
    g = helper.make_graph(nodes, "pool", [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
                          [onnx.ValueInfoProto(name=o) for o in outputs], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 12)], ir_version=8), outputs


CASES = [
    # name, input shape, MaxPool attributes, MaxUnpool attributes (None: no unpool), scale, output_shape
    ("pool-2x2", (2, 3, 8, 8), dict(kernel_shape=[2, 2], strides=[2, 2]), None, False, None),
    ("pool-3x3-s2-pad", (1, 2, 9, 7), dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
     None, False, None),
    ("pool-column-major", (1, 2, 6, 5), dict(kernel_shape=[2, 2], strides=[2, 1], storage_order=1),
     None, False, None),
    ("pool-ceil", (1, 2, 7, 7), dict(kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1), None, False,
     None),
    ("pool-dilated", (1, 2, 9, 9), dict(kernel_shape=[2, 2], strides=[1, 1], dilations=[2, 2]),
     None, False, None),
    ("pool-1d", (2, 3, 11), dict(kernel_shape=[3], strides=[2]), None, False, None),
    ("pool-3d", (1, 2, 4, 6, 6), dict(kernel_shape=[2, 2, 2], strides=[2, 2, 2]), None, False, None),
    ("unpool-2x2", (2, 3, 8, 8), dict(kernel_shape=[2, 2], strides=[2, 2]),
     dict(kernel_shape=[2, 2], strides=[2, 2]), True, None),
    ("unpool-3x3-s2-overlap", (1, 2, 9, 9), dict(kernel_shape=[3, 3], strides=[2, 2]),
     dict(kernel_shape=[3, 3], strides=[2, 2]), True, None),
    # With pads the default result (7x7 here) is smaller than the pooled input and
    # onnxruntime aborts; exporters pass output_shape.
    ("unpool-pads", (1, 2, 8, 8), dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
     dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]), False, [1, 2, 8, 8]),
    ("unpool-output-shape", (1, 2, 9, 9), dict(kernel_shape=[2, 2], strides=[2, 2]),
     dict(kernel_shape=[2, 2], strides=[2, 2]), True, [1, 2, 9, 9]),
    ("unpool-1d", (2, 3, 10), dict(kernel_shape=[2], strides=[2]), dict(kernel_shape=[2], strides=[2]),
     True, None),
]


def main() -> int:
    bins, work = sys.argv[1], sys.argv[2]
    rng = np.random.default_rng(4)
    failed = 0
    for name, shape, attrs, unpool, scale, out_shape in CASES:
        d = os.path.join(work, name)
        os.makedirs(d, exist_ok=True)
        # Small integers: ties inside windows are common (the first wins).
        x = rng.integers(-4, 5, shape).astype(np.float32)
        m, outputs = pool_model(shape, attrs, unpool, scale, out_shape)
        path = os.path.join(d, "m.onnx")
        onnx.save(m, path)
        np.save(os.path.join(d, "x.npy"), x)
        want = ort.InferenceSession(m.SerializeToString()).run(None, {"x": x})
        problems = []
        for engine, extra in (("reference", []), ("linalg-nchw", ["--engine", "linalg-cpu", "--layout", "nchw"]),
                              ("linalg-nhwc", ["--engine", "linalg-cpu", "--layout", "nhwc"])):
            out = os.path.join(d, engine)
            r = subprocess.run([f"{bins}/qopt-ref", path, *extra, "--input", f"x={d}/x.npy",
                                "--output-dir", out], capture_output=True, text=True)
            if r.returncode != 0:
                problems.append(f"{engine} FAILED\n{r.stderr.strip()}")
                break
            for o, w in zip(outputs, want):
                got = np.load(os.path.join(out, o + ".npy"))
                if got.shape != w.shape or not np.array_equal(got, w):
                    problems.append(f"{engine} {o} differs ({int(np.sum(got != w)) if got.shape == w.shape else 'shape'})")
        print(f"{name}: {'ok' if not problems else 'MISMATCH ' + '; '.join(problems)}")
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
