//===- Npy.h - NumPy .npy reader and writer --------------------*- C++ -*-===//
//
// Reads and writes the NumPy .npy format (versions 1.0, 2.0 and 3.0) for the
// dtypes Tensor stores, little-endian and C order only. The reader treats its
// input as hostile: every header field, the shape and the data size are
// validated before anything is allocated.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_REFERENCE_NPY_H
#define QOPT_REFERENCE_NPY_H

#include "qopt/Reference/Tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace qopt::ref {

/// Parses an in-memory .npy file. Arrays whose data would exceed `maxBytes`
/// are rejected before allocation; `name` labels the error messages.
llvm::Expected<Tensor> parseNpy(llvm::ArrayRef<char> bytes, int64_t maxBytes = INT64_MAX,
                                llvm::StringRef name = "<memory>");

/// Reads the .npy file at `path` (see parseNpy).
llvm::Expected<Tensor> readNpy(llvm::StringRef path, int64_t maxBytes = INT64_MAX);

/// Serializes `t` as .npy bytes: format 1.0 (2.0 if the header needs it) with
/// the header padded to a multiple of 64 bytes, as NumPy writes it. bfloat16
/// has no .npy type code and is rejected.
llvm::Expected<std::string> serializeNpy(const Tensor &t);

/// Writes `t` to `path` (see serializeNpy).
llvm::Error writeNpy(llvm::StringRef path, const Tensor &t);

/// One named array of a .npz archive, in archive order.
struct NamedTensor {
  std::string name; // the member name without ".npy"
  Tensor tensor;
};

/// Parses an in-memory .npz archive (np.savez: stored members; and
/// np.savez_compressed: deflated members). Every member must be a valid .npy;
/// `maxBytes` bounds each member's uncompressed size and the array data,
/// checked before allocating. Zip64 archives and encrypted members are
/// rejected.
llvm::Expected<std::vector<NamedTensor>> parseNpz(llvm::ArrayRef<char> bytes,
                                                  int64_t maxBytes = INT64_MAX,
                                                  llvm::StringRef name = "<memory>");

/// Reads the .npz file at `path` (see parseNpz).
llvm::Expected<std::vector<NamedTensor>> readNpz(llvm::StringRef path,
                                                 int64_t maxBytes = INT64_MAX);

} // namespace qopt::ref

#endif // QOPT_REFERENCE_NPY_H
