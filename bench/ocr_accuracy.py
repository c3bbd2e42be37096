#!/usr/bin/env python3
"""Accuracy of the PaddleOCR rec and cls models, fp32 against int8, on bench/ocr_dataset.py data.

usage: ocr_accuracy.py DATA_DIR [--work DIR] [--backends ort-fp32,ort-dynamic,...]
                       [--tasks rec,cls] [--batch 16] [--calib-batch 8] [--threads 1]
                       [--json out.json]

Metrics (on the held-out evaluation set; the calibration set is used only to quantize):
  rec  line accuracy: decoded string == ground truth, exactly, spaces removed from both
       (PaddleOCR's RecMetric, ignore_space=True; the model tends to read a crop's margin
       as a leading or trailing space); the JSON also has line_acc_with_spaces;
       char accuracy: 1 - sum(edit distance) / sum(len(ground truth)), spaces removed;
       decoding is rapidocr_onnxruntime 1.4.4's CTCLabelDecode (argmax per time step,
       merge repeats, drop the blank; classes = ["blank"] + dictionary + [" "], the
       dictionary read from the rec model's "character" metadata).
  cls  accuracy of argmax (0 upright, 1 rotated 180 degrees); "mean abs dp": mean
       |p(rotated) - p_fp32(rotated)|, the shift of the softmax output that rapidocr
       compares with its cls_thresh of 0.9.
  "= fp32": share of samples where the backend's decoded string (rec, spaces removed) or
       class (cls) is the same as ort-fp32's, which isolates the quantization error from
       the model's own errors.

Backends (all on onnxruntime's CPUExecutionProvider, intra_op_num_threads = --threads):
  ort-fp32               the model as shipped.
  ort-static-minmax      onnxruntime.quantization.quantize_static, QDQ format,
  ort-static-percentile  per_channel=True, activations QInt8 (asymmetric) and weights QInt8
  ort-static-entropy     (symmetric): onnxruntime 1.23's defaults. Calibration data: the
                         calibration set through a CalibrationDataReader, collected
                         --calib-batch samples at a time (CalibStridedMinMax).
                         percentile: CalibPercentile=99.99 (QOpt's default; ORT's is
                         99.999), on ORT's 2048-bin |x| histogram, range symmetric.
                         entropy: 2048 histogram bins, 128 quantized bins (TensorRT's and
                         QOpt's setting). quantize_static does not forward num_bins, and
                         with ORT's defaults (128 bins, all data histogrammed at once) the
                         KL search has a single candidate, the full range: every scale and
                         zero point comes out identical to minmax's (checked on rec). So
                         create_calibrator is wrapped to pass 2048. The KL
                         search is pure Python: this row takes most of the run time.
                         ORT has no MSE calibration, so there is no ort-static-mse row.
  ort-static-minmax-convmatmul
                         opt-in: ort-static-minmax with op_types_to_quantize = Conv,
                         MatMul, Gemm (ORT's default also quantizes Add, Mul, Div, Sigmoid,
                         Softmax, the LayerNorm decomposition, ...).
  ort-dynamic            onnxruntime.quantization.quantize_dynamic, per_channel=True,
                         weights QUInt8 (ORT's CPU provider has no ConvInteger kernel for
                         QInt8 weights: NOT_IMPLEMENTED), activations quantized to uint8
                         per tensor and per batch at run time (DynamicQuantizeLinear).
The models are first converted to opset 13 (onnx.version_converter; rec is opset 12 and cls
11, and per-channel DequantizeLinear needs 13), then go through
onnxruntime.quantization.quant_pre_process (ORT's basic graph
optimizations and ONNX shape inference; skip_symbolic_shape=True, as symbolic shape
inference gives up on the rec model), as ORT recommends before quantizing.
Quantized models are cached in --work (default DATA_DIR/work), keyed by the calibration
data and settings.

Adding a backend: write a factory `def make_foo(ctx: BackendContext) -> Runner` where
Runner maps an NCHW float32 batch (np.ndarray) to the model's first output (np.ndarray),
and register it with `@backend("foo")`. The context gives the task ("rec"/"cls"), the
fp32 ONNX path, the ONNX input name, the calibration set as one array and the per-sample .npy
calibration folder written by ocr_dataset.py (DATA_DIR/{task}_calib/<input>/NNNN.npy),
a work directory and the thread count. A compiler backend (for example QOpt's int8 path)
compiles ctx.model_path with ctx.calib_dir in its factory and returns a runner that
writes the batch to an .npy file, runs the compiled model in a subprocess and loads the
output .npy; evaluation and the table pick it up from the registry with no other change.
"""
from __future__ import annotations

import os

# One BLAS thread for numpy's histograms and argmaxes: the machine may be shared.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import datetime  # noqa: E402
import hashlib  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from typing import Callable  # noqa: E402

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import paddleocr_models  # noqa: E402

Runner = Callable[[np.ndarray], np.ndarray]


@dataclasses.dataclass
class BackendContext:
    task: str  # "rec" or "cls"
    model_path: str  # fp32 ONNX model
    input_name: str
    calib: np.ndarray  # [N, 3, 48, W] float32, the calibration set
    calib_dir: str  # DATA_DIR/{task}_calib/<input_name>/NNNN.npy, one sample per file
    calib_hash: str  # sha256 of the calibration batch, for caches
    work_dir: str
    threads: int
    batch: int  # evaluation batch
    calib_batch: int  # calibration batch (ORT collects one at a time)


BACKENDS: dict[str, Callable[[BackendContext], Runner]] = {}


def backend(name):
    def register(factory):
        BACKENDS[name] = factory
        return factory
    return register


# --- onnxruntime -------------------------------------------------------------------------

def ort_session(path, threads):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def ort_runner(path, threads) -> Runner:
    session = ort_session(path, threads)
    name = session.get_inputs()[0].name
    return lambda x: session.run(None, {name: x})[0]


def cached_model(ctx, tag, settings, build) -> str:
    """ctx.work_dir/{task}-{tag}.onnx, rebuilt with build(path) when the key changes."""
    path = os.path.join(ctx.work_dir, f"{ctx.task}-{tag}.onnx")
    key = json.dumps({"model": ctx.model_path, "calib": ctx.calib_hash,
                      "ort": ort.__version__, **settings}, sort_keys=True)
    stamp = path + ".key"
    if os.path.isfile(path) and os.path.isfile(stamp) and open(stamp).read() == key:
        return path
    start = time.perf_counter()
    build(path)
    with open(stamp, "w") as f:
        f.write(key)
    print(f"  {ctx.task}: built {os.path.basename(path)} in {time.perf_counter() - start:.0f} s",
          flush=True)
    return path


QDQ_MIN_OPSET = 13  # DequantizeLinear's axis (per-channel weights) came with opset 13


def preprocessed_model(ctx) -> str:
    import onnx
    from onnx import version_converter
    from onnxruntime.quantization.shape_inference import quant_pre_process

    def build(out):
        model = onnx.load(ctx.model_path)
        opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
        src = ctx.model_path
        if opset < QDQ_MIN_OPSET:  # rec is opset 12, cls 11
            src = out + ".opset.onnx"
            onnx.save(version_converter.convert_version(model, QDQ_MIN_OPSET), src)
        # Symbolic shape inference gives up on the rec model ("Incomplete symbolic shape
        # inference"); ONNX shape inference and the ORT optimization step still run.
        quant_pre_process(src, out, skip_symbolic_shape=True)
        if src != ctx.model_path:
            os.remove(src)

    return cached_model(ctx, "preprocessed",
                        {"step": "quant_pre_process", "skip_symbolic_shape": True,
                         "min_opset": QDQ_MIN_OPSET}, build)


def limit_calibration_threads(threads):
    """ORT's calibrator opens its own session with default (all-core) threading."""
    calibrate = importlib.import_module("onnxruntime.quantization.calibrate")

    def create_inference_session(self):
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        self.infer_session = ort.InferenceSession(self.augmented_model_path, sess_options=so,
                                                  providers=self.execution_providers)

    calibrate.CalibraterBase.create_inference_session = create_inference_session


class BatchReader:
    """onnxruntime.quantization.CalibrationDataReader over an array, in batches.

    Its length and set_range count batches: quantize_static's CalibStridedMinMax=k
    collects k batches at a time (any calibration method, despite the name).
    """

    def __init__(self, name, x, batch):
        self.name, self.x, self.batch = name, x, batch
        self.pos, self.end = 0, len(self)

    def get_next(self):
        if self.pos >= self.end:
            return None
        chunk = self.x[self.pos * self.batch:(self.pos + 1) * self.batch]
        self.pos += 1
        return {self.name: chunk}

    def __len__(self):
        return (len(self.x) + self.batch - 1) // self.batch

    def set_range(self, start_index, end_index):
        self.pos, self.end = start_index, min(end_index, len(self))


# ORT keeps every intermediate tensor of the calibration data it collects in one go (14 GB
# peak for 64 rec samples); one batch (--calib-batch) at a time bounds that. MinMax ranges
# are the same either way; the histograms are merged on the first batch's bin width (ORT's
# own merge).
CALIB_CHUNK = {"CalibStridedMinMax": 1}

STATIC_METHODS = {
    # name: (CalibrationMethod attribute, quantize_static extra_options, calibrator options)
    "minmax": ("MinMax", {}, {}),
    "percentile": ("Percentile", {"CalibPercentile": 99.99}, {}),
    "entropy": ("Entropy", {}, {"num_bins": 2048, "num_quantized_bins": 128}),
}


def quantize_static_ort(ctx, method, out, op_types=None):
    from onnxruntime.quantization import (CalibrationMethod, QuantFormat, QuantType,
                                          quantize_static)

    # The module, not the function onnxruntime.quantization.quantize.
    quantize = importlib.import_module("onnxruntime.quantization.quantize")

    attr, extra, calib_options = STATIC_METHODS[method]
    limit_calibration_threads(ctx.threads)
    original = quantize.create_calibrator

    def create_calibrator(*args, extra_options=None, **kwargs):
        return original(*args, extra_options={**(extra_options or {}), **calib_options},
                        **kwargs)

    quantize.create_calibrator = create_calibrator
    try:
        quantize_static(preprocessed_model(ctx), out,
                        BatchReader(ctx.input_name, ctx.calib, ctx.calib_batch),
                        quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                        calibrate_method=getattr(CalibrationMethod, attr),
                        op_types_to_quantize=op_types, extra_options={**extra, **CALIB_CHUNK})
    finally:
        quantize.create_calibrator = original


@backend("ort-fp32")
def make_ort_fp32(ctx):
    return ort_runner(ctx.model_path, ctx.threads)


def make_ort_static(method, tag, op_types=None):
    def factory(ctx):
        settings = {"quantize": "static", "method": method, "format": "QDQ",
                    "per_channel": True, "activations": "QInt8", "weights": "QInt8",
                    "calib_batch": ctx.calib_batch, "op_types": op_types, **CALIB_CHUNK,
                    **STATIC_METHODS[method][1],
                    **STATIC_METHODS[method][2]}
        path = cached_model(ctx, tag, settings,
                            lambda out: quantize_static_ort(ctx, method, out, op_types))
        return ort_runner(path, ctx.threads)
    return factory


for _method in STATIC_METHODS:
    backend(f"ort-static-{_method}")(make_ort_static(_method, f"ort-static-{_method}"))


@backend("ort-dynamic")
def make_ort_dynamic(ctx):
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # QUInt8: ORT's CPU provider has no ConvInteger kernel for int8 weights
    # ("Could not find an implementation for ConvInteger(10)").
    settings = {"quantize": "dynamic", "per_channel": True, "weights": "QUInt8"}
    path = cached_model(ctx, "ort-dynamic", settings,
                        lambda out: quantize_dynamic(preprocessed_model(ctx), out,
                                                     per_channel=True,
                                                     weight_type=QuantType.QUInt8))
    return ort_runner(path, ctx.threads)


# Opt-in (not in the default run): minmax with only the weight-carrying ops quantized,
# which separates the error of the convolutions and matrix products from that of the
# quantized elementwise, normalization and softmax ops ORT adds by default.
backend("ort-static-minmax-convmatmul")(
    make_ort_static("minmax", "ort-static-minmax-convmatmul", ["Conv", "MatMul", "Gemm"]))

# --- QOpt --------------------------------------------------------------------------------
# qopt-compile turns the fp32 model into qnn IR (graph-optimized fp32, static int8 or
# dynamic int8) and qopt-ref runs it on the CPU reference executor, the bit-exact oracle of
# the integer program. Calibration statistics are collected once per task at batch 1 from
# the per-sample .npy folder into a QOpt calibration cache; every method and the evaluation
# batch size reuse that cache (tensor names do not depend on the batch).

QOPT_BIN = os.environ.get("QOPT_BIN", os.path.join(ROOT, "build", "bin"))


def qopt_run(cmd):
    import subprocess
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{r.stderr[-2000:]}")
    return r


def qopt_build_tag():
    """Compiled modules and caches are only valid for the compiler that wrote them."""
    st = os.stat(f"{QOPT_BIN}/qopt-compile")
    return hashlib.sha256(f"{st.st_mtime_ns}:{st.st_size}".encode()).hexdigest()[:8]


def qopt_shape(ctx, batch):
    return f"{ctx.input_name}={'x'.join(str(v) for v in (batch, *ctx.calib.shape[1:]))}"


def qopt_calibration_cache(ctx):
    cache = os.path.join(ctx.work_dir,
                         f"qopt-{ctx.task}-{ctx.calib_hash[:16]}-{qopt_build_tag()}.calib.json")
    if not os.path.exists(cache):
        qopt_run([f"{QOPT_BIN}/qopt-compile", ctx.model_path, "--input-shape", qopt_shape(ctx, 1),
                  "--precision", "int8", "--calib-data", ctx.calib_dir, "--calib-cache", cache,
                  "-o", os.devnull])
    return cache


class QOptRunner:
    """Runs a compiled module at a fixed batch; run_all keeps two qopt-ref processes busy
    (the integer reference kernels are single-threaded)."""

    def __init__(self, module, ctx):
        self.module, self.ctx, self.batch = module, ctx, ctx.batch
        self.tmp = os.path.join(ctx.work_dir, "qopt-io")
        os.makedirs(self.tmp, exist_ok=True)

    def __call__(self, x):
        import tempfile
        n = len(x)
        if n < self.batch:  # the module's batch is fixed: pad, then drop the padding
            x = np.concatenate([x, np.zeros((self.batch - n, *x.shape[1:]), x.dtype)])
        with tempfile.TemporaryDirectory(dir=self.tmp) as d:
            np.save(os.path.join(d, "x.npy"), x.astype(np.float32))
            qopt_run([f"{QOPT_BIN}/qopt-ref", self.module, "--input",
                      f"{self.ctx.input_name}={d}/x.npy", "--output-dir", os.path.join(d, "out"),
                      "--gemm-threads", "1"])
            outs = sorted(os.listdir(os.path.join(d, "out")))
            return np.load(os.path.join(d, "out", outs[0]))[:n]

    def run_all(self, x):
        from concurrent.futures import ThreadPoolExecutor
        chunks = [x[i:i + self.batch] for i in range(0, len(x), self.batch)]
        with ThreadPoolExecutor(max_workers=2) as pool:
            return np.concatenate(list(pool.map(self, chunks)))


def make_qopt(tag, args, needs_calibration):
    def factory(ctx):
        out = os.path.join(ctx.work_dir, f"qopt-{ctx.task}-{tag}-b{ctx.batch}-"
                                         f"{ctx.calib_hash[:16]}-{qopt_build_tag()}.mlirbc")
        if not os.path.exists(out):
            extra = ["--calib-cache", qopt_calibration_cache(ctx)] if needs_calibration else []
            qopt_run([f"{QOPT_BIN}/qopt-compile", ctx.model_path, "--input-shape",
                      qopt_shape(ctx, ctx.batch), *args, *extra, "--emit-bytecode", "-o", out])
        return QOptRunner(out, ctx)
    return factory


backend("qopt-fp32")(make_qopt("fp32", ["--precision", "fp32"], False))
for _method in ("minmax", "percentile", "entropy", "mse"):
    backend(f"qopt-int8-{_method}")(
        make_qopt(f"int8-{_method}", ["--precision", "int8", "--calibration", _method], True))
# Wider table inputs (see docs/quantization.md): 16-bit tables (64 KiB per layer).
backend("qopt-int8-mse-table16")(
    make_qopt("int8-mse-table16", ["--precision", "int8", "--calibration", "mse",
                                   "--table-input-bits", "16"], True))

# Mixed precision: --accuracy-budget keeps the layers that the sensitivity ranking (each
# layer alone in int8, on 8 calibration samples) finds most harmful in float until the
# output SQNR against the float model reaches the budget. The search runs at batch 1 on the
# calibration set; its choice (the report's kept_float_for_budget) is then compiled at the
# evaluation batch with --exclude.
def make_qopt_budget(db):
    def factory(ctx):
        report = os.path.join(ctx.work_dir, f"qopt-{ctx.task}-budget{db}-{ctx.calib_hash[:16]}-"
                                            f"{qopt_build_tag()}.json")
        if not os.path.exists(report):
            qopt_run([f"{QOPT_BIN}/qopt-compile", ctx.model_path, "--input-shape",
                      qopt_shape(ctx, 1), "--precision", "int8", "--calibration", "mse",
                      "--calib-data", ctx.calib_dir, "--accuracy-budget", str(db),
                      "--report", report, "-o", os.devnull])
        with open(report, encoding="utf-8") as f:
            kept = json.load(f)["kept_float_for_budget"]
        print(f"{ctx.task} qopt-int8-mse-budget{db}: {len(kept)} layers kept in float: "
              f"{', '.join(kept)}", flush=True)
        args = ["--precision", "int8", "--calibration", "mse"]
        if kept:
            args += ["--exclude", ",".join(kept)]
        return make_qopt(f"int8-mse-budget{db}", args, True)(ctx)
    return factory


for _db in (20, 25, 30):
    backend(f"qopt-int8-mse-budget{_db}")(make_qopt_budget(_db))
backend("qopt-int8-dynamic")(make_qopt("int8-dynamic", ["--precision", "int8-dynamic"], False))
backend("qopt-int8-dynamic-per-row")(
    make_qopt("int8-dynamic-per-row", ["--precision", "int8-dynamic", "--per-row"], False))


DEFAULT_BACKENDS = ["ort-fp32", "ort-static-minmax", "ort-static-percentile",
                    "ort-static-entropy", "ort-dynamic"]


# --- metrics -----------------------------------------------------------------------------

class CTCDecoder:
    """rapidocr_onnxruntime's CTCLabelDecode (is_remove_duplicate=True, blank = class 0)."""

    def __init__(self, model_path):
        import onnx

        text, source = paddleocr_models.character_dict(onnx.load(model_path,
                                                                 load_external_data=False))
        if text is None:
            raise SystemExit("ocr_accuracy: the rec model's character dictionary was not found")
        self.character = ["blank"] + text.splitlines() + [" "]

    def __call__(self, preds: np.ndarray) -> list[str]:
        if preds.shape[-1] != len(self.character):
            raise SystemExit(f"ocr_accuracy: rec output has {preds.shape[-1]} classes, the "
                             f"dictionary {len(self.character)}")
        out = []
        for idx in preds.argmax(axis=2):
            keep = np.ones(len(idx), dtype=bool)
            keep[1:] = idx[1:] != idx[:-1]
            keep &= idx != 0
            out.append("".join(self.character[i] for i in idx[keep]))
        return out


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def run_batches(runner, x, batch):
    if hasattr(runner, "run_all"):
        return runner.run_all(x)
    return np.concatenate([runner(np.ascontiguousarray(x[i:i + batch]))
                           for i in range(0, len(x), batch)])


def evaluate(task, runner, x, labels, batch, decoder):
    start = time.perf_counter()
    y = run_batches(runner, x, batch)
    seconds = time.perf_counter() - start
    if task == "rec":
        preds = decoder(y)
        # PaddleOCR's RecMetric (ignore_space=True): spaces do not count. The model often
        # reads the margin of a crop as a leading or trailing space.
        nospace = [(p.replace(" ", ""), t.replace(" ", "")) for p, t in zip(preds, labels)]
        dist = sum(edit_distance(p, t) for p, t in nospace)
        return {"line_acc": float(np.mean([p == t for p, t in nospace])),
                "char_acc": 1.0 - dist / sum(len(t) for _, t in nospace),
                "line_acc_with_spaces": float(np.mean([p == t for p, t in zip(preds, labels)])),
                "preds": preds, "seconds": seconds}
    preds = [int(v) for v in y.argmax(axis=1)]
    return {"acc": float(np.mean([p == t for p, t in zip(preds, labels)])),
            "preds": preds, "p_rotated": [float(v) for v in y[:, 1]], "seconds": seconds}


# --- driver ------------------------------------------------------------------------------

def load_split(data_dir, task, split):
    x = np.load(os.path.join(data_dir, f"{task}_{split}.npz"))["x"]
    with open(os.path.join(data_dir, f"{task}_{split}.json"), encoding="utf-8") as f:
        meta = json.load(f)
    if len(meta["labels"]) != len(x):
        raise SystemExit(f"ocr_accuracy: {task}_{split}: {len(x)} samples, "
                         f"{len(meta['labels'])} labels")
    return x, meta


def pct(v):
    return f"{100 * v:.1f}%" if v is not None else "-"


def markdown(results, tasks, sizes):
    head = ["backend"]
    if "rec" in tasks:
        head += [f"rec line acc (n={sizes['rec']})", "rec char acc", "rec = fp32"]
    if "cls" in tasks:
        head += [f"cls acc (n={sizes['cls']})", "cls = fp32", "cls mean abs dp"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    backends = list(dict.fromkeys(b for t in tasks for b in results[t]))
    for b in backends:
        row = [f"`{b}`"]
        if "rec" in tasks:
            r = results["rec"].get(b, {})
            row += [pct(r.get("line_acc")), pct(r.get("char_acc")), pct(r.get("same_as_fp32"))]
        if "cls" in tasks:
            r = results["cls"].get(b, {})
            dp = r.get("mean_abs_dp")
            row += [pct(r.get("acc")), pct(r.get("same_as_fp32")),
                    f"{dp:.4f}" if dp is not None else "-"]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", help="directory written by bench/ocr_dataset.py")
    ap.add_argument("--work", help="quantized models (default DATA/work)")
    ap.add_argument("--backends", default=",".join(DEFAULT_BACKENDS),
                    help=f"comma-separated, from {', '.join(BACKENDS)} "
                         f"(default {','.join(DEFAULT_BACKENDS)})")
    ap.add_argument("--tasks", default="rec,cls")
    ap.add_argument("--batch", type=int, default=16, help="evaluation batch")
    ap.add_argument("--calib-batch", type=int, default=8,
                    help="calibration batch; ORT holds every intermediate tensor of one batch")
    ap.add_argument("--threads", type=int, default=1, help="onnxruntime intra-op threads")
    ap.add_argument("--json", help="write the numbers (and every prediction) here")
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    names = [b for b in args.backends.split(",") if b]
    unknown = [b for b in names if b not in BACKENDS]
    if unknown:
        raise SystemExit(f"ocr_accuracy: unknown backend(s) {unknown}; known: {list(BACKENDS)}")
    if "ort-fp32" in names:  # first, so that the others can be compared with it
        names.remove("ort-fp32")
        names.insert(0, "ort-fp32")
    tasks = [t for t in args.tasks.split(",") if t]
    work = args.work or os.path.join(args.data, "work")
    os.makedirs(work, exist_ok=True)
    models = paddleocr_models.model_paths()
    results, sizes, timing = {}, {}, {}
    total = time.perf_counter()
    for task in tasks:
        calib, calib_meta = load_split(args.data, task, "calib")
        x, meta = load_split(args.data, task, "eval")
        labels = meta["labels"]
        sizes[task] = len(x)
        sizes[f"{task}_calib"] = len(calib)
        ctx = BackendContext(
            task=task, model_path=models[task], input_name=meta["input_name"], calib=calib,
            calib_dir=os.path.join(args.data, f"{task}_calib", meta["input_name"]),
            calib_hash=hashlib.sha256(calib.tobytes()).hexdigest(), work_dir=work,
            threads=args.threads, batch=args.batch, calib_batch=args.calib_batch)
        decoder = CTCDecoder(models[task]) if task == "rec" else None
        results[task] = {}
        for name in names:
            start = time.perf_counter()
            runner = BACKENDS[name](ctx)
            prepare = time.perf_counter() - start
            r = evaluate(task, runner, x, labels, args.batch, decoder)
            r["prepare_seconds"] = prepare
            fp32 = results[task].get("ort-fp32")
            if fp32 is not None:
                norm = (lambda p: p.replace(" ", "")) if task == "rec" else (lambda p: p)
                r["same_as_fp32"] = float(np.mean([norm(a) == norm(b) for a, b in
                                                   zip(r["preds"], fp32["preds"])]))
                if task == "cls":
                    r["mean_abs_dp"] = float(np.mean(np.abs(np.subtract(r["p_rotated"],
                                                                        fp32["p_rotated"]))))
            results[task][name] = r
            metric = (f"line {pct(r['line_acc'])} char {pct(r['char_acc'])}" if task == "rec"
                      else f"acc {pct(r['acc'])}")
            print(f"{task} {name}: {metric} (prepare {prepare:.0f} s, eval {r['seconds']:.0f} s)",
                  flush=True)
    print()
    print(markdown(results, tasks, sizes))
    print(f"\n{time.perf_counter() - total:.0f} s in all")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"date": datetime.date.today().isoformat(),
                       "machine": platform.machine(), "onnxruntime": ort.__version__,
                       "threads": args.threads, "sizes": sizes,
                       "results": results}, f, ensure_ascii=False, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
