//===- TargetDescription.cpp - #npu.target and its file form --------------===//

#include "moe/Target/Npu/TargetDescription.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace mlir;
using namespace mlir::npu;
namespace np = moe_npu;

static std::string typeName(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  type.print(os);
  return text;
}

static Type parseTypeName(MLIRContext *context, StringRef name) {
  Builder b(context);
  if (name == "f16")
    return b.getF16Type();
  if (name == "bf16")
    return b.getBF16Type();
  if (name == "f32")
    return b.getF32Type();
  if (name == "i4" || name == "i8" || name == "i32")
    return b.getIntegerType(name == "i4" ? 4 : name == "i8" ? 8 : 32);
  return {};
}

static MemSpace toMemSpace(np::Space space) { return MemSpace(int(space)); }
static Pipe toPipe(np::Pipe pipe) { return Pipe(int(pipe)); }

np::TargetDesc mlir::npu::toDescription(TargetAttr target) {
  np::TargetDesc desc;
  desc.name = target.getName().str();
  desc.cubeCores = target.getCubeCores();
  desc.vectorCores = target.getVectorCores();
  desc.clockMhz = target.getClockMhz();
  desc.vectorBytes = target.getVectorBytes();
  desc.maxRepeats = target.getMaxRepeats();
  desc.eventIds = target.getEventIds();
  desc.l2Bytes = target.getL2Bytes();
  desc.gmBandwidthGbps = target.getGmBandwidthGbps();
  desc.linkBandwidthGbps = target.getLinkBandwidthGbps();
  for (auto type : target.getDtypes().getAsRange<TypeAttr>())
    desc.dtypes.push_back(typeName(type.getValue()));
  for (auto cube : target.getCubes().getAsRange<CubeAttr>())
    desc.cubes.push_back({typeName(cube.getInput()), typeName(cube.getAcc()), cube.getM(),
                          cube.getK(), cube.getN()});
  for (auto buffer : target.getBuffers().getAsRange<BufferAttr>())
    desc.buffers[int(buffer.getSpace())] = {buffer.getSize(), buffer.getAlign()};
  for (auto pipe : target.getPipes().getAsRange<PipeSpecAttr>())
    if (pipe.getPipe() != Pipe::All)
      desc.pipes[int(pipe.getPipe())] =
          np::TargetDesc::PipeSpec{pipe.getBytesPerCycle(), pipe.getLatency()};
  return desc;
}

TargetAttr mlir::npu::toAttribute(MLIRContext *context, const np::TargetDesc &desc,
                                  std::string &error) {
  context->getOrLoadDialect<NpuDialect>();
  Builder b(context);
  SmallVector<Attribute> dtypes, cubes, buffers, pipes;
  for (const std::string &name : desc.dtypes) {
    Type type = parseTypeName(context, name);
    if (!type) {
      error = "unknown type '" + name + "'";
      return {};
    }
    dtypes.push_back(TypeAttr::get(type));
  }
  for (const np::TargetDesc::Cube &cube : desc.cubes) {
    Type input = parseTypeName(context, cube.input), acc = parseTypeName(context, cube.acc);
    if (!input || !acc) {
      error = "unknown cube type '" + cube.input + "' or '" + cube.acc + "'";
      return {};
    }
    cubes.push_back(CubeAttr::get(context, input, acc, cube.m, cube.k, cube.n));
  }
  for (np::Space space : {np::Space::L1, np::Space::L0A, np::Space::L0B, np::Space::L0C,
                          np::Space::UB}) {
    const np::TargetDesc::Buffer &buffer = desc.buffers[int(space)];
    buffers.push_back(BufferAttr::get(context, toMemSpace(space), buffer.size, buffer.align));
  }
  for (int p = 0; p < np::kNumPipes; ++p)
    if (desc.pipes[p])
      pipes.push_back(PipeSpecAttr::get(context, toPipe(np::Pipe(p)),
                                        desc.pipes[p]->bytesPerCycle,
                                        desc.pipes[p]->latency));
  auto emitErrorAt = [&]() { return mlir::emitError(UnknownLoc::get(context)); };
  llvm::function_ref<InFlightDiagnostic()> emitError = emitErrorAt;
  // The verifier's message is the useful one: catch it instead of printing.
  ScopedDiagnosticHandler capture(context, [&](Diagnostic &diag) {
    error = diag.str();
    return success();
  });
  if (failed(TargetAttr::verify(emitError, desc.name, desc.cubeCores, desc.vectorCores,
                                desc.clockMhz, desc.vectorBytes, desc.maxRepeats,
                                desc.eventIds, desc.l2Bytes, desc.gmBandwidthGbps,
                                desc.linkBandwidthGbps, b.getArrayAttr(dtypes),
                                b.getArrayAttr(cubes), b.getArrayAttr(buffers),
                                b.getArrayAttr(pipes))))
    return {};
  return TargetAttr::get(context, desc.name, desc.cubeCores, desc.vectorCores, desc.clockMhz,
                         desc.vectorBytes, desc.maxRepeats, desc.eventIds, desc.l2Bytes,
                         desc.gmBandwidthGbps, desc.linkBandwidthGbps, b.getArrayAttr(dtypes),
                         b.getArrayAttr(cubes), b.getArrayAttr(buffers),
                         b.getArrayAttr(pipes));
}

TargetAttr mlir::npu::loadTargetFile(MLIRContext *context, StringRef path,
                                     std::string &error) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer) {
    error = "cannot read '" + path.str() + "': " + buffer.getError().message();
    return {};
  }
  std::optional<np::TargetDesc> desc = np::parseTargetJson((*buffer)->getBuffer(), error);
  if (!desc) {
    error = path.str() + ": " + error;
    return {};
  }
  TargetAttr attr = toAttribute(context, *desc, error);
  if (!attr)
    error = path.str() + ": " + error;
  return attr;
}
