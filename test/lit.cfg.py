# -*- Python -*-
import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "MOE"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.moe_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
# Debian's python3 has the onnx and numpy modules the model scripts need.
config.substitutions.append(("%python", "/usr/bin/python3"))
config.substitutions.append(("%moe_src", config.moe_src_root))
config.substitutions.append(("%moe_tools", config.moe_tools_dir))
config.substitutions.append(("%cc", os.path.join(config.llvm_tools_dir, "clang")))
config.substitutions.append(("%make_model", "/usr/bin/python3 " + os.path.join(
    config.test_source_root, "Frontend", "Onnx", "Inputs", "make_model.py")))
llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
tool_dirs = [config.moe_tools_dir, config.llvm_tools_dir]
tools = ["moe-compile", "moe-opt", "moe-run", "moe-npu-sim"]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# ptxas (CUDA's assembler) checks the PTX of CUDA targets where it is
# installed; a GPU runs it where there is one with a driver.
import ctypes
import shutil
ptxas = shutil.which("ptxas", path=os.environ.get("PATH", "") + os.pathsep + "/usr/local/cuda/bin")
if ptxas:
    config.available_features.add("ptxas")
    llvm_config.with_environment("PATH", os.path.dirname(ptxas), append_path=True)


# libdevice (the math functions kernels link) where moe-compile looks for a
# CUDA toolkit: without it, kernels that call exp or tanh do not compile.
def has_libdevice():
    roots = [os.environ.get(v, "") for v in ("CUDA_HOME", "CUDA_PATH", "CUDA_ROOT")]
    if ptxas:
        roots.append(os.path.dirname(os.path.dirname(ptxas)))
    roots.append("/usr/local/cuda")
    return any(r and os.path.exists(os.path.join(r, "nvvm", "libdevice", "libdevice.10.bc"))
               for r in roots)


if has_libdevice():
    config.available_features.add("cuda-toolkit")


def has_cuda_gpu():
    try:
        cuda = ctypes.CDLL("libcuda.so.1")
        count = ctypes.c_int(0)
        return cuda.cuInit(0) == 0 and cuda.cuDeviceGetCount(ctypes.byref(count)) == 0 and count.value > 0
    except OSError:
        return False


if has_cuda_gpu():
    config.available_features.add("cuda-gpu")
