// A CUDA target is upstream's #nvvm.target, always with a PTX ISA feature
// (the NVVM default, +ptx60, predates sm_80).
// RUN: moe-opt %s --moe-attach-target=target=cuda-sm80 | moe-opt | FileCheck %s --check-prefix=SM80
// RUN: moe-opt %s --moe-attach-target=target=cuda-sm90 | FileCheck %s --check-prefix=SM90
// RUN: moe-compile %s --target=cuda-sm90 --compile-to=import | FileCheck %s --check-prefix=SM90
// RUN: not moe-compile %s --target=cuda-sm70 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not moe-compile %s --target=cuda-sm90 --emit=npu 2>&1 | FileCheck %s --check-prefix=NPU
// RUN: not moe-compile %s --target=cuda-sm90 -o %t.o 2>&1 | FileCheck %s --check-prefix=OBJ
// RUN: not moe-compile %s -o %t.ptx 2>&1 | FileCheck %s --check-prefix=CPU
// RUN: not moe-compile --target=cuda-sm90 --print-target-description 2>&1 | FileCheck %s --check-prefix=PRINT
// RUN: not moe-compile %s --target=cuda-sm90 --emulate-gpu-on-cpu -o %t.ptx 2>&1 | FileCheck %s --check-prefix=EMULATE

// SM80: module attributes {moe.cuda_target = #nvvm.target<O = 3, chip = "sm_80", features = "+ptx80">}
// SM90: module attributes {moe.cuda_target = #nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">}
// BAD: error: unknown --target 'cuda-sm70'; the targets are cpu, cuda-sm80, cuda-sm86, cuda-sm89, cuda-sm90, npu-910b-like, npu-edge-like and NPU description files (.json)
// NPU: error: an NPU program needs an NPU --target
// OBJ: error: --target=cuda-sm90 writes PTX (.ptx), a cubin (.cubin), a shared library (.so) or MLIR
// CPU: error: PTX and cubin need a CUDA --target (e.g. cuda-sm90)
// PRINT: error: --print-target-description prints NPU descriptions; cuda-sm90 is #nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">
// EMULATE: error: --emulate-gpu-on-cpu builds a library (-o model.so) for a CUDA --target
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
