//===- MatmulEpilogue.cpp - Elementwise consumers of a matmul's columns ---===//

#include "moe/Support/MatmulEpilogue.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

/// Whether `size` is the product's row count: the same static size, a
/// tensor.dim of dim 0 of the product, or the size its tensor.empty
/// destination (through fills and other destination-style ops) was made
/// with.
static bool isAllRows(OpFoldResult size, Value product) {
  auto type = cast<RankedTensorType>(product.getType());
  if (std::optional<int64_t> value = getConstantIntValue(size))
    return !type.isDynamicDim(0) && *value == type.getDimSize(0);
  Value rows = cast<Value>(size);
  auto dim = rows.getDefiningOp<tensor::DimOp>();
  if (dim && dim.getSource() == product && dim.getConstantIndex() == 0)
    return true;
  Value destination = product;
  while (auto result = dyn_cast<OpResult>(destination)) {
    if (auto empty = dyn_cast<tensor::EmptyOp>(result.getOwner()))
      return type.isDynamicDim(0) && empty.getDynamicSize(0) == rows;
    auto dps = dyn_cast<DestinationStyleOpInterface>(result.getOwner());
    if (!dps)
      return false;
    destination = dps.getTiedOpOperand(result)->get();
  }
  return false;
}

std::optional<moe::MatmulEpilogue> moe::matchMatmulEpilogue(Value product) {
  auto type = dyn_cast<RankedTensorType>(product.getType());
  if (!type || type.getRank() != 2 || type.isDynamicDim(1))
    return std::nullopt;
  linalg::GenericOp consumer;
  auto sameConsumer = [&](Operation *op) {
    auto generic = dyn_cast<linalg::GenericOp>(op);
    if (!generic || (consumer && consumer != generic))
      return false;
    consumer = generic;
    return true;
  };
  for (Operation *user : product.getUsers()) {
    if (auto dim = dyn_cast<tensor::DimOp>(user)) {
      if (!dim.getConstantIndex())
        return std::nullopt;
      continue;
    }
    if (auto slice = dyn_cast<tensor::ExtractSliceOp>(user)) {
      if (!slice->hasOneUse() || !sameConsumer(*slice->getUsers().begin()))
        return std::nullopt;
      continue;
    }
    if (!sameConsumer(user))
      return std::nullopt;
  }
  if (!consumer || consumer.getNumDpsInits() != 1 || consumer->getNumResults() != 1 ||
      consumer.getNumLoops() != 2 || consumer.getNumParallelLoops() != 2 ||
      consumer.hasIndexSemantics() || !consumer.hasPureTensorSemantics() ||
      consumer.payloadUsesValueFromOperand(&consumer.getDpsInitsMutable()[0]) ||
      !llvm::all_of(consumer.getIndexingMapsArray(),
                    [](AffineMap map) { return map.isIdentity(); }))
    return std::nullopt;
  // Its result is made where the product's blocks are, in their type.
  auto resultType = cast<RankedTensorType>(consumer->getResult(0).getType());
  MatmulEpilogue epilogue{consumer, {}, resultType.getDimSize(1)};
  if (resultType.isDynamicDim(1) || resultType.getElementType() != type.getElementType())
    return std::nullopt;
  for (Value input : consumer.getDpsInputs()) {
    if (input == product) {
      if (type.getDimSize(1) != epilogue.width)
        return std::nullopt;
      epilogue.columns.push_back(0);
      continue;
    }
    auto slice = input.getDefiningOp<tensor::ExtractSliceOp>();
    if (!slice || slice.getSource() != product || !slice.hasUnitStride() ||
        slice.getType().getRank() != 2)
      return std::nullopt;
    SmallVector<OpFoldResult> offsets = slice.getMixedOffsets();
    SmallVector<OpFoldResult> sizes = slice.getMixedSizes();
    std::optional<int64_t> row = getConstantIntValue(offsets[0]);
    std::optional<int64_t> column = getConstantIntValue(offsets[1]);
    std::optional<int64_t> width = getConstantIntValue(sizes[1]);
    if (row != 0 || !column || width != epilogue.width || !isAllRows(sizes[0], product))
      return std::nullopt;
    epilogue.columns.push_back(*column);
  }
  return epilogue;
}

Value moe::applyEpilogue(OpBuilder &b, Location loc, const MatmulEpilogue &epilogue,
                         ValueRange inputs, Value init) {
  linalg::GenericOp consumer = epilogue.consumer;
  auto generic =
      linalg::GenericOp::create(b, loc, TypeRange{init.getType()}, inputs, ValueRange{init},
                                consumer.getIndexingMapsArray(), consumer.getIteratorTypesArray());
  IRMapping mapping;
  consumer.getRegion().cloneInto(&generic.getRegion(), mapping);
  return generic->getResult(0);
}

void moe::replaceEpilogue(RewriterBase &rewriter, const MatmulEpilogue &epilogue, Value product,
                          Value result, Value rows) {
  rewriter.replaceOp(epilogue.consumer, result);
  for (Operation *user : llvm::make_early_inc_range(product.getUsers())) {
    if (auto dim = dyn_cast<tensor::DimOp>(user)) {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPoint(dim);
      Value size = dim.getConstantIndex() == 0
                       ? rows
                       : Value(arith::ConstantIndexOp::create(
                             rewriter, dim.getLoc(),
                             cast<RankedTensorType>(product.getType()).getDimSize(1)));
      rewriter.replaceOp(dim, size);
    }
  }
  for (Operation *user : llvm::make_early_inc_range(product.getUsers()))
    if (user->use_empty())
      rewriter.eraseOp(user);
}
