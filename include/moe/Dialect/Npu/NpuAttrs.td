//===- NpuAttrs.td - Target description attributes ---------*- tablegen -*-===//

#ifndef MOE_DIALECT_NPU_NPUATTRS_TD
#define MOE_DIALECT_NPU_NPUATTRS_TD

include "moe/Dialect/Npu/NpuEnums.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"

class Npu_Attr<string name, string attrMnemonic>
    : AttrDef<Npu_Dialect, name> {
  let mnemonic = attrMnemonic;
  let genVerifyDecl = 1;
}

def Npu_CubeAttr : Npu_Attr<"Cube", "cube"> {
  let summary = "the cube unit's step shape for one input type";
  let description = [{
    One cube step multiplies an [m, k] tile of `input` by a [k, n] tile and
    accumulates into `acc`: `#npu.cube<input = f16, acc = f32, m = 16,
    k = 16, n = 16>`.
  }];
  let parameters = (ins "::mlir::Type":$input, "::mlir::Type":$acc,
                        "int64_t":$m, "int64_t":$k, "int64_t":$n);
  let assemblyFormat = "`<` struct(params) `>`";
}

def Npu_BufferAttr : Npu_Attr<"Buffer", "buffer"> {
  let summary = "size and alignment of one on-chip buffer";
  let description = [{
    `#npu.buffer<ub, size = 196608, align = 32>`: bytes per core.
  }];
  let parameters = (ins EnumParameter<Npu_MemSpace>:$space,
                        "int64_t":$size, "int64_t":$align);
  let assemblyFormat = "`<` $space `,` struct($size, $align) `>`";
}

def Npu_PipeSpecAttr : Npu_Attr<"PipeSpec", "pipe_spec"> {
  let summary = "throughput and latency of one pipe";
  let description = [{
    `#npu.pipe_spec<mte2, bytes_per_cycle = 64, latency = 200>`: a DMA pipe
    moves that many bytes per cycle after a start-up latency in cycles.
  }];
  let parameters = (ins EnumParameter<Npu_PipeAttr>:$pipe,
                        "int64_t":$bytes_per_cycle, "int64_t":$latency);
  let assemblyFormat = "`<` $pipe `,` struct($bytes_per_cycle, $latency) `>`";
}

def Npu_TargetAttr : Npu_Attr<"Target", "target"> {
  let summary = "description of an NPU chip";
  let description = [{
    Everything a pass may ask about the chip: core counts, clock, vector
    width (bytes per repeat) and repeat limit, flag event ids per pipe pair,
    L2 size, global-memory and chip-to-chip bandwidth (GB/s), the supported
    element types, the cube shape per input type, the buffers and the pipes.

    ```mlir
    #npu.target<name = "tiny", cube_cores = 1, vector_cores = 1,
      clock_mhz = 1000, vector_bytes = 256, max_repeats = 255, event_ids = 8,
      l2_bytes = 1048576, gm_bandwidth_gbps = 100, link_bandwidth_gbps = 0,
      dtypes = [f16, f32],
      cubes = [#npu.cube<input = f16, acc = f32, m = 16, k = 16, n = 16>],
      buffers = [#npu.buffer<l1, size = 65536, align = 32>, ...],
      pipes = [#npu.pipe_spec<mte2, bytes_per_cycle = 64, latency = 100>]>
    ```
  }];
  let parameters = (ins StringRefParameter<"chip name">:$name,
                        "int64_t":$cube_cores, "int64_t":$vector_cores,
                        "int64_t":$clock_mhz, "int64_t":$vector_bytes,
                        "int64_t":$max_repeats, "int64_t":$event_ids,
                        "int64_t":$l2_bytes, "int64_t":$gm_bandwidth_gbps,
                        "int64_t":$link_bandwidth_gbps,
                        "::mlir::ArrayAttr":$dtypes, "::mlir::ArrayAttr":$cubes,
                        "::mlir::ArrayAttr":$buffers, "::mlir::ArrayAttr":$pipes);
  let assemblyFormat = "`<` struct(params) `>`";
  let extraClassDeclaration = [{
    /// The buffer of `space`, or null when the chip has none.
    BufferAttr getBuffer(MemSpace space) const;
    /// The cube shape for `input`, or null when the cube cannot take it.
    CubeAttr getCube(::mlir::Type input) const;
    /// Whether `type` is among the chip's element types.
    bool supports(::mlir::Type type) const;
  }];
}

#endif // MOE_DIALECT_NPU_NPUATTRS_TD
