#!/usr/bin/env bash
# Installs everything QOpt needs on a fresh Debian 12 machine. Idempotent: a second run
# only checks. Needs root (or sudo) for apt; the Python environment is project-local (.venv).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

packages=(
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22 lld-22 libclang-rt-22-dev
  ninja-build ccache cmake git
  libonnx-dev libprotobuf-dev protobuf-compiler
  libflatbuffers-dev flatbuffers-compiler
  libopenblas-dev libdnnl-dev zlib1g-dev libstb-dev libonnx-testdata libgtest-dev
  python3-venv python3-dev
  fonts-noto-cjk fonts-dejavu-core
)

sudo_cmd=()
if [ "$(id -u)" != 0 ]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi

venv="$root/.venv"
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$root/scripts/requirements.txt" | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "install-deps: creating $venv"
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet -r "$root/scripts/requirements.txt"
  echo "$want" > "$stamp"
fi
echo "install-deps: ok"
