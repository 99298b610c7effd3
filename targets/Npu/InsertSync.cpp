//===- InsertSync.cpp - Flags between the pipes of a kernel ---------------===//

#include "moe/Target/Npu/Hazards.h"
#include "moe/Target/Npu/NpuRegions.h"
#include "moe/Target/Passes.h"

#include "mlir/IR/Builders.h"

namespace mlir::moe {
#define GEN_PASS_DEF_MOENPUINSERTSYNC
#include "moe/Target/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;
using namespace mlir::npu;
namespace np = moe_npu;

namespace {

struct PendingFlag {
  np::Pipe from, to;
  int64_t event;
  size_t setAfter, waitBefore; // indices into the kernel's ops
};

struct MoeNpuInsertSyncPass
    : moe::impl::MoeNpuInsertSyncBase<MoeNpuInsertSyncPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    SmallVector<Operation *> ops;
    func.walk([&](Operation *op) {
      if (isa<NpuDialect>(op->getDialect()) && !isa<WhenOp>(op))
        ops.push_back(op);
    });
    if (ops.empty())
      return;
    FailureOr<GmLayout> layout = layoutGlobalMemory(func);
    if (failed(layout))
      return signalPassFailure();
    auto module = func->getParentOfType<ModuleOp>();
    auto target = module ? module->getAttrOfType<TargetAttr>(NpuDialect::kTargetAttrName)
                         : TargetAttr();
    int64_t eventIds = target ? target.getEventIds() : 8;
    std::array<int64_t, np::kNumSpaces> sizes{};
    sizes[int(np::Space::GM)] = layout->bytes;
    for (MemSpace space : {MemSpace::L1, MemSpace::L0A, MemSpace::L0B, MemSpace::L0C,
                           MemSpace::UB})
      sizes[int(space)] = target && target.getBuffer(space)
                              ? target.getBuffer(space).getSize()
                              : int64_t(1) << 20;
    np::HazardTracker hazards(sizes);

    std::array<np::Clock, np::kNumPipes> clocks{};
    // Per pipe, the op index of each of its instructions (seq - 1).
    std::array<std::vector<size_t>, np::kNumPipes> opOfSeq;
    // The clock of an op's pipe right after it: what a flag set there carries.
    std::vector<np::Clock> after(ops.size());
    // Per (from, to, event), the op before which its last wait sits.
    std::vector<int64_t> lastWait(np::kNumPipes * np::kNumPipes * eventIds, -1);
    std::vector<PendingFlag> flags;

    for (size_t i = 0; i < ops.size(); ++i) {
      FailureOr<np::Instr> instr = instrOf(ops[i], *layout);
      if (failed(instr))
        return signalPassFailure();
      if (instr->op == np::Opcode::SetFlag || instr->op == np::Opcode::WaitFlag ||
          instr->op == np::Opcode::Barrier) {
        ops[i]->emitError("already synchronised: moe-npu-insert-sync places every flag");
        return signalPassFailure();
      }
      np::Pipe pipe = np::pipeOf(*instr);
      int q = int(pipe);
      std::array<int64_t, np::kNumPipes> need{};
      forEachAccess(*instr, [&](const np::Region &r, bool write) {
        hazards.check(r, pipe, write, clocks[q], [&](np::Pipe other, int64_t seq, bool, int64_t) {
          need[int(other)] = std::max(need[int(other)], seq);
        });
      });
      // The latest producer first: its clock may already cover the others.
      SmallVector<int> order;
      for (int p = 0; p < np::kNumPipes; ++p)
        if (need[p])
          order.push_back(p);
      llvm::sort(order, [&](int a, int b) {
        return opOfSeq[a][need[a] - 1] > opOfSeq[b][need[b] - 1];
      });
      for (int p : order) {
        if (need[p] <= clocks[q][p])
          continue;
        size_t producer = opOfSeq[p][need[p] - 1];
        int64_t *slot = &lastWait[(p * np::kNumPipes + q) * eventIds];
        auto freeEvent = [&] {
          int64_t event = 0;
          while (event < eventIds && slot[event] > int64_t(producer))
            ++event;
          return event;
        };
        int64_t event = freeEvent();
        if (event == eventIds) {
          // Every event is in flight (a kernel streaming many operands
          // through slots used in turn): wait for the pipe's latest op
          // instead, which covers the one needed and frees the events
          // waited for since.
          producer = opOfSeq[p].back();
          event = freeEvent();
        }
        if (event == eventIds) {
          ops[i]->emitError() << "more than " << eventIds << " flags from "
                              << np::name(np::Pipe(p)) << " to " << np::name(pipe)
                              << " would be pending at once";
          return signalPassFailure();
        }
        slot[event] = int64_t(i);
        flags.push_back({np::Pipe(p), pipe, event, producer, i});
        for (int r = 0; r < np::kNumPipes; ++r)
          clocks[q][r] = std::max(clocks[q][r], after[producer][r]);
      }
      int64_t seq = ++clocks[q][q];
      opOfSeq[q].push_back(i);
      forEachAccess(*instr, [&](const np::Region &r, bool write) {
        hazards.record(r, pipe, write, seq);
      });
      after[i] = clocks[q];
    }

    for (const PendingFlag &flag : flags) {
      OpBuilder b(ops[flag.setAfter]);
      b.setInsertionPointAfter(ops[flag.setAfter]);
      Location loc = ops[flag.setAfter]->getLoc();
      SetFlagOp::create(b, loc, Pipe(int(flag.from)), Pipe(int(flag.to)), flag.event);
      b.setInsertionPoint(ops[flag.waitBefore]);
      WaitFlagOp::create(b, ops[flag.waitBefore]->getLoc(), Pipe(int(flag.from)),
                         Pipe(int(flag.to)), flag.event);
    }
  }
};
} // namespace
