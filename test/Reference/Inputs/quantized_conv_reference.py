"""Input and expected output of ../quantized-executor.mlir.

usage: quantized_conv_reference.py DIR            (writes DIR/x.npy)
       quantized_conv_reference.py DIR --check Q Y (compares qopt-ref's int8
                                                    Q.npy and float Y.npy)
The expected values follow docs/quantization.md with Python integers only:
quantize (f32 division, round half to even, saturate, NaN -> zero point),
exact accumulation of (x - z_x) * w over in-bounds taps plus the bias,
the fixed-point multiplier of s_x * s_w[m] / s_y, rounding half up with a
flooring shift, z_y added and saturated; dequantize is (q - z_y) * s_y in f32.
The parameters repeat those of the .mlir file.
"""
import math
import sys

import numpy as np

X_SCALE, X_ZP = 0.25, -3
W_SCALES = [0.02, 0.0625]
Y_SCALE, Y_ZP = 0.5, 5
PADS = (1, 1, 0, 0)  # top, left, bottom, right
W = np.array([[[[1, -2], [3, 127]], [[-127, 0], [5, -6]]],
              [[[10, 20], [-30, 40]], [[7, -8], [9, 100]]]], dtype=np.int64)
BIAS = [300, -980]

X = np.array([[[[0.125, 0.375, -0.625], [1.0, -2.0, 100.0], [np.nan, 0.5, -0.25]],
               [[-40.0, 3.0, 2.25], [-1.5, 0.75, 0.0], [5.0, -0.875, 1.75]]]],
             dtype=np.float32)


def quantize(x, scale, zp):
    q = np.float32(x) / np.float32(scale)  # f32 division
    if math.isnan(q):
        return zp
    return min(max(round(float(q)) + zp, -128), 127)  # round() is half to even


def fixed_point(m):
    mantissa, exponent = math.frexp(m)
    mult = math.floor(mantissa * 2**31 + 0.5)
    if mult == 2**31:
        mult //= 2
        exponent += 1
    return mult, 31 - exponent


def expected():
    n, c, h, w = X.shape
    q = np.array([[[[quantize(v, X_SCALE, X_ZP) for v in row] for row in ch] for ch in X[0]]])
    m_out, _, kh, kw = W.shape
    top, left, bottom, right = PADS
    oh, ow = h + top + bottom - kh + 1, w + left + right - kw + 1
    y = np.zeros((1, m_out, oh, ow), dtype=np.int64)
    for m in range(m_out):
        mult, shift = fixed_point(X_SCALE * W_SCALES[m] / Y_SCALE)
        for oy in range(oh):
            for ox in range(ow):
                acc = BIAS[m]
                for ci in range(c):
                    for i in range(kh):
                        for j in range(kw):
                            iy, ix = oy - top + i, ox - left + j
                            if 0 <= iy < h and 0 <= ix < w:
                                acc += (int(q[0, ci, iy, ix]) - X_ZP) * int(W[m, ci, i, j])
                assert abs(acc) < 2**31
                r = (acc * mult + (1 << (shift - 1))) >> shift  # floors: half up
                y[0, m, oy, ox] = min(max(r + Y_ZP, -128), 127)
    real = (y - Y_ZP).astype(np.float32) * np.float32(Y_SCALE)
    return y.astype(np.int8), real


def main():
    out = sys.argv[1]
    if len(sys.argv) == 2:
        np.save(f"{out}/x.npy", X)
        return
    q = np.load(sys.argv[3])
    y = np.load(sys.argv[4])
    want_q, want_y = expected()
    if q.dtype != np.int8 or not np.array_equal(q, want_q):
        sys.exit(f"int8 output differs:\n{q}\nexpected\n{want_q}")
    if y.dtype != np.float32 or not np.array_equal(y, want_y):
        sys.exit(f"float output differs:\n{y}\nexpected\n{want_y}")
    print("matches docs/quantization.md")


if __name__ == "__main__":
    main()
