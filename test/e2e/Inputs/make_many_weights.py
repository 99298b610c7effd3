#!/usr/bin/env python3
"""A chain of N Adds of distinct constant [4, 8] weights to x, with one input
file of ones: a model with many weight globals (their device copies fill the
CUDA runtime's table past its first size).

    make_many_weights.py OUT_DIR N
"""
import pathlib
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out, count = pathlib.Path(sys.argv[1]), int(sys.argv[2])
(out / "data").mkdir(parents=True, exist_ok=True)
nodes, weights, previous = [], [], "x"
for i in range(count):
    values = np.arange(32, dtype=np.float32).reshape(4, 8) * (i + 1)
    weights.append(numpy_helper.from_array(values, f"w{i}"))
    result = "y" if i == count - 1 else f"y{i}"
    nodes.append(helper.make_node("Add", [previous, f"w{i}"], [result]))
    previous = result
graph = helper.make_graph(nodes, "many_weights",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 8])], weights)
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]),
          str(out / "model.onnx"))
(out / "data" / "input_0.pb").write_bytes(
    numpy_helper.from_array(np.ones((4, 8), np.float32), "x").SerializeToString())
