#!/usr/bin/env python3
"""Prints, per output, the SQNR of an int8 run against the float run and
whether it reaches a floor: `sqnr.py FLOAT_DIR INT8_DIR MIN_DB`.

Every .npy of FLOAT_DIR must have a finite counterpart in INT8_DIR; exit 1
when one is missing, not finite, or under MIN_DB."""
import pathlib
import sys

import numpy as np


def main() -> int:
    want, got, floor = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), float(sys.argv[3])
    status = 0
    for f in sorted(want.glob("*.npy")):
        r = np.load(f).astype(np.float64)
        g = np.load(got / f.name).astype(np.float64)
        if not np.all(np.isfinite(g)):
            print(f"{f.stem}: {np.sum(~np.isfinite(g))} values not finite")
            status = 1
            continue
        db = 10 * np.log10(np.sum(r * r) / max(np.sum((g - r) ** 2), 1e-30))
        ok = db >= floor
        print(f"{f.stem}: {'ok' if ok else 'LOW'} (SQNR {db:.1f} dB)")
        status |= not ok
    return status


if __name__ == "__main__":
    sys.exit(main())
