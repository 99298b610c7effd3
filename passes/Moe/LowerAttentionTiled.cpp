//===- LowerAttentionTiled.cpp - moe.attention as tiled online softmax ----===//
//
// The flash form: for each (batch, query head, tile of query rows), the key
// tiles the mask leaves visible are visited in order, each a static
// [rows x D] @ [D x keys] product, and the softmax is carried online (the
// running row max, the running sum of exponentials, the output rescaled
// when the max grows). Scores never exist beyond one tile, key tiles that a
// causal or windowed mask hides entirely are never computed (a window costs
// what it sees), and GQA reads each kv head where it is, without repeating
// it. Explicit masks are read a [rows x keys] block per visited tile into
// the tile's starting value; a KV cache's keys are its concatenation
// (queries at positions P + i); global tokens add their key tiles to every
// row tile's and every tile to theirs; softcap caps the scores before the
// mask. When the rows of a tile fill whole register tiles, score tiles are
// keys x rows, so the reductions over keys run lane-wise down the tile.
// Chosen over the direct form by shape: keys enough to tile, static
// shapes (keys and rows padded to whole tiles) but for the keys' count (a
// KV cache's length, padded at run time) and the queries' (a prompt's
// length: one row takes the decode form, more are padded to 64-row tiles,
// chosen at run time); block layouts take the direct form.
//
//===----------------------------------------------------------------------===//

#include "LoweringHelpers.h"
#include "moe/Dialect/Moe/MoeOps.h"
#include "moe/Passes/Moe/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>
#include <limits>
#include <tuple>

using namespace mlir;
using namespace mlir::moe;

namespace {

using IT = utils::IteratorType;

/// The largest of `options` dividing `extent`, else 0.
int64_t tileFor(int64_t extent, std::initializer_list<int64_t> options) {
  for (int64_t option : options)
    if (extent % option == 0)
      return option;
  return 0;
}

Value index(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value floatConstant(OpBuilder &b, Location loc, double v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}

/// A [rows x cols] slice at `offsets` of a rank-4 tensor, rank-reduced.
Value slice2d(OpBuilder &b, Location loc, Value source, ArrayRef<OpFoldResult> offsets,
              int64_t rows, int64_t cols) {
  SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1), b.getIndexAttr(1), b.getIndexAttr(rows),
                                     b.getIndexAttr(cols)};
  SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
  auto type = RankedTensorType::get({rows, cols}, b.getF32Type());
  return tensor::ExtractSliceOp::create(b, loc, type, source, offsets, sizes, strides);
}

/// The [heads x rows, D] rows of `heads` query heads from `firstHead` of
/// batch `b` of a rank-4 tensor, as one matrix.
Value groupRows(OpBuilder &b, Location loc, Value source, Value batch, Value firstHead,
                int64_t heads, int64_t rows, int64_t depth) {
  Value block = tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get({heads, rows, depth}, b.getF32Type()), source,
      ArrayRef<OpFoldResult>{batch, firstHead, b.getIndexAttr(0), b.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(heads), b.getIndexAttr(rows),
                             b.getIndexAttr(depth)},
      SmallVector<OpFoldResult>(4, b.getIndexAttr(1)));
  return tensor::CollapseShapeOp::create(b, loc, block,
                                         SmallVector<ReassociationIndices>{{0, 1}, {2}});
}

/// A mask entry that shows the key (true, 0) or hides it (false, -inf).
TypedAttr maskFill(OpBuilder &b, Type element, bool shown) {
  if (element.isInteger(1))
    return b.getBoolAttr(shown);
  return b.getFloatAttr(element, shown ? 0.0 : -std::numeric_limits<double>::infinity());
}

/// `t` extended along `dim` to `extent`, the new entries `fill`.
Value padDim(OpBuilder &b, Location loc, Value t, int64_t dim, OpFoldResult extent,
             TypedAttr fill) {
  auto type = cast<RankedTensorType>(t.getType());
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, t);
  sizes[dim] = extent;
  Value init = filled(b, loc, sizes, arith::ConstantOp::create(b, loc, fill));
  SmallVector<OpFoldResult> zeros(type.getRank(), b.getIndexAttr(0)),
      ones(type.getRank(), b.getIndexAttr(1));
  return tensor::InsertSliceOp::create(b, loc, t, init, zeros, tensor::getMixedSizes(b, loc, t),
                                       ones);
}

/// The tiles of `tile` that `count` fills, the last padded, and the count
/// they hold; constants when `count` is one.
std::pair<OpFoldResult, OpFoldResult> wholeTiles(OpBuilder &b, Location loc, OpFoldResult count,
                                                 int64_t tile) {
  if (std::optional<int64_t> n = getConstantIntValue(count))
    return {b.getIndexAttr(llvm::divideCeil(*n, tile)),
            b.getIndexAttr(llvm::divideCeil(*n, tile) * tile)};
  Value tiles = arith::CeilDivUIOp::create(b, loc, getValueOrCreateConstantIndexOp(b, loc, count),
                                           index(b, loc, tile));
  return {tiles, Value(arith::MulIOp::create(b, loc, tiles, index(b, loc, tile)))};
}

/// The largest value (in f32) of each [t2 x t3] block of the rank-4 float
/// `mask` (dims 2 and 3 whole blocks): [B, H, dim 2 / t2, dim 3 / t3],
/// one forall step per (batch, head, block row).
Value maskTileTops(OpBuilder &b, Location loc, Value mask, int64_t t2, int64_t t3) {
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(mask.getType());
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, mask);
  auto tilesOf = [&](OpFoldResult extent, int64_t tile) -> OpFoldResult {
    if (std::optional<int64_t> n = getConstantIntValue(extent))
      return b.getIndexAttr(*n / tile);
    return Value(arith::DivUIOp::create(b, loc, getValueOrCreateConstantIndexOp(b, loc, extent),
                                        index(b, loc, tile)));
  };
  OpFoldResult rowsOfTiles = tilesOf(sizes[2], t2), colsOfTiles = tilesOf(sizes[3], t3);
  Value tops = tensor::EmptyOp::create(
      b, loc, ArrayRef<OpFoldResult>{sizes[0], sizes[1], rowsOfTiles, colsOfTiles}, b.getF32Type());
  auto forall =
      scf::ForallOp::create(b, loc, ArrayRef<OpFoldResult>{sizes[0], sizes[1], rowsOfTiles},
                            ValueRange{tops}, std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(forall.getBody());
  Value bi = forall.getInductionVar(0), hi = forall.getInductionVar(1),
        ri = forall.getInductionVar(2);
  Value start = arith::MulIOp::create(b, loc, ri, index(b, loc, t2));
  auto stripType = RankedTensorType::get({t2, type.getDimSize(3)}, type.getElementType());
  Value strip = tensor::ExtractSliceOp::create(
      b, loc, stripType, mask, ArrayRef<OpFoldResult>{bi, hi, start, b.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1), b.getIndexAttr(t2), sizes[3]},
      SmallVector<OpFoldResult>(4, b.getIndexAttr(1)));
  std::optional<int64_t> staticCols = getConstantIntValue(colsOfTiles);
  Value blocks = tensor::ExpandShapeOp::create(
      b, loc,
      RankedTensorType::get({t2, staticCols ? *staticCols : ShapedType::kDynamic, t3},
                            type.getElementType()),
      strip, SmallVector<ReassociationIndices>{{0}, {1, 2}},
      ArrayRef<OpFoldResult>{b.getIndexAttr(t2), colsOfTiles, b.getIndexAttr(t3)});
  // (row in block, block, key in block): the innermost contiguous.
  AffineMap in = AffineMap::getMultiDimIdentityMap(3, ctx);
  AffineMap outMap = AffineMap::get(3, 0, {getAffineDimExpr(1, ctx)}, ctx);
  Value init = filled(b, loc, {colsOfTiles},
                      floatConstant(b, loc, -std::numeric_limits<double>::infinity()));
  Value row = generic(
      b, loc, init, blocks, {in, outMap}, {IT::reduction, IT::parallel, IT::reduction},
      [](OpBuilder &bb, Location bl, ValueRange args) {
        Value v = convertFloat(bb, bl, args[0], bb.getF32Type());
        linalg::YieldOp::create(bb, bl, Value(arith::MaxNumFOp::create(bb, bl, v, args[1])));
      });
  b.setInsertionPointToStart(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(
      b, loc, row, forall.getRegionIterArgs()[0],
      ArrayRef<OpFoldResult>{bi, hi, ri, b.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1), b.getIndexAttr(1), colsOfTiles},
      SmallVector<OpFoldResult>(4, b.getIndexAttr(1)));
  return forall.getResult(0);
}

/// The keys' count, past and new (query i sits at position P + i and the
/// keys are the past ones followed by the new ones: the op's definition).
int64_t keyCountOf(AttentionOp op) {
  int64_t past =
      op.getPastKey() ? cast<RankedTensorType>(op.getPastKey().getType()).getDimSize(2) : 0;
  int64_t fresh = cast<RankedTensorType>(op.getKey().getType()).getDimSize(2);
  return ShapedType::isDynamic(past) || ShapedType::isDynamic(fresh) ? ShapedType::kDynamic
                                                                     : past + fresh;
}

/// Keys per tile; 0 for the direct form. Cost model: with fewer keys than
/// a tile the direct form's one pass is as good and simpler. Keys that no
/// tile divides are padded to whole 64-key tiles (hidden, like masked
/// keys): a copy of K and V, cheap beside the S x keys scores the direct
/// form would write. A count known only at run time is always padded.
int64_t keyTileFor(AttentionOp op) {
  int64_t keys = keyCountOf(op);
  if (ShapedType::isDynamic(keys))
    return 64;
  if (keys < 64)
    return 0;
  int64_t tile = tileFor(keys, {64, 32});
  return tile ? tile : 64;
}

struct LowerAttentionTiled : OpRewritePattern<AttentionOp> {
  LowerAttentionTiled(MLIRContext *ctx) : OpRewritePattern(ctx, /*benefit=*/2) {}

  LogicalResult matchAndRewrite(AttentionOp op, PatternRewriter &rewriter) const override {
    // Static shapes, but for the keys' count (dim 2 of keys, values and
    // the cache; dim 3 of a mask: a decode step compiled once for any
    // cache length) and the queries' (dim 2 of the query and of a mask: a
    // prompt of any length).
    auto staticBut = [](Value v, std::initializer_list<int64_t> varying) {
      auto type = cast<RankedTensorType>(v.getType());
      for (int64_t d = 0; d < type.getRank(); ++d)
        if (type.isDynamicDim(d) && !llvm::is_contained(varying, d))
          return false;
      return true;
    };
    auto f32 = [](Value v) { return cast<RankedTensorType>(v.getType()).getElementType().isF32(); };
    if (!f32(op.getQuery()) || !f32(op.getKey()) || !f32(op.getValue()) ||
        (op.getPastKey() && (!f32(op.getPastKey()) || !f32(op.getPastValue()))))
      return rewriter.notifyMatchFailure(op, "f32 operands only");
    if (!staticBut(op.getQuery(), {2}) || !staticBut(op.getKey(), {2}) ||
        !staticBut(op.getValue(), {2}) ||
        (op.getPastKey() &&
         (!staticBut(op.getPastKey(), {2}) || !staticBut(op.getPastValue(), {2}))))
      return rewriter.notifyMatchFailure(op, "static shapes but for the sequences' lengths");
    if (op.getLayout())
      return rewriter.notifyMatchFailure(op, "block layouts take the direct form");
    if (op.getMask() && !staticBut(op.getMask(), {2, 3}))
      return rewriter.notifyMatchFailure(op, "a mask of static shape but for its rows and keys");
    auto qType = cast<RankedTensorType>(op.getQuery().getType());
    if (!qType.isDynamicDim(2)) {
      FailureOr<SmallVector<Value>> results = lower(rewriter, op);
      if (failed(results))
        return failure();
      rewriter.replaceOp(op, *results);
      return success();
    }
    if (!keyTileFor(op))
      return rewriter.notifyMatchFailure(op, "too few keys to tile");
    // A query length known only at run time: one row (a decode step) is
    // the op again with one static row, lowered as such (a GQA step's
    // heads in one tile); any other length is padded to 64-row tiles.
    Location loc = op.getLoc();
    Value rows = tensor::DimOp::create(rewriter, loc, op.getQuery(), 2);
    Value oneRow = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::eq, rows,
                                         index(rewriter, loc, 1));
    auto split = scf::IfOp::create(rewriter, loc, op->getResultTypes(), oneRow,
                                   /*addThenBlock=*/true, /*addElseBlock=*/true);
    {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(split.thenBlock());
      auto oneRowType = [](Value v) {
        auto type = cast<RankedTensorType>(v.getType());
        SmallVector<int64_t> shape(type.getShape());
        shape[2] = 1;
        return type.clone(shape);
      };
      auto oneRowOf = [&](Value v) {
        return cast<RankedTensorType>(v.getType()).isDynamicDim(2)
                   ? Value(tensor::CastOp::create(rewriter, loc, oneRowType(v), v))
                   : v;
      };
      Value query = oneRowOf(op.getQuery());
      Value mask = op.getMask() ? oneRowOf(op.getMask()) : Value();
      auto step = cast<AttentionOp>(rewriter.clone(*op));
      step.getQueryMutable().assign(query);
      if (mask)
        step.getMaskMutable().assign(mask);
      step.getOutput().setType(oneRowType(op.getOutput()));
      SmallVector<Value> results;
      for (auto [value, type] : llvm::zip(step->getResults(), op->getResultTypes()))
        results.push_back(castTo(rewriter, loc, value, type));
      scf::YieldOp::create(rewriter, loc, results);
      rewriter.setInsertionPointToStart(split.elseBlock());
      scf::YieldOp::create(rewriter, loc, *lower(rewriter, op));
    }
    rewriter.replaceOp(op, split.getResults());
    return success();
  }

  /// The flash form of `op` (static but for the lengths), built at the
  /// rewriter's insertion point; nothing is built when it does not apply.
  FailureOr<SmallVector<Value>> lower(PatternRewriter &rewriter, AttentionOp op) const {
    auto qType = cast<RankedTensorType>(op.getQuery().getType());
    auto kType = cast<RankedTensorType>(op.getKey().getType());
    auto vType = cast<RankedTensorType>(op.getValue().getType());
    Value mask = op.getMask();
    auto maskType = mask ? cast<RankedTensorType>(mask.getType()) : RankedTensorType();
    int64_t batch = qType.getDimSize(0), qHeads = qType.getDimSize(1);
    int64_t rows = qType.getDimSize(2), depth = qType.getDimSize(3);
    int64_t kvHeads = kType.getDimSize(1), valueDepth = vType.getDimSize(3);
    int64_t keys = keyCountOf(op), keyTile = keyTileFor(op);
    bool dynamicKeys = ShapedType::isDynamic(keys);
    bool dynamicRows = ShapedType::isDynamic(rows);
    if (!keyTile || rows == 0)
      return rewriter.notifyMatchFailure(op, "too few keys or rows to tile");
    // Rows that no tile divides (a prompt of any length) are padded to
    // whole tiles too: zero queries, their outputs cut off at the end.
    // The widest tile that pads by at most an eighth of the rows; 64 for
    // a count known only at run time.
    int64_t rowTile = dynamicRows ? 64 : rows < 8 ? rows : tileFor(rows, {64, 32, 16, 8});
    for (int64_t option : {64, 32, 16, 8})
      if (!rowTile && (option == 8 || (llvm::divideCeil(rows, option) * option - rows) * 8 <= rows))
        rowTile = option;
    // A decode step (or a few rows) of GQA: the query heads that share a kv
    // head are the rows of one tile, so each K and V tile is read once
    // for all of them (a tile of one row per head read the whole cache
    // once per query head). Row r of such a tile is head r / rows, query
    // r % rows; an explicit mask must then be the same for every head
    // (and, past one row, for every query).
    int64_t groups = qHeads / kvHeads;
    bool packHeads =
        groups > 1 && !dynamicRows && rows < 8 && rows * groups <= 64 &&
        (!maskType || (maskType.getDimSize(1) == 1 && (rows == 1 || maskType.getDimSize(2) == 1)));
    if (packHeads)
      rowTile = rows * groups;

    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    double scale = op.getScale() ? op.getScale()->convertToDouble()
                                 : 1.0 / std::sqrt(static_cast<double>(depth));
    double softcap = op.getSoftcap().convertToDouble();
    bool causal = op.getCausal();
    int64_t left = op.getWindowLeft(), right = op.getWindowRight();
    int64_t global = op.getNumGlobalTokens();

    Value key = op.getKey(), value = op.getValue();
    SmallVector<Value> results(1);
    // Query i sits at position `offset` + i; the keys, padded, fill
    // `keyTiles` tiles.
    Value pastKey = op.getPastKey(), pastValue = op.getPastValue();
    Value offset = pastKey ? getValueOrCreateConstantIndexOp(
                                 rewriter, loc, tensor::getMixedSize(rewriter, loc, pastKey, 2))
                           : Value(index(rewriter, loc, 0));
    OpFoldResult keyCount, keyTiles, paddedKeys;
    if (!dynamicKeys)
      keyCount = rewriter.getIndexAttr(keys);
    else if (pastKey)
      keyCount = Value(
          arith::AddIOp::create(rewriter, loc, offset,
                                getValueOrCreateConstantIndexOp(
                                    rewriter, loc, tensor::getMixedSize(rewriter, loc, key, 2))));
    else
      keyCount = tensor::getMixedSize(rewriter, loc, key, 2);
    bool padded = dynamicKeys || keys % keyTile != 0;
    std::tie(keyTiles, paddedKeys) = wholeTiles(rewriter, loc, keyCount, keyTile);
    // With a cache, the keys are the past ones followed by the new ones
    // (the presents). Padded, they are built in the padded buffer, the
    // presents a view of it: a decode step copies its cache once, not
    // once into the presents and again into the padding.
    auto withPast = [&](Value past, Value next) -> Value {
      if (!padded)
        return concatSeq(rewriter, loc, past, next);
      Value into = padDim(rewriter, loc, past, 2, paddedKeys, rewriter.getF32FloatAttr(0));
      SmallVector<OpFoldResult> at(4, rewriter.getIndexAttr(0));
      at[2] = offset;
      return tensor::InsertSliceOp::create(rewriter, loc, next, into, at,
                                           tensor::getMixedSizes(rewriter, loc, next),
                                           SmallVector<OpFoldResult>(4, rewriter.getIndexAttr(1)));
    };
    if (pastKey) {
      key = withPast(pastKey, key);
      value = withPast(pastValue, value);
      SmallVector<Value, 2> presents = {key, value};
      for (auto [all, type] : llvm::zip(presents, op.getPresent().getTypes())) {
        Value present = all;
        if (padded) {
          SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, all);
          sizes[2] = keyCount;
          present = tensor::ExtractSliceOp::create(
              rewriter, loc, all, SmallVector<OpFoldResult>(4, rewriter.getIndexAttr(0)), sizes,
              SmallVector<OpFoldResult>(4, rewriter.getIndexAttr(1)));
        }
        results.push_back(castTo(rewriter, loc, present, type));
      }
    } else if (padded) {
      key = padDim(rewriter, loc, key, 2, paddedKeys, rewriter.getF32FloatAttr(0));
      value = padDim(rewriter, loc, value, 2, paddedKeys, rewriter.getF32FloatAttr(0));
    }
    if (padded && mask && maskType.getDimSize(3) != 1) {
      mask = padDim(rewriter, loc, mask, 3, paddedKeys,
                    maskFill(rewriter, maskType.getElementType(), /*shown=*/false));
      maskType = cast<RankedTensorType>(mask.getType());
    }
    Value query = op.getQuery();
    // The rows padded to whole tiles: `rowTiles` of them.
    OpFoldResult rowCount = tensor::getMixedSize(rewriter, loc, query, 2), rowTiles, paddedRows;
    bool paddedQuery = dynamicRows || (!packHeads && rows % rowTile != 0);
    if (packHeads) {
      rowTiles = rewriter.getIndexAttr(1);
      paddedRows = rewriter.getIndexAttr(rows);
    } else {
      std::tie(rowTiles, paddedRows) = wholeTiles(rewriter, loc, rowCount, rowTile);
    }
    if (paddedQuery) {
      query = padDim(rewriter, loc, query, 2, paddedRows, rewriter.getF32FloatAttr(0));
      if (mask && maskType.getDimSize(2) != 1) {
        mask = padDim(rewriter, loc, mask, 2, paddedRows,
                      maskFill(rewriter, maskType.getElementType(), /*shown=*/true));
        maskType = cast<RankedTensorType>(mask.getType());
      }
    }

    // Each score tile is laid out keys x rows when the rows fill whole
    // register tiles: the softmax's maxima and sums over keys are then
    // lane-wise vector ops down the tile, not a horizontal reduction per
    // row (a shuffle sequence, and a scalar one for the NaN-propagating
    // max). S^T = K Q^T reads K where it is; O^T += V^T P^T needs V^T,
    // transposed once per call. Otherwise rows x keys: S = Q K^T with K^T
    // transposed once per call.
    bool keysMajor = rowTile % 32 == 0 && valueDepth % 8 == 0;
    // Either transpose makes one [D x keys] block per key tile: a tile's
    // rows then lie keyTile floats apart, not a whole sequence, so they
    // stay in few cache lines instead of all landing in the same L1 sets
    // (8 KiB apart at 2048 keys; measured: causal attention at 2048, 70.6
    // -> 68.7 ms, before the keys-major form).
    Value kvPanels;
    {
      Value source = keysMajor ? value : key;
      int64_t width = keysMajor ? valueDepth : depth;
      std::optional<int64_t> staticTiles = getConstantIntValue(keyTiles);
      Value tiled = tensor::ExpandShapeOp::create(
          rewriter, loc,
          RankedTensorType::get(
              {batch, kvHeads, staticTiles ? *staticTiles : ShapedType::kDynamic, keyTile, width},
              rewriter.getF32Type()),
          source, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}, {4}},
          ArrayRef<OpFoldResult>{rewriter.getIndexAttr(batch), rewriter.getIndexAttr(kvHeads),
                                 keyTiles, rewriter.getIndexAttr(keyTile),
                                 rewriter.getIndexAttr(width)});
      kvPanels =
          linalg::TransposeOp::create(
              rewriter, loc, tiled,
              tensor::EmptyOp::create(rewriter, loc,
                                      ArrayRef<OpFoldResult>{rewriter.getIndexAttr(batch),
                                                             rewriter.getIndexAttr(kvHeads),
                                                             keyTiles, rewriter.getIndexAttr(width),
                                                             rewriter.getIndexAttr(keyTile)},
                                      rewriter.getF32Type()),
              ArrayRef<int64_t>{0, 1, 2, 4, 3})
              .getResult()[0];
    }
    // Keys-major tiles read the mask's [rows x keys] blocks across: a
    // mask of whole rows and keys is transposed once per call instead, so
    // that each block is read along its rows (an element-wise gather per
    // tile, else: at 2048 keys, twice the time of the whole attention).
    bool maskKeysFirst =
        mask && keysMajor && maskType.getDimSize(2) != 1 && maskType.getDimSize(3) != 1;
    if (maskKeysFirst) {
      SmallVector<OpFoldResult> shape = tensor::getMixedSizes(rewriter, loc, mask);
      std::swap(shape[2], shape[3]);
      mask = linalg::TransposeOp::create(
                 rewriter, loc, mask,
                 tensor::EmptyOp::create(rewriter, loc, shape, maskType.getElementType()),
                 ArrayRef<int64_t>{0, 1, 3, 2})
                 .getResult()[0];
    }
    // A float mask of whole rows and keys (HuggingFace's) is read once
    // per call for each tile's largest value, [B, H, row tiles, key tiles]
    // (keys first when the mask is): every query head sharing the mask
    // then checks its skip there instead of reducing the block again, and
    // a skipped tile's block is never read (at 2048 keys with a causal
    // padding mask, half the tiles, 16 times over).
    Value tileTops = mask && !packHeads && isa<FloatType>(maskType.getElementType()) &&
                             maskType.getDimSize(2) != 1 && maskType.getDimSize(3) != 1
                         ? maskTileTops(rewriter, loc, mask, maskKeysFirst ? keyTile : rowTile,
                                        maskKeysFirst ? rowTile : keyTile)
                         : Value();
    Value out = tensor::EmptyOp::create(
        rewriter, loc,
        ArrayRef<OpFoldResult>{rewriter.getIndexAttr(batch), rewriter.getIndexAttr(qHeads),
                               paddedRows, rewriter.getIndexAttr(valueDepth)},
        rewriter.getF32Type());

    // Tiles are 2-d: (keys, rows) or (rows, keys) for scores, (value
    // depth, rows) or (rows, value depth) for the output. `rowDim` is where
    // the rows are; per-row values (max, sum, rescale) are read through
    // `row`.
    unsigned rowDim = keysMajor ? 1 : 0;
    AffineMap id2 = AffineMap::getMultiDimIdentityMap(2, ctx);
    AffineMap row = AffineMap::get(2, 0, {getAffineDimExpr(rowDim, ctx)}, ctx);
    AffineMap id1 = AffineMap::getMultiDimIdentityMap(1, ctx);
    SmallVector<IT> overKeys = {IT::parallel, IT::parallel};
    overKeys[1 - rowDim] = IT::reduction;
    auto tile2d = [&](int64_t rowExtent, int64_t otherExtent) {
      return keysMajor ? SmallVector<int64_t>{otherExtent, rowExtent}
                       : SmallVector<int64_t>{rowExtent, otherExtent};
    };
    double negInf = -std::numeric_limits<double>::infinity();

    // Every (batch, head, row tile) is independent: one forall over them.
    SmallVector<OpFoldResult> ubs = {rewriter.getIndexAttr(batch),
                                     rewriter.getIndexAttr(packHeads ? kvHeads : qHeads),
                                     packHeads ? rewriter.getIndexAttr(1) : rowTiles};
    auto forall = scf::ForallOp::create(rewriter, loc, ubs, ValueRange{out}, std::nullopt);
    {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(forall.getBody());
      OpBuilder &b = rewriter;
      Value bIdx = forall.getInductionVar(0), h = forall.getInductionVar(1),
            qt = forall.getInductionVar(2);
      // Packed, the forall's second index is the kv head.
      Value kvh = packHeads ? h : Value(arith::DivUIOp::create(b, loc, h, index(b, loc, groups)));
      Value firstHead =
          packHeads ? Value(arith::MulIOp::create(b, loc, h, index(b, loc, groups))) : h;
      Value rowStart = arith::MulIOp::create(b, loc, qt, index(b, loc, rowTile));
      // The scale goes on the query rows once, not on every score tile
      // (and, keys-major, they are transposed here, once per row tile).
      AffineMap qOut =
          keysMajor ? AffineMap::getPermutationMap(ArrayRef<unsigned>{1, 0}, ctx) : id2;
      Value q = generic(
          b, loc, tensor::EmptyOp::create(b, loc, tile2d(rowTile, depth), b.getF32Type()),
          packHeads ? groupRows(b, loc, query, bIdx, firstHead, groups, rows, depth)
                    : slice2d(b, loc, query, {bIdx, h, rowStart, b.getIndexAttr(0)}, rowTile, depth),
          {id2, qOut}, {IT::parallel, IT::parallel},
          [&](OpBuilder &bb, Location bl, ValueRange args) {
            linalg::YieldOp::create(
                bb, bl,
                Value(arith::MulFOp::create(bb, bl, args[0], floatConstant(bb, bl, scale))));
          });

      // The key tiles the mask leaves visible to some row of this tile.
      Value firstPos = arith::AddIOp::create(b, loc, rowStart, offset);
      Value lastPos = arith::AddIOp::create(
          b, loc, firstPos, index(b, loc, (packHeads ? rows : rowTile) - 1));
      Value allTiles = getValueOrCreateConstantIndexOp(b, loc, keyTiles);
      Value lo = index(b, loc, 0), hi = allTiles;
      if (left >= 0) {
        Value from = arith::MaxSIOp::create(
            b, loc, arith::SubIOp::create(b, loc, firstPos, index(b, loc, left)), index(b, loc, 0));
        lo = arith::DivUIOp::create(b, loc, from, index(b, loc, keyTile));
      }
      // The tiles up to the one holding key position `last`.
      auto tilesThrough = [&](Value last) {
        Value tiles = arith::AddIOp::create(
            b, loc, arith::DivUIOp::create(b, loc, last, index(b, loc, keyTile)), index(b, loc, 1));
        return Value(arith::MinUIOp::create(b, loc, tiles, allTiles));
      };
      if (causal || right >= 0)
        hi = tilesThrough(
            causal ? lastPos : Value(arith::AddIOp::create(b, loc, lastPos, index(b, loc, right))));
      if (global > 0) {
        // A tile holding a global query sees every key its causal bound
        // leaves; the others see the global keys' tiles besides their
        // window's.
        Value causalHi = causal ? tilesThrough(lastPos) : allTiles;
        Value globalRows = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, firstPos,
                                                 index(b, loc, global));
        lo = arith::SelectOp::create(b, loc, globalRows, index(b, loc, 0), lo);
        hi = arith::SelectOp::create(b, loc, globalRows, causalHi, hi);
      }
      hi = arith::MaxUIOp::create(b, loc, hi, lo);
      // The loop runs over the global keys' tiles (below `globalTiles`),
      // then over the window's from `windowFrom`: step t is key tile t
      // before `globalTiles`, else t - globalTiles + windowFrom.
      Value loopLo = lo, loopHi = hi, globalTiles, windowFrom;
      if (global > 0) {
        globalTiles =
            arith::MinUIOp::create(b, loc, index(b, loc, llvm::divideCeil(global, keyTile)), hi);
        windowFrom = arith::MaxUIOp::create(b, loc, lo, globalTiles);
        loopLo = index(b, loc, 0);
        loopHi = arith::AddIOp::create(b, loc, globalTiles,
                                       arith::SubIOp::create(b, loc, hi, windowFrom));
      }

      Value m0 = filled(b, loc, {b.getIndexAttr(rowTile)}, floatConstant(b, loc, negInf));
      Value l0 = filled(b, loc, {b.getIndexAttr(rowTile)}, floatConstant(b, loc, 0));
      SmallVector<int64_t> accShape = tile2d(rowTile, valueDepth);
      Value acc0 = filled(b, loc, {b.getIndexAttr(accShape[0]), b.getIndexAttr(accShape[1])},
                          floatConstant(b, loc, 0));
      // Each tile's row maxima and sums are reduced into buffers the loop
      // carries, refilled in place: a fill of a fresh tensor would be
      // hoisted out of the loop, and every step would copy it into a new
      // allocation (a malloc and a memcpy per tile).
      Value scratch0 = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{rowTile}, b.getF32Type());
      auto loop = scf::ForOp::create(
          b, loc, loopLo, loopHi, index(b, loc, 1), ValueRange{m0, l0, acc0, scratch0, scratch0},
          [&](OpBuilder &nb, Location l, Value step, ValueRange iter) {
            Value m = iter[0], sum = iter[1], acc = iter[2];
            // The buffer the tile's row maxima reduce into (a mask's skip
            // check reduces into it first).
            Value maxScratch = iter[3], sumScratch = iter[4];
            Value kt = step;
            if (global > 0) {
              Value inGlobal =
                  arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ult, step, globalTiles);
              Value windowTile = arith::AddIOp::create(
                  nb, l, arith::SubIOp::create(nb, l, step, globalTiles), windowFrom);
              kt = arith::SelectOp::create(nb, l, inGlobal, step, windowTile);
            }
            Value keyStart = arith::MulIOp::create(nb, l, kt, index(nb, l, keyTile));
            Value panel = tensor::ExtractSliceOp::create(
                nb, l,
                RankedTensorType::get({keysMajor ? valueDepth : depth, keyTile}, nb.getF32Type()),
                kvPanels,
                ArrayRef<OpFoldResult>{bIdx, kvh, kt, nb.getIndexAttr(0), nb.getIndexAttr(0)},
                ArrayRef<OpFoldResult>{nb.getIndexAttr(1), nb.getIndexAttr(1), nb.getIndexAttr(1),
                                       nb.getIndexAttr(keysMajor ? valueDepth : depth),
                                       nb.getIndexAttr(keyTile)},
                SmallVector<OpFoldResult>(5, nb.getIndexAttr(1)));
            // The tile starts as its mask (0 or the explicit mask's value,
            // -inf where a mask hides the key) and the scores are added to
            // it: no zero fill, no pass of its own for masking. With a
            // softcap the scores are capped first and the mask added after.
            auto makeBias = [&](OpBuilder &nb, Location l) -> Value {
              SmallVector<Value> maskTile;
              SmallVector<AffineMap> biasMaps;
              if (mask) {
                // The explicit mask's [rows, keys] block of this tile, each
                // dim of size 1 broadcast (`maskType` is its [B, H, rows,
                // keys] type even when it was transposed above).
                ArrayRef<int64_t> shape = maskType.getShape();
                auto at = [&](int64_t d, OpFoldResult full) {
                  return shape[d] == 1 ? OpFoldResult(nb.getIndexAttr(0)) : full;
                };
                int64_t maskRows = shape[2] == 1 ? 1 : rowTile;
                int64_t maskKeys = shape[3] == 1 ? 1 : keyTile;
                SmallVector<OpFoldResult> offsets = {at(0, bIdx), at(1, h), at(2, rowStart),
                                                     at(3, keyStart)};
                SmallVector<int64_t> sizes = {maskRows, maskKeys};
                AffineExpr zero = getAffineConstantExpr(0, ctx);
                SmallVector<AffineExpr> exprs = {
                    maskRows == 1 ? zero : getAffineDimExpr(rowDim, ctx),
                    maskKeys == 1 ? zero : getAffineDimExpr(1 - rowDim, ctx)};
                if (maskKeysFirst) {
                  std::swap(offsets[2], offsets[3]);
                  std::swap(sizes[0], sizes[1]);
                  std::swap(exprs[0], exprs[1]);
                }
                maskTile.push_back(tensor::ExtractSliceOp::create(
                    nb, l, RankedTensorType::get(sizes, maskType.getElementType()), mask, offsets,
                    ArrayRef<OpFoldResult>{nb.getIndexAttr(1), nb.getIndexAttr(1),
                                           nb.getIndexAttr(sizes[0]), nb.getIndexAttr(sizes[1])},
                    SmallVector<OpFoldResult>(4, nb.getIndexAttr(1))));
                biasMaps.push_back(AffineMap::get(2, 0, exprs, ctx));
              }
              biasMaps.push_back(id2);
              Value bias = generic(
                  nb, l, tensor::EmptyOp::create(nb, l, tile2d(rowTile, keyTile), nb.getF32Type()),
                  maskTile, biasMaps, {IT::parallel, IT::parallel},
                  [&](OpBuilder &bb, Location bl, ValueRange args) {
                    Value row = linalg::IndexOp::create(bb, bl, rowDim);
                    if (packHeads)
                      row = arith::RemUIOp::create(bb, bl, row, index(bb, bl, rows));
                    Value qPos = arith::AddIOp::create(bb, bl, firstPos, row);
                    Value kPos = arith::AddIOp::create(bb, bl, keyStart,
                                                       linalg::IndexOp::create(bb, bl, 1 - rowDim));
                    auto compare = [&](arith::CmpIPredicate pred, Value a, Value c) {
                      return Value(arith::CmpIOp::create(bb, bl, pred, a, c));
                    };
                    Value visible = arith::ConstantIntOp::create(bb, bl, 1, 1);
                    auto both = [&](Value cond) {
                      visible = arith::AndIOp::create(bb, bl, visible, cond);
                    };
                    if (causal)
                      both(compare(arith::CmpIPredicate::ule, kPos, qPos));
                    if (left >= 0 || right >= 0) {
                      Value inWindow = arith::ConstantIntOp::create(bb, bl, 1, 1);
                      if (right >= 0)
                        inWindow = arith::AndIOp::create(
                            bb, bl, inWindow,
                            compare(arith::CmpIPredicate::ule, kPos,
                                    arith::AddIOp::create(bb, bl, qPos, index(bb, bl, right))));
                      if (left >= 0)
                        inWindow = arith::AndIOp::create(
                            bb, bl, inWindow,
                            compare(arith::CmpIPredicate::sge,
                                    arith::AddIOp::create(bb, bl, kPos, index(bb, bl, left)),
                                    qPos));
                      if (global > 0) {
                        Value g = index(bb, bl, global);
                        inWindow = arith::OrIOp::create(
                            bb, bl, inWindow,
                            arith::OrIOp::create(bb, bl,
                                                 compare(arith::CmpIPredicate::ult, kPos, g),
                                                 compare(arith::CmpIPredicate::ult, qPos, g)));
                      }
                      both(inWindow);
                    }
                    if (padded)
                      both(compare(arith::CmpIPredicate::ult, kPos,
                                   getValueOrCreateConstantIndexOp(bb, bl, keyCount)));
                    Value shown = floatConstant(bb, bl, 0);
                    if (mask) {
                      if (args[0].getType().isInteger(1))
                        both(args[0]);
                      else
                        shown = convertFloat(bb, bl, args[0], bb.getF32Type());
                    }
                    linalg::YieldOp::create(
                        bb, bl,
                        Value(arith::SelectOp::create(bb, bl, visible, shown,
                                                      floatConstant(bb, bl, negInf))));
                  });
              return bias;
            };
            // The tile's scores, softmax step and P V (every value the
            // loop carries, updated), from its starting value `bias`.
            auto computeTile = [&](OpBuilder &nb, Location l, Value bias) -> SmallVector<Value> {
              Value scoresInit = bias;
              if (softcap > 0)
                scoresInit = filled(nb, l,
                                    {nb.getIndexAttr(tile2d(rowTile, keyTile)[0]),
                                     nb.getIndexAttr(tile2d(rowTile, keyTile)[1])},
                                    floatConstant(nb, l, 0));
              Value scores;
              if (keysMajor) {
                Value keysTile =
                    slice2d(nb, l, key, {bIdx, kvh, keyStart, nb.getIndexAttr(0)}, keyTile, depth);
                scores = matmulInto(nb, l, keysTile, q, scoresInit);
              } else {
                scores = matmulInto(nb, l, q, panel, scoresInit);
              }
              if (softcap > 0)
                scores = generic(
                    nb, l, scores, bias, {id2, id2}, {IT::parallel, IT::parallel},
                    [&](OpBuilder &bb, Location bl, ValueRange args) {
                      Value c = floatConstant(bb, bl, softcap);
                      Value capped = arith::MulFOp::create(
                          bb, bl, c,
                          math::TanhOp::create(bb, bl, arith::DivFOp::create(bb, bl, args[1], c)));
                      linalg::YieldOp::create(
                          bb, bl, Value(arith::AddFOp::create(bb, bl, capped, args[0])));
                    });
              // The new running max and its rescaling of what came before
              // (one generic: the max is updated in place), then the
              // exponentials against it, 0 for hidden keys. Every running
              // value is updated in place, so the loop carries its buffers.
              // maxnumf: a NaN score still reaches the output through its
              // exponential, and maximumf's NaN handling costs a compare per
              // step.
              Value tileMax = generic(
                  nb, l,
                  linalg::FillOp::create(nb, l, floatConstant(nb, l, negInf), maxScratch)
                      .getResult(0),
                  scores, {id2, row}, overKeys, [](OpBuilder &bb, Location bl, ValueRange args) {
                    linalg::YieldOp::create(
                        bb, bl, Value(arith::MaxNumFOp::create(bb, bl, args[1], args[0])));
                  });
              auto expShifted = [&](OpBuilder &bb, Location bl, Value s, Value max) {
                Value hidden = arith::CmpFOp::create(bb, bl, arith::CmpFPredicate::OEQ, s,
                                                     floatConstant(bb, bl, negInf));
                Value e = math::ExpOp::create(bb, bl, arith::SubFOp::create(bb, bl, s, max));
                return Value(arith::SelectOp::create(bb, bl, hidden, floatConstant(bb, bl, 0), e));
              };
              Value alphaInit =
                  tensor::EmptyOp::create(nb, l, ArrayRef<int64_t>{rowTile}, nb.getF32Type());
              auto update = linalg::GenericOp::create(
                  nb, l, TypeRange{m.getType(), alphaInit.getType()}, ValueRange{tileMax},
                  ValueRange{m, alphaInit}, ArrayRef<AffineMap>{id1, id1, id1},
                  ArrayRef<IT>{IT::parallel}, [&](OpBuilder &bb, Location bl, ValueRange args) {
                    Value mNew = arith::MaximumFOp::create(bb, bl, args[1], args[0]);
                    linalg::YieldOp::create(bb, bl,
                                            ValueRange{mNew, expShifted(bb, bl, args[1], mNew)});
                  });
              Value mNew = update.getResult(0), alpha = update.getResult(1);
              Value p =
                  generic(nb, l, scores, mNew, {row, id2}, {IT::parallel, IT::parallel},
                          [&](OpBuilder &bb, Location bl, ValueRange args) {
                            linalg::YieldOp::create(bb, bl, expShifted(bb, bl, args[1], args[0]));
                          });
              Value rowSum = generic(
                  nb, l,
                  linalg::FillOp::create(nb, l, floatConstant(nb, l, 0), sumScratch).getResult(0),
                  p, {id2, row}, overKeys, [](OpBuilder &bb, Location bl, ValueRange args) {
                    linalg::YieldOp::create(bb, bl,
                                            Value(arith::AddFOp::create(bb, bl, args[1], args[0])));
                  });
              Value sumNew =
                  generic(nb, l, sum, ValueRange{alpha, rowSum}, {id1, id1, id1}, {IT::parallel},
                          [](OpBuilder &bb, Location bl, ValueRange args) {
                            Value scaled = arith::MulFOp::create(bb, bl, args[2], args[0]);
                            linalg::YieldOp::create(
                                bb, bl, Value(arith::AddFOp::create(bb, bl, scaled, args[1])));
                          });
              // The output so far, rescaled in place, takes this tile's P V.
              Value rescaled =
                  generic(nb, l, acc, ValueRange{alpha}, {row, id2}, {IT::parallel, IT::parallel},
                          [](OpBuilder &bb, Location bl, ValueRange args) {
                            linalg::YieldOp::create(
                                bb, bl, Value(arith::MulFOp::create(bb, bl, args[1], args[0])));
                          });
              Value accNew;
              if (keysMajor) {
                accNew = matmulInto(nb, l, panel, p, rescaled);
              } else {
                Value vTile = slice2d(nb, l, value, {bIdx, kvh, keyStart, nb.getIndexAttr(0)},
                                      keyTile, valueDepth);
                accNew = matmulInto(nb, l, p, vTile, rescaled);
              }
              return {mNew, sumNew, accNew, tileMax, rowSum};
            };
            if (!mask) {
              scf::YieldOp::create(nb, l, computeTile(nb, l, makeBias(nb, l)));
              return;
            }
            // A tile whose every score an explicit mask hides (-inf, or
            // below -1e30: HuggingFace fills with the float minimum) adds
            // exactly nothing once each row has seen a key it shows (its
            // exponentials underflow to 0 against the row's max): skipped.
            // Before that it still counts, as the direct form counts it (a
            // row that every key's minimum hides averages them all).
            Value floor = floatConstant(nb, l, -1e30);
            AffineMap toScalar1 = AffineMap::get(1, 0, {}, ctx);
            // The tile's largest mask value: per row first (lane-wise down a
            // keys-major tile, as the row maxima are; one 2-d reduction to a
            // scalar was a scalar max per element, 14% of the attention's
            // time with HuggingFace's padding mask), then over the rows.
            auto maxOf = [](OpBuilder &bb, Location bl, ValueRange args) {
              linalg::YieldOp::create(bb, bl,
                                      Value(arith::MaxNumFOp::create(bb, bl, args[1], args[0])));
            };
            // With the table of the mask's tiles (below), the tile's value
            // is read there, and a skipped tile's block is never read.
            Value bias, topValue;
            if (tileTops) {
              ArrayRef<int64_t> shape = maskType.getShape();
              SmallVector<Value> at = {shape[0] == 1 ? index(nb, l, 0) : bIdx,
                                       shape[1] == 1 ? index(nb, l, 0) : h, qt, kt};
              if (maskKeysFirst)
                std::swap(at[2], at[3]);
              topValue = tensor::ExtractOp::create(nb, l, tileTops, at);
            } else {
              bias = makeBias(nb, l);
              Value rowTops =
                  generic(nb, l,
                          linalg::FillOp::create(nb, l, floatConstant(nb, l, negInf), maxScratch)
                              .getResult(0),
                          bias, {id2, row}, overKeys, maxOf);
              maxScratch = rowTops;
              topValue = tensor::ExtractOp::create(
                  nb, l,
                  generic(nb, l, filled(nb, l, {}, floatConstant(nb, l, negInf)), rowTops,
                          {id1, toScalar1}, {IT::reduction}, maxOf));
            }
            Value lowest = generic(
                nb, l, filled(nb, l, {}, floatConstant(nb, l, -negInf)), m, {id1, toScalar1},
                {IT::reduction}, [](OpBuilder &bb, Location bl, ValueRange args) {
                  linalg::YieldOp::create(
                      bb, bl, Value(arith::MinimumFOp::create(bb, bl, args[1], args[0])));
                });
            Value hidden = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OLE, topValue, floor);
            Value seen = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGT,
                                               tensor::ExtractOp::create(nb, l, lowest), floor);
            auto skip = scf::IfOp::create(
                nb, l, arith::AndIOp::create(nb, l, hidden, seen),
                [&](OpBuilder &tb, Location tl) {
                  scf::YieldOp::create(tb, tl, ValueRange{m, sum, acc, maxScratch, sumScratch});
                },
                [&](OpBuilder &eb, Location el) {
                  scf::YieldOp::create(eb, el, computeTile(eb, el, bias ? bias : makeBias(eb, el)));
                });
            scf::YieldOp::create(nb, l, skip.getResults());
          });
      // Rows that saw no key give zeros; keys-major, the output tile is
      // transposed back here.
      AffineMap accIn =
          keysMajor ? AffineMap::getPermutationMap(ArrayRef<unsigned>{1, 0}, ctx) : id2;
      Value tile = generic(
          b, loc,
          tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{rowTile, valueDepth}, b.getF32Type()),
          ValueRange{loop.getResult(2), loop.getResult(1)},
          {accIn, AffineMap::get(2, 0, {getAffineDimExpr(0, ctx)}, ctx), id2},
          {IT::parallel, IT::parallel}, [](OpBuilder &bb, Location bl, ValueRange args) {
            Value zero = floatConstant(bb, bl, 0);
            Value none = arith::CmpFOp::create(bb, bl, arith::CmpFPredicate::OEQ, args[1], zero);
            Value o = arith::DivFOp::create(bb, bl, args[0], args[1]);
            linalg::YieldOp::create(bb, bl, Value(arith::SelectOp::create(bb, bl, none, zero, o)));
          });
      if (packHeads)
        tile = tensor::ExpandShapeOp::create(
            b, loc, RankedTensorType::get({groups, rows, valueDepth}, b.getF32Type()), tile,
            SmallVector<ReassociationIndices>{{0, 1}, {2}});
      b.setInsertionPointToStart(forall.getTerminator().getBody());
      SmallVector<OpFoldResult> offsets = {bIdx, firstHead, rowStart, b.getIndexAttr(0)};
      SmallVector<OpFoldResult> sizes = {
          b.getIndexAttr(1), b.getIndexAttr(packHeads ? groups : 1),
          b.getIndexAttr(packHeads ? rows : rowTile), b.getIndexAttr(valueDepth)};
      SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
      tensor::ParallelInsertSliceOp::create(b, loc, tile, forall.getRegionIterArgs()[0], offsets,
                                            sizes, strides);
    }
    results[0] = forall.getResult(0);
    if (paddedQuery)
      results[0] = tensor::ExtractSliceOp::create(
          rewriter, loc, qType.clone(ArrayRef<int64_t>{batch, qHeads, rows, valueDepth}),
          results[0],
          ArrayRef<OpFoldResult>(SmallVector<OpFoldResult>(4, rewriter.getIndexAttr(0))),
          ArrayRef<OpFoldResult>{rewriter.getIndexAttr(batch), rewriter.getIndexAttr(qHeads),
                                 rowCount, rewriter.getIndexAttr(valueDepth)},
          ArrayRef<OpFoldResult>(SmallVector<OpFoldResult>(4, rewriter.getIndexAttr(1))));
    return results;
  }
};

} // namespace

void moe::populateLowerAttentionTiledPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerAttentionTiled>(patterns.getContext());
}
