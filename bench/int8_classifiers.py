#!/usr/bin/env python3
"""int8 against fp32 on the generated ResNet-50 and MobileNetV2 (scripts/make_models.py).

usage: int8_classifiers.py WORK_DIR [--calib 32] [--eval 32] [--methods minmax,percentile,...]
                           [--models resnet50,mobilenetv2] [--json out.json]

The models have random (seeded) weights, so there are no labels to be right about: the
numbers are the agreement of QOpt's int8 program with its own fp32 model on held-out inputs,
top-1 agreement of the logits and their SQNR, from `qopt-compile --report` with
`--eval-data` (the calibration set and the evaluation set are disjoint). Inputs are
"structured noise" (8x8-block noise plus fine noise, N(0,1)-scaled) so that logits are not
flat as they are on white noise.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("QOPT_BIN", os.path.join(ROOT, "build", "bin"))
PY = sys.executable


def structured(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.standard_normal((n, 3, 28, 28))
    return (np.kron(small, np.ones((1, 1, 8, 8))) +
            0.3 * rng.standard_normal((n, 3, 224, 224))).astype(np.float32)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("work")
    ap.add_argument("--calib", type=int, default=32)
    ap.add_argument("--eval", type=int, default=32)
    ap.add_argument("--methods", default="minmax,percentile,entropy,mse")
    ap.add_argument("--models", default="resnet50,mobilenetv2")
    ap.add_argument("--json")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    subprocess.run([PY, os.path.join(ROOT, "scripts", "make_models.py"), args.work], check=True,
                   capture_output=True)
    np.save(os.path.join(args.work, "calib.npy"), structured(args.calib, 1))
    np.save(os.path.join(args.work, "eval.npy"), structured(args.eval, 2))
    rows = []
    for model in args.models.split(","):
        cache = os.path.join(args.work, f"{model}.calib.json")
        for method in args.methods.split(","):
            report = os.path.join(args.work, f"{model}-{method}.json")
            start = time.perf_counter()
            calib = (["--calib-cache", cache, "--calib-data", os.path.join(args.work, "calib.npy")]
                     if not os.path.exists(cache) else ["--calib-cache", cache])
            r = subprocess.run([f"{BIN}/qopt-compile", os.path.join(args.work, f"{model}.onnx"),
                                "--input-shape", "input=1x3x224x224", "--precision", "int8",
                                "--calibration", method, *calib,
                                "--eval-data", os.path.join(args.work, "eval.npy"),
                                "--report", report, "--report-samples", str(args.eval),
                                "-o", os.path.join(args.work, f"{model}-{method}.mlirbc"),
                                "--emit-bytecode"], capture_output=True, text=True)
            if r.returncode:
                raise SystemExit(f"{model} {method}: {r.stderr[-2000:]}")
            rep = json.load(open(report))
            out = rep["outputs"][0]
            rows.append({"model": model, "method": method, "sqnr_db": out["sqnr_db"],
                         "top1_agreement": out.get("top1_agreement"),
                         "int8_layers": rep["layer_counts"]["int8"],
                         "float_layers": rep["layer_counts"]["float"],
                         "size_ratio": rep["size"]["ratio"],
                         "seconds": time.perf_counter() - start})
            print(f"{model} {method}: SQNR {out['sqnr_db']:.1f} dB, top-1 agreement "
                  f"{100 * out['top1_agreement']:.1f}% ({time.perf_counter() - start:.0f} s)",
                  flush=True)
    print(f"\n| model | calibration | logits SQNR (dB) | top-1 agreement (n={args.eval}) | "
          "int8 / float layers | constants fp32/int8 |")
    print("|---|---|---:|---:|---|---:|")
    for r in rows:
        print(f"| {r['model']} | {r['method']} | {r['sqnr_db']:.1f} | "
              f"{100 * r['top1_agreement']:.1f}% | {r['int8_layers']} / {r['float_layers']} | "
              f"{r['size_ratio']:.2f}x |")
    if args.json:
        json.dump(rows, open(args.json, "w"), indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
