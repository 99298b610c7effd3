//===- Hazards.h - Which accesses of two pipes need a flag ------*- C++ -*-===//
//
// Pipes run in parallel; only flags order them. Each pipe keeps a vector
// clock (how many instructions of every pipe it is known to follow); every
// 32 bytes of every buffer remember their last writer and their last reader
// per pipe. An access that conflicts with an earlier one of another pipe
// that the accessing pipe's clock does not cover is unordered: the
// simulator reports it as a race, the sync insertion puts a flag there.
//
//===----------------------------------------------------------------------===//

#ifndef MOE_TARGET_NPU_HAZARDS_H
#define MOE_TARGET_NPU_HAZARDS_H

#include "moe/Target/Npu/Program.h"

#include <functional>

namespace moe_npu {

using Clock = std::array<int64_t, kNumPipes>;

class HazardTracker {
public:
  static constexpr int64_t kGranule = 32;

  /// `sizes[s]`: bytes of space s to track.
  explicit HazardTracker(const std::array<int64_t, kNumSpaces> &sizes);

  /// Calls `conflict(pipe, seq, writeAfterRead, byte)` for each earlier
  /// access of another pipe (its sequence number on that pipe) to the bytes
  /// of `region` that `clock` does not order before this access.
  void check(const Region &region, Pipe pipe, bool write, const Clock &clock,
             const std::function<void(Pipe, int64_t, bool, int64_t)> &conflict);

  /// Remembers the access as instruction `seq` of `pipe`.
  void record(const Region &region, Pipe pipe, bool write, int64_t seq);

private:
  struct Granule {
    int8_t writer = -1;
    int32_t writeSeq = 0;
    std::array<int32_t, kNumPipes> readSeq{};
  };
  /// First byte and length of each contiguous run of `region`.
  void runs(const Region &region,
            const std::function<void(int64_t, int64_t)> &each) const;
  std::array<std::vector<Granule>, kNumSpaces> granules;
};

/// Byte offsets of a region's elements in row-major order of its shape.
void elementOffsets(const Region &region, std::vector<int64_t> &out);
/// Bytes from the region's first to one past its last element.
int64_t extentOf(const Region &region);
/// Elements per contiguous run: the innermost dims that are packed.
int64_t contiguousRun(const Region &region);

} // namespace moe_npu

#endif // MOE_TARGET_NPU_HAZARDS_H
