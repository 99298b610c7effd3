#!/usr/bin/env python3
"""A MatMul by a QDQ weight (DequantizeLinear of 8-bit integers, as
quantization tools export them) and numpy's result.

    make_qdq_matmul.py OUT_DIR M K N [per-tensor] [uint8]

The weight [K, N] is int8 (uint8 with `uint8`) with one scale and zero
point per output channel (DequantizeLinear axis 1), or one for the whole
tensor with `per-tensor`.
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
rng = np.random.default_rng(5)
a = rng.standard_normal((m, k)).astype(np.float32)
dtype = np.uint8 if unsigned else np.int8
lo, hi = (0, 256) if unsigned else (-128, 128)
q = rng.integers(lo, hi, (k, n)).astype(dtype)
channels = 1 if per_tensor else n
scale = (rng.random(channels) * 0.02 + 0.005).astype(np.float32)
zp = rng.integers(lo + 100, hi - 100, channels).astype(dtype)
if per_tensor:
    scale, zp = scale.reshape(()), zp.reshape(())
w = ((q.astype(np.float64) - zp.astype(np.float64)) * scale.astype(np.float64))
c = (a.astype(np.float64) @ w).astype(np.float32)

node = helper.make_node("DequantizeLinear", ["q", "scale", "zp"], ["w"],
                        **({} if per_tensor else {"axis": 1}))
write_model(out, [node, helper.make_node("MatMul", ["a", "w"], ["c"])],
            {"q": q, "scale": scale, "zp": zp}, a, c)
