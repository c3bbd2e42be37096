#!/usr/bin/env python3
"""ONNX node-test conformance driver for qopt-ref.

Runs the ONNX backend node tests (one directory per test, each holding
model.onnx and test_data_set_0/{input,output}_N.pb) through the reference
executor `qopt-ref` and classifies every test as

  passed       exit 0 and every output matches the expected tensor
  unsupported  exit 1 with "unsupported" in stderr (the op / attribute /
               dtype is rejected cleanly), or the test needs something the
               .npy exchange cannot express (sequence / optional inputs,
               string or bfloat16 tensors, unreadable model)
  failed       any other non-zero exit, a missing output file, or a
               mismatching output (shape, dtype or values)
  crashed      killed by a signal, or timed out

qopt-ref is invoked as

  qopt-ref MODEL.onnx --input NAME=FILE.npy ... --output-dir DIR

and must write each graph output to DIR/<sanitized name>.npy, where every
character outside [A-Za-z0-9_.-] is replaced by '_'.

Gating (exit status 1): any crashed test, any failed test (an op is either
rejected cleanly as unsupported, or it must be right), or fewer passes than
baseline.json's "min_passed". --update-baseline rewrites baseline.json with
the current passed count and the ops that have at least one passing test.

Needs only onnx and numpy (the project venv).
"""

import argparse
import collections
import concurrent.futures
import datetime
import glob
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import onnx
from onnx import numpy_helper

DEFAULT_DATA = "/usr/share/libonnx-testdata/data/node"
DEFAULT_RTOL = 1e-5
DEFAULT_ATOL = 1e-5

# Per-test tolerance overrides: {test name or regex (re.fullmatch): (rtol, atol, why)}.
# Only loosen a tolerance for a documented, numerically justified reason
# (e.g. a transcendental evaluated in float16, or a reference generated with
# a different accumulation order); never to hide a real bug. Keep it small.
TOLERANCES = {
    # The expected outputs are written with 4 decimals (-0.1406 for
    # -0.140625); ONNX Runtime computes the same values as qopt-ref.
    "test_gridsample_bicubic": (1e-5, 6e-5, "expected values rounded to 4 decimals in the test data"),
}

# Element types the .npy exchange with qopt-ref does not carry; tests using
# them are reported as unsupported by the driver itself.
DRIVER_UNSUPPORTED_DTYPES = {
    "STRING": "string tensors",
    "BFLOAT16": "bfloat16 tensors",
    "FLOAT8E4M3FN": "float8 tensors",
    "FLOAT8E4M3FNUZ": "float8 tensors",
    "FLOAT8E5M2": "float8 tensors",
    "FLOAT8E5M2FNUZ": "float8 tensors",
    "FLOAT8E8M0": "float8 tensors",
    "UINT4": "4-bit tensors",
    "INT4": "4-bit tensors",
    "FLOAT4E2M1": "4-bit tensors",
    "UINT2": "2-bit tensors",
    "INT2": "2-bit tensors",
}

STATUSES = ("passed", "failed", "crashed", "unsupported")
UNSUPPORTED_WORD = re.compile(r"\bunsupported\b", re.IGNORECASE)
UNSUPPORTED_OP = re.compile(r"unsupported op '([^']+)'")


def sanitize(name):
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


_SCHEMA_NAMES = None

# Abbreviations used in ONNX test names (test_sce_*_expanded, ...).
TEST_NAME_ALIASES = {
    "sce": "SoftmaxCrossEntropyLoss",
    "nllloss": "NegativeLogLikelihoodLoss",
    "mvn": "MeanVarianceNormalization",
    "batchnorm": "BatchNormalization",
}


def _schema_names():
    """Normalized (lowercase, no underscores) ONNX op name -> op name."""
    global _SCHEMA_NAMES
    if _SCHEMA_NAMES is None:
        names = {}
        for s in onnx.defs.get_all_schemas_with_history():
            names.setdefault(s.name.lower().replace("_", ""), s.name)
        for alias, op in TEST_NAME_ALIASES.items():
            names.setdefault(alias, op)
        _SCHEMA_NAMES = names
    return _SCHEMA_NAMES


def op_under_test(test_name, graph):
    """The op type a test exercises (its group in the per-op table).

    One distinct node op type -> that op. Otherwise (expanded function
    bodies, small composite graphs) the op named by the longest leading
    '_'-separated run of words of the test name, looked up first among the
    graph's op types and then among all ONNX ops and TEST_NAME_ALIASES
    (test_softmax_axis_0_expanded -> Softmax); failing both, the most frequent non-Constant op type.
    """
    types = [n.op_type for n in graph.node]
    distinct = set(types)
    if len(distinct) == 1:
        return types[0]
    if not types:
        return "(empty graph)"
    words = test_name[len("test_"):].split("_") if test_name.startswith("test_") else test_name.split("_")
    in_graph = {t.lower(): t for t in distinct}
    schemas = _schema_names()
    for table in (in_graph, schemas):
        for k in range(len(words), 0, -1):
            key = "".join(words[:k]).lower()
            if key in table:
                return table[key]
    counts = collections.Counter(t for t in types if t != "Constant") or collections.Counter(types)
    return counts.most_common(1)[0][0]


def value_info_problem(vi, what):
    """Why a graph input/output cannot go through the .npy exchange, or None."""
    kind = vi.type.WhichOneof("value")
    if kind != "tensor_type":
        label = {
            "sequence_type": "sequence",
            "optional_type": "optional",
            "map_type": "map",
            "sparse_tensor_type": "sparse tensor",
        }.get(kind, str(kind))
        return "%s %s" % (label, what)
    elem = onnx.TensorProto.DataType.Name(vi.type.tensor_type.elem_type)
    if elem in DRIVER_UNSUPPORTED_DTYPES:
        return "%s %s" % (DRIVER_UNSUPPORTED_DTYPES[elem], what)
    return None


def tolerance_for(name):
    if name in TOLERANCES:
        return TOLERANCES[name]
    for pat, tol in TOLERANCES.items():
        if re.fullmatch(pat, name):
            return tol
    return (DEFAULT_RTOL, DEFAULT_ATOL, None)


def load_tensor(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def pb_files(dataset, prefix):
    files = glob.glob(os.path.join(dataset, prefix + "_*.pb"))
    return sorted(files, key=lambda p: int(re.search(r"_(\d+)\.pb$", p).group(1)))


class Result:
    __slots__ = ("name", "op", "status", "reason", "unsupported", "seconds")

    def __init__(self, name, op, status, reason="", unsupported=None, seconds=0.0):
        self.name = name
        self.op = op
        self.status = status
        self.reason = reason
        self.unsupported = unsupported  # unsupported op type / message
        self.seconds = seconds


def inspect_test(test_dir):
    """Parse a test. Returns (op, problem, model) where problem is a reason
    string if the driver cannot run it."""
    name = os.path.basename(test_dir)
    try:
        model = onnx.load(os.path.join(test_dir, "model.onnx"))
    except Exception as e:  # noqa: BLE001 - any load failure is reported
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        return "(unreadable)", "model unreadable: %s" % first[:200], None
    op = op_under_test(name, model.graph)
    inits = {i.name for i in model.graph.initializer}
    for vi in model.graph.input:
        if vi.name not in inits:
            prob = value_info_problem(vi, "input")
            if prob:
                return op, prob, model
    for vi in model.graph.output:
        prob = value_info_problem(vi, "output")
        if prob:
            return op, prob, model
    return op, None, model


def compare(actual, expected, rtol, atol):
    """None if equal, else a description of the mismatch."""
    if actual.shape != expected.shape:
        return "shape %s, expected %s" % (actual.shape, expected.shape)
    if actual.dtype != expected.dtype:
        return "dtype %s, expected %s" % (actual.dtype, expected.dtype)
    if actual.size == 0:
        return None
    kind = expected.dtype.kind
    if kind in "fc":
        a = actual.astype(np.complex128 if kind == "c" else np.float64)
        e = expected.astype(a.dtype)
        close = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=True)
        if close.all():
            return None
        with np.errstate(invalid="ignore"):
            diff = np.abs(a - e)
        finite = diff[np.isfinite(diff)]
        max_err = float(finite.max()) if finite.size else float("nan")
        idx = tuple(int(i) for i in np.argwhere(~close)[0])
        return "max abs error %.6g (rtol=%g atol=%g), %d/%d elements differ, first at %s: got %r, expected %r" % (
            max_err, rtol, atol, int((~close).sum()), close.size, idx,
            actual[idx].item(), expected[idx].item())
    # bool / integer (and anything else): exact
    eq = actual == expected
    if np.all(eq):
        return None
    bad = ~np.asarray(eq)
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    msg = "%d/%d elements differ, first at %s: got %r, expected %r" % (
        int(bad.sum()), bad.size, idx, actual[idx].item(), expected[idx].item())
    if kind in "iu":
        diff = np.abs(actual.astype(np.float64) - expected.astype(np.float64))
        msg = "max abs error %.6g, " % float(diff.max()) + msg
    return msg


def first_line(text):
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


# QOpt compiles static programs: operands that ONNX allows at run time but that
# fix shapes or op parameters (Reshape's shape, Slice's bounds, Clip's bounds,
# ...) must be known at compile time. The node tests feed them as graph inputs,
# so the driver binds such inputs with `qopt-ref --freeze`, as a user would
# when compiling a model whose shape inputs are fixed. Keys are op types, values
# the input positions that are parameters.
PARAMETER_INPUTS = {
    "Reshape": {1}, "Expand": {1}, "Slice": {1, 2, 3, 4}, "Squeeze": {1},
    "Unsqueeze": {1}, "Resize": {1, 2, 3}, "Upsample": {1}, "Pad": {1, 2, 3},
    "Clip": {1, 2}, "ConstantOfShape": {0}, "Range": {0, 1, 2}, "Split": {1},
    "ReduceMean": {1}, "ReduceSum": {1}, "ReduceMax": {1}, "ReduceMin": {1},
    "ReduceProd": {1}, "ReduceL1": {1}, "ReduceL2": {1}, "ReduceSumSquare": {1},
    "ReduceLogSum": {1}, "ReduceLogSumExp": {1}, "Dropout": {1, 2}, "Tile": {1}, "Trilu": {1},
    "OneHot": {1}, "CumSum": {1}, "TopK": {1}, "MaxUnpool": {2},
    # Recurrent layers unroll over the sequence: its lengths fix the steps.
    "LSTM": {4}, "GRU": {4}, "RNN": {4},
    # Quantization parameters become !quant.uniform types, which need them
    # known at compile time (run-time parameters import as arithmetic).
    "QuantizeLinear": {1, 2}, "DequantizeLinear": {1, 2},
    "QLinearConv": {1, 2, 4, 5, 6, 7}, "QLinearMatMul": {1, 2, 4, 5, 6, 7},
    "ConvInteger": {2, 3}, "MatMulInteger": {2, 3},
}

# Tests whose expected outputs contradict ONNX Runtime, where QOpt follows ONNX
# Runtime because the models users bring need its reading; these are compared
# with ONNX Runtime's outputs on the same inputs instead. Keep it small and say why.
ORT_ORACLE = {
    "test_maxunpool_export_with_output_shape":
        "MaxUnpool with an output_shape larger than the default: the test data reads the "
        "indices in the default (pooled-input) shape and pads; ONNX Runtime and PyTorch, "
        "whose exports carry output_shape for odd sizes (SegNet at 360x480), read them in "
        "output_shape's own space",
}


def ort_expected(test_dir, model, inputs, in_names):
    """ONNX Runtime's outputs for the test's inputs (ORT_ORACLE tests)."""
    import onnxruntime  # only these tests need it

    sess = onnxruntime.InferenceSession(os.path.join(test_dir, "model.onnx"),
                                        providers=["CPUExecutionProvider"])
    feeds = {in_names[i]: load_tensor(pb) for i, pb in enumerate(inputs)}
    return sess.run(None, feeds)


def frozen_inputs(model, in_names):
    """Graph inputs consumed at a parameter position of some node."""
    graph_inputs = set(in_names)
    frozen = set()
    for node in model.graph.node:
        for pos in PARAMETER_INPUTS.get(node.op_type, ()):
            if pos < len(node.input) and node.input[pos] in graph_inputs:
                frozen.add(node.input[pos])
    return frozen


def run_test(test_dir, args):
    name = os.path.basename(test_dir)
    start = time.monotonic()
    op, problem, model = inspect_test(test_dir)

    def done(status, reason="", unsupported=None):
        return Result(name, op, status, reason, unsupported, time.monotonic() - start)

    if problem:
        return done("unsupported", "driver: " + problem, "driver: " + problem)

    datasets = sorted(glob.glob(os.path.join(test_dir, "test_data_set_*")))
    if not datasets:
        return done("unsupported", "driver: no test_data_set", "driver: no test data")

    inits = {i.name for i in model.graph.initializer}
    in_names = [vi.name for vi in model.graph.input if vi.name not in inits]
    out_names = [vi.name for vi in model.graph.output]
    rtol, atol, _ = tolerance_for(name)
    frozen = frozen_inputs(model, in_names)

    if args.workdir:
        work = os.path.join(args.workdir, name)
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        cleanup = None
    else:
        cleanup = tempfile.TemporaryDirectory(prefix="qopt-conf-")
        work = cleanup.name
    try:
        for ds_i, ds in enumerate(datasets):
            ds_work = os.path.join(work, os.path.basename(ds))
            out_dir = os.path.join(ds_work, "out")
            os.makedirs(out_dir)
            inputs, expected = pb_files(ds, "input"), pb_files(ds, "output")
            if len(inputs) > len(in_names) or len(expected) > len(out_names):
                return done("unsupported", "driver: more .pb files than graph inputs/outputs",
                            "driver: data/graph arity mismatch")
            cmd = [args.qopt_ref, os.path.join(test_dir, "model.onnx")] + args.engine_args
            try:
                for i, pb in enumerate(inputs):
                    f = os.path.join(ds_work, "input_%d.npy" % i)
                    np.save(f, load_tensor(pb), allow_pickle=False)
                    cmd += ["--input", "%s=%s" % (in_names[i], f)]
                    if in_names[i] in frozen:
                        cmd += ["--freeze", in_names[i]]
                refs = [load_tensor(pb) for pb in expected]
                if name in ORT_ORACLE:
                    refs = ort_expected(test_dir, model, inputs, in_names)[:len(refs)]
            except Exception as e:  # noqa: BLE001
                msg = "driver: cannot convert test data: %s" % first_line(str(e))[:200]
                return done("unsupported", msg, "driver: unconvertible test data")
            cmd += ["--output-dir", out_dir]
            if args.verbose:
                with _print_lock:
                    print("  $ " + " ".join(cmd), flush=True)
            try:
                proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                                      text=True, errors="replace", timeout=args.timeout)
            except subprocess.TimeoutExpired:
                return done("crashed", "timeout (%gs)" % args.timeout)
            except OSError as e:
                return done("failed", "cannot execute qopt-ref: %s" % e)
            stderr = proc.stderr or ""
            if proc.returncode < 0:
                sig = -proc.returncode
                try:
                    signame = signal.Signals(sig).name
                except (ValueError, AttributeError):
                    signame = "signal %d" % sig
                detail = first_line(stderr)
                return done("crashed", "killed by %s%s" % (signame, (": " + detail[:200]) if detail else ""))
            if proc.returncode != 0:
                if proc.returncode == 1 and UNSUPPORTED_WORD.search(stderr):
                    m = UNSUPPORTED_OP.search(stderr)
                    line = next((l.strip() for l in stderr.splitlines() if UNSUPPORTED_WORD.search(l)), "")
                    what = m.group(1) if m else (line or first_line(stderr))
                    return done("unsupported", line[:300], what[:200])
                detail = first_line(stderr) or first_line(proc.stdout or "")
                return done("failed", "exit %d: %s" % (proc.returncode, detail[:300]))
            for i, ref in enumerate(refs):
                oname = out_names[i]
                f = os.path.join(out_dir, sanitize(oname) + ".npy")
                if not os.path.exists(f):
                    return done("failed", "missing output '%s' (%s)" % (oname, os.path.basename(f)))
                try:
                    got = np.load(f, allow_pickle=False)
                except Exception as e:  # noqa: BLE001
                    return done("failed", "unreadable output '%s': %s" % (oname, first_line(str(e))[:200]))
                err = compare(got, ref, rtol, atol)
                if err:
                    where = "output %d '%s'" % (i, oname)
                    if len(datasets) > 1:
                        where += " (data set %d)" % ds_i
                    return done("failed", "%s: %s" % (where, err))
        return done("passed")
    finally:
        if cleanup is not None:
            cleanup.cleanup()


_print_lock = threading.Lock()


# ----------------------------------------------------------------- reporting

def summarize(results):
    totals = collections.Counter(r.status for r in results)
    per_op = collections.OrderedDict()
    for r in sorted(results, key=lambda r: r.op.lower()):
        per_op.setdefault(r.op, collections.Counter())[r.status] += 1
    return totals, per_op


def summary_line(totals, n):
    return "conformance: %d passed, %d failed, %d crashed, %d unsupported (of %d)" % (
        totals["passed"], totals["failed"], totals["crashed"], totals["unsupported"], n)


def text_table(per_op):
    width = max([len(op) for op in per_op] + [len("op")])
    lines = ["%-*s %7s %7s %8s %12s" % (width, "op", "passed", "failed", "crashed", "unsupported")]
    for op, c in per_op.items():
        lines.append("%-*s %7d %7d %8d %12d" % (width, op, c["passed"], c["failed"], c["crashed"], c["unsupported"]))
    return "\n".join(lines)


def unsupported_counts(results):
    c = collections.Counter(r.unsupported or r.reason for r in results if r.status == "unsupported")
    return sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))


def md_escape(s):
    return s.replace("|", "\\|").replace("\n", " ")


def write_markdown(path, results, args, totals, per_op, elapsed):
    now = datetime.datetime.now().astimezone()
    uname = platform.uname()
    lines = [
        "# ONNX node-test conformance of qopt-ref",
        "",
        "- date: %s" % now.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "- machine: %s %s (%s), %s, Python %s, onnx %s, numpy %s" % (
            uname.system, uname.release, uname.machine, uname.node,
            platform.python_version(), onnx.__version__, np.__version__),
        "- test data: `%s`%s" % (args.data, (" (filter `%s`)" % args.filter) if args.filter else ""),
        "- engine: `qopt-ref %s`" % " ".join(args.engine_args or ["--engine", "reference"]),
        "- default tolerance: rtol=%g, atol=%g (bool/integer outputs compared exactly)" % (DEFAULT_RTOL, DEFAULT_ATOL),
        "- run time: %.1f s with %d jobs" % (elapsed, args.jobs),
        "",
        "## Totals",
        "",
        "| passed | failed | crashed | unsupported | total |",
        "|---:|---:|---:|---:|---:|",
        "| %d | %d | %d | %d | %d |" % (totals["passed"], totals["failed"], totals["crashed"],
                                       totals["unsupported"], len(results)),
        "",
        "## Per op type",
        "",
        "| op | passed | failed | crashed | unsupported |",
        "|---|---:|---:|---:|---:|",
    ]
    for op, c in per_op.items():
        lines.append("| %s | %d | %d | %d | %d |" % (md_escape(op), c["passed"], c["failed"], c["crashed"], c["unsupported"]))
    lines += ["", "## Failed and crashed tests", ""]
    bad = sorted((r for r in results if r.status in ("failed", "crashed")), key=lambda r: r.name)
    if bad:
        lines += ["| test | op | status | reason |", "|---|---|---|---|"]
        for r in bad:
            lines.append("| %s | %s | %s | %s |" % (r.name, md_escape(r.op), r.status, md_escape(r.reason)))
    else:
        lines.append("None.")
    lines += ["", "## Unsupported", "",
              "Unsupported op types (or, where no op is named, the first line of the message) and how many tests each rejects.",
              ""]
    uc = unsupported_counts(results)
    if uc:
        lines += ["| unsupported | tests |", "|---|---:|"]
        for what, n in uc:
            lines.append("| %s | %d |" % (md_escape(what), n))
    else:
        lines.append("None.")
    lines += ["", "## Compared with ONNX Runtime instead of the test data", ""]
    for test, why in sorted(ORT_ORACLE.items()):
        lines.append("- `%s`: %s." % (test, md_escape(why)))
    lines += ["", "## Tolerance overrides", ""]
    if TOLERANCES:
        lines += ["| test (regex) | rtol | atol | why |", "|---|---:|---:|---|"]
        for pat, (rtol, atol, why) in sorted(TOLERANCES.items()):
            lines.append("| `%s` | %g | %g | %s |" % (pat, rtol, atol, md_escape(why)))
    else:
        lines.append("None: every test uses rtol=%g, atol=%g." % (DEFAULT_RTOL, DEFAULT_ATOL))
    lines.append("")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines))


# ---------------------------------------------------------------------- main

def parse_args(argv):
    p = argparse.ArgumentParser(description="Run the ONNX node tests through qopt-ref.")
    p.add_argument("--qopt-ref", help="path to the qopt-ref executable (required unless --list)")
    p.add_argument("--data", default=DEFAULT_DATA, help="ONNX node test directory (default: %(default)s)")
    p.add_argument("--jobs", type=int, default=2, help="parallel tests (default: %(default)s)")
    p.add_argument("--timeout", type=float, default=60, help="seconds per qopt-ref run (default: %(default)s)")
    p.add_argument("--filter", help="only tests whose name matches this regex (re.search)")
    p.add_argument("--markdown", help="write a markdown report here (e.g. docs/conformance.md)")
    p.add_argument("--baseline", help="baseline JSON ({\"min_passed\": N, \"supported_ops\": [...]}); "
                   "default: baseline.json next to this script")
    p.add_argument("--update-baseline", action="store_true",
                   help="rewrite the baseline with the current pass count and supported ops")
    p.add_argument("--workdir", help="keep per-test files (npy inputs, outputs) under this directory")
    p.add_argument("--verbose", "-v", action="store_true", help="print each test's result and command")
    p.add_argument("--engine", default="reference",
                   help="qopt-ref --engine: reference (default), or linalg-cpu to run every test "
                        "through the GPU lowering (qopt-lower-to-linalg) compiled for this CPU")
    p.add_argument("--layout", help="with --engine linalg-cpu: qopt-ref --layout (nchw, nhwc, auto)")
    p.add_argument("--list", action="store_true",
                   help="do not run anything: print each test's op and whether the driver can feed it")
    args = p.parse_args(argv)
    if not args.list and not args.qopt_ref:
        p.error("--qopt-ref is required")
    if args.jobs < 1:
        p.error("--jobs must be >= 1")
    args.engine_args = []
    if args.engine != "reference":
        args.engine_args = ["--engine", args.engine]
        if args.layout:
            args.engine_args += ["--layout", args.layout]
    elif args.layout:
        p.error("--layout needs --engine linalg-cpu")
    if args.baseline is None:
        args.baseline = os.path.join(os.path.dirname(os.path.abspath(__file__)), "baseline.json")
    if args.update_baseline and args.filter:
        p.error("--update-baseline needs the full suite (no --filter)")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if not os.path.isdir(args.data):
        print("error: test data directory not found: %s" % args.data, file=sys.stderr)
        return 2
    tests = sorted(d for d in glob.glob(os.path.join(args.data, "*")) if os.path.isdir(d))
    if args.filter:
        rx = re.compile(args.filter)
        tests = [t for t in tests if rx.search(os.path.basename(t))]
    if not tests:
        print("error: no tests selected", file=sys.stderr)
        return 2

    if args.list:
        for t in tests:
            op, problem, _ = inspect_test(t)
            print("%s\t%s\t%s" % (os.path.basename(t), op, problem or "ok"))
        return 0

    qopt_ref = shutil.which(args.qopt_ref) or args.qopt_ref
    if not (os.path.isfile(qopt_ref) and os.access(qopt_ref, os.X_OK)):
        print("error: qopt-ref not found or not executable: %s" % args.qopt_ref, file=sys.stderr)
        return 2
    args.qopt_ref = os.path.abspath(qopt_ref)
    if args.workdir:
        args.workdir = os.path.abspath(args.workdir)
        os.makedirs(args.workdir, exist_ok=True)

    start = time.monotonic()
    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(run_test, t, args): t for t in tests}
        for fut in concurrent.futures.as_completed(futures):
            t = futures[fut]
            try:
                r = fut.result()
            except Exception as e:  # noqa: BLE001 - a driver bug must not hide the other results
                r = Result(os.path.basename(t), "(driver error)", "failed",
                           "driver error: %s: %s" % (type(e).__name__, e))
            results.append(r)
            if args.verbose:
                with _print_lock:
                    print("%-11s %-55s %s" % (r.status.upper(), r.name, r.reason), flush=True)
    elapsed = time.monotonic() - start
    results.sort(key=lambda r: r.name)

    totals, per_op = summarize(results)
    print(text_table(per_op))
    print()
    for r in results:
        if r.status in ("failed", "crashed"):
            print("%s %s [%s]: %s" % (r.status.upper(), r.name, r.op, r.reason))
    print(summary_line(totals, len(results)))

    if args.markdown:
        write_markdown(args.markdown, results, args, totals, per_op, elapsed)
        print("wrote %s" % args.markdown)

    # ------------------------------------------------------------ gating
    supported_ops = sorted(op for op, c in per_op.items() if c["passed"] > 0)
    problems = []
    if totals["crashed"]:
        problems.append("%d test(s) crashed" % totals["crashed"])
    if totals["failed"]:
        problems.append("%d test(s) failed (an op must be either rejected as unsupported or right)" % totals["failed"])

    if args.update_baseline:
        with open(args.baseline, "w") as f:
            json.dump({"min_passed": totals["passed"], "supported_ops": supported_ops}, f, indent=2)
            f.write("\n")
        print("updated %s: min_passed=%d, %d supported ops" % (args.baseline, totals["passed"], len(supported_ops)))
    elif os.path.exists(args.baseline):
        with open(args.baseline) as f:
            baseline = json.load(f)
        min_passed = int(baseline.get("min_passed", 0))
        lost = sorted(set(baseline.get("supported_ops", [])) - set(supported_ops))
        if args.filter:
            print("note: --filter given, not comparing with baseline min_passed=%d" % min_passed)
        else:
            if totals["passed"] < min_passed:
                problems.append("%d passed < baseline min_passed %d" % (totals["passed"], min_passed))
            if lost:
                print("warning: ops supported in the baseline without a passing test now: %s" % ", ".join(lost))
            if totals["passed"] > min_passed:
                print("note: %d passed > baseline %d; consider --update-baseline" % (totals["passed"], min_passed))
    else:
        print("note: no baseline at %s" % args.baseline)

    if problems:
        for p in problems:
            print("FAIL: " + p)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
