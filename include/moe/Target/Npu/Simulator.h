//===- Simulator.h - Functional and cycle model of an NPU core --*- C++ -*-===//
//
// Runs a program (Program.h) on one core of the chip its target describes:
// every instruction's effect on the buffers, with the numerics of the units
// (f16/bf16 inputs, f32 accumulation), and a cycle model where each pipe
// executes its own instructions in order, the pipes run in parallel and only
// set_flag/wait_flag/barrier order them. Every access is checked against the
// flags: two pipes touching the same bytes with no flag ordering them is an
// error (the program would race on the hardware).
//
//===----------------------------------------------------------------------===//

#ifndef MOE_TARGET_NPU_SIMULATOR_H
#define MOE_TARGET_NPU_SIMULATOR_H

#include "moe/Target/Npu/Program.h"

#include <array>
#include <memory>

namespace moe_npu {

struct SimOptions {
  /// Compute what the instructions compute (off: only the cycle model and
  /// the checks, for timing big programs quickly).
  bool functional = true;
};

struct SimReport {
  int64_t cycles = 0;
  int64_t instructions = 0;
  std::array<int64_t, kNumPipes> busy{};   // cycles each pipe worked
  std::array<int64_t, kNumPipes> issued{}; // instructions per pipe
  int64_t cubeSteps = 0;                   // cube shape steps executed
  int64_t macs = 0;
  /// Bytes moved from one space to another, indexed [src][dst].
  std::array<std::array<int64_t, kNumSpaces>, kNumSpaces> bytes{};
  int64_t setFlags = 0, waitFlags = 0, redundantWaits = 0;
  /// Instructions whose predicate register was not positive.
  int64_t skipped = 0;
  /// Where each pipe stalled on a flag, in cycles.
  std::array<int64_t, kNumPipes> waitCycles{};

  void print(const TargetDesc &target, llvm::raw_ostream &os) const;
  void printJson(const TargetDesc &target, llvm::raw_ostream &os) const;
};

class Simulator {
public:
  Simulator(const Program &program, SimOptions options = {});
  ~Simulator();

  /// Global memory, laid out as the program's tensors say; write the inputs
  /// here before run() and read the outputs after.
  uint8_t *globalMemory();

  /// Runs the whole program; false with `error` naming the instruction and
  /// the reason when the program is illegal for the target or races.
  bool run(std::string &error);

  const SimReport &report() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
};

/// Conversions with the units' rounding (to nearest even).
float halfToFloat(uint16_t bits);
uint16_t floatToHalf(float value);
float bf16ToFloat(uint16_t bits);
uint16_t floatToBf16(float value);

} // namespace moe_npu

#endif // MOE_TARGET_NPU_SIMULATOR_H
