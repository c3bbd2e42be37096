"""Writes models whose weight lives in external data, honest and hostile.

usage: make_external_data.py OUTDIR
Creates OUTDIR/model/{ok,dotdot,absolute,symlink,hardlink,range,length}.onnx;
each has one initializer 'w' (float[4]) added to the input.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from malformed_suite import external  # noqa: E402  (one builder for both tests)


def model_with_location(path, location, offset=None, length=None):
    with open(path, "wb") as f:
        f.write(external(location, offset, length))


def main():
    out = sys.argv[1]
    inside = os.path.join(out, "model")
    outside = os.path.join(out, "secret")
    os.makedirs(inside, exist_ok=True)
    os.makedirs(outside, exist_ok=True)
    data = np.array([1, 2, 3, 4], np.float32).tobytes()
    for d in (inside, outside):
        with open(os.path.join(d, "w.bin"), "wb") as f:
            f.write(data)
    for name in ("link.bin", "hard.bin"):
        p = os.path.join(inside, name)
        if os.path.lexists(p):
            os.remove(p)
    os.symlink(os.path.join(outside, "w.bin"), os.path.join(inside, "link.bin"))
    os.link(os.path.join(outside, "w.bin"), os.path.join(inside, "hard.bin"))
    model_with_location(os.path.join(inside, "ok.onnx"), "w.bin")
    model_with_location(os.path.join(inside, "dotdot.onnx"), "../secret/w.bin")
    model_with_location(os.path.join(inside, "absolute.onnx"),
                        os.path.abspath(os.path.join(outside, "w.bin")))
    model_with_location(os.path.join(inside, "symlink.onnx"), "link.bin")
    model_with_location(os.path.join(inside, "hardlink.onnx"), "hard.bin")
    model_with_location(os.path.join(inside, "range.onnx"), "w.bin", offset=8, length=16)
    model_with_location(os.path.join(inside, "length.onnx"), "w.bin", offset=0, length=8)


if __name__ == "__main__":
    main()
