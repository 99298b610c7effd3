"""Writes NPU programs (docs/npu-formats.md) by hand and runs them in
moe-npu-sim, for tests of the simulator itself."""
import json
import os
import subprocess

import numpy as np

TYPES = {"f16": np.float16, "f32": np.float32, "i8": np.int8, "i32": np.int32}


def target(**overrides):
    """A small chip with the 910B-class shapes; fields can be overridden."""
    desc = {
        "format": "moe-npu-target", "version": 1, "name": "test-chip",
        "cube_cores": 1, "vector_cores": 1, "clock_mhz": 1000,
        "vector_bytes": 256, "max_repeats": 255, "event_ids": 8,
        "l2_bytes": 0, "gm_bandwidth_gbps": 1000, "link_bandwidth_gbps": 0,
        "dtypes": ["f16", "bf16", "f32", "i8", "i32"],
        "cubes": [{"input": "f16", "acc": "f32", "m": 16, "k": 16, "n": 16},
                  {"input": "i8", "acc": "i32", "m": 16, "k": 32, "n": 16}],
        "buffers": {"l1": {"size": 65536, "align": 32},
                    "l0a": {"size": 16384, "align": 512},
                    "l0b": {"size": 16384, "align": 512},
                    "l0c": {"size": 32768, "align": 64},
                    "ub": {"size": 65536, "align": 32}},
        "pipes": {"mte2": {"bytes_per_cycle": 64, "latency": 100},
                  "mte1": {"bytes_per_cycle": 128, "latency": 10},
                  "mte3": {"bytes_per_cycle": 64, "latency": 100},
                  "fixpipe": {"bytes_per_cycle": 64, "latency": 20}},
    }
    desc.update(overrides)
    return desc


def region(space, offset, dtype, shape, strides=None):
    if strides is None:
        strides, s = [], 1
        for d in reversed(shape):
            strides.insert(0, s)
            s *= d
    dims = "x".join(map(str, shape))
    return f"{space}@{offset}:{dtype}:{dims}:{'x'.join(map(str, strides))}"


class Program:
    def __init__(self, desc=None):
        self.desc = desc or target()
        self.tensors = []  # (kind, name, dtype, shape, offset)
        self.code = []
        self.gm = 0

    def tensor(self, kind, name, dtype, shape):
        offset = self.gm
        size = int(np.prod(shape)) * np.dtype(TYPES[dtype]).itemsize
        self.gm += (size + 63) // 64 * 64
        self.tensors.append((kind, name, dtype, list(shape), offset))
        return offset

    def emit(self, line):
        self.code.append(line)

    def text(self):
        lines = ["moe-npu-program 2", "target " + json.dumps(self.desc),
                 f"gm_bytes {self.gm}"]
        for kind, name, dtype, shape, offset in self.tensors:
            lines.append(f"tensor {kind} {name} {dtype} {'x'.join(map(str, shape))} {offset}")
        lines.append(f"code {len(self.code)}")
        lines += self.code
        lines.append("data 0 0")
        return "\n".join(lines) + "\n"

    def run(self, sim, workdir, inputs, timing_only=False):
        """Returns (outputs, report) or raises with the simulator's message."""
        os.makedirs(workdir, exist_ok=True)
        path = os.path.join(workdir, "program.npu")
        with open(path, "w") as f:
            f.write(self.text())
        data = os.path.join(workdir, "data")
        os.makedirs(data, exist_ok=True)
        for i, x in enumerate(inputs):
            np.save(os.path.join(data, f"input_{i}.npy"), x)
        out = os.path.join(workdir, "out")
        cmd = [sim, path, "--json", "--data", data, "--write-outputs", out]
        if timing_only:
            cmd.append("--timing-only")
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            raise RuntimeError(run.stderr.strip())
        report = json.loads(run.stdout)
        outputs = []
        n = sum(1 for t in self.tensors if t[0] == "output")
        for i in range(n):
            outputs.append(np.load(os.path.join(out, f"output_{i}.npy")))
        return outputs, report
