#!/usr/bin/env python3
"""A com.microsoft MatMulNBits (4-bit) model with numpy's result.

    make_matmul_nbits.py OUT_DIR M K N BLOCK [zp] [bias] [SEED]

A [M, K] (M = 0: A is [2, 3, K], batch dims) times the transpose of B,
4-bit unsigned in blocks of BLOCK along K, dequantised as
(q - zero_point) * scale; zero points are 8 unless `zp` asks for packed
ones, `bias` adds a bias. Packing follows ONNX Runtime's contrib op
definition: two values per byte, low nibble first, blocks in row order.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out, m, k, n, block = sys.argv[1], *map(int, sys.argv[2:6])
flags = sys.argv[6:]
seed = int(flags[-1]) if flags and flags[-1].isdigit() else 0
rng = np.random.default_rng(seed)
blocks = k // block
a = rng.standard_normal((2, 3, k) if m == 0 else (m, k)).astype(np.float32)
q = rng.integers(0, 16, (n, k)).astype(np.uint8)
scales = (rng.random((n, blocks)) * 0.1 + 0.01).astype(np.float32)
zp = rng.integers(0, 16, (n, blocks)).astype(np.uint8) if "zp" in flags else None
bias = rng.standard_normal(n).astype(np.float32) if "bias" in flags else None

w = (q.astype(np.float32).reshape(n, blocks, block) -
     (zp if zp is not None else np.full((n, blocks), 8)).astype(np.float32)[:, :, None])
w = (w * scales[:, :, None]).reshape(n, k)
y = (a.astype(np.float64) @ w.T.astype(np.float64)).astype(np.float32)
if bias is not None:
    y = y + bias

packed = (q[:, 0::2] | (q[:, 1::2] << 4)).astype(np.uint8).reshape(n, blocks, block // 2)
inits = [numpy_helper.from_array(packed, "B"), numpy_helper.from_array(scales.reshape(-1), "scales")]
names = ["A", "B", "scales"]
if zp is not None:
    zpad = np.zeros((n, blocks + (blocks % 2)), np.uint8)
    zpad[:, :blocks] = zp
    inits.append(numpy_helper.from_array((zpad[:, 0::2] | (zpad[:, 1::2] << 4)).reshape(-1), "zp"))
    names.append("zp")
else:
    names.append("")
if bias is not None:
    names += ["", bias_name := "bias"]
    inits.append(numpy_helper.from_array(bias, "bias"))
while names and names[-1] == "":
    names.pop()
node = helper.make_node("MatMulNBits", names, ["Y"], domain="com.microsoft", K=k, N=n,
                        bits=4, block_size=block)
graph = helper.make_graph(
    [node], "nbits",
    [helper.make_tensor_value_info("A", TensorProto.FLOAT, list(a.shape))],
    [helper.make_tensor_value_info("Y", TensorProto.FLOAT, list(y.shape))], inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                helper.make_opsetid("com.microsoft", 1)])
model.ir_version = 8
os.makedirs(os.path.join(out, "data"), exist_ok=True)
onnx.save(model, os.path.join(out, "model.onnx"))
np.save(os.path.join(out, "data", "input_0.npy"), a)
np.save(os.path.join(out, "data", "output_0.npy"), y)
