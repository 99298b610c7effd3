//===- OnnxNode.cpp - The node a handler converts, and the handler table --===//

#include "moe/Conversion/OnnxToMoe/OnnxToMoe.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::moe;

Value OnnxNode::input(unsigned i) const {
  if (i >= getNumInputs())
    return {};
  Value value = op.getInputs()[i];
  return isa<NoneType>(value.getType()) ? Value() : value;
}

bool OnnxNode::isUnsigned(unsigned i) const {
  Value value = input(i);
  auto type = value ? dyn_cast<ShapedType>(value.getType()) : ShapedType();
  return type && type.getElementType().isUnsignedInteger();
}

/// `type` with an unsigned integer element type made signless.
static Type signless(Type type) {
  auto shaped = dyn_cast<ShapedType>(type);
  if (!shaped || !shaped.getElementType().isUnsignedInteger())
    return type;
  return shaped.clone(IntegerType::get(
      type.getContext(), shaped.getElementType().getIntOrFloatBitWidth()));
}

Value OnnxNode::signlessInput(unsigned i) const {
  Value value = input(i);
  if (!value || signless(value.getType()) == value.getType())
    return value;
  return tensor::BitcastOp::create(b, getLoc(), signless(value.getType()),
                                   value);
}

FailureOr<RankedTensorType> OnnxNode::rankedInput(unsigned i) const {
  Value value = input(i);
  if (!value)
    return emitError() << "input " << i << " is required";
  if (auto ranked = dyn_cast<RankedTensorType>(value.getType()))
    return ranked;
  return emitError() << "input " << i << " has unknown rank ("
                     << value.getType() << ")";
}

Attribute OnnxNode::attr(StringRef name) const {
  return op.getAttrs().get(name);
}

int64_t OnnxNode::intAttr(StringRef name, int64_t defaultValue) const {
  auto value = dyn_cast_or_null<IntegerAttr>(attr(name));
  return value ? value.getInt() : defaultValue;
}

float OnnxNode::floatAttr(StringRef name, float defaultValue) const {
  auto value = dyn_cast_or_null<FloatAttr>(attr(name));
  return value ? value.getValueAsDouble() : defaultValue;
}

StringRef OnnxNode::stringAttr(StringRef name, StringRef defaultValue) const {
  auto value = dyn_cast_or_null<StringAttr>(attr(name));
  return value ? value.getValue() : defaultValue;
}

InFlightDiagnostic OnnxNode::emitError() const {
  InFlightDiagnostic diag = op.emitError();
  diag << "node ";
  // The importer names each node by its location.
  if (auto loc = dyn_cast<NameLoc>(op.getLoc()))
    diag << "'" << loc.getName().getValue() << "' ";
  diag << "(";
  if (!op.getDomain().empty())
    diag << op.getDomain() << "::";
  diag << op.getOpType() << "): ";
  return diag;
}

void OnnxNode::replace(ValueRange values) {
  assert(values.size() == op.getNumResults() && "one value per result");
  for (auto [result, value] : llvm::zip(op.getResults(), values)) {
    // Outputs the model leaves unnamed are none-typed and unused.
    if (result.use_empty())
      continue;
    Type declared = result.getType();
    if (value.getType() == declared) {
      result.replaceAllUsesWith(value);
      continue;
    }
    // Keep unsigned element types visible to the handlers downstream.
    auto valueType = cast<ShapedType>(value.getType());
    auto declaredType = cast<ShapedType>(declared);
    if (valueType.getElementType() != declaredType.getElementType())
      value = tensor::BitcastOp::create(
          b, getLoc(), valueType.clone(declaredType.getElementType()), value);
    Value cast;
    for (OpOperand &use : llvm::make_early_inc_range(result.getUses())) {
      if (isa<onnx::NodeOp>(use.getOwner()) ||
          value.getType() == declared) {
        use.set(value);
        continue;
      }
      if (!cast)
        cast = tensor::CastOp::create(b, getLoc(), declared, value);
      use.set(cast);
    }
  }
  op.erase();
}

void OnnxOpTable::on(StringRef opType, int64_t sinceVersion,
                     OnnxHandler handler, StringRef domain) {
  auto &entries = handlers[(domain + "::" + opType).str()];
  entries.emplace_back(sinceVersion, std::move(handler));
  llvm::sort(entries, [](auto &a, auto &b) { return a.first < b.first; });
}

const OnnxHandler *OnnxOpTable::lookup(StringRef domain, StringRef opType,
                                       int64_t version) const {
  auto it = handlers.find((domain + "::" + opType).str());
  if (it == handlers.end())
    return nullptr;
  const OnnxHandler *found = nullptr;
  for (const auto &[since, handler] : it->second)
    if (since <= version)
      found = &handler;
  return found;
}

SmallVector<std::string> OnnxOpTable::opTypes(StringRef domain) const {
  SmallVector<std::string> names;
  std::string prefix = (domain + "::").str();
  for (const auto &entry : handlers)
    if (entry.getKey().starts_with(prefix))
      names.push_back(entry.getKey().drop_front(prefix.size()).str());
  llvm::sort(names);
  return names;
}
