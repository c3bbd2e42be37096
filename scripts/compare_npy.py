#!/usr/bin/env python3
"""Compares the .npy files of two output folders: bit for bit (--exact) or within a tolerance.

Exit status 0 when every file in the first folder has a match in the second.
"""
import argparse
import pathlib
import sys

import numpy as np


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("expected")
    p.add_argument("actual")
    p.add_argument("--exact", action="store_true", help="require identical bits")
    p.add_argument("--rtol", type=float, default=1e-4)
    p.add_argument("--atol", type=float, default=1e-5)
    a = p.parse_args()
    files = sorted(pathlib.Path(a.expected).glob("*.npy"))
    if not files:
        print(f"no .npy files in {a.expected}")
        return 1
    ok = True
    for f in files:
        e = np.load(f)
        other = pathlib.Path(a.actual) / f.name
        if not other.exists():
            print(f"{f.name}: missing in {a.actual}")
            ok = False
            continue
        g = np.load(other)
        if e.shape != g.shape or e.dtype != g.dtype:
            print(f"{f.name}: {e.dtype}{list(e.shape)} vs {g.dtype}{list(g.shape)}")
            ok = False
            continue
        if a.exact:
            same = e.tobytes() == g.tobytes()
            diff = int(np.sum(e != g))
            print(f"{f.name}: {'bit-exact' if same else f'{diff} of {e.size} elements differ'}")
        else:
            same = bool(np.allclose(g, e, rtol=a.rtol, atol=a.atol, equal_nan=True))
            err = float(np.max(np.abs(g.astype(np.float64) - e))) if e.size else 0.0
            print(f"{f.name}: max abs error {err:.3g} ({'ok' if same else 'too large'})")
        ok &= same
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
