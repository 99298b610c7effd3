#!/usr/bin/env python3
"""An opset-23 RMSNormalization model and numpy's result for one input.

    make_rms_norm.py OUT_DIR AXIS
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out, axis = sys.argv[1], int(sys.argv[2])
shape = [2, 3, 16]
rng = np.random.default_rng(1)
x = rng.standard_normal(shape).astype(np.float32)
scale = rng.standard_normal(shape[axis:]).astype(np.float32)
node = helper.make_node("RMSNormalization", ["x", "scale"], ["y"], axis=axis, epsilon=1e-5)
graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", 3, 16])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b", 3, 16])],
                          [numpy_helper.from_array(scale, "scale")])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 23)])
model.ir_version = 10
os.makedirs(os.path.join(out, "data"), exist_ok=True)
onnx.save(model, os.path.join(out, "model.onnx"))
dims = tuple(range(axis % len(shape), len(shape)))
y = x / np.sqrt((x.astype(np.float64) ** 2).mean(axis=dims, keepdims=True) + 1e-5) * scale
for name, array in (("input_0", x), ("output_0", y.astype(np.float32))):
    with open(os.path.join(out, "data", name + ".pb"), "wb") as f:
        f.write(numpy_helper.from_array(array, name).SerializeToString())
