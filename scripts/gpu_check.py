#!/usr/bin/env python3
"""GPU side of scripts/gpu-check.sh: correctness, compute-sanitizer, benchmarks, one table.

Reads WORK/manifest.json (written by scripts/prepare_gpu_check.py). Every step has a timeout,
and results are written to RESULTS as they come, so a run cut short still reports what it did.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bench"))
import gpu_bench  # noqa: E402  (PyTorch baselines)


def sh(cmd: list[str], timeout: float) -> tuple[int, str]:
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        return r.returncode, r.stdout + r.stderr
    except FileNotFoundError:
        return 127, f"{cmd[0]}: not found"
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        return 124, out + f"\n(timed out after {timeout:.0f} s)"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--qopt-run", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--skip-torch-compile", action="store_true")
    args = ap.parse_args()
    run, work, res = args.qopt_run, args.work, args.results
    manifest = json.load(open(f"{work}/manifest.json"))
    results: dict = {"checks": [], "sanitizer": [], "bench": [], "baselines": {}}
    failures: list[str] = []

    def save() -> None:
        with open(f"{res}/results.json", "w") as f:
            json.dump(results, f, indent=1)

    rc, smi = sh(["nvidia-smi", "--query-gpu=name,driver_version,clocks.max.sm", "--format=csv,noheader"], 30)
    print(f"GPU: {smi.strip()}")
    results["gpu"] = smi.strip()
    start = time.monotonic()

    # --- 1. outputs against the CPU reference -----------------------------------------
    print("\n== correctness: qopt-run on the GPU vs qopt-ref on the CPU ==")
    for c in manifest["checks"]:
        b = f"{work}/{c['bundle']}"
        tol = c["tolerance"]
        mode = ["--exact"] if tol is None else ["--rtol", str(tol[0]), "--atol", str(tol[1])]
        if "replicate" in c:
            rep = c["replicate"]
            x = np.load(f"{work}/{rep['from']}")
            np.save(f"{work}/batch.npy", np.repeat(x, rep["batch"], axis=0))
            out = f"{work}/out-{c['bundle']}"
            code, log = sh([run, b, "--input", f"{rep['input']}=" + f"{work}/batch.npy",
                            "--output-dir", out], 120)
            ok = code == 0
            detail = ""
            if ok:
                for f in os.listdir(f"{work}/{c['ref']}"):
                    ref, got = np.load(f"{work}/{c['ref']}/{f}"), np.load(f"{out}/{f}")
                    same = sum(got[i:i + 1].tobytes() == ref.tobytes() for i in range(got.shape[0]))
                    detail += f"{f}: {same} of {got.shape[0]} batch rows bit-exact; "
                    ok &= same == got.shape[0]
            os.remove(f"{work}/batch.npy")
            shutil.rmtree(out, ignore_errors=True)
        else:
            inputs = [a for k, v in c["inputs"].items() for a in ("--input", f"{k}={work}/{v}")]
            code, log = sh([run, b, *inputs, "--compare", f"{work}/{c['ref']}", *mode], 60)
            ok = code == 0
            detail = "; ".join(l for l in log.splitlines() if l.startswith("output "))
            if c.get("expect_jit"):
                jit = re.search(r"(\d+) JIT-compiled from PTX", log)
                ok &= bool(jit and int(jit.group(1)) > 0)
                detail += f"; {jit.group(0) if jit else 'no PTX JIT'}"
        verdict = "bit-exact" if ok and tol is None else "within tolerance" if ok else "FAILED"
        if not ok:
            failures.append(c["bundle"])
            detail += "\n" + log[-2000:]
        print(f"  {c['bundle']:38s} {verdict:18s} {detail}")
        results["checks"].append({"bundle": c["bundle"], "ok": ok, "verdict": verdict, "detail": detail})
        save()

    # --- 2. compute-sanitizer --------------------------------------------------------
    print("\n== compute-sanitizer ==")
    sanitizer = shutil.which("compute-sanitizer") or "/usr/local/cuda/bin/compute-sanitizer"
    for job in manifest["sanitize"]:
        tool, b, limit = job["tool"], job["bundle"], job["limit"]
        inputs = [a for k, v in job["inputs"].items() for a in ("--input", f"{k}={work}/{v}")]
        code, log = sh([sanitizer, "--tool", tool, "--error-exitcode", "1", run, f"{work}/{b}",
                        *inputs], limit)
        summary = re.findall(r"ERROR SUMMARY: .*|RACECHECK SUMMARY: .*", log)
        ok = code == 0
        print(f"  {tool:10s} {b:38s} {'clean' if ok else 'FAILED'}  {' '.join(summary)}")
        if not ok:
            failures.append(f"{tool} {b}")
            print(log[-3000:])
        results["sanitizer"].append({"tool": tool, "bundle": b, "ok": ok, "summary": summary})
        save()
    print(f"(correctness and sanitizers: {time.monotonic() - start:.0f} s)")

    # --- 3. benchmarks ---------------------------------------------------------------
    print("\n== benchmarks ==")
    for bench in manifest["benches"]:
        b = f"{work}/{bench['bundle']}"
        entry = dict(bench)
        if "gemm" in bench:
            m, n, k = bench["gemm"]
            code, log = sh([run, b, "--random-inputs", "--profile", "20"], 300)
            t = re.search(r"profile: ([\d.]+) ms", log)
            if code == 0 and t:
                ms = float(t.group(1))
                entry["ms"] = ms
                entry["tops"] = 2 * m * n * k / ms / 1e9
                try:
                    ref = gpu_bench.int_mm(m, n, k)
                except Exception as e:
                    print(f"  cuBLASLt baseline failed: {e!r}")
                    ref = float("nan")
                entry["cublaslt_ms"] = ref
                entry["cublaslt_tops"] = 2 * m * n * k / ref / 1e9
                entry["ratio"] = entry["tops"] / entry["cublaslt_tops"]
                print(f"  {bench['what']:36s} {entry['tops']:7.1f} TOPS ({ms:.3f} ms)   "
                      f"cuBLASLt {entry['cublaslt_tops']:7.1f} TOPS   {100 * entry['ratio']:.0f}%")
            else:
                print(f"  {bench['what']}: FAILED\n{log[-2000:]}")
                failures.append(bench["what"])
        else:
            extra = ["--cuda-graph"] if bench["graph"] else []
            runs = "20" if bench["batch"] > 1 else "200"
            code, log = sh([run, b, "--random-inputs", "--bench", runs, "--warmup", "5", *extra], 300)
            lat = re.search(r"p50 ([\d.]+) p90 ([\d.]+) p99 ([\d.]+)", log)
            thr = re.search(r"([\d.]+) samples/s", log)
            if code == 0 and lat and thr:
                entry.update(p50=float(lat.group(1)), p90=float(lat.group(2)), p99=float(lat.group(3)),
                             images_per_s=float(thr.group(1)))
                print(f"  {bench['what']:44s} {entry['images_per_s']:9.0f} images/s  p50 {entry['p50']:.3f} ms"
                      f"  p99 {entry['p99']:.3f} ms")
            else:
                print(f"  {bench['what']}: FAILED\n{log[-2000:]}")
                failures.append(bench["what"])
            if bench["batch"] > 1 and "TC" in bench["what"]:
                code, log = sh([run, b, "--random-inputs", "--profile", "3"], 300)
                with open(f"{res}/profile-{bench['bundle']}.txt", "w") as f:
                    f.write(log)
                print("   " + "\n   ".join(log.splitlines()[-60:][:1] + [l for l in log.splitlines() if l.startswith("  step")][:12]))
        results["bench"].append(entry)
        save()

    print("\n== PyTorch on the same card ==")
    try:
        results["baselines"] = gpu_bench.resnet50_baselines(
            compile_too=not args.skip_torch_compile, log=print)
    except Exception as e:  # the baselines are context, not a check
        print(f"  PyTorch baselines failed: {e!r}")
    save()
    print(f"\ngpu-check: {time.monotonic() - start:.0f} s; "
          + ("all checks passed" if not failures else f"{len(failures)} FAILED: {', '.join(failures)}"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
