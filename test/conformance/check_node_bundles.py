#!/usr/bin/env python3
"""Every ONNX node test as a GPU bundle (ctest `onnx-node-bundles`).

run_conformance.py --engine linalg-cpu checks the values the GPU lowering
computes; this checks the rest of the GPU path on the same models: each is
compiled by qopt-compile --precision fp32 for sm_80 (kernel outlining, NVVM,
PTX, ptxas, the bundle writer). A model compiles, or is refused with an
error that says "unsupported"; anything else (a crash, a compiler error, a
ptxas failure) fails the check, and so does a count of bundles below
MIN_BUNDLES. Tests whose parameters arrive as graph inputs (qopt-ref binds
them with --freeze; qopt-compile takes constants) are skipped.

usage: check_node_bundles.py QOPT_COMPILE WORK_DIR [--data DIR] [--jobs N]
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import os
import shutil
import subprocess
import sys

import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_conformance  # noqa: E402

# Measured 2026-11-27: 525 of the 803 tests without parameter inputs.
MIN_BUNDLES = 525


def compile_one(tool: str, test_dir: str, work: str, ptxas: bool) -> tuple[str, str, str]:
    name = os.path.basename(test_dir)
    try:
        model = onnx.load(os.path.join(test_dir, "model.onnx"))
    except Exception as e:  # noqa: BLE001
        return name, "skipped", f"unreadable model: {e}"
    inits = {i.name for i in model.graph.initializer}
    inputs = [vi.name for vi in model.graph.input if vi.name not in inits]
    if run_conformance.frozen_inputs(model, inputs):
        return name, "skipped", "parameters given as graph inputs"
    out = os.path.join(work, name + (".qbin" if ptxas else ".ptx"))
    cmd = [tool, os.path.join(test_dir, "model.onnx"), "--precision", "fp32", "--target", "sm_80",
           "-o", out] + ([] if ptxas else ["--emit", "ptx"])
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return name, "failed", "timed out"
    if os.path.exists(out):
        os.remove(out)
    if r.returncode == 0:
        return name, "compiled", ""
    if r.returncode < 0:
        return name, "failed", f"killed by signal {-r.returncode}"
    if "unsupported" in r.stderr:
        return name, "unsupported", ""
    return name, "failed", r.stderr.strip()[-400:]


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("qopt_compile")
    p.add_argument("work")
    p.add_argument("--data", default=run_conformance.DEFAULT_DATA)
    p.add_argument("--jobs", type=int, default=2)
    args = p.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    ptxas = bool(shutil.which("ptxas") or os.access("/usr/local/cuda/bin/ptxas", os.X_OK))
    if not ptxas:
        print("SKIPPED (no ptxas): bundles; PTX only")
    tests = sorted(d for d in (os.path.join(args.data, n) for n in os.listdir(args.data))
                   if os.path.isdir(d))
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as ex:
        results = list(ex.map(lambda t: compile_one(args.qopt_compile, t, args.work, ptxas), tests))
    counts = collections.Counter(status for _, status, _ in results)
    print(f"node-test bundles: {counts['compiled']} compiled, {counts['unsupported']} unsupported, "
          f"{counts['failed']} failed, {counts['skipped']} skipped (of {len(results)})")
    failed = [(n, why) for n, status, why in results if status == "failed"]
    for n, why in failed:
        print(f"FAILED {n}: {why}")
    if failed:
        return 1
    if counts["compiled"] < MIN_BUNDLES:
        print(f"FAIL: {counts['compiled']} bundles < {MIN_BUNDLES}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
