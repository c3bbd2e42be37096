"""Einsum equations through qopt-ref (and the GPU lowering on the CPU) against numpy.einsum.

usage: einsum_check.py BIN_DIR WORK_DIR
Prints one line per equation: "<equation>: ok (max rel error E)" or "... MISMATCH".
"""

import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

CASES = [  # equation, operand shapes, whether the second operand is a constant (a weight)
    ("ij,jk->ik", [(5, 7), (7, 3)], False),
    ("bij,bjk->bik", [(2, 5, 7), (2, 7, 3)], False),
    ("bhqd,bhkd->bhqk", [(2, 3, 6, 8), (2, 3, 5, 8)], False),
    ("bhqk,bhkd->bhqd", [(2, 3, 6, 5), (2, 3, 5, 8)], False),
    ("bsd,de->bse", [(2, 6, 8), (8, 4)], True),
    ("i,i->", [(9,), (9,)], False),
    ("i,j->ij", [(4,), (5,)], False),
    ("ij->ji", [(4, 5)], False),
    ("ij->", [(4, 5)], False),
    ("ij->i", [(4, 5)], False),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 6)], False),
    ("ij,jk,kl->il", [(3, 4), (4, 5), (5, 2)], False),
    ("bij,bij->bi", [(2, 3, 4), (2, 3, 4)], False),
    ("ij,jk", [(3, 4), (4, 5)], False),
    ("ba,ca", [(3, 4), (5, 4)], False),
    ("ijk,ikl->ijl", [(2, 3, 4), (2, 4, 5)], False),
    ("b i d, b j d -> b i j", [(2, 3, 4), (2, 5, 4)], False),
    ("abc,cd->dba", [(2, 3, 4), (4, 5)], False),
]


def main() -> int:
    bins, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(5)
    failed = 0
    for k, (eq, shapes, const_b) in enumerate(CASES):
        arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        want = np.einsum(eq.replace(" ", ""), *arrays)
        names = [f"x{i}" for i in range(len(shapes))]
        inputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, s)
                  for n, s, in zip(names, shapes)]
        inits = []
        if const_b:
            inits.append(onnx.numpy_helper.from_array(arrays[1], names[1]))
            inputs = inputs[:1]
        node = helper.make_node("Einsum", names, ["y"], equation=eq)
        out = helper.make_tensor_value_info("y", TensorProto.FLOAT, list(want.shape))
        model = helper.make_model(helper.make_graph([node], "einsum", inputs, [out], inits),
                                  opset_imports=[helper.make_opsetid("", 12)])
        d = os.path.join(work, str(k))
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, "m.onnx")
        onnx.save(model, path)
        args = []
        for n, a in zip(names, arrays):
            if const_b and n == names[1]:
                continue
            np.save(os.path.join(d, n + ".npy"), a)
            args += ["--input", f"{n}={os.path.join(d, n + '.npy')}"]
        worst = 0.0
        for engine in ("reference", "linalg-cpu"):
            out_dir = os.path.join(d, engine)
            r = subprocess.run([f"{bins}/qopt-ref", path, "--engine", engine, *args,
                                "--output-dir", out_dir], capture_output=True, text=True)
            if r.returncode != 0:
                print(f"{eq}: {engine} FAILED\n{r.stderr}")
                failed += 1
                break
            got = np.load(os.path.join(out_dir, "y.npy"))
            if got.shape != want.shape:
                print(f"{eq}: {engine} shape {got.shape}, numpy {want.shape}: MISMATCH")
                failed += 1
                break
            scale = max(float(np.max(np.abs(want))), 1e-6)
            worst = max(worst, float(np.max(np.abs(got - want))) / scale if want.size else 0.0)
        else:
            ok = worst <= 1e-5
            failed += not ok
            print(f"{eq}: {'ok' if ok else 'MISMATCH'} (max rel error {worst:.1e})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
