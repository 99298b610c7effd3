#!/usr/bin/env python3
"""A product by constant weights and the softmax of another (logits), with
numpy's results for moe-compile --matmul-type=bf16: the product's operands
rounded to bf16 (nearest, ties to even) and summed exactly, the logits left
in f32 (a softmax compares their columns).

    make_bf16_matmul.py OUT_DIR M K N
"""
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

out = sys.argv[1]
m, k, n = (int(v) for v in sys.argv[2:5])
rng = np.random.default_rng(5)


def bf16(x):
    """x rounded to the nearest bf16 (ties to even), as f32."""
    bits = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) << 16
    return rounded.astype(np.uint32).view(np.float32)


a = rng.standard_normal((m, k)).astype(np.float32)
w = rng.standard_normal((k, n)).astype(np.float32)
v = rng.standard_normal((k, 32)).astype(np.float32)
# Exact ties between two bf16 values, with even and odd last kept bits:
# truncation or rounding half up would miss them.
ties = np.array([0x3F808000, 0x3F818000, 0xBF808000, 0xBF818000], np.uint32)
w.flat[: len(ties)] = ties.view(np.float32)
a.flat[: len(ties)] = ties.view(np.float32)
c = (bf16(a).astype(np.float64) @ bf16(w).astype(np.float64)).astype(np.float32)
logits = a.astype(np.float64) @ v.astype(np.float64)
e = np.exp(logits - logits.max(axis=1, keepdims=True))
p = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)

graph = helper.make_graph(
    [helper.make_node("MatMul", ["a", "w"], ["c"]),
     helper.make_node("MatMul", ["a", "v"], ["logits"]),
     helper.make_node("Softmax", ["logits"], ["p"], axis=1)],
    "g",
    [helper.make_tensor_value_info("a", onnx.TensorProto.FLOAT, [m, k])],
    [helper.make_tensor_value_info("c", onnx.TensorProto.FLOAT, [m, n]),
     helper.make_tensor_value_info("p", onnx.TensorProto.FLOAT, [m, 32])],
    [numpy_helper.from_array(w, "w"), numpy_helper.from_array(v, "v")])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
os.makedirs(os.path.join(out, "data"), exist_ok=True)
onnx.save(model, os.path.join(out, "model.onnx"))
np.save(os.path.join(out, "data", "input_0.npy"), a)
np.save(os.path.join(out, "data", "output_0.npy"), c)
np.save(os.path.join(out, "data", "output_1.npy"), p)
