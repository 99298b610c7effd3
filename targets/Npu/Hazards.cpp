//===- Hazards.cpp - Which accesses of two pipes need a flag -------------===//

#include "moe/Target/Npu/Hazards.h"

using namespace moe_npu;

void moe_npu::elementOffsets(const Region &r, std::vector<int64_t> &out) {
  int64_t eb = byteSize(r.type);
  out.clear();
  if (r.numElements() == 0)
    return;
  out.reserve(r.numElements());
  size_t rank = r.shape.size();
  llvm::SmallVector<int64_t, 4> index(rank, 0);
  int64_t inner = r.shape.back(), innerStride = r.strides.back() * eb;
  while (true) {
    int64_t base = r.offset;
    for (size_t d = 0; d + 1 < rank; ++d)
      base += index[d] * r.strides[d] * eb;
    for (int64_t i = 0; i < inner; ++i)
      out.push_back(base + i * innerStride);
    int d = int(rank) - 2;
    for (; d >= 0; --d) {
      if (++index[d] < r.shape[d])
        break;
      index[d] = 0;
    }
    if (d < 0)
      return;
  }
}

int64_t moe_npu::extentOf(const Region &r) {
  if (r.numElements() == 0)
    return 0;
  int64_t last = 0;
  for (size_t d = 0; d < r.shape.size(); ++d)
    last += (r.shape[d] - 1) * r.strides[d];
  return (last + 1) * byteSize(r.type);
}

int64_t moe_npu::contiguousRun(const Region &r) {
  int64_t run = 1, expect = 1;
  for (size_t d = r.shape.size(); d-- > 0;) {
    if (r.shape[d] == 1)
      continue;
    if (r.strides[d] != expect)
      break;
    run *= r.shape[d];
    expect *= r.shape[d];
  }
  return run;
}

HazardTracker::HazardTracker(const std::array<int64_t, kNumSpaces> &sizes) {
  for (int s = 0; s < kNumSpaces; ++s)
    granules[s].resize((sizes[s] + kGranule - 1) / kGranule);
}

void HazardTracker::runs(const Region &r,
                         const std::function<void(int64_t, int64_t)> &each) const {
  int64_t run = contiguousRun(r);
  // The first element of each run: the region with the packed dims dropped.
  Region heads = r;
  int64_t remaining = run;
  while (remaining > 1 && !heads.shape.empty()) {
    if (heads.shape.back() != 1)
      remaining /= heads.shape.back();
    heads.shape.pop_back();
    heads.strides.pop_back();
  }
  if (heads.shape.empty()) {
    heads.shape.push_back(1);
    heads.strides.push_back(1);
  }
  std::vector<int64_t> starts;
  elementOffsets(heads, starts);
  int64_t bytes = run * byteSize(r.type);
  for (int64_t start : starts)
    each(start, bytes);
}

void HazardTracker::check(
    const Region &r, Pipe pipe, bool write, const Clock &clock,
    const std::function<void(Pipe, int64_t, bool, int64_t)> &conflict) {
  int p = int(pipe);
  std::vector<Granule> &gs = granules[int(r.space)];
  runs(r, [&](int64_t start, int64_t bytes) {
    for (int64_t g = start / kGranule, e = (start + bytes - 1) / kGranule; g <= e; ++g) {
      const Granule &gr = gs[g];
      if (gr.writer >= 0 && gr.writer != p && gr.writeSeq > clock[gr.writer])
        conflict(Pipe(gr.writer), gr.writeSeq, false, g * kGranule);
      if (write)
        for (int q = 0; q < kNumPipes; ++q)
          if (q != p && gr.readSeq[q] > clock[q])
            conflict(Pipe(q), gr.readSeq[q], true, g * kGranule);
    }
  });
}

void HazardTracker::record(const Region &r, Pipe pipe, bool write, int64_t seq) {
  int p = int(pipe);
  std::vector<Granule> &gs = granules[int(r.space)];
  runs(r, [&](int64_t start, int64_t bytes) {
    for (int64_t g = start / kGranule, e = (start + bytes - 1) / kGranule; g <= e; ++g) {
      Granule &gr = gs[g];
      if (write) {
        gr.writer = int8_t(p);
        gr.writeSeq = int32_t(seq);
        gr.readSeq = {};
      } else {
        gr.readSeq[p] = int32_t(seq);
      }
    }
  });
}
