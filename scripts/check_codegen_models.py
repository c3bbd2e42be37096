#!/usr/bin/env python3
"""GPU code generation on real models, without a GPU (run by ctest as `codegen-models`).

For every int8 program that the `int8-models` test wrote (ResNet-50, MobileNetV2, the
PaddleOCR cls/det/rec models, ONNX Runtime's QDQ MobileNetV2) and for fp32 and fp16 ResNet-50
and MobileNetV2:
  - qopt-compile -o model.qbin for sm_80, sm_86, sm_89 and sm_90: every kernel assembles with
    ptxas and spills nothing (the writer records ptxas -v per kernel and target);
  - the bundle verifies and the qnn program it carries reproduces the reference bit for bit;
  - the same with --tensor-cores (integer convs as mma.sync kernels): ptxas-clean, no spills;
  - the PTX of every int8 program (and of the int8 BERT encoder) holds no approximate
    instruction (ex2/lg2/rsqrt/sqrt .approx), which would break the float ops' bit-exactness;
  - the tensor-core kernels' tile algorithm as host loops (qopt-ref --engine tensor-core-cpu,
    NHWC activations, elementwise ops fused into the epilogues) equals the reference bit for
    bit on every int8 program, float softmax and layer norms included (docs/quantization.md),
    and so does the sm_90a kernels' (wgmma warpgroup tiles, core-matrix staging), whose
    sm_90a bundles assemble without spills;
  - the lowered program (qopt-lower-to-linalg, the form the kernels are generated from) runs
    JIT-compiled on this CPU and equals the reference executor bit for bit (int8 programs),
    or within 1e-3 for fp32 and fp16 programs, whose float convs accumulate in another order
    (fp16 also allows 0.4% of the largest output for neighbouring f16 roundings).
Without ptxas (no CUDA toolkit) the bundle steps are skipped, visibly.

Usage: check_codegen_models.py BIN_DIR WORK_DIR
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np

# The tile algorithm (NHWC, fused epilogues) checked on the CPU: every int8 program.
TENSOR_CORE_CPU = {"resnet50", "mobilenetv2", "ppocr-cls", "ppocr-det", "ppocr-rec",
                   "mobilenetv2-qdq"}
INT8 = [  # name, graph input, bit for bit (float layers too: docs/quantization.md)
    ("resnet50", "input", True),
    ("mobilenetv2", "input", True),
    ("ppocr-cls", "x", True),  # its float softmax is in the contract (FloatMath.h)
    ("ppocr-det", "x", True),
    ("ppocr-rec", "x", True),  # float layer norms and softmax, likewise
    ("mobilenetv2-qdq", "input", True),
]
# The sm_90a kernels (wgmma): their tile algorithm on the CPU and their bundles.
WGMMA_CPU = TENSOR_CORE_CPU
TARGETS = "sm_80,sm_86,sm_89,sm_90"
SUMMARY = re.compile(r"(\d+) kernels x (\d+) targets, (\d+) launches; weights ([\d.]+) MB, "
                     r"arena ([\d.]+) MB .*max (\d+) registers, (\d+) spill bytes")


def run(cmd: list[str]) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr[-3000:]}")
    return r


def compare(ref_dir: str, got_dir: str, exact: bool, rel: float = 0.0) -> list[str]:
    """Bit for bit, or max|a-b| <= 1e-3 + rel * max|a|."""
    problems = []
    for f in sorted(os.listdir(ref_dir)):
        a, b = np.load(os.path.join(ref_dir, f)), np.load(os.path.join(got_dir, f))
        if exact:
            same = a.shape == b.shape and a.tobytes() == b.tobytes()
            print(f"    {f}: {'bit-exact' if same else 'DIFFERS'}")
        else:
            err = float(np.max(np.abs(a.astype(np.float64) - b)))
            same = a.shape == b.shape and err <= 1e-3 + rel * float(np.max(np.abs(a)))
            print(f"    {f}: max abs error {err:.2g}")
        if not same:
            problems.append(f)
    return problems


def has_ptxas() -> bool:
    return bool(shutil.which("ptxas") or os.access("/usr/local/cuda/bin/ptxas", os.X_OK))


APPROX = re.compile(r"\b[a-z0-9]+(?:\.[a-z0-9]+)*\.approx[.a-z0-9]*")


def approximations(bins: str, name: str, program: str, ptx: str) -> list[str]:
    """The approximate instructions (ex2/lg2/rsqrt/sqrt .approx) in a program's PTX. An
    int8 program has none: its float ops are the reference's IEEE operations
    (docs/quantization.md), which libdevice's approximations would break."""
    run([f"{bins}/qopt-compile", program, "--emit", "ptx", "--target", "sm_80", "-o", ptx])
    with open(ptx) as f:
        hits = sorted(set(APPROX.findall(f.read())))
    print(f"  PTX: {', '.join(hits) if hits else 'no approximate instructions'}")
    return [f"{name}: its PTX has {h}" for h in hits]


def bundle(bins: str, program: str, out: str, extra: list[str],
           targets: str = TARGETS) -> list[str]:
    start = time.monotonic()
    r = run([f"{bins}/qopt-compile", program, *extra, "-o", out, "--target", targets])
    secs = time.monotonic() - start
    m = SUMMARY.search(r.stderr)
    if not m:
        return [f"{program}: no bundle summary in: {r.stderr[-500:]}"]
    kernels, targets, launches, weights, arena, regs, spills = m.groups()
    print(f"  bundle: {kernels} kernels x {targets} targets, {launches} launches, weights "
          f"{weights} MB, arena {arena} MB, max {regs} registers, {spills} spill bytes, "
          f"{secs:.1f} s")
    problems = [] if int(spills) == 0 else [f"{program}: {spills} spill bytes"]
    # ptxas warnings and performance advisories (wgmma serialized, ...).
    problems += [f"{program}: {line}" for line in r.stderr.splitlines()
                 if line.startswith("qopt-compile: ptxas on ")]
    return problems


def main() -> int:
    bins, work = sys.argv[1], sys.argv[2]
    failures: list[str] = []
    ptxas = has_ptxas()
    if not ptxas:
        print("SKIPPED (no ptxas): bundle assembly checks; the CPU checks still run")
    for name, input_name, exact in INT8:
        d = os.path.join(work, "int8", name)
        program, x = os.path.join(d, "int8.mlir"), os.path.join(d, "x.npy")
        print(f"== {name}", flush=True)
        if not os.path.exists(program) or not os.path.exists(x):
            failures.append(f"{name}: {program} or x.npy missing (run the int8-models test first)")
            continue
        try:
            run([f"{bins}/qopt-ref", program, "--input", f"{input_name}={x}",
                 "--output-dir", os.path.join(d, "cg-ref")])
            start = time.monotonic()
            run([f"{bins}/qopt-ref", program, "--engine", "linalg-cpu", "--input",
                 f"{input_name}={x}", "--output-dir", os.path.join(d, "cg-cpu")])
            print(f"  lowered program on the CPU ({time.monotonic() - start:.1f} s):")
            failures += [f"{name}: linalg-cpu {f}" for f in
                         compare(os.path.join(d, "cg-ref"), os.path.join(d, "cg-cpu"), exact)]
            if name in TENSOR_CORE_CPU:
                start = time.monotonic()
                run([f"{bins}/qopt-ref", program, "--engine", "tensor-core-cpu", "--input",
                     f"{input_name}={x}", "--output-dir", os.path.join(d, "cg-tiles")])
                print(f"  tensor-core tile algorithm on the CPU "
                      f"({time.monotonic() - start:.1f} s):")
                failures += [f"{name}: tensor-core-cpu {f}" for f in
                             compare(os.path.join(d, "cg-ref"), os.path.join(d, "cg-tiles"),
                                     exact)]
            if name in WGMMA_CPU:
                start = time.monotonic()
                run([f"{bins}/qopt-ref", program, "--engine", "tensor-core-cpu",
                     "--tensor-core-mma=wgmma", "--input", f"{input_name}={x}",
                     "--output-dir", os.path.join(d, "cg-wgmma")])
                print(f"  wgmma tile algorithm on the CPU ({time.monotonic() - start:.1f} s):")
                failures += [f"{name}: wgmma tensor-core-cpu {f}" for f in
                             compare(os.path.join(d, "cg-ref"), os.path.join(d, "cg-wgmma"),
                                     exact)]
            if ptxas:
                qbin = os.path.join(d, "model.qbin")
                failures += bundle(bins, program, qbin, ["--tensor-cores=false"])
                print("  with --tensor-cores:")
                tc = os.path.join(d, "model-tc.qbin")
                failures += bundle(bins, program, tc, ["--tensor-cores"])
                failures += approximations(bins, name, program, os.path.join(d, "model.ptx"))
                # Weights are stored once: the program IR in the bundle refers
                # to them (a bias folded into the kernels once doubled it).
                if name in WGMMA_CPU:
                    print("  for sm_90a (wgmma):")
                    failures += bundle(bins, program, os.path.join(d, "model-wgmma.qbin"), [],
                                       targets="sm_90a")
                if os.path.getsize(tc) > 1.25 * os.path.getsize(qbin) + 4e6:
                    failures.append(f"{name}: tensor-core bundle {os.path.getsize(tc)} bytes "
                                    f"against {os.path.getsize(qbin)}")
                run([f"{bins}/qopt-ref", qbin, "--input", f"{input_name}={x}",
                     "--output-dir", os.path.join(d, "cg-bundle")])
                print("  the bundle's qnn program on the reference:")
                failures += [f"{name}: bundle program {f}" for f in
                             compare(os.path.join(d, "cg-ref"), os.path.join(d, "cg-bundle"),
                                     True)]
        except Exception as e:  # a failed command is a failed check, with its output
            failures.append(f"{name}: {e}")

    # The int8 BERT encoder (dynamic quantization) keeps LayerNorm, softmax and erf in
    # float: their kernels take no approximation either.
    bert = os.path.join(work, "int8", "bert4", "int8.mlir")
    if ptxas and os.path.exists(bert):
        print("== bert4", flush=True)
        try:
            failures += approximations(bins, "bert4", bert,
                                       os.path.join(work, "int8", "bert4", "model.ptx"))
        except Exception as e:
            failures.append(f"bert4: {e}")

    for name, precision in (("resnet50", "fp32"), ("mobilenetv2", "fp32"),
                            ("resnet50", "fp16"), ("mobilenetv2", "fp16")):
        print(f"== {name} {precision}", flush=True)
        d = os.path.join(work, precision, name)
        os.makedirs(d, exist_ok=True)
        x = os.path.join(work, "int8", name, "x.npy")
        try:
            program = os.path.join(d, f"{precision}.mlir")
            run([f"{bins}/qopt-compile", os.path.join(work, f"{name}.onnx"), "--input-shape",
                 "input=1x3x224x224", "--precision", precision, "-o", program])
            if ptxas:
                failures += bundle(bins, program, os.path.join(d, "model.qbin"),
                                   ["--precision", "fp32"])
            if name == "mobilenetv2":  # ResNet-50 takes a minute as naive CPU loops
                run([f"{bins}/qopt-ref", program, "--input", f"input={x}", "--output-dir",
                     os.path.join(d, "ref")])
                run([f"{bins}/qopt-ref", program, "--engine", "linalg-cpu", "--input",
                     f"input={x}", "--output-dir", os.path.join(d, "cpu")])
                print("  lowered program on the CPU:")
                # fp16 stores every tensor rounded to f16 (a relative step of
                # 2^-11): the two executors' f32 sums round to neighbouring
                # f16 values in some places, so allow a few f16 steps.
                rel = 4e-3 if precision == "fp16" else 0.0
                failures += [f"{name} {precision}: linalg-cpu {f}" for f in
                             compare(os.path.join(d, "ref"), os.path.join(d, "cpu"), False, rel)]
        except Exception as e:
            failures.append(f"{name} {precision}: {e}")

    for f in failures:
        print("FAILED:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
