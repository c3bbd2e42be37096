//===- Npy.h - .npy files for qopt-run, without LLVM ------------*- C++ -*-===//
//
// qopt-run ships with the runtime and links neither LLVM nor MLIR, so it
// cannot use the compiler's reader (lib/Reference/Npy.cpp, built on LLVM's
// support library). This one covers what a bundle's signature holds: C-order,
// little-endian arrays of the qbin dtypes, format 1.0 to 3.0. Input is
// treated as hostile: the header is parsed with bounds checks and the data
// size must match the shape exactly.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_RUN_NPY_H
#define QOPT_RUN_NPY_H

#include "qopt/runtime/qopt_runtime.h"

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace qopt::run {

struct NpyArray {
  qopt_dtype dtype = QOPT_F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;
};

/// Reads `path`; returns an empty string or the reason it cannot be used.
std::string readNpy(const std::string &path, NpyArray &out, uint64_t maxBytes);

/// Parses a .npy file from `in` (a seekable stream); `path` names it in the
/// messages.
std::string parseNpy(std::istream &in, const std::string &path, NpyArray &out,
                     uint64_t maxBytes);

/// Writes `a` as a format 1.0 .npy file.
std::string writeNpy(const std::string &path, const NpyArray &a);

/// "float32[1x3x224x224]".
std::string describe(qopt_dtype dtype, const std::vector<int64_t> &shape);

} // namespace qopt::run

#endif
