#!/usr/bin/env python3
"""A MatMul by a QDQ weight (DequantizeLinear of 8-bit integers, as
quantization tools export them) and numpy's result.

    make_qdq_matmul.py OUT_DIR M K N [per-tensor | blocked=B] [uint8] [int8-activations]

The weight [K, N] is int8 (uint8 with `uint8`) with one scale and zero
point per output channel (DequantizeLinear axis 1), one for the whole
tensor with `per-tensor`, or one per block of B rows of each column with
`blocked=B` (opset 21's blocked DequantizeLinear: axis 0, scale and zero
point [K / B, N]). With `int8-activations` (not blocked) the result is
what moe-compile --int8-activations defines: each row of `a` rounded to
int8, half to even, at 127 / max|row|, integer sums, then times
max|row| / 127 and the weight scale, in f32.
"""
import os
import sys

import numpy as np
from onnx import helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_matmul import write_model  # noqa: E402

out = sys.argv[1]
m, k, n = (int(v) for v in sys.argv[2:5])
per_tensor = "per-tensor" in sys.argv[5:]
unsigned = "uint8" in sys.argv[5:]
block = next((int(v.split("=")[1]) for v in sys.argv[5:] if v.startswith("blocked=")), 0)
rng = np.random.default_rng(5)
a = rng.standard_normal((m, k)).astype(np.float32)
dtype = np.uint8 if unsigned else np.int8
lo, hi = (0, 256) if unsigned else (-128, 128)
q = rng.integers(lo, hi, (k, n)).astype(dtype)
shape = (k // block, n) if block else (1 if per_tensor else n,)
scale = (rng.random(shape) * 0.02 + 0.005).astype(np.float32)
zp = rng.integers(lo + 100, hi - 100, shape).astype(dtype)
if per_tensor:
    scale, zp = scale.reshape(()), zp.reshape(())
if block:
    # Each scale and zero point covers B consecutive rows of its column.
    w = (q.astype(np.float64) - np.repeat(zp, block, axis=0)) * np.repeat(scale, block, axis=0)
else:
    w = ((q.astype(np.float64) - zp.astype(np.float64)) * scale.astype(np.float64))
c = (a.astype(np.float64) @ w).astype(np.float32)
if "int8-activations" in sys.argv[5:]:
    top = np.maximum(np.abs(a).max(axis=1, keepdims=True), np.float32(1e-12))
    qa = np.rint(a / top * np.float32(127)).astype(np.int64)
    sums = qa @ (q.astype(np.int64) - zp.astype(np.int64))
    c = (sums.astype(np.float32) * (top / np.float32(127)) * scale).astype(np.float32)

layout = {"axis": 0, "block_size": block} if block else {} if per_tensor else {"axis": 1}
node = helper.make_node("DequantizeLinear", ["q", "scale", "zp"], ["w"], **layout)
write_model(out, [node, helper.make_node("MatMul", ["a", "w"], ["c"])],
            {"q": q, "scale": scale, "zp": zp}, a, c, opset=21 if block else 17)
