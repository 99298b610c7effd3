//===- ContribAttention.cpp - ONNX Runtime's attention ops ----------------===//
//
// com.microsoft GroupQueryAttention, MultiHeadAttention and SparseAttention
// become one moe.attention each, with their causal, sliding-window and
// block-sparse structure kept as attributes and a layout operand (not
// flattened into a dense mask), so the attention lowering can skip what is
// masked.
//
// The KV cache is the concatenating form: present = past followed by the new
// keys. Per-row lengths (seqlens_k, key_total_sequence_lengths) are implied
// by the shapes for batches whose rows have one length, which is what these
// conversions support; rows padded on the right give ONNX Runtime's result
// for their real tokens.
//
//===----------------------------------------------------------------------===//

#include "Broadcast.h"
#include "Heads.h"
#include "Helpers.h"
#include "moe/Dialect/Moe/MoeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::moe;

namespace {

/// Query, key and value as [B, heads, S, D].
struct Qkv {
  Value q, k, v;
};

/// GQA and SparseAttention: 3-d Q, K, V, or Q alone packing all three
/// along the hidden dim.
FailureOr<Qkv> splitQkv(OnnxNode &node, int64_t heads, int64_t kvHeads) {
  FailureOr<RankedTensorType> qType = node.rankedInput(0);
  if (failed(qType))
    return failure();
  Value q = node.input(0), k = node.input(1), v = node.input(2);
  if (static_cast<bool>(k) != static_cast<bool>(v))
    return node.emitError() << "key and value come together";
  if (!k) {
    int64_t hidden = qType->getRank() == 3 ? qType->getDimSize(2) : 0;
    int64_t parts = heads + 2 * kvHeads;
    if (ShapedType::isDynamic(hidden) || hidden <= 0 || hidden % parts != 0)
      return node.emitError() << "packed QKV must be (batch, sequence, "
                                 "(num_heads + 2 * kv_num_heads) * head_size)";
    OpBuilder &b = node.builder();
    Location loc = node.getLoc();
    int64_t d = hidden / parts;
    k = sliceColumns(b, loc, q, heads * d, kvHeads * d);
    v = sliceColumns(b, loc, q, (heads + kvHeads) * d, kvHeads * d);
    q = sliceColumns(b, loc, q, 0, heads * d);
  }
  if (failed(splitHeadsQkv(node, q, k, v, heads, kvHeads)))
    return failure();
  return Qkv{q, k, v};
}

/// num_heads and kv_num_heads, positive, the first a multiple of the second.
FailureOr<std::pair<int64_t, int64_t>> headCounts(OnnxNode &node) {
  int64_t heads = node.intAttr("num_heads", 0);
  int64_t kvHeads = node.intAttr("kv_num_heads", 0);
  if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0)
    return node.emitError() << "num_heads (" << heads << ") and kv_num_heads ("
                            << kvHeads << ") must be positive, the first a "
                               "multiple of the second";
  return std::pair{heads, kvHeads};
}

/// Errors for the optional inputs `names` (by index) that are present.
LogicalResult rejectInputs(OnnxNode &node,
                           ArrayRef<std::pair<unsigned, StringRef>> names) {
  for (auto [index, name] : names)
    if (node.input(index))
      return node.emitError() << "the " << name << " input is not supported";
  return success();
}

LogicalResult rejectUsedResult(OnnxNode &node, unsigned index, StringRef name) {
  onnx::NodeOp op = node.getOp();
  if (op.getNumResults() > index && !op.getResult(index).use_empty())
    return node.emitError() << "the " << name << " output is not supported";
  return success();
}

FloatAttr scaleAttr(OnnxNode &node) {
  auto s = dyn_cast_or_null<FloatAttr>(node.attr("scale"));
  if (!s || s.getValueAsDouble() == 0.0)
    return FloatAttr();
  return node.builder().getF64FloatAttr(s.getValueAsDouble());
}

/// Rotates q and k by the caches at `positions` (or past + 0..S-1).
LogicalResult applyRotary(OnnxNode &node, Qkv &qkv, Value cos, Value sin,
                          Value positions, Value pastLength) {
  if (!cos || !sin)
    return node.emitError() << "do_rotary needs cos_cache and sin_cache";
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  if (!positions)
    positions = positionsFrom(b, loc, pastLength, qkv.q);
  UnitAttr interleaved =
      node.intAttr("rotary_interleaved", 0) ? b.getUnitAttr() : UnitAttr();
  for (Value *x : {&qkv.q, &qkv.k}) {
    auto rope = RopeOp::create(b, loc, x->getType(), *x, cos, sin, positions,
                               interleaved, b.getI64IntegerAttr(0));
    if (failed(verifyBuilt(node, rope, "cos_cache and sin_cache do not fit")))
      return failure();
    *x = rope;
  }
  return success();
}

/// The past length (dim 2 of a [B, H, P, D] cache, or 0) as an index.
Value pastLengthOf(OpBuilder &b, Location loc, Value past) {
  if (!past)
    return arith::ConstantIndexOp::create(b, loc, 0);
  return tensor::DimOp::create(b, loc, past, 2);
}

/// Output, present key and present value for the node's results.
void replaceAttention(OnnxNode &node, AttentionOp attention, Value key,
                      Value value) {
  OpBuilder &b = node.builder();
  Value output = mergeHeads(b, node.getLoc(), attention.getOutput());
  SmallVector<Value> results = {output};
  ValueRange present = attention.getPresent();
  onnx::NodeOp op = node.getOp();
  for (unsigned i = 1; i < op.getNumResults(); ++i) {
    if (i <= 2)
      results.push_back(present.empty() ? (i == 1 ? key : value) : present[i - 1]);
    else
      results.push_back(output); // unused: checked by the caller
  }
  node.replace(results);
}

/// Whether a past cache is the buffer shared with present (same length),
/// which the concatenating form cannot express.
bool sharesBuffer(OnnxNode &node, Value past) {
  std::optional<SmallVector<int64_t>> present = staticResultShape(node, 1);
  auto pastType = cast<RankedTensorType>(past.getType());
  return present && present->size() == 4 && !pastType.isDynamicDim(2) &&
         (*present)[2] == pastType.getDimSize(2) &&
         cast<RankedTensorType>(node.input(0).getType()).getDimSize(1) != 0;
}

LogicalResult convertGroupQueryAttention(OnnxNode &node) {
  FailureOr<std::pair<int64_t, int64_t>> counts = headCounts(node);
  if (failed(counts))
    return failure();
  if (failed(rejectInputs(node, {{11, "head_sink"},
                                 {12, "k_scale"},
                                 {13, "v_scale"},
                                 {14, "q_norm_weight"},
                                 {15, "k_norm_weight"}})) ||
      failed(rejectUsedResult(node, 3, "output_qk")))
    return failure();
  if (node.intAttr("smooth_softmax", 0) != 0 ||
      node.intAttr("sliding_window_cache", 0) != 0 ||
      node.intAttr("qk_output", 0) != 0)
    return node.emitError() << "smooth_softmax, sliding_window_cache and "
                               "qk_output are not supported";
  bool causal = node.intAttr("causal", 1) != 0;
  int64_t window = node.intAttr("local_window_size", -1);
  if (window == 0 || window < -1 || (!causal && window != -1))
    return node.emitError() << "local_window_size = " << window
                            << " must be -1 or positive, and -1 without "
                               "causal";
  FailureOr<Qkv> qkv = splitQkv(node, counts->first, counts->second);
  if (failed(qkv))
    return failure();
  Value pastKey = node.input(3), pastValue = node.input(4);
  if (static_cast<bool>(pastKey) != static_cast<bool>(pastValue))
    return node.emitError() << "past_key and past_value come together";
  if (pastKey && sharesBuffer(node, pastKey))
    return node.emitError() << "present_key is as long as past_key: a cache "
                               "buffer shared by past and present is not "
                               "supported, only present = past + new";
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  if (node.intAttr("do_rotary", 0) &&
      failed(applyRotary(node, *qkv, node.input(7), node.input(8),
                         node.input(9), pastLengthOf(b, loc, pastKey))))
    return failure();
  Value bias = node.input(10);
  if (bias)
    bias = toRank4(b, loc, bias);
  // local_window_size counts the query's own position.
  auto attention = AttentionOp::create(
      b, loc, qkv->q, qkv->k, qkv->v, bias, pastKey, pastValue, Value(),
      scaleAttr(node), b.getF64FloatAttr(node.floatAttr("softcap", 0.0f)),
      causal ? b.getUnitAttr() : UnitAttr(),
      b.getI64IntegerAttr(window > 0 ? window - 1 : -1), b.getI64IntegerAttr(-1),
      b.getI64IntegerAttr(0), IntegerAttr());
  if (failed(verifyBuilt(node, attention,
                         "query, key, value, caches and bias do not fit")))
    return failure();
  replaceAttention(node, attention, qkv->k, qkv->v);
  return success();
}

/// MultiHeadAttention's key_padding_mask as an additive [B, 1, S or 1, T]
/// mask of 0 (kept) and mask_filter_value (padding), as ONNX Runtime adds it.
FailureOr<Value> paddingMask(OnnxNode &node, Value padding, Value key,
                             Value pastKey) {
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  auto type = cast<RankedTensorType>(padding.getType());
  Type element = cast<RankedTensorType>(key.getType()).getElementType();
  Value filter = scalarConstant(b, loc, element,
                                node.floatAttr("mask_filter_value", -10000.0f));
  Value zero = scalarConstant(b, loc, element, 0.0);
  if (type.getRank() == 2 || type.getRank() == 3) {
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, padding);
    // (B, T) or (B, S, T) to [B, 1, 1 or S, T].
    sizes.insert(sizes.begin() + 1, b.getIndexAttr(1));
    if (type.getRank() == 2)
      sizes.insert(sizes.begin() + 2, b.getIndexAttr(1));
    Value mask4 = reshapeTo(b, loc, padding, sizes);
    return buildBroadcastElementwise(
        node, {mask4}, element, [&](OpBuilder &nb, Location nl, ValueRange s) {
          Value zeroInt = arith::ConstantOp::create(
              nb, nl, nb.getIntegerAttr(s[0].getType(), 0));
          Value keep = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::ne,
                                             s[0], zeroInt);
          return Value(arith::SelectOp::create(nb, nl, keep, zero, filter));
        });
  }
  if (type.getRank() != 1)
    return node.emitError() << "key_padding_mask must be (batch), (batch, "
                               "total_sequence_length) or (batch, "
                               "sequence_length, total_sequence_length)";
  // Lengths: key j of row b is kept when j < length[b].
  Value batch = tensor::DimOp::create(b, loc, key, 0);
  Value total = tensor::DimOp::create(b, loc, key, 2);
  if (pastKey)
    total = arith::AddIOp::create(b, loc, total,
                                  tensor::DimOp::create(b, loc, pastKey, 2));
  auto maskType = RankedTensorType::get(
      {ShapedType::kDynamic, 1, 1, ShapedType::kDynamic}, element);
  Value init = tensor::EmptyOp::create(b, loc, maskType, ValueRange{batch, total});
  MLIRContext *ctx = b.getContext();
  AffineMap rowMap = AffineMap::get(4, 0, {getAffineDimExpr(0, ctx)}, ctx);
  AffineMap outMap = AffineMap::getMultiDimIdentityMap(4, ctx);
  return linalg::GenericOp::create(
             b, loc, maskType, padding, init, ArrayRef{rowMap, outMap},
             SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value j = arith::IndexCastOp::create(
                   nb, nl, args[0].getType(), linalg::IndexOp::create(nb, nl, 3));
               Value keep = arith::CmpIOp::create(
                   nb, nl, arith::CmpIPredicate::slt, j, args[0]);
               linalg::YieldOp::create(
                   nb, nl, Value(arith::SelectOp::create(nb, nl, keep, zero, filter)));
             })
      .getResult(0);
}

/// A 1-d slice [offset, offset + size) of MultiHeadAttention's bias.
Value biasPart(OpBuilder &b, Location loc, Value bias, int64_t offset,
               int64_t size) {
  return tensor::ExtractSliceOp::create(
      b, loc, bias, ArrayRef<OpFoldResult>{b.getIndexAttr(offset)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(size)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
}

LogicalResult convertMultiHeadAttention(OnnxNode &node) {
  int64_t heads = node.intAttr("num_heads", 0);
  if (heads <= 0)
    return node.emitError() << "num_heads must be positive";
  if (failed(rejectInputs(node, {{8, "past_sequence_length (a shared cache "
                                     "buffer)"},
                                 {9, "cache_indirection"}})) ||
      failed(rejectUsedResult(node, 3, "qk")))
    return failure();
  FailureOr<RankedTensorType> qType = node.rankedInput(0);
  if (failed(qType))
    return failure();
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  Value q = node.input(0), k = node.input(1), v = node.input(2);
  Value bias = node.input(3);
  auto rankOf = [](Value x) {
    return x ? cast<RankedTensorType>(x.getType()).getRank() : 0;
  };
  if ((k && !isa<RankedTensorType>(k.getType())) ||
      (v && !isa<RankedTensorType>(v.getType())))
    return node.emitError() << "key and value must be ranked";
  Qkv qkv;
  if (qType->getRank() == 5) {
    if (k || v || bias)
      return node.emitError() << "packed QKV takes no key, value or bias";
    qkv = {unpackHeads(b, loc, q, 0), unpackHeads(b, loc, q, 1),
           unpackHeads(b, loc, q, 2)};
  } else if (qType->getRank() == 3 && rankOf(k) == 5) {
    if (v || bias)
      return node.emitError() << "packed KV takes no value or bias";
    FailureOr<Value> q4 = splitHeads(node, q, heads, "query");
    if (failed(q4))
      return failure();
    qkv = {*q4, unpackHeads(b, loc, k, 0), unpackHeads(b, loc, k, 1)};
  } else if (qType->getRank() == 3 && rankOf(k) == 4 && rankOf(v) == 4) {
    if (bias)
      return node.emitError() << "bias with 4-d (cached) key and value is "
                                 "not supported";
    FailureOr<Value> q4 = splitHeads(node, q, heads, "query");
    if (failed(q4))
      return failure();
    qkv = {*q4, k, v};
  } else if (qType->getRank() == 3 && rankOf(k) == 3 && rankOf(v) == 3) {
    if (bias) {
      int64_t d = qType->getDimSize(2);
      int64_t dv = cast<RankedTensorType>(v.getType()).getDimSize(2);
      auto biasType = dyn_cast<RankedTensorType>(bias.getType());
      if (ShapedType::isDynamic(d) || ShapedType::isDynamic(dv) || !biasType ||
          biasType.getRank() != 1 || biasType.getDimSize(0) != 2 * d + dv)
        return node.emitError() << "bias must be (hidden + hidden + "
                                   "v_hidden) with static sizes";
      Type element = qType->getElementType();
      auto add = [&](Value x, int64_t offset, int64_t size) {
        return buildBroadcastElementwise(
            node, {x, biasPart(b, loc, bias, offset, size)}, element,
            [](OpBuilder &nb, Location nl, ValueRange s) {
              return Value(arith::AddFOp::create(nb, nl, s[0], s[1]));
            });
      };
      FailureOr<Value> qb = add(q, 0, d), kb = add(k, d, d), vb = add(v, 2 * d, dv);
      if (failed(qb) || failed(kb) || failed(vb))
        return failure();
      q = *qb, k = *kb, v = *vb;
    }
    if (failed(splitHeadsQkv(node, q, k, v, heads, heads)))
      return failure();
    qkv = {q, k, v};
  } else {
    return node.emitError() << "query, key and value must be 3-d, packed "
                               "QKV (5-d query), packed KV (5-d key) or 4-d "
                               "cached key and value";
  }

  Value pastKey = node.input(6), pastValue = node.input(7);
  if (static_cast<bool>(pastKey) != static_cast<bool>(pastValue))
    return node.emitError() << "past_key and past_value come together";
  Value mask;
  if (Value padding = node.input(4)) {
    FailureOr<Value> padMask = paddingMask(node, padding, qkv.k, pastKey);
    if (failed(padMask))
      return failure();
    mask = *padMask;
  }
  if (Value attnBias = node.input(5)) {
    attnBias = toRank4(b, loc, attnBias);
    if (mask) {
      FailureOr<Value> sum = buildBroadcastElementwise(
          node, {mask, attnBias}, qType->getElementType(),
          [](OpBuilder &nb, Location nl, ValueRange s) {
            return Value(arith::AddFOp::create(nb, nl, s[0], s[1]));
          });
      if (failed(sum))
        return failure();
      mask = *sum;
    } else {
      mask = attnBias;
    }
  }
  auto attention = AttentionOp::create(
      b, loc, qkv.q, qkv.k, qkv.v, mask, pastKey, pastValue, Value(),
      scaleAttr(node), b.getF64FloatAttr(0.0),
      node.intAttr("unidirectional", 0) ? b.getUnitAttr() : UnitAttr(),
      b.getI64IntegerAttr(-1), b.getI64IntegerAttr(-1), b.getI64IntegerAttr(0),
      IntegerAttr());
  if (failed(verifyBuilt(node, attention,
                         "query, key, value, caches and masks do not fit")))
    return failure();
  replaceAttention(node, attention, qkv.k, qkv.v);
  return success();
}

/// SparseAttention's CSR block mask (constant) as a dense i1 layout
/// [heads or 1, max_blocks, max_blocks]: head h uses layout h % num_layout.
FailureOr<Value> denseLayout(OnnxNode &node, int64_t heads) {
  Value rowsValue = node.input(5), colsValue = node.input(6);
  std::optional<SmallVector<int64_t>> rows = constantInts(rowsValue);
  std::optional<SmallVector<int64_t>> cols = constantInts(colsValue);
  auto rowsType = dyn_cast<RankedTensorType>(rowsValue.getType());
  auto colsType = dyn_cast<RankedTensorType>(colsValue.getType());
  if (!rows || !cols || !rowsType || !colsType || rowsType.getRank() != 2 ||
      colsType.getRank() != 2 ||
      rowsType.getDimSize(0) != colsType.getDimSize(0))
    return node.emitError() << "block_row_indices and block_col_indices must "
                               "be constant (num_layout, ...) tensors";
  int64_t layouts = rowsType.getDimSize(0);
  int64_t blocks = rowsType.getDimSize(1) - 1;
  int64_t nnz = colsType.getDimSize(1);
  if (layouts <= 0 || blocks <= 0 || heads % layouts != 0)
    return node.emitError() << "num_heads (" << heads
                            << ") must be a multiple of num_layout ("
                            << layouts << ")";
  std::vector<bool> dense(layouts * blocks * blocks, false);
  for (int64_t l = 0; l < layouts; ++l) {
    const int64_t *rowPtr = rows->data() + l * (blocks + 1);
    for (int64_t r = 0; r < blocks; ++r) {
      if (rowPtr[r] < 0 || rowPtr[r] > rowPtr[r + 1] || rowPtr[r + 1] > nnz)
        return node.emitError() << "block_row_indices of layout " << l
                                << " is not a CSR row pointer into "
                                << nnz << " columns";
      for (int64_t i = rowPtr[r]; i < rowPtr[r + 1]; ++i) {
        int64_t c = (*cols)[l * nnz + i];
        if (c < 0 || c >= blocks)
          return node.emitError() << "block_col_indices of layout " << l
                                  << " has column " << c << " outside [0, "
                                  << blocks << ")";
        dense[(l * blocks + r) * blocks + c] = true;
      }
    }
  }
  int64_t outHeads = layouts == 1 ? 1 : heads;
  SmallVector<bool> bits(outHeads * blocks * blocks);
  for (int64_t h = 0; h < outHeads; ++h)
    for (int64_t i = 0; i < blocks * blocks; ++i)
      bits[h * blocks * blocks + i] = dense[(h % layouts) * blocks * blocks + i];
  OpBuilder &b = node.builder();
  auto type = RankedTensorType::get({outHeads, blocks, blocks}, b.getI1Type());
  return constantOf(b, node.getLoc(), DenseElementsAttr::get(type, ArrayRef(bits)));
}

LogicalResult convertSparseAttention(OnnxNode &node) {
  FailureOr<std::pair<int64_t, int64_t>> counts = headCounts(node);
  if (failed(counts))
    return failure();
  int64_t block = node.intAttr("sparse_block_size", 0);
  if (block != 16 && block != 32 && block != 64 && block != 128)
    return node.emitError() << "sparse_block_size = " << block
                            << " must be 16, 32, 64 or 128";
  FailureOr<Qkv> qkv = splitQkv(node, counts->first, counts->second);
  if (failed(qkv))
    return failure();
  Value pastKey = node.input(3), pastValue = node.input(4);
  Value total = node.input(7);
  auto totalType = dyn_cast_or_null<RankedTensorType>(total ? total.getType() : Type());
  if (!pastKey || !pastValue || !total || !node.input(5) || !node.input(6) ||
      !totalType || totalType.getNumElements() != 1)
    return node.emitError() << "past_key, past_value, the block indices and a "
                               "scalar total_sequence_length are required";
  if (failed(node.rankedInput(3)) || failed(node.rankedInput(4)))
    return failure();
  FailureOr<Value> layout = denseLayout(node, counts->first);
  if (failed(layout))
    return failure();

  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  // Past and present share one buffer: the past is its first
  // total - S rows, and the new keys go right after them.
  Value totalLen = scalarIndex(b, loc, total);
  Value seq = tensor::DimOp::create(b, loc, qkv->q, 2);
  Value pastLen = arith::SubIOp::create(b, loc, totalLen, seq);
  auto leading = [&](Value buffer, Value length) -> Value {
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, buffer);
    sizes[2] = length;
    SmallVector<OpFoldResult> zeros(4, b.getIndexAttr(0)), ones(4, b.getIndexAttr(1));
    return tensor::ExtractSliceOp::create(b, loc, buffer, zeros, sizes, ones);
  };
  Value pastK = leading(pastKey, pastLen), pastV = leading(pastValue, pastLen);
  if (node.intAttr("do_rotary", 0) &&
      failed(applyRotary(node, *qkv, node.input(9), node.input(10), Value(),
                         pastLen)))
    return failure();
  // The layout is indexed by absolute block; keep the rows and columns up
  // to the total length.
  Value blockSize = arith::ConstantIndexOp::create(b, loc, block);
  Value usedBlocks = arith::CeilDivUIOp::create(b, loc, totalLen, blockSize);
  SmallVector<OpFoldResult> layoutSizes = tensor::getMixedSizes(b, loc, *layout);
  layoutSizes[1] = usedBlocks;
  layoutSizes[2] = usedBlocks;
  Value usedLayout = tensor::ExtractSliceOp::create(
      b, loc, *layout, SmallVector<OpFoldResult>(3, b.getIndexAttr(0)),
      layoutSizes, SmallVector<OpFoldResult>(3, b.getIndexAttr(1)));
  auto attention = AttentionOp::create(
      b, loc, qkv->q, qkv->k, qkv->v, Value(), pastK, pastV, usedLayout,
      scaleAttr(node), b.getF64FloatAttr(0.0), b.getUnitAttr(),
      b.getI64IntegerAttr(-1), b.getI64IntegerAttr(-1), b.getI64IntegerAttr(0),
      b.getI64IntegerAttr(block));
  if (failed(verifyBuilt(node, attention,
                         "query, key, value and the caches do not fit")))
    return failure();
  Value output = mergeHeads(b, loc, attention.getOutput());
  SmallVector<Value> results = {output};
  SmallVector<Value> buffers = {pastKey, pastValue};
  for (auto [buffer, present] : llvm::zip(buffers, attention.getPresent())) {
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, present);
    results.push_back(tensor::InsertSliceOp::create(
        b, loc, present, buffer, SmallVector<OpFoldResult>(4, b.getIndexAttr(0)),
        sizes, SmallVector<OpFoldResult>(4, b.getIndexAttr(1))));
  }
  results.resize(node.getOp().getNumResults(), output);
  node.replace(ArrayRef(results).take_front(node.getOp().getNumResults()));
  return success();
}

} // namespace

void moe::populateOnnxContribAttentionHandlers(OnnxOpTable &table) {
  table.on("GroupQueryAttention", 1, convertGroupQueryAttention, "com.microsoft");
  table.on("MultiHeadAttention", 1, convertMultiHeadAttention, "com.microsoft");
  table.on("SparseAttention", 1, convertSparseAttention, "com.microsoft");
}
