#!/usr/bin/env python3
"""Mutation fuzzer for moe-compile's ONNX importer.

Flips, inserts and deletes bytes of the ONNX backend node test models
(Debian's libonnx-testdata) and runs moe-compile on each result. A run that
ends by a signal or prints a stack dump is a crash: the input is saved under
the output folder and the script exits non-zero.

    tools/fuzz/mutate-onnx.py --moe-compile build/bin/moe-compile --seconds 120
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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--moe-compile", required=True)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="fuzz-crashes")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    seeds = [p.read_bytes() for p in sorted(TESTDATA.glob("*/model.onnx"))]
    out = pathlib.Path(args.out)
    runs = crashes = 0
    deadline = time.time() + args.seconds
    with tempfile.TemporaryDirectory() as tmp:
        model = pathlib.Path(tmp) / "model.onnx"
        while time.time() < deadline:
            data = mutate(rng.choice(seeds), rng)
            model.write_bytes(data)
            proc = subprocess.run([args.moe_compile, str(model), "-o", "-"],
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
