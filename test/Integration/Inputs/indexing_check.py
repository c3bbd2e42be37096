"""GatherND, ScatterND, ScatterElements (and Scatter), TopK and LRN through qopt-ref
(and the GPU lowering on the CPU) against onnxruntime.

usage: indexing_check.py BIN_DIR WORK_DIR
Prints one line per case: "<case>: ok (max abs error E)" or "<case>: MISMATCH ..." (or
"<case>: <engine> FAILED" with qopt-ref's stderr). Integer outputs, and float outputs of
ops that only move data (GatherND, ScatterND/ScatterElements with reduction none, max or
min, TopK), must be exact; sums and products of duplicate scatter indices and LRN within
1e-5 of the largest expected magnitude. Exit status 1 on any mismatch or failure.

Duplicate indices appear only with a reduction (with 'none' ONNX leaves the result
undefined). onnxruntime runs LRN on 4-D inputs with odd sizes only: the 3-D case is
compared with its run on the input reshaped to [N, C, D, 1], the even size with the
ONNX formula in numpy (checked against onnxruntime on the odd sizes first).
"""

import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper

F32, I64 = np.float32, np.int64
REL_TOL = 1e-5


class Case:
    def __init__(self, name, op, inputs, attrs=None, opset=18, outputs=("y",), exact=True,
                 expect=None):
        self.name, self.op, self.inputs = name, op, inputs  # inputs: (name, array, constant)
        self.attrs, self.opset, self.outputs = attrs or {}, opset, list(outputs)
        self.exact = exact      # compare bit for bit (else within REL_TOL)
        self.expect = expect    # expected outputs from elsewhere than onnxruntime on the model


def model(case, out_arrays=None):
    """The one-node model; output types and shapes from out_arrays where given."""
    graph_inputs = [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape)
                    for n, a, const in case.inputs if not const]
    inits = [numpy_helper.from_array(a, n) for n, a, const in case.inputs if const]
    if out_arrays is None:
        outs = [onnx.ValueInfoProto(name=o) for o in case.outputs]
    else:
        outs = [helper.make_tensor_value_info(o, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape)
                for o, a in zip(case.outputs, out_arrays)]
    node = helper.make_node(case.op, [n for n, _, _ in case.inputs], case.outputs, **case.attrs)
    graph = helper.make_graph([node], case.name.replace("-", "_"), graph_inputs, outs, inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", case.opset)])
    m.ir_version = 8
    return m


def run_ort(m, feeds):
    opts = ort.SessionOptions()
    opts.log_severity_level = 3  # no warning for the opset-1 TopK
    sess = ort.InferenceSession(m.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


# ----------------------------------------------------------------------------- indices

def gather_nd_indices(rng, data_shape, idx_shape, batch_dims=0, negative=False):
    """Indices of shape idx_shape into data_shape (last dim k), in range, some negative."""
    k = idx_shape[-1]
    dims = np.array(data_shape[batch_dims:batch_dims + k])
    idx = (rng.random(idx_shape) * dims).astype(I64)
    if negative:
        flip = rng.random(idx_shape) < 0.5
        idx = np.where(flip, idx - dims, idx)
    return idx


def scatter_nd_indices(rng, data_shape, n, k, duplicates=False, negative=False):
    """n index tuples of length k: distinct, or with repeats (at least one)."""
    dims = data_shape[:k]
    total = int(np.prod(dims))
    if duplicates:
        flat = rng.integers(0, max((total + 1) // 2, 2), n)
        flat[1] = flat[0]
    else:
        flat = rng.choice(total, n, replace=False)
    idx = np.stack(np.unravel_index(flat, dims), axis=-1).astype(I64)
    if negative:
        flip = rng.random(idx.shape) < 0.5
        idx = np.where(flip, idx - np.array(dims), idx)
    return idx


def scatter_elements_indices(rng, data_shape, idx_shape, axis, duplicates=False, negative=False):
    """Indices for ScatterElements along axis: distinct along the axis unless duplicates."""
    axis %= len(data_shape)
    size = data_shape[axis]
    if duplicates:
        idx = rng.integers(0, size, idx_shape).astype(I64)
        first = [0] * len(idx_shape)
        second = list(first)
        second[axis] = 1
        idx[tuple(second)] = idx[tuple(first)]
    else:
        full = list(idx_shape)
        full[axis] = size
        idx = np.argsort(rng.random(full), axis=axis).astype(I64)
        idx = np.take(idx, range(idx_shape[axis]), axis=axis)
    if negative:
        idx = np.where(rng.random(idx.shape) < 0.5, idx - size, idx)
    return np.ascontiguousarray(idx)


def values(rng, shape, dtype=F32, low=-50, high=50):
    if dtype == F32:
        return rng.standard_normal(shape).astype(F32)
    return rng.integers(low, high, shape).astype(dtype)


# ----------------------------------------------------------------------------- LRN

def lrn_numpy(x, size, alpha=1e-4, beta=0.75, bias=1.0):
    """The ONNX LRN formula in float64 (any rank >= 3, any size)."""
    x64 = x.astype(np.float64)
    sq = x64 ** 2
    c_count = x.shape[1]
    lo_off, hi_off = (size - 1) // 2, -(-(size - 1) // 2)
    square_sum = np.zeros_like(x64)
    for c in range(c_count):
        lo, hi = max(0, c - lo_off), min(c_count - 1, c + hi_off)
        square_sum[:, c] = sq[:, lo:hi + 1].sum(axis=1)
    return (x64 / (bias + alpha / size * square_sum) ** beta).astype(x.dtype)


def lrn_as_4d(case, feeds):
    """onnxruntime's LRN on the 3-D input with a trailing dimension of 1."""
    x = feeds["x"]
    c4 = Case(case.name, "LRN", [("x", x.reshape(*x.shape, 1), False)], case.attrs, case.opset)
    return [run_ort(model(c4), {"x": x.reshape(*x.shape, 1)})[0].reshape(x.shape)]


def lrn_even(case, feeds):
    return [lrn_numpy(feeds["x"], **case.attrs)]


# ----------------------------------------------------------------------------- cases

def cases(rng):
    out = []

    # GatherND
    d = values(rng, (3, 4, 5))
    out.append(Case("gathernd-elements", "GatherND",
                    [("data", d, False), ("indices", gather_nd_indices(rng, d.shape, (6, 3)), False)]))
    d = values(rng, (3, 4, 5), I64)
    out.append(Case("gathernd-elements-const-int64", "GatherND",
                    [("data", d, False), ("indices", gather_nd_indices(rng, d.shape, (2, 3, 3)), True)]))
    d = values(rng, (4, 5, 6))
    out.append(Case("gathernd-slices", "GatherND",
                    [("data", d, False), ("indices", gather_nd_indices(rng, d.shape, (3, 1)), False)]))
    d = values(rng, (4, 5, 6))
    out.append(Case("gathernd-slices-k2-const", "GatherND",
                    [("data", d, False), ("indices", gather_nd_indices(rng, d.shape, (2, 2, 2)), True)]))
    d = values(rng, (5, 4, 6), I64)
    out.append(Case("gathernd-slices-int64", "GatherND",
                    [("data", d, False), ("indices", gather_nd_indices(rng, d.shape, (4, 2)), False)]))
    d = values(rng, (2, 5, 6))
    out.append(Case("gathernd-batch1", "GatherND",
                    [("data", d, False), ("indices", gather_nd_indices(rng, d.shape, (2, 4, 1), 1), False)],
                    {"batch_dims": 1}))
    d = values(rng, (3, 4, 5), I64)
    out.append(Case("gathernd-batch1-elements-const", "GatherND",
                    [("data", d, False), ("indices", gather_nd_indices(rng, d.shape, (3, 2, 2), 1), True)],
                    {"batch_dims": 1}))
    d = values(rng, (2, 3, 4, 5))
    out.append(Case("gathernd-batch2", "GatherND",
                    [("data", d, False), ("indices", gather_nd_indices(rng, d.shape, (2, 3, 2, 1), 2), False)],
                    {"batch_dims": 2}))
    d = values(rng, (2, 3, 4, 5), I64)
    out.append(Case("gathernd-batch2-elements-const", "GatherND",
                    [("data", d, False), ("indices", gather_nd_indices(rng, d.shape, (2, 3, 4, 2), 2), True)],
                    {"batch_dims": 2}))
    d = values(rng, (4, 5, 6))
    out.append(Case("gathernd-negative", "GatherND",
                    [("data", d, False),
                     ("indices", gather_nd_indices(rng, d.shape, (5, 2), negative=True), False)]))
    d = values(rng, (3, 5, 6))
    out.append(Case("gathernd-negative-batch1-const", "GatherND",
                    [("data", d, False),
                     ("indices", gather_nd_indices(rng, d.shape, (3, 4, 2), 1, negative=True), True)],
                    {"batch_dims": 1}))

    # ScatterND (opset 18: reductions none, add, mul, max, min)
    def snd(name, shape, n, k, reduction="none", dtype=F32, const=False, dup=False, neg=False,
            batch=None):
        data = values(rng, shape, dtype)
        idx = scatter_nd_indices(rng, shape, n, k, dup, neg)
        if batch:
            idx = idx.reshape(*batch, k)
        upd = values(rng, idx.shape[:-1] + tuple(shape[k:]), dtype, 1, 4 if reduction == "mul" else 50)
        attrs = {} if reduction == "none" else {"reduction": reduction}
        exact = dtype != F32 or reduction not in ("add", "mul")
        out.append(Case(name, "ScatterND", [("data", data, False), ("indices", idx, const),
                                            ("updates", upd, False)], attrs, exact=exact))

    snd("scatternd-none-elements", (4, 5, 6), 7, 3)
    snd("scatternd-none-slices-const", (6, 4, 5), 3, 1, const=True)
    snd("scatternd-none-k2-negative-const", (4, 5, 6), 6, 2, const=True, neg=True, batch=(2, 3))
    snd("scatternd-none-negative-int64", (5, 6), 4, 1, dtype=I64, neg=True)
    snd("scatternd-add-duplicates", (5, 6), 8, 1, "add", dup=True)
    snd("scatternd-add-duplicates-elements-const", (4, 5, 6), 10, 3, "add", const=True, dup=True, neg=True)
    snd("scatternd-mul-duplicates-elements", (4, 5, 6), 10, 3, "mul", dup=True)
    snd("scatternd-mul-duplicates-slices-const", (5, 6), 6, 1, "mul", const=True, dup=True)
    snd("scatternd-max-duplicates-negative-const", (5, 6), 8, 1, "max", const=True, dup=True, neg=True)
    snd("scatternd-max-duplicates-elements", (4, 5, 6), 10, 3, "max", dup=True)
    snd("scatternd-min-duplicates-k2", (4, 5, 6), 9, 2, "min", dup=True, batch=(3, 3))
    snd("scatternd-min-duplicates-elements-const", (4, 5, 6), 10, 3, "min", const=True, dup=True, neg=True)
    snd("scatternd-add-duplicates-int64-const", (5, 6), 6, 1, "add", I64, const=True, dup=True)
    snd("scatternd-mul-duplicates-int64", (4, 5), 7, 2, "mul", I64, dup=True)

    # YOLOv5's detect head: y[..., 0:2] = xy, as a ScatterND with constant full-rank indices.
    data = values(rng, (1, 3, 8, 8, 10))
    grid = np.stack(np.meshgrid(*[np.arange(s) for s in (1, 3, 8, 8, 2)], indexing="ij"), axis=-1)
    out.append(Case("scatternd-yolov5-slice", "ScatterND",
                    [("data", data, False), ("indices", grid.astype(I64), True),
                     ("updates", values(rng, (1, 3, 8, 8, 2)), False)]))

    # ScatterElements (opset 18) and Scatter (opset 10)
    def se(name, shape, idx_shape, axis, reduction="none", dtype=F32, const=False, neg=False,
           op="ScatterElements", opset=18):
        dup = reduction != "none"
        data = values(rng, shape, dtype)
        idx = scatter_elements_indices(rng, shape, idx_shape, axis, dup, neg)
        upd = values(rng, idx_shape, dtype, 1, 4 if reduction == "mul" else 50)
        attrs = {"axis": axis} if reduction == "none" else {"axis": axis, "reduction": reduction}
        exact = dtype != F32 or reduction not in ("add", "mul")
        out.append(Case(name, op, [("data", data, False), ("indices", idx, const),
                                   ("updates", upd, False)], attrs, opset, exact=exact))

    se("scatterelements-axis0", (5, 6), (3, 4), 0)
    se("scatterelements-axis1-const", (4, 7), (3, 4), 1, const=True)
    se("scatterelements-axis-neg-negative", (2, 3, 6), (2, 2, 4), -1, neg=True)
    se("scatterelements-axis1-int64-negative-const", (3, 5, 4), (2, 3, 3), 1, dtype=I64, const=True, neg=True)
    se("scatterelements-add-duplicates-axis0", (4, 5), (6, 3), 0, "add")
    se("scatterelements-mul-duplicates-axis1-const", (3, 6), (3, 8), 1, "mul", const=True)
    se("scatterelements-max-duplicates-axis-neg-negative", (2, 3, 5), (2, 2, 7), -1, "max", neg=True)
    se("scatterelements-min-duplicates-axis-neg2-const", (2, 5, 3), (2, 6, 2), -2, "min", const=True, neg=True)
    se("scatterelements-add-duplicates-int64", (4, 3), (5, 3), 0, "add", I64)
    se("scatterelements-mul-duplicates-int64-const", (3, 4), (2, 5), 1, "mul", I64, const=True)
    se("scatter-opset10-axis1", (4, 6), (3, 4), 1, op="Scatter", opset=10)
    se("scatter-opset10-axis0-const", (5, 3), (4, 2), 0, const=True, op="Scatter", opset=10)

    # TopK (opset 11, K a constant; sorted; ties resolved to the lower index)
    def topk(name, x, k, axis=None, largest=1, opset=11):
        attrs = {} if axis is None else {"axis": axis}
        if not largest:
            attrs["largest"] = 0
        inputs = [("x", x, False)]
        if opset >= 10:
            inputs.append(("k", np.array([k], I64), True))
        else:
            attrs["k"] = k
        out.append(Case(name, "TopK", inputs, attrs, opset, outputs=("values", "indices")))

    def ties(shape, levels, dtype=F32):
        return rng.integers(-levels // 2, levels - levels // 2, shape).astype(dtype)

    topk("topk-largest-last", values(rng, (3, 4, 10)), 4)
    topk("topk-smallest-axis1", values(rng, (3, 7, 5)), 3, axis=1, largest=0)
    topk("topk-largest-axis-neg3", values(rng, (2, 6, 4, 3)), 5, axis=-3)
    topk("topk-ties-largest", ties((4, 12), 5), 6)
    topk("topk-ties-smallest-axis0", ties((9, 5), 4), 4, axis=0, largest=0)
    topk("topk-k1", values(rng, (5, 8)), 1)
    topk("topk-k1-ties-smallest", ties((6, 7), 3), 1, largest=0)
    topk("topk-k-full-ties-axis1", ties((2, 6, 3), 3), 6, axis=1)
    topk("topk-int64-ties", ties((4, 10), 7, I64), 5)
    topk("topk-int64-k-full-smallest-axis0", ties((7, 3), 4, I64), 7, axis=0, largest=0)
    topk("topk-opset1", ties((3, 9), 6), 4, opset=1)
    topk("topk-opset1-axis0", values(rng, (6, 4)), 2, axis=0, opset=1)

    # LRN
    def lrn(name, shape, size, expect=None, **params):
        out.append(Case(name, "LRN", [("x", (rng.standard_normal(shape) * 2).astype(F32), False)],
                        dict(size=size, **params), exact=False, expect=expect))

    lrn("lrn-size3", (2, 8, 5, 5), 3)
    lrn("lrn-size5-params", (2, 8, 5, 5), 5, alpha=0.5, beta=0.6, bias=2.0)
    lrn("lrn-size3-params", (2, 8, 5, 5), 3, alpha=0.3, beta=1.1, bias=0.7)
    lrn("lrn-size4-even", (2, 8, 5, 5), 4, expect=lrn_even, alpha=0.8, beta=0.75, bias=1.5)
    lrn("lrn-size3-3d", (2, 8, 7), 3, expect=lrn_as_4d, alpha=0.4, beta=0.9, bias=1.2)
    lrn("lrn-size5-3d", (3, 6, 4), 5, expect=lrn_as_4d)
    return out


def check_lrn_formula(rng):
    """The numpy formula used for the even size agrees with onnxruntime on odd sizes."""
    x = (rng.standard_normal((2, 8, 3, 3)) * 2).astype(F32)
    worst = 0.0
    for size, params in [(3, {}), (5, dict(alpha=0.5, beta=0.6, bias=2.0)), (7, dict(alpha=1.0))]:
        c = Case("lrn", "LRN", [("x", x, False)], dict(size=size, **params))
        want = run_ort(model(c), {"x": x})[0]
        worst = max(worst, float(np.max(np.abs(lrn_numpy(x, size, **params) - want))) / float(np.max(np.abs(want))))
    return worst <= REL_TOL


def compare(got, want, exact):
    """(ok, max abs error, note)."""
    if got.shape != want.shape:
        return False, float("nan"), f"shape {got.shape}, expected {want.shape}"
    if got.dtype != want.dtype:
        return False, float("nan"), f"dtype {got.dtype}, expected {want.dtype}"
    if want.size == 0:
        return True, 0.0, ""
    diff = np.abs(got.astype(np.float64) - want.astype(np.float64))
    err = float(np.max(diff))
    if exact:
        ok = bool(np.array_equal(got, want))
        where = "" if ok else f"{int(np.count_nonzero(got != want))} of {want.size} elements differ"
        return ok, err, where
    scale = max(float(np.max(np.abs(want))), 1e-6)
    ok = err / scale <= REL_TOL
    return ok, err, "" if ok else f"max rel error {err / scale:.1e} > {REL_TOL:.0e}"


def main() -> int:
    bins, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(2024)
    failed = 0
    if not check_lrn_formula(rng):
        print("lrn numpy formula: MISMATCH with onnxruntime")
        failed += 1
    for case in cases(rng):
        d = os.path.join(work, case.name)
        os.makedirs(d, exist_ok=True)
        feeds = {n: a for n, a, const in case.inputs if not const}
        want = case.expect(case, feeds) if case.expect else run_ort(model(case), feeds)
        path = os.path.join(d, "m.onnx")
        onnx.save(model(case, want), path)
        args = []
        for n, a in feeds.items():
            np.save(os.path.join(d, n + ".npy"), a)
            args += ["--input", f"{n}={os.path.join(d, n + '.npy')}"]
        worst, problems = 0.0, []
        # The lowering runs with activations stored NCHW and NHWC (LRN's
        # window sum is a pool, which writes NHWC).
        for engine, layout in (("reference", None), ("linalg-cpu", "nchw"),
                               ("linalg-cpu", "nhwc")):
            out_dir = os.path.join(d, engine + (f"-{layout}" if layout else ""))
            extra = ["--layout", layout] if layout else []
            r = subprocess.run([f"{bins}/qopt-ref", path, "--engine", engine, *extra, *args,
                                "--output-dir", out_dir], capture_output=True, text=True)
            if r.returncode != 0:
                problems.append(f"{engine} FAILED (exit {r.returncode})\n{r.stderr.rstrip()}")
                break
            for o, w in zip(case.outputs, want):
                f = os.path.join(out_dir, o + ".npy")
                if not os.path.exists(f):
                    problems.append(f"{engine} wrote no {o}.npy")
                    continue
                ok, err, note = compare(np.load(f), w, case.exact)
                if err == err:
                    worst = max(worst, err)
                if not ok:
                    problems.append(f"{engine} {o}: {note}")
        if problems and "FAILED" in problems[0]:
            print(f"{case.name}: {problems[0]}")
        elif problems:
            print(f"{case.name}: MISMATCH (max abs error {worst:.1e}; {'; '.join(problems)})")
        else:
            print(f"{case.name}: ok (max abs error {worst:.1e})")
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
