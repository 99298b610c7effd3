//===- PrepareEntry.cpp - The entry function as the C API sees it ---------===//

#include "moe/Target/Cpu/Cpu.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::moe;

/// The ONNX TensorProto code of an element type, 0 when the C API has none.
static int onnxTypeOf(Type type) {
  if (type.isF32())
    return 1;
  if (type.isF64())
    return 11;
  if (type.isF16())
    return 10;
  if (type.isBF16())
    return 16;
  if (type.isInteger(1))
    return 9;
  auto integer = dyn_cast<IntegerType>(type);
  if (!integer)
    return 0;
  bool isUnsigned = integer.isUnsigned();
  switch (integer.getWidth()) {
  case 8:
    return isUnsigned ? 2 : 3;
  case 16:
    return isUnsigned ? 4 : 5;
  case 32:
    return isUnsigned ? 12 : 6;
  case 64:
    return isUnsigned ? 13 : 7;
  default:
    return 0;
  }
}

static FailureOr<TensorSignature> signatureOf(Operation *where, Type type,
                                              DictionaryAttr attrs,
                                              StringRef fallbackName) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor)
    return where->emitError() << "'" << fallbackName << "' has type " << type
                              << "; the C API takes ranked tensors";
  TensorSignature sig;
  auto name = attrs ? attrs.getAs<StringAttr>("onnx.name") : StringAttr();
  sig.name = name ? name.str() : fallbackName.str();
  sig.onnxType = onnxTypeOf(tensor.getElementType());
  if (!sig.onnxType)
    return where->emitError() << "'" << sig.name << "' has element type "
                              << tensor.getElementType()
                              << ", which the C API does not carry";
  if (tensor.getRank() > 8)
    return where->emitError() << "'" << sig.name << "' has rank "
                              << tensor.getRank() << "; the C API takes up to 8";
  auto params = attrs ? attrs.getAs<ArrayAttr>("onnx.dim_params") : ArrayAttr();
  for (auto [i, dim] : llvm::enumerate(tensor.getShape())) {
    sig.shape.push_back(ShapedType::isDynamic(dim) ? -1 : dim);
    StringAttr param = params && i < params.size()
                           ? dyn_cast<StringAttr>(params[i])
                           : StringAttr();
    sig.dimNames.push_back(param && ShapedType::isDynamic(dim) ? param.str() : "");
  }
  return sig;
}

/// `type` with unsigned integers made signless (inside tensors too).
static Type signless(Type type) {
  if (auto integer = dyn_cast<IntegerType>(type))
    return integer.isUnsigned()
               ? IntegerType::get(type.getContext(), integer.getWidth())
               : type;
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    return tensor.clone(signless(tensor.getElementType()));
  if (auto tensor = dyn_cast<UnrankedTensorType>(type))
    return UnrankedTensorType::get(signless(tensor.getElementType()));
  return type;
}

/// LLVM has no unsigned types and arith takes signless ones: the
/// conversions keep ONNX's unsigned types only at the edges (arguments,
/// constants, moe ops) with tensor.bitcast to signless. Here, after the
/// signature has recorded them, every value becomes signless and those
/// bitcasts disappear.
static void makeSignless(ModuleOp module) {
  module.walk([](Operation *op) {
    for (Region &region : op->getRegions())
      for (Block &block : region)
        for (BlockArgument arg : block.getArguments())
          arg.setType(signless(arg.getType()));
    for (OpResult result : op->getResults())
      result.setType(signless(result.getType()));
    if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
      Type type = constant.getType();
      if (auto dense = dyn_cast<DenseIntElementsAttr>(constant.getValue());
          dense && dense.getType() != type)
        constant.setValueAttr(dense.bitcast(cast<ShapedType>(type).getElementType()));
      else if (auto blob = dyn_cast<DenseResourceElementsAttr>(constant.getValue());
               blob && blob.getType() != type)
        constant.setValueAttr(DenseResourceElementsAttr::get(
            cast<ShapedType>(type), blob.getRawHandle()));
      else if (auto integer = dyn_cast<IntegerAttr>(constant.getValue());
               integer && integer.getType() != type)
        constant.setValueAttr(IntegerAttr::get(type, integer.getValue()));
    }
    if (auto func = dyn_cast<func::FuncOp>(op)) {
      SmallVector<Type> inputs, results;
      for (Type t : func.getArgumentTypes())
        inputs.push_back(signless(t));
      for (Type t : func.getResultTypes())
        results.push_back(signless(t));
      func.setType(FunctionType::get(op->getContext(), inputs, results));
    }
  });
  module.walk([](tensor::BitcastOp bitcast) {
    if (bitcast.getSource().getType() == bitcast.getType()) {
      bitcast.replaceAllUsesWith(bitcast.getSource());
      bitcast.erase();
    }
  });
}

FailureOr<ModelSignature> moe::prepareCpuEntry(ModuleOp module) {
  auto entry = module.lookupSymbol<func::FuncOp>("main");
  if (!entry || entry.isExternal())
    return module.emitError() << "the module has no 'main' function to compile";
  // Outputs the model declares without a shape come back as casts to
  // unranked tensors: return what the cast takes.
  auto ret = cast<func::ReturnOp>(entry.getBody().front().getTerminator());
  for (OpOperand &operand : ret->getOpOperands())
    if (auto cast = operand.get().getDefiningOp<tensor::CastOp>())
      if (isa<UnrankedTensorType>(cast.getType()) &&
          isa<RankedTensorType>(cast.getSource().getType()))
        operand.set(cast.getSource());
  entry.setType(FunctionType::get(module.getContext(),
                                  entry.getArgumentTypes(),
                                  ret->getOperandTypes()));
  entry.setSymName(kCpuEntryName);
  entry->setAttr("llvm.emit_c_interface", UnitAttr::get(module.getContext()));

  ModelSignature signature;
  for (auto [i, type] : llvm::enumerate(entry.getArgumentTypes())) {
    FailureOr<TensorSignature> sig = signatureOf(
        entry, type, entry.getArgAttrDict(i), ("input" + Twine(i)).str());
    if (failed(sig))
      return failure();
    signature.inputs.push_back(*sig);
  }
  for (auto [i, type] : llvm::enumerate(entry.getResultTypes())) {
    FailureOr<TensorSignature> sig = signatureOf(
        entry, type, entry.getResultAttrDict(i), ("output" + Twine(i)).str());
    if (failed(sig))
      return failure();
    signature.outputs.push_back(*sig);
  }
  if (signature.outputs.empty())
    return entry.emitError() << "the model has no outputs";
  // The names live on in the signature; LLVM has no use for them.
  MLIRContext *ctx = module.getContext();
  for (unsigned i = 0; i < entry.getNumArguments(); ++i)
    entry.setArgAttrs(i, DictionaryAttr::get(ctx));
  for (unsigned i = 0; i < entry.getNumResults(); ++i)
    entry.setResultAttrs(i, DictionaryAttr::get(ctx));
  makeSignless(module);
  return signature;
}

LogicalResult moe::checkCpuLowerable(ModuleOp module) {
  WalkResult result = module.walk([](Operation *op) {
    StringRef dialect = op->getName().getDialectNamespace();
    if (dialect == "moe" || dialect == "onnx" || dialect == "npu") {
      op->emitError() << "'" << op->getName()
                      << "' has no CPU lowering yet";
      return WalkResult::interrupt();
    }
    // LLVM's translation has no form for constant arrays of sub-byte
    // integers (packed int4 weights are the quantization work's).
    if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
      auto type = dyn_cast<ShapedType>(constant.getType());
      if (type && type.getElementType().isInteger() &&
          type.getElementTypeBitWidth() % 8 != 0 && type.getElementTypeBitWidth() != 1) {
        op->emitError() << "constant of type " << type
                        << " has no CPU form yet (sub-byte weights)";
        return WalkResult::interrupt();
      }
    }
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}
