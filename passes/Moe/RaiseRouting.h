//===- RaiseRouting.h - Exported top-k routers read back as moe.route -*- C++ -*-===//
//
// The router of an exported MoE block is a TopK over softmax or sigmoid
// scores, possibly biased and limited to the best groups of experts
// (DeepSeek), whose values or gathered unbiased scores are renormalised and
// scaled. This reads such a router back to the attributes of moe.route.
//
//===----------------------------------------------------------------------===//

#ifndef MOE_PASSES_MOE_RAISEROUTING_H
#define MOE_PASSES_MOE_RAISEROUTING_H

#include "moe/Dialect/Moe/MoeOps.h"

#include "mlir/IR/PatternMatch.h"

#include <limits>
#include <optional>

namespace mlir::moe::graph {

/// What a top-k routing computes.
struct Routing {
  Operation *topK = nullptr;
  Value logits;
  /// The softmax or sigmoid of the logits: what the weights are read from.
  Value scores;
  Scoring scoring = Scoring::Softmax;
  int64_t k = 0;
  /// DeepSeek-V3's correction bias ([E] or [1, E]), added for the choice.
  Value bias;
  int64_t nGroup = 1, topkGroup = 1;
  GroupScore groupScore = GroupScore::Max;
  double outsideGroupScore = -std::numeric_limits<double>::infinity();
  bool renormalize = false;
  double scale = 1.0;
};

/// The routing of the top-k whose indices output is `indices`.
std::optional<Routing> routingOf(Value indices);

/// Reads the routing weights `w` back to the top-k values or the gathered
/// unbiased scores of `routing`, recording renormalisation and scaling.
bool readWeights(Value w, Routing &routing);

/// The moe.route computing `routing`; null when its constants cannot be
/// read.
RouteOp buildRoute(RewriterBase &rewriter, Location loc, const Routing &routing);

} // namespace mlir::moe::graph

#endif // MOE_PASSES_MOE_RAISEROUTING_H
