//===- QuantizeWeights.cpp - Weight-only int8/int4 quantization -----------===//
//
// A matmul of activations by a constant f32 weight B [K, N] (what ONNX
// MatMul/Gemm with an initializer become) turns into moe.qmatmul over the
// quantized transpose W [N, K], so decode reads 1 or 1/2 byte per weight
// instead of 4. Scales are per output channel or per group of K; the
// range is the channel's or group's extremes, optionally clipped where
// that lowers the squared error of the dequantised weights (outliers
// otherwise stretch the step for every other weight).
//
//===----------------------------------------------------------------------===//

#include "LoweringHelpers.h"

#include "moe/Dialect/Moe/MoeOps.h"
#include "moe/Dialect/Npu/NpuOps.h"
#include "moe/Passes/Moe/Passes.h"
#include "moe/Support/ConstantBytes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>

namespace mlir::moe {
#define GEN_PASS_DEF_MOEQUANTIZEWEIGHTS
#include "moe/Passes/Moe/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;
using namespace mlir::moe;

namespace {

/// How one channel or group of weights is stored.
struct Quantized {
  float scale = 1.0f;
  int zeroPoint = 0; // asymmetric only
  double squaredError = 0;
  double maxError = 0;
};

struct Scheme {
  int bits;
  bool symmetric;
  bool clipSearch;
};

/// Quantizes `values` into `q` (one integer each) under `scheme`: the
/// range [lo, hi] of the values, scaled by the clipping ratio that gives
/// the least squared error when searching.
Quantized quantizeGroup(ArrayRef<float> values, const Scheme &scheme, int8_t *q) {
  float lo = 0, hi = 0;
  for (float v : values) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  int levels = (1 << scheme.bits) - 1;
  int qmin = scheme.symmetric ? -(1 << (scheme.bits - 1)) : 0;
  int qmax = scheme.symmetric ? (1 << (scheme.bits - 1)) - 1 : levels;
  auto tryRatio = [&](double ratio, int8_t *out) {
    Quantized result;
    double step;
    if (scheme.symmetric) {
      double amax = std::max(-lo, hi) * ratio;
      step = amax / qmax;
    } else {
      step = (hi - lo) * ratio / levels;
    }
    if (!(step > 0)) // all zeros
      step = 1;
    result.scale = static_cast<float>(step);
    if (!scheme.symmetric)
      result.zeroPoint = static_cast<int>(std::clamp<double>(
          std::nearbyint(static_cast<float>(-lo * ratio) / result.scale), 0, levels));
    for (size_t i = 0; i < values.size(); ++i) {
      // In f32, as the weights and scales are.
      double level = std::nearbyint(values[i] / result.scale) + result.zeroPoint;
      int stored = static_cast<int>(std::clamp<double>(level, qmin, qmax));
      double back = (stored - result.zeroPoint) * double(result.scale);
      result.squaredError += (back - values[i]) * (back - values[i]);
      result.maxError = std::max(result.maxError, std::fabs(back - values[i]));
      if (out)
        out[i] = static_cast<int8_t>(stored);
    }
    return result;
  };
  double best = 1.0;
  if (scheme.clipSearch) {
    double bestError = tryRatio(1.0, nullptr).squaredError;
    for (int step = 1; step <= 20; ++step) {
      double ratio = 1.0 - 0.025 * step;
      double error = tryRatio(ratio, nullptr).squaredError;
      if (error < bestError) {
        bestError = error;
        best = ratio;
      }
    }
  }
  return tryRatio(best, q);
}

/// Whether `value` reaches the scores of a moe.route through shape ops and
/// elementwise generics (the router's logits).
bool feedsRouter(Value value, int depth = 0) {
  if (depth > 4)
    return false;
  for (Operation *user : value.getUsers()) {
    if (isa<RouteOp>(user))
      return true;
    if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp, tensor::CastOp,
            tensor::ReshapeOp, linalg::GenericOp>(user))
      for (Value result : user->getResults())
        if (feedsRouter(result, depth + 1))
          return true;
  }
  return false;
}

/// The f32 values of a constant, row-major.
std::optional<std::vector<float>> floatValues(Value value) {
  std::optional<std::vector<char>> bytes = constantRawBytes(value);
  if (!bytes)
    return std::nullopt;
  std::vector<float> values(bytes->size() / sizeof(float));
  std::memcpy(values.data(), bytes->data(), values.size() * sizeof(float));
  return values;
}

struct MoeQuantizeWeights : moe::impl::MoeQuantizeWeightsBase<MoeQuantizeWeights> {
  using Base::Base;
  llvm::raw_ostream *reportStream = nullptr;

  void runOnOperation() override {
    if (bits != 8 && bits != 4) {
      emitError(getOperation()->getLoc()) << "moe-quantize-weights: bits must be 8 or 4, not "
                                          << static_cast<int64_t>(bits);
      return signalPassFailure();
    }
    if (layers != "all" && layers != "non-router") {
      emitError(getOperation()->getLoc())
          << "moe-quantize-weights: layers must be all or non-router, not '" << static_cast<std::string>(layers) << "'";
      return signalPassFailure();
    }
    FailureOr<int> width = storageBits();
    if (failed(width))
      return signalPassFailure();
    // The report: one line per quantized layer, its weights' error
    // relative to their largest magnitude (max) and to their norm (RMS).
    std::unique_ptr<llvm::raw_fd_ostream> reportFile;
    if (!report.empty() && report != "-") {
      std::error_code ec;
      reportFile = std::make_unique<llvm::raw_fd_ostream>(report, ec);
      if (ec) {
        emitError(getOperation()->getLoc())
            << "moe-quantize-weights: cannot write the report '"
            << static_cast<std::string>(report) << "': " << ec.message();
        return signalPassFailure();
      }
    }
    reportStream = reportFile ? reportFile.get() : report == "-" ? &llvm::errs() : nullptr;
    if (reportStream)
      *reportStream << llvm::formatv("{0,-32} {1,11} {2,-4} {3,-9} {4,11} {5,11}\n", "layer",
                                     "K x N", "bits", "scales", "max rel", "rms rel");
    SmallVector<std::pair<linalg::GenericOp, Value>> matmuls;
    getOperation()->walk([&](linalg::GenericOp generic) {
      if (Value b = constantMatmulWeightOf(generic))
        if (cast<RankedTensorType>(b.getType()).getDimSize(1) >= minColumns &&
            (layers == "all" || !feedsRouter(generic.getResult(0))))
          matmuls.push_back({generic, b});
    });
    // Routed experts' stacked weights [E, N, K] (never routers).
    SmallVector<GroupedMatmulOp> expertMatmuls;
    getOperation()->walk([&](GroupedMatmulOp op) {
      auto type = cast<RankedTensorType>(op.getRhs().getType());
      if (type.hasStaticShape() && type.getElementType().isF32() &&
          type.getDimSize(1) >= minColumns && floatValues(op.getRhs()))
        expertMatmuls.push_back(op);
    });
    Scheme scheme{*width, symmetric, clipSearch};
    for (auto [generic, b] : matmuls)
      if (failed(quantize(generic, b, scheme)))
        return signalPassFailure();
    for (GroupedMatmulOp op : expertMatmuls)
      if (failed(quantizeExperts(op, scheme)))
        return signalPassFailure();
  }

  /// Quantized rows: `rows` rows of `k` weights, `at(row, i)` the i-th
  /// weight of a row, each row in groups of `group` along k.
  struct QuantizedRows {
    std::vector<char> q;
    std::vector<float> scales;
    std::vector<char> zeroPoints;
  };
  QuantizedRows quantizeRows(int64_t rows, int64_t k, int64_t group, const Scheme &scheme,
                             function_ref<float(int64_t, int64_t)> at, Location loc,
                             StringRef shape) {
    int64_t groups = k / group;
    QuantizedRows out{std::vector<char>(rows * k), std::vector<float>(rows * groups),
                      std::vector<char>(rows * groups)};
    std::vector<float> column(group);
    double squaredError = 0, squaredWeights = 0, maxError = 0, maxWeight = 0;
    for (int64_t row = 0; row < rows; ++row)
      for (int64_t g = 0; g < groups; ++g) {
        for (int64_t i = 0; i < group; ++i) {
          column[i] = at(row, g * group + i);
          squaredWeights += double(column[i]) * column[i];
          maxWeight = std::max(maxWeight, std::fabs(double(column[i])));
        }
        Quantized result = quantizeGroup(
            column, scheme, reinterpret_cast<int8_t *>(&out.q[row * k + g * group]));
        out.scales[row * groups + g] = result.scale;
        out.zeroPoints[row * groups + g] = static_cast<char>(result.zeroPoint);
        squaredError += result.squaredError;
        maxError = std::max(maxError, result.maxError);
      }
    if (reportStream) {
      std::string layer;
      llvm::raw_string_ostream name(layer);
      if (auto named = dyn_cast<NameLoc>(loc))
        name << named.getName().getValue();
      else
        name << loc;
      *reportStream << llvm::formatv(
          "{0,-32} {1,11} int{2} {3,-9} {4,11:e3} {5,11:e3}\n", layer, shape, scheme.bits,
          groupSize > 0 && groups > 1 ? "g" + std::to_string(group) : std::string("channel"),
          maxWeight > 0 ? maxError / maxWeight : 0.0,
          squaredWeights > 0 ? std::sqrt(squaredError / squaredWeights) : 0.0);
    }
    if (scheme.bits == 4)
      for (char &v : out.q)
        v = static_cast<char>(v & 0xF);
    return out;
  }

  Type storageType(MLIRContext *ctx, const Scheme &scheme) {
    return IntegerType::get(ctx, scheme.bits,
                            scheme.symmetric ? IntegerType::Signless : IntegerType::Unsigned);
  }

  /// Expert weights [E, N, K] (linear layout) quantized per expert row and
  /// group along K: the grouped matmul then reads moe.dequantize of the
  /// integers, which its lowering fuses into the product.
  LogicalResult quantizeExperts(GroupedMatmulOp op, const Scheme &scheme) {
    Value rhs = op.getRhs();
    auto type = cast<RankedTensorType>(rhs.getType());
    int64_t experts = type.getDimSize(0), n = type.getDimSize(1), k = type.getDimSize(2);
    int64_t group = groupSize > 0 && k % groupSize == 0 ? int64_t(groupSize) : k;
    std::optional<std::vector<float>> weights = floatValues(rhs);
    if (!weights || static_cast<int64_t>(weights->size()) != experts * n * k)
      return op.emitError("moe-quantize-weights: cannot read the expert weights");
    std::string shape = std::to_string(experts) + "x" + std::to_string(k) + "x" +
                        std::to_string(n);
    QuantizedRows rows = quantizeRows(
        experts * n, k, group, scheme,
        [&](int64_t row, int64_t i) { return (*weights)[row * k + i]; }, op.getLoc(), shape);
    OpBuilder builder(op);
    Location loc = op.getLoc();
    Type storage = storageType(builder.getContext(), scheme);
    int64_t groups = k / group;
    Value q = bytesConstant(builder, loc, RankedTensorType::get({experts, n, k}, storage), rows.q,
                            "quantized_experts");
    auto paramType = RankedTensorType::get({experts, n, groups}, builder.getF32Type());
    Value scale = bytesConstant(
        builder, loc, paramType,
        ArrayRef<char>(reinterpret_cast<const char *>(rows.scales.data()), rows.scales.size() * 4),
        "quantized_experts_scale");
    Value zeroPoint;
    if (!scheme.symmetric)
      zeroPoint = bytesConstant(builder, loc, paramType.clone(storage), rows.zeroPoints,
                                "quantized_experts_zero_point");
    auto dequantize = DequantizeOp::create(builder, loc, q, scale, zeroPoint,
                                           builder.getI64IntegerAttr(2),
                                           builder.getI64IntegerAttr(group));
    op.getRhsMutable().assign(dequantize.getResult());
    return success();
  }

  /// The weight width to store: the one asked for, unless the module's
  /// target lacks it (then the next wider one it has, when allowed).
  FailureOr<int> storageBits() {
    Operation *root = getOperation();
    ModuleOp module = isa<ModuleOp>(root) ? cast<ModuleOp>(root)
                                          : root->getParentOfType<ModuleOp>();
    auto target = module ? module->getAttrOfType<npu::TargetAttr>(
                               npu::NpuDialect::kTargetAttrName)
                         : npu::TargetAttr();
    int wanted = static_cast<int>(bits);
    if (!target)
      return wanted;
    Builder b(root->getContext());
    for (int width : {4, 8}) {
      if (width < wanted || (width > wanted && !nearestLegal))
        continue;
      if (target.supports(b.getIntegerType(width)))
        return width;
    }
    emitError(root->getLoc()) << "moe-quantize-weights: target '" << target.getName()
                              << "' has no " << wanted << "-bit integers for weights"
                              << (nearestLegal ? " nor a wider width" : "")
                              << " (its element types: " << target.getDtypes() << ")";
    return failure();
  }

  LogicalResult quantize(linalg::GenericOp generic, Value b, const Scheme &scheme) {
    auto bType = cast<RankedTensorType>(b.getType());
    int64_t k = bType.getDimSize(0), n = bType.getDimSize(1);
    int64_t group = groupSize > 0 ? groupSize : k;
    if (k % group != 0) {
      // Some layers do not divide: they keep one scale per channel.
      group = k;
    }
    std::optional<std::vector<float>> weights = floatValues(b);
    if (!weights || static_cast<int64_t>(weights->size()) != k * n)
      return generic.emitError("moe-quantize-weights: cannot read the weight constant");
    int64_t groups = k / group;
    std::string shape = llvm::formatv("{0,5}x{1,-5}", k, n).str();
    QuantizedRows rows = quantizeRows(
        n, k, group, scheme, [&](int64_t row, int64_t i) { return (*weights)[i * n + row]; },
        generic.getLoc(), shape);
    std::vector<char> &q = rows.q;
    std::vector<float> &scales = rows.scales;
    std::vector<char> &zeroPoints = rows.zeroPoints;
    OpBuilder builder(generic);
    Location loc = generic.getLoc();
    MLIRContext *ctx = builder.getContext();
    Type storage = storageType(ctx, scheme);
    Value weight = bytesConstant(builder, loc, RankedTensorType::get({n, k}, storage), q,
                                 "quantized_weight");
    bool perChannel = groups == 1 && groupSize == 0;
    auto paramType = perChannel ? RankedTensorType::get({n}, builder.getF32Type())
                                : RankedTensorType::get({n, groups}, builder.getF32Type());
    Value scale = arith::ConstantOp::create(
        builder, loc, DenseElementsAttr::get(paramType, ArrayRef<float>(scales)));
    Value zeroPoint;
    if (!scheme.symmetric)
      zeroPoint = bytesConstant(builder, loc, paramType.clone(storage), zeroPoints,
                                "quantized_zero_point");
    auto op = QMatmulOp::create(builder, loc, generic.getDpsInputs()[0], weight, scale,
                                zeroPoint, /*bias=*/Value(),
                                builder.getI64IntegerAttr(perChannel ? 0 : group));
    Value result = op.getResult();
    if (result.getType() != generic.getResultTypes()[0])
      result = tensor::CastOp::create(builder, loc, generic.getResultTypes()[0], result);
    generic.getResult(0).replaceAllUsesWith(result);
    generic.erase();
    return success();
  }
};

} // namespace
