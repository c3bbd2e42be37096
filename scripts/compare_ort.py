#!/usr/bin/env python3
"""Compare qopt-ref against onnxruntime on deterministic random inputs.

Usage:
  compare_ort.py MODEL.onnx --qopt-ref PATH [--input-shape name=1x3x224x224 ...]
                 [--seed 0] [--tol 1e-4] [--threads 2] [--workdir DIR]
                 [--input name=FILE.npy ...] [--ort-opt-level all] [--timeout SECONDS]

For every graph input (initializers excluded) a deterministic input is generated:
  float               standard normal
  integer, name ~mask ones, with the last quarter of the last axis zeroed in batch row 0
  integer, name ~ids  uniform in [0, vocab), vocab = dim 0 of the data initializer of
                      the Gather that consumes the input (else of the first Gather with
                      an initializer as data; else 100)
  other integer       uniform in [0, 100)
  bool                uniform random
Symbolic dimensions are taken from --input-shape, which accepts either an input name
(`input_ids=2x64`) or a symbolic dimension name (`N=8`); a dimension that stays unknown
is an error. `--input NAME=FILE.npy` feeds a given array instead of a random one (for
models whose output is degenerate on noise, e.g. a text detector).

The inputs are written to WORKDIR/inputs/<name>.npy, onnxruntime (CPU) runs the model
and its outputs are kept in WORKDIR/ort/, then

  qopt-ref MODEL --input name=WORKDIR/inputs/name.npy ... --output-dir WORKDIR/qopt

runs (one --input per graph input). qopt-ref writes every output to
<output-dir>/<name>.npy, each character of the name other than letters, digits, `_`,
`-` and `.` replaced by `_`. For every output the script prints

  name: max|a-b|/max|b| = X (tol T) shape=(...) OK|FAIL

with a = qopt-ref and b = onnxruntime.

Exit status: 0 if every output has the right shape and is within tolerance, 1 if not,
2 on usage errors or when qopt-ref fails (its stderr is printed).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

EXIT_OK, EXIT_MISMATCH, EXIT_ERROR = 0, 1, 2

ONNX_TO_NUMPY = {
    1: np.float32, 2: np.uint8, 3: np.int8, 4: np.uint16, 5: np.int16, 6: np.int32,
    7: np.int64, 9: np.bool_, 10: np.float16, 11: np.float64, 12: np.uint32, 13: np.uint64,
}


class UsageError(Exception):
    """A problem with the arguments or the model's inputs; reported with exit status 2."""


def sanitize(name: str) -> str:
    """The file stem qopt-ref uses for an output (and this script for an input)."""
    return re.sub(r"[^A-Za-z0-9_.\-]", "_", name)


def parse_shape_args(items: list[str]) -> dict[str, list[int]]:
    shapes: dict[str, list[int]] = {}
    for item in items:
        name, sep, dims = item.rpartition("=")
        if not sep or not name:
            raise UsageError(f"--input-shape expects name=DxDx..., got {item!r}")
        try:
            shapes[name] = [int(d) for d in dims.lower().split("x")] if dims else []
        except ValueError:
            raise UsageError(f"--input-shape {item!r}: dimensions must be integers") from None
        if any(d < 0 for d in shapes[name]):
            raise UsageError(f"--input-shape {item!r}: negative dimension")
    return shapes


def graph_inputs(model) -> list:
    initializers = {init.name for init in model.graph.initializer}
    return [i for i in model.graph.input if i.name not in initializers]


def _named_dim(d) -> str | None:
    """The symbolic name of a dim, None for fixed or anonymous ones ('?' is anonymous)."""
    if d.HasField("dim_param") and d.dim_param and d.dim_param != "?":
        return d.dim_param
    return None


def resolve_shapes(inputs, shape_args: dict[str, list[int]]) -> dict[str, list[int]]:
    """Concrete shape of every input; symbolic dims are bound by name across inputs."""
    input_names = {i.name for i in inputs}
    dim_bindings: dict[str, int] = {}
    conflicts: dict[str, set[int]] = {}
    for key, dims in shape_args.items():
        if key not in input_names:
            if len(dims) != 1:
                raise UsageError(f"--input-shape {key}=...: not a graph input "
                                 f"({', '.join(sorted(input_names))}) nor a single symbolic dim")
            dim_bindings[key] = dims[0]

    # First pass: explicit input shapes bind the symbolic dims they cover.
    for inp in inputs:
        if inp.name not in shape_args:
            continue
        dims = inp.type.tensor_type.shape.dim
        given = shape_args[inp.name]
        if inp.type.tensor_type.HasField("shape") and len(dims) != len(given):
            raise UsageError(f"input {inp.name}: rank {len(dims)} but --input-shape gives "
                             f"{len(given)} dims")
        for axis, (d, g) in enumerate(zip(dims, given)):
            if d.HasField("dim_value") and d.dim_value > 0 and d.dim_value != g:
                raise UsageError(f"input {inp.name}: dim {axis} is {d.dim_value} in the model "
                                 f"but --input-shape gives {g}")
            sym = _named_dim(d)
            if sym is not None and dim_bindings.setdefault(sym, g) != g:
                conflicts.setdefault(sym, {dim_bindings[sym]}).add(g)

    shapes: dict[str, list[int]] = {}
    for inp in inputs:
        if inp.name in shape_args:
            shapes[inp.name] = shape_args[inp.name]
            continue
        if not inp.type.tensor_type.HasField("shape"):
            raise UsageError(f"input {inp.name} has no shape in the model; pass "
                             f"--input-shape {inp.name}=...")
        shape = []
        for axis, d in enumerate(inp.type.tensor_type.shape.dim):
            if d.HasField("dim_value") and d.dim_value > 0:
                shape.append(d.dim_value)
            elif _named_dim(d) in conflicts:
                raise UsageError(f"input {inp.name}: symbolic dim {d.dim_param!r} is bound to "
                                 f"{sorted(conflicts[d.dim_param])} by other inputs; pass "
                                 f"--input-shape {inp.name}=...")
            elif _named_dim(d) in dim_bindings:
                shape.append(dim_bindings[d.dim_param])
            else:
                what = (repr(d.dim_param) if d.HasField("dim_param")
                        else str(d.dim_value) if d.HasField("dim_value") else "unknown")
                raise UsageError(f"input {inp.name}: dim {axis} ({what}) is not fixed; pass "
                                 f"--input-shape {inp.name}=... (or a symbolic dim as NAME=n)")
        shapes[inp.name] = shape
    return shapes


def find_vocab(model, input_name: str, default: int = 100) -> int:
    """Dim 0 of a Gather's initializer data: the one fed by input_name, else the first."""
    initializers = {init.name: init for init in model.graph.initializer}
    constants = {}
    for node in model.graph.node:
        if node.op_type == "Constant":
            for attr in node.attribute:
                if attr.name == "value":
                    constants[node.output[0]] = attr.t
    tables = {**constants, **initializers}
    first = None
    for node in model.graph.node:
        if node.op_type != "Gather" or len(node.input) < 2 or node.input[0] not in tables:
            continue
        dims = tables[node.input[0]].dims
        if not dims:
            continue
        if node.input[1] == input_name:
            return int(dims[0])
        if first is None:
            first = int(dims[0])
    return first if first is not None else default


def load_given_inputs(items: list[str], inputs) -> dict[str, np.ndarray]:
    """Arrays passed with --input NAME=FILE.npy, checked against the model's dtypes."""
    by_name = {i.name: i for i in inputs}
    given: dict[str, np.ndarray] = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or name not in by_name:
            raise UsageError(f"--input expects NAME=FILE.npy with NAME one of "
                             f"{', '.join(by_name)}; got {item!r}")
        try:
            arr = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise UsageError(f"--input {item!r}: {e}") from None
        want = np.dtype(ONNX_TO_NUMPY.get(by_name[name].type.tensor_type.elem_type, arr.dtype))
        if arr.dtype != want:
            raise UsageError(f"--input {item!r}: dtype {arr.dtype}, the model wants {want}")
        given[name] = arr
    return given


def make_inputs(model, inputs, shapes, seed: int,
                given: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    feeds: dict[str, np.ndarray] = {}
    for inp in inputs:
        elem = inp.type.tensor_type.elem_type
        if elem not in ONNX_TO_NUMPY:
            raise UsageError(f"input {inp.name}: unsupported element type {elem}")
        dtype = np.dtype(ONNX_TO_NUMPY[elem])
        shape = shapes[inp.name]
        lname = inp.name.lower()
        if dtype.kind == "f":
            arr = rng.standard_normal(shape).astype(dtype)
        elif dtype.kind == "b":
            arr = rng.integers(0, 2, shape).astype(dtype)
        elif "mask" in lname:
            arr = np.ones(shape, dtype=dtype)
            if arr.ndim >= 1 and shape[-1] // 4 > 0:
                row = arr[0] if arr.ndim >= 2 else arr
                row[..., shape[-1] - shape[-1] // 4:] = 0
        else:
            high = find_vocab(model, inp.name) if "ids" in lname else 100
            arr = rng.integers(0, high, shape).astype(dtype)
        feeds[inp.name] = arr
    # Given arrays replace the random ones only after drawing them, so that the other
    # inputs are the same with or without --input.
    feeds.update(given or {})
    return feeds


def run_ort(model_path: str, feeds, threads: int, opt_level: str):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = {
        "disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
        "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
    }[opt_level]
    session = ort.InferenceSession(model_path, so, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    start = time.perf_counter()
    outs = session.run(names, feeds)
    return dict(zip(names, outs)), time.perf_counter() - start


def compare(name: str, got: np.ndarray | None, ref: np.ndarray, tol: float) -> bool:
    if got is None:
        print(f"{name}: missing qopt-ref output (tol {tol:g}) shape={tuple(ref.shape)} FAIL")
        return False
    if got.shape != ref.shape:
        print(f"{name}: shape mismatch qopt-ref {tuple(got.shape)} vs onnxruntime "
              f"{tuple(ref.shape)} (tol {tol:g}) FAIL")
        return False
    a = got.astype(np.float64)
    b = ref.astype(np.float64)
    finite = np.isfinite(b)
    if not (np.isfinite(a[finite]).all()
            and np.array_equal(a[~finite], b[~finite], equal_nan=True)):
        err = float("inf")  # NaN/inf must appear at the same places with the same values
    elif not finite.any():
        err = 0.0
    else:
        max_diff = float(np.abs(a[finite] - b[finite]).max())
        max_ref = float(np.abs(b[finite]).max())
        err = max_diff / max_ref if max_ref > 0 else max_diff
    ok = err <= tol
    dtype_note = "" if got.dtype == ref.dtype else f" dtype={got.dtype}!={ref.dtype}"
    print(f"{name}: max|a-b|/max|b| = {err:.3e} (tol {tol:g}) shape={tuple(ref.shape)}"
          f"{dtype_note} {'OK' if ok else 'FAIL'}")
    return ok


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Run MODEL with onnxruntime and qopt-ref on the same random inputs and "
                    "compare the outputs.")
    parser.add_argument("model", help="path to the .onnx model")
    parser.add_argument("--qopt-ref", required=True, help="path to the qopt-ref executable")
    parser.add_argument("--input-shape", action="append", default=[], metavar="NAME=DxD...",
                        help="shape of an input (or NAME=n for a symbolic dim); repeatable")
    parser.add_argument("--input", action="append", default=[], metavar="NAME=FILE.npy",
                        help="feed this array to input NAME instead of a random one; repeatable")
    parser.add_argument("--seed", type=int, default=0, help="seed for the random inputs")
    parser.add_argument("--qopt-ref-arg", action="append", default=[], metavar="ARG",
                        help="extra argument for qopt-ref (e.g. --pass-pipeline=...); repeatable")
    parser.add_argument("--tol", type=float, default=1e-4,
                        help="max allowed max|a-b|/max|b| per output")
    parser.add_argument("--threads", type=int, default=2, help="onnxruntime intra-op threads")
    parser.add_argument("--workdir", help="where inputs/outputs go (default: a temporary "
                        "directory, removed on success)")
    parser.add_argument("--ort-opt-level", choices=("disable", "basic", "extended", "all"),
                        default="all", help="onnxruntime graph optimisation level")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds before qopt-ref is killed (default: none)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    import onnx

    try:
        model = onnx.load(args.model, load_external_data=False)
    except Exception as e:  # OSError, protobuf DecodeError, ...
        print(f"compare_ort: error: cannot load {args.model}: {e}", file=sys.stderr)
        return EXIT_ERROR
    try:
        inputs = graph_inputs(model)
        given = load_given_inputs(args.input, inputs)
        shape_args = parse_shape_args(args.input_shape)
        for name, arr in given.items():
            if name in shape_args and shape_args[name] != list(arr.shape):
                raise UsageError(f"input {name}: --input-shape {shape_args[name]} but the "
                                 f"--input array has shape {list(arr.shape)}")
            shape_args[name] = list(arr.shape)
        shapes = resolve_shapes(inputs, shape_args)
        feeds = make_inputs(model, inputs, shapes, args.seed, given)
    except UsageError as e:
        print(f"compare_ort: error: {e}", file=sys.stderr)
        return EXIT_ERROR

    temporary = args.workdir is None
    workdir = tempfile.mkdtemp(prefix="qopt-compare-") if temporary else args.workdir
    in_dir, ort_dir, out_dir = (os.path.join(workdir, d) for d in ("inputs", "ort", "qopt"))
    for d in (in_dir, ort_dir):
        os.makedirs(d, exist_ok=True)
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)  # never compare against stale outputs of an earlier run
    os.makedirs(out_dir)

    cmd = [args.qopt_ref, args.model] + args.qopt_ref_arg
    for name, arr in feeds.items():
        path = os.path.join(in_dir, sanitize(name) + ".npy")
        np.save(path, arr)
        cmd += ["--input", f"{name}={path}"]
        print(f"input {name}: {arr.dtype} {tuple(arr.shape)}")
    cmd += ["--output-dir", out_dir]

    ref, ort_s = run_ort(args.model, feeds, args.threads, args.ort_opt_level)
    for name, arr in ref.items():
        np.save(os.path.join(ort_dir, sanitize(name) + ".npy"), arr)
    print(f"onnxruntime: {ort_s * 1e3:.1f} ms")

    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
    except (OSError, subprocess.TimeoutExpired) as e:
        print(f"compare_ort: qopt-ref could not run: {e}", file=sys.stderr)
        print(f"compare_ort: inputs kept in {workdir}", file=sys.stderr)
        return EXIT_ERROR
    qopt_s = time.perf_counter() - start
    if proc.returncode != 0:
        print(f"compare_ort: qopt-ref failed with exit status {proc.returncode}: "
              f"{' '.join(cmd)}", file=sys.stderr)
        if proc.stdout.strip():
            print(f"--- qopt-ref stdout ---\n{proc.stdout.rstrip()}", file=sys.stderr)
        print(f"--- qopt-ref stderr ---\n{proc.stderr.rstrip()}", file=sys.stderr)
        print(f"compare_ort: inputs kept in {workdir}", file=sys.stderr)
        return EXIT_ERROR
    print(f"qopt-ref: {qopt_s * 1e3:.1f} ms (whole process)")

    all_ok = True
    for name, expected in ref.items():
        path = os.path.join(out_dir, sanitize(name) + ".npy")
        got = np.load(path, allow_pickle=False) if os.path.exists(path) else None
        all_ok &= compare(name, got, expected, args.tol)

    if all_ok and temporary:
        shutil.rmtree(workdir, ignore_errors=True)
    elif not all_ok:
        print(f"compare_ort: inputs and outputs kept in {workdir}")
    return EXIT_OK if all_ok else EXIT_MISMATCH


if __name__ == "__main__":
    sys.exit(main())
