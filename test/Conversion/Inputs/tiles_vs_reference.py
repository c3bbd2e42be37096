#!/usr/bin/env python3
"""Runs a program's tensor-core tile algorithm on the CPU (qopt-ref --engine
tensor-core-cpu) with each given tile shape and prints, per shape, whether
every output equals the reference's bit for bit.

  tiles_vs_reference.py [--mma wgmma] QOPT_REF PROGRAM INPUT.npy REF_DIR WORK_DIR TILE...

With --mma wgmma the tiles are the sm_90a kernel's (warpgroups of 64 x BN,
operands staged in wgmma's core-matrix layout).
"""
import os
import subprocess
import sys

import numpy as np


def main():
    args = sys.argv[1:]
    mma = "mma.sync"
    if args[:1] == ["--mma"]:
        mma, args = args[1], args[2:]
    qopt_ref, program, x, ref_dir, work, *tiles = args
    status = 0
    for tile in tiles:
        out = os.path.join(work, tile.replace("/", "_"))
        subprocess.run([qopt_ref, program, "--engine", "tensor-core-cpu",
                        f"--tensor-core-tile={tile}", f"--tensor-core-mma={mma}",
                        "--input", f"x={x}",
                        "--output-dir", out], check=True)
        for name in sorted(os.listdir(ref_dir)):
            want = np.load(os.path.join(ref_dir, name))
            got = np.load(os.path.join(out, name))
            same = want.shape == got.shape and np.array_equal(want, got)
            print(f"{tile} {name}: {'bit-exact' if same else 'DIFFERENT'}")
            status |= not same
    return status


if __name__ == "__main__":
    sys.exit(main())
