"""Calibration data and output checks for ../qopt-compile.test.

usage: qopt_compile_data.py DIR                   (writes the data sets)
       qopt_compile_data.py DIR --check F Q M.mlir
           compares qopt-ref's float output F.npy with the output Q.npy of
           the int8 program M.mlir, in steps of M's output scale
Data sets, for a model input x of f32[2,2,4,4] (batch 2):
  DIR/calib/s{0,1,2}.npy  three samples of N(0, 1)
  DIR/x.npy               a copy of s1, to run the compiled program on
  DIR/outlier/s{0,1,2}.npy the same with one outlier (12.0) in s0, so that
                          entropy and mse clip where minmax does not
  DIR/badshape/a.npy      f32[2,3,4,4]: the wrong channel count
  DIR/batch6.npz          x: f32[6,2,4,4], three samples of batch 2
  DIR/batch3.npz          x: f32[3,2,4,4], not a multiple of the batch
  DIR/empty/              no .npy or .npz (a README only)
"""
import os
import re
import sys

import numpy as np

SHAPE = (2, 2, 4, 4)


def main():
    d = sys.argv[1]
    if "--check" in sys.argv:
        i = sys.argv.index("--check")
        f = np.load(sys.argv[i + 1]).astype(np.float64)
        q = np.load(sys.argv[i + 2]).astype(np.float64)
        assert f.shape == q.shape == (2, 3), (f.shape, q.shape)
        with open(sys.argv[i + 3]) as m:
            scales = re.findall(r"quant\.dcast %\S+ : tensor<2x3x!quant\.uniform<i8:f32, ([^:>]+)", m.read())
        assert len(scales) == 1, scales
        step = float(scales[0])
        # x is a calibration sample, so nothing saturates. The int8 program
        # rounds the input (half of 0.024 per value, through 18 conv weights),
        # the weights (not on their grids) and the conv output: measured at
        # about 1.2 output steps. 4 steps still catches a wrong scale, zero
        # point or bias, which move y by tens of steps.
        err = np.abs(f - q).max()
        print(f"max error {err / step:.2f} steps")
        if err > 4 * step:
            print("error above 4 output steps:\n", f, "\n", q)
            sys.exit(1)
        print("int8 matches float")
        return
    rng = np.random.default_rng(3)
    samples = [rng.standard_normal(SHAPE).astype(np.float32) for _ in range(3)]
    for sub in ("calib", "outlier", "badshape", "empty"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    for i, s in enumerate(samples):
        np.save(os.path.join(d, "calib", f"s{i}.npy"), s)
        if i == 0:
            s = s.copy()
            s[1, 0, 2, 1] = 12.0
        np.save(os.path.join(d, "outlier", f"s{i}.npy"), s)
    np.save(os.path.join(d, "x.npy"), samples[1])
    np.save(os.path.join(d, "badshape", "a.npy"), np.zeros((2, 3, 4, 4), np.float32))
    np.savez(os.path.join(d, "batch6.npz"), x=np.concatenate(samples))
    np.savez(os.path.join(d, "batch3.npz"), x=np.zeros((3, 2, 4, 4), np.float32))
    with open(os.path.join(d, "empty", "README"), "w") as f:
        f.write("no samples here\n")

if __name__ == "__main__":
    main()
