#!/usr/bin/env bash
# The whole test suite again under AddressSanitizer + UndefinedBehaviorSanitizer
# (LeakSanitizer included), then every fuzz harness for FUZZ_SECONDS (default
# 60). Builds build-asan/ (QOPT_FUZZ=ON: the same tree serves the fuzzers).
# scripts/test.sh runs it after the plain suite, so CI runs both.
#
#   scripts/sanitize.sh [FUZZ_SECONDS]      (0 skips fuzzing)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
fuzz_seconds=${1:-60}
build="${QOPT_ASAN_BUILD_DIR:-$root/build-asan}"
start=$(date +%s)
QOPT_BUILD_DIR="$build" QOPT_CMAKE_ARGS="-DQOPT_FUZZ=ON" "$root/scripts/build.sh" all
echo "sanitize.sh: build finished after $(( $(date +%s) - start )) s"
# abort_on_error: a report ends the process with SIGABRT, which lit's `not`,
# the Python drivers and ctest all see as a crash (ASan's default exit status
# 1 would pass for an expected error).
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1"
(cd "$build" && ctest --output-on-failure -j2 --timeout 3000)
echo "sanitize.sh: tests finished after $(( $(date +%s) - start )) s"
if [ "$fuzz_seconds" != 0 ]; then
  QOPT_ASAN_BUILD_DIR="$build" "$root/scripts/fuzz.sh" "$fuzz_seconds"
fi
echo "sanitize.sh: done after $(( $(date +%s) - start )) s"
