#!/usr/bin/env python3
"""Benchmarks the CPU reference executor (qopt-ref) against onnxruntime.

Both run the same model on the same random input in the same invocation, with
the same number of threads, so the ratio is meaningful on a shared machine.
Prints a Markdown table (images/s, median latency) ready for
docs/performance.md.

usage: cpu_reference.py [--qopt-ref build/bin/qopt-ref] [--threads 2]
                        [--batches 1,8] [--runs 10] [--rounds 3] [--models resnet50,...]
"""
import argparse
import datetime
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def bench_ort(model, x, threads, runs):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    sess.run(None, {name: x})
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        sess.run(None, {name: x})
        times.append(time.perf_counter() - t)
    return float(np.median(times)) * 1e3


def bench_qopt(qopt_ref, model, xfile, threads, runs, input_name):
    cmd = [qopt_ref, model, "--input", "%s=%s" % (input_name, xfile), "--bench", str(runs),
           "--warmup", "1", "--gemm-threads", str(threads)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    m = re.search(r"p50 ([0-9.]+)", out)
    if not m:
        raise RuntimeError("unexpected qopt-ref output: " + out)
    return float(m.group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--qopt-ref", default=os.path.join(ROOT, "build", "bin", "qopt-ref"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--models", default="resnet50,mobilenetv2")
    ap.add_argument("--rounds", type=int, default=3,
                    help="alternate the two executors this many times and report the median "
                         "of the per-round medians (the machine's speed drifts)")
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()

    work = args.workdir or tempfile.mkdtemp(prefix="qopt-bench-")
    models = args.models.split(",")
    subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "make_models.py"), work,
                    "--only", ",".join(m for m in models if m != "bert")], check=True,
                   stdout=subprocess.DEVNULL)
    rows = []
    for model in models:
        path = os.path.join(work, model + ".onnx")
        for batch in [int(b) for b in args.batches.split(",")]:
            x = np.random.default_rng(0).standard_normal((batch, 3, 224, 224)).astype(np.float32)
            xfile = os.path.join(work, "x%d.npy" % batch)
            np.save(xfile, x)
            runs = max(3, args.runs // batch)
            ort_ms, ref_ms = [], []
            for _ in range(args.rounds):
                ort_ms.append(bench_ort(path, x, args.threads, runs))
                ref_ms.append(bench_qopt(args.qopt_ref, path, xfile, args.threads, runs, "input"))
            rows.append((model, batch, float(np.median(ref_ms)), float(np.median(ort_ms))))
    print("Machine: %s, %d cores visible, %d threads each; %s; onnxruntime %s; "
          "median of %d alternating rounds" %
          (cpu_name(), os.cpu_count(), args.threads, datetime.date.today().isoformat(),
           ort.__version__, args.rounds))
    print(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    print()
    print("| model | batch | qopt-ref ms | qopt-ref images/s | onnxruntime ms | onnxruntime images/s | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for model, batch, ref_ms, ort_ms in rows:
        print("| %s | %d | %.1f | %.1f | %.1f | %.1f | %.2fx |" %
              (model, batch, ref_ms, 1e3 * batch / ref_ms, ort_ms, 1e3 * batch / ort_ms,
               ort_ms / ref_ms))


if __name__ == "__main__":
    main()
