//===- MatmulEpilogue.h - Elementwise consumers of a matmul's columns --*- C++ -*-===//
//
// A gated FFN's activation (SwiGLU over a fused gate/up product) reads the
// product only through column ranges of it. Applied where each tile of the
// product is computed, the product never exists whole: the expert lowering
// moves it beside each expert's product, the CPU tiler beside each
// register tile.
//
//===----------------------------------------------------------------------===//

#ifndef MOE_SUPPORT_MATMULEPILOGUE_H
#define MOE_SUPPORT_MATMULEPILOGUE_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>

namespace mlir::moe {

/// An elementwise 2-d linalg.generic (identity maps, no linalg.index, its
/// init only written, its result of the product's element type) that is
/// the only consumer of a [rows, N] product: each of its inputs is the
/// product itself or a slice of all its rows and `width` columns from
/// `columns[i]`. The product's other users are only tensor.dim ops and
/// those slices.
struct MatmulEpilogue {
  linalg::GenericOp consumer;
  SmallVector<int64_t> columns;
  int64_t width;
};

/// The epilogue of `product`, if it has one.
std::optional<MatmulEpilogue> matchMatmulEpilogue(Value product);

/// The consumer applied to `inputs` (one [r, width] tensor per consumer
/// input, in its order), its result written to `init`.
Value applyEpilogue(OpBuilder &b, Location loc, const MatmulEpilogue &epilogue, ValueRange inputs,
                    Value init);

/// Replaces the consumer by `result` and removes what read the product
/// (its slices; its tensor.dim ops become `rows` and the static width), so
/// the product's producer has no users left.
void replaceEpilogue(RewriterBase &rewriter, const MatmulEpilogue &epilogue, Value product,
                     Value result, Value rows);

} // namespace mlir::moe

#endif // MOE_SUPPORT_MATMULEPILOGUE_H
