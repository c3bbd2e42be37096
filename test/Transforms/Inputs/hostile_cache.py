"""Writes calibration caches that try to make the reader allocate without bound."""
import json
import sys

out = sys.argv[1]
head = {"format": "qopt-calibration-cache", "version": 1, "samples": 1, "source": "hostile"}


def stats(bin_count):
    return {"min": -1.0, "max": 1.0, "count": 4, "nans": 0, "zeros": 0, "limit": 1.0,
            "bin_count": bin_count, "bins": [1, 1]}


# One tensor claiming a million bins.
json.dump({**head, "tensors": {"x": stats(1 << 20)}}, open(f"{out}/huge-bins.json", "w"))
# Many tensors at the normal 2048 bins, together over 2^26.
json.dump({**head, "tensors": {f"t{i}": stats(2048) for i in range(40000)}},
          open(f"{out}/many-tensors.json", "w"))
