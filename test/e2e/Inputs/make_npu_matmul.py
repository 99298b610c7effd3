#!/usr/bin/env python3
"""An f16 MatMul model with both operands as inputs, and numpy's result
(f32 products and sums, rounded to f16 once: what the cube computes).

    make_npu_matmul.py OUT_DIR M K N [SEED]
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

out = sys.argv[1]
m, k, n = (int(v) for v in sys.argv[2:5])
rng = np.random.default_rng(int(sys.argv[5]) if len(sys.argv) > 5 else 5)
a = rng.standard_normal((m, k)).astype(np.float16)
b = (rng.standard_normal((k, n)) / np.sqrt(k)).astype(np.float16)
c = (a.astype(np.float64) @ b.astype(np.float64)).astype(np.float16)
f16 = TensorProto.FLOAT16
graph = helper.make_graph([helper.make_node("MatMul", ["a", "b"], ["c"], name="proj")], "g",
                          [helper.make_tensor_value_info("a", f16, [m, k]),
                           helper.make_tensor_value_info("b", f16, [k, n])],
                          [helper.make_tensor_value_info("c", f16, [m, n])])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
os.makedirs(os.path.join(out, "data"), exist_ok=True)
onnx.save(model, os.path.join(out, "model.onnx"))
np.save(os.path.join(out, "data", "input_0.npy"), a)
np.save(os.path.join(out, "data", "input_1.npy"), b)
np.save(os.path.join(out, "data", "output_0.npy"), c)
