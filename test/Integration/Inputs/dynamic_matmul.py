"""Writes a MatMul + Add ONNX model with constant weights and an input for it.

usage: dynamic_matmul.py OUT_DIR  ->  OUT_DIR/mm.onnx, OUT_DIR/x.npy
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
rng = np.random.default_rng(1)
w = numpy_helper.from_array(rng.standard_normal((96, 80)).astype(np.float32), "w")
b = numpy_helper.from_array(rng.standard_normal((80,)).astype(np.float32), "b")
graph = helper.make_graph(
    [helper.make_node("MatMul", ["x", "w"], ["t"], name="proj"),
     helper.make_node("Add", ["t", "b"], ["y"], name="bias")],
    "mm", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 70, 96])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 70, 80])], [w, b])
onnx.save(helper.make_model(graph, ir_version=8, opset_imports=[helper.make_opsetid("", 13)]),
          os.path.join(out, "mm.onnx"))
np.save(os.path.join(out, "x.npy"), (rng.standard_normal((2, 70, 96)) * 3).astype(np.float32))
