//===- TensorFile.h - Tensors from .pb (ONNX TensorProto) and .npy files --===//

#ifndef MOE_TOOLS_MOE_RUN_TENSORFILE_H
#define MOE_TOOLS_MOE_RUN_TENSORFILE_H

#include <cstdint>
#include <string>
#include <vector>

namespace moe_run {

/// A dense row-major tensor in host memory; dtype is an ONNX code.
struct HostTensor {
  std::string name;
  int dtype = 0;
  std::vector<int64_t> shape;
  std::vector<char> data;
};

/// Bytes per element of an ONNX dtype, 0 for types the C API lacks.
size_t elementSize(int dtype);

/// Reads an ONNX TensorProto (.pb) or a NumPy array (.npy); on failure
/// returns false with `error` set.
bool readTensorFile(const std::string &path, HostTensor &tensor,
                    std::string &error);

/// Writes `tensor` as a NumPy array (.npy, format 1.0); bfloat16 as uint16.
bool writeNpyFile(const std::string &path, const HostTensor &tensor,
                  std::string &error);

} // namespace moe_run

#endif // MOE_TOOLS_MOE_RUN_TENSORFILE_H
