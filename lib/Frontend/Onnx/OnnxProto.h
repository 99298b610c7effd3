//===- OnnxProto.h - ONNX protobuf to MLIR types and attributes -*- C++ -*-===//
//
// The only headers of the project that include ONNX's protobuf classes; the
// files that include them compile with exceptions (libonnx throws).
//
//===----------------------------------------------------------------------===//

#ifndef MOE_LIB_FRONTEND_ONNX_ONNXPROTO_H
#define MOE_LIB_FRONTEND_ONNX_ONNXPROTO_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/Value.h"
#include "mlir/IR/ValueRange.h"
#include "llvm/ADT/StringMap.h"

#include <onnx/onnx_pb.h>

namespace mlir::onnx_import {

/// The MLIR element type of an ONNX TensorProto data type: signed integers
/// signless, unsigned ones `ui`, bool i1. Fails with a diagnostic at `loc`
/// naming `what` for types the compiler does not take (string, complex,
/// float8, float4).
FailureOr<Type> convertElementType(Location loc, int32_t dataType,
                                   StringRef what);

/// The tensor type of a value, with `?` for unknown or symbolic dims (their
/// names go to `dimParams` when given) and `*` when the rank is unknown.
FailureOr<Type> convertType(Location loc, const ::onnx::TypeProto &type,
                            StringRef what,
                            SmallVectorImpl<std::string> *dimParams = nullptr);

/// The constant a TensorProto holds, from its typed fields, raw data or an
/// external file inside `modelDir`.
FailureOr<ElementsAttr> convertTensor(Location loc,
                                      const ::onnx::TensorProto &tensor,
                                      StringRef modelDir, StringRef what);

/// An ONNX node attribute: ints as i64, floats as f32, lists as dense
/// arrays, tensors as elements attributes. Subgraphs are refused.
FailureOr<Attribute> convertAttribute(Location loc,
                                      const ::onnx::AttributeProto &attr,
                                      StringRef modelDir, StringRef what);

struct ImportOptions;

/// "node 'name' (domain::OpType)" for messages; unnamed nodes by position.
std::string describeNode(const ::onnx::NodeProto &node, int index);

/// The location of a node: its name (or op type and position) in `file`.
Location nodeLoc(Location file, const ::onnx::NodeProto &node, int index);

/// Puts the nodes of `graph` in a topological order (keeping the file order
/// where it is one); rejects cycles, inputs and graph outputs nothing
/// defines and values defined twice, naming the node.
LogicalResult sortNodes(Location file, ::onnx::GraphProto &graph);

/// Reads and parses the model at `path`; when libonnx knows its opsets, runs
/// ONNX's checker, upgrades old opsets per `options` and infers shapes (with
/// data propagation, so shape subgraphs give static dims where they can).
FailureOr<::onnx::ModelProto> loadModel(Location loc, StringRef path,
                                      const ImportOptions &options);

/// The opset version the model imports for each domain ("" is ai.onnx).
llvm::StringMap<int64_t> importedOpsets(const ::onnx::ModelProto &model);

/// The element type of output `index` of `node` by the op's definition, for
/// outputs that neither the model nor ONNX's shape inference types (opsets
/// newer than libonnx knows, com.microsoft ops). Null when unknown.
Type outputElementType(const ::onnx::NodeProto &node, unsigned index,
                       ValueRange inputs, Location loc);

} // namespace mlir::onnx_import

#endif // MOE_LIB_FRONTEND_ONNX_ONNXPROTO_H
