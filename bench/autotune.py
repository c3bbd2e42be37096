#!/usr/bin/env python3
"""Tunes the tile of every tensor-core kernel of a program on a GPU, in two steps.

On the build machine (qopt-compile, no GPU needed):

  autotune.py prepare BIN_DIR PROGRAM OUT_DIR [--target sm_90] [--tile T ...] [-- COMPILE_ARGS]

compiles PROGRAM (a .mlir program or an .onnx model, with any further qopt-compile arguments
after --) once with the heuristic's tiles and once per candidate tile for every kernel
(`--tensor-core-tile`), and writes OUT_DIR/plan.json: per launch step, the problem shape of
its tensor-core kernel (output channels x pixels x taps, from `qopt-compile --remarks`).
Candidates a shape cannot take (a wgmma tile for sm_90, say) are left out with the reason.

On the GPU machine (only python3 and the runtime's qopt-run; carry OUT_DIR there):

  autotune.py pick OUT_DIR QOPT_RUN [-o tiles.json] [--runs 20]

times every bundle's steps (`qopt-run --random-inputs --profile N`, CUDA events), picks for
each shape the candidate whose steps of that shape took least in total, prints the table and
writes the tile file that `qopt-compile --tensor-core-tiles tiles.json` reads. Steps keep
their order across the bundles (tiles change no fusion decision), so step i is the same
kernel in each. `--profiles DIR` reads saved `qopt-run --profile` outputs (DIR/<bundle>.txt)
instead of running qopt-run, to check the choice without a GPU.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys

REMARK = re.compile(r"remark: tensor-core kernel (\d+x\d+x\d+) ")
STEP = re.compile(r"^step\s+(\d+)\s+(tensor-core\S*)\s")
PROFILE = re.compile(r"^\s*step\s+(\d+)\s+([\d.]+) ms")
CANDIDATES = ["128x128x64/64x32/3", "128x128x64/64x32/4", "64x128x64/32x32/3",
              "64x128x32/32x32/3", "64x64x64/32x16/3", "64x64x32/32x16/2"]
WGMMA_CANDIDATES = ["128x128x64/64x128/4", "128x128x64/64x128/3", "64x128x64/64x128/4",
                    "128x256x64/64x256/3", "64x64x32/64x64/3"]


def compile_bundle(bins: str, program: str, out: str, target: str, extra: list[str]):
    r = subprocess.run([f"{bins}/qopt-compile", program, "--target", target, "--remarks",
                        "-o", out, *extra], capture_output=True, text=True)
    return r.returncode, r.stderr


def tensor_core_steps(bins: str, bundle: str) -> list[int]:
    r = subprocess.run([f"{bins}/qopt-ref", bundle, "--describe", "--steps"],
                       capture_output=True, text=True, check=True)
    return [int(m.group(1)) for m in map(STEP.match, r.stdout.splitlines()) if m]


def prepare(a) -> int:
    os.makedirs(a.out, exist_ok=True)
    rc, log = compile_bundle(a.bins, a.program, f"{a.out}/auto.qbin", a.target, a.compile_args)
    if rc:
        sys.exit(f"autotune: qopt-compile failed:\n{log[-2000:]}")
    shapes = REMARK.findall(log)
    steps = tensor_core_steps(a.bins, f"{a.out}/auto.qbin")
    if len(shapes) != len(steps):
        sys.exit(f"autotune: {len(shapes)} tensor-core remarks but {len(steps)} tensor-core steps")
    plan = {"target": a.target, "steps": {str(s): k for s, k in zip(steps, shapes)},
            "bundles": {"auto": "auto.qbin"}, "skipped": {}}
    tiles = a.tile or (WGMMA_CANDIDATES if a.target == "sm_90a" else CANDIDATES)
    for tile in tiles:
        name = "tile-" + tile.replace("/", "_") + ".qbin"
        rc, log = compile_bundle(a.bins, a.program, f"{a.out}/{name}", a.target,
                                 [*a.compile_args, f"--tensor-core-tile={tile}"])
        if rc:
            errors = [line for line in log.splitlines() if "error:" in line]
            reason = errors[0].split("error: ", 1)[1] if errors else f"exit {rc}"
            plan["skipped"][tile] = reason
            print(f"  {tile}: skipped ({reason})")
            continue
        plan["bundles"][tile] = name
        print(f"  {tile}: {name}")
    with open(f"{a.out}/plan.json", "w") as f:
        json.dump(plan, f, indent=1)
    print(f"autotune: {len(steps)} tensor-core kernels, {len(set(shapes))} shapes, "
          f"{len(plan['bundles'])} bundles in {a.out}")
    return 0


def step_times(a, plan: dict, bundle: str) -> dict[int, float]:
    if a.profiles:
        with open(os.path.join(a.profiles, bundle + ".txt")) as f:
            text = f.read()
    else:
        r = subprocess.run([a.qopt_run, os.path.join(a.out, bundle), "--random-inputs",
                            "--profile", str(a.runs)], capture_output=True, text=True)
        if r.returncode:
            print(f"  {bundle}: qopt-run failed ({r.stderr.strip()[-300:]}); left out")
            return {}
        text = r.stdout
    return {int(m.group(1)): float(m.group(2))
            for m in map(PROFILE.match, text.splitlines()) if m}


def pick(a) -> int:
    with open(f"{a.out}/plan.json") as f:
        plan = json.load(f)
    steps = {int(s): shape for s, shape in plan["steps"].items()}
    shapes = sorted(set(steps.values()), key=lambda s: [int(v) for v in s.split("x")])
    # per shape, per candidate: the summed time of that shape's steps
    total: dict[str, dict[str, float]] = {s: {} for s in shapes}
    for tile, bundle in plan["bundles"].items():
        times = step_times(a, plan, bundle)
        if not times:
            continue
        for step, shape in steps.items():
            if step in times:
                total[shape][tile] = total[shape].get(tile, 0.0) + times[step]
    chosen = {}
    print("| shape (channels x pixels x taps) | kernels | heuristic ms | best tile | best ms |")
    print("|---|---:|---:|---|---:|")
    for shape in shapes:
        if not total[shape]:
            continue
        best = min(total[shape], key=total[shape].get)
        n = sum(1 for s in steps.values() if s == shape)
        auto = total[shape].get("auto")
        print(f"| {shape} | {n} | {auto:.4f} | {best} | {total[shape][best]:.4f} |"
              if auto is not None else f"| {shape} | {n} | - | {best} | {total[shape][best]:.4f} |")
        if best != "auto":
            chosen[shape] = best
    with open(a.output, "w") as f:
        json.dump({"target": plan["target"], "tiles": chosen}, f, indent=1)
    print(f"autotune: {len(chosen)} of {len(shapes)} shapes get a tile other than the "
          f"heuristic's; wrote {a.output}")
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    pp = sub.add_parser("prepare")
    pp.add_argument("bins")
    pp.add_argument("program")
    pp.add_argument("out")
    pp.add_argument("--target", default="sm_90")
    pp.add_argument("--tile", action="append", help="a candidate tile (repeatable)")
    pp.add_argument("compile_args", nargs="*", help="after --: more qopt-compile arguments")
    pk = sub.add_parser("pick")
    pk.add_argument("out")
    pk.add_argument("qopt_run")
    pk.add_argument("-o", "--output", default="tiles.json")
    pk.add_argument("--runs", type=int, default=20)
    pk.add_argument("--profiles", help="saved qopt-run --profile outputs instead of a GPU")
    a = p.parse_args()
    return prepare(a) if a.cmd == "prepare" else pick(a)


if __name__ == "__main__":
    sys.exit(main())
