//===- NpuOps.td - Ops of the npu dialect ------------------*- tablegen -*-===//

#ifndef MOE_DIALECT_NPU_NPUOPS_TD
#define MOE_DIALECT_NPU_NPUOPS_TD

include "moe/Dialect/Npu/NpuAttrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Npu_DmaOp : Npu_Op<"dma"> {
  let summary = "copy between buffers on a DMA pipe";
  let description = [{
    Copies `src` into `dst`. The pair of memory spaces picks the pipe:
    gm to l1/ub on MTE2, l1 to l0a/l0b on MTE1, ub to gm/l1 on MTE3, l0c to
    gm/ub on the fixpipe (which may also convert the element type).
    `layout` converts row-major (nd) to the cube's fractal layout (nz) or
    back, preserving the element count.

    ```mlir
    npu.dma %a, %b {layout = #npu.layout<nd_to_nz>}
        : memref<64x64xf16, #npu.mem<gm>>, memref<4x4x16x16xf16, #npu.mem<l1>>
    ```
  }];
  let arguments = (ins Arg<AnyMemRef, "source", [MemRead]>:$src,
                   Arg<AnyMemRef, "destination", [MemWrite]>:$dst,
                   DefaultValuedAttr<Npu_DmaLayoutAttr,
                                     "::mlir::npu::DmaLayout::None">:$layout);
  let assemblyFormat = "$src `,` $dst attr-dict `:` type($src) `,` type($dst)";
  let extraClassDeclaration = [{
    /// The pipe that carries this copy.
    Pipe getPipe();
  }];
  let hasVerifier = 1;
}

def Npu_MmadOp : Npu_Op<"mmad"> {
  let summary = "cube matrix multiply-accumulate";
  let description = [{
    `c = a * b` (or `c += a * b` with `accumulate`) with `a` [M, K] in L0A,
    `b` [K, N] in L0B and `c` [M, N] in L0C. Inputs f16/bf16 accumulate in
    f32, i8/i4 in i32. Under a module with `npu.target`, the cube must have a
    shape for the input type.

    ```mlir
    npu.mmad %a, %b, %c {accumulate}
        : memref<16x16xf16, #npu.mem<l0a>>, memref<16x16xf16, #npu.mem<l0b>>,
          memref<16x16xf32, #npu.mem<l0c>>
    ```
  }];
  let arguments = (ins Arg<AnyMemRef, "", [MemRead]>:$a,
                   Arg<AnyMemRef, "", [MemRead]>:$b,
                   Arg<AnyMemRef, "", [MemRead, MemWrite]>:$c,
                   UnitAttr:$accumulate);
  let assemblyFormat = [{
    $a `,` $b `,` $c attr-dict `:` type($a) `,` type($b) `,` type($c)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Vector unit: every operand in the unified buffer.
//===----------------------------------------------------------------------===//

def Npu_InUnifiedBuffer : NativeOpTrait<"InUnifiedBuffer"> {
  let cppNamespace = "::mlir::OpTrait::npu";
}

class Npu_VecOp<string mnemonic, list<Trait> traits = []>
    : Npu_Op<"vec." # mnemonic, !listconcat(traits, [Npu_InUnifiedBuffer])>;

// Operands share shape and element type; their layouts may differ (a
// stride of 0 broadcasts).
class Npu_VecBinaryOp<string mnemonic, string what>
    : Npu_VecOp<mnemonic, [AllShapesMatch<["lhs", "rhs", "dst"]>,
                           AllElementTypesMatch<["lhs", "rhs", "dst"]>]> {
  let summary = "elementwise " # what # " on the vector unit";
  let description = "`dst = lhs " # what # " rhs`, elementwise.";
  let arguments = (ins Arg<AnyMemRef, "", [MemRead]>:$lhs,
                   Arg<AnyMemRef, "", [MemRead]>:$rhs,
                   Arg<AnyMemRef, "", [MemWrite]>:$dst);
  let assemblyFormat = [{
    $lhs `,` $rhs `,` $dst attr-dict `:` type($lhs) `,` type($rhs) `,` type($dst)
  }];
}
def Npu_VecAddOp : Npu_VecBinaryOp<"add", "+">;
def Npu_VecSubOp : Npu_VecBinaryOp<"sub", "-">;
def Npu_VecMulOp : Npu_VecBinaryOp<"mul", "*">;
def Npu_VecDivOp : Npu_VecBinaryOp<"div", "/">;
def Npu_VecMaxOp : Npu_VecBinaryOp<"max", "max">;
def Npu_VecMinOp : Npu_VecBinaryOp<"min", "min">;
def Npu_VecCmpGeOp : Npu_VecBinaryOp<"cmpge", ">= (1 or 0)">;
def Npu_VecCmpGtOp : Npu_VecBinaryOp<"cmpgt", "> (1 or 0)">;

class Npu_VecUnaryOp<string mnemonic, string what>
    : Npu_VecOp<mnemonic, [AllShapesMatch<["src", "dst"]>,
                           AllElementTypesMatch<["src", "dst"]>]> {
  let summary = "elementwise " # what # " on the vector unit";
  let description = "`dst = " # what # "(src)`, elementwise.";
  let arguments = (ins Arg<AnyMemRef, "", [MemRead]>:$src,
                   Arg<AnyMemRef, "", [MemWrite]>:$dst);
  let assemblyFormat = "$src `,` $dst attr-dict `:` type($src) `,` type($dst)";
}
def Npu_VecExpOp : Npu_VecUnaryOp<"exp", "exp">;
def Npu_VecLnOp : Npu_VecUnaryOp<"ln", "ln">;
def Npu_VecAbsOp : Npu_VecUnaryOp<"abs", "abs">;
def Npu_VecSqrtOp : Npu_VecUnaryOp<"sqrt", "sqrt">;
def Npu_VecRecOp : Npu_VecUnaryOp<"rec", "1 /">;
def Npu_VecReluOp : Npu_VecUnaryOp<"relu", "relu">;

class Npu_VecScalarOp<string mnemonic, string what>
    : Npu_VecOp<mnemonic, [AllShapesMatch<["src", "dst"]>,
                           AllElementTypesMatch<["src", "dst"]>]> {
  let summary = "elementwise " # what # " with a scalar on the vector unit";
  let description = "`dst = src " # what # " scalar`; the scalar has the "
                    # "element type.";
  let arguments = (ins Arg<AnyMemRef, "", [MemRead]>:$src,
                   AnyTypeOf<[AnyFloat, AnySignlessInteger]>:$scalar,
                   Arg<AnyMemRef, "", [MemWrite]>:$dst);
  let assemblyFormat = [{
    $src `,` $scalar `,` $dst attr-dict `:` type($src) `,` type($dst) `,` type($scalar)
  }];
  let hasVerifier = 1;
}
def Npu_VecAddsOp : Npu_VecScalarOp<"adds", "+">;
def Npu_VecMulsOp : Npu_VecScalarOp<"muls", "*">;
def Npu_VecMaxsOp : Npu_VecScalarOp<"maxs", "max">;

class Npu_VecReduceOp<string mnemonic, string what> : Npu_VecOp<mnemonic> {
  let summary = "row " # what # " on the vector unit";
  let description = [{
    Reduces the last dimension: `dst` has the shape of `src` with the last
    dimension 1.
  }];
  let arguments = (ins Arg<AnyMemRef, "", [MemRead]>:$src,
                   Arg<AnyMemRef, "", [MemWrite]>:$dst);
  let assemblyFormat = "$src `,` $dst attr-dict `:` type($src) `,` type($dst)";
  let hasVerifier = 1;
}
def Npu_VecReduceSumOp : Npu_VecReduceOp<"reduce_sum", "sum">;
def Npu_VecReduceMaxOp : Npu_VecReduceOp<"reduce_max", "max">;

def Npu_VecCastOp : Npu_VecOp<"cast"> {
  let summary = "element type conversion on the vector unit";
  let description = [{
    ```mlir
    npu.vec.cast %a, %b : memref<128xf32, #npu.mem<ub>>, memref<128xf16, #npu.mem<ub>>
    ```
  }];
  let arguments = (ins Arg<AnyMemRef, "", [MemRead]>:$src,
                   Arg<AnyMemRef, "", [MemWrite]>:$dst);
  let assemblyFormat = "$src `,` $dst attr-dict `:` type($src) `,` type($dst)";
  let hasVerifier = 1;
}

def Npu_VecDupOp : Npu_VecOp<"dup"> {
  let summary = "fill a buffer with a scalar";
  let description = [{
    ```mlir
    npu.vec.dup %zero, %b : f32, memref<128xf32, #npu.mem<ub>>
    ```
  }];
  let arguments = (ins AnyTypeOf<[AnyFloat, AnySignlessInteger]>:$scalar,
                   Arg<AnyMemRef, "", [MemWrite]>:$dst);
  let assemblyFormat = "$scalar `,` $dst attr-dict `:` type($scalar) `,` type($dst)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Scalar unit: values known only when the program runs.
//===----------------------------------------------------------------------===//

def Npu_ScalarLoadOp : Npu_Op<"sload"> {
  let summary = "one element of global memory or the unified buffer into a register";
  let description = [{
    The scalar unit reads one integer (or integral float) element; the
    result is a scalar register that views may take as a run-time offset
    (`memref.subview` with a dynamic offset) and `npu.when` as a predicate.
    Index arithmetic on it (`arith.addi`, `arith.subi`, `arith.muli`) runs
    on the scalar unit too.

    ```mlir
    %row = npu.sload %pos : memref<1xi32, strided<[1], offset: 3>, #npu.mem<gm>>
    ```
  }];
  let arguments = (ins Arg<AnyMemRef, "", [MemRead]>:$src);
  let results = (outs Index:$result);
  let assemblyFormat = "$src attr-dict `:` type($src)";
  let hasVerifier = 1;
}

def Npu_WhenOp : Npu_Op<"when", [SingleBlock, NoTerminator,
                                   RecursiveMemoryEffects]> {
  let summary = "run the DMA, cube and vector ops of the body if a register is positive";
  let description = [{
    Each DMA, mmad and vector op of the body is predicated on `predicate`
    > 0: when it is not, the op issues and does nothing. Flags that
    `moe-npu-insert-sync` places in the body run either way, so the
    synchronisation is the same on both paths. An expert's rows that no
    token chose cost an issue slot per instruction, not the work.

    ```mlir
    npu.when %rows {
      npu.dma %a, %b : memref<16x64xf16, #npu.mem<gm>>, memref<16x64xf16, #npu.mem<ub>>
    }
    ```
  }];
  let arguments = (ins Index:$predicate);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$predicate $body attr-dict";
}

//===----------------------------------------------------------------------===//
// Synchronisation: no declared effects, so nothing moves across them.
//===----------------------------------------------------------------------===//

class Npu_FlagOp<string mnemonic, string what> : Npu_Op<mnemonic> {
  let summary = what # " a hardware event between two pipes";
  let description = [{
    `npu.set_flag` on pipe `from` signals event `event` when that pipe's
    earlier work is done; `npu.wait_flag` stalls pipe `to` until it is.
    Events number from 0 to the target's `event_ids` - 1 (8 without a
    target).

    ```mlir
    npu.set_flag mte2 -> cube, 0
    npu.wait_flag mte2 -> cube, 0
    ```
  }];
  let arguments = (ins Npu_PipeAttr:$from, Npu_PipeAttr:$to,
                   ConfinedAttr<I64Attr, [IntNonNegative]>:$event);
  let assemblyFormat = "$from `->` $to `,` $event attr-dict";
  let hasVerifier = 1;
}
def Npu_SetFlagOp : Npu_FlagOp<"set_flag", "signal">;
def Npu_WaitFlagOp : Npu_FlagOp<"wait_flag", "wait for">;

def Npu_BarrierOp : Npu_Op<"barrier"> {
  let summary = "wait until a pipe (or every pipe) is idle";
  let description = [{
    ```mlir
    npu.barrier all
    ```
  }];
  let arguments = (ins Npu_PipeAttr:$pipe);
  let assemblyFormat = "$pipe attr-dict";
  let hasCanonicalizer = 1;
}

#endif // MOE_DIALECT_NPU_NPUOPS_TD
