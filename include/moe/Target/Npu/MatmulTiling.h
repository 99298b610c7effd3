//===- MatmulTiling.h - Matmul tiles from an NPU's description --*- C++ -*-===//
//
// A matmul on the cube streams A and B from global memory into L1 in stages
// of `kL1` along K, from L1 into L0A/L0B in steps of `k`, and accumulates an
// [m, n] tile of C in L0C. Every buffer but L0C holds two slots, so that the
// next transfer overlaps the current step; L0C holds one or two tiles. The
// choice is the one this model of the target's pipes says finishes first.
//
//===----------------------------------------------------------------------===//

#ifndef MOE_TARGET_NPU_MATMULTILING_H
#define MOE_TARGET_NPU_MATMULTILING_H

#include "moe/Target/Npu/Program.h"

namespace moe_npu {

struct MatmulTiles {
  int64_t m = 0, n = 0, k = 0, kL1 = 0;
  int64_t l0cSlots = 1;
  double cycles = 0; // the model's estimate for the whole matmul
};

/// The tiles for C[M,N] = A[M,K] B[K,N] with `inBytes` per input element
/// and `outBytes` per output element on one core, or nothing when even the
/// smallest cube-shaped tiles do not fit the buffers.
std::optional<MatmulTiles> chooseMatmulTiles(const TargetDesc &target,
                                             const TargetDesc::Cube &cube,
                                             int64_t M, int64_t N, int64_t K,
                                             int64_t inBytes, int64_t outBytes);

} // namespace moe_npu

#endif // MOE_TARGET_NPU_MATMULTILING_H
