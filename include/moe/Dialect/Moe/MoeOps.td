//===- MoeOps.td - All ops of the moe dialect --------------*- tablegen -*-===//

#ifndef MOE_DIALECT_MOE_MOEOPS_TD
#define MOE_DIALECT_MOE_MOEOPS_TD

include "moe/Dialect/Moe/RoutingOps.td"
include "moe/Dialect/Moe/AttentionOps.td"
include "moe/Dialect/Moe/QuantOps.td"

#endif // MOE_DIALECT_MOE_MOEOPS_TD
