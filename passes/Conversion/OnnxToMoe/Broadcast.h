//===- Broadcast.h - Elementwise linalg.generic with broadcasting -*- C++ -*-===//

#ifndef MOE_PASSES_CONVERSION_ONNXTOMOE_BROADCAST_H
#define MOE_PASSES_CONVERSION_ONNXTOMOE_BROADCAST_H

#include "moe/Conversion/OnnxToMoe/OnnxToMoe.h"

#include "llvm/ADT/STLFunctionalExtras.h"

namespace mlir::moe {

using ScalarBody =
    function_ref<Value(OpBuilder &, Location, ValueRange /*scalars*/)>;

/// The numpy broadcast of `inputs` (ranked tensors; null entries skipped):
/// one linalg.generic whose body computes a `resultElement` from one scalar
/// of each input. A dynamic dim is taken to match the others (not to be 1);
/// two static dims that differ and are not 1 are an error at `node`.
/// `alsoBroadcastTo` (static dims) takes part in the result shape as a shape
/// without data, which is Expand.
FailureOr<Value> buildBroadcastElementwise(OnnxNode &node, ValueRange inputs,
                                           Type resultElement, ScalarBody body,
                                           ArrayRef<int64_t> alsoBroadcastTo = {});

/// One linalg.generic over input 0 whose body sees the element and may ask
/// linalg.index for its position (Trilu).
LogicalResult convertElementwiseWithIndices(
    OnnxNode &node,
    function_ref<Value(OpBuilder &, Location, Value /*element*/)> body);

/// An f32/f64/... constant of `type` (float) or an integer one.
Value scalarConstant(OpBuilder &b, Location loc, Type type, double value);

} // namespace mlir::moe

#endif // MOE_PASSES_CONVERSION_ONNXTOMOE_BROADCAST_H
