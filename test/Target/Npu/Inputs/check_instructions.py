"""Each simulator instruction against numpy, the cycle model against its
formulas, and the synchronisation checks against programs that race.

usage: check_instructions.py MOE_NPU_SIM WORKDIR"""
import sys

import numpy as np

from npu_program import TYPES, Program, region, target

sim, work = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(0)
failures = 0


def check(name, ok, detail=""):
    global failures
    print(("ok " if ok else "FAIL ") + name + (": " + detail if detail and not ok else ""))
    failures += 0 if ok else 1


def expect_error(name, program, inputs, needle):
    try:
        program.run(sim, f"{work}/{name}", inputs)
        check(name, False, "the simulator accepted it")
    except RuntimeError as e:
        check(name, needle in str(e), str(e))


def matmul_program(m, k, n, desc=None, sync=True):
    """gm -> l1 (fractal) -> l0a/l0b -> cube -> l0c -> gm (f32 to f16)."""
    p = Program(desc)
    a = p.tensor("input", "a", "f16", [m, k])
    b = p.tensor("input", "b", "f16", [k, n])
    c = p.tensor("output", "c", "f16", [m, n])
    # nd [R, C] read as the fractal [C/16, R/16, 16, 16]
    def nz(off, r, c):
        return region("gm", off, "f16", [c // 16, r // 16, 16, 16], [16, 16 * c, c, 1])
    def l1nz(off, r, c):
        return region("l1", off, "f16", [c // 16, r // 16, 16, 16])
    p.emit(f"dma {nz(a, m, k)} {l1nz(0, m, k)}")
    p.emit(f"dma {nz(b, k, n)} {l1nz(m * k * 2, k, n)}")
    if sync:
        p.emit("set_flag mte2 mte1 0")
        p.emit("wait_flag mte2 mte1 0")
    # the fractal back to [R, C] on the way into l0
    def l0(space, r, c):
        return region(space, 0, "f16", [c // 16, r // 16, 16, 16], [16, 16 * c, c, 1])
    p.emit(f"dma {l1nz(0, m, k)} {l0('l0a', m, k)}")
    p.emit(f"dma {l1nz(m * k * 2, k, n)} {l0('l0b', k, n)}")
    if sync:
        p.emit("set_flag mte1 cube 0")
        p.emit("wait_flag mte1 cube 0")
    p.emit(f"mmad {region('l0a', 0, 'f16', [m, k])} {region('l0b', 0, 'f16', [k, n])} "
           f"{region('l0c', 0, 'f32', [m, n])}")
    if sync:
        p.emit("set_flag cube fixpipe 0")
        p.emit("wait_flag cube fixpipe 0")
    p.emit(f"dma {region('l0c', 0, 'f32', [m, n])} {region('gm', c, 'f16', [m, n])}")
    return p


# --- cube path, f16 in, f32 accumulation, f16 out ---
m, k, n = 32, 48, 64
a = rng.standard_normal((m, k)).astype(np.float16)
b = rng.standard_normal((k, n)).astype(np.float16)
(c,), report = matmul_program(m, k, n).run(sim, f"{work}/mmad", [a, b])
want = (a.astype(np.float32) @ b.astype(np.float32)).astype(np.float16)
check("mmad f16 x f16 -> f32 -> f16", np.allclose(c.astype(np.float32), want.astype(np.float32),
                                                  rtol=2e-3, atol=2e-3))
steps = (m // 16) * (k // 16) * (n // 16)
check("mmad cube steps", report["cube_steps"] == steps and report["macs"] == m * k * n,
      str(report["cube_steps"]))
check("mmad bytes", report["bytes"]["gm->l1"] == 2 * (m * k + k * n) and
      report["bytes"]["l0c->gm"] == 4 * m * n, str(report["bytes"]))

# accumulate: c = a*b, then c += a*b
p = matmul_program(m, k, n)
mm = p.code.index(next(l for l in p.code if l.startswith("mmad")))
p.code.insert(mm + 1, p.code[mm] + " acc")
(c2,), _ = p.run(sim, f"{work}/mmad-acc", [a, b])
check("mmad accumulate", np.allclose(c2.astype(np.float32), 2 * want.astype(np.float32),
                                     rtol=4e-3, atol=4e-3))

# --- vector unit, f32 and f16 ---
def vector_case(op, dtype, shape, ref, nargs=2, scalar=None, out_shape=None, out_type=None):
    p = Program()
    ins = [p.tensor("input", f"x{i}", dtype, shape) for i in range(nargs)]
    out_shape = out_shape or shape
    out_type = out_type or dtype
    y = p.tensor("output", "y", out_type, out_shape)
    size = int(np.prod(shape)) * (2 if dtype == "f16" else 4)
    for i, off in enumerate(ins):
        p.emit(f"dma {region('gm', off, dtype, shape)} {region('ub', i * size, dtype, shape)}")
    p.emit("set_flag mte2 vector 0")
    p.emit("wait_flag mte2 vector 0")
    srcs = " ".join(region("ub", i * size, dtype, shape) for i in range(nargs))
    dst = region("ub", nargs * size, out_type, out_shape)
    s = "" if scalar is None else f" {scalar}"
    p.emit(f"vec.{op}{s} {srcs} {dst}")
    p.emit("set_flag vector mte3 0")
    p.emit("wait_flag vector mte3 0")
    p.emit(f"dma {dst} {region('gm', y, out_type, out_shape)}")
    xs = [rng.standard_normal(shape).astype(TYPES[dtype]) for _ in range(nargs)]
    if op in ("ln", "sqrt"):
        xs = [np.abs(x) + np.array(0.5, TYPES[dtype]) for x in xs]
    (got,), report = p.run(sim, f"{work}/vec-{op}-{dtype}", xs)
    want = ref(*[x.astype(np.float32) for x in xs]).astype(TYPES[out_type])
    tol = 2e-3 if dtype == "f16" or out_type == "f16" else 1e-6
    check(f"vec.{op} {dtype}", got.shape == want.shape and
          np.allclose(got.astype(np.float32), want.astype(np.float32), rtol=tol, atol=tol),
          f"max diff {np.max(np.abs(got.astype(np.float32) - want.astype(np.float32)))}")
    return report


for dtype in ("f32", "f16"):
    vector_case("add", dtype, [8, 64], np.add)
    vector_case("sub", dtype, [8, 64], np.subtract)
    vector_case("mul", dtype, [8, 64], np.multiply)
    vector_case("div", dtype, [8, 64], np.divide)
    vector_case("max", dtype, [8, 64], np.maximum)
    vector_case("min", dtype, [8, 64], np.minimum)
    vector_case("cmpge", dtype, [8, 64], lambda a, b: (a >= b).astype(np.float32))
    vector_case("cmpgt", dtype, [8, 64], lambda a, b: (a > b).astype(np.float32))
    vector_case("exp", dtype, [8, 64], np.exp, nargs=1)
    vector_case("ln", dtype, [8, 64], np.log, nargs=1)
    vector_case("abs", dtype, [8, 64], np.abs, nargs=1)
    vector_case("sqrt", dtype, [8, 64], np.sqrt, nargs=1)
    vector_case("rec", dtype, [8, 64], np.reciprocal, nargs=1)
    vector_case("relu", dtype, [8, 64], lambda x: np.maximum(x, 0), nargs=1)
    vector_case("adds", dtype, [8, 64], lambda x: x + np.float32(0.75), nargs=1, scalar=0.75)
    vector_case("muls", dtype, [8, 64], lambda x: x * np.float32(-1.5), nargs=1, scalar=-1.5)
    vector_case("maxs", dtype, [8, 64], lambda x: np.maximum(x, 0.25), nargs=1, scalar=0.25)
    vector_case("reduce_sum", dtype, [8, 64], lambda x: x.sum(-1, keepdims=True), nargs=1,
                out_shape=[8, 1])
    vector_case("reduce_max", dtype, [8, 64], lambda x: x.max(-1, keepdims=True), nargs=1,
                out_shape=[8, 1])
vector_case("cast", "f32", [8, 64], lambda x: x, nargs=1, out_type="f16")
vector_case("dup", "f32", [8, 64], lambda: np.full((8, 64), 3.5, np.float32), nargs=0,
            scalar=3.5)
report = vector_case("add", "f32", [4, 64], np.add)
check("vector repeats", report["pipes"]["vector"]["busy_cycles"] == 4 * 64 * 4 // 256,
      str(report["pipes"]["vector"]))

# --- the cycle model ---
p = Program()
x = p.tensor("input", "x", "f32", [1024])
y = p.tensor("input", "y", "f32", [1024])
p.emit(f"dma {region('gm', x, 'f32', [1024])} {region('ub', 0, 'f32', [1024])}")
p.emit(f"dma {region('gm', y, 'f32', [1024])} {region('l1', 0, 'f32', [1024])}")
_, report = p.run(sim, f"{work}/dma-cost", [np.zeros(1024, np.float32)] * 2)
one = 100 + 4096 // 64
check("dma cost = latency + bytes / bytes_per_cycle, in order on one pipe",
      report["cycles"] == 2 * one and report["pipes"]["mte2"]["busy_cycles"] == 2 * one,
      str(report["cycles"]))
p = Program()
x = p.tensor("input", "x", "f32", [1024])
p.emit(f"dma {region('gm', x, 'f32', [1024])} {region('ub', 0, 'f32', [1024])}")
p.emit(f"dma {region('l0c', 0, 'f32', [1024])} {region('gm', x, 'f32', [1024])}")
try:
    p.run(sim, f"{work}/race-gm", [np.zeros(1024, np.float32)])
    check("pipes run in parallel (and race)", False, "no race reported")
except RuntimeError as e:
    check("pipes run in parallel (and race)", "no flag ordering them" in str(e), str(e))
# strided rows of 16 bytes cost a 32-byte burst each
p = Program()
x = p.tensor("input", "x", "f32", [64, 8])
p.emit(f"dma {region('gm', x, 'f32', [64, 4], [8, 1])} {region('ub', 0, 'f32', [64, 4])}")
_, report = p.run(sim, f"{work}/dma-bursts", [np.zeros((64, 8), np.float32)])
check("short rows cost whole bursts", report["cycles"] == 100 + 64 * 32 // 64,
      str(report["cycles"]))

# --- synchronisation checks ---
expect_error("missing wait", matmul_program(16, 16, 16, sync=False),
             [np.zeros((16, 16), np.float16)] * 2, "no flag ordering them")
p = matmul_program(16, 16, 16)
p.code.insert(0, "wait_flag mte3 mte2 1")
expect_error("wait without set", p, [np.zeros((16, 16), np.float16)] * 2, "wait forever")
p = matmul_program(16, 16, 16)
p.code.insert(0, "set_flag mte3 mte2 1")
p.code.insert(0, "set_flag mte3 mte2 1")
expect_error("set twice", p, [np.zeros((16, 16), np.float16)] * 2, "already set")
p = matmul_program(16, 16, 16)
p.code.append("set_flag cube mte2 3")
expect_error("set never waited", p, [np.zeros((16, 16), np.float16)] * 2, "nobody waited")
p = matmul_program(16, 16, 16)
i = p.code.index("wait_flag mte1 cube 0")
p.code[i + 1:i + 1] = ["set_flag mte1 cube 1", "wait_flag mte1 cube 1"]
_, report = p.run(sim, f"{work}/redundant", [np.zeros((16, 16), np.float16)] * 2)
check("a second wait for the same work is redundant", report["redundant_waits"] == 1,
      str(report["redundant_waits"]))
# write-after-read: overwriting l0a while the cube may still read it
p = matmul_program(16, 16, 16)
i = p.code.index(next(l for l in p.code if l.startswith("mmad")))
p.code.insert(i + 1, f"dma {region('l1', 0, 'f16', [16, 16])} {region('l0a', 0, 'f16', [16, 16])}")
expect_error("write after read", p, [np.zeros((16, 16), np.float16)] * 2, "still reads")

# --- legality against the description ---
p = Program()
x = p.tensor("input", "x", "f32", [128, 128])
p.emit(f"dma {region('gm', x, 'f32', [128, 128])} {region('ub', 0, 'f32', [128, 128])}")
p.emit("set_flag mte2 vector 0")
p.emit("wait_flag mte2 vector 0")
p.emit(f"vec.exp {region('ub', 0, 'f32', [128, 128])} {region('ub', 0, 'f32', [128, 128])}")
expect_error("repeat limit", p, [np.zeros((128, 128), np.float32)], "at most 255")
p = Program()
x = p.tensor("input", "x", "f32", [16])
p.emit(f"dma {region('gm', x, 'f32', [16])} {region('ub', 16, 'f32', [16])}")
expect_error("alignment", p, [np.zeros(16, np.float32)], "32-byte aligned")
p = Program()
x = p.tensor("input", "x", "f32", [64, 64])
p.emit(f"dma {region('gm', x, 'f32', [64, 64])} {region('l1', 65536 - 32, 'f32', [64, 64])}")
expect_error("overrun", p, [np.zeros((64, 64), np.float32)], "overruns")
p = Program()
x = p.tensor("input", "x", "f32", [16])
p.emit(f"dma {region('gm', x, 'f32', [16])} {region('l0a', 0, 'f32', [16])}")
expect_error("no dma path", p, [np.zeros(16, np.float32)], "no DMA path")
p = Program()
x = p.tensor("input", "x", "f32", [16, 16])
p.emit(f"mmad {region('l0a', 0, 'f32', [16, 16])} {region('l0b', 0, 'f32', [16, 16])} "
       f"{region('l0c', 0, 'f32', [16, 16])}")
expect_error("cube without the type", p, [np.zeros((16, 16), np.float32)], "has no f32")

# --- scalar unit: registers, rows chosen at run time, predicated work ---
def gather_program():
    """out = x[idx[0]], x[idx[0] + 1], and x[idx[1]] only if idx[2] > 0."""
    p = Program()
    x = p.tensor("input", "x", "f32", [8, 16])
    idx = p.tensor("input", "idx", "i32", [4])
    out = p.tensor("output", "out", "f32", [3, 16])
    for r in range(3):
        p.emit(f"s.ld r{r} {region('gm', idx + 4 * r, 'i32', [1])}")
    p.emit("s.li r3 2")
    p.emit("s.muli r3 r3 3")
    p.emit("s.addi r3 r3 -5")
    p.emit("s.add r4 r0 r3")
    row = lambda reg: f"gm@{x}+r{reg}*64:f32:16:1"
    p.emit(f"dma {row(0)} {region('ub', 0, 'f32', [16])}")
    p.emit(f"dma {row(4)} {region('ub', 64, 'f32', [16])}")
    p.emit(f"dma {row(1)} {region('ub', 128, 'f32', [16])} if r2")
    p.emit("set_flag mte2 mte3 0")
    p.emit("wait_flag mte2 mte3 0")
    p.emit(f"dma {region('ub', 0, 'f32', [3, 16])} {region('gm', out, 'f32', [3, 16])}")
    return p


x = rng.standard_normal((8, 16)).astype(np.float32)
for taken in (1, 0):
    idx = np.array([5, 2, taken, 0], np.int32)
    (out,), report = gather_program().run(sim, f"{work}/gather{taken}", [x, idx])
    want = np.stack([x[5], x[6], x[2] if taken else np.zeros(16, np.float32)])
    check(f"scalar registers, run-time rows, predicate {taken}",
          np.array_equal(out, want) and report["predicated_off"] == 1 - taken and
          report["scalar_accesses"] == 3, f"{out} {report['predicated_off']}")
expect_error("run-time row outside memory", gather_program(),
             [x, np.array([-100, 0, 0, 0], np.int32)], "outside every buffer")

# The scalar unit reads what the vector unit wrote only after a flag, and
# nothing issues before its wait is over.
def scalar_after_vector(sync):
    p = Program()
    y = p.tensor("output", "y", "f32", [16])
    p.emit(f"vec.dup 3 {region('ub', 0, 'f32', [64, 64])}")
    if sync:
        p.emit("set_flag vector scalar 0")
        p.emit("wait_flag vector scalar 0")
    p.emit(f"s.ld r0 {region('ub', 0, 'f32', [1])}")
    p.emit(f"vec.dup 7 {region('ub', 32768, 'f32', [16])} if r0")
    p.emit("set_flag vector mte3 0")
    p.emit("wait_flag vector mte3 0")
    p.emit(f"dma {region('ub', 32768, 'f32', [16])} {region('gm', y, 'f32', [16])}")
    return p


(y,), report = scalar_after_vector(True).run(sim, f"{work}/scalar-wait", [])
check("scalar wait on the vector unit", np.all(y == 7) and report["cycles"] > 64 and
      report["pipes"]["vector"]["busy_cycles"] == 65, str(report["cycles"]))
expect_error("scalar read races the vector unit", scalar_after_vector(False), [],
             "no flag ordering them")
p = Program()
p.emit("set_flag mte2 vector 0 if r1")
expect_error("predicate on a flag", p, [], "take 'if rN'")
p = Program()
p.emit("s.addi r32 r0 1")
expect_error("register number", p, [], "expected: rD rA IMMEDIATE")

print(f"{failures} failures")
sys.exit(1 if failures else 0)
