#!/usr/bin/env python3
"""Inputs and reference outputs for make_model.py's `add` model (c = a + b,
2x3 float): OUT/good with .npy and .pb files, OUT/bad with a wrong output."""
import os
import sys

import numpy as np
from onnx import numpy_helper

out = sys.argv[1]
a = np.arange(6, dtype=np.float32).reshape(2, 3)
b = np.full((2, 3), 0.5, dtype=np.float32)
for name, c in (("good", a + b), ("bad", a + b + 1)):
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    np.save(os.path.join(folder, "input_0.npy"), a)
    with open(os.path.join(folder, "input_1.pb"), "wb") as f:
        f.write(numpy_helper.from_array(b, "b").SerializeToString())
    with open(os.path.join(folder, "output_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(c, "c").SerializeToString())
os.makedirs(os.path.join(out, "short"), exist_ok=True)
np.save(os.path.join(out, "short", "input_0.npy"), a)
