//===- Import.cpp - ONNX graph to the onnx dialect ------------------------===//
//
// One func.func @main per model: graph inputs are arguments, initializers
// constants, every node an onnx.node in a topological order, graph outputs
// the results. No ONNX semantics live here; they are in the conversions.
//
//===----------------------------------------------------------------------===//

#include "moe/Frontend/Onnx/Import.h"

#include "OnnxProto.h"
#include "moe/Dialect/Onnx/OnnxOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Path.h"


using namespace mlir;
using namespace mlir::onnx_import;

namespace {

class GraphImporter {
public:
  GraphImporter(MLIRContext *context, StringRef path,
                const ::onnx::ModelProto &model, const ImportOptions &options)
      : context(context), builder(context), model(model), graph(model.graph()),
        options(options), fileLoc(FileLineColLoc::get(context, path, 0, 0)),
        modelDir(llvm::sys::path::parent_path(path)),
        opsets(importedOpsets(model)) {}

  OwningOpRef<ModuleOp> run();

private:
  /// Location of node `index`: its name (or op type and position) in the file.
  Location nodeLoc(int index) const;
  /// "node 'name' (OpType)" for messages.
  std::string describe(int index) const;

  LogicalResult collectTypes();
  FailureOr<Type> inputType(const ::onnx::ValueInfoProto &input,
                            SmallVectorImpl<std::string> &dimParams);
  LogicalResult importNode(int index);

  MLIRContext *context;
  OpBuilder builder;
  const ::onnx::ModelProto &model;
  const ::onnx::GraphProto &graph;
  const ImportOptions &options;
  Location fileLoc;
  StringRef modelDir;
  llvm::StringMap<int64_t> opsets;
  /// Declared or inferred types of values, by name.
  llvm::StringMap<const ::onnx::TypeProto *> declaredTypes;
  /// SSA value of every name imported so far.
  llvm::StringMap<Value> values;
  Value none;
};

} // namespace

Location GraphImporter::nodeLoc(int index) const {
  return onnx_import::nodeLoc(fileLoc, graph.node(index), index);
}

std::string GraphImporter::describe(int index) const {
  return describeNode(graph.node(index), index);
}

LogicalResult GraphImporter::collectTypes() {
  for (const ::onnx::ValueInfoProto &info : graph.value_info())
    declaredTypes[info.name()] = &info.type();
  // Declared outputs win over inferred value_info.
  for (const ::onnx::ValueInfoProto &info : graph.output())
    declaredTypes[info.name()] = &info.type();
  llvm::StringSet<> inputNames;
  for (const ::onnx::ValueInfoProto &info : graph.input())
    inputNames.insert(info.name());
  for (const auto &entry : options.inputShapes)
    if (!inputNames.contains(entry.getKey())) {
      SmallVector<StringRef> names;
      for (const ::onnx::ValueInfoProto &info : graph.input())
        names.push_back(info.name());
      return emitError(fileLoc) << "--shape names '" << entry.getKey()
                                << "', which is not a graph input (inputs: "
                                << llvm::join(names, ", ") << ")";
    }
  return success();
}

FailureOr<Type> GraphImporter::inputType(const ::onnx::ValueInfoProto &input,
                                         SmallVectorImpl<std::string> &dimParams) {
  FailureOr<Type> type = convertType(fileLoc, input.type(),
                                     "graph input '" + input.name() + "'",
                                     &dimParams);
  if (failed(type))
    return failure();
  auto pinned = options.inputShapes.find(input.name());
  if (pinned == options.inputShapes.end())
    return type;
  auto shaped = cast<ShapedType>(*type);
  ArrayRef<int64_t> dims = pinned->getValue();
  if (shaped.hasRank() && shaped.getRank() != static_cast<int64_t>(dims.size()))
    return emitError(fileLoc) << "--shape " << input.name() << " gives "
                              << dims.size() << " dims but the input has rank "
                              << shaped.getRank();
  SmallVector<int64_t> shape;
  for (auto [i, dim] : llvm::enumerate(dims)) {
    int64_t declared =
        shaped.hasRank() ? shaped.getDimSize(i) : ShapedType::kDynamic;
    if (dim < 0) {
      shape.push_back(declared);
      continue;
    }
    if (!ShapedType::isDynamic(declared) && declared != dim)
      return emitError(fileLoc)
             << "--shape " << input.name() << ": dim " << i << " is "
             << declared << " in the model, not " << dim;
    shape.push_back(dim);
  }
  if (!shaped.hasRank())
    dimParams.assign(dims.size(), "");
  return Type(RankedTensorType::get(shape, shaped.getElementType()));
}

LogicalResult GraphImporter::importNode(int index) {
  const ::onnx::NodeProto &node = graph.node(index);
  Location loc = nodeLoc(index);
  StringRef domain = node.domain() == "ai.onnx" ? "" : StringRef(node.domain());
  auto opset = opsets.find(domain);
  if (opset == opsets.end())
    return emitError(loc) << describe(index) << " is in domain '" << domain
                          << "', which the model does not import";

  SmallVector<Value> inputs;
  for (const std::string &input : node.input()) {
    if (!input.empty()) {
      inputs.push_back(values.lookup(input));
      continue;
    }
    if (!none) {
      OpBuilder::InsertionGuard guard(builder);
      builder.setInsertionPointToStart(builder.getInsertionBlock());
      none = mlir::onnx::NoneOp::create(builder, fileLoc);
    }
    inputs.push_back(none);
  }

  NamedAttrList attrs;
  for (const ::onnx::AttributeProto &attr : node.attribute()) {
    FailureOr<Attribute> value = convertAttribute(
        loc, attr, modelDir,
        describe(index) + " attribute '" + attr.name() + "'");
    if (failed(value))
      return failure();
    attrs.set(attr.name(), *value);
  }

  SmallVector<Type> resultTypes;
  for (auto [i, output] : llvm::enumerate(node.output())) {
    if (output.empty()) {
      resultTypes.push_back(builder.getNoneType());
      continue;
    }
    if (const ::onnx::TypeProto *declared = declaredTypes.lookup(output);
        declared && declared->has_tensor_type() &&
        declared->tensor_type().elem_type() != 0) {
      FailureOr<Type> type = convertType(
          loc, *declared, describe(index) + " output '" + output + "'");
      if (failed(type))
        return failure();
      resultTypes.push_back(*type);
      continue;
    }
    Type element = outputElementType(node, i, inputs, loc);
    if (!element)
      return emitError(loc) << describe(index)
                            << ": cannot tell the element type of output '"
                            << output << "'";
    resultTypes.push_back(UnrankedTensorType::get(element));
  }

  auto op = mlir::onnx::NodeOp::create(builder, loc, resultTypes, inputs,
                                 node.op_type(), domain, opset->second,
                                 attrs.getDictionary(context));
  for (auto [output, result] : llvm::zip(node.output(), op.getResults()))
    if (!output.empty())
      values[output] = result;
  return success();
}

OwningOpRef<ModuleOp> GraphImporter::run() {
  if (failed(collectTypes()))
    return {};
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  SmallVector<NamedAttribute> opsetAttrs;
  // An attribute name cannot be empty: the default domain is named here
  // as the ONNX spec names it, so the printed module parses back.
  for (const auto &entry : opsets)
    opsetAttrs.push_back(builder.getNamedAttr(
        entry.getKey().empty() ? StringRef("ai.onnx") : entry.getKey(),
        builder.getI64IntegerAttr(entry.getValue())));
  (*module)->setAttr("onnx.opset_import",
                     builder.getDictionaryAttr(opsetAttrs));
  (*module)->setAttr("onnx.ir_version",
                     builder.getI64IntegerAttr(model.ir_version()));

  llvm::StringMap<const ::onnx::TensorProto *> initializers;
  for (const ::onnx::TensorProto &tensor : graph.initializer())
    initializers[tensor.name()] = &tensor;

  // Inputs with an initializer are constants with a default (IR < 4 lists
  // every initializer as an input); the rest are arguments.
  SmallVector<const ::onnx::ValueInfoProto *> arguments;
  SmallVector<Type> argTypes;
  SmallVector<SmallVector<std::string>> argDimParams;
  for (const ::onnx::ValueInfoProto &input : graph.input()) {
    if (initializers.count(input.name()))
      continue;
    SmallVector<std::string> dimParams;
    FailureOr<Type> type = inputType(input, dimParams);
    if (failed(type))
      return {};
    arguments.push_back(&input);
    argTypes.push_back(*type);
    argDimParams.push_back(std::move(dimParams));
  }

  builder.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(builder, fileLoc, "main",
                                   builder.getFunctionType(argTypes, {}));
  Block *body = func.addEntryBlock();
  builder.setInsertionPointToStart(body);
  for (auto [i, input] : llvm::enumerate(arguments)) {
    values[input->name()] = body->getArgument(i);
    func.setArgAttr(i, "onnx.name", builder.getStringAttr(input->name()));
    if (llvm::any_of(argDimParams[i], [](auto &s) { return !s.empty(); })) {
      SmallVector<StringRef> params(argDimParams[i].begin(),
                                    argDimParams[i].end());
      func.setArgAttr(i, "onnx.dim_params", builder.getStrArrayAttr(params));
    }
  }
  for (const ::onnx::TensorProto &tensor : graph.initializer()) {
    FailureOr<ElementsAttr> value = convertTensor(
        fileLoc, tensor, modelDir, "initializer '" + tensor.name() + "'");
    if (failed(value))
      return {};
    Location loc = NameLoc::get(builder.getStringAttr(tensor.name()), fileLoc);
    values[tensor.name()] =
        arith::ConstantOp::create(builder, loc, cast<TypedAttr>(*value));
  }

  // loadModel sorted the nodes.
  for (int index = 0, e = graph.node_size(); index < e; ++index)
    if (failed(importNode(index)))
      return {};

  SmallVector<Value> results;
  for (const ::onnx::ValueInfoProto &output : graph.output()) {
    // sortNodes checked that something defines every output.
    results.push_back(values.lookup(output.name()));
  }
  func::ReturnOp::create(builder, fileLoc, results);
  func.setFunctionType(
      builder.getFunctionType(argTypes, ValueRange(results).getTypes()));
  for (auto [i, output] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, "onnx.name", builder.getStringAttr(output.name()));

  if (failed(verify(*module)))
    return {};
  return module;
}

OwningOpRef<ModuleOp> onnx_import::importOnnxFile(MLIRContext *context,
                                                  StringRef path,
                                                  const ImportOptions &options) {
  context->loadDialect<mlir::onnx::OnnxDialect, func::FuncDialect,
                       arith::ArithDialect>();
  Location loc = FileLineColLoc::get(context, path, 0, 0);
  FailureOr<::onnx::ModelProto> model = loadModel(loc, path, options);
  if (failed(model))
    return {};
  return GraphImporter(context, path, *model, options).run();
}
