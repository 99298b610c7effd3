//===- VectorKernel.cpp - Elementwise ops and row reductions on the vector unit

#include "NpuKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"

#include <cmath>

using namespace mlir;
using namespace mlir::npu;

namespace {

int64_t alignTo(int64_t x, int64_t a) { return (x + a - 1) / a * a; }

/// How one operand of the generic sits in the iteration space: for each
/// loop, the operand dim it indexes (-1: broadcast along that loop).
struct OperandMap {
  SmallVector<int> dimOf;
  SmallVector<bool> zeroDims; // operand dims indexed by the constant 0
};

FailureOr<OperandMap> readMap(AffineMap map, unsigned loops) {
  OperandMap m;
  m.dimOf.assign(loops, -1);
  int last = -1;
  for (auto [pos, expr] : llvm::enumerate(map.getResults())) {
    if (auto dim = dyn_cast<AffineDimExpr>(expr)) {
      // Dims in order: a transposing map needs a copy the vector unit lacks.
      if (int(dim.getPosition()) <= last)
        return failure();
      last = dim.getPosition();
      m.dimOf[dim.getPosition()] = pos;
      m.zeroDims.push_back(false);
    } else if (auto c = dyn_cast<AffineConstantExpr>(expr); c && c.getValue() == 0) {
      m.zeroDims.push_back(true);
    } else {
      return failure();
    }
  }
  return m;
}

/// One chunk of rows: the body of the generic as vector instructions over
/// [rows, cols] views in the unified buffer.
class ChunkEmitter {
public:
  ChunkEmitter(OpBuilder &b, Location loc, Buffers &buffers, int64_t base)
      : b(b), loc(loc), buffers(buffers), next(base) {}

  /// A fresh dense [shape] buffer of `type` in this chunk's slot.
  Value temp(ArrayRef<int64_t> shape, Type type) {
    int64_t bytes = type.getIntOrFloatBitWidth() / 8;
    for (int64_t d : shape)
      bytes *= d;
    Value v = buffers.view(MemSpace::UB, next, shape, type);
    next += alignTo(bytes, 32);
    return v;
  }
  int64_t end() const { return next; }

  Value scalar(Type type, double value) {
    return arith::ConstantOp::create(b, loc, type, b.getFloatAttr(type, value));
  }

private:
  OpBuilder &b;
  Location loc;
  Buffers &buffers;
  int64_t next;
};

} // namespace

LogicalResult mlir::npu::emitVectorGeneric(OpBuilder &b, Buffers &buffers,
                                           linalg::GenericOp op, ArrayRef<Value> inputs,
                                           Value output) {
  Location loc = op.getLoc();
  TargetAttr target = buffers.getTarget();
  SmallVector<int64_t> loops = op.getStaticLoopRanges();
  unsigned n = loops.size();
  if (n == 0 || llvm::any_of(loops, ShapedType::isDynamic))
    return op.emitError() << nodeOf(op) << "the NPU needs static loop bounds";
  auto iterators = op.getIteratorTypesArray();
  bool reduce = iterators.back() == utils::IteratorType::reduction;
  for (unsigned i = 0; i + 1 < n; ++i)
    if (iterators[i] != utils::IteratorType::parallel)
      return op.emitError() << nodeOf(op)
                            << "the vector unit reduces the innermost dim only";
  SmallVector<OperandMap> maps;
  for (AffineMap map : op.getIndexingMapsArray()) {
    FailureOr<OperandMap> m = readMap(map, n);
    if (failed(m))
      return op.emitError() << nodeOf(op)
                            << "an operand indexed out of loop order (a transpose) has "
                               "no NPU lowering yet";
    maps.push_back(*m);
  }
  const OperandMap &outMap = maps.back();
  if (reduce ? outMap.dimOf[n - 1] >= 0
             : llvm::any_of(outMap.dimOf, [](int d) { return d < 0; }))
    return op.emitError() << nodeOf(op) << "an output that skips a parallel dim";

  // The reduction's combiner and what it combines.
  Block &body = op.getRegion().front();
  Value outArg = body.getArguments().back();
  Operation *combiner = nullptr;
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (reduce) {
    combiner = yield.getOperand(0).getDefiningOp();
    if (!combiner || !isa<arith::AddFOp, arith::MaximumFOp, arith::MaxNumFOp>(combiner) ||
        !llvm::is_contained(combiner->getOperands(), outArg))
      return op.emitError() << nodeOf(op)
                            << "the vector unit reduces with a sum or a max only";
    auto fill = op.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
    FloatAttr init;
    bool identity = fill && matchPattern(fill.value(), m_Constant(&init)) &&
                    (isa<arith::AddFOp>(combiner) ? init.getValueAsDouble() == 0.0
                                                  : init.getValueAsDouble() <= -65504.0);
    if (!identity)
      return op.emitError() << nodeOf(op)
                            << "a reduction must start from its identity (0 or -inf)";
  } else if (llvm::any_of(outArg.getUsers(), [](Operation *) { return true; })) {
    return op.emitError() << nodeOf(op) << "an elementwise body that reads its output";
  }

  // Rows are the loop before the innermost; the loops before it are
  // unrolled one index at a time.
  int64_t cols = loops[n - 1];
  int64_t rows = n >= 2 ? loops[n - 2] : 1;
  int64_t widest = 4;
  int64_t limit = target.getMaxRepeats() * target.getVectorBytes();
  if (cols * widest > limit)
    return op.emitError() << nodeOf(op) << "rows of " << cols
                          << " elements exceed one vector instruction of "
                          << target.getName() << " (split rows not yet)";
  // The bytes one row of a chunk takes: inputs, every body value, output.
  auto bytesFor = [&](int64_t rc) {
    int64_t total = 0;
    for (auto [i, v] : llvm::enumerate(inputs)) {
      int64_t r = n >= 2 && maps[i].dimOf[n - 2] >= 0 ? rc : 1;
      int64_t c = maps[i].dimOf[n - 1] >= 0 ? cols : 1;
      total += alignTo(r * c * cast<MemRefType>(v.getType()).getElementTypeBitWidth() / 8, 32);
    }
    // Each body value, and a constant side a comparison fills in.
    for (Operation &inner : body.without_terminator()) {
      if (inner.getNumResults() != 1 || isa<arith::ConstantOp>(inner))
        continue;
      bool compare = isa<arith::CmpFOp>(inner);
      Type t = compare ? inner.getOperand(0).getType() : inner.getResult(0).getType();
      if (!t.isIntOrFloat())
        continue;
      total += alignTo(rc * cols * t.getIntOrFloatBitWidth() / 8, 32) * (compare ? 2 : 1) +
               alignTo(rc * 4, 32);
    }
    total += alignTo(rc * cols * 4, 32);
    return total;
  };
  int64_t ubBytes = buffers.size(MemSpace::UB);
  int64_t rc = std::min(rows, limit / (cols * widest));
  while (rc > 1 && 2 * bytesFor(rc) > ubBytes)
    --rc;
  if (2 * bytesFor(rc) > ubBytes)
    return op.emitError() << nodeOf(op) << "one row does not fit the unified buffer twice";
  int64_t slotBytes = alignTo(bytesFor(rc), 32);

  auto sub = [&](Value v, ArrayRef<int64_t> offsets, ArrayRef<int64_t> sizes) {
    SmallVector<int64_t> ones(sizes.size(), 1);
    return memref::SubViewOp::create(b, loc, v, offsets, sizes, ones).getResult();
  };
  // The operand's part of one chunk: its offsets and sizes per dim.
  auto chunkOf = [&](const OperandMap &m, ArrayRef<int64_t> outer, int64_t r0, int64_t rcc,
                     SmallVector<int64_t> &offsets, SmallVector<int64_t> &sizes) {
    offsets.assign(m.zeroDims.size(), 0);
    sizes.assign(m.zeroDims.size(), 1);
    for (unsigned d = 0; d < n; ++d) {
      int p = m.dimOf[d];
      if (p < 0)
        continue;
      if (d == n - 1) {
        sizes[p] = cols;
      } else if (d == n - 2) {
        offsets[p] = r0;
        sizes[p] = rcc;
      } else {
        offsets[p] = outer[d];
      }
    }
  };

  SmallVector<int64_t> outer(n >= 2 ? n - 2 : 0, 0);
  int64_t chunk = 0;
  while (true) {
    for (int64_t r0 = 0; r0 < rows; r0 += rc) {
      int64_t rcc = std::min(rc, rows - r0);
      ChunkEmitter emit(b, loc, buffers, (chunk++ % 2) * slotBytes);
      IRMapping values; // body values -> [rcc, cols] (or [rcc, 1]) views
      DenseSet<Value> rounded; // values already rounded to integers
      DenseMap<Value, double> constants;
      for (auto [i, v] : llvm::enumerate(inputs)) {
        SmallVector<int64_t> offsets, sizes;
        chunkOf(maps[i], outer, r0, rcc, offsets, sizes);
        Type element = cast<MemRefType>(v.getType()).getElementType();
        Value loaded = emit.temp(sizes, element);
        DmaOp::create(b, loc, sub(v, offsets, sizes), loaded, DmaLayout::None);
        bool alongRows = n >= 2 && maps[i].dimOf[n - 2] >= 0;
        bool alongCols = maps[i].dimOf[n - 1] >= 0;
        values.map(body.getArgument(i),
                   buffers.restride(loaded, {rcc, cols},
                                    {alongRows ? (alongCols ? cols : 1) : 0, alongCols ? 1 : 0}));
      }
      auto viewOf = [&](Value v) -> Value { return values.lookupOrNull(v); };
      auto constOf = [&](Value v) -> std::optional<double> {
        FloatAttr attr;
        if (matchPattern(v, m_Constant(&attr)))
          return attr.getValueAsDouble();
        return std::nullopt;
      };
      for (Operation &inner : body.without_terminator()) {
        if (&inner == combiner)
          continue;
        if (isa<arith::ConstantOp>(inner))
          continue;
        if (inner.getNumResults() != 1)
          return inner.emitError() << nodeOf(op) << "'" << inner.getName()
                                   << "' has no vector-unit form";
        // Rounding to the nearest even is what the unit's float-to-integer
        // cast does: the value passes through, the cast after it rounds.
        if (isa<math::RoundEvenOp>(inner)) {
          Value v = viewOf(inner.getOperand(0));
          if (!v)
            return inner.emitError() << nodeOf(op) << "rounds a value the vector unit lacks";
          values.map(inner.getResult(0), v);
          rounded.insert(inner.getResult(0));
          continue;
        }
        // A comparison's mask is a float of its operands' type (1 or 0).
        Type type = isa<arith::CmpFOp>(inner) ? inner.getOperand(0).getType()
                                              : inner.getResult(0).getType();
        bool toInt = isa<arith::FPToSIOp>(inner);
        if (!type.isIntOrFloat() || (!isa<FloatType>(type) && !toInt))
          return inner.emitError() << nodeOf(op) << "'" << inner.getName()
                                   << "' of " << type << " has no vector-unit form";
        if (toInt && !rounded.contains(inner.getOperand(0)))
          return inner.emitError() << nodeOf(op)
                                   << "a float-to-integer conversion the vector unit would "
                                      "round (it truncates): round to even first";
        Value dst = emit.temp({rcc, cols}, type);
        Value x = inner.getNumOperands() > 0 ? viewOf(inner.getOperand(0)) : Value();
        Value y = inner.getNumOperands() > 1 ? viewOf(inner.getOperand(1)) : Value();
        std::optional<double> cx = inner.getNumOperands() > 0 ? constOf(inner.getOperand(0))
                                                              : std::nullopt;
        std::optional<double> cy = inner.getNumOperands() > 1 ? constOf(inner.getOperand(1))
                                                              : std::nullopt;
        auto s = [&](double value) { return emit.scalar(type, value); };
        bool ok = true;
        auto binary = [&](auto tag, auto withScalar) {
          using Op = decltype(tag);
          if (x && y)
            Op::create(b, loc, x, y, dst);
          else
            ok = withScalar();
        };
        TypeSwitch<Operation *>(&inner)
            .Case([&](arith::AddFOp) {
              binary(VecAddOp(), [&] {
                if (x && cy) return VecAddsOp::create(b, loc, x, s(*cy), dst), true;
                if (y && cx) return VecAddsOp::create(b, loc, y, s(*cx), dst), true;
                return false;
              });
            })
            .Case([&](arith::SubFOp) {
              binary(VecSubOp(), [&] {
                if (x && cy) return VecAddsOp::create(b, loc, x, s(-*cy), dst), true;
                if (y && cx) {
                  VecMulsOp::create(b, loc, y, s(-1.0), dst);
                  VecAddsOp::create(b, loc, dst, s(*cx), dst);
                  return true;
                }
                return false;
              });
            })
            .Case([&](arith::MulFOp) {
              binary(VecMulOp(), [&] {
                if (x && cy) return VecMulsOp::create(b, loc, x, s(*cy), dst), true;
                if (y && cx) return VecMulsOp::create(b, loc, y, s(*cx), dst), true;
                return false;
              });
            })
            .Case([&](arith::DivFOp) {
              binary(VecDivOp(), [&] {
                if (x && cy) return VecMulsOp::create(b, loc, x, s(1.0 / *cy), dst), true;
                if (y && cx) {
                  VecRecOp::create(b, loc, y, dst);
                  if (*cx != 1.0)
                    VecMulsOp::create(b, loc, dst, s(*cx), dst);
                  return true;
                }
                return false;
              });
            })
            .Case<arith::MaximumFOp, arith::MaxNumFOp>([&](auto) {
              binary(VecMaxOp(), [&] {
                if (x && cy) return VecMaxsOp::create(b, loc, x, s(*cy), dst), true;
                if (y && cx) return VecMaxsOp::create(b, loc, y, s(*cx), dst), true;
                return false;
              });
            })
            .Case<arith::MinimumFOp, arith::MinNumFOp>([&](auto) {
              binary(VecMinOp(), [&] {
                // min(v, c) = -max(-v, -c)
                Value v = x ? x : y;
                std::optional<double> c = x ? cy : cx;
                if (!v || !c)
                  return false;
                VecMulsOp::create(b, loc, v, s(-1.0), dst);
                VecMaxsOp::create(b, loc, dst, s(-*c), dst);
                VecMulsOp::create(b, loc, dst, s(-1.0), dst);
                return true;
              });
            })
            .Case([&](arith::NegFOp) {
              ok = x && (VecMulsOp::create(b, loc, x, s(-1.0), dst), true);
            })
            .Case([&](math::ExpOp) { ok = x && (VecExpOp::create(b, loc, x, dst), true); })
            .Case([&](math::LogOp) { ok = x && (VecLnOp::create(b, loc, x, dst), true); })
            .Case([&](math::SqrtOp) { ok = x && (VecSqrtOp::create(b, loc, x, dst), true); })
            .Case([&](math::AbsFOp) { ok = x && (VecAbsOp::create(b, loc, x, dst), true); })
            .Case([&](math::RsqrtOp) {
              ok = x && (VecSqrtOp::create(b, loc, x, dst), VecRecOp::create(b, loc, dst, dst),
                         true);
            })
            .Case<arith::ExtFOp, arith::TruncFOp, arith::SIToFPOp, arith::FPToSIOp>([&](auto) {
              ok = x && (VecCastOp::create(b, loc, x, dst), true);
            })
            .Case([&](arith::CmpFOp cmp) {
              // Both sides as views (a constant side filled in).
              auto side = [&](Value view, std::optional<double> c) -> Value {
                if (view)
                  return view;
                Value filled = emit.temp({rcc, cols}, type);
                VecDupOp::create(b, loc, s(*c), filled);
                return filled;
              };
              if ((!x && !cx) || (!y && !cy)) {
                ok = false;
                return;
              }
              Value l = side(x, cx), r = side(y, cy);
              using P = arith::CmpFPredicate;
              switch (cmp.getPredicate()) {
              case P::OGE: case P::UGE: VecCmpGeOp::create(b, loc, l, r, dst); break;
              case P::OGT: case P::UGT: VecCmpGtOp::create(b, loc, l, r, dst); break;
              case P::OLE: case P::ULE: VecCmpGeOp::create(b, loc, r, l, dst); break;
              case P::OLT: case P::ULT: VecCmpGtOp::create(b, loc, r, l, dst); break;
              default: ok = false;
              }
            })
            .Case([&](arith::SelectOp) {
              // mask ? a : b = b + mask * (a - b), the mask being 1 or 0.
              Value mask = x;
              Value a = y, bv = inner.getNumOperands() > 2 ? viewOf(inner.getOperand(2)) : Value();
              std::optional<double> ca = cy, cb = constOf(inner.getOperand(2));
              if (!mask || (!a && !ca) || (!bv && !cb)) {
                ok = false;
                return;
              }
              if (a && bv) {
                VecSubOp::create(b, loc, a, bv, dst);
                VecMulOp::create(b, loc, dst, mask, dst);
                VecAddOp::create(b, loc, dst, bv, dst);
              } else if (a) {
                VecAddsOp::create(b, loc, a, s(-*cb), dst);
                VecMulOp::create(b, loc, dst, mask, dst);
                VecAddsOp::create(b, loc, dst, s(*cb), dst);
              } else if (bv) {
                VecMulsOp::create(b, loc, bv, s(-1.0), dst);
                VecAddsOp::create(b, loc, dst, s(*ca), dst);
                VecMulOp::create(b, loc, dst, mask, dst);
                VecAddOp::create(b, loc, dst, bv, dst);
              } else {
                VecMulsOp::create(b, loc, mask, s(*ca - *cb), dst);
                VecAddsOp::create(b, loc, dst, s(*cb), dst);
              }
            })
            .Default([&](Operation *) { ok = false; });
        if (!ok)
          return inner.emitError() << nodeOf(op) << "'" << inner.getName()
                                   << "' on these operands has no vector-unit form yet";
        values.map(inner.getResult(0), dst);
      }

      // What the chunk writes back.
      Value result;
      Value yielded = yield.getOperand(0);
      if (reduce) {
        Value combined = combiner->getOperand(0) == outArg ? combiner->getOperand(1)
                                                            : combiner->getOperand(0);
        Value src = viewOf(combined);
        if (!src)
          return op.emitError() << nodeOf(op) << "reduces a value the vector unit lacks";
        result = emit.temp({rcc, 1}, yielded.getType());
        if (isa<arith::AddFOp>(combiner))
          VecReduceSumOp::create(b, loc, src, result);
        else
          VecReduceMaxOp::create(b, loc, src, result);
      } else {
        result = viewOf(yielded);
        if (!result)
          return op.emitError() << nodeOf(op) << "yields a value the vector unit lacks";
        if (isa<BlockArgument>(yielded)) {
          // A copy with broadcast: materialise it.
          Value dst = emit.temp({rcc, cols}, yielded.getType());
          VecAddsOp::create(b, loc, result, emit.scalar(yielded.getType(), 0.0), dst);
          result = dst;
        }
      }
      SmallVector<int64_t> offsets, sizes;
      chunkOf(outMap, outer, r0, rcc, offsets, sizes);
      Value dense = buffers.restride(result, sizes, packed(sizes));
      DmaOp::create(b, loc, dense, sub(output, offsets, sizes), DmaLayout::None);
      if (emit.end() > ((chunk - 1) % 2 + 1) * slotBytes)
        return op.emitError() << nodeOf(op) << "internal: a chunk outgrew its slot";
    }
    if (!nextIndex(outer, loops))
      break;
  }
  return success();
}
