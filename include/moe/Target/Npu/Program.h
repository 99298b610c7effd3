//===- Program.h - NPU target descriptions and program files ----*- C++ -*-===//
//
// The two files that leave the compiler for an NPU: the target description
// (JSON, docs/npu-formats.md) and the program (a text header, one line per
// instruction, then the initial bytes of global memory). Both are plain data
// without MLIR so that the simulator reads them with nothing but LLVMSupport.
//
//===----------------------------------------------------------------------===//

#ifndef MOE_TARGET_NPU_PROGRAM_H
#define MOE_TARGET_NPU_PROGRAM_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace moe_npu {

enum class Space : uint8_t { GM, L1, L0A, L0B, L0C, UB };
constexpr int kNumSpaces = 6;
enum class Pipe : uint8_t { Scalar, Vector, Cube, MTE1, MTE2, MTE3, Fixpipe, All };
constexpr int kNumPipes = 7; // All is not a pipe of its own
enum class DType : uint8_t { F16, BF16, F32, I8, I32 };

llvm::StringRef name(Space space);
llvm::StringRef name(Pipe pipe);
llvm::StringRef name(DType type);
std::optional<Space> parseSpace(llvm::StringRef text);
std::optional<Pipe> parsePipe(llvm::StringRef text);
std::optional<DType> parseDType(llvm::StringRef text);
int64_t byteSize(DType type);

/// The description format's version this build reads and writes.
constexpr int64_t kTargetFormatVersion = 1;
/// The program format's version this build writes; it reads this one and
/// version 1 (no scalar registers).
constexpr int64_t kProgramFormatVersion = 2;
/// Scalar registers r0..r31 of the scalar unit (64-bit integers).
constexpr int kNumRegisters = 32;

/// Everything the compiler and the simulator know about a chip.
struct TargetDesc {
  struct Cube {
    std::string input, acc; // dtype names, e.g. "f16" and "f32"
    int64_t m = 16, k = 16, n = 16;
  };
  struct Buffer {
    int64_t size = 0, align = 32;
  };
  struct PipeSpec {
    int64_t bytesPerCycle = 0, latency = 0;
  };
  std::string name;
  int64_t cubeCores = 1, vectorCores = 1, clockMhz = 1000;
  int64_t vectorBytes = 256, maxRepeats = 255, eventIds = 8;
  int64_t l2Bytes = 0, gmBandwidthGbps = 0, linkBandwidthGbps = 0;
  std::vector<std::string> dtypes;
  std::vector<Cube> cubes;
  /// Indexed by Space; GM's entry is unused.
  std::array<Buffer, kNumSpaces> buffers;
  /// Indexed by Pipe; a pipe without figures moves/computes at the defaults
  /// the format documents.
  std::array<std::optional<PipeSpec>, kNumPipes> pipes;

  const Cube *cube(llvm::StringRef input) const;
  bool supports(llvm::StringRef dtype) const;
};

/// Parses a description; on failure `error` says what and where.
std::optional<TargetDesc> parseTargetJson(llvm::StringRef text,
                                          std::string &error);
/// Writes `desc` as a description file (pretty, or on one line).
void printTargetJson(const TargetDesc &desc, llvm::raw_ostream &os,
                     bool pretty = true);

/// A strided view of one buffer: `offset` in bytes, strides in elements.
/// With a register, `reg * regScale` bytes more, read when the instruction
/// issues (a token's row chosen at run time).
struct Region {
  Space space = Space::GM;
  int64_t offset = 0;
  int reg = -1;
  int64_t regScale = 0;
  DType type = DType::F16;
  llvm::SmallVector<int64_t, 4> shape, strides;

  int64_t numElements() const;
};

enum class Opcode : uint8_t {
  Dma,
  Mmad,
  VAdd,
  VSub,
  VMul,
  VDiv,
  VMax,
  VMin, // dst = a op b
  VCmpGe,
  VCmpGt, // dst = a >= b (> b) ? 1 : 0
  VExp,
  VLn,
  VAbs,
  VSqrt,
  VRec,
  VRelu,
  VCast, // dst = f(a)
  VAdds,
  VMuls,
  VMaxs, // dst = a op scalar
  VReduceSum,
  VReduceMax, // dst = reduce(a, last dim)
  VDup,       // dst = scalar
  SetFlag,
  WaitFlag,
  Barrier,
  SLi,
  SAdd,
  SAddi,
  SMuli, // scalar unit: rd = ...
  SLd,
  SSt, // rd = one element; element = rs
};
/// Instructions of the scalar unit (registers only, or one element).
bool isScalar(Opcode op);
llvm::StringRef mnemonic(Opcode op);
std::optional<Opcode> parseOpcode(llvm::StringRef text);

struct Instr {
  Opcode op;
  /// Dma: src, dst. Mmad: a, b, c. Vector: sources then the destination.
  llvm::SmallVector<Region, 3> regions;
  double scalar = 0;     // vector ops with a scalar
  bool accumulate = false; // mmad: c += a*b instead of c = a*b
  Pipe from = Pipe::Scalar, to = Pipe::Scalar; // flags; barrier: `from`
  int64_t event = 0;
  /// Scalar ops: destination and source registers, immediate.
  int rd = -1, rs1 = -1, rs2 = -1;
  int64_t imm = 0;
  /// DMA, mmad and vector ops: run only when this register is > 0 (else
  /// skipped: no access, no cycles on the pipe).
  int pred = -1;
};

/// An input, output or constant in global memory.
struct Tensor {
  enum Kind { Input, Output, Constant } kind;
  std::string name;
  DType type;
  std::vector<int64_t> shape;
  int64_t offset; // bytes into global memory
  int64_t numBytes() const;
};

struct Program {
  TargetDesc target;
  int64_t gmBytes = 0;
  std::vector<Tensor> tensors;
  std::vector<Instr> code;
  /// Initial contents of global memory from `dataOffset` (the constants).
  int64_t dataOffset = 0;
  std::vector<uint8_t> data;
};

/// The pipe an instruction runs on (flags: the pipe that executes them).
Pipe pipeOf(const Instr &instr);
/// The DMA path between two spaces, if the core has one.
std::optional<Pipe> dmaPipe(Space src, Space dst);

std::optional<Program> parseProgram(llvm::StringRef text, std::string &error);
void printProgram(const Program &program, llvm::raw_ostream &os);
void printInstr(const Instr &instr, llvm::raw_ostream &os);

} // namespace moe_npu

#endif // MOE_TARGET_NPU_PROGRAM_H
