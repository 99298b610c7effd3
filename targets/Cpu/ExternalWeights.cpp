//===- ExternalWeights.cpp - Constant weights in a file the library maps --===//
//
// With --weights=external the big constant globals of the lowered module
// leave the object: their bytes go, 64-byte aligned, into one weights file,
// and every use of such a global becomes the base address the library
// maps at its first run plus the weight's offset. The library then holds
// code only, and pages of weights are read from the file as they are
// touched.
//
// File layout (little-endian): a 64-byte header, "MOEWGT01", the 64-bit
// id, the payload size in bytes, zeros; then the payload. The id (FNV-1a
// of the payload) is compiled into the library too, so a library never runs
// on another compile's weights.
//
//===----------------------------------------------------------------------===//

#include "moe/Target/Cpu/Cpu.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/Endian.h"

using namespace mlir;
using namespace mlir::moe;

static constexpr size_t kHeaderBytes = 64;
static constexpr size_t kAlignment = 64;

/// The bytes of a global's initial value as the object would hold them, or
/// nullopt when it is not a dense array of whole bytes.
static std::optional<std::string> bytesOf(Attribute value) {
  auto elements = dyn_cast_or_null<ElementsAttr>(value);
  if (!elements)
    return std::nullopt;
  Type element = elements.getElementType();
  if (!element.isIntOrFloat() || element.getIntOrFloatBitWidth() % 8 != 0)
    return std::nullopt;
  size_t width = element.getIntOrFloatBitWidth() / 8;
  size_t total = width * static_cast<size_t>(elements.getNumElements());
  if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    ArrayRef<char> raw = dense.getRawData();
    if (!dense.isSplat())
      return raw.size() == total ? std::optional(std::string(raw.begin(), raw.end()))
                                 : std::nullopt;
    std::string bytes;
    bytes.reserve(total);
    for (int64_t i = 0, e = elements.getNumElements(); i < e; ++i)
      bytes.append(raw.data(), width);
    return bytes;
  }
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob || blob->getData().size() != total)
      return std::nullopt;
    ArrayRef<char> data = blob->getData();
    return std::string(data.begin(), data.end());
  }
  return std::nullopt;
}

FailureOr<ExternalWeights> moe::moveWeightsOut(ModuleOp module, size_t minBytes,
                                               std::string &error) {
  ExternalWeights weights;
  std::string payload;
  llvm::StringMap<uint64_t> offsets;
  SmallVector<LLVM::GlobalOp> moved;
  for (auto global : module.getOps<LLVM::GlobalOp>()) {
    if (!global.getConstant() || global.getInitializerRegion().getBlocks().size())
      continue;
    std::optional<std::string> bytes = bytesOf(global.getValueAttr());
    if (!bytes || bytes->size() < minBytes)
      continue;
    payload.resize(llvm::alignTo(payload.size(), kAlignment), '\0');
    offsets[global.getSymName()] = payload.size();
    payload += *bytes;
    moved.push_back(global);
  }
  if (module.lookupSymbol(kWeightsBaseName)) {
    error = std::string("the module already defines '") + kWeightsBaseName + "'";
    return failure();
  }

  MLIRContext *ctx = module.getContext();
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  OpBuilder b(ctx);
  b.setInsertionPointToStart(module.getBody());
  // Defined by the wrapper, which maps the file.
  LLVM::GlobalOp::create(b, module.getLoc(), ptr, /*isConstant=*/false,
                         LLVM::Linkage::External, kWeightsBaseName, Attribute());
  SmallVector<LLVM::AddressOfOp> uses;
  module.walk([&](LLVM::AddressOfOp op) {
    if (offsets.count(op.getGlobalName()))
      uses.push_back(op);
  });
  for (LLVM::AddressOfOp use : uses) {
    b.setInsertionPoint(use);
    Location loc = use.getLoc();
    Value baseAddress = LLVM::AddressOfOp::create(b, loc, ptr, kWeightsBaseName);
    // The base never changes once mapped: an invariant load LLVM may hoist.
    Value base = LLVM::LoadOp::create(b, loc, ptr, baseAddress, /*alignment=*/8,
                                      /*isVolatile=*/false, /*isNonTemporal=*/false,
                                      /*isInvariant=*/true);
    Value offset = LLVM::ConstantOp::create(
        b, loc, b.getI64Type(), b.getI64IntegerAttr(offsets[use.getGlobalName()]));
    Value address = LLVM::GEPOp::create(b, loc, ptr, b.getI8Type(), base,
                                        ArrayRef<LLVM::GEPArg>{offset},
                                        LLVM::GEPNoWrapFlags::inbounds);
    use.replaceAllUsesWith(address);
    use.erase();
  }
  for (LLVM::GlobalOp global : moved)
    global.erase();

  uint64_t id = 0xcbf29ce484222325ull;
  for (char c : payload)
    id = (id ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  weights.id = id;
  weights.payloadBytes = payload.size();
  weights.count = moved.size();
  std::string header(kHeaderBytes, '\0');
  memcpy(header.data(), "MOEWGT01", 8);
  llvm::support::endian::write64le(header.data() + 8, id);
  llvm::support::endian::write64le(header.data() + 16, payload.size());
  weights.file = header + payload;
  return weights;
}
