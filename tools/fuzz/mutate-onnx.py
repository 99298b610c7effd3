#!/usr/bin/env python3
"""Mutation fuzzer for moe-compile's ONNX importer and converters.

Mutates the ONNX backend node test models (Debian's libonnx-testdata) and
runs moe-compile on each result. Byte mode flips, inserts and deletes bytes
(the protobuf reader and importer); structural mode edits valid models
(attribute values, input dims and types, dropped or swapped inputs, opset
versions), which reaches the op converters. A run that ends by a signal or
prints a stack dump is a crash: the input is saved under the output folder
and the script exits non-zero.

    tools/fuzz/mutate-onnx.py --moe-compile build/bin/moe-compile --seconds 120
    tools/fuzz/mutate-onnx.py --moe-compile build/bin/moe-compile --structural --runs 300
    tools/fuzz/mutate-onnx.py --moe-compile build/bin/moe-compile --structural --models DIR

--models mutates the .onnx files of DIR instead (exports of MoE and
attention blocks: the raising passes then see perturbed subgraphs);
--npu TARGET compiles each mutant for that NPU (its lowering and sync
insertion then see them); --cuda TARGET to PTX for that GPU (the kernel
mapping, NVVM and gpu-module-to-binary see them).
"""
import argparse
import pathlib
import random
import subprocess
import sys
import tempfile
import time

TESTDATA = pathlib.Path("/usr/share/libonnx-testdata/data/node")


def mutate(data, rng):
    data = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if not data:
            break
        pos = rng.randrange(len(data))
        kind = rng.randrange(4)
        if kind == 0:
            data[pos] = rng.randrange(256)
        elif kind == 1:
            data[pos] ^= 1 << rng.randrange(8)
        elif kind == 2:
            del data[pos:pos + rng.randint(1, 16)]
        else:
            data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    return bytes(data)


INTS = [-3, -2, -1, 0, 1, 2, 3, 7, 64, 2 ** 31 - 1, -2 ** 31]
ELEM_TYPES = [1, 2, 3, 5, 6, 7, 9, 10, 11, 16]


def mutate_structure(data, rng):
    """One edit of a valid model that keeps it parseable."""
    import onnx
    model = onnx.load_from_string(data)
    graph = model.graph
    kind = rng.randrange(7)
    nodes = list(graph.node)
    if kind == 0 and nodes:
        node = rng.choice(nodes)
        ints = [a for a in node.attribute if a.type in (onnx.AttributeProto.INT, onnx.AttributeProto.INTS)]
        floats = [a for a in node.attribute if a.type == onnx.AttributeProto.FLOAT]
        if ints:
            attr = rng.choice(ints)
            if attr.type == onnx.AttributeProto.INT:
                attr.i = rng.choice(INTS)
            elif attr.ints and rng.random() < 0.5:
                attr.ints[rng.randrange(len(attr.ints))] = rng.choice(INTS)
            else:
                attr.ints.append(rng.choice(INTS))
        elif floats:
            rng.choice(floats).f = rng.choice([0.0, -1.0, 1e30, float("nan"), float("inf")])
    elif kind == 1 and nodes:
        node = rng.choice(nodes)
        if node.input:
            node.input[rng.randrange(len(node.input))] = ""
    elif kind == 2 and nodes:
        node = rng.choice(nodes)
        if len(node.input) > 1:
            i, j = rng.sample(range(len(node.input)), 2)
            node.input[i], node.input[j] = node.input[j], node.input[i]
    elif kind == 3 and graph.input:
        value = rng.choice(list(graph.input))
        dims = value.type.tensor_type.shape.dim
        if dims:
            dim = dims[rng.randrange(len(dims))]
            if rng.random() < 0.3:
                dim.dim_param = "n"
            else:
                dim.dim_value = rng.choice([0, 1, 2, 7])
    elif kind == 4 and graph.input:
        rng.choice(list(graph.input)).type.tensor_type.elem_type = rng.choice(ELEM_TYPES)
    elif kind == 5 and model.opset_import:
        rng.choice(list(model.opset_import)).version = rng.randint(1, 24)
    elif nodes:
        node = rng.choice(nodes)
        node.input.append(rng.choice([i.name for i in graph.input] or [""]))
    return model.SerializeToString()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--moe-compile", required=True)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="fuzz-crashes")
    ap.add_argument("--structural", action="store_true",
                    help="edit valid models instead of their bytes")
    ap.add_argument("--lib", action="store_true",
                    help="compile each mutant to a shared library (the CPU backend too)")
    ap.add_argument("--models", help="mutate DIR/*.onnx instead of the node tests")
    ap.add_argument("--npu", metavar="TARGET",
                    help="compile each mutant to an NPU program for TARGET (f32 matmuls in f16)")
    ap.add_argument("--cuda", metavar="TARGET",
                    help="compile each mutant to PTX for TARGET (e.g. cuda-sm90)")
    ap.add_argument("--runs", type=int, default=0,
                    help="stop after this many runs (0: run for --seconds)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    if args.models:
        seeds = [p.read_bytes() for p in sorted(pathlib.Path(args.models).glob("*.onnx"))]
    else:
        seeds = [p.read_bytes() for p in sorted(TESTDATA.glob("*/model.onnx"))]
    out = pathlib.Path(args.out)
    runs = crashes = 0
    deadline = time.time() + args.seconds
    with tempfile.TemporaryDirectory() as tmp:
        model = pathlib.Path(tmp) / "model.onnx"
        while time.time() < deadline and (args.runs == 0 or runs < args.runs):
            seed = rng.choice(seeds)
            data = mutate_structure(seed, rng) if args.structural else mutate(seed, rng)
            model.write_bytes(data)
            target = str(pathlib.Path(tmp) / "model.so") if args.lib else "-"
            extra = []
            if args.npu:
                target = str(pathlib.Path(tmp) / "model.npu")
                extra = [f"--target={args.npu}", "--npu-matmul-type=f16"]
            if args.cuda:
                target = str(pathlib.Path(tmp) / ("model.so" if args.lib else "model.ptx"))
                extra = [f"--target={args.cuda}"]
            proc = subprocess.run([args.moe_compile, str(model), "-o", target] + extra,
                                  capture_output=True, timeout=60)
            runs += 1
            err = proc.stderr.decode(errors="replace")
            if proc.returncode < 0 or proc.returncode > 1 or "Stack dump" in err:
                crashes += 1
                out.mkdir(exist_ok=True)
                (out / f"crash-{crashes}.onnx").write_bytes(data)
                print(f"crash {crashes} (exit {proc.returncode}):\n{err[-3000:]}", file=sys.stderr)
    print(f"{runs} runs, {crashes} crashes")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
