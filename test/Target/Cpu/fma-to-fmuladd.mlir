// RUN: moe-opt %s --moe-cpu-fma-to-fmuladd | FileCheck %s

// math.fma becomes llvm.intr.fmuladd, scalar or vector, fast-math flags
// kept: LLVM fuses it only where the target CPU has FMA units.
// CHECK-LABEL: func @fmas
// CHECK: llvm.intr.fmuladd(%{{.*}}, %{{.*}}, %{{.*}}) : (vector<16xf32>, vector<16xf32>, vector<16xf32>) -> vector<16xf32>
// CHECK: llvm.intr.fmuladd(%{{.*}}, %{{.*}}, %{{.*}}) {fastmathFlags = #llvm.fastmath<contract>} : (f32, f32, f32) -> f32
// CHECK-NOT: math.fma
func.func @fmas(%a: vector<16xf32>, %b: vector<16xf32>, %c: vector<16xf32>, %x: f32) -> (vector<16xf32>, f32) {
  %v = math.fma %a, %b, %c : vector<16xf32>
  %s = math.fma %x, %x, %x fastmath<contract> : f32
  return %v, %s : vector<16xf32>, f32
}
