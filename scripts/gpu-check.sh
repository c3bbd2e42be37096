#!/usr/bin/env bash
# The one script to run on a machine with an NVIDIA GPU (PyTorch, compute-sanitizer; no
# network, no LLVM), over the folder scripts/prepare-gpu-check.sh made on the build machine:
# every bundle's outputs against qopt-ref bit for bit (integer programs) or within the stated
# tolerance (float layers), compute-sanitizer memcheck, racecheck and synccheck, then the
# benchmarks (generated int8 GEMMs vs cuBLASLt, ResNet-50 vs PyTorch fp16), as one table.
# Exits non-zero when anything mismatches or the sanitizer reports an error.
# Usage: scripts/gpu-check.sh [DIR (default gpu-check)] [RESULTS_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(cd "${1:-$root/gpu-check}" && pwd)
results="${2:-${OUT:-$dir/results}}"
mkdir -p "$results"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$dir/bundles.tar.xz" "$work" <<'PY'
import sys, tarfile, time
t = time.monotonic()
tarfile.open(sys.argv[1]).extractall(sys.argv[2])
print(f"gpu-check: unpacked the bundles in {time.monotonic() - t:.1f} s")
PY
export PYTHONUNBUFFERED=1
python3 "$root/scripts/gpu_check.py" --qopt-run "$dir/bin/qopt-run" --work "$work" \
  --results "$results" 2>&1 | tee "$results/gpu-check.log"
exit "${PIPESTATUS[0]}"
