#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds QOpt, and runs the main job on a
# shipped example: the pretrained PaddleOCR text-direction classifier that
# rapidocr-onnxruntime ships as ONNX. It imports the model into qnn MLIR, runs
# it on the CPU reference executor and checks the result against onnxruntime.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-deps.sh
scripts/build.sh qopt qopt-translate qopt-ref
py=.venv/bin/python
out=build/example
mkdir -p "$out"
"$py" scripts/paddleocr_models.py --copy "$out" >/dev/null
"$py" scripts/paddleocr_models.py --sample-inputs "$out" >/dev/null
model="$out/ch_ppocr_mobile_v2.0_cls_infer.onnx"

echo "== import: $model -> $out/cls.mlir"
build/bin/qopt-translate --import-onnx "$model" --input-shape x=1x3x48x192 -o "$out/cls.mlir"
grep -c "qnn\." "$out/cls.mlir" | xargs echo "qnn ops:"
build/bin/qopt-translate --import-onnx "$model" --input-shape x=1x3x48x192 \
  --elide-resource-blobs | sed -n '2,6p'

echo "== run on the CPU reference executor"
build/bin/qopt-ref "$out/cls.mlir" --input "x=$out/cls.npy" --output-dir "$out/out" --bench 5
"$py" -c "import numpy as np, glob; [print(f, np.load(f)) for f in glob.glob('$out/out/*.npy')]"

echo "== compare with onnxruntime"
"$py" scripts/compare_ort.py "$model" --qopt-ref build/bin/qopt-ref --input "x=$out/cls.npy"
