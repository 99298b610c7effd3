#!/usr/bin/env python3
"""A moe-level module of one moe.grouped_matmul (40 rows, 3 experts of
[32, 1600] constant weights) whose offsets are an input, with inputs and
the numpy reference in OUT/data: rows before offsets[0] and from
offsets[E] on are zero, expert 1 has no rows, experts 0 and 2 have row
counts that are not multiples of the CPU's 8-row register tile, and K is
long enough for the CPU to take it in chunks (1024, then 576)."""
import os
import sys

import numpy as np

out = sys.argv[1]
rng = np.random.default_rng(3)
rows, depth, width, experts = 40, 1600, 32, 3
x = rng.standard_normal((rows, depth)).astype(np.float32)
w = (rng.standard_normal((experts, width, depth)) / 40).astype(np.float32)
offsets = np.array([2, 19, 19, 37], dtype=np.int32)

y = np.zeros((rows, width), np.float32)
for e in range(experts):
    y[offsets[e]:offsets[e + 1]] = x[offsets[e]:offsets[e + 1]] @ w[e].T

os.makedirs(os.path.join(out, "data"), exist_ok=True)
weights = np.array2string(w, separator=", ", threshold=w.size + 1, floatmode="unique")
with open(os.path.join(out, "model.mlir"), "w") as f:
    f.write(f"""func.func @main(%x: tensor<{rows}x{depth}xf32> {{onnx.name = "x"}},
                %off: tensor<{experts + 1}xi32> {{onnx.name = "offsets"}})
    -> (tensor<{rows}x{width}xf32> {{onnx.name = "y"}}) {{
  %w = arith.constant dense<{weights.replace(chr(10), "")}> : tensor<{experts}x{width}x{depth}xf32>
  %y = moe.grouped_matmul %x, %w, %off
      : (tensor<{rows}x{depth}xf32>, tensor<{experts}x{width}x{depth}xf32>, tensor<{experts + 1}xi32>)
      -> tensor<{rows}x{width}xf32>
  return %y : tensor<{rows}x{width}xf32>
}}
""")
np.save(os.path.join(out, "data", "input_0.npy"), x)
np.save(os.path.join(out, "data", "input_1.npy"), offsets)
np.save(os.path.join(out, "data", "output_0.npy"), y)
