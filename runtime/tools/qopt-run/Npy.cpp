//===- Npy.cpp - .npy files for qopt-run, without LLVM --------------------===//

#include "Npy.h"

#include "qopt/runtime/ReadFile.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <istream>
#include <sstream>

using namespace qopt::run;

namespace {

struct Code {
  const char *descr;
  qopt_dtype dtype;
  unsigned bytes;
};
// '|' and '<' are both accepted for one-byte types; NumPy writes '|'.
const Code kCodes[] = {{"<f4", QOPT_F32, 4}, {"<f2", QOPT_F16, 2}, {"<f8", QOPT_F64, 8},
                       {"|i1", QOPT_I8, 1},  {"<i1", QOPT_I8, 1},  {"|u1", QOPT_U8, 1},
                       {"<u1", QOPT_U8, 1},  {"<i2", QOPT_I16, 2}, {"<u2", QOPT_U16, 2},
                       {"<i4", QOPT_I32, 4}, {"<u4", QOPT_U32, 4}, {"<i8", QOPT_I64, 8},
                       {"<u8", QOPT_U64, 8}, {"|b1", QOPT_BOOL, 1}};

const char *dtypeName(qopt_dtype d) {
  static const char *const names[] = {"float32", "float16", "bfloat16", "float64", "int8",
                                      "uint8",   "int16",   "uint16",   "int32",   "uint32",
                                      "int64",   "uint64",  "bool"};
  return (unsigned)d <= QOPT_BOOL ? names[d] : "unknown";
}

/// The value of `key` in the header dict, up to the next top-level ',' or '}'.
bool field(const std::string &header, const char *key, std::string &value) {
  std::string quoted = std::string("'") + key + "'";
  size_t at = header.find(quoted);
  if (at == std::string::npos)
    return false;
  at = header.find(':', at + quoted.size());
  if (at == std::string::npos)
    return false;
  size_t end = at + 1;
  int depth = 0;
  while (end < header.size()) {
    char c = header[end];
    if (c == '(')
      ++depth;
    else if (c == ')')
      --depth;
    else if ((c == ',' || c == '}') && depth == 0)
      break;
    ++end;
  }
  value = header.substr(at + 1, end - at - 1);
  size_t b = value.find_first_not_of(" ");
  size_t e = value.find_last_not_of(" ");
  value = b == std::string::npos ? "" : value.substr(b, e - b + 1);
  return true;
}

} // namespace

std::string qopt::run::describe(qopt_dtype dtype, const std::vector<int64_t> &shape) {
  std::string s = std::string(dtypeName(dtype)) + "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "x" : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string qopt::run::readNpy(const std::string &path, NpyArray &out, uint64_t maxBytes) {
  // The header is at most 1 MiB (checked below); the data exactly maxBytes.
  constexpr uint64_t kHeaderSlack = 1 << 20;
  std::vector<uint8_t> bytes;
  uint64_t limit = maxBytes > UINT64_MAX - kHeaderSlack ? UINT64_MAX : maxBytes + kHeaderSlack;
  if (std::string err = qbin::readRegularFile(path, limit, bytes); !err.empty())
    return err;
  std::istringstream in(std::string(bytes.begin(), bytes.end()));
  bytes = {};
  return parseNpy(in, path, out, maxBytes);
}

std::string qopt::run::parseNpy(std::istream &in, const std::string &path, NpyArray &out,
                                uint64_t maxBytes) {
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0)
    return "'" + path + "' is not a .npy file (bad magic)";
  unsigned major = (unsigned char)magic[6];
  uint64_t headerLength = 0;
  unsigned char len[4] = {0, 0, 0, 0};
  if (major == 1) {
    if (!in.read(reinterpret_cast<char *>(len), 2))
      return "'" + path + "' is truncated in its header";
    headerLength = len[0] | (len[1] << 8);
  } else if (major == 2 || major == 3) {
    if (!in.read(reinterpret_cast<char *>(len), 4))
      return "'" + path + "' is truncated in its header";
    headerLength = len[0] | (len[1] << 8) | (len[2] << 16) | ((uint64_t)len[3] << 24);
  } else {
    return "'" + path + "' has .npy version " + std::to_string(major) + ", expected 1 to 3";
  }
  if (headerLength > (1u << 20))
    return "'" + path + "' declares a header of " + std::to_string(headerLength) + " bytes";
  std::string header(headerLength, '\0');
  if (!in.read(&header[0], (std::streamsize)headerLength))
    return "'" + path + "' is truncated in its header";
  std::string descr, fortran, shape;
  if (!field(header, "descr", descr) || !field(header, "fortran_order", fortran) ||
      !field(header, "shape", shape))
    return "'" + path + "' has a header without descr, fortran_order or shape";
  if (fortran != "False")
    return "'" + path + "' is in Fortran order; save it C-contiguous";
  const Code *code = nullptr;
  for (const Code &c : kCodes)
    if (descr == std::string("'") + c.descr + "'")
      code = &c;
  if (!code)
    return "'" + path + "' has dtype " + descr + ", which qopt-run does not read";
  if (shape.size() < 2 || shape.front() != '(' || shape.back() != ')')
    return "'" + path + "' has a malformed shape " + shape;
  out = NpyArray();
  out.dtype = code->dtype;
  uint64_t bytes = code->bytes;
  std::string digits;
  for (size_t i = 1; i < shape.size(); ++i) {
    char c = shape[i];
    if (c >= '0' && c <= '9') {
      if (digits.size() > 12)
        return "'" + path + "' has an absurd dimension";
      digits += c;
    } else if (c == ',' || c == ')') {
      if (!digits.empty()) {
        int64_t d = std::stoll(digits);
        if (out.shape.size() >= 32)
          return "'" + path + "' has more than 32 dimensions";
        if (d > 0 && bytes > maxBytes / (uint64_t)d)
          return "'" + path + "' holds more than " + std::to_string(maxBytes) + " bytes";
        bytes *= (uint64_t)d;
        out.shape.push_back(d);
        digits.clear();
      }
    } else if (c != ' ' && c != 'L') {
      return "'" + path + "' has a malformed shape " + shape;
    }
  }
  std::streampos dataStart = in.tellg();
  in.seekg(0, std::ios::end);
  uint64_t available = (uint64_t)(in.tellg() - dataStart);
  if (available != bytes)
    return "'" + path + "' holds " + std::to_string(available) + " data bytes, its shape " +
           describe(out.dtype, out.shape) + " needs " + std::to_string(bytes);
  in.seekg(dataStart);
  out.data.resize(bytes);
  if (bytes && !in.read(reinterpret_cast<char *>(out.data.data()), (std::streamsize)bytes))
    return "cannot read '" + path + "'";
  return {};
}

std::string qopt::run::writeNpy(const std::string &path, const NpyArray &a) {
  const char *descr = nullptr;
  for (const Code &c : kCodes)
    if (c.dtype == a.dtype && !descr)
      descr = c.descr;
  if (!descr)
    return std::string("cannot write dtype ") + dtypeName(a.dtype) + " as .npy";
  std::string shape = "(";
  for (int64_t d : a.shape)
    shape += std::to_string(d) + ", ";
  if (a.shape.size() > 1)
    shape.resize(shape.size() - 2);
  else if (a.shape.size() == 1)
    shape.resize(shape.size() - 1);
  shape += ")";
  std::string header =
      std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  if (header.size() > 65535)
    return "array header too long";
  std::ofstream out(path, std::ios::binary);
  if (!out)
    return "cannot create '" + path + "': " + std::strerror(errno);
  out.write("\x93NUMPY\x01\x00", 8);
  char len[2] = {(char)(header.size() & 0xff), (char)(header.size() >> 8)};
  out.write(len, 2);
  out.write(header.data(), (std::streamsize)header.size());
  out.write(reinterpret_cast<const char *>(a.data.data()), (std::streamsize)a.data.size());
  if (!out)
    return "cannot write '" + path + "'";
  return {};
}
