//===- MatmulTiling.cpp - Matmul tiles from an NPU's description ----------===//

#include "moe/Target/Npu/MatmulTiling.h"

#include <algorithm>
#include <cmath>

using namespace moe_npu;

namespace {
/// The simulator's pipe figures, with the defaults the format documents.
struct Rate {
  double bytesPerCycle, latency;
};
Rate rate(const TargetDesc &t, Pipe pipe, double fallbackBytes, double fallbackLatency,
          bool touchesGm) {
  Rate r{fallbackBytes, fallbackLatency};
  if (const auto &s = t.pipes[int(pipe)])
    r = {double(s->bytesPerCycle), double(s->latency)};
  if (touchesGm)
    r.bytesPerCycle = std::min(
        r.bytesPerCycle, std::max(1.0, double(t.gmBandwidthGbps) * 1000 / t.clockMhz));
  return r;
}
int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
} // namespace

std::optional<MatmulTiles> moe_npu::chooseMatmulTiles(const TargetDesc &t,
                                                       const TargetDesc::Cube &cube,
                                                       int64_t M, int64_t N, int64_t K,
                                                       int64_t inBytes, int64_t outBytes) {
  Rate mte2 = rate(t, Pipe::MTE2, 64, 200, true);
  Rate mte1 = rate(t, Pipe::MTE1, 256, 20, false);
  Rate fix = rate(t, Pipe::Fixpipe, 64, 30, true);
  double cubeLatency = t.pipes[int(Pipe::Cube)] ? t.pipes[int(Pipe::Cube)]->latency : 0;
  int64_t l1 = t.buffers[int(Space::L1)].size, l0a = t.buffers[int(Space::L0A)].size,
          l0b = t.buffers[int(Space::L0B)].size, l0c = t.buffers[int(Space::L0C)].size;
  // Tiles are whole fractals (16 x 16) and whole cube steps along K.
  int64_t kUnit = std::max<int64_t>(16, cube.k);
  std::optional<MatmulTiles> best;
  double bestInstructions = 0;
  for (int64_t m = 16; m <= std::min<int64_t>(M, 512); m += 16)
    for (int64_t n = 16; n <= std::min<int64_t>(N, 512); n += 16)
      for (int64_t slots : {1, 2}) {
        if (slots * m * n * 4 > l0c)
          continue;
        for (int64_t k = kUnit; k <= std::min<int64_t>(K, 512); k += kUnit) {
          if (2 * m * k * inBytes > l0a || 2 * k * n * inBytes > l0b)
            continue;
          for (int64_t f = 1; f <= 64 && k * f <= K; f *= 2) {
            int64_t kL1 = k * f;
            if (2 * (m + n) * kL1 * inBytes > l1)
              break;
            double tiles = double(ceilDiv(M, m) * ceilDiv(N, n));
            double stages = double(ceilDiv(K, kL1)), steps = double(ceilDiv(K, k));
            double loadStage =
                2 * mte2.latency + std::ceil((m + n) * kL1 * inBytes / mte2.bytesPerCycle);
            double moveStep =
                2 * mte1.latency + std::ceil((m + n) * k * inBytes / mte1.bytesPerCycle);
            double cubeStep =
                double(ceilDiv(m, cube.m) * ceilDiv(k, cube.k) * ceilDiv(n, cube.n)) +
                cubeLatency;
            double drain = fix.latency + std::ceil(m * n * outBytes / fix.bytesPerCycle);
            double stream =
                std::max({stages * loadStage, steps * moveStep, steps * cubeStep});
            // With one L0C tile the cube waits for each drain; with two the
            // drain overlaps the next tile.
            double perTile = slots == 2 ? std::max(stream, drain) : stream + drain;
            double total = tiles * perTile + loadStage + moveStep + drain;
            // Among choices within 1% (the model is not that exact), the
            // one with the fewest instructions.
            double instructions = tiles * (2 * stages + 3 * steps + 1);
            double slack = best ? 0.01 * best->cycles : 0;
            bool better = !best || total < best->cycles - slack ||
                          (total < best->cycles + slack && instructions < bestInstructions);
            if (better) {
              best = MatmulTiles{m, n, k, kL1, slots, total};
              bestInstructions = instructions;
            }
          }
        }
      }
  return best;
}
