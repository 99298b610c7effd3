//===- KnownNpuTargets.cpp - Ascend-class NPU descriptions ----------------===//
//
// npu-910b-like follows the public figures of a 910B-class chip: 24 cube and
// 48 vector cores, L1 512 KiB, L0A/L0B 64 KiB, L0C 128 KiB, UB 192 KiB per
// core, 192 MiB L2, 1.6 TB/s HBM, ~200 GB/s chip-to-chip, no fp8; at
// 1650 MHz its cubes give 24 * 4096 MACs * 2 * 1.65 GHz = 324 TFLOPS fp16.
// npu-edge-like is a smaller inference part of the same architecture with
// halved buffers and a few cores; it is not a real chip. The DMA pipes'
// bytes per cycle and latencies are not public: they are plausible values
// for the simulator to calibrate.
//
//===----------------------------------------------------------------------===//

#include "moe/Target/KnownTargets.h"

#include "moe/Dialect/Npu/NpuOps.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace mlir::npu;

namespace {

struct PipeRow {
  Pipe pipe;
  int64_t bytesPerCycle, latency;
};

struct NpuRow {
  StringLiteral name;
  int64_t cubeCores, vectorCores, clockMhz, l2Bytes, gmBandwidthGbps,
      linkBandwidthGbps;
  int64_t l1, l0a, l0b, l0c, ub;
  std::array<PipeRow, 4> pipes;
};

constexpr int64_t KiB = 1024, MiB = 1024 * KiB;

const NpuRow kRows[] = {
    {"npu-910b-like", 24, 48, 1650, 192 * MiB, 1600, 200, 512 * KiB, 64 * KiB,
     64 * KiB, 128 * KiB, 192 * KiB,
     {{{Pipe::MTE2, 128, 500},
       {Pipe::MTE1, 256, 20},
       {Pipe::MTE3, 64, 500},
       {Pipe::Fixpipe, 128, 30}}}},
    {"npu-edge-like", 2, 4, 1000, 8 * MiB, 100, 0, 256 * KiB, 32 * KiB,
     32 * KiB, 64 * KiB, 96 * KiB,
     {{{Pipe::MTE2, 64, 400},
       {Pipe::MTE1, 128, 20},
       {Pipe::MTE3, 32, 400},
       {Pipe::Fixpipe, 64, 30}}}},
};

TargetAttr build(MLIRContext *context, const NpuRow &row) {
  Builder b(context);
  Type f16 = b.getF16Type(), bf16 = b.getBF16Type(), f32 = b.getF32Type();
  Type i4 = b.getIntegerType(4), i8 = b.getI8Type(), i32 = b.getI32Type();
  SmallVector<Attribute> dtypes;
  for (Type type : {f16, bf16, f32, i4, i8, i32})
    dtypes.push_back(TypeAttr::get(type));
  // One cube step is 4096 MACs of 16-bit inputs; narrower inputs widen k.
  SmallVector<Attribute> cubes = {
      CubeAttr::get(context, f16, f32, 16, 16, 16),
      CubeAttr::get(context, bf16, f32, 16, 16, 16),
      CubeAttr::get(context, i8, i32, 16, 32, 16),
      CubeAttr::get(context, i4, i32, 16, 64, 16)};
  SmallVector<Attribute> buffers = {
      BufferAttr::get(context, MemSpace::L1, row.l1, 32),
      BufferAttr::get(context, MemSpace::L0A, row.l0a, 512),
      BufferAttr::get(context, MemSpace::L0B, row.l0b, 512),
      BufferAttr::get(context, MemSpace::L0C, row.l0c, 64),
      BufferAttr::get(context, MemSpace::UB, row.ub, 32)};
  SmallVector<Attribute> pipes;
  for (const PipeRow &pipe : row.pipes)
    pipes.push_back(
        PipeSpecAttr::get(context, pipe.pipe, pipe.bytesPerCycle, pipe.latency));
  return TargetAttr::get(context, row.name, row.cubeCores, row.vectorCores,
                         row.clockMhz, /*vectorBytes=*/256, /*maxRepeats=*/255,
                         /*eventIds=*/8, row.l2Bytes, row.gmBandwidthGbps,
                         row.linkBandwidthGbps, b.getArrayAttr(dtypes),
                         b.getArrayAttr(cubes), b.getArrayAttr(buffers),
                         b.getArrayAttr(pipes));
}

} // namespace

SmallVector<StringRef> mlir::moe::npu_targets::names() {
  SmallVector<StringRef> result;
  for (const NpuRow &row : kRows)
    result.push_back(row.name);
  return result;
}

std::optional<NamedAttribute>
mlir::moe::npu_targets::lookup(MLIRContext *context, StringRef name) {
  for (const NpuRow &row : kRows) {
    if (row.name != name)
      continue;
    context->getOrLoadDialect<NpuDialect>();
    return NamedAttribute(StringAttr::get(context, NpuDialect::kTargetAttrName),
                          build(context, row));
  }
  return std::nullopt;
}
