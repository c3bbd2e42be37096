#!/usr/bin/env bash
# Runs the real models through qopt-ref and onnxruntime and compares them:
# the three generated models (ResNet-50, MobileNetV2, a 4-layer BERT encoder)
# and the three pretrained PaddleOCR models shipped by rapidocr-onnxruntime.
# Passes when max|a-b| / max|b| <= 1e-4 for every output.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
py="$root/.venv/bin/python"
ref="${1:-$root/build/bin/qopt-ref}"
work="${2:-$root/build/models}"
mkdir -p "$work"
"$py" "$root/scripts/make_models.py" "$work" >/dev/null
"$py" "$root/scripts/paddleocr_models.py" --copy "$work/ocr" >/dev/null
"$py" "$root/scripts/paddleocr_models.py" --sample-inputs "$work/ocrin" >/dev/null
status=0
run() {
  local name=$1; shift
  echo "== $name"
  if ! "$py" "$root/scripts/compare_ort.py" "$@" --qopt-ref "$ref" --tol 1e-4 --threads 2; then
    echo "FAILED: $name"
    status=1
  fi
}
run resnet50-b1 "$work/resnet50.onnx" --input-shape N=1
run resnet50-b2 "$work/resnet50.onnx" --input-shape N=2
run mobilenetv2 "$work/mobilenetv2.onnx" --input-shape N=1
run bert4-b1s128 "$work/bert4.onnx" --input-shape B=1 --input-shape S=128
run bert4-b2s64 "$work/bert4.onnx" --input-shape B=2 --input-shape S=64
run ppocr-det "$work/ocr/ch_PP-OCRv4_det_infer.onnx" --input "x=$work/ocrin/det.npy"
run ppocr-rec "$work/ocr/ch_PP-OCRv4_rec_infer.onnx" --input "x=$work/ocrin/rec.npy"
run ppocr-cls "$work/ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx" --input "x=$work/ocrin/cls.npy"
# The graph passes keep the numbers: the same comparisons after batchnorm
# folding, residual-add and activation fusion.
fused='--qopt-ref-arg=--pass-pipeline=builtin.module(qopt-graph-optimize)'
run resnet50-fused "$work/resnet50.onnx" --input-shape N=2 "$fused"
run mobilenetv2-fused "$work/mobilenetv2.onnx" --input-shape N=1 "$fused"
run ppocr-det-fused "$work/ocr/ch_PP-OCRv4_det_infer.onnx" --input "x=$work/ocrin/det.npy" "$fused"
run ppocr-rec-fused "$work/ocr/ch_PP-OCRv4_rec_infer.onnx" --input "x=$work/ocrin/rec.npy" "$fused"
exit $status
