//===- MoeDialect.td - The moe dialect ---------------------*- tablegen -*-===//
//
// The dialect of what upstream MLIR lacks for MoE and attention models:
// expert routing, grouped expert FFNs, attention with its masks, norms,
// rotary embeddings and weight quantization.
//
//===----------------------------------------------------------------------===//

#ifndef MOE_DIALECT_MOE_MOEDIALECT_TD
#define MOE_DIALECT_MOE_MOEDIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Moe_Dialect : Dialect {
  let name = "moe";
  let cppNamespace = "::mlir::moe";
  let summary = "Mixture-of-Experts routing, experts, attention and quantization";
  let description = [{
    Operations on tensors that carry the structure of MoE and attention
    layers, so that passes see a layer rather than the hundreds of ONNX nodes
    an exporter writes for it. Everything upstream already expresses (linalg,
    tensor, arith, math) stays upstream.
  }];
  let useDefaultAttributePrinterParser = 1;
}

class Moe_Op<string mnemonic, list<Trait> traits = []>
    : Op<Moe_Dialect, mnemonic, traits>;

// Type constraints shared by the op families.
def Moe_FloatTensor : RankedTensorOf<[AnyFloat]>;
// The same with a fixed rank, so that rank errors come from ODS before type
// inference runs.
class Moe_FloatTensorOfRank<int rank>
    : RankedTensorOf<[AnyFloat], [HasAnyRankOfPred<[rank]>],
                     rank # "-d tensor of floats">;
class Moe_IndexTensorOfRank<int rank>
    : RankedTensorOf<[AnySignlessInteger], [HasAnyRankOfPred<[rank]>],
                     rank # "-d tensor of signless integers">;
class Moe_I32TensorOfRank<int rank>
    : RankedTensorOf<[I32], [HasAnyRankOfPred<[rank]>],
                     rank # "-d tensor of i32">;
// Quantized storage: signless integers are signed, ui* are unsigned.
def Moe_QuantTensor : RankedTensorOf<[I<8>, I<4>, UI<8>, UI<4>]>;

#endif // MOE_DIALECT_MOE_MOEDIALECT_TD
