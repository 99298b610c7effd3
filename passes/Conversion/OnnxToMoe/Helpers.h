//===- Helpers.h - What several op families share ---------------*- C++ -*-===//

#ifndef MOE_PASSES_CONVERSION_ONNXTOMOE_HELPERS_H
#define MOE_PASSES_CONVERSION_ONNXTOMOE_HELPERS_H

#include "moe/Conversion/OnnxToMoe/OnnxToMoe.h"
#include "moe/Support/ConstantBytes.h"

namespace mlir::linalg {
class GenericOp;
} // namespace mlir::linalg

namespace mlir::moe {

/// The elements of `value` when it is a constant (arith.constant of dense
/// elements), else null.
DenseElementsAttr constantElements(Value value);

/// The integers of a constant integer tensor `value`, else nothing.
std::optional<SmallVector<int64_t>> constantInts(Value value);

/// The integer list of attribute `name` (an `ints` attribute), else nothing.
std::optional<SmallVector<int64_t>> intsAttr(const OnnxNode &node,
                                             StringRef name);

/// `axis` in [-rank, rank) made non-negative, or an error at `node`.
FailureOr<int64_t> normalizeAxis(const OnnxNode &node, int64_t axis,
                                 int64_t rank);

/// The static shape the model declares (or ONNX's inference gave) for
/// result `i` of the node, if it has one.
std::optional<SmallVector<int64_t>> staticResultShape(const OnnxNode &node,
                                                      unsigned i = 0);

/// An empty tensor of `shape` whose dynamic dims take their sizes from the
/// same dims of `like`.
Value emptyWithDimsOf(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                      Type element, Value like);

/// A dim as an index value (constants materialised).
Value indexValue(OpBuilder &b, Location loc, OpFoldResult dim);

/// The element of a one-element tensor.
Value scalarOf(OpBuilder &b, Location loc, Value tensor);

/// The element of a one-element integer tensor as an index value.
Value scalarIndex(OpBuilder &b, Location loc, Value tensor);

/// tensor.reshape of `input` to `dims` (static sizes or index values); a
/// constant input gives a reshaped constant.
Value reshapeTo(OpBuilder &b, Location loc, Value input,
                ArrayRef<OpFoldResult> dims);

/// Verifies `op`, just built for `node`; when it is invalid, erases it and
/// reports "<what> (the previous error says how)" at the node, after the
/// verifier's own error.
LogicalResult verifyBuilt(OnnxNode &node, Operation *op, StringRef what);

/// Wraps a possibly negative index (any integer type) into [0, dim) of
/// `data`'s dim `axis`, as an index value.
Value wrapIndex(OpBuilder &b, Location loc, Value index, Value data,
                int64_t axis);

/// The result of an elementwise linalg.generic over small constants,
/// evaluated with the folders of its body's ops, as an arith.constant; none
/// when it is not that.
std::optional<Value> foldConstantGeneric(OpBuilder &b, linalg::GenericOp generic);

/// `count` values of `bits` (4 or 8) from packed bytes, low bits first,
/// one byte each.
std::vector<char> unpackBits(ArrayRef<char> packed, int64_t count,
                             int64_t bits);

/// Coordinates into the gathered tensor for one output element, given the
/// element of the indices input read there (null without one).
using GatherCoords =
    function_ref<SmallVector<Value>(OpBuilder &, Location, Value index)>;

/// A parallel linalg.generic over `init` (optionally reading `indices`
/// through `indicesMap`) whose every element is data[coords(...)].
Value gatherInto(OpBuilder &b, Location loc, Value data, Value init,
                 Value indices, AffineMap indicesMap, GatherCoords coords);

/// Builds the op for an axis known only at run time: an scf.index_switch on
/// `axis` (a one-element integer tensor, negative counting from the end)
/// whose case a (default: the last axis) yields `build(a)` cast to
/// `resultType`. The node's builder inserts into each case while `build`
/// runs.
FailureOr<Value> switchOnAxis(OnnxNode &node, Value axis, int64_t rank,
                              RankedTensorType resultType,
                              function_ref<FailureOr<Value>(int64_t)> build);

/// linalg.transpose of `value` by `perm`.
Value transpose(OpBuilder &b, Location loc, Value value, ArrayRef<int64_t> perm);

/// An arith.constant holding `attr`.
Value constantOf(OpBuilder &b, Location loc, DenseElementsAttr attr);

} // namespace mlir::moe

#endif // MOE_PASSES_CONVERSION_ONNXTOMOE_HELPERS_H
