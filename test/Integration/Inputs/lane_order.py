"""Recomputes ReduceMean, ReduceSum and the float GlobalAveragePool of
test/Integration/row-statistics.test in
the summation order qopt/Quant/RowReduction.h defines, in float32, and compares
them with the reference's outputs bit for bit; also says whether the plain
sequential order would have given other bits (so the check can fail)."""
import sys

import numpy as np


def lane_count(n: int) -> int:
    lanes = 1
    while lanes < 32 and 2 * lanes * 32 <= n:
        lanes *= 2
    return lanes


def lane_sum(row: np.ndarray) -> np.float32:
    lanes = lane_count(row.size)
    p = [np.float32(0)] * lanes
    for i, v in enumerate(row):
        p[i % lanes] = np.float32(p[i % lanes] + v)
    h = lanes // 2
    while h >= 1:
        for i in range(h):
            p[i] = np.float32(p[i] + p[i + h])
        h //= 2
    return p[0]


def sequential(row: np.ndarray) -> np.float32:
    acc = np.float32(0)
    for v in row:
        acc = np.float32(acc + v)
    return acc


d = sys.argv[1]
x, z, big = np.load(f"{d}/x.npy"), np.load(f"{d}/z.npy"), np.load(f"{d}/big.npy")
rows = {
    "ref/mean768": ([z[i] for i in range(4)], 768),
    "ref/sum02": ([x[:, c, :].reshape(-1) for c in range(200)], None),
    "gref/gap_f32": ([p.reshape(-1) for p in big.reshape(6, 56, 56)], 56 * 56),
}
differs = 0
for name, (rs, count) in rows.items():
    got = np.load(f"{d}/{name}.npy").reshape(-1)
    want = np.array([lane_sum(r) for r in rs], np.float32)
    seq = np.array([sequential(r) for r in rs], np.float32)
    if count:
        want, seq = want / np.float32(count), seq / np.float32(count)
    differs += int(np.count_nonzero(seq.view(np.uint32) != want.view(np.uint32)))
    print(f"{name.split('/')[1]}: {'lane order' if np.array_equal(got.view(np.uint32), want.view(np.uint32)) else 'NOT the lane order'}")
print(f"sequential order differs in {'some' if differs else 'no'} outputs")
