//===- ConvertOnnxToMoe.cpp - The conversion driver and pass --------------===//
//
// Nodes are converted in order, so a handler sees its inputs already
// converted and as precisely typed as the handlers before it could make them.
//
//===----------------------------------------------------------------------===//

#include "moe/Conversion/OnnxToMoe/OnnxToMoe.h"
#include "moe/Dialect/Moe/MoeDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringExtras.h"

namespace mlir::moe {
#define GEN_PASS_DEF_CONVERTONNXTOMOE
#include "moe/Conversion/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;
using namespace mlir::moe;

void moe::populateOnnxToMoeHandlers(OnnxOpTable &table) {
  populateOnnxElementwiseHandlers(table);
  populateOnnxShapeHandlers(table);
  populateOnnxDataMovementHandlers(table);
  populateOnnxReductionHandlers(table);
  populateOnnxMatMulHandlers(table);
  populateOnnxMoeOpHandlers(table);
  populateOnnxExpertHandlers(table);
  populateOnnxNonZeroHandlers(table);
  populateOnnxContribAttentionHandlers(table);
  populateOnnxQuantizationHandlers(table);
  populateOnnxTopKHandlers(table);
  populateOnnxScatterHandlers(table);
}

LogicalResult moe::convertOnnxToMoe(Operation *root, const OnnxOpTable &table) {
  SmallVector<onnx::NodeOp> nodes;
  root->walk([&](onnx::NodeOp node) { nodes.push_back(node); });

  // Report every unsupported op before converting anything.
  bool unsupported = false;
  for (onnx::NodeOp node : nodes) {
    if (table.lookup(node.getDomain(), node.getOpType(), node.getVersion()))
      continue;
    unsupported = true;
    OpBuilder b(node);
    OnnxNode wrapped(node, b);
    StringRef domain = node.getDomain().empty() ? "ai.onnx" : node.getDomain();
    SmallVector<std::string> known = table.opTypes(node.getDomain());
    InFlightDiagnostic diag = wrapped.emitError();
    diag << "op '" << node.getOpType() << "' of domain '" << domain
         << "' at opset " << node.getVersion() << " is not supported";
    if (known.empty())
      diag << "; the compiler supports no op of that domain";
    else
      diag << "; supported in that domain: " << llvm::join(known, ", ");
  }
  if (unsupported)
    return failure();

  bool failedAny = false;
  for (onnx::NodeOp node : nodes) {
    OpBuilder b(node);
    OnnxNode wrapped(node, b);
    const OnnxHandler *handler =
        table.lookup(node.getDomain(), node.getOpType(), node.getVersion());
    if (failed((*handler)(wrapped)))
      failedAny = true;
  }
  if (failedAny)
    return failure();
  // Absent-input markers have no users left.
  root->walk([](onnx::NoneOp none) {
    if (none->use_empty())
      none.erase();
  });
  return success();
}

namespace {
struct ConvertOnnxToMoePass
    : moe::impl::ConvertOnnxToMoeBase<ConvertOnnxToMoePass> {
  void runOnOperation() override {
    OnnxOpTable table;
    populateOnnxToMoeHandlers(table);
    if (failed(convertOnnxToMoe(getOperation(), table)))
      signalPassFailure();
  }
};
} // namespace
