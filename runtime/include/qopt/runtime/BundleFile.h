//===- BundleFile.h - The .qbin file header ----------------------*- C++ -*-===//
//
// The fixed 32-byte header in front of the FlatBuffer payload (qbin.fbs),
// shared by the writer (qopt-compile) and the readers (runtime, qopt-ref).
// Header-only and dependency-free: the runtime links neither LLVM nor MLIR.
//
//   offset  size  field
//   0       4     magic "QBIN"
//   4       4     format version (little endian), kFormatVersion
//   8       8     payload size in bytes
//   16      8     FNV-1a 64 of the payload
//   24      8     reserved, 0
//   32      ...   payload: a FlatBuffer with identifier "QBN1"
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_RUNTIME_BUNDLEFILE_H
#define QOPT_RUNTIME_BUNDLEFILE_H

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace qopt::qbin {

inline constexpr char kMagic[4] = {'Q', 'B', 'I', 'N'};
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr size_t kHeaderSize = 32;
/// Arena and weights offsets are multiples of this (cp.async and vector
/// loads need 16; 256 matches cudaMalloc and keeps every tensor on its own
/// cache lines).
inline constexpr uint32_t kAlignment = 256;

/// The largest bundle file a reader loads (64 GiB); checked before reading.
inline constexpr uint64_t kMaxBundleFileBytes = uint64_t(1) << 36;

/// FNV-1a, 64 bit: detects truncation and bit rot; not a signature.
inline uint64_t checksum(const uint8_t *data, size_t size) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < size; ++i) {
    h ^= data[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

inline void storeLE(uint8_t *p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i)
    p[i] = (uint8_t)(v >> (8 * i));
}

inline uint64_t loadLE(const uint8_t *p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
}

/// Writes the header for `payload` into `out` (kHeaderSize bytes).
inline void writeHeader(uint8_t *out, const uint8_t *payload, uint64_t size) {
  std::memcpy(out, kMagic, 4);
  storeLE(out + 4, kFormatVersion, 4);
  storeLE(out + 8, size, 8);
  storeLE(out + 16, checksum(payload, size), 8);
  storeLE(out + 24, 0, 8);
}

} // namespace qopt::qbin

#endif // QOPT_RUNTIME_BUNDLEFILE_H
