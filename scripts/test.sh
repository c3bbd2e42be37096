#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds QOpt and runs every test:
# lit + FileCheck, GoogleTest, the ONNX node conformance suite and the real
# models against onnxruntime; then all of it again under ASan + UBSan, and
# 60 s of each fuzz harness. This is what CI runs (.ci/run).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
start=$(date +%s)
scripts/install-deps.sh
scripts/build.sh all
echo "test.sh: build finished after $(( $(date +%s) - start )) s"
cd build
# Two jobs: the machine has two cores, and the conformance and model tests
# parallelize internally.
ctest --output-on-failure -j2 --timeout 3000
echo "test.sh: all tests finished after $(( $(date +%s) - start )) s"
cd "$root"
# The same suite under ASan + UBSan (build-asan/), then each fuzz harness for
# 60 s: docs/reliability.md.
scripts/sanitize.sh 60
echo "test.sh: sanitizer suite and fuzzing finished after $(( $(date +%s) - start )) s"
