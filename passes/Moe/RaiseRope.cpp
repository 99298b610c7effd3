//===- RaiseRope.cpp - Exported rotary embeddings into moe.rope -----------===//
//
// HuggingFace's apply_rotary_pos_emb exports as x * cos + rotate_half(x) *
// sin, rotate_half(x) = Concat(Neg(x[..., h:]), x[..., :h]) over the last
// axis. That is moe.rope's half-split rotation only when cos and sin repeat
// their first half in the second, which a graph input cannot promise; a
// whole model's export computes them in the graph as Cos / Sin of
// Concat(freqs, freqs) (LlamaRotaryEmbedding), which does. Those become one
// moe.rope over the table Cos(freqs) / Sin(freqs) with a row per token:
// the tables' leading dims must be 1 (one set of positions for the batch)
// and their token dim the input's.
//
//===----------------------------------------------------------------------===//

#include "OnnxGraph.h"
#include "moe/Dialect/Moe/MoeOps.h"
#include "moe/Passes/Moe/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::moe {
#define GEN_PASS_DEF_MOERAISEROPE
#include "moe/Passes/Moe/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;
using namespace mlir::moe;
using namespace mlir::moe::graph;

namespace {

/// Whether `slice` takes [begin, end) of the last axis of its rank-`rank`
/// input with step 1 (`end` past the dim counts as the dim).
bool slicesLastAxis(onnx::NodeOp slice, int64_t rank, int64_t dim, int64_t begin,
                    int64_t end) {
  std::optional<SmallVector<int64_t>> starts = foldInts(input(slice, 1)),
                                      ends = foldInts(input(slice, 2));
  std::optional<SmallVector<int64_t>> axes =
      input(slice, 3) ? foldInts(input(slice, 3)) : SmallVector<int64_t>{rank - 1};
  std::optional<SmallVector<int64_t>> steps =
      input(slice, 4) ? foldInts(input(slice, 4)) : SmallVector<int64_t>{1};
  if (!starts || !ends || !axes || !steps || starts->size() != 1 ||
      ends->size() != 1 || axes->size() != 1 || steps->size() != 1 ||
      (*steps)[0] != 1 || ((*axes)[0] != -1 && (*axes)[0] != rank - 1))
    return false;
  auto clamp = [&](int64_t i) { return std::clamp(i < 0 ? i + dim : i, int64_t(0), dim); };
  return clamp((*starts)[0]) == begin && clamp((*ends)[0]) == end;
}

/// Whether `v` is rotate_half(x): Concat(Neg(x[..., h:]), x[..., :h]).
bool isRotateHalf(Value v, Value x) {
  onnx::NodeOp concat = nodeOf(skipNoOps(v), "Concat");
  int64_t rank = rankOf(x);
  if (!concat || concat->getNumOperands() != 2 || rank < 1)
    return false;
  int64_t axis = intAttrOr(concat, "axis", 0);
  int64_t dim = shapeOf(x).back();
  if ((axis != -1 && axis != rank - 1) || ShapedType::isDynamic(dim) || dim % 2)
    return false;
  onnx::NodeOp neg = nodeOf(skipNoOps(input(concat, 0)), "Neg");
  onnx::NodeOp back = neg ? nodeOf(skipNoOps(input(neg, 0)), "Slice") : onnx::NodeOp();
  onnx::NodeOp front = nodeOf(skipNoOps(input(concat, 1)), "Slice");
  return back && front && skipNoOps(input(back, 0)) == x && skipNoOps(input(front, 0)) == x &&
         slicesLastAxis(back, rank, dim, dim / 2, dim) &&
         slicesLastAxis(front, rank, dim, 0, dim / 2);
}

/// A cos or sin table broadcast against the input [B, H, S, D]: `fn` of
/// Concat(f, f) over the last axis, behind unit-dim Unsqueezes; its dims
/// before the last two are 1 and its token dim is `tokens`. Sets `freqs`.
bool readDoubledTable(Value table, StringRef fn, int64_t tokens, Value &freqs) {
  table = skipNoOps(table);
  ArrayRef<int64_t> shape = shapeOf(table);
  if (rankOf(table) < 2 || shape[shape.size() - 2] != tokens ||
      llvm::any_of(shape.drop_back(2), [](int64_t d) { return d != 1; }))
    return false;
  while (onnx::NodeOp unsqueeze = nodeOf(table, "Unsqueeze"))
    table = skipNoOps(input(unsqueeze, 0));
  onnx::NodeOp trig = nodeOf(table, fn);
  onnx::NodeOp concat = trig ? nodeOf(skipNoOps(input(trig, 0)), "Concat") : onnx::NodeOp();
  if (!concat || concat->getNumOperands() != 2 ||
      skipNoOps(input(concat, 0)) != skipNoOps(input(concat, 1)))
    return false;
  int64_t rank = rankOf(table);
  int64_t axis = intAttrOr(concat, "axis", 0);
  if (axis != -1 && axis != rank - 1)
    return false;
  freqs = skipNoOps(input(concat, 0));
  ArrayRef<int64_t> freqShape = shapeOf(freqs);
  return rankOf(freqs) >= 2 && freqShape[freqShape.size() - 2] == tokens &&
         llvm::all_of(freqShape.drop_back(2), [](int64_t d) { return d == 1; });
}

/// `fn`(freqs) as the [tokens, half] table moe.rope reads; q's and k's
/// rotations share one.
Value halfTable(RewriterBase &rewriter, Location loc, StringRef fn, Value freqs) {
  auto type = cast<RankedTensorType>(freqs.getType());
  ArrayRef<int64_t> shape = type.getShape();
  auto tableType = RankedTensorType::get(shape.take_back(2), type.getElementType());
  for (Operation *user : freqs.getUsers()) {
    auto earlier = dyn_cast<onnx::NodeOp>(user);
    if (!earlier || earlier.getOpType() != fn || earlier->getNumOperands() != 1)
      continue;
    auto feedsRope = [](Value v) {
      return llvm::any_of(v.getUsers(), [](Operation *u) { return isa<RopeOp>(u); });
    };
    if (type.getRank() == 2 && feedsRope(earlier->getResult(0)))
      return earlier->getResult(0);
    for (Operation *reshape : earlier->getResult(0).getUsers())
      if (reshape->getResult(0).getType() == tableType && nodeOf(reshape->getResult(0), "Reshape") &&
          feedsRope(reshape->getResult(0)))
        return reshape->getResult(0);
  }
  Value value = onnx::NodeOp::create(rewriter, loc, TypeRange{type}, ValueRange{freqs}, fn,
                                     "", 7, rewriter.getDictionaryAttr({}))
                    .getResult(0);
  if (type.getRank() == 2)
    return value;
  auto shapeType = RankedTensorType::get({2}, rewriter.getI64Type());
  Value newShape = arith::ConstantOp::create(
      rewriter, loc, DenseIntElementsAttr::get(shapeType, ArrayRef<int64_t>(tableType.getShape())));
  return onnx::NodeOp::create(rewriter, loc, TypeRange{tableType}, ValueRange{value, newShape},
                              "Reshape", "", 14, rewriter.getDictionaryAttr({}))
      .getResult(0);
}

} // namespace

FailureOr<Value> moe::raiseRope(RewriterBase &rewriter, Operation *root) {
  auto add = dyn_cast<onnx::NodeOp>(root);
  if (!add || !nodeOf(root->getResult(0), "Add"))
    return failure();
  Value out = root->getResult(0);
  for (int side = 0; side < 2; ++side) {
    onnx::NodeOp direct = nodeOf(skipNoOps(input(add, side)), "Mul");
    onnx::NodeOp rotated = nodeOf(skipNoOps(input(add, 1 - side)), "Mul");
    if (!direct || !rotated)
      continue;
    for (int xSide = 0; xSide < 2; ++xSide) {
      Value x = skipNoOps(input(direct, xSide)), cos = input(direct, 1 - xSide);
      if (rankOf(x) != 4 || x.getType() != out.getType() || ShapedType::isDynamic(shapeOf(x)[2]))
        continue;
      Value sin;
      for (int r = 0; r < 2 && !sin; ++r)
        if (isRotateHalf(input(rotated, r), x))
          sin = input(rotated, 1 - r);
      Value cosFreqs, sinFreqs;
      int64_t tokens = shapeOf(x)[2];
      if (!sin || !readDoubledTable(cos, "Cos", tokens, cosFreqs) ||
          !readDoubledTable(sin, "Sin", tokens, sinFreqs) || cosFreqs != sinFreqs ||
          shapeOf(cosFreqs).back() * 2 != shapeOf(x).back() ||
          cast<ShapedType>(cosFreqs.getType()).getElementType() !=
              cast<ShapedType>(x.getType()).getElementType())
        continue;
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPoint(root);
      Location loc = root->getLoc();
      Value cosTable = halfTable(rewriter, loc, "Cos", cosFreqs);
      Value sinTable = halfTable(rewriter, loc, "Sin", sinFreqs);
      auto rope = RopeOp::create(rewriter, loc, out.getType(), x, cosTable, sinTable, Value(),
                                 UnitAttr(), rewriter.getI64IntegerAttr(0));
      if (!verifiesQuietly(rope)) {
        rewriter.eraseOp(rope);
        for (Value table : {cosTable, sinTable})
          if (table.use_empty())
            eraseDeadOnnx(rewriter, {table.getDefiningOp()});
        return failure();
      }
      rewriter.replaceAllUsesWith(out, rope.getResult());
      eraseDeadOnnx(rewriter, {root});
      return rope.getResult();
    }
  }
  return failure();
}

namespace {
struct MoeRaiseRopePass : moe::impl::MoeRaiseRopeBase<MoeRaiseRopePass> {
  void runOnOperation() override {
    raiseEach(getOperation(), {"Add"}, /*latestFirst=*/false, raiseRope);
  }
};
} // namespace
