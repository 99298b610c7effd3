//===- FuseSiblingMatmuls.cpp - Matmuls of one input into one matmul -------===//
//
// Attention's Q, K and V projections (and any other linear layers reading
// the same activations) are matmuls of one input by different constant
// weights. Concatenated along N at compile time they are one matmul: the
// input is read once, and the small K/V projections of GQA (N = kv heads x
// head dim) become part of a GEMM wide enough for the register tiles; each
// original result is a slice of the fused one.
//
//===----------------------------------------------------------------------===//

#include "LoweringHelpers.h"

#include "moe/Passes/Moe/Passes.h"
#include "moe/Support/ConstantBytes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

#include "llvm/ADT/MapVector.h"

#include <cstring>

namespace mlir::moe {
#define GEN_PASS_DEF_MOEFUSESIBLINGMATMULS
#include "moe/Passes/Moe/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;
using namespace mlir::moe;

namespace {

/// A matmul of f32 activations by a constant static f32 weight [K, N].
struct Sibling {
  linalg::GenericOp op;
  int64_t n;
  std::vector<char> bytes;
};

std::optional<Sibling> siblingOf(linalg::GenericOp generic) {
  Value b = constantMatmulWeightOf(generic);
  std::optional<std::vector<char>> bytes = b ? constantRawBytes(b) : std::nullopt;
  auto bType = b ? cast<RankedTensorType>(b.getType()) : RankedTensorType();
  if (!bytes || static_cast<int64_t>(bytes->size()) != bType.getNumElements() * 4)
    return std::nullopt;
  return Sibling{generic, bType.getDimSize(1), std::move(*bytes)};
}

void fuse(MutableArrayRef<Sibling> siblings) {
  linalg::GenericOp first = siblings.front().op;
  for (const Sibling &s : siblings)
    if (s.op->isBeforeInBlock(first))
      first = s.op;
  IRRewriter rewriter(first);
  rewriter.setInsertionPoint(first);
  Location loc = first.getLoc();
  Value a = first.getDpsInputs()[0];
  int64_t k = cast<RankedTensorType>(first.getDpsInputs()[1].getType()).getDimSize(0);
  int64_t total = 0;
  for (const Sibling &s : siblings)
    total += s.n;
  // Row k of the fused weight: row k of each weight in turn.
  std::vector<char> fused(k * total * 4);
  char *out = fused.data();
  for (int64_t row = 0; row < k; ++row)
    for (const Sibling &s : siblings) {
      std::memcpy(out, s.bytes.data() + row * s.n * 4, s.n * 4);
      out += s.n * 4;
    }
  Value weight = bytesConstant(rewriter, loc,
                               RankedTensorType::get({k, total}, rewriter.getF32Type()), fused,
                               "fused_sibling_weights");
  auto firstType = cast<RankedTensorType>(first.getResultTypes()[0]);
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, first.getDpsInits()[0]);
  sizes.back() = rewriter.getIndexAttr(total);
  Value zero = arith::ConstantOp::create(rewriter, loc, rewriter.getF32FloatAttr(0.0));
  Value init = filled(rewriter, loc, sizes, zero);
  auto wide = linalg::GenericOp::create(rewriter, loc, TypeRange{init.getType()},
                                        ValueRange{a, weight}, ValueRange{init},
                                        first.getIndexingMapsArray(), first.getIteratorTypesArray());
  rewriter.cloneRegionBefore(first.getRegion(), wide.getRegion(), wide.getRegion().end());
  int64_t offset = 0;
  int64_t rank = firstType.getRank();
  for (Sibling &s : siblings) {
    SmallVector<OpFoldResult> offsets(rank, rewriter.getIndexAttr(0));
    offsets.back() = rewriter.getIndexAttr(offset);
    SmallVector<OpFoldResult> sliceSizes(sizes);
    sliceSizes.back() = rewriter.getIndexAttr(s.n);
    SmallVector<OpFoldResult> strides(rank, rewriter.getIndexAttr(1));
    Value slice = tensor::ExtractSliceOp::create(
        rewriter, loc, cast<RankedTensorType>(s.op.getResultTypes()[0]), wide.getResult(0),
        offsets, sliceSizes, strides);
    rewriter.replaceOp(s.op, slice);
    offset += s.n;
  }
}

struct MoeFuseSiblingMatmulsPass
    : moe::impl::MoeFuseSiblingMatmulsBase<MoeFuseSiblingMatmulsPass> {
  void runOnOperation() override {
    // Siblings: same input, same maps and body form, in one block.
    llvm::MapVector<std::pair<Value, Block *>, SmallVector<Sibling>> byInput;
    getOperation()->walk([&](linalg::GenericOp generic) {
      if (std::optional<Sibling> s = siblingOf(generic))
        byInput[{generic.getDpsInputs()[0], generic->getBlock()}].push_back(std::move(*s));
    });
    for (auto &[key, siblings] : byInput) {
      // The input's rank fixes the loop structure, so siblings share it. A
      // fused width the register tile does not divide would lose members
      // that it divides their tiling: leave those apart.
      if (siblings.size() < 2)
        continue;
      int64_t total = 0;
      bool anyTiled = false;
      for (const Sibling &s : siblings) {
        total += s.n;
        anyTiled |= s.n % 32 == 0;
      }
      if (anyTiled && total % 32 != 0)
        continue;
      fuse(siblings);
    }
  }
};

} // namespace
