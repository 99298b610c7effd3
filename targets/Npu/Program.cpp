//===- Program.cpp - NPU target descriptions and program files -----------===//

#include "moe/Target/Npu/Program.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <algorithm>

using namespace moe_npu;
using llvm::StringRef;

static const char *const kSpaceNames[] = {"gm", "l1", "l0a", "l0b", "l0c", "ub"};
static const char *const kPipeNames[] = {"scalar", "vector", "cube", "mte1",
                                         "mte2",   "mte3",   "fixpipe", "all"};
static const char *const kTypeNames[] = {"f16", "bf16", "f32", "i8", "i32"};

StringRef moe_npu::name(Space space) { return kSpaceNames[int(space)]; }
StringRef moe_npu::name(Pipe pipe) { return kPipeNames[int(pipe)]; }
StringRef moe_npu::name(DType type) { return kTypeNames[int(type)]; }

template <typename E, size_t N>
static std::optional<E> lookup(const char *const (&names)[N], StringRef text) {
  for (size_t i = 0; i < N; ++i)
    if (text == names[i])
      return E(i);
  return std::nullopt;
}
std::optional<Space> moe_npu::parseSpace(StringRef text) {
  return lookup<Space>(kSpaceNames, text);
}
std::optional<Pipe> moe_npu::parsePipe(StringRef text) {
  return lookup<Pipe>(kPipeNames, text);
}
std::optional<DType> moe_npu::parseDType(StringRef text) {
  return lookup<DType>(kTypeNames, text);
}

int64_t moe_npu::byteSize(DType type) {
  switch (type) {
  case DType::F16:
  case DType::BF16:
    return 2;
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::I8:
    return 1;
  }
  return 0;
}

const TargetDesc::Cube *TargetDesc::cube(StringRef input) const {
  for (const Cube &c : cubes)
    if (c.input == input)
      return &c;
  return nullptr;
}

bool TargetDesc::supports(StringRef dtype) const {
  return llvm::is_contained(dtypes, dtype);
}

//===----------------------------------------------------------------------===//
// Target description (JSON)
//===----------------------------------------------------------------------===//

namespace {
/// Reads fields of one JSON object, remembering the first problem.
struct FieldReader {
  const llvm::json::Object &object;
  std::string where;
  std::string &error;

  bool integer(StringRef key, int64_t &out, int64_t min = 0) {
    if (!error.empty())
      return false;
    const llvm::json::Value *value = object.get(key);
    if (!value)
      return fail(llvm::formatv("missing \"{0}\"", key).str());
    std::optional<int64_t> v = value->getAsInteger();
    if (!v || *v < min)
      return fail(llvm::formatv("\"{0}\" must be an integer >= {1}", key, min).str());
    out = *v;
    return true;
  }
  bool string(StringRef key, std::string &out) {
    if (!error.empty())
      return false;
    const llvm::json::Value *value = object.get(key);
    std::optional<StringRef> v = value ? value->getAsString() : std::nullopt;
    if (!v)
      return fail(llvm::formatv("\"{0}\" must be a string", key).str());
    out = v->str();
    return true;
  }
  bool fail(const std::string &message) {
    if (error.empty())
      error = where + message;
    return false;
  }
};
} // namespace

std::optional<TargetDesc> moe_npu::parseTargetJson(StringRef text,
                                                    std::string &error) {
  llvm::Expected<llvm::json::Value> parsed = llvm::json::parse(text);
  if (!parsed) {
    error = "not JSON: " + llvm::toString(parsed.takeError());
    return std::nullopt;
  }
  const llvm::json::Object *root = parsed->getAsObject();
  if (!root) {
    error = "a target description is a JSON object";
    return std::nullopt;
  }
  TargetDesc desc;
  FieldReader top{*root, "", error};
  std::string format;
  int64_t version = 0;
  top.string("format", format);
  if (error.empty() && format != "moe-npu-target")
    top.fail("\"format\" must be \"moe-npu-target\"");
  top.integer("version", version, 1);
  if (error.empty() && version != kTargetFormatVersion)
    top.fail(llvm::formatv("version {0} is not one this build reads ({1})",
                           version, kTargetFormatVersion)
                 .str());
  top.string("name", desc.name);
  top.integer("cube_cores", desc.cubeCores, 1);
  top.integer("vector_cores", desc.vectorCores, 1);
  top.integer("clock_mhz", desc.clockMhz, 1);
  top.integer("vector_bytes", desc.vectorBytes, 32);
  top.integer("max_repeats", desc.maxRepeats, 1);
  top.integer("event_ids", desc.eventIds, 1);
  top.integer("l2_bytes", desc.l2Bytes);
  top.integer("gm_bandwidth_gbps", desc.gmBandwidthGbps, 1);
  top.integer("link_bandwidth_gbps", desc.linkBandwidthGbps);
  if (!error.empty())
    return std::nullopt;

  const llvm::json::Array *dtypes = root->getArray("dtypes");
  if (!dtypes)
    return top.fail("\"dtypes\" must be an array of type names"), std::nullopt;
  for (const llvm::json::Value &v : *dtypes) {
    std::optional<StringRef> s = v.getAsString();
    if (!s || (!parseDType(*s) && *s != "i4"))
      return top.fail("\"dtypes\": each entry is one of f16, bf16, f32, i8, i4, i32"),
             std::nullopt;
    desc.dtypes.push_back(s->str());
  }

  const llvm::json::Array *cubes = root->getArray("cubes");
  if (!cubes || cubes->empty())
    return top.fail("\"cubes\" must be a non-empty array"), std::nullopt;
  for (const llvm::json::Value &v : *cubes) {
    const llvm::json::Object *o = v.getAsObject();
    if (!o)
      return top.fail("\"cubes\": each entry is an object"), std::nullopt;
    TargetDesc::Cube cube;
    FieldReader r{*o, "cubes: ", error};
    r.string("input", cube.input);
    r.string("acc", cube.acc);
    r.integer("m", cube.m, 1);
    r.integer("k", cube.k, 1);
    r.integer("n", cube.n, 1);
    if (!error.empty())
      return std::nullopt;
    if (!desc.supports(cube.input) || !desc.supports(cube.acc))
      return top.fail("cubes: " + cube.input + " -> " + cube.acc +
                      " uses a type missing from \"dtypes\""),
             std::nullopt;
    desc.cubes.push_back(cube);
  }

  const llvm::json::Object *buffers = root->getObject("buffers");
  if (!buffers)
    return top.fail("\"buffers\" must be an object keyed by l1, l0a, l0b, l0c, ub"),
           std::nullopt;
  for (Space space : {Space::L1, Space::L0A, Space::L0B, Space::L0C, Space::UB}) {
    const llvm::json::Object *o = buffers->getObject(name(space));
    if (!o)
      return top.fail(("buffers: missing \"" + name(space) + "\"").str()),
             std::nullopt;
    TargetDesc::Buffer &buffer = desc.buffers[int(space)];
    FieldReader r{*o, ("buffers." + name(space) + ": ").str(), error};
    r.integer("size", buffer.size, 1);
    r.integer("align", buffer.align, 1);
    if (!error.empty())
      return std::nullopt;
    if (!llvm::isPowerOf2_64(buffer.align))
      return r.fail("\"align\" must be a power of two"), std::nullopt;
  }
  for (const auto &entry : *buffers)
    if (!parseSpace(entry.first) || entry.first == "gm")
      return top.fail(("buffers: unknown buffer \"" + StringRef(entry.first) + "\"").str()),
             std::nullopt;

  if (const llvm::json::Object *pipes = root->getObject("pipes")) {
    for (const auto &entry : *pipes) {
      std::optional<Pipe> pipe = parsePipe(entry.first);
      const llvm::json::Object *o = entry.second.getAsObject();
      if (!pipe || *pipe == Pipe::All || *pipe == Pipe::Scalar || !o)
        return top.fail(("pipes: \"" + StringRef(entry.first) +
                         "\" is not one of vector, cube, mte1, mte2, mte3, fixpipe")
                            .str()),
               std::nullopt;
      TargetDesc::PipeSpec spec;
      FieldReader r{*o, ("pipes." + StringRef(entry.first) + ": ").str(), error};
      r.integer("bytes_per_cycle", spec.bytesPerCycle, 1);
      r.integer("latency", spec.latency);
      if (!error.empty())
        return std::nullopt;
      desc.pipes[int(*pipe)] = spec;
    }
  } else if (root->get("pipes")) {
    return top.fail("\"pipes\" must be an object"), std::nullopt;
  }
  return desc;
}

void moe_npu::printTargetJson(const TargetDesc &desc, llvm::raw_ostream &os,
                              bool pretty) {
  // Written field by field so that the file reads in the documented order.
  llvm::json::OStream j(os, pretty ? 2 : 0);
  j.object([&] {
    j.attribute("format", "moe-npu-target");
    j.attribute("version", kTargetFormatVersion);
    j.attribute("name", desc.name);
    j.attribute("cube_cores", desc.cubeCores);
    j.attribute("vector_cores", desc.vectorCores);
    j.attribute("clock_mhz", desc.clockMhz);
    j.attribute("vector_bytes", desc.vectorBytes);
    j.attribute("max_repeats", desc.maxRepeats);
    j.attribute("event_ids", desc.eventIds);
    j.attribute("l2_bytes", desc.l2Bytes);
    j.attribute("gm_bandwidth_gbps", desc.gmBandwidthGbps);
    j.attribute("link_bandwidth_gbps", desc.linkBandwidthGbps);
    j.attributeArray("dtypes", [&] {
      for (const std::string &t : desc.dtypes)
        j.value(t);
    });
    j.attributeArray("cubes", [&] {
      for (const TargetDesc::Cube &c : desc.cubes)
        j.object([&] {
          j.attribute("input", c.input);
          j.attribute("acc", c.acc);
          j.attribute("m", c.m);
          j.attribute("k", c.k);
          j.attribute("n", c.n);
        });
    });
    j.attributeObject("buffers", [&] {
      for (Space space : {Space::L1, Space::L0A, Space::L0B, Space::L0C, Space::UB})
        j.attributeObject(name(space), [&] {
          j.attribute("size", desc.buffers[int(space)].size);
          j.attribute("align", desc.buffers[int(space)].align);
        });
    });
    j.attributeObject("pipes", [&] {
      for (int p = 0; p < kNumPipes; ++p)
        if (desc.pipes[p])
          j.attributeObject(name(Pipe(p)), [&] {
            j.attribute("bytes_per_cycle", desc.pipes[p]->bytesPerCycle);
            j.attribute("latency", desc.pipes[p]->latency);
          });
    });
  });
  if (pretty)
    os << "\n";
}

//===----------------------------------------------------------------------===//
// Program
//===----------------------------------------------------------------------===//

int64_t Region::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

int64_t Tensor::numBytes() const {
  int64_t n = byteSize(type);
  for (int64_t d : shape)
    n *= d;
  return n;
}

static const char *const kOpNames[] = {
    "dma",       "mmad",     "vec.add",        "vec.sub",        "vec.mul",  "vec.div",
    "vec.max",   "vec.min",  "vec.cmpge",      "vec.cmpgt",      "vec.exp",  "vec.ln",
    "vec.abs",   "vec.sqrt", "vec.rec",        "vec.relu",       "vec.cast", "vec.adds",
    "vec.muls",  "vec.maxs", "vec.reduce_sum", "vec.reduce_max", "vec.dup",  "set_flag",
    "wait_flag", "barrier",  "s.li",           "s.add",          "s.addi",   "s.muli",
    "s.ld",      "s.st"};

bool moe_npu::isScalar(Opcode op) { return op >= Opcode::SLi && op <= Opcode::SSt; }

StringRef moe_npu::mnemonic(Opcode op) { return kOpNames[int(op)]; }
std::optional<Opcode> moe_npu::parseOpcode(StringRef text) {
  return lookup<Opcode>(kOpNames, text);
}

std::optional<Pipe> moe_npu::dmaPipe(Space src, Space dst) {
  switch (src) {
  case Space::GM:
    if (dst == Space::L1 || dst == Space::UB)
      return Pipe::MTE2;
    break;
  case Space::L1:
    if (dst == Space::L0A || dst == Space::L0B)
      return Pipe::MTE1;
    break;
  case Space::UB:
    if (dst == Space::GM || dst == Space::L1)
      return Pipe::MTE3;
    break;
  case Space::L0C:
    if (dst == Space::GM || dst == Space::UB)
      return Pipe::Fixpipe;
    break;
  default:
    break;
  }
  return std::nullopt;
}

Pipe moe_npu::pipeOf(const Instr &instr) {
  switch (instr.op) {
  case Opcode::Dma:
    return dmaPipe(instr.regions[0].space, instr.regions[1].space)
        .value_or(Pipe::Scalar);
  case Opcode::Mmad:
    return Pipe::Cube;
  case Opcode::SetFlag:
    return instr.from;
  case Opcode::WaitFlag:
    return instr.to;
  case Opcode::Barrier:
    return instr.from;
  default:
    return isScalar(instr.op) ? Pipe::Scalar : Pipe::Vector;
  }
}

static void printDims(llvm::ArrayRef<int64_t> dims, llvm::raw_ostream &os) {
  llvm::interleave(dims, os, "x");
}

static void printRegion(const Region &r, llvm::raw_ostream &os) {
  os << name(r.space) << "@" << r.offset;
  if (r.reg >= 0)
    os << "+r" << r.reg << "*" << r.regScale;
  os << ":" << name(r.type) << ":";
  printDims(r.shape, os);
  os << ":";
  printDims(r.strides, os);
}

void moe_npu::printInstr(const Instr &instr, llvm::raw_ostream &os) {
  os << mnemonic(instr.op);
  switch (instr.op) {
  case Opcode::SetFlag:
  case Opcode::WaitFlag:
    os << " " << name(instr.from) << " " << name(instr.to) << " " << instr.event;
    return;
  case Opcode::Barrier:
    os << " " << name(instr.from);
    return;
  case Opcode::SLi:
    os << " r" << instr.rd << " " << instr.imm;
    return;
  case Opcode::SAdd:
    os << " r" << instr.rd << " r" << instr.rs1 << " r" << instr.rs2;
    return;
  case Opcode::SAddi:
  case Opcode::SMuli:
    os << " r" << instr.rd << " r" << instr.rs1 << " " << instr.imm;
    return;
  case Opcode::SLd:
    os << " r" << instr.rd << " ";
    printRegion(instr.regions[0], os);
    return;
  case Opcode::SSt:
    os << " ";
    printRegion(instr.regions[0], os);
    os << " r" << instr.rs1;
    return;
  default:
    break;
  }
  bool hasScalar = instr.op == Opcode::VAdds || instr.op == Opcode::VMuls ||
                   instr.op == Opcode::VMaxs || instr.op == Opcode::VDup;
  if (hasScalar)
    os << " " << llvm::formatv("{0:e9}", instr.scalar);
  for (const Region &r : instr.regions) {
    os << " ";
    printRegion(r, os);
  }
  if (instr.accumulate)
    os << " acc";
  if (instr.pred >= 0)
    os << " if r" << instr.pred;
}

void moe_npu::printProgram(const Program &program, llvm::raw_ostream &os) {
  os << "moe-npu-program " << kProgramFormatVersion << "\n";
  os << "target ";
  printTargetJson(program.target, os, /*pretty=*/false);
  os << "\ngm_bytes " << program.gmBytes << "\n";
  static const char *const kinds[] = {"input", "output", "const"};
  for (const Tensor &t : program.tensors) {
    os << "tensor " << kinds[t.kind] << " " << t.name << " " << name(t.type) << " ";
    if (t.shape.empty())
      os << "scalar";
    else
      printDims(t.shape, os);
    os << " " << t.offset << "\n";
  }
  os << "code " << program.code.size() << "\n";
  for (const Instr &instr : program.code) {
    printInstr(instr, os);
    os << "\n";
  }
  os << "data " << program.dataOffset << " " << program.data.size() << "\n";
  os.write(reinterpret_cast<const char *>(program.data.data()), program.data.size());
}

namespace {
struct LineParser {
  StringRef text;
  int64_t line = 0;
  std::string &error;

  bool fail(const llvm::Twine &message) {
    error = ("line " + llvm::Twine(line) + ": " + message).str();
    return false;
  }
  std::optional<StringRef> next() {
    if (text.empty())
      return std::nullopt;
    auto [head, rest] = text.split('\n');
    text = rest;
    ++line;
    return head.rtrim('\r');
  }
};
} // namespace

static bool parseDims(StringRef text, llvm::SmallVectorImpl<int64_t> &dims) {
  if (text == "scalar")
    return true;
  llvm::SmallVector<StringRef> parts;
  text.split(parts, 'x');
  for (StringRef part : parts) {
    int64_t v;
    if (part.getAsInteger(10, v) || v < 0)
      return false;
    dims.push_back(v);
  }
  return true;
}

static std::optional<int> parseRegister(StringRef text) {
  int n;
  if (!text.consume_front("r") || text.getAsInteger(10, n) || n < 0 || n >= kNumRegisters)
    return std::nullopt;
  return n;
}

static bool parseRegion(StringRef text, Region &r) {
  llvm::SmallVector<StringRef> parts;
  text.split(parts, ':');
  if (parts.size() != 4)
    return false;
  auto [space, where] = parts[0].split('@');
  auto [offset, dynamic] = where.split('+');
  std::optional<Space> s = parseSpace(space);
  std::optional<DType> t = parseDType(parts[1]);
  if (!s || !t || offset.getAsInteger(10, r.offset) || r.offset < 0)
    return false;
  if (!dynamic.empty()) {
    auto [reg, scale] = dynamic.split('*');
    std::optional<int> n = parseRegister(reg);
    if (!n || scale.getAsInteger(10, r.regScale) || r.regScale < 0 ||
        r.regScale > (int64_t(1) << 40))
      return false;
    r.reg = *n;
  }
  r.space = *s;
  r.type = *t;
  if (!parseDims(parts[2], r.shape) || !parseDims(parts[3], r.strides) ||
      r.shape.size() != r.strides.size() || r.shape.empty())
    return false;
  // No buffer holds more than 2^40 bytes: larger figures are corrupt, and
  // would overflow the offset arithmetic.
  constexpr int64_t kLimit = int64_t(1) << 40;
  int64_t elements = 1;
  for (size_t d = 0; d < r.shape.size(); ++d) {
    if (r.shape[d] > kLimit || r.strides[d] > kLimit)
      return false;
    // And no instruction touches more than 2^31 elements (which would take
    // the simulator hours).
    int64_t dim = std::max<int64_t>(r.shape[d], 1);
    if (elements > (int64_t(1) << 31) / dim)
      return false;
    elements *= dim;
  }
  return r.offset <= kLimit;
}

static bool parseInstr(StringRef line, Instr &instr, std::string &why) {
  llvm::SmallVector<StringRef> words;
  line.split(words, ' ', -1, /*KeepEmpty=*/false);
  std::optional<Opcode> op = parseOpcode(words[0]);
  if (!op)
    return why = ("unknown instruction '" + words[0] + "'").str(), false;
  instr.op = *op;
  llvm::ArrayRef<StringRef> args = llvm::ArrayRef(words).drop_front();
  if (args.size() >= 2 && args[args.size() - 2] == "if") {
    std::optional<int> pred = parseRegister(args.back());
    if (!pred || isScalar(*op) || *op == Opcode::SetFlag || *op == Opcode::WaitFlag ||
        *op == Opcode::Barrier)
      return why = "only DMA, mmad and vector instructions take 'if rN' (N below 32)", false;
    instr.pred = *pred;
    args = args.drop_back(2);
  }
  auto regs = [&](llvm::ArrayRef<StringRef> names, llvm::ArrayRef<int *> out) {
    for (auto [text, reg] : llvm::zip(names, out)) {
      std::optional<int> n = parseRegister(text);
      if (!n)
        return false;
      *reg = *n;
    }
    return true;
  };
  switch (*op) {
  case Opcode::SLi:
    if (args.size() != 2 || !regs(args.take_front(1), {&instr.rd}) ||
        args[1].getAsInteger(10, instr.imm))
      return why = "expected: rD IMMEDIATE", false;
    return true;
  case Opcode::SAdd:
    if (args.size() != 3 || !regs(args, {&instr.rd, &instr.rs1, &instr.rs2}))
      return why = "expected: rD rA rB", false;
    return true;
  case Opcode::SAddi:
  case Opcode::SMuli:
    if (args.size() != 3 || !regs(args.take_front(2), {&instr.rd, &instr.rs1}) ||
        args[2].getAsInteger(10, instr.imm))
      return why = "expected: rD rA IMMEDIATE", false;
    return true;
  case Opcode::SLd:
  case Opcode::SSt: {
    bool load = *op == Opcode::SLd;
    Region r;
    if (args.size() != 2 || !regs(args.slice(load ? 0 : 1, 1), {load ? &instr.rd : &instr.rs1}) ||
        !parseRegion(args[load ? 1 : 0], r) || r.numElements() != 1)
      return why = load ? "expected: rD REGION (one element)" : "expected: REGION rS (one element)",
             false;
    instr.regions.push_back(r);
    return true;
  }
  case Opcode::SetFlag:
  case Opcode::WaitFlag: {
    std::optional<Pipe> from = args.size() == 3 ? parsePipe(args[0]) : std::nullopt;
    std::optional<Pipe> to = args.size() == 3 ? parsePipe(args[1]) : std::nullopt;
    if (!from || !to || *from == Pipe::All || *to == Pipe::All ||
        args[2].getAsInteger(10, instr.event) || instr.event < 0)
      return why = "expected: FROM-PIPE TO-PIPE EVENT", false;
    instr.from = *from;
    instr.to = *to;
    return true;
  }
  case Opcode::Barrier: {
    std::optional<Pipe> pipe = args.size() == 1 ? parsePipe(args[0]) : std::nullopt;
    if (!pipe)
      return why = "expected: PIPE", false;
    instr.from = *pipe;
    return true;
  }
  default:
    break;
  }
  bool hasScalar = *op == Opcode::VAdds || *op == Opcode::VMuls ||
                   *op == Opcode::VMaxs || *op == Opcode::VDup;
  if (hasScalar) {
    if (args.empty() || !llvm::to_float(args[0], instr.scalar))
      return why = "expected a scalar operand first", false;
    args = args.drop_front();
  }
  if (*op == Opcode::Mmad && !args.empty() && args.back() == "acc") {
    instr.accumulate = true;
    args = args.drop_back();
  }
  size_t want = *op == Opcode::Dma || *op == Opcode::VDup ? (*op == Opcode::Dma ? 2 : 1)
                : *op == Opcode::Mmad                      ? 3
                : *op >= Opcode::VAdd && *op <= Opcode::VCmpGt ? 3
                                                             : 2;
  if (args.size() != want)
    return why = llvm::formatv("expected {0} regions", want).str(), false;
  for (StringRef arg : args) {
    Region r;
    if (!parseRegion(arg, r))
      return why = ("bad region '" + arg +
                    "' (expected SPACE@OFFSET:TYPE:DIMS:STRIDES)")
                       .str(),
             false;
    instr.regions.push_back(r);
  }
  return true;
}

std::optional<Program> moe_npu::parseProgram(StringRef text, std::string &error) {
  LineParser lines{text, 0, error};
  Program program;
  std::optional<StringRef> line = lines.next();
  int64_t version = 0;
  if (!line || !line->consume_front("moe-npu-program ") ||
      line->trim().getAsInteger(10, version))
    return lines.fail("not an NPU program (expected 'moe-npu-program VERSION')"),
           std::nullopt;
  if (version != kProgramFormatVersion && version != 1)
    return lines.fail(llvm::formatv("program format version {0}; this build reads 1 and {1}",
                                    version, kProgramFormatVersion)),
           std::nullopt;
  line = lines.next();
  if (!line || !line->consume_front("target "))
    return lines.fail("expected 'target {...}'"), std::nullopt;
  std::string targetError;
  std::optional<TargetDesc> target = parseTargetJson(*line, targetError);
  if (!target)
    return lines.fail("target: " + targetError), std::nullopt;
  program.target = std::move(*target);
  line = lines.next();
  if (!line || !line->consume_front("gm_bytes ") ||
      line->trim().getAsInteger(10, program.gmBytes) || program.gmBytes < 0 ||
      program.gmBytes > (int64_t(1) << 40))
    return lines.fail("expected 'gm_bytes N' (at most 2^40)"), std::nullopt;
  int64_t count = -1;
  while ((line = lines.next())) {
    if (line->consume_front("code ")) {
      if (line->trim().getAsInteger(10, count) || count < 0)
        return lines.fail("expected 'code N'"), std::nullopt;
      break;
    }
    llvm::SmallVector<StringRef> words;
    line->split(words, ' ', -1, false);
    Tensor t;
    std::optional<DType> type = words.size() == 6 ? parseDType(words[3]) : std::nullopt;
    if (words.size() != 6 || words[0] != "tensor" || !type)
      return lines.fail("expected 'tensor input|output|const NAME TYPE DIMS OFFSET'"),
             std::nullopt;
    std::optional<Tensor::Kind> kind = words[1] == "input"    ? Tensor::Input
                                       : words[1] == "output" ? Tensor::Output
                                       : words[1] == "const"
                                           ? std::optional<Tensor::Kind>(Tensor::Constant)
                                           : std::nullopt;
    llvm::SmallVector<int64_t> dims;
    // At most 2^40 elements: more is corrupt and would overflow the sizes.
    int64_t elements = 1;
    bool sane = kind && parseDims(words[4], dims);
    for (int64_t d : dims) {
      d = std::max<int64_t>(d, 1);
      sane = sane && elements <= (int64_t(1) << 40) / d;
      if (sane)
        elements *= d;
    }
    if (!sane || words[5].getAsInteger(10, t.offset) || t.offset < 0 ||
        t.offset > (int64_t(1) << 40))
      return lines.fail("bad tensor line"), std::nullopt;
    t.kind = *kind;
    t.name = words[2].str();
    t.type = *type;
    t.shape.assign(dims.begin(), dims.end());
    if (t.offset + t.numBytes() > program.gmBytes)
      return lines.fail("tensor '" + t.name + "' lies outside gm_bytes"), std::nullopt;
    program.tensors.push_back(std::move(t));
  }
  if (count < 0)
    return lines.fail("missing 'code N'"), std::nullopt;
  program.code.reserve(count);
  for (int64_t i = 0; i < count; ++i) {
    line = lines.next();
    if (!line)
      return lines.fail("the code ends early"), std::nullopt;
    Instr instr;
    std::string why;
    if (line->trim().empty() || !parseInstr(line->trim(), instr, why))
      return lines.fail(why.empty() ? "empty instruction" : why), std::nullopt;
    program.code.push_back(std::move(instr));
  }
  line = lines.next();
  int64_t size = 0;
  llvm::SmallVector<StringRef> words;
  if (line)
    line->split(words, ' ', -1, false);
  if (words.size() != 3 || words[0] != "data" ||
      words[1].getAsInteger(10, program.dataOffset) ||
      words[2].getAsInteger(10, size) || program.dataOffset < 0 || size < 0)
    return lines.fail("expected 'data OFFSET BYTES'"), std::nullopt;
  if ((int64_t)lines.text.size() < size || program.dataOffset + size > program.gmBytes)
    return lines.fail("the data section is shorter than it says or lies outside gm_bytes"),
           std::nullopt;
  program.data.assign(lines.text.bytes_begin(), lines.text.bytes_begin() + size);
  return program;
}
