"""GridSample through qopt-ref (reference and GPU lowering on the CPU) against onnxruntime.

usage: grid_sample_check.py BIN_DIR WORK_DIR
One line per case: "<mode> <padding> align=<0|1>: ok (max abs error E, lowering bit-exact)"
or "... MISMATCH ...". The grids reach to +-2.5, so taps fall outside the image and
reflection folds more than once. A last case feeds a hostile grid (NaN, infinities, 1e30):
onnxruntime's behaviour is undefined there, so only the two qopt engines are compared, bit
for bit, and their outputs must be finite.
"""

import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper


def model(mode, padding, align):
    node = helper.make_node("GridSample", ["x", "grid"], ["y"], mode=mode, padding_mode=padding,
                            align_corners=align)
    g = helper.make_graph([node], "gs", [
        helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 5, 7]),
        helper.make_tensor_value_info("grid", TensorProto.FLOAT, [2, 4, 6, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3, 4, 6])])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 16)], ir_version=8)


def run(bins, path, d, engine, feeds):
    out = os.path.join(d, engine)
    args = [f"{bins}/qopt-ref", path, "--engine", engine, "--output-dir", out]
    for name, a in feeds.items():
        np.save(os.path.join(d, name + ".npy"), a)
        args += ["--input", f"{name}={os.path.join(d, name + '.npy')}"]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr.strip()
    return np.load(os.path.join(out, "y.npy")), ""


def main() -> int:
    bins, work = sys.argv[1], sys.argv[2]
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 3, 5, 7)).astype(np.float32)
    grid = rng.uniform(-2.5, 2.5, (2, 4, 6, 2)).astype(np.float32)
    grid[0, 0, :3] = [[-1, -1], [1, 1], [0, 0]]  # corners and the center
    failed = 0
    for mode in ("nearest", "bilinear", "bicubic"):
        for padding in ("zeros", "border", "reflection"):
            for align in (0, 1):
                name = f"{mode} {padding} align={align}"
                d = os.path.join(work, name.replace(" ", "-"))
                os.makedirs(d, exist_ok=True)
                m = model(mode, padding, align)
                path = os.path.join(d, "m.onnx")
                onnx.save(m, path)
                want = ort.InferenceSession(m.SerializeToString()).run(
                    None, {"x": x, "grid": grid})[0]
                ref, err = run(bins, path, d, "reference", {"x": x, "grid": grid})
                low, err2 = run(bins, path, d, "linalg-cpu", {"x": x, "grid": grid})
                if ref is None or low is None:
                    print(f"{name}: FAILED\n{err or err2}")
                    failed += 1
                    continue
                e = float(np.max(np.abs(ref - want)))
                exact = np.array_equal(ref.view(np.uint32), low.view(np.uint32))
                ok = e <= 1e-5 * max(1.0, float(np.max(np.abs(want)))) and exact
                print(f"{name}: {'ok' if ok else 'MISMATCH'} (max abs error {e:.1e}, "
                      f"lowering {'bit-exact' if exact else 'DIFFERS'})")
                failed += not ok
    hostile = grid.copy()
    hostile.flat[:6] = [np.nan, np.inf, -np.inf, 1e30, -1e30, np.nan]
    for mode, padding in (("bilinear", "zeros"), ("bicubic", "reflection"), ("nearest", "border")):
        name = f"hostile {mode} {padding}"
        d = os.path.join(work, name.replace(" ", "-"))
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, "m.onnx")
        onnx.save(model(mode, padding, 0), path)
        ref, err = run(bins, path, d, "reference", {"x": x, "grid": hostile})
        low, err2 = run(bins, path, d, "linalg-cpu", {"x": x, "grid": hostile})
        if ref is None or low is None:
            print(f"{name}: FAILED\n{err or err2}")
            failed += 1
            continue
        ok = bool(np.all(np.isfinite(ref))) and np.array_equal(ref.view(np.uint32),
                                                              low.view(np.uint32))
        print(f"{name}: {'ok' if ok else 'MISMATCH'} (finite and bit-exact)")
        failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
