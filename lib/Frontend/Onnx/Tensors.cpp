//===- Tensors.cpp - ONNX TensorProto to MLIR constants -------------------===//
//
// Small tensors (shapes, scalars) become DenseElementsAttr so that shape
// arithmetic can fold; large ones become dense_resource blobs, which are not
// copied through text.
//
//===----------------------------------------------------------------------===//

#include "OnnxProto.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstring>

using namespace mlir;

/// Tensors with at most this many elements are inlined as dense attributes.
static constexpr int64_t kInlineElements = 64;

/// Bytes one element takes in MLIR's storage (i1 and i4 take a byte).
static int64_t storageBytes(Type type) {
  return std::max<int64_t>(1, llvm::divideCeil(type.getIntOrFloatBitWidth(), 8));
}

/// The bytes of an external-data tensor; its file must lie inside modelDir.
static FailureOr<std::string> readExternal(Location loc,
                                           const ::onnx::TensorProto &tensor,
                                           StringRef modelDir, StringRef what,
                                           uint64_t expectedBytes) {
  std::string location;
  uint64_t offset = 0, length = expectedBytes;
  for (const ::onnx::StringStringEntryProto &entry : tensor.external_data()) {
    if (entry.key() == "location")
      location = entry.value();
    else if ((entry.key() == "offset" || entry.key() == "length") &&
             StringRef(entry.value())
                 .getAsInteger(10, entry.key() == "offset" ? offset : length))
      return emitError(loc) << what << ": external data " << entry.key()
                            << " '" << entry.value() << "' is not a number";
  }
  if (location.empty())
    return emitError(loc) << what << ": external data without a location";
  if (llvm::sys::path::is_absolute(location))
    return emitError(loc) << what << ": external data path '" << location
                          << "' is absolute; it must be relative to the "
                             "model's folder";
  SmallString<256> dir, file;
  SmallString<256> joined(modelDir);
  llvm::sys::path::append(joined, location);
  if (llvm::sys::fs::real_path(modelDir.empty() ? "." : modelDir, dir) ||
      llvm::sys::fs::real_path(joined, file))
    return emitError(loc) << what << ": cannot open external data file '"
                          << joined << "'";
  StringRef fileRef = file;
  if (!fileRef.starts_with(dir) ||
      (fileRef.size() > dir.size() &&
       !llvm::sys::path::is_separator(fileRef[dir.size()])))
    return emitError(loc) << what << ": external data path '" << location
                          << "' points outside the model's folder";
  if (length != expectedBytes)
    return emitError(loc) << what << ": external data length " << length
                          << " does not match the " << expectedBytes
                          << " bytes of its type";
  auto buffer = llvm::MemoryBuffer::getFileSlice(file, length, offset);
  if (!buffer || (*buffer)->getBufferSize() != length)
    return emitError(loc) << what << ": cannot read " << length
                          << " bytes at offset " << offset << " of '"
                          << location << "'";
  return (*buffer)->getBuffer().str();
}

/// Copies `values` (one per element) into `out`, narrowed to `bytes` each.
template <typename T>
static void narrowInto(const T &values, int64_t bytes, std::vector<char> &out) {
  size_t i = 0;
  for (auto value : values) {
    uint64_t bits;
    if constexpr (std::is_floating_point_v<std::decay_t<decltype(value)>>) {
      static_assert(sizeof(value) <= sizeof(bits));
      bits = 0;
      std::memcpy(&bits, &value, sizeof(value));
    } else {
      bits = static_cast<uint64_t>(value);
    }
    std::memcpy(out.data() + i * bytes, &bits, bytes);
    ++i;
  }
}

FailureOr<ElementsAttr> onnx_import::convertTensor(Location loc,
                                                   const ::onnx::TensorProto &tensor,
                                                   StringRef modelDir,
                                                   StringRef what) {
  FailureOr<Type> element = convertElementType(loc, tensor.data_type(), what);
  if (failed(element))
    return failure();
  SmallVector<int64_t> shape;
  int64_t numElements = 1;
  for (int64_t dim : tensor.dims()) {
    if (dim < 0 || (dim > 0 && numElements > (int64_t(1) << 40) / dim))
      return emitError(loc) << what << " has an invalid or huge shape";
    shape.push_back(dim);
    numElements *= dim;
  }
  auto type = RankedTensorType::get(shape, *element);
  int64_t bytes = storageBytes(*element);
  bool isInt4 = element->isInteger(4);
  std::vector<char> storage(numElements * bytes);

  auto sizeError = [&](uint64_t got, uint64_t expected) {
    return emitError(loc) << what << " holds " << got << " values/bytes where "
                          << type << " needs " << expected;
  };
  bool external =
      tensor.data_location() == ::onnx::TensorProto::EXTERNAL;
  if (external || tensor.has_raw_data()) {
    uint64_t rawBytes = isInt4 ? (numElements + 1) / 2 : numElements * bytes;
    std::string externalData;
    if (external) {
      FailureOr<std::string> data =
          readExternal(loc, tensor, modelDir, what, rawBytes);
      if (failed(data))
        return failure();
      externalData = std::move(*data);
    }
    const std::string &raw = external ? externalData : tensor.raw_data();
    if (raw.size() != rawBytes)
      return sizeError(raw.size(), rawBytes);
    if (isInt4) {
      bool isSigned = !element->isUnsignedInteger();
      for (int64_t i = 0; i < numElements; ++i) {
        uint8_t nibble = (static_cast<uint8_t>(raw[i / 2]) >> (4 * (i % 2))) & 0xF;
        storage[i] = static_cast<char>(
            isSigned && (nibble & 0x8) ? nibble | 0xF0 : nibble);
      }
    } else {
      std::memcpy(storage.data(), raw.data(), raw.size());
    }
  } else {
    auto check = [&](int size) -> LogicalResult {
      if (size == numElements)
        return success();
      return sizeError(size, numElements);
    };
    switch (tensor.data_type()) {
    case ::onnx::TensorProto::FLOAT:
      if (failed(check(tensor.float_data_size())))
        return failure();
      narrowInto(tensor.float_data(), bytes, storage);
      break;
    case ::onnx::TensorProto::DOUBLE:
      if (failed(check(tensor.double_data_size())))
        return failure();
      narrowInto(tensor.double_data(), bytes, storage);
      break;
    case ::onnx::TensorProto::INT64:
      if (failed(check(tensor.int64_data_size())))
        return failure();
      narrowInto(tensor.int64_data(), bytes, storage);
      break;
    case ::onnx::TensorProto::UINT32:
    case ::onnx::TensorProto::UINT64:
      if (failed(check(tensor.uint64_data_size())))
        return failure();
      narrowInto(tensor.uint64_data(), bytes, storage);
      break;
    case ::onnx::TensorProto::INT32:
    case ::onnx::TensorProto::INT16:
    case ::onnx::TensorProto::INT8:
    case ::onnx::TensorProto::UINT16:
    case ::onnx::TensorProto::UINT8:
    case ::onnx::TensorProto::BOOL:
    case ::onnx::TensorProto::FLOAT16:
    case ::onnx::TensorProto::BFLOAT16:
      // 16-bit floats travel as their bit patterns in int32_data.
      if (failed(check(tensor.int32_data_size())))
        return failure();
      narrowInto(tensor.int32_data(), bytes, storage);
      break;
    default:
      return emitError(loc) << what << " stores " << *element
                            << " values outside raw_data, which is not "
                               "supported";
    }
  }

  if (element->isInteger(1)) {
    SmallVector<bool> values;
    for (char byte : storage)
      values.push_back(byte != 0);
    return ElementsAttr(DenseElementsAttr::get(type, values));
  }
  if (numElements <= kInlineElements)
    return ElementsAttr(DenseElementsAttr::getFromRawBuffer(type, storage));
  std::string blobName = tensor.name().empty() ? "tensor" : "";
  for (char c : tensor.name())
    blobName.push_back(llvm::isAlnum(c) ? c : '_');
  AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
      storage, /*align=*/64, /*dataIsMutable=*/false);
  return ElementsAttr(
      DenseResourceElementsAttr::get(type, blobName, std::move(blob)));
}
