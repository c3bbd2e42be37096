"""Writes the seed corpora of the fuzz harnesses (fuzz/*.cpp).

usage: make_fuzz_seeds.py OUTDIR TOOLS_DIR

OUTDIR/onnx_import_fuzzer: the ONNX node-test models of Debian's
  libonnx-testdata (one small model per op and attribute variant) and the
  models of the malformed-model suite;
OUTDIR/bundle_fuzzer: .qbin bundles qopt-compile writes for small int8 and
  float programs;
OUTDIR/npy_fuzzer: .npy files of every dtype the readers take, in format
  versions 1.0 to 3.0, and .npz archives (stored and deflated).
"""
import glob
import os
import shutil
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "test", "Import", "Inputs"))


def onnx_seeds(out):
    n = 0
    for path in sorted(glob.glob("/usr/share/libonnx-testdata/data/node/*/model.onnx")):
        if os.path.getsize(path) <= 64 << 10:
            shutil.copyfile(path, os.path.join(out, os.path.basename(os.path.dirname(path))))
            n += 1
    import malformed_suite
    for cls, name, data, _, _ in malformed_suite.cases(out):
        if isinstance(data, bytes) and len(data) <= 64 << 10:
            with open(os.path.join(out, "malformed-" + name), "wb") as f:
                f.write(data)
            n += 1
    shutil.rmtree(os.path.join(out, "secret"), ignore_errors=True)
    return n


def bundle_seeds(out, tools):
    sources = [os.path.join(ROOT, "test", "Conversion", "Inputs", f)
               for f in ("tiny-int8.mlir", "gemm-int8-3x40x20.mlir", "conv-int8-16x8.mlir")]
    n = 0
    for src in sources:
        for tc in ("true", "false"):
            dst = os.path.join(out, f"{os.path.basename(src)}-tc-{tc}.qbin")
            r = subprocess.run([os.path.join(tools, "qopt-compile"), src, "-o", dst,
                                "--target=sm_80", f"--tensor-cores={tc}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if r.returncode != 0:
                sys.exit(f"make_fuzz_seeds: qopt-compile {src} failed:\n"
                         + r.stderr.decode()[-2000:])
            n += 1
    # An sm_90a bundle whose kernel reads both operands through TMA: tensor maps in the
    # bundle, encoded when the session starts.
    src = os.path.join(out, "gemm-tma.mlir")
    with open(src, "w") as f:
        subprocess.run([sys.executable, os.path.join(ROOT, "test", "Conversion", "Inputs",
                                                     "gen_tensor_core_case.py"),
                        "gemm", "40", "64", "32"], stdout=f, check=True)
    r = subprocess.run([os.path.join(tools, "qopt-compile"), src, "-o",
                        os.path.join(out, "gemm-tma-sm_90a.qbin"), "--target=sm_90a"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    os.remove(src)
    if r.returncode != 0:
        sys.exit("make_fuzz_seeds: qopt-compile of the TMA gemm failed:\n"
                 + r.stderr.decode()[-2000:])
    return n + 1


def npy_seeds(out):
    rng = np.random.default_rng(0)
    arrays = {
        "f32": rng.standard_normal((2, 3), np.float32),
        "f16": rng.standard_normal((4,)).astype(np.float16),
        "f64": rng.standard_normal((1, 2, 2)),
        "i8": rng.integers(-128, 127, (3, 3), dtype=np.int8),
        "u8": rng.integers(0, 255, (5,), dtype=np.uint8),
        "i16": np.arange(6, dtype=np.int16).reshape(2, 3),
        "i32": np.arange(4, dtype=np.int32),
        "i64": np.arange(3, dtype=np.int64),
        "u64": np.arange(2, dtype=np.uint64),
        "bool": np.array([True, False, True]),
        "scalar": np.float32(1.5),
        "empty": np.zeros((0, 3), np.float32),
        "fortran": np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)),
        "bigendian": np.arange(4, dtype=">f4"),
    }
    n = 0
    for name, a in arrays.items():
        for version in ((1, 0), (2, 0), (3, 0)):
            path = os.path.join(out, f"{name}-v{version[0]}.npy")
            with open(path, "wb") as f:
                np.lib.format.write_array(f, np.asarray(a), version=version)
            n += 1
    np.savez(os.path.join(out, "stored.npz"), a=arrays["f32"], b=arrays["i8"])
    np.savez_compressed(os.path.join(out, "deflated.npz"), a=arrays["f32"], b=arrays["bool"])
    return n + 2


def main():
    out, tools = sys.argv[1], sys.argv[2]
    counts = {}
    for name, make in (("onnx_import_fuzzer", onnx_seeds),
                       ("bundle_fuzzer", lambda d: bundle_seeds(d, tools)),
                       ("npy_fuzzer", npy_seeds)):
        d = os.path.join(out, name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        counts[name] = make(d)
    print("make_fuzz_seeds: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
