//===- ConstantBytes.h - Raw bytes of constant tensors ----------*- C++ -*-===//
//
// Weights reach the passes as arith.constant of dense or dense_resource
// elements; packing them (int4 nibbles, MatMulNBits blocks) works on their
// bytes in MLIR's storage layout: one byte per element up to 8 bits.
//
//===----------------------------------------------------------------------===//

#ifndef MOE_SUPPORT_CONSTANTBYTES_H
#define MOE_SUPPORT_CONSTANTBYTES_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"

#include <optional>
#include <vector>

namespace mlir::moe {

/// The bytes of a constant tensor in MLIR's storage layout (dense or
/// dense_resource, splats expanded), else nothing.
std::optional<std::vector<char>> constantRawBytes(Value value);

/// The same for the elements attribute itself (an ONNX Constant node's
/// `value` before conversion, for instance).
std::optional<std::vector<char>> attributeRawBytes(Attribute attr);

/// The bytes of a constant with integer elements of 2 to 8 bits, one byte
/// each (dense or dense_resource, splats expanded), else nothing.
std::optional<std::vector<char>> constantBytes(Value value);

/// The integer a byte of MLIR's storage holds in its low `width` bits
/// (1 to 8: an element of an integer type that narrow), signed unless
/// `isUnsigned`.
inline int storedInteger(char byte, unsigned width, bool isUnsigned) {
  int mask = (1 << width) - 1, v = static_cast<unsigned char>(byte) & mask;
  return isUnsigned || v < (1 << (width - 1)) ? v : v - (1 << width);
}

/// `batch` matrices of rows x cols elements of `width` bytes each, every
/// one transposed (cols x rows), as packed bytes.
std::vector<char> transposeMatrixBytes(ArrayRef<char> bytes, int64_t batch,
                                       int64_t rows, int64_t cols,
                                       unsigned width);

/// The value `v` is one matrix of, at a run-time leading index: for a
/// rank-reduced unit-stride slice [i, 0, ...] of one matrix of a stack (an
/// expert's weights), the stack, with `index` set to i; else `v` itself.
Value stackSource(Value v, std::optional<OpFoldResult> &index);

/// A constant of `type` from bytes in MLIR's storage layout (a byte per
/// element up to 8 bits): dense when small, a dense_resource blob named
/// `name` when large, as the importer does.
Value bytesConstant(OpBuilder &b, Location loc, RankedTensorType type,
                    ArrayRef<char> bytes, StringRef name);

} // namespace mlir::moe

#endif // MOE_SUPPORT_CONSTANTBYTES_H
