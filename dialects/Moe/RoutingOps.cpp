//===- RoutingOps.cpp - Routing and expert ops: verifiers, inference ------===//

#include "VerifyUtils.h"
#include "moe/Dialect/Moe/MoeOps.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::moe;
using namespace mlir::moe::detail;

//===----------------------------------------------------------------------===//
// RouteOp
//===----------------------------------------------------------------------===//

LogicalResult RouteOp::inferReturnTypes(MLIRContext *context,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  auto logits = cast<RankedTensorType>(adaptor.getLogits().getType());
  int64_t k = adaptor.getK();
  SmallVector<int64_t> shape = {logits.getDimSize(0), k};
  types.push_back(RankedTensorType::get(shape, logits.getElementType()));
  types.push_back(RankedTensorType::get(shape, IntegerType::get(context, 32)));
  return success();
}

LogicalResult RouteOp::verify() {
  RankedTensorType logits = getLogits().getType();
  int64_t experts = logits.getDimSize(1);
  int64_t k = getK(), nGroup = getNGroup(), topkGroup = getTopkGroup();
  bool staticExperts = !ShapedType::isDynamic(experts);
  if (staticExperts && k > experts)
    return emitOpError() << "k (" << k << ") exceeds the number of experts ("
                         << experts << ")";
  if (Value bias = getBias()) {
    if (failed(verifyDim(*this, "bias", cast<RankedTensorType>(bias.getType()),
                         0, experts, "the number of experts")))
      return failure();
  }
  if (topkGroup > nGroup)
    return emitOpError() << "topk_group (" << topkGroup
                         << ") exceeds n_group (" << nGroup << ")";
  if (getRoutedScalingFactor().convertToDouble() <= 0.0)
    return emitOpError("routed_scaling_factor must be positive");
  if (!staticExperts) {
    if (nGroup > 1)
      return emitOpError("group-limited routing (n_group > 1) needs a static "
                         "number of experts");
    return success();
  }
  if (experts % nGroup != 0)
    return emitOpError() << "n_group (" << nGroup
                         << ") does not divide the number of experts ("
                         << experts << ")";
  int64_t perGroup = experts / nGroup;
  if (k > topkGroup * perGroup)
    return emitOpError() << "k (" << k << ") exceeds the "
                         << topkGroup * perGroup
                         << " experts of the topk_group selected groups";
  if (nGroup > 1 && getGroupScore() == GroupScore::SumTop2 && perGroup < 2)
    return emitOpError("sum_top2 group scores need at least two experts per "
                       "group");
  return success();
}

//===----------------------------------------------------------------------===//
// ExpertsOp
//===----------------------------------------------------------------------===//

LogicalResult ExpertsOp::verify() {
  RankedTensorType tokens = getTokens().getType();
  RankedTensorType weights = getWeights().getType();
  RankedTensorType indices = getIndices().getType();
  RankedTensorType fc1 = getFc1().getType(), fc2 = getFc2().getType();
  Operation *op = *this;
  if (failed(verifyCompatibleShape(indices, weights)))
    return emitOpError() << "indices " << indices
                         << " must have the shape of weights " << weights;
  int64_t hidden = tokens.getDimSize(1);
  if (failed(verifyDim(op, "weights", weights, 0, tokens.getDimSize(0),
                       "the number of tokens")))
    return failure();

  int64_t experts = dynamicOr(fc1.getDimSize(0), fc2.getDimSize(0));
  int64_t inter = dynamicOr(fc1.getDimSize(1), fc2.getDimSize(2));
  if (failed(verifyDim(op, "fc2", fc2, 0, experts, "the number of experts")) ||
      failed(verifyDim(op, "fc1", fc1, 2, hidden, "the hidden size")) ||
      failed(verifyDim(op, "fc2", fc2, 1, hidden, "the hidden size")) ||
      failed(verifyDim(op, "fc2", fc2, 2, inter, "fc1's width")))
    return failure();

  if (isGated() != static_cast<bool>(getFc3()))
    return emitOpError() << stringifyActivation(getActivation())
                         << (isGated() ? " needs fc3 (the up projection)"
                                       : " is not gated and takes no fc3");
  if (Value fc3 = getFc3()) {
    auto type = cast<RankedTensorType>(fc3.getType());
    if (failed(verifyCompatibleShape(type, fc1)))
      return emitOpError() << "fc3 " << type << " must have the shape of fc1 "
                           << fc1;
  }
  auto verifyBias = [&](Value bias, StringRef name, int64_t width,
                        StringRef what) -> LogicalResult {
    if (!bias)
      return success();
    auto type = cast<RankedTensorType>(bias.getType());
    if (failed(verifyDim(op, name, type, 0, experts, "the number of experts")))
      return failure();
    return verifyDim(op, name, type, 1, width, what);
  };
  if (getFc3Bias() && !getFc3())
    return emitOpError("fc3_bias needs fc3");
  if (failed(verifyBias(getFc1Bias(), "fc1_bias", inter, "fc1's width")) ||
      failed(verifyBias(getFc2Bias(), "fc2_bias", hidden, "the hidden size")) ||
      failed(verifyBias(getFc3Bias(), "fc3_bias", inter, "fc1's width")))
    return failure();

  if (failed(verifySharedExperts()))
    return failure();

  Type elementType = tokens.getElementType();
  for (Value operand : getOperands()) {
    if (operand == getIndices())
      continue;
    if (cast<ShapedType>(operand.getType()).getElementType() != elementType)
      return emitOpError() << "float operands must all have the element type "
                              "of tokens ("
                           << elementType << "), got " << operand.getType();
  }
  return success();
}

LogicalResult ExpertsOp::verifySharedExperts() {
  Operation *op = *this;
  Value fc1 = getSharedFc1(), fc2 = getSharedFc2(), fc3 = getSharedFc3();
  if (!fc1 && !fc2) {
    if (fc3 || getSharedGate())
      return emitOpError("shared_fc3 and shared_gate need shared_fc1 and "
                         "shared_fc2");
    return success();
  }
  if (!fc1 || !fc2)
    return emitOpError("shared_fc1 and shared_fc2 come together");
  if (isGated() != static_cast<bool>(fc3))
    return emitOpError() << "shared experts with "
                         << stringifyActivation(getActivation())
                         << (isGated() ? " need shared_fc3" : " take no shared_fc3");
  int64_t hidden = getTokens().getType().getDimSize(1);
  auto type1 = cast<RankedTensorType>(fc1.getType());
  auto type2 = cast<RankedTensorType>(fc2.getType());
  int64_t width = dynamicOr(type1.getDimSize(0), type2.getDimSize(1));
  if (failed(verifyDim(op, "shared_fc1", type1, 1, hidden, "the hidden size")) ||
      failed(verifyDim(op, "shared_fc2", type2, 0, hidden, "the hidden size")) ||
      failed(verifyDim(op, "shared_fc2", type2, 1, width, "shared_fc1's width")))
    return failure();
  if (fc3 && failed(verifyCompatibleShape(fc3.getType(), type1)))
    return emitOpError() << "shared_fc3 " << fc3.getType()
                         << " must have the shape of shared_fc1 " << type1;
  if (Value gate = getSharedGate()) {
    auto type = cast<RankedTensorType>(gate.getType());
    if (failed(verifyDim(op, "shared_gate", type, 0, hidden, "the hidden size")))
      return failure();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// DispatchOp, GroupedMatmulOp, CombineOp
//===----------------------------------------------------------------------===//

static int64_t mulDims(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b)
             ? ShapedType::kDynamic
             : a * b;
}

LogicalResult DispatchOp::inferReturnTypes(MLIRContext *context,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  auto tokens = cast<RankedTensorType>(adaptor.getTokens().getType());
  auto indices = cast<RankedTensorType>(adaptor.getIndices().getType());
  int64_t numTokens = dynamicOr(tokens.getDimSize(0), indices.getDimSize(0));
  int64_t slots = mulDims(numTokens, indices.getDimSize(1));
  Type i32 = IntegerType::get(context, 32);
  types.push_back(RankedTensorType::get({slots, tokens.getDimSize(1)},
                                        tokens.getElementType()));
  types.push_back(RankedTensorType::get({slots}, i32));
  int64_t experts = adaptor.getNumExperts();
  types.push_back(RankedTensorType::get({experts + 1}, i32));
  return success();
}

LogicalResult DispatchOp::verify() {
  return verifyDim(*this, "indices", getIndices().getType(), 0,
                   getTokens().getType().getDimSize(0), "the number of tokens");
}

LogicalResult GroupedMatmulOp::inferReturnTypes(MLIRContext *context,
                                                std::optional<Location> loc,
                                                Adaptor adaptor,
                                                SmallVectorImpl<Type> &types) {
  auto lhs = cast<RankedTensorType>(adaptor.getLhs().getType());
  auto rhs = cast<RankedTensorType>(adaptor.getRhs().getType());
  types.push_back(RankedTensorType::get({lhs.getDimSize(0), rhs.getDimSize(1)},
                                        lhs.getElementType()));
  return success();
}

LogicalResult GroupedMatmulOp::verify() {
  Operation *op = *this;
  RankedTensorType lhs = getLhs().getType(), rhs = getRhs().getType();
  if (lhs.getElementType() != rhs.getElementType())
    return emitOpError("lhs and rhs element types differ");
  int64_t experts = rhs.getDimSize(0);
  if (failed(verifyDim(op, "rhs", rhs, 2, lhs.getDimSize(1),
                       "lhs's reduction dim")) ||
      failed(verifyDim(op, "offsets", getOffsets().getType(), 0,
                       ShapedType::isDynamic(experts) ? experts : experts + 1,
                       "the number of experts plus one")))
    return failure();
  if (Value bias = getBias()) {
    auto type = cast<RankedTensorType>(bias.getType());
    if (failed(verifyDim(op, "bias", type, 0, experts,
                         "the number of experts")) ||
        failed(verifyDim(op, "bias", type, 1, rhs.getDimSize(1),
                         "rhs's output rows")))
      return failure();
    if (type.getElementType() != lhs.getElementType())
      return emitOpError("bias must have lhs's element type");
  }
  return success();
}

LogicalResult CombineOp::inferReturnTypes(MLIRContext *context,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  auto outputs = cast<RankedTensorType>(adaptor.getExpertOutputs().getType());
  auto weights = cast<RankedTensorType>(adaptor.getWeights().getType());
  types.push_back(RankedTensorType::get(
      {weights.getDimSize(0), outputs.getDimSize(1)}, outputs.getElementType()));
  return success();
}

LogicalResult CombineOp::verify() {
  RankedTensorType outputs = getExpertOutputs().getType();
  RankedTensorType weights = getWeights().getType();
  int64_t slots = mulDims(weights.getDimSize(0), weights.getDimSize(1));
  if (failed(verifyDim(*this, "permutation", getPermutation().getType(), 0,
                       outputs.getDimSize(0), "the expert output rows")) ||
      failed(verifyDim(*this, "permutation", getPermutation().getType(), 0,
                       slots, "the token slots of weights")))
    return failure();
  if (weights.getElementType() != outputs.getElementType())
    return emitOpError("weights and expert_outputs element types differ");
  return success();
}
