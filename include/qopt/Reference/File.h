//===- File.h - Reading untrusted input files -------------------*- C++ -*-===//
//
// Every file a user hands QOpt (models, .npy/.npz arrays, calibration data)
// is read through here: opened first, then checked on the open descriptor, so
// a FIFO that would block, a device that never ends (/dev/zero) or a file
// larger than the limit is refused before anything is read or allocated.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_REFERENCE_FILE_H
#define QOPT_REFERENCE_FILE_H

#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <memory>

namespace qopt::ref {

/// Reads the regular file `path` whole. Errors name the file and say why:
/// missing, not a regular file, or `size` bytes above `maxBytes`.
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> readRegularFile(llvm::StringRef path,
                                                                    int64_t maxBytes);

} // namespace qopt::ref

#endif // QOPT_REFERENCE_FILE_H
