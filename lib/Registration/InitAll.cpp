//===- InitAll.cpp - Register every dialect and pass of the project -------===//

#include "moe/InitAll.h"

#include "moe/Dialect/Moe/MoeDialect.h"
#include "moe/Dialect/Npu/NpuDialect.h"
#include "moe/Dialect/Onnx/OnnxDialect.h"
#include "moe/Passes/Moe/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Transforms/Passes.h"

void mlir::moe::registerAllDialects(DialectRegistry &registry) {
  registry.insert<moe::MoeDialect, npu::NpuDialect, onnx::OnnxDialect,
                  arith::ArithDialect, func::FuncDialect,
                  linalg::LinalgDialect, math::MathDialect,
                  memref::MemRefDialect, scf::SCFDialect,
                  tensor::TensorDialect>();
}

void mlir::moe::registerAllPasses() {
  mlir::registerTransformsPasses();
  moe::registerMoePasses();
}
