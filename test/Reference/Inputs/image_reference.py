"""Writes a test image and checks qopt-ref's preprocessing against NumPy.

usage: image_reference.py DIR            (writes DIR/img.png, DIR/bad.png)
       image_reference.py DIR --check Y  (compares Y.npy with the reference)
The reference implements the documented rule: RGB, shorter side to 12
(bilinear, half-pixel centers, edge clamp), center crop 10x8, /255,
(x - mean) / std, NCHW.
"""
import sys

import numpy as np
from PIL import Image


def reference(img):
    h, w, _ = img.shape
    f = 12 / min(h, w)
    rh = 12 if h <= w else max(1, round(h * f))
    rw = 12 if w < h else max(1, round(w * f))
    ys = (np.arange(rh) + 0.5) * (h / rh) - 0.5
    xs = (np.arange(rw) + 0.5) * (w / rw) - 0.5
    ys, xs = np.clip(ys, 0, h - 1), np.clip(xs, 0, w - 1)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    fy, fx = (ys - y0)[:, None, None], (xs - x0)[None, :, None]
    im = img.astype(np.float64)
    top = im[y0][:, x0] * (1 - fx) + im[y0][:, x1] * fx
    bot = im[y1][:, x0] * (1 - fx) + im[y1][:, x1] * fx
    r = top * (1 - fy) + bot * fy
    t, l = (rh - 10) // 2, (rw - 8) // 2
    r = r[t:t + 10, l:l + 8] / 255.0
    r = (r - np.array([0.5, 0.4, 0.3])) / np.array([0.2, 0.25, 0.5])
    return r.transpose(2, 0, 1)[None].astype(np.float32)


def main():
    d = sys.argv[1]
    rng = np.random.default_rng(5)
    img = rng.integers(0, 256, size=(15, 20, 3), dtype=np.uint8)
    if "--check" in sys.argv:
        got = np.load(sys.argv[sys.argv.index("--check") + 1])
        np.testing.assert_allclose(got, reference(img), rtol=1e-5, atol=1e-5)
        print("image matches")
        return
    Image.fromarray(img).save(d + "/img.png")
    with open(d + "/bad.png", "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n not really")


if __name__ == "__main__":
    main()
