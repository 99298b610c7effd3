//===- NpuAttrs.cpp - Target description: verifiers and queries -----------===//

#include "moe/Dialect/Npu/NpuOps.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallSet.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::npu;

LogicalResult CubeAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               Type input, Type acc, int64_t m, int64_t k,
                               int64_t n) {
  if (m <= 0 || k <= 0 || n <= 0)
    return emitError() << "cube shape " << m << "x" << k << "x" << n
                       << " must be positive";
  if (!input.isIntOrFloat() || !acc.isIntOrFloat())
    return emitError() << "cube input and accumulator must be scalar types";
  return success();
}

LogicalResult BufferAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 MemSpace space, int64_t size, int64_t align) {
  if (size <= 0)
    return emitError() << stringifyMemSpace(space)
                       << " buffer size must be positive";
  if (align <= 0 || !llvm::isPowerOf2_64(align))
    return emitError() << stringifyMemSpace(space) << " alignment " << align
                       << " must be a power of two";
  if (size % align != 0)
    return emitError() << stringifyMemSpace(space) << " buffer size " << size
                       << " must be a multiple of its alignment " << align;
  return success();
}

LogicalResult PipeSpecAttr::verify(
    function_ref<InFlightDiagnostic()> emitError, Pipe pipe,
    int64_t bytesPerCycle, int64_t latency) {
  if (pipe == Pipe::All)
    return emitError() << "a pipe spec names one pipe, not 'all'";
  if (bytesPerCycle <= 0 || latency < 0)
    return emitError() << stringifyPipe(pipe)
                       << " needs positive bytes_per_cycle and non-negative "
                          "latency";
  return success();
}

LogicalResult TargetAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 StringRef name, int64_t cubeCores,
                                 int64_t vectorCores, int64_t clockMhz,
                                 int64_t vectorBytes, int64_t maxRepeats,
                                 int64_t eventIds, int64_t l2Bytes,
                                 int64_t gmBandwidth, int64_t linkBandwidth,
                                 ArrayAttr dtypes, ArrayAttr cubes,
                                 ArrayAttr buffers, ArrayAttr pipes) {
  if (name.empty())
    return emitError() << "target needs a name";
  if (cubeCores < 1 || vectorCores < 0)
    return emitError() << "target needs a cube core and no negative counts";
  if (clockMhz <= 0 || gmBandwidth <= 0 || l2Bytes < 0 || linkBandwidth < 0)
    return emitError() << "clock and memory bandwidth must be positive";
  if (vectorBytes <= 0 || vectorBytes % 32 != 0 || maxRepeats < 1)
    return emitError() << "vector_bytes must be a positive multiple of 32 and "
                          "max_repeats at least 1";
  if (eventIds < 1)
    return emitError() << "event_ids must be at least 1";

  llvm::DenseSet<Type> types;
  for (Attribute attr : dtypes) {
    auto type = dyn_cast<TypeAttr>(attr);
    if (!type || !type.getValue().isIntOrFloat())
      return emitError() << "dtypes holds scalar types, got " << attr;
    if (!types.insert(type.getValue()).second)
      return emitError() << "dtype " << type << " is listed twice";
  }
  llvm::DenseSet<Type> cubeInputs;
  for (Attribute attr : cubes) {
    auto cube = dyn_cast<CubeAttr>(attr);
    if (!cube)
      return emitError() << "cubes holds #npu.cube, got " << attr;
    if (!types.contains(cube.getInput()) || !types.contains(cube.getAcc()))
      return emitError() << "cube " << cube
                         << " uses a type that is not in dtypes";
    if (!cubeInputs.insert(cube.getInput()).second)
      return emitError() << "two cube shapes for " << cube.getInput();
  }
  llvm::SmallSet<MemSpace, 8> spaces;
  for (Attribute attr : buffers) {
    auto buffer = dyn_cast<BufferAttr>(attr);
    if (!buffer)
      return emitError() << "buffers holds #npu.buffer, got " << attr;
    if (!spaces.insert(buffer.getSpace()).second)
      return emitError() << "two " << stringifyMemSpace(buffer.getSpace())
                         << " buffers";
  }
  for (MemSpace space : {MemSpace::L1, MemSpace::L0A, MemSpace::L0B,
                         MemSpace::L0C, MemSpace::UB})
    if (!spaces.contains(space))
      return emitError() << "target lacks a " << stringifyMemSpace(space)
                         << " buffer";
  llvm::SmallSet<Pipe, 8> pipeSet;
  for (Attribute attr : pipes) {
    auto pipe = dyn_cast<PipeSpecAttr>(attr);
    if (!pipe)
      return emitError() << "pipes holds #npu.pipe_spec, got " << attr;
    if (!pipeSet.insert(pipe.getPipe()).second)
      return emitError() << "two specs for pipe "
                         << stringifyPipe(pipe.getPipe());
  }
  return success();
}

BufferAttr TargetAttr::getBuffer(MemSpace space) const {
  for (auto buffer : getBuffers().getAsRange<BufferAttr>())
    if (buffer.getSpace() == space)
      return buffer;
  return {};
}

CubeAttr TargetAttr::getCube(Type input) const {
  for (auto cube : getCubes().getAsRange<CubeAttr>())
    if (cube.getInput() == input)
      return cube;
  return {};
}

bool TargetAttr::supports(Type type) const {
  return llvm::any_of(getDtypes().getAsRange<TypeAttr>(),
                      [&](TypeAttr t) { return t.getValue() == type; });
}
