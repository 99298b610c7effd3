//===- Passes.td - Passes about targets --------------------*- tablegen -*-===//

#ifndef MOE_TARGET_PASSES_TD
#define MOE_TARGET_PASSES_TD

include "mlir/Pass/PassBase.td"

def MoeAttachTarget : Pass<"moe-attach-target", "::mlir::ModuleOp"> {
  let summary = "Put a known target's description on the module";
  let description = [{
    Looks `target` up in the known-targets table and sets the module
    attribute that the target's passes and verifiers read (for NPUs,
    `npu.target = #npu.target<...>`), replacing one already there. An unknown
    name is an error that lists the known ones. A name ending in `.json` is
    read as a target description file (docs/npu-formats.md).
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"",
           "name from the known-targets table, e.g. npu-910b-like, or a description file (.json)">
  ];
  let dependentDialects = ["::mlir::npu::NpuDialect"];
}

def MoeNpuLower : Pass<"moe-npu-lower", "::mlir::ModuleOp"> {
  let summary = "Lower the moe/linalg-level entry function to npu ops";
  let description = [{
    Needs `npu.target` on the module. The entry function's tensors become
    memrefs in global memory (results become trailing arguments marked
    `npu.output`), and each supported op becomes a straight-line kernel of
    `npu.dma`/`npu.mmad` on views of the core's buffers: one
    `memref.alloc` per buffer (the whole L1, L0A, ...), typed tiles carved
    out of it with `memref.view`, global-memory tiles with `memref.subview`.
    Shapes are static, so loops are unrolled here: a program is one
    instruction stream per core.

    Matmuls (a linalg contraction C[M,N] = A[M,K] B[K,N] into a zero fill;
    batch dims of A fold into M) are tiled by chooseMatmulTiles from the
    description: A and B go to L1 as fractals (nd_to_nz) in stages along K,
    to L0A/L0B in steps, the cube accumulates a C tile in L0C (f32, or i32
    for int8) and the fixpipe writes it out in C's type. L1, L0A and L0B
    hold two slots used in turn (double buffering). Rows, and the columns
    of a constant B, that are not whole fractals are padded with zeros.
    No flags are placed here: `moe-npu-insert-sync` does that.

    First, norms and quantization ops become linalg; moe.route +
    moe.experts become linalg that runs each expert over only the tokens
    that chose it (top-k on the vector unit, each token's rows placed by
    expert through positions the scalar unit reads, each expert's FFN in
    an scf.if on its run-time row count, which becomes an `npu.when`:
    predicated instructions); per-channel
    int8 moe.qmatmul keeps its integers for the cube; elementwise chains
    fuse (into reductions too).

    An op without an NPU lowering, or a type the target's cube lacks, is an
    error naming the op; with `matmul-type=f16` (or `bf16`) f32 matmuls and
    attention compute in that type instead, operands converted (constant
    weights at compile time), sums in f32, results f32.

    Elementwise generics and innermost-dim reductions run on the vector
    unit through the unified buffer; moe.attention as flash attention
    (cube for Q K^T and P V, vector unit for the online softmax, tiles the
    mask hides never computed, KV caches, lengths padded); reshapes and
    slices stay views of global memory, transposes and concats are copies
    through the unified buffer. docs/npu-formats.md says more.
  }];
  let options = [
    Option<"matmulType", "matmul-type", "std::string", /*default=*/"\"\"",
           "f16 or bf16: compute f32 matmuls and attention in this type (default: "
           "refuse them)">,
    Option<"int8Activations", "int8-activations", "bool", /*default=*/"false",
           "int8 weight matmuls quantize their activations per row at run time and "
           "multiply on the int8 cube (i32 sums, dequantized on the vector unit)">,
    Option<"denseExperts", "dense-experts", "bool", /*default=*/"false",
           "compute every routed expert over every token, weighted by a gate matrix "
           "(for comparison; the default above 2048 tokens)">
  ];
  let dependentDialects = ["::mlir::npu::NpuDialect", "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
                           "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::scf::SCFDialect"];
}

def MoeNpuInsertSync : Pass<"moe-npu-insert-sync", "::mlir::func::FuncOp"> {
  let summary = "Put the set_flag/wait_flag pairs a straight-line npu kernel needs";
  let description = [{
    Follows the function's npu ops in order, knowing each one's pipe and the
    bytes it reads and writes (global-memory arguments laid out in order,
    buffers at their views' offsets). Where an op touches bytes that an
    earlier op of another pipe wrote (or reads, when this one writes) and no
    flag already orders the two, it places `npu.set_flag` right after the
    latest such op and `npu.wait_flag` right before this one, with an event
    id free over that span; an op already ordered (transitively, through
    earlier flags) gets none. So double-buffered slots used in turn only
    wait for the use two steps back. When every event id is in flight over
    that span (a kernel streaming many operands through its slots), the flag
    waits for the producing pipe's latest op instead, which covers the one
    needed; only when that too finds none is it an error. An access at a
    run-time offset (a view offset by an `npu.sload` register) counts as
    touching every byte of the tensor it views.
  }];
  let dependentDialects = ["::mlir::npu::NpuDialect"];
}

#endif // MOE_TARGET_PASSES_TD
