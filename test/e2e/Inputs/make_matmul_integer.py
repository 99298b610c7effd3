#!/usr/bin/env python3
"""ONNX's MatMulInteger (8-bit A and B, per-tensor zero points, i32 out)
by a constant B, and numpy's exact result.

    make_matmul_integer.py OUT_DIR M K N A_TYPE B_TYPE [zero-points]

A_TYPE and B_TYPE are int8 or uint8; with `zero-points` both inputs have
one (A's an initializer like B's: what ONNX Runtime's dynamic
quantization feeds it comes from DynamicQuantizeLinear instead).
"""
import os
import sys

import numpy as np
from onnx import helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_matmul import write_model  # noqa: E402

out = sys.argv[1]
m, k, n = (int(v) for v in sys.argv[2:5])
a_type, b_type = (np.dtype(t) for t in sys.argv[5:7])
zero_points = "zero-points" in sys.argv[7:]
rng = np.random.default_rng(8)


def draw(dtype, shape):
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max + 1, shape).astype(dtype)


a = draw(a_type, (m, k))
b = draw(b_type, (k, n))
inputs = ["a", "b"]
inits = {"b": b}
za = zb = 0
if zero_points:
    za_arr, zb_arr = draw(a_type, ()), draw(b_type, ())
    za, zb = int(za_arr), int(zb_arr)
    inits.update({"za": za_arr, "zb": zb_arr})
    inputs += ["za", "zb"]
c = ((a.astype(np.int64) - za) @ (b.astype(np.int64) - zb)).astype(np.int32)
write_model(out, [helper.make_node("MatMulInteger", inputs, ["c"])], inits, a, c)
