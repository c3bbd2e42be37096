# -*- Python -*-
import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "QOpt"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test", ".onnxtext"]
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs", "conformance"]  # Inputs/ of any folder
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.qopt_obj_root, "test")

config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%qopt_tools_dir", config.qopt_tools_dir))
config.substitutions.append(("%scripts", os.path.join(config.qopt_src_root, "scripts")))
config.substitutions.append(("%test_inputs", os.path.join(config.test_source_root, "Inputs")))
config.substitutions.append(
    ("%onnx_from_text", config.python_executable + " "
     + os.path.join(config.qopt_src_root, "scripts", "onnx_from_text.py")))
config.substitutions.append(
    ("%qnn_op_counter_plugin", os.path.join(config.qopt_lib_dir, "QNNOpCounterPlugin.so")))
config.substitutions.append(
    ("%qnn_example_dialect_plugin",
     os.path.join(config.qopt_lib_dir, "QNNExampleDialectPlugin.so")))

llvm_config.with_system_environment(["HOME", "TMPDIR"])
# `not` and `count` at the start of a RUN line are found on PATH.
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.use_default_substitutions()

tool_dirs = [config.qopt_tools_dir, config.llvm_tools_dir]
tools = ["qopt", "qopt-translate", "qopt-ref", "qopt-compile", "qopt-run"]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# ptxas (the CUDA toolkit) assembles the generated kernels; without it the
# tests that need cubins report UNSUPPORTED instead of failing.
import shutil
ptxas = shutil.which("ptxas") or (
    "/usr/local/cuda/bin/ptxas" if os.access("/usr/local/cuda/bin/ptxas", os.X_OK) else None)
if ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
else:
    lit_config.note("ptxas not found: cubin tests are unsupported")

# The runtime's host-memory stand-in for libcuda (runtime/test/FakeCuda.cpp):
# qopt-run goes through loading, sessions and launches without a GPU.
config.substitutions.append(
    ("%fake_cuda", os.path.join(config.qopt_lib_dir, "libqopt_fake_cuda.so")))
# `qopt-run` on a machine without a driver must say so; on a GPU machine that
# check does not apply.
if not any(os.path.exists(os.path.join(d, "libcuda.so.1"))
           for d in ["/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/local/nvidia/lib64"]):
    config.available_features.add("no-cuda-driver")
else:
    config.available_features.add("cuda-driver")
