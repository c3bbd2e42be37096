//===- npy_fuzzer.cpp - libFuzzer: .npy and .npz readers ----------------===//
//
// The same bytes go to all three readers of array files: the compiler's
// .npy and .npz parsers (lib/Reference/Npy.cpp, used by qopt-ref and
// calibration) and qopt-run's LLVM-free .npy reader.
//
//===----------------------------------------------------------------------===//

#include "qopt/Reference/Npy.h"
#include "qopt-run/Npy.h"

#include "llvm/Support/Error.h"

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  constexpr int64_t kLimit = 64 << 20;
  llvm::ArrayRef<char> bytes(reinterpret_cast<const char *>(data), size);
  llvm::consumeError(qopt::ref::parseNpy(bytes, kLimit, "fuzz.npy").takeError());
  llvm::consumeError(qopt::ref::parseNpz(bytes, kLimit, "fuzz.npz").takeError());
  std::istringstream in(std::string(reinterpret_cast<const char *>(data), size));
  qopt::run::NpyArray array;
  (void)qopt::run::parseNpy(in, "fuzz.npy", array, kLimit);
  return 0;
}
