#!/usr/bin/env python3
"""Locate (and optionally copy) the PaddleOCR ONNX models shipped by rapidocr_onnxruntime.

Usage:
  paddleocr_models.py                  print the paths of det, rec and cls
  paddleocr_models.py --copy DIR       copy the three models into DIR and write the rec
                                       model's character dictionary to DIR/ppocr_keys.txt
  paddleocr_models.py --info           also print each model's inputs/outputs
  paddleocr_models.py --ops            also print each model's opset and distinct op types
  paddleocr_models.py --verify         run each model with onnxruntime on its sample input
                                       (pinned shape, see SUGGESTED_SHAPES)
  paddleocr_models.py --sample-inputs DIR
                                       write DIR/{det,rec,cls}.npy: synthetic text-like
                                       images (dark glyph boxes on a light page) at the
                                       pinned shapes, normalised like rapidocr does

On noise the detector's output is degenerate (sigmoid maps of ~1e-5), so comparisons
of det should use the sample input (compare_ort.py --input x=DIR/det.npy).

The character dictionary comes from the rec model's `character` metadata entry (one
character per line, as rapidocr reads it), else from a ppocr_keys*.txt file in the
package. rapidocr prepends "blank" (CTC blank, class 0) and appends " " to that list,
which gives the rec model's 6625 classes.
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import os
import shutil
import sys
import time

MODELS = {
    "det": "ch_PP-OCRv4_det_infer.onnx",
    "rec": "ch_PP-OCRv4_rec_infer.onnx",
    "cls": "ch_ppocr_mobile_v2.0_cls_infer.onnx",
}
# Pinned NCHW input shapes: det needs H and W multiples of 32; rec and cls use the
# heights/widths of rapidocr's config.yaml (rec_img_shape, cls_image_shape).
SUGGESTED_SHAPES = {"det": (1, 3, 640, 640), "rec": (1, 3, 48, 320), "cls": (1, 3, 48, 192)}
KEYS_FILE = "ppocr_keys.txt"


def package_dir() -> str:
    spec = importlib.util.find_spec("rapidocr_onnxruntime")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("paddleocr_models: rapidocr_onnxruntime is not installed "
                         "(run scripts/install-deps.sh and use .venv/bin/python)")
    return list(spec.submodule_search_locations)[0]


def model_paths() -> dict[str, str]:
    models_dir = os.path.join(package_dir(), "models")
    paths = {kind: os.path.join(models_dir, name) for kind, name in MODELS.items()}
    missing = [p for p in paths.values() if not os.path.isfile(p)]
    if missing:
        raise SystemExit(f"paddleocr_models: missing {', '.join(missing)}")
    return paths


def character_dict(rec_model) -> tuple[str | None, str]:
    """The dictionary text and where it came from (None if not found)."""
    for prop in rec_model.metadata_props:
        if prop.key == "character":
            return prop.value, "metadata_props['character'] of the rec model"
    for root, _dirs, files in os.walk(package_dir()):
        for name in sorted(files):
            if name.startswith("ppocr_keys") and name.endswith(".txt"):
                path = os.path.join(root, name)
                with open(path, encoding="utf-8") as f:
                    return f.read(), path
    return None, "not found"


def text_like_image(height: int, width: int, seed: int = 0):
    """A deterministic HxWx3 uint8-range float image with rows of hollow glyph boxes."""
    import numpy as np

    rng = np.random.default_rng(seed)
    img = np.full((height, width, 3), 235.0, dtype=np.float32)
    line_h = min(30, max(12, height - 12))
    top = 6 if height < 2 * line_h else 40
    for row in range(top, height - line_h, line_h + 40 if height >= 2 * line_h else height):
        x = 8
        while x < width - 30:
            w, h = int(rng.integers(8, 22)), int(rng.integers(line_h - 12, line_h + 1))
            img[row:row + h, x:x + w] = float(rng.integers(10, 60))
            img[row + 4:row + h - 4, x + 3:x + w - 3] = 235.0
            x += w + int(rng.integers(3, 10)) + (30 if rng.random() < 0.08 else 0)
    img += rng.normal(0.0, 4.0, img.shape).astype(np.float32)
    return np.clip(img, 0.0, 255.0)


def sample_input(kind: str):
    """NCHW float32 input for `kind` at its pinned shape, normalised as rapidocr does."""
    import numpy as np

    n, c, h, w = SUGGESTED_SHAPES[kind]
    img = text_like_image(h, w, seed={"det": 0, "rec": 1, "cls": 2}[kind])
    x = (img / 255.0 - 0.5) / 0.5  # det: mean=std=0.5; rec/cls: (x/255 - 0.5)/0.5
    x = np.ascontiguousarray(x.transpose(2, 0, 1)[None].repeat(n, axis=0), dtype=np.float32)
    assert x.shape == (n, c, h, w)
    return x


def describe_value(value) -> str:
    t = value.type.tensor_type
    dims = []
    for d in t.shape.dim:
        if d.HasField("dim_value"):
            dims.append(str(d.dim_value))
        elif d.HasField("dim_param") and d.dim_param:
            dims.append(d.dim_param)
        else:
            dims.append("?")
    import onnx

    return f"{value.name} {onnx.helper.tensor_dtype_to_np_dtype(t.elem_type)} [{', '.join(dims)}]"


def print_info(kind: str, model) -> None:
    initializers = {i.name for i in model.graph.initializer}
    for inp in model.graph.input:
        if inp.name not in initializers:
            suggested = "x".join(map(str, SUGGESTED_SHAPES[kind]))
            print(f"  input  {describe_value(inp)}  (suggested {suggested})")
    for out in model.graph.output:
        print(f"  output {describe_value(out)}")


def print_ops(model) -> None:
    opsets = ", ".join(f"{o.domain or 'ai.onnx'}:{o.version}" for o in model.opset_import)
    counts = collections.Counter(n.op_type for n in model.graph.node)
    print(f"  ir_version {model.ir_version}, opset {opsets}, {len(model.graph.node)} nodes")
    print("  ops " + " ".join(f"{op}({n})" for op, n in sorted(counts.items())))


def verify(kind: str, path: str, threads: int) -> bool:
    import numpy as np
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    session = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    inp = session.get_inputs()[0]
    x = sample_input(kind)
    session.run(None, {inp.name: x})  # warm-up
    start = time.perf_counter()
    outs = session.run(None, {inp.name: x})
    ms = (time.perf_counter() - start) * 1e3
    ok = True
    for meta, out in zip(session.get_outputs(), outs):
        finite = bool(np.isfinite(out).all())
        ok &= finite
        print(f"  ort {meta.name} {out.dtype} {tuple(out.shape)} std={out.std():.4g} "
              f"finite={finite} ({ms:.1f} ms)")
    return ok


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Print or copy the PaddleOCR ONNX models shipped by rapidocr_onnxruntime.")
    parser.add_argument("--copy", metavar="DIR",
                        help="copy the models (and ppocr_keys.txt) into DIR")
    parser.add_argument("--info", action="store_true", help="print inputs and outputs")
    parser.add_argument("--ops", action="store_true", help="print opsets and op types")
    parser.add_argument("--verify", action="store_true",
                        help="run each model with onnxruntime on its sample input")
    parser.add_argument("--sample-inputs", metavar="DIR",
                        help="write synthetic text-like inputs DIR/{det,rec,cls}.npy")
    parser.add_argument("--threads", type=int, default=2, help="onnxruntime threads (--verify)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    paths = model_paths()
    if args.copy:
        os.makedirs(args.copy, exist_ok=True)
    detailed = args.info or args.ops or args.verify or args.copy
    ok = True
    keys = None
    for kind, path in paths.items():
        dest = path
        if args.copy:
            dest = os.path.join(args.copy, os.path.basename(path))
            shutil.copyfile(path, dest)
        print(f"{kind}: {dest}" if detailed else dest)
        if not detailed:
            continue
        import onnx

        model = onnx.load(path)
        if args.info:
            print_info(kind, model)
        if args.ops:
            print_ops(model)
        if args.verify:
            ok &= verify(kind, path, args.threads)
        if kind == "rec" and args.copy:
            keys, source = character_dict(model)
            if keys is None:
                print(f"  character dictionary: {source}")
            else:
                keys_path = os.path.join(args.copy, KEYS_FILE)
                with open(keys_path, "w", encoding="utf-8", newline="\n") as f:
                    f.write(keys if keys.endswith("\n") else keys + "\n")
                print(f"  character dictionary: {len(keys.splitlines())} characters from "
                      f"{source} -> {keys_path}")
    if args.sample_inputs:
        import numpy as np

        os.makedirs(args.sample_inputs, exist_ok=True)
        for kind in MODELS:
            out = os.path.join(args.sample_inputs, f"{kind}.npy")
            np.save(out, sample_input(kind))
            print(f"sample input {kind}: {out} {'x'.join(map(str, SUGGESTED_SHAPES[kind]))}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
