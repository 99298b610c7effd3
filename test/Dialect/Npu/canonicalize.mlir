// RUN: moe-opt %s -canonicalize | FileCheck %s

// CHECK-LABEL: func @repeated_barrier
// CHECK-NEXT: npu.barrier vector
// CHECK-NEXT: return
func.func @repeated_barrier() {
  npu.barrier vector
  npu.barrier vector
  return
}

// CHECK-LABEL: func @all_subsumes
// CHECK-NEXT: npu.barrier all
// CHECK-NEXT: return
func.func @all_subsumes() {
  npu.barrier cube
  npu.barrier all
  npu.barrier mte2
  return
}

// Different pipes, or work in between: both stay.
// CHECK-LABEL: func @kept
// CHECK-NEXT: npu.barrier cube
// CHECK-NEXT: npu.barrier vector
// CHECK-NEXT: npu.vec.exp
// CHECK-NEXT: npu.barrier vector
func.func @kept(%a: memref<128xf32, #npu.mem<ub>>) {
  npu.barrier cube
  npu.barrier vector
  npu.vec.exp %a, %a : memref<128xf32, #npu.mem<ub>>, memref<128xf32, #npu.mem<ub>>
  npu.barrier vector
  return
}

// Flags are never merged or dropped.
// CHECK-LABEL: func @flags_kept
// CHECK-NEXT: npu.set_flag mte2 -> cube, 0
// CHECK-NEXT: npu.wait_flag mte2 -> cube, 0
func.func @flags_kept() {
  npu.set_flag mte2 -> cube, 0
  npu.wait_flag mte2 -> cube, 0
  return
}
