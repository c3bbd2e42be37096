#!/usr/bin/env python3
"""Prepares the folder that scripts/gpu-check.sh runs on a GPU machine (no LLVM there).

Run on the build machine after the test suite (the int8 programs and inputs come from the
`int8-models` and `codegen-models` tests under build/models, and the small architectures from
`architectures` under build/architectures). Writes OUT (default gpu-check/):
  bin/qopt-run                           the runtime's tool, built here (no LLVM inside)
  bundles.tar.xz                         every bundle, its inputs and its qopt-ref outputs
  manifest.json                          what to check and benchmark, and how
Everything travels compressed: bundles of one model share their weights, and the benchmark
GEMMs' constant B repeats, so xz takes ~370 MB of bundles to about 50 MB.

Usage: prepare_gpu_check.py BUILD_DIR OUT_DIR
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_architectures  # noqa: E402

TARGETS = "sm_80,sm_86,sm_89,sm_90"
# name, graph input, exact (integer programs) or the tolerance of float layers
INT8 = [
    ("resnet50", "input", None),
    ("mobilenetv2", "input", None),
    ("ppocr-det", "x", None),
    # Their float softmax and layer norms are bit-exact too: exp and log come from
    # qopt/Quant/FloatMath.h on both sides, sqrt is sqrt.rn (docs/quantization.md).
    ("ppocr-cls", "x", None),
    ("ppocr-rec", "x", None),
    ("mobilenetv2-qdq", "input", None),
]
# The small architectures of ctest `architectures` (build/architectures): the ops beyond
# the CNN core (SiLU and squeeze-excite, HardSwish, LayerNorm, attention, Gather, Pad,
# Resize, ...) on the GPU; int8 bit for bit, fp32 within float tolerance.
ARCHITECTURES = ["effnet", "mnv3", "densenet", "shufflenet", "convnext", "vit", "yolo", "bert"]
# fp16 only: float weights hardly compress, and the folder must stay under the 64 MiB a
# device call carries (fp32 bundles are checked on the CPU by codegen-models).
FLOAT = [("fp16", "mobilenetv2", (2e-2, 2e-2))]
# The GEMMs of the benchmark: 4096^3, 8192^3 and ResNet-50's conv shapes at batch 256
# (M = N*H*W, N = Cout, K = Cin*kh*kw; ../shared/gpu-anchors.md).
GEMMS = [(4096, 4096, 4096), (8192, 8192, 8192), (802816, 64, 576), (200704, 128, 1152),
         (50176, 256, 2304), (12544, 512, 4608), (802816, 256, 64)]
# Tile shapes timed next to the heuristic's at 4096^3 (the start of autotuning: which shape
# wins on this card), and checked bit for bit on a gemm with tails in every dimension.
TILE_SWEEP = ["128x128x64/64x32/4", "128x128x64/64x32/2", "64x128x64/32x32/3"]
TILE_CHECK = ["auto", "128x128x64/64x32/3", "64x128x64/32x32/3", "64x64x64/32x16/3",
              "64x64x32/32x16/2"]
# The sm_90a (wgmma) kernels: checked under the heuristic's shapes and more (they run on
# H100/H200 alone, which is what the device machine lends), timed on every GEMM. K steps of
# 128 bytes are the TMA kernels (auto picks them for contiguous operands); 32 and 64 the
# cp.async ones, which tell a TMA fault from a wgmma one.
WGMMA_CHECK = ["auto", "64x64x128/64x64/3", "128x256x128/64x256/3", "256x128x128/64x128/3",
               "128x128x64/64x128/4", "64x64x32/64x64/3"]
# sm_90a tiles timed next to the heuristic's at 4096^3: larger TMA tiles, more stages, and
# the cp.async kernel the heuristic picked before TMA; at 8192^3 the first and the last. (The
# folder must stay under the 64 MiB a device call carries: 63.0 MiB on 2026-11-27, almost
# all of it the random ResNet-50 and MobileNetV2 weights; a GEMM bundle packs to ~0.1 MiB.)
WGMMA_SWEEP = ["128x256x128/64x256/3", "256x128x128/64x128/3", "128x128x128/64x128/5",
               "128x128x64/64x128/4"]
WGMMA_SWEEP_8192 = ["128x256x128/64x256/3", "128x128x64/64x128/4"]


def run(cmd: list[str]) -> str:
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"prepare-gpu-check: {' '.join(cmd)} failed:\n{r.stderr[-3000:]}")
    return r.stderr


def main() -> None:
    build, out = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    bins, models = f"{build}/bin", f"{build}/models"
    if not os.path.exists(f"{models}/int8/resnet50/int8.mlir"):
        sys.exit("prepare-gpu-check: build/models/int8 is missing: run the tests first "
                 "(scripts/test.sh, or ctest -R 'models|int8') so the int8 programs exist")
    start = time.monotonic()
    shutil.rmtree(out, ignore_errors=True)
    stage = f"{out}/stage"
    os.makedirs(f"{out}/bin")
    os.makedirs(stage)
    shutil.copy2(f"{bins}/qopt-run", f"{out}/bin/")
    checks, benches = [], []

    def bundle(src: str, name: str, extra: list[str]) -> str:
        path = f"{stage}/{name}.qbin"
        summary = run([f"{bins}/qopt-compile", src, "-o", path, *extra])
        print(f"  {summary.strip().splitlines()[-1]}")
        return f"{name}.qbin"

    for name, input_name, tol in INT8:
        d = f"{models}/int8/{name}"
        os.makedirs(f"{stage}/{name}", exist_ok=True)
        shutil.copy2(f"{d}/x.npy", f"{stage}/{name}/x.npy")
        simt = bundle(f"{d}/int8.mlir", f"{name}-simt", ["--target", TARGETS, "--tensor-cores=false"])
        tc = bundle(f"{d}/int8.mlir", f"{name}-tc", ["--target", TARGETS, "--tensor-cores"])
        run([f"{bins}/qopt-ref", f"{stage}/{simt}", "--input", f"{input_name}={d}/x.npy",
             "--output-dir", f"{stage}/{name}/ref"])
        for b in (simt, tc):
            checks.append({"bundle": b, "inputs": {input_name: f"{name}/x.npy"},
                           "ref": f"{name}/ref", "tolerance": tol})
    arch = f"{build}/architectures"
    if not os.path.exists(f"{arch}/vit/int8.mlir"):
        sys.exit("prepare-gpu-check: build/architectures is missing: run ctest -R architectures")
    for name in ARCHITECTURES:
        os.makedirs(f"{stage}/{name}", exist_ok=True)
        shutil.copy2(f"{arch}/{name}/x.npy", f"{stage}/{name}/x.npy")
        input_name = make_architectures.sample(name, 0)[0]
        for kind, ref, tol in (("int8", "q-ref", None), ("fp32", "f-ref", (1e-3, 1e-4))):
            shutil.copytree(f"{arch}/{name}/{ref}", f"{stage}/{name}/{ref}")
            src = f"{arch}/{name}/int8.mlir" if kind == "int8" else f"{arch}/{name}.onnx"
            b = bundle(src, f"{name}-{kind}", ["--target", "sm_90", "--precision",
                                               "int8" if kind == "int8" else "fp32"])
            checks.append({"bundle": b, "inputs": {input_name: f"{name}/x.npy"},
                           "ref": f"{name}/{ref}", "tolerance": tol})
    # A bundle without a cubin for the GPU's chip runs from its PTX (JIT by the driver).
    jit = bundle(f"{models}/int8/mobilenetv2/int8.mlir", "mobilenetv2-ptx-jit",
                 ["--target", "sm_80", "--tensor-cores=false"])
    checks.append({"bundle": jit, "inputs": {"input": "mobilenetv2/x.npy"},
                   "ref": "mobilenetv2/ref", "tolerance": None, "expect_jit": True})
    for precision, name, tol in FLOAT:
        d = f"{models}/{precision}/{name}"
        # The program is already in its precision; "fp32" keeps the compiler from quantizing.
        b = bundle(f"{d}/{precision}.mlir", f"{name}-{precision}",
                   ["--target", TARGETS, "--precision", "fp32"])
        checks.append({"bundle": b, "inputs": {"input": f"{name}/x.npy"},
                       "ref": f"{name}/ref-{precision}", "tolerance": tol})
        run([f"{bins}/qopt-ref", f"{d}/{precision}.mlir", "--input",
             f"input={models}/int8/{name}/x.npy", "--output-dir", f"{stage}/{name}/ref-{precision}"])

    # ResNet-50 int8 at batch 256 (same calibration statistics as batch 1): benchmarked, and
    # checked by feeding 256 copies of the batch-1 input, each of which must give the
    # batch-1 reference bit for bit.
    cache = f"{build}/resnet50-calib.json"
    onnx = f"{models}/resnet50.onnx"
    calib = f"{models}/int8/resnet50/calib"
    run([f"{bins}/qopt-compile", onnx, "--input-shape", "input=1x3x224x224", "--precision",
         "int8", "--calib-data", calib, "--calib-cache", cache, "-o", f"{out}/r50-b1.mlir"])
    run([f"{bins}/qopt-compile", onnx, "--input-shape", "input=256x3x224x224", "--precision",
         "int8", "--calib-cache", cache, "-o", f"{out}/r50-b256.mlir"])
    # ResNet-50 batch 1 with the sm_90a (wgmma) kernels, checked like the others.
    wg = bundle(f"{models}/int8/resnet50/int8.mlir", "resnet50-wgmma", ["--target", "sm_90a"])
    checks.append({"bundle": wg, "inputs": {"input": "resnet50/x.npy"}, "ref": "resnet50/ref",
                   "tolerance": None})
    for kind, extra in (("simt", ["--tensor-cores=false"]), ("tc", ["--tensor-cores"]),
                        ("wgmma", [])):
        target = "sm_90a" if kind == "wgmma" else "sm_90"
        b = bundle(f"{out}/r50-b256.mlir", f"resnet50-b256-{kind}", ["--target", target, *extra])
        checks.append({"bundle": b, "replicate": {"input": "input", "from": "resnet50/x.npy",
                                                  "batch": 256}, "ref": "resnet50/ref",
                       "tolerance": None})
        benches.append({"what": f"ResNet-50 int8 batch 256, {kind.upper()}", "bundle": b,
                        "batch": 256, "graph": False})
        benches.append({"what": f"ResNet-50 int8 batch 1, {kind.upper()}, CUDA graph",
                        "bundle": f"resnet50-{kind}.qbin", "batch": 1, "graph": True})
    gemm_program = os.path.join(os.path.dirname(__file__), "..", "bench", "gemm_program.py")
    # The gemm kernel's 16-byte cp.async path under every tile shape the heuristic uses:
    # 1000 rows, N = 520 and K = 784 leave tails in each dimension.
    src = f"{out}/gemm-check.mlir"
    subprocess.run([sys.executable, gemm_program, "1000", "520", "784", src], check=True)
    os.makedirs(f"{stage}/gemm-check", exist_ok=True)
    np.save(f"{stage}/gemm-check/a.npy",
            np.random.default_rng(1).integers(-128, 128, (1000, 784)).astype(np.int8))
    run([f"{bins}/qopt-ref", src, "--input", f"a={stage}/gemm-check/a.npy", "--output-dir",
         f"{stage}/gemm-check/ref"])
    for tile in TILE_CHECK:
        b = bundle(src, f"gemm-check-{tile.replace('/', '_')}",
                   ["--target", "sm_90", f"--tensor-core-tile={tile}"])
        checks.append({"bundle": b, "inputs": {"a": "gemm-check/a.npy"},
                       "ref": "gemm-check/ref", "tolerance": None})
    for tile in WGMMA_CHECK:
        b = bundle(src, f"gemm-check-wgmma-{tile.replace('/', '_')}",
                   ["--target", "sm_90a", f"--tensor-core-tile={tile}"])
        checks.append({"bundle": b, "inputs": {"a": "gemm-check/a.npy"},
                       "ref": "gemm-check/ref", "tolerance": None})
    os.remove(src)
    for m, n, k in GEMMS:
        src = f"{out}/gemm.mlir"
        subprocess.run([sys.executable, gemm_program, str(m), str(n), str(k), src], check=True)
        b = bundle(src, f"gemm-{m}x{n}x{k}", ["--target", "sm_90", "--tensor-cores"])
        benches.append({"what": f"int8 GEMM {m}x{n}x{k}", "bundle": b, "gemm": [m, n, k]})
        b = bundle(src, f"gemm-{m}x{n}x{k}-wgmma", ["--target", "sm_90a"])
        benches.append({"what": f"int8 GEMM {m}x{n}x{k}, wgmma (sm_90a)", "bundle": b,
                        "gemm": [m, n, k]})
        if m == n == k:
            for tile in WGMMA_SWEEP if m == 4096 else WGMMA_SWEEP_8192:
                b = bundle(src, f"gemm-{m}x{n}x{k}-wgmma-{tile.replace('/', '_')}",
                           ["--target", "sm_90a", f"--tensor-core-tile={tile}"])
                benches.append({"what": f"int8 GEMM {m}x{n}x{k}, wgmma tile {tile}",
                                "bundle": b, "gemm": [m, n, k]})
        if (m, n, k) == (4096, 4096, 4096):
            for tile in TILE_SWEEP:
                b = bundle(src, f"gemm-{m}x{n}x{k}-{tile.replace('/', '_')}",
                           ["--target", "sm_90", f"--tensor-core-tile={tile}"])
                benches.append({"what": f"int8 GEMM {m}x{n}x{k}, tile {tile}", "bundle": b,
                                "gemm": [m, n, k]})
        os.remove(src)
    with open(f"{out}/manifest.json", "w") as f:
        cls = {"x": "ppocr-cls/x.npy"}
        big = {"a": "gemm-check/a.npy"}
        big_tile = "gemm-check-128x128x64_64x32_3.qbin"
        wgmma_tile = "gemm-check-wgmma-auto.qbin"
        # The tensor-core cls bundle has both staging forms (cp.async where K % 16 = 0,
        # bytes elsewhere); the gemm check runs the 128x128 pipelined kernel.
        sanitize = [{"tool": "memcheck", "bundle": "ppocr-cls-tc.qbin", "inputs": cls, "limit": 90},
                    {"tool": "racecheck", "bundle": "ppocr-cls-tc.qbin", "inputs": cls, "limit": 120},
                    {"tool": "synccheck", "bundle": "ppocr-cls-tc.qbin", "inputs": cls, "limit": 60},
                    {"tool": "memcheck", "bundle": "ppocr-cls-simt.qbin", "inputs": cls, "limit": 60},
                    {"tool": "memcheck", "bundle": big_tile, "inputs": big, "limit": 60},
                    {"tool": "racecheck", "bundle": big_tile, "inputs": big, "limit": 120},
                    {"tool": "synccheck", "bundle": big_tile, "inputs": big, "limit": 60},
                    {"tool": "memcheck", "bundle": wgmma_tile, "inputs": big, "limit": 60},
                    {"tool": "racecheck", "bundle": wgmma_tile, "inputs": big, "limit": 120},
                    {"tool": "synccheck", "bundle": wgmma_tile, "inputs": big, "limit": 60}]
        json.dump({"checks": checks, "benches": benches, "sanitize": sanitize}, f, indent=1)
    shutil.copy2(f"{out}/manifest.json", f"{stage}/manifest.json")
    print(f"  packing {sum(os.path.getsize(os.path.join(r, x)) for r, _, fs in os.walk(stage) for x in fs) / 1e6:.0f} MB")
    # One xz stream with a dictionary larger than any bundle: the bundles of one model share
    # their weights, and only a window that spans them finds the repeats.
    subprocess.run(f"tar -C {stage} -cf - . | xz -T1 --lzma2=preset=6,dict=256MiB "
                   f"> {out}/bundles.tar.xz", shell=True, check=True)
    shutil.rmtree(stage)
    for f in ("r50-b1.mlir", "r50-b256.mlir"):
        os.remove(f"{out}/{f}")
    size = sum(os.path.getsize(os.path.join(r, x)) for r, _, fs in os.walk(out) for x in fs)
    print(f"prepare-gpu-check: {out}: {size / 2**20:.1f} MiB in {time.monotonic() - start:.0f} s")


if __name__ == "__main__":
    main()
