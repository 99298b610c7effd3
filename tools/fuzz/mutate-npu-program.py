#!/usr/bin/env python3
"""Mutation fuzzer for NPU program files (docs/npu-formats.md) and the
simulator that reads them.

Edits valid programs (bytes flipped, numbers replaced by edge values such
as 2^31 or 2^63-1, spans deleted, separators inserted) and runs moe-npu-sim
on each, with and without --timing-only. A run that ends by a signal or
prints a stack dump is a crash: the program is saved under --out and the
script exits non-zero. Diagnostics (exit 1) are the expected outcome.

    tools/fuzz/mutate-npu-program.py --sim build/bin/moe-npu-sim --runs 500 a.npu b.npu
"""
import argparse
import pathlib
import random
import subprocess
import sys
import tempfile

EDGES = [0, 1, 15, 16, 31, 255, 256, 65535, 2**31, 2**32, 2**40, 2**62, 2**63 - 1]


def mutate(data, rng):
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        # The header and the first instructions hold most of the structure.
        pos = rng.randrange(min(len(data), 4000))
        kind = rng.randrange(4)
        if kind == 0:
            data[pos] = rng.randrange(256)
        elif kind == 1:
            data[pos:pos + rng.randint(1, 6)] = str(rng.choice(EDGES)).encode()
        elif kind == 2:
            del data[pos:pos + rng.randint(1, 20)]
        else:
            data[pos:pos] = rng.choice([b"x", b":", b"@", b" ", b"\n", b"-1", b"0x0"])
    return bytes(data)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("programs", nargs="+")
    ap.add_argument("--sim", required=True, help="moe-npu-sim")
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="npu-fuzz-crashes")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    seeds = [pathlib.Path(p).read_bytes() for p in args.programs]
    crashes = 0
    with tempfile.TemporaryDirectory() as tmp:
        program = pathlib.Path(tmp) / "program.npu"
        for _ in range(args.runs):
            data = mutate(rng.choice(seeds), rng)
            program.write_bytes(data)
            for extra in (["--timing-only"], []):
                proc = subprocess.run([args.sim, str(program)] + extra, capture_output=True,
                                      timeout=120)
                err = proc.stderr.decode(errors="replace")
                if proc.returncode < 0 or proc.returncode > 1 or "Stack dump" in err:
                    crashes += 1
                    out = pathlib.Path(args.out)
                    out.mkdir(exist_ok=True)
                    (out / f"crash-{crashes}.npu").write_bytes(data)
                    print(f"crash {crashes} (exit {proc.returncode}):\n{err[-2000:]}",
                          file=sys.stderr)
                    break
    print(f"{args.runs} runs, {crashes} crashes")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
