//===- Npz.cpp - NumPy .npz archive reader ---------------------*- C++ -*-===//
//
// A .npz file is a zip archive of .npy members. The reader walks the central
// directory, checks every offset and size against the buffer, and inflates
// deflated members with zlib into a buffer of the declared size only.
//
//===----------------------------------------------------------------------===//

#include "qopt/Reference/Npy.h"
#include "qopt/Reference/File.h"

#include "llvm/Support/MemoryBuffer.h"

#include <zlib.h>

#include <cstring>

using namespace qopt::ref;
using llvm::ArrayRef;
using llvm::Expected;

namespace {

uint32_t le32(const char *p) {
  const auto *u = reinterpret_cast<const unsigned char *>(p);
  return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}
uint16_t le16(const char *p) {
  const auto *u = reinterpret_cast<const unsigned char *>(p);
  return (uint16_t)(u[0] | u[1] << 8);
}

llvm::Error npzError(llvm::StringRef name, const llvm::Twine &msg) {
  return llvm::createStringError(name.str() + ": " + msg.str());
}

/// Raw deflate (no zlib header), into exactly `size` bytes.
Expected<std::vector<char>> inflateRaw(ArrayRef<char> in, size_t size, llvm::StringRef name) {
  std::vector<char> out(size);
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK)
    return npzError(name, "cannot initialize zlib");
  zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.data()));
  zs.avail_in = (uInt)in.size();
  zs.next_out = reinterpret_cast<Bytef *>(out.data());
  zs.avail_out = (uInt)out.size();
  int rc = inflate(&zs, Z_FINISH);
  size_t produced = size - zs.avail_out;
  inflateEnd(&zs);
  if (rc != Z_STREAM_END || produced != size)
    return npzError(name, "corrupt deflate data or wrong uncompressed size");
  return out;
}

} // namespace

Expected<std::vector<NamedTensor>> qopt::ref::parseNpz(ArrayRef<char> b, int64_t maxBytes,
                                                       llvm::StringRef name) {
  // End of central directory: 22 bytes plus a comment of up to 64 KiB.
  if (b.size() < 22)
    return npzError(name, "too small to be a .npz (zip) archive");
  size_t eocd = std::string::npos;
  for (size_t i = b.size() - 22 + 1; i-- > 0 && b.size() - i <= 22 + 65535;)
    if (le32(b.data() + i) == 0x06054b50) {
      eocd = i;
      break;
    }
  if (eocd == std::string::npos)
    return npzError(name, "not a zip archive (no end of central directory)");
  uint16_t entries = le16(b.data() + eocd + 10);
  uint32_t dirSize = le32(b.data() + eocd + 12), dirOffset = le32(b.data() + eocd + 16);
  if (dirOffset == 0xffffffff || entries == 0xffff)
    return npzError(name, "zip64 archives are not supported");
  if ((uint64_t)dirOffset + dirSize > eocd)
    return npzError(name, "central directory lies outside the file");
  std::vector<NamedTensor> out;
  size_t p = dirOffset;
  for (uint16_t e = 0; e < entries; ++e) {
    if (p + 46 > eocd || le32(b.data() + p) != 0x02014b50)
      return npzError(name, "corrupt central directory entry " + llvm::Twine(e));
    uint16_t flags = le16(b.data() + p + 8), method = le16(b.data() + p + 10);
    uint32_t compSize = le32(b.data() + p + 20), size = le32(b.data() + p + 24);
    uint16_t nameLen = le16(b.data() + p + 28), extraLen = le16(b.data() + p + 30),
             commentLen = le16(b.data() + p + 32);
    uint32_t localOffset = le32(b.data() + p + 42);
    if (p + 46 + (size_t)nameLen + extraLen + commentLen > eocd)
      return npzError(name, "corrupt central directory entry " + llvm::Twine(e));
    std::string member(b.data() + p + 46, nameLen);
    p += 46 + (size_t)nameLen + extraLen + commentLen;
    if (flags & 1)
      return npzError(name, "member '" + member + "' is encrypted");
    if (compSize == 0xffffffff || size == 0xffffffff || localOffset == 0xffffffff)
      return npzError(name, "zip64 members are not supported");
    if ((int64_t)size > maxBytes)
      return npzError(name, "member '" + member + "' is " + llvm::Twine(size) +
                                " bytes, above the limit of " + llvm::Twine(maxBytes));
    // The local header repeats name and extra field with its own lengths.
    if ((uint64_t)localOffset + 30 > b.size() || le32(b.data() + localOffset) != 0x04034b50)
      return npzError(name, "member '" + member + "' has no local header");
    uint64_t dataStart = (uint64_t)localOffset + 30 + le16(b.data() + localOffset + 26) +
                         le16(b.data() + localOffset + 28);
    if (dataStart + compSize > dirOffset)
      return npzError(name, "member '" + member + "' lies outside the archive");
    ArrayRef<char> data(b.data() + dataStart, compSize);
    std::vector<char> raw;
    if (method == 0) {
      if (compSize != size)
        return npzError(name, "stored member '" + member + "' has inconsistent sizes");
      raw.assign(data.begin(), data.end());
    } else if (method == 8) {
      auto inflated = inflateRaw(data, size, name);
      if (!inflated)
        return inflated.takeError();
      raw = std::move(*inflated);
    } else {
      return npzError(name, "member '" + member + "' uses compression method " +
                                llvm::Twine(method) + " (only stored and deflate)");
    }
    llvm::StringRef arrayName(member);
    if (!arrayName.consume_back(".npy"))
      return npzError(name, "member '" + member + "' is not a .npy file");
    auto t = parseNpy(raw, maxBytes, (name + ":" + member).str());
    if (!t)
      return t.takeError();
    out.push_back({arrayName.str(), std::move(*t)});
  }
  return out;
}

Expected<std::vector<NamedTensor>> qopt::ref::readNpz(llvm::StringRef path, int64_t maxBytes) {
  // An archive may hold many members of up to maxBytes each: only the
  // members are limited (in parseNpz), the file must merely be a file.
  auto buffer = readRegularFile(path, /*maxBytes=*/-1);
  if (!buffer)
    return buffer.takeError();
  return parseNpz(ArrayRef<char>((*buffer)->getBufferStart(), (*buffer)->getBufferSize()),
                  maxBytes, path);
}
