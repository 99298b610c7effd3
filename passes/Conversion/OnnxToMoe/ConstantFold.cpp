//===- ConstantFold.cpp - Evaluate small elementwise ops on constants -----===//
//
// Exporters compute shapes with elementwise ops on small constants (torch's
// expand writes Where(Equal(shape, -1), ones, shape)). Evaluating those
// linalg.generic ops here, with the folders of the ops in their bodies,
// turns the shapes into constants for the handlers downstream.
//
//===----------------------------------------------------------------------===//

#include "Helpers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

using namespace mlir;
using namespace mlir::moe;

/// Larger constants are data, not shape arithmetic: leave them to codegen.
static constexpr int64_t kMaxFoldedElements = 64;

/// The value of one body op given the values known so far, by its folder
/// (which may answer with one of its operands, as select does).
static Attribute foldOp(Operation *op, const DenseMap<Value, Attribute> &known,
                        ArrayRef<int64_t> loopIndices) {
  if (auto index = dyn_cast<linalg::IndexOp>(op))
    return IntegerAttr::get(IndexType::get(op->getContext()),
                            loopIndices[index.getDim()]);
  SmallVector<Attribute> operands;
  for (Value operand : op->getOperands())
    operands.push_back(known.lookup(operand));
  SmallVector<OpFoldResult> results;
  if (op->getNumResults() != 1 || failed(op->fold(operands, results)) ||
      results.size() != 1)
    return {};
  if (auto value = dyn_cast<Value>(results.front()))
    return known.lookup(value);
  return cast<Attribute>(results.front());
}

std::optional<Value> moe::foldConstantGeneric(OpBuilder &b,
                                              linalg::GenericOp generic) {
  if (generic.getNumDpsInits() != 1 || generic.getNumResults() != 1 ||
      generic.getNumParallelLoops() != generic.getNumLoops())
    return std::nullopt;
  auto resultType = dyn_cast<RankedTensorType>(generic.getResult(0).getType());
  if (!resultType || !resultType.hasStaticShape() ||
      resultType.getNumElements() > kMaxFoldedElements ||
      !generic.getIndexingMapsArray().back().isIdentity())
    return std::nullopt;
  SmallVector<SmallVector<Attribute>> inputs;
  SmallVector<ArrayRef<int64_t>> inputShapes;
  for (Value input : generic.getDpsInputs()) {
    DenseElementsAttr attr = constantElements(input);
    if (!attr || attr.getNumElements() > kMaxFoldedElements)
      return std::nullopt;
    inputs.emplace_back(attr.getValues<Attribute>());
    inputShapes.push_back(attr.getType().getShape());
  }

  Block &body = generic.getRegion().front();
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  ArrayRef<int64_t> shape = resultType.getShape();
  SmallVector<Attribute> values;
  SmallVector<int64_t> indices(shape.size(), 0);
  for (int64_t linear = 0; linear < resultType.getNumElements(); ++linear) {
    for (int64_t i = shape.size() - 1, rest = linear; i >= 0; --i) {
      indices[i] = rest % shape[i];
      rest /= shape[i];
    }
    DenseMap<Value, Attribute> known;
    for (auto [i, input] : llvm::enumerate(inputs)) {
      SmallVector<int64_t> at = maps[i].compose(indices);
      int64_t offset = 0;
      for (auto [dim, pos] : llvm::zip(inputShapes[i], at))
        offset = offset * dim + pos;
      known[body.getArgument(i)] = input[offset];
    }
    for (Operation &op : body.without_terminator()) {
      Attribute value = foldOp(&op, known, indices);
      if (!value)
        return std::nullopt;
      known[op.getResult(0)] = value;
    }
    Attribute result = known.lookup(body.getTerminator()->getOperand(0));
    if (!result)
      return std::nullopt;
    values.push_back(result);
  }
  return constantOf(b, generic.getLoc(), DenseElementsAttr::get(resultType, values));
}
