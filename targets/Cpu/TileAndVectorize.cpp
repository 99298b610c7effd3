//===- TileAndVectorize.cpp - Register-tiled, vectorised matmuls ----------===//
//
// f32 matmuls whose dims the register tile divides (rows by 8, n by 32) are
// tiled for the caches (up to 64 x 256 x 256, dividing the dims), then into
// 8 x 32 register tiles over one k at a time and vectorised; the 8 x 32
// accumulator is hoisted out of the k loop, so it lives in vector
// registers (16 zmm on AVX-512), and each k step adds a broadcast column of
// A times a row of B to it. The schedule is a transform-dialect script
// applied by the upstream interpreter.
//
//===----------------------------------------------------------------------===//

#include "moe/Target/Cpu/Cpu.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Transform/IR/TransformOps.h"
#include "mlir/Dialect/Transform/Transforms/TransformInterpreterUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;

/// The schedule of one matmul, marked with `moe.tile_id = id`: cache tiles
/// that divide its dims, then 8 x 32 x 1 register tiles.
static std::string scheduleFor(int64_t id, int64_t m, int64_t n, int64_t k) {
  auto divisor = [](int64_t dim, std::initializer_list<int64_t> options) {
    for (int64_t option : options)
      if (dim % option == 0)
        return option;
    return int64_t(1);
  };
  int64_t mc = divisor(m, {64, 32, 16, 8});
  int64_t nc = divisor(n, {256, 128, 64, 32});
  int64_t kc = divisor(k, {256, 128, 64, 32, 16, 8, 4, 2});
  // Cache tiles of big enough matmuls are spread over threads (an
  // scf.forall, OpenMP after bufferization); below ~2 MFLOP the fork costs
  // more than the second core gives.
  bool parallel = (m / mc) * (n / nc) >= 2 && m * n * k >= (int64_t(1) << 20);
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "    %mm" << id << " = transform.structured.match ops{[\"linalg.matmul\"]} "
     << "attributes {moe.tile_id = " << id << " : i64} in %root : (!transform.any_op) -> !transform.any_op\n";
  if (parallel)
    os << "    %t" << id << ", %fa" << id << " = transform.structured.tile_using_forall %mm" << id
       << " tile_sizes [" << mc << ", " << nc << "] : (!transform.any_op) -> "
          "(!transform.any_op, !transform.any_op)\n"
       << "    %c" << id << ", %cl" << id << " = transform.structured.tile_using_for %t" << id
       << " tile_sizes [0, 0, " << kc << "] : (!transform.any_op) -> "
          "(!transform.any_op, !transform.any_op)\n";
  else
    os << "    %c" << id << ", %cl" << id << ":3 = transform.structured.tile_using_for %mm" << id
       << " tile_sizes [" << mc << ", " << nc << ", " << kc << "] : (!transform.any_op) -> "
          "(!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)\n";
  os
     << "    %r" << id << ", %rl" << id << ":3 = transform.structured.tile_using_for %c" << id
     << " tile_sizes [8, 32, 1] : (!transform.any_op) -> (!transform.any_op, "
        "!transform.any_op, !transform.any_op, !transform.any_op)\n"
     << "    transform.structured.vectorize %r" << id << " : !transform.any_op\n"
     << "    %f" << id << " = transform.get_parent_op %rl" << id
     << "#2 {op_name = \"func.func\"} : (!transform.any_op) -> !transform.any_op\n"
     << "    transform.apply_patterns to %f" << id << " {\n"
     << "      transform.apply_patterns.vector.lower_contraction lowering_strategy = \"outerproduct\"\n"
     << "      transform.apply_patterns.vector.transfer_permutation_patterns\n"
     << "      transform.apply_patterns.vector.lower_outerproduct\n"
     << "      transform.apply_patterns.canonicalization\n"
     << "    } : !transform.any_op\n"
     << "    transform.loop.hoist_loop_invariant_subsets %rl" << id << "#2 : !transform.any_op\n";
  return text;
}

/// Whether `generic` is C[..., m, n] += A[..., m, k] * B[k, n] in f32 (the
/// leading dims of A and C are rows of one matmul) with static dims that
/// the register tile divides (rows by 8, n by 32).
static bool isTileableMatmul(linalg::GenericOp generic) {
  if (generic.getNumDpsInputs() != 2 || generic.getNumDpsInits() != 1 ||
      generic.getNumLoops() < 3 || generic.getNumReductionLoops() != 1 ||
      !generic.hasPureTensorSemantics())
    return false;
  MLIRContext *ctx = generic.getContext();
  unsigned loops = generic.getNumLoops();
  SmallVector<AffineExpr> rows;
  for (unsigned i = 0; i + 2 < loops; ++i)
    rows.push_back(getAffineDimExpr(i, ctx));
  AffineExpr n = getAffineDimExpr(loops - 2, ctx), k = getAffineDimExpr(loops - 1, ctx);
  SmallVector<AffineExpr> aExprs(rows), cExprs(rows);
  aExprs.push_back(k);
  cExprs.push_back(n);
  SmallVector<AffineMap> expected = {AffineMap::get(loops, 0, aExprs, ctx),
                                     AffineMap::get(loops, 0, {k, n}, ctx),
                                     AffineMap::get(loops, 0, cExprs, ctx)};
  if (generic.getIndexingMapsArray() != expected)
    return false;
  Block &body = generic.getRegion().front();
  if (!linalg::detail::isContractionBody(
          body, [](Operation *first, Operation *second) {
            return (isa<arith::MulFOp>(first) && isa<arith::AddFOp>(second)) ||
                   (isa<arith::AddFOp>(first) && isa<arith::MulFOp>(second));
          }))
    return false;
  auto a = dyn_cast<RankedTensorType>(generic.getDpsInputs()[0].getType());
  auto b = dyn_cast<RankedTensorType>(generic.getDpsInputs()[1].getType());
  auto c = dyn_cast<RankedTensorType>(generic.getDpsInits()[0].getType());
  if (!a || !b || !c || !a.hasStaticShape() || !b.hasStaticShape() ||
      !c.hasStaticShape() || !a.getElementType().isF32() ||
      !b.getElementType().isF32() || !c.getElementType().isF32())
    return false;
  int64_t m = c.getNumElements() / c.getShape().back();
  return m % 8 == 0 && c.getShape().back() % 32 == 0;
}

/// `value` with its leading dims collapsed into one (rank 2).
static Value collapseRows(OpBuilder &b, Location loc, Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getRank() == 2)
    return value;
  SmallVector<ReassociationIndices> groups = {
      llvm::to_vector(llvm::seq<int64_t>(0, type.getRank() - 1)),
      {type.getRank() - 1}};
  return tensor::CollapseShapeOp::create(b, loc, value, groups);
}

namespace {
struct CpuTileAndVectorize
    : PassWrapper<CpuTileAndVectorize, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CpuTileAndVectorize)
  StringRef getArgument() const override { return "moe-cpu-tile-and-vectorize"; }
  StringRef getDescription() const override {
    return "Cache- and register-tile f32 matmuls and vectorise them, with the "
           "accumulator in registers";
  }
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Our matmul generics become linalg.matmul (the ones upstream's
    // specialisation would misread, transposed or batched, stay loops).
    SmallVector<linalg::GenericOp> matmuls;
    module.walk([&](linalg::GenericOp generic) {
      if (isTileableMatmul(generic))
        matmuls.push_back(generic);
    });
    if (matmuls.empty())
      return;
    std::string body;
    IRRewriter rewriter(&getContext());
    for (auto [id, generic] : llvm::enumerate(matmuls)) {
      rewriter.setInsertionPoint(generic);
      Location loc = generic.getLoc();
      Value a = collapseRows(rewriter, loc, generic.getDpsInputs()[0]);
      Value c = collapseRows(rewriter, loc, generic.getDpsInits()[0]);
      auto cType = cast<RankedTensorType>(c.getType());
      int64_t k = cast<RankedTensorType>(a.getType()).getDimSize(1);
      auto matmul = linalg::MatmulOp::create(
          rewriter, loc, TypeRange{cType}, ValueRange{a, generic.getDpsInputs()[1]},
          ValueRange{c});
      matmul->setAttr("moe.tile_id", rewriter.getI64IntegerAttr(id));
      Value result = matmul.getResult(0);
      auto original = cast<RankedTensorType>(generic.getResultTypes()[0]);
      if (original != cType)
        result = tensor::ExpandShapeOp::create(
            rewriter, loc, original, result,
            SmallVector<ReassociationIndices>{
                llvm::to_vector(llvm::seq<int64_t>(0, original.getRank() - 1)),
                {original.getRank() - 1}});
      rewriter.replaceOp(generic, result);
      body += scheduleFor(id, cType.getDimSize(0), cType.getDimSize(1), k);
    }
    std::string text =
        "module attributes {transform.with_named_sequence} {\n"
        "  transform.named_sequence @__transform_main(%root: !transform.any_op "
        "{transform.readonly}) {\n" +
        body + "    transform.yield\n  }\n}\n";
    OwningOpRef<ModuleOp> script = parseSourceString<ModuleOp>(text, &getContext());
    if (!script) {
      module.emitError("moe: the CPU matmul schedule does not parse");
      return signalPassFailure();
    }
    Operation *entry = script->lookupSymbol("__transform_main");
    if (failed(transform::applyTransformNamedSequence(
            module, entry, *script, transform::TransformOptions())))
      return signalPassFailure();
    module.walk([](linalg::LinalgOp op) { op->removeAttr("moe.tile_id"); });
  }
};
} // namespace

std::unique_ptr<Pass> moe::createCpuTileAndVectorizePass() {
  return std::make_unique<CpuTileAndVectorize>();
}

void moe::registerCpuTileAndVectorizePass() {
  PassRegistration<CpuTileAndVectorize>();
}
