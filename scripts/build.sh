#!/usr/bin/env bash
# Configures and builds QOpt in build/ with clang-22, lld, ninja and ccache.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${QOPT_BUILD_DIR:-$root/build}"
# Paths under the checkout hash relative to it, so a second clone (CI's) hits
# the same ccache entries.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}"
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=/usr/lib/llvm-22/bin/clang \
    -DCMAKE_CXX_COMPILER=/usr/lib/llvm-22/bin/clang++ \
    -DLLVM_USE_LINKER=lld \
    -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    ${QOPT_CMAKE_ARGS:-}
fi
ninja -C "$build" "$@"
