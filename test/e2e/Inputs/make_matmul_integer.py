#!/usr/bin/env python3
"""ONNX's MatMulInteger (8-bit A and B, i32 out) by a constant B, and
numpy's exact result.

    make_matmul_integer.py OUT_DIR M K N A_TYPE B_TYPE [ZERO_POINTS] [batch=D]
    make_matmul_integer.py OUT_DIR M K N uint8 B_TYPE dynamic [batch=D]
    make_matmul_integer.py OUT_DIR M K N A_TYPE B_TYPE qlinear [per-axis]

A_TYPE and B_TYPE are int8 or uint8. ZERO_POINTS is `zero-points` (one
per tensor, A's an initializer like B's) or `per-axis` (one per row of A
and one per column of B). With batch=D, A is [D, M, K] (a per-row zero
point then [D, M, 1]).

`dynamic` writes what ONNX Runtime's per-channel dynamic quantization
makes of a MatMul: f32 A quantized at run time by DynamicQuantizeLinear
(its zero point a run-time scalar), B with one zero point and scale per
column, the i32 product cast and scaled back to f32. A's values are
exact multiples of a power-of-two scale spanning the uint8 range, so the
run-time quantization has no rounding to disagree on.

`qlinear` writes a QLinearMatMul instead (the result requantized to
A_TYPE), its parameters per tensor or, with `per-axis`, A's, the
result's and their zero points per row and B's per column; scales are
powers of two, so acc * a_scale * b_scale / y_scale is exact and numpy
and the compiler round the same values half to even.
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
options = sys.argv[7:]
batch = next((int(o.split("=")[1]) for o in options if o.startswith("batch=")), None)
rng = np.random.default_rng(8)


def draw(dtype, shape):
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max + 1, shape).astype(dtype)


rows = (batch, m) if batch else (m,)
a = draw(a_type, rows + (k,))
b = draw(b_type, (k, n))
inputs = ["a", "b"]
inits = {"b": b}
za = zb = np.zeros((), np.int64)
if "dynamic" in options:
    # The extremes present, so DynamicQuantizeLinear's scale is exactly `step`.
    a.reshape(-1)[:2] = [0, 255]
    step, a_zp = np.float32(2.0**-5), 77
    x = ((a.astype(np.float32) - a_zp) * step).astype(np.float32)
    zb_arr = draw(b_type, (n,))
    b_scale = rng.uniform(0.01, 0.02, n).astype(np.float32)
    inits.update({"zb": zb_arr, "b_scale": b_scale})
    nodes = [
        helper.make_node("DynamicQuantizeLinear", ["a"], ["aq", "a_scale", "a_zp"]),
        helper.make_node("MatMulInteger", ["aq", "b", "a_zp", "zb"], ["acc"]),
        helper.make_node("Cast", ["acc"], ["accf"], to=1),
        helper.make_node("Mul", ["a_scale", "b_scale"], ["scale"]),
        helper.make_node("Mul", ["accf", "scale"], ["c"]),
    ]
    acc = (a.astype(np.int64) - a_zp) @ (b.astype(np.int64) - zb_arr.astype(np.int64))
    c = (acc.astype(np.float64) * (np.float64(step) * b_scale.astype(np.float64))).astype(np.float32)
    write_model(out, nodes, inits, x, c)
    sys.exit(0)
if "qlinear" in options:
    per_axis = "per-axis" in options
    rows_shape, cols_shape = ((m,), (n,)) if per_axis else ((), ())
    params = {
        "a_scale": (2.0 ** -rng.integers(0, 3, rows_shape)).astype(np.float32),
        "a_zp": draw(a_type, rows_shape),
        "b": b,
        "b_scale": (2.0 ** -rng.integers(0, 3, cols_shape)).astype(np.float32),
        "b_zp": draw(b_type, cols_shape),
        "y_scale": (2.0 ** rng.integers(8, 11, rows_shape)).astype(np.float32),
        "y_zp": draw(a_type, rows_shape),
    }
    as_rows = lambda v: v.reshape(-1, 1) if per_axis else v  # noqa: E731
    acc = ((a.astype(np.int64) - as_rows(params["a_zp"]).astype(np.int64)) @
           (b.astype(np.int64) - params["b_zp"].astype(np.int64)))
    scale = as_rows(params["a_scale"]) * params["b_scale"] / as_rows(params["y_scale"])
    info = np.iinfo(a_type)
    y = np.rint(acc.astype(np.float64) * scale) + as_rows(params["y_zp"]).astype(np.float64)
    c = np.clip(y, info.min, info.max).astype(a_type)
    names = ["a", "a_scale", "a_zp", "b", "b_scale", "b_zp", "y_scale", "y_zp"]
    params.pop("b")
    inits.update(params)
    write_model(out, [helper.make_node("QLinearMatMul", names, ["c"])], inits, a, c)
    sys.exit(0)
if "zero-points" in options or "per-axis" in options:
    per_axis = "per-axis" in options
    za_arr = draw(a_type, rows + (1,) if per_axis and batch else (m,) if per_axis else ())
    zb_arr = draw(b_type, (n,) if per_axis else ())
    za = za_arr.astype(np.int64).reshape(rows + (1,) if per_axis else ())
    zb = zb_arr.astype(np.int64)
    inits.update({"za": za_arr, "zb": zb_arr})
    inputs += ["za", "zb"]
c = ((a.astype(np.int64) - za) @ (b.astype(np.int64) - zb)).astype(np.int32)
write_model(out, [helper.make_node("MatMulInteger", inputs, ["c"])], inits, a, c)
