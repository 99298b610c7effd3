#!/usr/bin/env python3
"""Models whose shapes the CPU backend vectorises, with numpy's results.

    make_vector_ops.py OUT_DIR KIND

KIND: softmax (rows of 256: a split max and sum, exp on vectors), reduce
(ReduceSum and ReduceMax over 128 with keepdims, ReduceMean over 16, a
reduction over an outer axis), unary (exp, tanh, erf, log, sigmoid over
rows of 96, which is 32-lane vectors), layernorm (rows of 512).
Inputs cover large negative and positive values, where the vector
approximations of exp and tanh saturate.
"""
import math
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

out, kind = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(11)
nodes, inputs, outputs = [], [], []


def vi(name, array):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, list(array.shape))


def const(name, array):
    return helper.make_tensor(name, TensorProto.INT64, [len(array)], list(array))


if kind == "softmax":
    x = (rng.standard_normal((2, 4, 32, 256)) * 8).astype(np.float32)
    x[0, 0, 0, :] = -1e4  # a row of equal, very negative scores
    e = np.exp(x - x.max(-1, keepdims=True))
    inputs = [("x", x)]
    outputs = [("y", (e / e.sum(-1, keepdims=True)).astype(np.float32))]
    nodes = [helper.make_node("Softmax", ["x"], ["y"], axis=-1)]
elif kind == "reduce":
    x = rng.standard_normal((8, 64, 128)).astype(np.float32)
    s = rng.standard_normal((8, 64, 16)).astype(np.float32)
    inputs = [("x", x), ("s", s)]
    outputs = [("sum", x.sum(-1, keepdims=True)), ("max", x.max(-1, keepdims=True)),
               ("mean", s.mean(-1, keepdims=True)), ("cols", x.sum(1))]
    nodes = [helper.make_node("ReduceSum", ["x", "last"], ["sum"], keepdims=1),
             helper.make_node("ReduceMax", ["x"], ["max"], axes=[-1], keepdims=1),
             helper.make_node("ReduceMean", ["s"], ["mean"], axes=[-1], keepdims=1),
             helper.make_node("ReduceSum", ["x", "middle"], ["cols"], keepdims=0)]
elif kind == "unary":
    x = np.linspace(-30, 30, 64 * 96, dtype=np.float32).reshape(64, 96)
    p = np.abs(x) + np.float32(1e-3)
    erf = np.vectorize(math.erf)
    inputs = [("x", x), ("p", p)]
    outputs = [("exp", np.exp(x / 4)), ("tanh", np.tanh(x)),
               ("erf", erf(x / 8).astype(np.float32)), ("log", np.log(p)),
               ("sigmoid", (1 / (1 + np.exp(-x))).astype(np.float32))]
    nodes = [helper.make_node("Div", ["x", "four"], ["x4"]),
             helper.make_node("Exp", ["x4"], ["exp"]),
             helper.make_node("Tanh", ["x"], ["tanh"]),
             helper.make_node("Div", ["x", "eight"], ["x8"]),
             helper.make_node("Erf", ["x8"], ["erf"]),
             helper.make_node("Log", ["p"], ["log"]),
             helper.make_node("Sigmoid", ["x"], ["sigmoid"])]
elif kind == "layernorm":
    x = (rng.standard_normal((2, 48, 512)) * 3 + 1).astype(np.float32)
    g = rng.standard_normal(512).astype(np.float32)
    b = rng.standard_normal(512).astype(np.float32)
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    inputs = [("x", x), ("g", g), ("b", b)]
    outputs = [("y", ((x - mean) / np.sqrt(var + 1e-5) * g + b).astype(np.float32))]
    nodes = [helper.make_node("LayerNormalization", ["x", "g", "b"], ["y"], axis=-1,
                              epsilon=1e-5)]
else:
    sys.exit(f"unknown kind {kind}")

initializers = [const("last", [-1]), const("middle", [1]),
                helper.make_tensor("four", TensorProto.FLOAT, [], [4.0]),
                helper.make_tensor("eight", TensorProto.FLOAT, [], [8.0])]
used = {name for node in nodes for name in node.input}
graph = helper.make_graph(nodes, kind, [vi(n, a) for n, a in inputs],
                          [vi(n, a.astype(np.float32)) for n, a in outputs],
                          [t for t in initializers if t.name in used])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
onnx.checker.check_model(model)
os.makedirs(os.path.join(out, "data"), exist_ok=True)
onnx.save(model, os.path.join(out, "model.onnx"))
for prefix, pairs in (("input", inputs), ("output", outputs)):
    for i, (name, array) in enumerate(pairs):
        np.save(os.path.join(out, "data", f"{prefix}_{i}.npy"), array.astype(np.float32))
