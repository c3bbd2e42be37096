"""Input and check of ../fold-qdq-pipeline.mlir.

usage: pipeline_check.py DIR                  (writes DIR/x.npy)
       pipeline_check.py DIR --check F Q      (compares qopt-ref's float
                                               output F.npy with the int8
                                               program's Q.npy)
The input lies on the grid of its quantized type (scale 2/255, zero point -1,
as calib-pipeline.json's [-1, 1] gives), so quantizing it is exact. The check
allows one step of the output's scale (9/255, from the range [-4.5, 4.5]);
the .mlir file derives that bound.
"""
import sys

import numpy as np

X_SCALE, X_ZP = np.float32(2 / 255), -1
Y_SCALE, Y_RANGE = np.float32(9 / 255), 4.5


def main():
    d = sys.argv[1]
    if "--check" in sys.argv:
        i = sys.argv.index("--check")
        f = np.load(sys.argv[i + 1])
        q = np.load(sys.argv[i + 2])
        assert f.shape == q.shape == (4, 4), (f.shape, q.shape)
        # The test means something only if the outputs vary and stay inside
        # the calibrated range (no saturation hides or causes differences).
        assert np.ptp(f) > 20 * Y_SCALE, f
        assert np.abs(f).max() < Y_RANGE, f
        err = float(np.abs(f.astype(np.float64) - q.astype(np.float64)).max())
        print(f"max error {err / Y_SCALE:.3f} steps")
        if err > Y_SCALE:
            print("error above one output step:\n", f, "\n", q)
            sys.exit(1)
        print("within one output step")
        return
    rng = np.random.default_rng(7)
    q = rng.integers(-128, 128, size=(4, 2, 4, 4))
    x = np.float32(q - X_ZP).astype(np.float32) * X_SCALE
    np.save(d + "/x.npy", x.astype(np.float32))


if __name__ == "__main__":
    main()
