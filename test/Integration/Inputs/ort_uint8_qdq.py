"""A small CNN quantized by onnxruntime with uint8 activations, through qopt-compile.

usage: ort_uint8_qdq.py BIN_DIR WORK_DIR

onnxruntime's quantize_static (QDQ, activations QUInt8, weights QInt8 per channel)
quantizes conv 3x3 -> relu -> conv 3x3 stride 2 -> relu -> global pool -> gemm.
qopt-compile imports its Q/DQ pairs; the uint8 activations become int8
(qopt-signed-storage), so the convs and the gemm are tensor-core kernels. Prints:
  - the count of tensor-core kernels and of SIMT contractions (from --remarks);
  - whether the tensor-core tile algorithm on the CPU equals the reference bit
    for bit;
  - the reference's agreement with onnxruntime running the same QDQ model.
"""
import os
import re
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main() -> int:
    bins, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(3)

    def w(name, shape, scale):
        return numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name)

    inits = [w("w0", (32, 16, 3, 3), 0.1), w("b0", (32,), 0.1), w("w1", (64, 32, 3, 3), 0.06),
             w("b1", (64,), 0.1), w("wf", (64, 32), 0.2), w("bf", (32,), 0.1)]
    nodes = [
        helper.make_node("Conv", ["x", "w0", "b0"], ["c0"], pads=[1, 1, 1, 1], name="conv0"),
        helper.make_node("Relu", ["c0"], ["r0"], name="relu0"),
        helper.make_node("Conv", ["r0", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], strides=[2, 2],
                         name="conv1"),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("GlobalAveragePool", ["r1"], ["p"], name="pool"),
        helper.make_node("Flatten", ["p"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "wf", "bf"], ["y"], name="fc"),
    ]
    graph = helper.make_graph(nodes, "cnn",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 16, 16, 16])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 32])], inits)
    fpath = os.path.join(work, "cnn.onnx")
    onnx.save(helper.make_model(graph, ir_version=8, opset_imports=[helper.make_opsetid("", 13)]),
              fpath)

    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                          quantize_static)

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.items = iter([{"x": rng.standard_normal((2, 16, 16, 16)).astype(np.float32)}
                               for _ in range(4)])

        def get_next(self):
            return next(self.items, None)

    qpath = os.path.join(work, "cnn.qdq.onnx")
    quantize_static(fpath, qpath, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    u8 = sum(1 for i in onnx.load(qpath).graph.initializer
             if i.data_type == TensorProto.UINT8 and "zero_point" in i.name)
    print(f"uint8 zero points in the QDQ model: {u8}")

    x = rng.standard_normal((2, 16, 16, 16)).astype(np.float32)
    xpath = os.path.join(work, "x.npy")
    np.save(xpath, x)
    mlir = os.path.join(work, "cnn.mlir")
    r = subprocess.run([f"{bins}/qopt-compile", qpath, "--precision", "int8", "--emit", "mlir",
                        "-o", mlir], capture_output=True, text=True)
    if r.returncode:
        print("qopt-compile FAILED", r.stderr[-2000:])
        return 1
    r = subprocess.run([f"{bins}/qopt", mlir, "--pass-pipeline",
                        "builtin.module(func.func(qopt-lower-to-linalg{tensor-cores}))",
                        "-o", os.devnull], capture_output=True, text=True)
    tc = len(re.findall(r"remark: tensor-core kernel", r.stderr))
    simt = len(re.findall(r"remark: SIMT kernel, not tensor cores", r.stderr))
    print(f"tensor-core kernels: {tc}, SIMT contractions: {simt}")

    outs = {}
    for engine in ("reference", "tensor-core-cpu"):
        d = os.path.join(work, engine)
        r = subprocess.run([f"{bins}/qopt-ref", mlir, "--engine", engine, "--input",
                            f"x={xpath}", "--output-dir", d], capture_output=True, text=True)
        if r.returncode:
            print(f"{engine} FAILED", r.stderr[-2000:])
            return 1
        outs[engine] = np.load(os.path.join(d, "y.npy"))
    same = np.array_equal(outs["reference"].view(np.uint32), outs["tensor-core-cpu"].view(np.uint32))
    print(f"tensor-core tiles on the CPU: {'bit-exact' if same else 'MISMATCH'}")

    import onnxruntime as ort
    want = ort.InferenceSession(qpath, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    got = outs["reference"]
    sqnr = 10 * np.log10(np.sum(want.astype(np.float64) ** 2) /
                         max(np.sum((got.astype(np.float64) - want) ** 2), 1e-30))
    print(f"onnxruntime agreement: {'ok' if sqnr > 30 else 'LOW'} ({sqnr:.1f} dB SQNR)")
    return 0 if same and sqnr > 30 and simt == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
