#!/usr/bin/env python3
"""fp32 vs fp16 vs int8 on ResNet-50 and MobileNetV2: accuracy, memory (and GPU speed when a GPU runs it).

usage: case_study.py WORK_DIR [--calib 32] [--eval 16] [--models resnet50,mobilenetv2]
                     [--json out.json]

For each model (scripts/make_models.py, seeded random weights) and precision:
  - accuracy: the program compiled at batch --eval runs on the reference executor over
    held-out structured-noise inputs (disjoint from the calibration inputs); logits are
    compared with the fp32 program's: SQNR, top-1 agreement, top-5 overlap;
  - memory: the batch-1 bundle for sm_90 and for sm_80/86/89/90 (file sizes), its weights and
    its activation arena (peak intermediate memory, planned by liveness), and the GPU memory
    a run needs (weights + arena + input + output).
Speed needs a GPU and the runtime: docs/case-study.md says where the numbers go.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from int8_classifiers import structured  # noqa: E402  (the same inputs as accuracy.md)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("QOPT_BIN", os.path.join(ROOT, "build", "bin"))
PY = sys.executable


def run(cmd: list[str]) -> str:
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(f"{' '.join(cmd)}:\n{r.stderr[-2000:]}")
    return r.stdout + r.stderr


def sqnr(ref: np.ndarray, got: np.ndarray) -> float:
    ref = ref.astype(np.float64)
    noise = ((got.astype(np.float64) - ref) ** 2).sum()
    return float("inf") if noise == 0 else float(10 * np.log10((ref ** 2).sum() / noise))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("work")
    ap.add_argument("--calib", type=int, default=32)
    ap.add_argument("--eval", type=int, default=16)
    ap.add_argument("--models", default="resnet50,mobilenetv2")
    ap.add_argument("--json")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    run([PY, os.path.join(ROOT, "scripts", "make_models.py"), a.work])
    calib = os.path.join(a.work, "calib.npy")
    np.save(calib, structured(a.calib, 1))
    x = os.path.join(a.work, "eval.npy")
    np.save(x, structured(a.eval, 2))
    rows = []
    for model in a.models.split(","):
        onnx = os.path.join(a.work, f"{model}.onnx")
        cache = os.path.join(a.work, f"{model}.calib.json")
        logits = {}
        for precision in ("fp32", "fp16", "int8"):
            extra = ["--precision", precision]
            if precision == "int8":
                extra += ["--calib-cache", cache] + ([] if os.path.exists(cache)
                                                     else ["--calib-data", calib])
            # Accuracy at batch --eval.
            prog = os.path.join(a.work, f"{model}-{precision}-b{a.eval}.mlirbc")
            run([f"{BIN}/qopt-compile", onnx, "--input-shape", f"input={a.eval}x3x224x224",
                 *extra, "--emit-bytecode", "-o", prog])
            out = os.path.join(a.work, f"out-{model}-{precision}")
            run([f"{BIN}/qopt-ref", prog, "--input", f"input={x}", "--output-dir", out])
            logits[precision] = np.load(os.path.join(out, os.listdir(out)[0]))
            # Memory at batch 1.
            sizes = {}
            for tag, targets in (("sm90", "sm_90"), ("all", "sm_80,sm_86,sm_89,sm_90")):
                qbin = os.path.join(a.work, f"{model}-{precision}-{tag}.qbin")
                run([f"{BIN}/qopt-compile", onnx, "--input-shape", "input=1x3x224x224", *extra,
                     "--target", targets, "-o", qbin])
                sizes[tag] = os.path.getsize(qbin)
            desc = run([f"{BIN}/qopt-ref", os.path.join(a.work, f"{model}-{precision}-sm90.qbin"),
                        "--describe"])
            weights = int(re.search(r"weights: (\d+) bytes", desc).group(1))
            arena = int(re.search(r"arena: (\d+) bytes", desc).group(1))
            io = 3 * 224 * 224 * 4 + 1000 * 4
            ref, got = logits["fp32"], logits[precision]
            top5 = np.argsort(-ref, axis=1)[:, :5]
            top5g = np.argsort(-got, axis=1)[:, :5]
            rows.append({
                "model": model, "precision": precision,
                "sqnr_db": sqnr(ref, got),
                "top1": float((ref.argmax(1) == got.argmax(1)).mean()),
                "top5_overlap": float(np.mean([len(set(p) & set(q)) / 5
                                               for p, q in zip(top5, top5g)])),
                "bundle_sm90_mb": sizes["sm90"] / 1e6, "bundle_all_mb": sizes["all"] / 1e6,
                "weights_mb": weights / 1e6, "arena_mb": arena / 1e6,
                "gpu_memory_mb": (weights + arena + io) / 1e6,
            })
            r = rows[-1]
            print(f"{model} {precision}: SQNR {r['sqnr_db']:.1f} dB, top-1 {100 * r['top1']:.0f}%,"
                  f" bundle {r['bundle_sm90_mb']:.1f} MB, arena {r['arena_mb']:.2f} MB", flush=True)
    print(f"\n| model | precision | logits SQNR vs fp32 (dB) | top-1 agreement (n={a.eval}) | "
          "top-5 overlap | bundle sm_90 (MB) | bundle 4 targets (MB) | weights (MB) | "
          "arena (MB) | GPU memory at batch 1 (MB) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        db = "exact" if r["sqnr_db"] == float("inf") else f"{r['sqnr_db']:.1f}"
        print(f"| {r['model']} | {r['precision']} | {db} | {100 * r['top1']:.0f}% | "
              f"{100 * r['top5_overlap']:.0f}% | {r['bundle_sm90_mb']:.1f} | "
              f"{r['bundle_all_mb']:.1f} | {r['weights_mb']:.1f} | {r['arena_mb']:.2f} | "
              f"{r['gpu_memory_mb']:.1f} |")
    if a.json:
        json.dump(rows, open(a.json, "w"), indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
