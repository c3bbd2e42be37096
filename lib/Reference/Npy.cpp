//===- Npy.cpp - NumPy .npy reader and writer ------------------*- C++ -*-===//
//
// Layout: "\x93NUMPY", major, minor, header length (uint16 LE for 1.0, uint32
// LE for 2.0/3.0), then a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded with spaces and a newline, then the raw C-order data.
//
//===----------------------------------------------------------------------===//

#include "qopt/Reference/Npy.h"
#include "qopt/Reference/File.h"
#include "Kernels/KernelSupport.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SwapByteOrder.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <optional>

using namespace qopt::ref;
using namespace qopt::ref::detail;
using llvm::ArrayRef;
using llvm::Expected;
using llvm::SmallVector;
using llvm::StringRef;

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;

/// Maps a descr such as "<f4" to a dtype.
Expected<DType> dtypeFromDescr(StringRef descr) {
  if (descr.size() < 2)
    return makeError("unsupported dtype descr '{0}'", descr);
  char order = descr[0];
  StringRef code = descr.drop_front();
  if (order != '<' && order != '>' && order != '|' && order != '=')
    return makeError("unsupported dtype descr '{0}' (expected a byte-order prefix)", descr);
  static const struct {
    const char *code;
    DType dtype;
  } table[] = {{"f2", DType::F16}, {"f4", DType::F32}, {"f8", DType::F64}, {"b1", DType::Bool},
               {"i1", DType::I8},  {"i2", DType::I16}, {"i4", DType::I32}, {"i8", DType::I64},
               {"u1", DType::U8},  {"u2", DType::U16}, {"u4", DType::U32}, {"u8", DType::U64}};
  for (const auto &e : table) {
    if (code != e.code)
      continue;
    if (order == '>' && dtypeSize(e.dtype) > 1)
      return makeError("big-endian dtype '{0}' is not supported", descr);
    return e.dtype;
  }
  return makeError("unsupported dtype descr '{0}'", descr);
}

Expected<std::string> descrFor(DType t) {
  switch (t) {
  case DType::F16: return std::string("<f2");
  case DType::F32: return std::string("<f4");
  case DType::F64: return std::string("<f8");
  case DType::Bool: return std::string("|b1");
  case DType::I8: return std::string("|i1");
  case DType::I16: return std::string("<i2");
  case DType::I32: return std::string("<i4");
  case DType::I64: return std::string("<i8");
  case DType::U8: return std::string("|u1");
  case DType::U16: return std::string("<u2");
  case DType::U32: return std::string("<u4");
  case DType::U64: return std::string("<u8");
  case DType::BF16: break;
  }
  return makeError("bfloat16 has no .npy type code; cast to float32 before writing");
}

/// Parser for the header dict. Accepts exactly what Python's literal syntax
/// allows for the three keys NumPy writes: quoted strings, True/False and
/// tuples of non-negative integers (with an optional Python 2 'L' suffix).
class HeaderParser {
public:
  explicit HeaderParser(StringRef text) : text(text) {}

  llvm::Error parse(std::string &descr, bool &fortran, SmallVector<int64_t, 6> &shape) {
    bool haveDescr = false, haveFortran = false, haveShape = false;
    skipSpace();
    if (!consume('{'))
      return fail("expected '{'");
    skipSpace();
    while (!peek('}')) {
      std::string key;
      if (auto e = parseString(key))
        return e;
      skipSpace();
      if (!consume(':'))
        return fail("expected ':' after key '" + key + "'");
      skipSpace();
      if (key == "descr") {
        if (haveDescr)
          return fail("duplicate key 'descr'");
        haveDescr = true;
        if (!peek('\'') && !peek('"'))
          return fail("'descr' must be a string (structured dtypes are not supported)");
        if (auto e = parseString(descr))
          return e;
      } else if (key == "fortran_order") {
        if (haveFortran)
          return fail("duplicate key 'fortran_order'");
        haveFortran = true;
        if (text.substr(pos).starts_with("True")) {
          fortran = true;
          pos += 4;
        } else if (text.substr(pos).starts_with("False")) {
          fortran = false;
          pos += 5;
        } else {
          return fail("'fortran_order' must be True or False");
        }
      } else if (key == "shape") {
        if (haveShape)
          return fail("duplicate key 'shape'");
        haveShape = true;
        if (auto e = parseShape(shape))
          return e;
      } else {
        return fail("unexpected key '" + key + "'");
      }
      skipSpace();
      if (consume(',')) {
        skipSpace();
        continue;
      }
      if (!peek('}'))
        return fail("expected ',' or '}'");
    }
    ++pos; // '}'
    skipSpace();
    if (pos != text.size())
      return fail("unexpected text after the dict");
    if (!haveDescr || !haveFortran || !haveShape)
      return fail("header must have the keys 'descr', 'fortran_order' and 'shape'");
    return llvm::Error::success();
  }

private:
  StringRef text;
  size_t pos = 0;

  llvm::Error fail(const llvm::Twine &msg) {
    return makeError("malformed header at offset {0}: {1}", pos, msg.str());
  }
  bool peek(char c) const { return pos < text.size() && text[pos] == c; }
  bool consume(char c) {
    if (!peek(c))
      return false;
    ++pos;
    return true;
  }
  void skipSpace() {
    while (pos < text.size() &&
           (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }

  llvm::Error parseString(std::string &out) {
    if (!peek('\'') && !peek('"'))
      return fail("expected a quoted string");
    char quote = text[pos++];
    size_t end = text.find(quote, pos);
    if (end == StringRef::npos)
      return fail("unterminated string");
    StringRef s = text.slice(pos, end);
    if (s.contains('\\') || s.contains('\n'))
      return fail("escape sequences are not supported in strings");
    out = s.str();
    pos = end + 1;
    return llvm::Error::success();
  }

  llvm::Error parseShape(SmallVector<int64_t, 6> &shape) {
    if (!consume('('))
      return fail("'shape' must be a tuple");
    skipSpace();
    bool trailingComma = false;
    while (!peek(')')) {
      if (pos >= text.size())
        return fail("unterminated shape tuple");
      bool negative = consume('-');
      if (pos >= text.size() || !isdigit((unsigned char)text[pos]))
        return fail("shape entries must be integers");
      int64_t v = 0;
      while (pos < text.size() && isdigit((unsigned char)text[pos])) {
        int digit = text[pos++] - '0';
        if (v > (INT64_MAX - digit) / 10)
          return fail("shape entry overflows int64");
        v = v * 10 + digit;
      }
      consume('L');
      if (negative)
        return fail("negative dimension -" + std::to_string(v));
      if (shape.size() >= 64)
        return fail("more than 64 dimensions");
      shape.push_back(v);
      skipSpace();
      trailingComma = consume(',');
      skipSpace();
      if (!trailingComma && !peek(')'))
        return fail("expected ',' or ')' in shape");
    }
    ++pos; // ')'
    if (shape.size() == 1 && !trailingComma)
      return fail("'shape' must be a tuple: write (n,) for one dimension");
    return llvm::Error::success();
  }
};

uint32_t readLE(const char *p, int n) {
  uint32_t v = 0;
  for (int i = n - 1; i >= 0; --i)
    v = (v << 8) | (uint8_t)p[i];
  return v;
}

} // namespace

Expected<Tensor> qopt::ref::parseNpy(ArrayRef<char> bytes, int64_t maxBytes, StringRef name) {
  auto wrap = [&](llvm::Error e) -> llvm::Error {
    return makeError("{0}: {1}", name, llvm::toString(std::move(e)));
  };
  if (!llvm::sys::IsLittleEndianHost)
    return wrap(makeError(".npy support assumes a little-endian host"));
  if (bytes.size() < kMagicLen + 2 || std::memcmp(bytes.data(), kMagic, kMagicLen) != 0)
    return wrap(makeError("not a .npy file (bad magic)"));
  uint8_t major = bytes[6], minor = bytes[7];
  if ((major != 1 && major != 2 && major != 3) || minor != 0)
    return wrap(makeError("unsupported .npy format version {0}.{1}", major, minor));
  size_t lenBytes = major == 1 ? 2 : 4;
  size_t start = kMagicLen + 2 + lenBytes;
  if (bytes.size() < start)
    return wrap(makeError("file ends inside the header length"));
  size_t headerLen = readLE(bytes.data() + kMagicLen + 2, lenBytes);
  if (headerLen > bytes.size() - start)
    return wrap(makeError("header length {0} exceeds the file size {1}", headerLen,
                          bytes.size()));
  StringRef header(bytes.data() + start, headerLen);
  std::string descr;
  bool fortran = false;
  SmallVector<int64_t, 6> shape;
  if (auto e = HeaderParser(header).parse(descr, fortran, shape))
    return wrap(std::move(e));
  auto dtype = dtypeFromDescr(descr);
  if (!dtype)
    return wrap(dtype.takeError());
  if (fortran)
    return wrap(makeError("fortran_order arrays are not supported"));
  size_t esize = dtypeSize(*dtype);
  auto n = checkedNumElements(shape, INT64_MAX / (int64_t)esize);
  if (!n)
    return wrap(n.takeError());
  int64_t dataBytes = *n * (int64_t)esize;
  if (dataBytes > maxBytes)
    return wrap(makeError("array data of {0} bytes exceeds the limit of {1} bytes", dataBytes,
                          maxBytes));
  size_t dataStart = start + headerLen;
  size_t actual = bytes.size() - dataStart;
  if ((uint64_t)dataBytes != actual)
    return wrap(makeError("expected {0} data bytes for {1}{2}, found {3}", dataBytes, descr,
                          [&] {
                            std::string s = " (";
                            for (size_t i = 0; i < shape.size(); ++i)
                              s += (i ? "," : "") + std::to_string(shape[i]);
                            return s + ")";
                          }(),
                          actual));
  auto t = Tensor::fromBytes(*dtype, shape, bytes.slice(dataStart));
  if (!t)
    return wrap(t.takeError());
  if (*dtype == DType::Bool) {
    uint8_t *b = t->data<uint8_t>();
    for (int64_t i = 0; i < *n; ++i)
      b[i] = b[i] != 0;
  }
  return t;
}

Expected<Tensor> qopt::ref::readNpy(StringRef path, int64_t maxBytes) {
  // The header is at most 4 GiB by the format, in practice a few hundred
  // bytes; a file far larger than its data may be is refused unread.
  constexpr int64_t kHeaderSlack = 1 << 20;
  auto buf = readRegularFile(path, maxBytes > INT64_MAX - kHeaderSlack ? INT64_MAX
                                                                       : maxBytes + kHeaderSlack);
  if (!buf)
    return buf.takeError();
  ArrayRef<char> bytes((*buf)->getBufferStart(), (*buf)->getBufferSize());
  return parseNpy(bytes, maxBytes, ("'" + path + "'").str());
}

Expected<std::string> qopt::ref::serializeNpy(const Tensor &t) {
  auto descr = descrFor(t.dtype());
  if (!descr)
    return descr.takeError();
  if (!hasStorage(t))
    return makeError("cannot serialize a tensor without storage");
  std::string dict = "{'descr': '" + *descr + "', 'fortran_order': False, 'shape': (";
  for (int64_t i = 0; i < t.rank(); ++i)
    dict += (i ? ", " : "") + std::to_string(t.dim(i));
  if (t.rank() == 1)
    dict += ",";
  dict += "), }";
  // Pad with spaces so that magic + version + length + header + '\n' is a
  // multiple of 64; switch to version 2.0 when 1.0's uint16 length overflows.
  int major = 1;
  size_t prefix = kMagicLen + 2 + 2;
  size_t total = (prefix + dict.size() + 1 + 63) / 64 * 64;
  if (total - prefix > 0xffff) {
    major = 2;
    prefix = kMagicLen + 2 + 4;
    total = (prefix + dict.size() + 1 + 63) / 64 * 64;
  }
  size_t headerLen = total - prefix;
  std::string out(kMagic, kMagicLen);
  out += (char)major;
  out += (char)0;
  for (size_t i = 0; i < (major == 1 ? 2u : 4u); ++i)
    out += (char)((headerLen >> (8 * i)) & 0xff);
  out += dict;
  out.append(headerLen - dict.size() - 1, ' ');
  out += '\n';
  out.append(t.bytes(), t.byteSize());
  return out;
}

llvm::Error qopt::ref::writeNpy(StringRef path, const Tensor &t) {
  auto bytes = serializeNpy(t);
  if (!bytes)
    return makeError("cannot write '{0}': {1}", path, llvm::toString(bytes.takeError()));
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return makeError("cannot open '{0}' for writing: {1}", path, ec.message());
  os << *bytes;
  os.close();
  if (os.has_error()) {
    std::string msg = os.error().message();
    os.clear_error();
    return makeError("cannot write '{0}': {1}", path, msg);
  }
  return llvm::Error::success();
}
