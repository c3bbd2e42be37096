#!/usr/bin/env python3
"""Renders a labelled evaluation set for the PaddleOCR rec and cls models.

usage: ocr_dataset.py OUT_DIR [--seed 0] [--calib 64] [--rec-eval 400] [--cls-eval 400]

Text lines are drawn with Pillow from Debian fonts: Chinese in Noto Sans/Serif CJK SC
(fonts-noto-cjk), Latin letters, digits and ASCII punctuation in DejaVu Sans/Serif/Mono
(fonts-dejavu-core) or in the CJK font of the line. Dark text on a light, slightly tinted
background, with random font size, margins, contrast, blur and noise. Every character of
every label is in the rec model's dictionary (checked). Chinese comes from GB2312 level 1
(the 3755 most common hanzi) intersected with the dictionary.

Preprocessing is rapidocr_onnxruntime 1.4.4's, copied from its source: the rendered line
(uint8, BGR as cv2.imread gives it) is resized with cv2.resize to height 48 keeping its
aspect ratio, scaled to (x / 255 - 0.5) / 0.5 and zero-padded on the right, NCHW float32.
rec: 3x48x320 (TextRecognizer.resize_norm_img with max_wh_ratio = 320/48; lines are
rendered no wider than that ratio, so a batch never widens). cls: 3x48x192
(TextClassifier.resize_norm_img; wider lines are squeezed to 192, as rapidocr does).
cls label 0 is an upright line, 1 the same kind of line turned by 180 degrees
(cv2.rotate(img, cv2.ROTATE_180), what rapidocr undoes for label '180'); cls lines have
at least 4 characters, as shorter ones ("9" turned is "6") have no well-defined answer.

Writes to OUT_DIR:
  rec_calib.npz, rec_eval.npz, cls_calib.npz, cls_eval.npz   array "x" [N,3,48,W] float32
  rec_calib.json, rec_eval.json, cls_calib.json, cls_eval.json
      {"task", "split", "seed", "input_name", "shape", "labels": [...], "meta": [...]}
      rec labels are the ground-truth strings, cls labels 0 (upright) / 1 (rotated 180);
      meta gives each sample's fonts and kind of line (and for cls its text)
  rec_calib/x/0000.npy ..., cls_calib/x/0000.npy ...
      the calibration samples one per file, [1,3,48,W], in a folder named after the
      model input ("x" for both models) for a compiler that calibrates from .npy files
  dataset.json    seed, sizes and fonts

Calibration and evaluation sets are drawn from different random streams and share no
text line. The output is deterministic for a given seed, font files and Pillow/FreeType.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import paddleocr_models  # noqa: E402

REC_SHAPE = (3, 48, 320)  # rapidocr config.yaml rec_img_shape
CLS_SHAPE = (3, 48, 192)  # rapidocr config.yaml cls_image_shape
# Shorter lines can read the same both ways up ("9" turned is "6"): no cls ground truth.
CLS_MIN_CHARS = 4
INPUT_NAME = "x"  # the ONNX input of both models (checked against the models)

NOTO = "/usr/share/fonts/opentype/noto"
DEJAVU = "/usr/share/fonts/truetype/dejavu"
# (file, face index in the .ttc): index 2 of the Noto CJK collections is "SC" (simplified).
CJK_FONTS = [
    (f"{NOTO}/NotoSansCJK-Regular.ttc", 2),
    (f"{NOTO}/NotoSansCJK-Bold.ttc", 2),
    (f"{NOTO}/NotoSerifCJK-Regular.ttc", 2),
    (f"{NOTO}/NotoSerifCJK-Bold.ttc", 2),
]
LATIN_FONTS = [
    (f"{DEJAVU}/DejaVuSans.ttf", 0),
    (f"{DEJAVU}/DejaVuSans-Bold.ttf", 0),
    (f"{DEJAVU}/DejaVuSerif.ttf", 0),
    (f"{DEJAVU}/DejaVuSerif-Bold.ttf", 0),
    (f"{DEJAVU}/DejaVuSansMono.ttf", 0),
]

WORDS = """
about account action active address after again agent air all alpha amount and apple
april area art audio auto back bank base battery best black blue board book box bridge
build bus business buy cafe call camera card care case cash center change city class clean
clear click cloud code coffee color common company computer contact control copy cost
count country data date day deep delta design desk digital direct door down drive east
easy edit email energy engine enter event exit express fast file film final fire first
floor flow food form free fresh friend front full game garden gate global gold good green
group guide hand happy health help high home hotel hour house image index info input
line link list local lock long love mail main map market master media menu metro mobile
model money month music name net news next night north note number office online open
order page paper park party pass phone photo plan play plus point port post power press
price print private public quick radio rate read real red report road room safe sale
school screen search second secure select service set shop show simple size smart south
space speed sport star start station stop store street study style sun super system table
team test text time today top total tower town trade train travel tree type union unit
user value video view voice water web week west white window wine word work world year
yellow zone
""".split()
BRANDS = ["iPhone", "WiFi", "USB", "GPS", "PDF", "HTML", "CPU", "GPU", "LED", "TV", "OK",
          "App", "Email", "VIP", "NO", "ID", "PM", "AM", "QR", "DNA", "CEO", "API"]
CJK_PUNCT = "，。、：；！？"
CJK_BRACKETS = ["（）", "《》"]
UNITS = ["元", "米", "公斤", "个", "件", "号", "年", "月", "日", "点", "分", "人", "次", "页",
         "楼", "层", "号线", "路"]


def common_hanzi(dictionary: set[str]) -> list[str]:
    """GB2312 level 1 (rows 0xB0-0xD7: the 3755 most common hanzi) that the model knows."""
    chars = []
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            try:
                ch = bytes([hi, lo]).decode("gb2312")
            except UnicodeDecodeError:
                continue
            if ch in dictionary:
                chars.append(ch)
    return chars


def is_cjk(ch: str) -> bool:
    """Characters drawn with the CJK font (hanzi and full-width punctuation)."""
    return ord(ch) >= 0x2E80


class TextSource:
    """Random text lines of a few kinds, every character in the model's dictionary."""

    KINDS = ["chinese", "latin", "numeric", "mixed"]
    WEIGHTS = [0.4, 0.2, 0.15, 0.25]

    def __init__(self, dictionary: set[str]):
        self.hanzi = common_hanzi(dictionary)
        self.dictionary = dictionary

    def _hanzi(self, rng, n):
        return "".join(rng.choice(self.hanzi, size=n))

    def _word(self, rng):
        if rng.random() < 0.15:
            return str(rng.choice(BRANDS))
        w = str(rng.choice(WORDS))
        style = rng.random()
        if style < 0.3:
            return w.capitalize()
        if style < 0.4:
            return w.upper()
        return w

    def _number(self, rng):
        r = rng.random()
        if r < 0.2:
            return f"{rng.integers(1990, 2031)}-{rng.integers(1, 13):02d}-{rng.integers(1, 29):02d}"
        if r < 0.35:
            return f"{rng.integers(0, 24):02d}:{rng.integers(0, 60):02d}"
        if r < 0.5:
            return f"{rng.integers(0, 1000)}.{rng.integers(0, 100):02d}"
        if r < 0.6:
            return f"{rng.integers(0, 100)}%"
        if r < 0.7:
            a, b, c = rng.integers(30, 90), rng.integers(0, 10000), rng.integers(0, 10000)
            return f"1{a}-{b:04d}-{c:04d}"
        return str(rng.integers(0, 10 ** int(rng.integers(1, 7))))

    def line(self, rng) -> tuple[str, str]:
        kind = str(rng.choice(self.KINDS, p=self.WEIGHTS))
        if kind == "chinese":
            text = self._hanzi(rng, int(rng.integers(2, 8)))
            r = rng.random()
            if r < 0.25:
                text += str(rng.choice(list(CJK_PUNCT))) + self._hanzi(rng, int(rng.integers(1, 4)))
            elif r < 0.35:
                b = str(rng.choice(CJK_BRACKETS))
                text = b[0] + text + b[1]
            elif r < 0.45:
                text += str(rng.choice(list("。！？")))
        elif kind == "latin":
            words = [self._word(rng) for _ in range(int(rng.integers(1, 4)))]
            text = " ".join(words)
            r = rng.random()
            if r < 0.15:
                text += str(rng.choice(list(".:!?")))
            elif r < 0.3:
                text += " " + str(rng.integers(1, 100))
            elif r < 0.4:
                text = text.replace(" ", str(rng.choice(["-", "/", "_"])))
        elif kind == "numeric":
            text = self._number(rng)
            if rng.random() < 0.3:
                text = str(rng.choice(["No.", "#", "Tel:", "$", "+"])) + text
        else:  # mixed: hanzi with numbers or Latin words, no spaces at script changes
            parts = [self._hanzi(rng, int(rng.integers(1, 5)))]
            r = rng.random()
            if r < 0.4:
                parts.append(str(rng.integers(0, 1000)))
                parts.append(str(rng.choice(UNITS)))
            elif r < 0.7:
                parts.append(self._word(rng))
                if rng.random() < 0.5:
                    parts.append(self._hanzi(rng, int(rng.integers(1, 3))))
            else:
                parts.append("：")
                parts.append(self._number(rng))
            text = "".join(parts)
        missing = [c for c in text if c not in self.dictionary and c != " "]
        if missing:
            raise RuntimeError(f"ocr_dataset: {text!r} has characters outside the rec "
                               f"dictionary: {missing}")
        return text, kind


def load_font(spec, size):
    path, index = spec
    return ImageFont.truetype(path, size, index=index)


def render_line(rng, text: str, max_ratio: float) -> tuple[np.ndarray | None, str]:
    """A BGR uint8 crop of `text`, or None if it is wider than max_ratio * height."""
    size = int(rng.integers(26, 45))
    cjk_spec = CJK_FONTS[int(rng.integers(len(CJK_FONTS)))]
    # Latin runs: DejaVu most of the time, else the CJK font's own Latin glyphs.
    latin_spec = LATIN_FONTS[int(rng.integers(len(LATIN_FONTS)))] if rng.random() < 0.7 \
        else cjk_spec
    cjk_font, latin_font = load_font(cjk_spec, size), load_font(latin_spec, size)
    runs = []  # (text, font), split where the script changes
    for ch in text:
        font = cjk_font if is_cjk(ch) else latin_font
        if runs and runs[-1][1] is font:
            runs[-1][0].append(ch)
        else:
            runs.append(([ch], font))
    runs = [("".join(chars), font) for chars, font in runs]
    text_w = sum(font.getlength(s) for s, font in runs)
    # Draw on a roomy canvas, then crop around the ink (at least the em box: a line of
    # dots or dashes is not blown up to full height) with random margins, as a text
    # detector's box would be.
    bg = rng.integers(185, 256)
    bg_rgb = tuple(int(v) for v in np.clip(bg + rng.integers(-12, 13, size=3), 0, 255))
    fg = rng.integers(0, 90)
    fg_rgb = tuple(int(v) for v in np.clip(fg + rng.integers(-15, 16, size=3), 0, 255))
    canvas = Image.new("RGB", (int(math.ceil(text_w)) + 2 * size, 3 * size), bg_rgb)
    draw = ImageDraw.Draw(canvas)
    x, baseline = float(size), 2 * size
    x0, y0, x1, y1 = x, baseline - 0.8 * size, x, baseline + 0.15 * size
    for s, font in runs:
        bx0, by0, bx1, by1 = draw.textbbox((x, baseline), s, font=font, anchor="ls")
        x0, y0, x1, y1 = min(x0, bx0), min(y0, by0), max(x1, bx1), max(y1, by1)
        draw.text((x, baseline), s, font=font, fill=fg_rgb, anchor="ls")
        x += font.getlength(s)
    top = int(rng.integers(1, max(2, size // 4)))
    bottom = int(rng.integers(1, max(2, size // 4)))
    left = int(rng.integers(2, max(3, size // 2)))
    right = int(rng.integers(2, max(3, size // 2)))
    box = (max(0, int(x0) - left), max(0, int(y0) - top),
           min(canvas.width, int(math.ceil(x1)) + right),
           min(canvas.height, int(math.ceil(y1)) + bottom))
    width, height = box[2] - box[0], box[3] - box[1]
    if width > max_ratio * height:
        return None, ""
    img = canvas.crop(box)
    if rng.random() < 0.5:
        img = img.filter(ImageFilter.GaussianBlur(radius=float(rng.uniform(0.3, 1.0))))
    arr = np.asarray(img).astype(np.float32)
    # Mild uneven illumination and sensor noise.
    ramp = np.linspace(0.0, float(rng.uniform(-20, 20)), width, dtype=np.float32)
    arr += ramp[None, :, None]
    arr += rng.normal(0.0, float(rng.uniform(0.0, 6.0)), arr.shape).astype(np.float32)
    rgb = np.clip(np.rint(arr), 0, 255).astype(np.uint8)
    font_name = f"{os.path.basename(cjk_spec[0])}+{os.path.basename(latin_spec[0])}"
    return np.ascontiguousarray(rgb[:, :, ::-1]), font_name  # BGR like cv2.imread


def resize_norm_img(img: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
    """rapidocr's TextRecognizer/TextClassifier.resize_norm_img for a BGR uint8 image.

    rec calls it with max_wh_ratio = max(imgW / imgH, ratios of the batch), which is
    imgW / imgH here since every rendered rec line is narrower; cls always uses imgW.
    """
    img_c, img_h, img_w = shape
    h, w = img.shape[:2]
    ratio = w / float(h)
    if math.ceil(img_h * ratio) > img_w:
        resized_w = img_w
    else:
        resized_w = int(math.ceil(img_h * ratio))
    resized = cv2.resize(img, (resized_w, img_h)).astype("float32")
    resized = resized.transpose((2, 0, 1)) / 255
    resized -= 0.5
    resized /= 0.5
    padded = np.zeros((img_c, img_h, img_w), dtype=np.float32)
    padded[:, :, 0:resized_w] = resized
    return padded


def make_split(task, n, rng, source, exclude):
    """n preprocessed samples of `task` whose text lines are not in `exclude`."""
    shape = REC_SHAPE if task == "rec" else CLS_SHAPE
    max_ratio = REC_SHAPE[2] / REC_SHAPE[1]  # both tasks: lines that fit the rec input
    if task == "cls":  # exactly balanced upright / rotated
        rot = np.array([0, 1] * ((n + 1) // 2))[:n]
        rng.shuffle(rot)
    xs, labels, meta, texts = [], [], [], set()
    while len(xs) < n:
        text, kind = source.line(rng)
        if text in exclude or text in texts:
            continue
        if task == "cls" and len(text.replace(" ", "")) < CLS_MIN_CHARS:
            continue
        img, font = render_line(rng, text, max_ratio)
        if img is None:
            continue
        texts.add(text)
        if task == "cls":
            label = int(rot[len(xs)])
            if label:
                img = cv2.rotate(img, cv2.ROTATE_180)
            labels.append(label)
            meta.append({"font": font, "kind": kind, "text": text})
        else:
            labels.append(text)
            meta.append({"font": font, "kind": kind})
        xs.append(resize_norm_img(img, shape))
    return np.stack(xs).astype(np.float32), labels, meta, texts


def check_input_names():
    import onnx

    for kind in ("rec", "cls"):
        model = onnx.load(paddleocr_models.model_paths()[kind], load_external_data=False)
        names = [i.name for i in model.graph.input]
        if names != [INPUT_NAME]:
            raise SystemExit(f"ocr_dataset: {kind} model inputs are {names}, expected "
                             f"['{INPUT_NAME}']")


def rec_dictionary() -> set[str]:
    import onnx

    model = onnx.load(paddleocr_models.model_paths()["rec"], load_external_data=False)
    text, source = paddleocr_models.character_dict(model)
    if text is None:
        raise SystemExit("ocr_dataset: the rec model's character dictionary was not found")
    return set(text.splitlines())


def write_split(out, task, split, x, labels, meta, seed):
    np.savez(os.path.join(out, f"{task}_{split}.npz"), x=x)
    with open(os.path.join(out, f"{task}_{split}.json"), "w", encoding="utf-8") as f:
        json.dump({"task": task, "split": split, "seed": seed, "input_name": INPUT_NAME,
                   "shape": list(x.shape), "labels": labels, "meta": meta},
                  f, ensure_ascii=False, indent=0)
    if split == "calib":
        folder = os.path.join(out, f"{task}_calib", INPUT_NAME)
        os.makedirs(folder, exist_ok=True)
        for i in range(len(x)):
            np.save(os.path.join(folder, f"{i:04d}.npy"), x[i:i + 1])


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", help="output directory")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--calib", type=int, default=64, help="calibration samples per model")
    ap.add_argument("--rec-eval", type=int, default=400, help="rec evaluation lines")
    ap.add_argument("--cls-eval", type=int, default=400, help="cls evaluation images")
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    for path, _ in CJK_FONTS + LATIN_FONTS:
        if not os.path.isfile(path):
            raise SystemExit(f"ocr_dataset: missing font {path} (install fonts-noto-cjk and "
                             "fonts-dejavu-core: scripts/install-deps.sh)")
    check_input_names()
    source = TextSource(rec_dictionary())
    os.makedirs(args.out, exist_ok=True)
    sizes = {}
    for task_id, task in enumerate(("rec", "cls")):
        # One random stream per (task, split): changing a size never reshuffles another set.
        calib_rng = np.random.default_rng([args.seed, task_id, 0])
        eval_rng = np.random.default_rng([args.seed, task_id, 1])
        n_eval = args.rec_eval if task == "rec" else args.cls_eval
        x, labels, meta, calib_texts = make_split(task, args.calib, calib_rng, source, set())
        write_split(args.out, task, "calib", x, labels, meta, args.seed)
        x, labels, meta, _ = make_split(task, n_eval, eval_rng, source, calib_texts)
        write_split(args.out, task, "eval", x, labels, meta, args.seed)
        sizes[task] = {"calib": args.calib, "eval": n_eval}
        print(f"{task}: {args.calib} calibration + {n_eval} evaluation samples "
              f"{'x'.join(map(str, x.shape[1:]))} -> {args.out}")
    with open(os.path.join(args.out, "dataset.json"), "w") as f:
        json.dump({"seed": args.seed, "sizes": sizes, "hanzi_pool": len(source.hanzi),
                   "fonts": [p for p, _ in CJK_FONTS + LATIN_FONTS]}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
