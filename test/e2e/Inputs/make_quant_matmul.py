#!/usr/bin/env python3
"""A float MatMul model and the result of its weights quantized by
round-to-nearest, computed by numpy, for moe-compile --quantize ...
--quantize-method=rtn.

    make_quant_matmul.py OUT_DIR M K N BITS GROUP [asym]

GROUP 0: one scale per output channel. Symmetric: signed, scale = amax /
(2^(bits-1) - 1); asym: unsigned, scale = (max - min) / (2^bits - 1), the
zero point rounding -min / scale; ranges include 0. Also writes
float.npy, the unquantized product, for error statistics.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_matmul import write_matmul  # noqa: E402

out = sys.argv[1]
m, k, n, bits, group = (int(v) for v in sys.argv[2:7])
asym = "asym" in sys.argv[7:]
rng = np.random.default_rng(21)
a = rng.standard_normal((m, k)).astype(np.float32)
w = rng.standard_normal((k, n)).astype(np.float32)
w[0, 0] = 6.0  # an outlier in one channel

g = group or k
wt = w.T.reshape(n, k // g, g)  # [n, groups, g]
lo = np.minimum(wt.min(-1, keepdims=True), 0)
hi = np.maximum(wt.max(-1, keepdims=True), 0)
if asym:
    levels = 2 ** bits - 1
    scale = ((hi - lo) / np.float32(levels)).astype(np.float32)
    scale[scale == 0] = 1
    zp = np.clip(np.round(-lo / scale), 0, levels)
    q = np.clip(np.round(wt / scale) + zp, 0, levels)
else:
    qmax = 2 ** (bits - 1) - 1
    scale = (np.maximum(-lo, hi) / np.float32(qmax)).astype(np.float32)
    scale[scale == 0] = 1
    zp = np.zeros_like(scale)
    q = np.clip(np.round(wt / scale), -qmax - 1, qmax)
deq = ((q - zp) * scale).reshape(n, k).T.astype(np.float32)
y = (a.astype(np.float64) @ deq.astype(np.float64)).astype(np.float32)
exact = (a.astype(np.float64) @ w.astype(np.float64)).astype(np.float32)

write_matmul(out, a, w, y)
np.save(os.path.join(out, "float.npy"), exact)
