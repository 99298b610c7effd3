// RUN: moe-opt %s --split-input-file --pass-pipeline='builtin.module(moe-attach-target{target=npu-910b-like},func.func(moe-npu-insert-sync))' | FileCheck %s
// One event id only: two flags of one pipe pair pending at once cannot be.
// RUN: rm -rf %t && mkdir -p %t
// RUN: moe-compile --target=npu-910b-like --print-target-description > %t/910b.json
// RUN: %python %S/Inputs/edit_target.py %t/910b.json %t/one-event.json event_ids=1
// RUN: not moe-opt %s --split-input-file --pass-pipeline='builtin.module(moe-attach-target{target=%t/one-event.json},func.func(moe-npu-insert-sync))' 2>&1 | FileCheck %s --check-prefix=ONE

// Each hand-off between pipes gets one flag; the output overwrites the
// input that MTE2 read, but the chain mte2 -> mte1 -> cube -> fixpipe
// already orders that: no mte2 -> fixpipe flag.
// CHECK-LABEL: func.func @chain
// CHECK: npu.dma %{{.*}}, %{{.*}} {layout = #npu.layout<nd_to_nz>}
// CHECK-NEXT: npu.set_flag mte2 -> mte1, 0
// CHECK-NEXT: npu.wait_flag mte2 -> mte1, 0
// CHECK-NEXT: npu.dma {{.*}} #npu.mem<l0a>>
// CHECK-NEXT: npu.dma {{.*}} #npu.mem<l0b>>
// CHECK-NEXT: npu.set_flag mte1 -> cube, 0
// CHECK-NEXT: npu.wait_flag mte1 -> cube, 0
// CHECK-NEXT: npu.mmad
// CHECK-NEXT: npu.set_flag cube -> fixpipe, 0
// CHECK-NEXT: npu.wait_flag cube -> fixpipe, 0
// CHECK-NEXT: npu.dma
// CHECK-NOT: flag
// CHECK: return
func.func @chain(%a: memref<32x32xf16, #npu.mem<gm>>) {
  %l1 = memref.alloc() : memref<524288xi8, #npu.mem<l1>>
  %l0a = memref.alloc() : memref<65536xi8, #npu.mem<l0a>>
  %l0b = memref.alloc() : memref<65536xi8, #npu.mem<l0b>>
  %l0c = memref.alloc() : memref<131072xi8, #npu.mem<l0c>>
  %c0 = arith.constant 0 : index
  %nz = memref.view %l1[%c0][] : memref<524288xi8, #npu.mem<l1>> to memref<2x2x16x16xf16, #npu.mem<l1>>
  %x = memref.view %l0a[%c0][] : memref<65536xi8, #npu.mem<l0a>> to memref<32x32xf16, #npu.mem<l0a>>
  %y = memref.view %l0b[%c0][] : memref<65536xi8, #npu.mem<l0b>> to memref<32x32xf16, #npu.mem<l0b>>
  %acc = memref.view %l0c[%c0][] : memref<131072xi8, #npu.mem<l0c>> to memref<32x32xf32, #npu.mem<l0c>>
  npu.dma %a, %nz {layout = #npu.layout<nd_to_nz>} : memref<32x32xf16, #npu.mem<gm>>, memref<2x2x16x16xf16, #npu.mem<l1>>
  npu.dma %nz, %x {layout = #npu.layout<nz_to_nd>} : memref<2x2x16x16xf16, #npu.mem<l1>>, memref<32x32xf16, #npu.mem<l0a>>
  npu.dma %nz, %y {layout = #npu.layout<nz_to_nd>} : memref<2x2x16x16xf16, #npu.mem<l1>>, memref<32x32xf16, #npu.mem<l0b>>
  npu.mmad %x, %y, %acc : memref<32x32xf16, #npu.mem<l0a>>, memref<32x32xf16, #npu.mem<l0b>>, memref<32x32xf32, #npu.mem<l0c>>
  npu.dma %acc, %a : memref<32x32xf32, #npu.mem<l0c>>, memref<32x32xf16, #npu.mem<gm>>
  return
}

// -----

// Two L1 slots used in turn: the third load (slot 0 again) waits for MTE1
// to have read slot 0 (the set sits right after that read), the second
// load (slot 1) waits for nothing; MTE1's second read waits for the second
// load with a second event, the first flag being still pending.
// CHECK-LABEL: func.func @double_buffer
// CHECK: npu.dma %{{.*}}, %[[S0:.*]] : memref<16x16xf16, strided<[16, 1]>, #npu.mem<gm>>
// CHECK-NEXT: npu.set_flag mte2 -> mte1, 0
// CHECK-NOT: wait_flag
// CHECK: npu.dma %{{.*}}, %[[S1:.*]] : memref<16x16xf16, strided<[16, 1], offset: 256>, #npu.mem<gm>>
// CHECK-NEXT: npu.set_flag mte2 -> mte1, 1
// CHECK-NEXT: npu.wait_flag mte2 -> mte1, 0
// CHECK-NEXT: npu.dma %[[S0]]
// CHECK-NEXT: npu.set_flag mte1 -> mte2, 0
// CHECK-NEXT: npu.wait_flag mte2 -> mte1, 1
// CHECK-NEXT: npu.dma %[[S1]]
// CHECK-NEXT: npu.wait_flag mte1 -> mte2, 0
// CHECK-NEXT: npu.dma %{{.*}}, %[[S0]]
// CHECK-NEXT: npu.set_flag mte2 -> mte1, 0
// CHECK-NEXT: npu.wait_flag mte2 -> mte1, 0
// CHECK-NEXT: npu.dma %[[S0]]
// CHECK-NOT: flag
// ONE: error: more than 1 flags from mte2 to mte1 would be pending at once
func.func @double_buffer(%a: memref<48x16xf16, #npu.mem<gm>>) {
  %l1 = memref.alloc() : memref<524288xi8, #npu.mem<l1>>
  %l0a = memref.alloc() : memref<65536xi8, #npu.mem<l0a>>
  %c0 = arith.constant 0 : index
  %c512 = arith.constant 512 : index
  %s0 = memref.view %l1[%c0][] : memref<524288xi8, #npu.mem<l1>> to memref<16x16xf16, #npu.mem<l1>>
  %s1 = memref.view %l1[%c512][] : memref<524288xi8, #npu.mem<l1>> to memref<16x16xf16, #npu.mem<l1>>
  %t0 = memref.view %l0a[%c0][] : memref<65536xi8, #npu.mem<l0a>> to memref<16x16xf16, #npu.mem<l0a>>
  %t1 = memref.view %l0a[%c512][] : memref<65536xi8, #npu.mem<l0a>> to memref<16x16xf16, #npu.mem<l0a>>
  %a0 = memref.subview %a[0, 0] [16, 16] [1, 1] : memref<48x16xf16, #npu.mem<gm>> to memref<16x16xf16, strided<[16, 1]>, #npu.mem<gm>>
  %a1 = memref.subview %a[16, 0] [16, 16] [1, 1] : memref<48x16xf16, #npu.mem<gm>> to memref<16x16xf16, strided<[16, 1], offset: 256>, #npu.mem<gm>>
  %a2 = memref.subview %a[32, 0] [16, 16] [1, 1] : memref<48x16xf16, #npu.mem<gm>> to memref<16x16xf16, strided<[16, 1], offset: 512>, #npu.mem<gm>>
  npu.dma %a0, %s0 : memref<16x16xf16, strided<[16, 1]>, #npu.mem<gm>>, memref<16x16xf16, #npu.mem<l1>>
  npu.dma %a1, %s1 : memref<16x16xf16, strided<[16, 1], offset: 256>, #npu.mem<gm>>, memref<16x16xf16, #npu.mem<l1>>
  npu.dma %s0, %t0 : memref<16x16xf16, #npu.mem<l1>>, memref<16x16xf16, #npu.mem<l0a>>
  npu.dma %s1, %t1 : memref<16x16xf16, #npu.mem<l1>>, memref<16x16xf16, #npu.mem<l0a>>
  npu.dma %a2, %s0 : memref<16x16xf16, strided<[16, 1], offset: 512>, #npu.mem<gm>>, memref<16x16xf16, #npu.mem<l1>>
  npu.dma %s0, %t0 : memref<16x16xf16, #npu.mem<l1>>, memref<16x16xf16, #npu.mem<l0a>>
  return
}

// -----

// The scalar unit reads a row that MTE3 wrote: a flag mte3 -> scalar before
// the load. The DMA to that run-time row may write any row of %rows (sync
// insertion cannot know which), so MTE2's later read of %rows waits for it;
// the flag is set inside the npu.when, where it runs whatever the predicate.
// CHECK-LABEL: func.func @runtime_row
// CHECK: npu.vec.dup
// CHECK-NEXT: npu.set_flag vector -> mte3, 0
// CHECK-NEXT: npu.wait_flag vector -> mte3, 0
// CHECK-NEXT: npu.dma
// CHECK-NEXT: npu.set_flag mte3 -> scalar, 0
// CHECK-NEXT: npu.wait_flag mte3 -> scalar, 0
// CHECK-NEXT: %[[ROW:.*]] = npu.sload
// CHECK: npu.when %[[ROW]] {
// CHECK-NEXT: npu.dma
// CHECK-NEXT: npu.set_flag mte3 -> mte2, 0
// CHECK-NEXT: }
// CHECK-NEXT: npu.wait_flag mte3 -> mte2, 0
// CHECK-NEXT: npu.dma
// CHECK-NOT: flag
// CHECK: return
func.func @runtime_row(%idx: memref<16xi32, #npu.mem<gm>>, %rows: memref<64x16xf32, #npu.mem<gm>>) {
  %ub = memref.alloc() : memref<196608xi8, #npu.mem<ub>>
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  %c1024 = arith.constant 1024 : index
  %k = arith.constant 5 : i32
  %v = memref.view %ub[%c0][] : memref<196608xi8, #npu.mem<ub>> to memref<16xi32, #npu.mem<ub>>
  %r = memref.view %ub[%c64][] : memref<196608xi8, #npu.mem<ub>> to memref<1x16xf32, #npu.mem<ub>>
  %l = memref.view %ub[%c1024][] : memref<196608xi8, #npu.mem<ub>> to memref<16x16xf32, #npu.mem<ub>>
  %one = memref.subview %idx[3] [1] [1] : memref<16xi32, #npu.mem<gm>> to memref<1xi32, strided<[1], offset: 3>, #npu.mem<gm>>
  %first = memref.subview %rows[0, 0] [16, 16] [1, 1] : memref<64x16xf32, #npu.mem<gm>> to memref<16x16xf32, strided<[16, 1]>, #npu.mem<gm>>
  npu.vec.dup %k, %v : i32, memref<16xi32, #npu.mem<ub>>
  npu.dma %v, %idx : memref<16xi32, #npu.mem<ub>>, memref<16xi32, #npu.mem<gm>>
  %row = npu.sload %one : memref<1xi32, strided<[1], offset: 3>, #npu.mem<gm>>
  %dst = memref.subview %rows[%row, 0] [1, 16] [1, 1] : memref<64x16xf32, #npu.mem<gm>> to memref<1x16xf32, strided<[16, 1], offset: ?>, #npu.mem<gm>>
  npu.when %row {
    npu.dma %r, %dst : memref<1x16xf32, #npu.mem<ub>>, memref<1x16xf32, strided<[16, 1], offset: ?>, #npu.mem<gm>>
  }
  npu.dma %first, %l : memref<16x16xf32, strided<[16, 1]>, #npu.mem<gm>>, memref<16x16xf32, #npu.mem<ub>>
  return
}

// -----

// Two UB slots loaded and read in turn. With one event, the flag before the
// fourth load cannot wait for v2 (the event is still in flight for the
// third load), so it waits for the vector unit's latest op, v3, which
// covers v2.
// ONE-LABEL: func.func @events_in_flight
// ONE: npu.wait_flag vector -> mte2, 0
// ONE-NEXT: npu.dma
// ONE: npu.vec.abs
// ONE-NEXT: npu.set_flag vector -> mte2, 0
// ONE-NEXT: npu.wait_flag vector -> mte2, 0
// ONE-NEXT: npu.dma
// ONE-NEXT: return
func.func @events_in_flight(%a: memref<4x64xf32, #npu.mem<gm>>) {
  %ub = memref.alloc() : memref<196608xi8, #npu.mem<ub>>
  %c0 = arith.constant 0 : index
  %c256 = arith.constant 256 : index
  %c1024 = arith.constant 1024 : index
  %s0 = memref.view %ub[%c0][] : memref<196608xi8, #npu.mem<ub>> to memref<64xf32, #npu.mem<ub>>
  %s1 = memref.view %ub[%c256][] : memref<196608xi8, #npu.mem<ub>> to memref<64xf32, #npu.mem<ub>>
  %d = memref.view %ub[%c1024][] : memref<196608xi8, #npu.mem<ub>> to memref<64xf32, #npu.mem<ub>>
  %a0 = memref.subview %a[0, 0] [1, 64] [1, 1] : memref<4x64xf32, #npu.mem<gm>> to memref<64xf32, strided<[1]>, #npu.mem<gm>>
  %a1 = memref.subview %a[1, 0] [1, 64] [1, 1] : memref<4x64xf32, #npu.mem<gm>> to memref<64xf32, strided<[1], offset: 64>, #npu.mem<gm>>
  %a2 = memref.subview %a[2, 0] [1, 64] [1, 1] : memref<4x64xf32, #npu.mem<gm>> to memref<64xf32, strided<[1], offset: 128>, #npu.mem<gm>>
  %a3 = memref.subview %a[3, 0] [1, 64] [1, 1] : memref<4x64xf32, #npu.mem<gm>> to memref<64xf32, strided<[1], offset: 192>, #npu.mem<gm>>
  npu.dma %a0, %s0 : memref<64xf32, strided<[1]>, #npu.mem<gm>>, memref<64xf32, #npu.mem<ub>>
  npu.vec.abs %s0, %d : memref<64xf32, #npu.mem<ub>>, memref<64xf32, #npu.mem<ub>>
  npu.dma %a1, %s1 : memref<64xf32, strided<[1], offset: 64>, #npu.mem<gm>>, memref<64xf32, #npu.mem<ub>>
  npu.vec.abs %s1, %d : memref<64xf32, #npu.mem<ub>>, memref<64xf32, #npu.mem<ub>>
  npu.dma %a2, %s0 : memref<64xf32, strided<[1], offset: 128>, #npu.mem<gm>>, memref<64xf32, #npu.mem<ub>>
  npu.vec.abs %s0, %d : memref<64xf32, #npu.mem<ub>>, memref<64xf32, #npu.mem<ub>>
  npu.dma %a3, %s1 : memref<64xf32, strided<[1], offset: 192>, #npu.mem<gm>>, memref<64xf32, #npu.mem<ub>>
  return
}
