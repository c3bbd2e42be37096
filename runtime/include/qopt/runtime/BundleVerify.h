//===- BundleVerify.h - Complete verification of a .qbin image --*- C++ -*-===//
//
// The one place that decides whether a .qbin file may be used. The runtime
// calls it before it touches the GPU, and the compiler-side reader
// (lib/Target/Bundle) calls it too, so both refuse exactly the same files with
// the same words. No LLVM, no MLIR, no CUDA: FlatBuffers headers only.
//
// Checked here, in this order: the 32-byte header (magic, format version,
// payload size, checksum), the FlatBuffer identifier and Verifier, the
// compiler version, the signature (names, dtypes, shapes, quantization
// parameters), the arena and weights sizes, every module (kernels, PTX,
// images), every step (module and kernel present, launch shape, every buffer
// reference inside its buffer) and the program resources. What depends on
// the device (chip, shared memory, registers) is checked by the runtime once
// it knows the device.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_RUNTIME_BUNDLEVERIFY_H
#define QOPT_RUNTIME_BUNDLEVERIFY_H

#include "qopt/runtime/qbin_generated.h"

#include <cstdint>
#include <string>
#include <vector>

namespace qopt::qbin {

/// Limits beyond which a bundle is refused as absurd rather than attempted.
/// A tensor, the arena or the weights larger than this is not a model this
/// runtime can run on any GPU made so far.
inline constexpr uint64_t kMaxBufferBytes = uint64_t(1) << 40; // 1 TiB
inline constexpr int kMaxRank = 16;

/// A bundle that passed verifyBundle, with the sizes the checks computed.
struct VerifiedBundle {
  const Bundle *bundle = nullptr;
  std::vector<uint64_t> inputBytes, outputBytes;
  uint64_t weightBytes = 0;
};

/// Verifies the whole file image `file` (header included). Returns an empty
/// string and fills `out` on success; otherwise a message saying what was
/// expected and what was found. `file` must outlive `out`.
std::string verifyBundle(const uint8_t *file, size_t size, VerifiedBundle &out);

/// Bytes per element of `t`.
uint64_t dtypeBytes(DType t);

/// NumPy-style name of `t` ("float32", "int8", ...).
const char *dtypeName(DType t);

/// 90 for "sm_90", 86 for "sm_86"; -1 when `target` is not of that form.
int chipNumber(const char *target, size_t length);
/// Whether code for `target` runs on that very chip alone ("sm_90a": its
/// cubin neither runs on, nor does its PTX JIT-compile for, any other chip).
bool archSpecific(const char *target, size_t length);

/// The QOpt version of this build, which the runtime compares with the
/// bundle's compiler version ("QOpt 0.1.0 (rev)").
const char *runtimeVersion();

} // namespace qopt::qbin

#endif // QOPT_RUNTIME_BUNDLEVERIFY_H
