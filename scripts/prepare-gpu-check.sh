#!/usr/bin/env bash
# Builds here what scripts/gpu-check.sh runs on a GPU machine: the runtime and qopt-run
# (no LLVM), every bundle with its inputs and qopt-ref outputs, the benchmark GEMMs.
# Needs a build whose tests have run (they write the int8 programs under build/models).
# Usage: scripts/prepare-gpu-check.sh [OUT_DIR (default gpu-check)]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${QOPT_BUILD_DIR:-$root/build}"
ninja -C "$build" qopt-run qopt_runtime qopt-compile qopt-ref
exec "$root/.venv/bin/python" "$root/scripts/prepare_gpu_check.py" "$build" "${1:-$root/gpu-check}"
