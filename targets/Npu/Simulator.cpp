//===- Simulator.cpp - Functional and cycle model of an NPU core ---------===//

#include "moe/Target/Npu/Simulator.h"
#include "moe/Target/Npu/Hazards.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace moe_npu;

float moe_npu::halfToFloat(uint16_t bits) {
  _Float16 h;
  std::memcpy(&h, &bits, 2);
  return float(h);
}
uint16_t moe_npu::floatToHalf(float value) {
  _Float16 h = _Float16(value);
  uint16_t bits;
  std::memcpy(&bits, &h, 2);
  return bits;
}
float moe_npu::bf16ToFloat(uint16_t bits) {
  uint32_t word = uint32_t(bits) << 16;
  float f;
  std::memcpy(&f, &word, 4);
  return f;
}
uint16_t moe_npu::floatToBf16(float value) {
  uint32_t word;
  std::memcpy(&word, &value, 4);
  if (std::isnan(value))
    return uint16_t((word >> 16) | 0x40);
  word += 0x7fff + ((word >> 16) & 1);
  return uint16_t(word >> 16);
}

static double load(const uint8_t *p, DType type) {
  switch (type) {
  case DType::F16: {
    uint16_t b;
    std::memcpy(&b, p, 2);
    return halfToFloat(b);
  }
  case DType::BF16: {
    uint16_t b;
    std::memcpy(&b, p, 2);
    return bf16ToFloat(b);
  }
  case DType::F32: {
    float f;
    std::memcpy(&f, p, 4);
    return f;
  }
  case DType::I8:
    return double(int8_t(*p));
  case DType::I32: {
    int32_t i;
    std::memcpy(&i, p, 4);
    return i;
  }
  }
  return 0;
}

static void store(uint8_t *p, DType type, double v) {
  switch (type) {
  case DType::F16: {
    uint16_t b = floatToHalf(float(v));
    std::memcpy(p, &b, 2);
    return;
  }
  case DType::BF16: {
    uint16_t b = floatToBf16(float(v));
    std::memcpy(p, &b, 2);
    return;
  }
  case DType::F32: {
    float f = float(v);
    std::memcpy(p, &f, 4);
    return;
  }
  case DType::I8: {
    double r = std::nearbyint(std::clamp(v, -128.0, 127.0));
    *p = uint8_t(int8_t(r));
    return;
  }
  case DType::I32: {
    int32_t i = int32_t(std::nearbyint(std::clamp(v, -2147483648.0, 2147483647.0)));
    std::memcpy(p, &i, 4);
    return;
  }
  }
}

static bool isFloat(DType t) {
  return t == DType::F16 || t == DType::BF16 || t == DType::F32;
}

namespace {

struct PendingFlag {
  bool set = false;
  int64_t time = 0;
  Clock clock{};
};

} // namespace

struct Simulator::Impl {
  const Program &program;
  SimOptions options;
  SimReport report;
  std::array<std::vector<uint8_t>, kNumSpaces> memory;
  std::unique_ptr<HazardTracker> hazards;
  std::array<int64_t, kNumPipes> free{};
  std::array<Clock, kNumPipes> clocks{};
  std::vector<PendingFlag> flags;
  int64_t issue = 0;
  std::array<int64_t, kNumRegisters> regs{};
  std::vector<int64_t> scratchA, scratchB;

  Impl(const Program &program, SimOptions options)
      : program(program), options(options) {
    memory[int(Space::GM)].assign(program.gmBytes, 0);
    std::copy(program.data.begin(), program.data.end(),
              memory[int(Space::GM)].begin() + program.dataOffset);
    for (int s = 1; s < kNumSpaces; ++s)
      memory[s].assign(program.target.buffers[s].size, 0);
    std::array<int64_t, kNumSpaces> sizes;
    for (int s = 0; s < kNumSpaces; ++s)
      sizes[s] = memory[s].size();
    hazards = std::make_unique<HazardTracker>(sizes);
    flags.resize(kNumPipes * kNumPipes * program.target.eventIds);
  }

  TargetDesc::PipeSpec spec(Pipe pipe) const {
    if (const auto &s = program.target.pipes[int(pipe)])
      return *s;
    // The format's defaults for pipes a description leaves out.
    switch (pipe) {
    case Pipe::MTE1:
      return {256, 20};
    case Pipe::MTE2:
    case Pipe::MTE3:
      return {64, 200};
    case Pipe::Fixpipe:
      return {64, 30};
    case Pipe::Vector:
      return {program.target.vectorBytes, 0};
    default:
      return {1, 0};
    }
  }

  /// `element`: the scalar unit's accesses, aligned to their element only.
  bool checkRegion(const Region &r, std::string &why, bool element = false) {
    const TargetDesc &t = program.target;
    int64_t size = r.space == Space::GM ? program.gmBytes : t.buffers[int(r.space)].size;
    int64_t align =
        r.space == Space::GM || element ? byteSize(r.type) : t.buffers[int(r.space)].align;
    if (r.offset % align) {
      why = llvm::formatv("{0}@{1} is not {2}-byte aligned", name(r.space), r.offset, align);
      return false;
    }
    if (r.offset + extentOf(r) > size) {
      why = llvm::formatv("{0}@{1} + {2} bytes overruns the {3}-byte buffer", name(r.space),
                          r.offset, extentOf(r), size);
      return false;
    }
    return true;
  }

  /// The race check and bookkeeping of one access by `pipe`.
  bool access(const Region &r, Pipe pipe, bool write, std::string &why) {
    int p = int(pipe);
    bool raced = false;
    hazards->check(r, pipe, write, clocks[p],
                   [&](Pipe other, int64_t, bool writeAfterRead, int64_t byte) {
                     if (raced)
                       return;
                     raced = true;
                     why = writeAfterRead
                               ? llvm::formatv("writes {0}@{1} which {2} still reads, with "
                                               "no flag ordering them",
                                               name(r.space), byte, name(other))
                                     .str()
                               : llvm::formatv("{0} {1}@{2} which {3} wrote, with no flag "
                                               "ordering them",
                                               write ? "writes" : "reads", name(r.space),
                                               byte, name(other))
                                     .str();
                   });
    if (raced)
      return false;
    hazards->record(r, pipe, write, clocks[p][p]);
    return true;
  }

  /// Starts an instruction of `cycles` on `pipe`.
  void occupy(Pipe pipe, int64_t cycles) {
    int p = int(pipe);
    int64_t start = std::max(free[p], issue);
    free[p] = start + cycles;
    report.busy[p] += cycles;
    report.issued[p] += 1;
  }

  bool step(const Instr &in, std::string &why);
  bool scalar(const Instr &in, std::string &why);
  /// `in` with its regions' registers added to their offsets.
  bool resolve(const Instr &in, Instr &out, std::string &why);
  bool dma(const Instr &in, std::string &why);
  bool mmad(const Instr &in, std::string &why);
  bool vector(const Instr &in, std::string &why);
};

bool Simulator::Impl::dma(const Instr &in, std::string &why) {
  const Region &src = in.regions[0], &dst = in.regions[1];
  std::optional<Pipe> pipe = dmaPipe(src.space, dst.space);
  if (!pipe) {
    why = llvm::formatv("no DMA path from {0} to {1}", name(src.space), name(dst.space));
    return false;
  }
  if (src.numElements() != dst.numElements()) {
    why = "source and destination hold different numbers of elements";
    return false;
  }
  if (src.type != dst.type) {
    bool legal = *pipe == Pipe::Fixpipe &&
                 ((src.type == DType::F32 && isFloat(dst.type)) ||
                  (src.type == DType::I32 && dst.type == DType::F16));
    if (!legal) {
      why = llvm::formatv("{0} cannot convert {1} to {2} (only the fixpipe converts, from "
                          "f32 or i32)",
                          name(*pipe), name(src.type), name(dst.type));
      return false;
    }
  }
  clocks[int(*pipe)][int(*pipe)]++;
  if (!access(src, *pipe, false, why) || !access(dst, *pipe, true, why))
    return false;
  if (options.functional) {
    elementOffsets(src, scratchA);
    elementOffsets(dst, scratchB);
    const uint8_t *s = memory[int(src.space)].data();
    uint8_t *d = memory[int(dst.space)].data();
    if (src.type == dst.type) {
      int64_t eb = byteSize(src.type);
      for (size_t i = 0; i < scratchA.size(); ++i)
        std::memcpy(d + scratchB[i], s + scratchA[i], eb);
    } else {
      for (size_t i = 0; i < scratchA.size(); ++i)
        store(d + scratchB[i], dst.type, load(s + scratchA[i], src.type));
    }
  }
  int64_t eb = std::max(byteSize(src.type), byteSize(dst.type));
  // L0A/L0B take whole fractals (transposed or not, as a load2d does):
  // such a load costs what its source's runs cost.
  bool intoL0 = dst.space == Space::L0A || dst.space == Space::L0B;
  int64_t run =
      (intoL0 ? contiguousRun(src) : std::min(contiguousRun(src), contiguousRun(dst))) * eb;
  int64_t runs = src.numElements() * eb / run;
  // A DMA moves whole 32-byte bursts.
  constexpr int64_t burst = 32;
  int64_t effective = runs * ((run + burst - 1) / burst * burst);
  TargetDesc::PipeSpec s = spec(*pipe);
  int64_t perCycle = s.bytesPerCycle;
  if (src.space == Space::GM || dst.space == Space::GM) {
    // One core cannot move more than the chip's memory delivers per cycle.
    int64_t chip = std::max<int64_t>(
        1, program.target.gmBandwidthGbps * 1000 / program.target.clockMhz);
    perCycle = std::min(perCycle, chip);
  }
  occupy(*pipe, s.latency + (effective + perCycle - 1) / perCycle);
  report.bytes[int(src.space)][int(dst.space)] += src.numElements() * byteSize(src.type);
  return true;
}

bool Simulator::Impl::mmad(const Instr &in, std::string &why) {
  const Region &a = in.regions[0], &b = in.regions[1], &c = in.regions[2];
  if (a.space != Space::L0A || b.space != Space::L0B || c.space != Space::L0C) {
    why = "mmad reads l0a and l0b and accumulates in l0c";
    return false;
  }
  if (a.shape.size() != 2 || b.shape.size() != 2 || c.shape.size() != 2 ||
      a.shape[1] != b.shape[0] || c.shape[0] != a.shape[0] || c.shape[1] != b.shape[1]) {
    why = "mmad takes a [M,K], b [K,N] and c [M,N]";
    return false;
  }
  const TargetDesc::Cube *cube = program.target.cube(name(a.type));
  if (!cube || b.type != a.type || name(c.type) != cube->acc) {
    why = llvm::formatv("the cube of {0} has no {1} x {2} -> {3} shape",
                        program.target.name, name(a.type), name(b.type), name(c.type));
    return false;
  }
  clocks[int(Pipe::Cube)][int(Pipe::Cube)]++;
  if (!access(a, Pipe::Cube, false, why) || !access(b, Pipe::Cube, false, why) ||
      (in.accumulate && !access(c, Pipe::Cube, false, why)) ||
      !access(c, Pipe::Cube, true, why))
    return false;
  int64_t m = a.shape[0], k = a.shape[1], n = b.shape[1];
  if (options.functional) {
    std::vector<float> fa(m * k), fb(k * n), fc(m * n, 0.f);
    elementOffsets(a, scratchA);
    const uint8_t *ma = memory[int(Space::L0A)].data();
    for (int64_t i = 0; i < m * k; ++i)
      fa[i] = float(load(ma + scratchA[i], a.type));
    elementOffsets(b, scratchA);
    const uint8_t *mb = memory[int(Space::L0B)].data();
    for (int64_t i = 0; i < k * n; ++i)
      fb[i] = float(load(mb + scratchA[i], b.type));
    elementOffsets(c, scratchB);
    uint8_t *mc = memory[int(Space::L0C)].data();
    if (in.accumulate)
      for (int64_t i = 0; i < m * n; ++i)
        fc[i] = float(load(mc + scratchB[i], c.type));
    // Integer products are exact in float only below 2^24; i8 sums of
    // K < 1024 stay there.
    for (int64_t i = 0; i < m; ++i)
      for (int64_t kk = 0; kk < k; ++kk) {
        float av = fa[i * k + kk];
        const float *brow = &fb[kk * n];
        float *crow = &fc[i * n];
        for (int64_t j = 0; j < n; ++j)
          crow[j] = std::fma(av, brow[j], crow[j]);
      }
    for (int64_t i = 0; i < m * n; ++i)
      store(mc + scratchB[i], c.type, fc[i]);
  }
  int64_t steps = ((m + cube->m - 1) / cube->m) * ((k + cube->k - 1) / cube->k) *
                  ((n + cube->n - 1) / cube->n);
  occupy(Pipe::Cube, steps + spec(Pipe::Cube).latency);
  report.cubeSteps += steps;
  report.macs += m * k * n;
  return true;
}

bool Simulator::Impl::vector(const Instr &in, std::string &why) {
  for (const Region &r : in.regions)
    if (r.space != Space::UB) {
      why = "vector operands live in ub";
      return false;
    }
  const Region &dst = in.regions.back();
  Opcode op = in.op;
  bool reduce = op == Opcode::VReduceSum || op == Opcode::VReduceMax;
  int64_t srcCount = in.regions.front().numElements();
  if (op != Opcode::VDup) {
    for (size_t i = 0; i + 1 < in.regions.size(); ++i)
      if (in.regions[i].numElements() != srcCount ||
          (op != Opcode::VCast && in.regions[i].type != dst.type)) {
        why = "vector operands differ in element count or type";
        return false;
      }
    int64_t row = reduce ? in.regions[0].shape.back() : 1;
    if (reduce ? dst.numElements() * row != srcCount : dst.numElements() != srcCount) {
      why = reduce ? "a reduction's destination has the source's shape without its last dim"
                   : "vector operands differ in element count";
      return false;
    }
  }
  int64_t widest = 0;
  for (const Region &r : in.regions)
    widest = std::max(widest, r.numElements() * byteSize(r.type));
  int64_t repeats = (widest + program.target.vectorBytes - 1) / program.target.vectorBytes;
  if (repeats > program.target.maxRepeats) {
    why = llvm::formatv("{0} repeats of {1} bytes; {2} allows at most {3} per instruction",
                        repeats, program.target.vectorBytes, program.target.name,
                        program.target.maxRepeats);
    return false;
  }
  clocks[int(Pipe::Vector)][int(Pipe::Vector)]++;
  for (size_t i = 0; i + 1 < in.regions.size(); ++i)
    if (!access(in.regions[i], Pipe::Vector, false, why))
      return false;
  if (!access(dst, Pipe::Vector, true, why))
    return false;
  if (options.functional) {
    uint8_t *ub = memory[int(Space::UB)].data();
    std::vector<double> x, y;
    auto read = [&](const Region &r, std::vector<double> &v) {
      elementOffsets(r, scratchA);
      v.resize(scratchA.size());
      for (size_t i = 0; i < v.size(); ++i)
        v[i] = load(ub + scratchA[i], r.type);
    };
    std::vector<double> out;
    if (op == Opcode::VDup) {
      out.assign(dst.numElements(), in.scalar);
    } else {
      read(in.regions[0], x);
      if (in.regions.size() == 3)
        read(in.regions[1], y);
      if (reduce) {
        int64_t row = in.regions[0].shape.back();
        out.resize(x.size() / row);
        for (size_t r = 0; r < out.size(); ++r) {
          double acc = op == Opcode::VReduceSum ? 0 : -INFINITY;
          for (int64_t j = 0; j < row; ++j)
            acc = op == Opcode::VReduceSum ? acc + x[r * row + j]
                                           : std::max(acc, x[r * row + j]);
          out[r] = acc;
        }
      } else {
        out.resize(x.size());
        double s = in.scalar;
        for (size_t i = 0; i < x.size(); ++i) {
          double v = x[i];
          switch (op) {
          case Opcode::VAdd: v += y[i]; break;
          case Opcode::VSub: v -= y[i]; break;
          case Opcode::VMul: v *= y[i]; break;
          case Opcode::VDiv: v /= y[i]; break;
          case Opcode::VMax: v = std::max(v, y[i]); break;
          case Opcode::VMin: v = std::min(v, y[i]); break;
          case Opcode::VCmpGe: v = v >= y[i] ? 1.0 : 0.0; break;
          case Opcode::VCmpGt: v = v > y[i] ? 1.0 : 0.0; break;
          case Opcode::VExp: v = std::exp(v); break;
          case Opcode::VLn: v = std::log(v); break;
          case Opcode::VAbs: v = std::fabs(v); break;
          case Opcode::VSqrt: v = std::sqrt(v); break;
          case Opcode::VRec: v = 1.0 / v; break;
          case Opcode::VRelu: v = std::max(v, 0.0); break;
          case Opcode::VAdds: v += s; break;
          case Opcode::VMuls: v *= s; break;
          case Opcode::VMaxs: v = std::max(v, s); break;
          default: break;
          }
          // The unit computes in its operand type: f16 math rounds each step.
          out[i] = isFloat(dst.type) && op != Opcode::VCast
                       ? double(float(v))
                       : v;
        }
      }
    }
    elementOffsets(dst, scratchB);
    for (size_t i = 0; i < out.size(); ++i)
      store(ub + scratchB[i], dst.type, out[i]);
  }
  bool slow = op == Opcode::VExp || op == Opcode::VLn || op == Opcode::VSqrt ||
              op == Opcode::VRec || op == Opcode::VDiv;
  occupy(Pipe::Vector, repeats * (slow ? 2 : 1) + spec(Pipe::Vector).latency);
  return true;
}

bool Simulator::Impl::resolve(const Instr &in, Instr &out, std::string &why) {
  out = in;
  for (Region &r : out.regions) {
    if (r.reg < 0)
      continue;
    int64_t shift, offset;
    if (__builtin_mul_overflow(regs[r.reg], r.regScale, &shift) ||
        __builtin_add_overflow(r.offset, shift, &offset) || offset < 0 ||
        offset > (int64_t(1) << 40)) {
      why = llvm::formatv("r{0} = {1} puts the region outside every buffer", r.reg, regs[r.reg]);
      return false;
    }
    r.offset = offset;
    r.reg = -1;
  }
  return true;
}

bool Simulator::Impl::scalar(const Instr &in, std::string &why) {
  int64_t &rd = regs[std::max(in.rd, 0)];
  bool overflow = false;
  switch (in.op) {
  case Opcode::SLi:
    rd = in.imm;
    return true;
  case Opcode::SAdd:
    overflow = __builtin_add_overflow(regs[in.rs1], regs[in.rs2], &rd);
    break;
  case Opcode::SAddi:
    overflow = __builtin_add_overflow(regs[in.rs1], in.imm, &rd);
    break;
  case Opcode::SMuli:
    overflow = __builtin_mul_overflow(regs[in.rs1], in.imm, &rd);
    break;
  case Opcode::SLd:
  case Opcode::SSt: {
    const Region &r = in.regions[0];
    if (r.space != Space::GM && r.space != Space::UB) {
      why = "the scalar unit reads and writes gm and ub only";
      return false;
    }
    bool isLoad = in.op == Opcode::SLd;
    clocks[int(Pipe::Scalar)][int(Pipe::Scalar)]++;
    if (!access(r, Pipe::Scalar, !isLoad, why))
      return false;
    uint8_t *p = memory[int(r.space)].data() + r.offset;
    if (isLoad) {
      double v = load(p, r.type);
      if (!(std::fabs(v) < 9.0e15)) {
        why = "the element is no integer a register holds";
        return false;
      }
      rd = int64_t(std::nearbyint(v));
    } else {
      store(p, r.type, double(regs[in.rs1]));
    }
    report.issued[int(Pipe::Scalar)] += 1;
    return true;
  }
  default:
    break;
  }
  if (overflow) {
    why = "the result overflows a 64-bit register";
    return false;
  }
  return true;
}

bool Simulator::Impl::step(const Instr &raw, std::string &why) {
  if (raw.pred >= 0 && regs[raw.pred] <= 0) {
    report.skipped++;
    return true; // predicated off: issued, nothing done
  }
  Instr in;
  if (!resolve(raw, in, why))
    return false;
  for (const Region &r : in.regions)
    if (!checkRegion(r, why, isScalar(in.op)))
      return false;
  switch (in.op) {
  case Opcode::Dma:
    return dma(in, why);
  case Opcode::Mmad:
    return mmad(in, why);
  case Opcode::SLi:
  case Opcode::SAdd:
  case Opcode::SAddi:
  case Opcode::SMuli:
  case Opcode::SLd:
  case Opcode::SSt:
    return scalar(in, why);
  case Opcode::SetFlag:
  case Opcode::WaitFlag: {
    if (in.from == in.to || in.event >= program.target.eventIds) {
      why = llvm::formatv("a flag joins two different pipes with an event below {0}",
                          program.target.eventIds);
      return false;
    }
    PendingFlag &flag =
        flags[(int(in.from) * kNumPipes + int(in.to)) * program.target.eventIds + in.event];
    if (in.op == Opcode::SetFlag) {
      if (flag.set) {
        why = "the flag is already set and not yet waited for";
        return false;
      }
      flag.set = true;
      flag.time = std::max(free[int(in.from)], issue);
      flag.clock = clocks[int(in.from)];
      report.setFlags++;
      return true;
    }
    if (!flag.set) {
      why = llvm::formatv("no earlier set_flag {0} {1} {2}: {1} would wait forever",
                          name(in.from), name(in.to), in.event);
      return false;
    }
    flag.set = false;
    report.waitFlags++;
    Clock &mine = clocks[int(in.to)];
    bool learns = false;
    for (int q = 0; q < kNumPipes; ++q)
      if (flag.clock[q] > mine[q]) {
        learns = true;
        mine[q] = flag.clock[q];
      }
    if (!learns)
      report.redundantWaits++;
    int64_t ready = std::max(free[int(in.to)], issue);
    if (flag.time > ready)
      report.waitCycles[int(in.to)] += flag.time - ready;
    free[int(in.to)] = std::max(ready, flag.time);
    // The scalar unit is the issuer: nothing after its wait issues earlier.
    if (in.to == Pipe::Scalar)
      issue = std::max(issue, flag.time);
    return true;
  }
  case Opcode::Barrier: {
    if (in.from != Pipe::All)
      return true; // a pipe already runs its own instructions in order
    int64_t t = issue;
    Clock all{};
    for (int p = 0; p < kNumPipes; ++p) {
      t = std::max(t, free[p]);
      for (int q = 0; q < kNumPipes; ++q)
        all[q] = std::max(all[q], clocks[p][q]);
    }
    for (int p = 0; p < kNumPipes; ++p) {
      free[p] = t;
      for (int q = 0; q < kNumPipes; ++q)
        if (q != p)
          clocks[p][q] = all[q];
    }
    return true;
  }
  default:
    return vector(in, why);
  }
}

Simulator::Simulator(const Program &program, SimOptions options)
    : impl(std::make_unique<Impl>(program, options)) {}
Simulator::~Simulator() = default;

uint8_t *Simulator::globalMemory() { return impl->memory[int(Space::GM)].data(); }

const SimReport &Simulator::report() const { return impl->report; }

bool Simulator::run(std::string &error) {
  Impl &s = *impl;
  for (size_t i = 0; i < s.program.code.size(); ++i) {
    const Instr &in = s.program.code[i];
    std::string why;
    if (!s.step(in, why)) {
      std::string text;
      llvm::raw_string_ostream os(text);
      printInstr(in, os);
      error = llvm::formatv("instruction {0} ({1}): {2}", i, text, why);
      return false;
    }
    // The scalar unit issues one instruction per cycle, in order.
    s.issue += 1;
    s.report.instructions++;
  }
  for (const PendingFlag &flag : s.flags)
    if (flag.set) {
      error = "the program ends with a set_flag nobody waited for";
      return false;
    }
  s.report.cycles = s.issue;
  for (int p = 0; p < kNumPipes; ++p)
    s.report.cycles = std::max(s.report.cycles, s.free[p]);
  return true;
}

//===----------------------------------------------------------------------===//
// Report
//===----------------------------------------------------------------------===//

static const Space kLevels[][2] = {
    {Space::GM, Space::L1},   {Space::GM, Space::UB},   {Space::L1, Space::L0A},
    {Space::L1, Space::L0B},  {Space::L0C, Space::GM},  {Space::L0C, Space::UB},
    {Space::UB, Space::GM},   {Space::UB, Space::L1}};

void SimReport::print(const TargetDesc &target, llvm::raw_ostream &os) const {
  double us = double(cycles) / target.clockMhz;
  os << llvm::formatv("cycles: {0} ({1:f2} us at {2} MHz), {3} instructions\n", cycles, us,
                      target.clockMhz, instructions);
  os << llvm::formatv("cube: {0} MACs in {1} steps, {2:f1}% of the cube's peak\n", macs,
                      cubeSteps, cycles ? 100.0 * cubeSteps / cycles : 0.0);
  os << "pipe      busy cycles  utilisation  instructions  stalled on flags\n";
  for (Pipe p : {Pipe::Cube, Pipe::Vector, Pipe::MTE1, Pipe::MTE2, Pipe::MTE3, Pipe::Fixpipe})
    os << llvm::formatv("{0,-8} {1,12} {2,11:f1}% {3,13} {4,17}\n", name(p), busy[int(p)],
                        cycles ? 100.0 * busy[int(p)] / cycles : 0.0, issued[int(p)],
                        waitCycles[int(p)]);
  os << "bytes moved:";
  for (auto [src, dst] : kLevels)
    if (int64_t b = bytes[int(src)][int(dst)])
      os << " " << name(src) << "->" << name(dst) << " " << b;
  os << "\n";
  os << llvm::formatv("flags: {0} set, {1} waited, {2} redundant waits\n", setFlags,
                      waitFlags, redundantWaits);
  if (issued[int(Pipe::Scalar)] || skipped)
    os << llvm::formatv("scalar: {0} loads and stores; {1} instructions predicated off\n",
                        issued[int(Pipe::Scalar)], skipped);
}

void SimReport::printJson(const TargetDesc &target, llvm::raw_ostream &os) const {
  llvm::json::Object pipes;
  for (Pipe p : {Pipe::Cube, Pipe::Vector, Pipe::MTE1, Pipe::MTE2, Pipe::MTE3, Pipe::Fixpipe})
    pipes[name(p)] = llvm::json::Object{
        {"busy_cycles", busy[int(p)]},
        {"utilisation", cycles ? double(busy[int(p)]) / cycles : 0.0},
        {"instructions", issued[int(p)]},
        {"flag_stall_cycles", waitCycles[int(p)]}};
  llvm::json::Object moved;
  for (auto [src, dst] : kLevels)
    moved[(name(src) + "->" + name(dst)).str()] = bytes[int(src)][int(dst)];
  llvm::json::Object root{{"target", target.name},
                          {"cycles", cycles},
                          {"microseconds", double(cycles) / target.clockMhz},
                          {"instructions", instructions},
                          {"macs", macs},
                          {"cube_steps", cubeSteps},
                          {"cube_utilisation", cycles ? double(cubeSteps) / cycles : 0.0},
                          {"pipes", std::move(pipes)},
                          {"bytes", std::move(moved)},
                          {"set_flags", setFlags},
                          {"wait_flags", waitFlags},
                          {"redundant_waits", redundantWaits},
                          {"scalar_accesses", issued[int(Pipe::Scalar)]},
                          {"predicated_off", skipped}};
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
}
