"""Writes small hostile models, each of which once crashed or misled the importer.

usage: make_hostile.py OUTDIR
"""
import os
import sys

import onnx
from onnx import TensorProto, helper


def save(graph, path, opset=13):
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    with open(path, "wb") as f:
        f.write(m.SerializeToString())


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    x2 = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    y2 = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])

    # A node without outputs.
    shape = helper.make_node("Shape", ["x"], [], name="noout")
    ident = helper.make_node("Identity", ["x"], ["y"], name="id")
    save(helper.make_graph([shape, ident], "g", [x2], [y2]), os.path.join(out, "no-output.onnx"))

    # DepthToSpace whose blocksize squared wraps to zero.
    x4 = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 2, 2])
    y4 = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    d2s = helper.make_node("DepthToSpace", ["x"], ["y"], name="d2s", blocksize=1 << 32)
    save(helper.make_graph([d2s], "g", [x4], [y4]), os.path.join(out, "depth-to-space.onnx"))

    # OneHot asking for a 16 GiB iota from a 150-byte file.
    i1 = helper.make_tensor_value_info("i", TensorProto.INT64, [1])
    yo = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    depth = helper.make_tensor("d", TensorProto.INT64, [], [2147483647])
    vals = helper.make_tensor("v", TensorProto.FLOAT, [2], [0.0, 1.0])
    onehot = helper.make_node("OneHot", ["i", "d", "v"], ["y"], name="onehot")
    save(helper.make_graph([onehot], "g", [i1], [yo], [depth, vals]),
         os.path.join(out, "one-hot.onnx"))

    # Tile whose repeat count overflows the element count.
    reps = helper.make_tensor("r", TensorProto.INT64, [1], [1 << 62])
    tile = helper.make_node("Tile", ["x", "r"], ["y"], name="tile")
    save(helper.make_graph([tile], "g", [x2], [yo], [reps]), os.path.join(out, "tile.onnx"))

    # A Constant declaring 3e9 elements but holding none.
    big = TensorProto()
    big.name = "c"
    big.data_type = TensorProto.FLOAT
    big.dims.extend([3000000000])
    const = helper.make_node("Constant", [], ["c"], name="const", value=big)
    add = helper.make_node("Add", ["x", "c"], ["y"], name="add")
    save(helper.make_graph([const, add], "g", [x2], [yo]), os.path.join(out, "constant.onnx"))

    # raw_data shorter than the shape.
    short = TensorProto()
    short.name = "w"
    short.data_type = TensorProto.FLOAT
    short.dims.extend([4])
    short.raw_data = b"\0" * 8
    add = helper.make_node("Add", ["x", "w"], ["y"], name="add")
    x4f = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])
    save(helper.make_graph([add], "g", [x4f], [yo], [short]), os.path.join(out, "raw-data.onnx"))


if __name__ == "__main__":
    main()
