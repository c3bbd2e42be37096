//===- BundleVerify.cpp - Complete verification of a .qbin image ----------===//
//
// Every message names the part of the bundle at fault and says what was
// expected and what was found: a user holding a bad file learns whether it is
// truncated, damaged, too new, or written by a buggy compiler.
//
//===----------------------------------------------------------------------===//

#include "qopt/runtime/BundleVerify.h"
#include "qopt/runtime/BundleFile.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <set>
#include <string_view>

#ifndef QOPT_VERSION
#define QOPT_VERSION "0.0.0"
#endif

using namespace qopt::qbin;

namespace {

std::string str(const flatbuffers::String *s) { return s ? s->str() : std::string(); }

std::string num(uint64_t v) { return std::to_string(v); }

/// "1x3x224x224", bounded so that a hostile rank does not build a huge message.
std::string dims(const flatbuffers::Vector<int64_t> *shape) {
  std::string s;
  for (size_t i = 0; i < shape->size() && i < 8; ++i)
    s += (i ? "x" : "") + std::to_string(shape->Get(i));
  if (shape->size() > 8)
    s += "x...";
  return s.empty() ? "scalar" : s;
}

/// Parses "QOpt 1.2.3 (...)" into major * 1e6 + minor * 1e3 + patch; -1 otherwise.
long long parseVersion(std::string_view v) {
  if (v.substr(0, 5) != "QOpt ")
    return -1;
  long long parts[3] = {0, 0, 0};
  size_t i = 5;
  for (int p = 0; p < 3; ++p) {
    size_t start = i;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9' && i - start < 6)
      parts[p] = parts[p] * 10 + (v[i++] - '0');
    if (i == start)
      return -1;
    if (p < 2) {
      if (i >= v.size() || v[i] != '.')
        return -1;
      ++i;
    }
  }
  return parts[0] * 1000000 + parts[1] * 1000 + parts[2];
}

std::string checkHeaderFields(const uint8_t *file, size_t size) {
  if (size < kHeaderSize)
    return "file of " + num(size) + " bytes is shorter than the " + num(kHeaderSize) +
           "-byte .qbin header (truncated or not a bundle)";
  if (std::memcmp(file, kMagic, 4) != 0)
    return "not a .qbin file: expected the magic \"QBIN\" at offset 0";
  uint64_t version = loadLE(file + 4, 4);
  if (version != kFormatVersion)
    return "bundle format version " + num(version) + ", this runtime reads version " +
           num(kFormatVersion) +
           (version > kFormatVersion ? " (recompile the model or update QOpt)" : "");
  uint64_t payload = loadLE(file + 8, 8);
  if (payload != size - kHeaderSize)
    return "the header declares a payload of " + num(payload) + " bytes, the file holds " +
           num(size - kHeaderSize) + (payload > size - kHeaderSize ? " (truncated)" : "");
  if (loadLE(file + 16, 8) != checksum(file + kHeaderSize, payload))
    return "checksum mismatch: the payload is not what the compiler wrote (the file is corrupt)";
  if (loadLE(file + 24, 8) != 0)
    return "reserved header field is not zero";
  return {};
}

/// The FlatBuffer verifier aligns a vector's length word (4 bytes), not its
/// elements: a crafted bundle can place a vector of 8-byte scalars so that
/// every read of them is misaligned (undefined behaviour). The payload
/// itself is 8-byte aligned (the runtime verifies an aligned copy).
template <typename T> bool elementsAligned(const flatbuffers::Vector<T> *v) {
  return !v || reinterpret_cast<uintptr_t>(v->data()) % alignof(T) == 0;
}

std::string checkTensor(const char *what, size_t index, const TensorSpec *t, uint64_t &bytes,
                        std::set<std::string_view> &names) {
  std::string where = std::string(what) + " " + num(index);
  if (!t->name() || t->name()->size() == 0)
    return where + " has no name";
  std::string_view name = t->name()->string_view();
  where = std::string(what) + " '" + std::string(name.substr(0, 200)) + "'";
  if (!names.insert(name).second)
    return where + " appears twice in the signature";
  if (t->dtype() > DType::MAX)
    return where + " has an unknown dtype (" + num((unsigned)t->dtype()) + ")";
  if (!t->shape())
    return where + " has no shape";
  if (!elementsAligned(t->shape()) ||
      (t->quant() && (!elementsAligned(t->quant()->scales()) ||
                      !elementsAligned(t->quant()->zero_points()))))
    return where + " has a misaligned vector of 8-byte values (not written by qopt-compile)";
  if (t->shape()->size() > (size_t)kMaxRank)
    return where + " has rank " + num(t->shape()->size()) + ", at most " + num(kMaxRank) +
           " is supported";
  bytes = dtypeBytes(t->dtype());
  for (int64_t d : *t->shape()) {
    if (d < 0)
      return where + " has a negative dimension (" + dims(t->shape()) + ")";
    if (d > 0 && bytes > kMaxBufferBytes / (uint64_t)d)
      return where + " has absurd dimensions " + dims(t->shape()) + ": more than " +
             num(kMaxBufferBytes) + " bytes";
    bytes *= (uint64_t)d;
  }
  if (const QuantParams *q = t->quant()) {
    size_t expected = 1;
    if (q->axis() != -1) {
      if (q->axis() < 0 || (size_t)q->axis() >= t->shape()->size())
        return where + ": quantization axis " + std::to_string(q->axis()) +
               " is outside its rank " + num(t->shape()->size());
      expected = (size_t)t->shape()->Get(q->axis());
    }
    if (!q->scales() || q->scales()->size() != expected || !q->zero_points() ||
        q->zero_points()->size() != expected)
      return where + ": expected " + num(expected) + " scales and zero points";
    if (q->storage_min() > q->storage_max())
      return where + ": storage range is empty";
  }
  return {};
}

} // namespace

uint64_t qopt::qbin::dtypeBytes(DType t) {
  switch (t) {
  case DType::F64:
  case DType::I64:
  case DType::U64: return 8;
  case DType::F32:
  case DType::I32:
  case DType::U32: return 4;
  case DType::F16:
  case DType::BF16:
  case DType::I16:
  case DType::U16: return 2;
  default: return 1;
  }
}

const char *qopt::qbin::dtypeName(DType t) {
  static const char *const names[] = {"float32", "float16", "bfloat16", "float64", "int8",
                                      "uint8",   "int16",   "uint16",   "int32",   "uint32",
                                      "int64",   "uint64",  "bool"};
  return t <= DType::MAX ? names[(int)t] : "unknown";
}

bool qopt::qbin::archSpecific(const char *target, size_t length) {
  return chipNumber(target, length) >= 0 && target[length - 1] == 'a';
}

int qopt::qbin::chipNumber(const char *target, size_t length) {
  std::string_view s(target, length);
  if (s.size() < 5 || s.size() > 7 || s.substr(0, 3) != "sm_")
    return -1;
  int n = 0;
  for (size_t i = 3; i < s.size(); ++i) {
    char c = s[i];
    if (c >= '0' && c <= '9')
      n = n * 10 + (c - '0');
    else if (!(c == 'a' && i == s.size() - 1 && i > 3)) // sm_90a: the same chip
      return -1;
  }
  return n;
}

const char *qopt::qbin::runtimeVersion() { return "QOpt " QOPT_VERSION; }

/// cuModuleLoadDataEx takes an image without its size: the driver finds the
/// end of a cubin from its ELF header. The header's tables must therefore lie
/// inside the bytes the bundle holds, or the driver reads past them.
static std::string checkCubin(const uint8_t *p, size_t size) {
  if (size < 64 || std::memcmp(p, "\x7f" "ELF", 4) != 0)
    return "is not an ELF file";
  if (p[4] != 2 || p[5] != 1)
    return "is not a 64-bit little-endian ELF file";
  uint64_t phoff = loadLE(p + 0x20, 8), shoff = loadLE(p + 0x28, 8);
  uint64_t phentsize = loadLE(p + 0x36, 2), phnum = loadLE(p + 0x38, 2);
  uint64_t shentsize = loadLE(p + 0x3a, 2), shnum = loadLE(p + 0x3c, 2);
  auto inside = [&](uint64_t offset, uint64_t entry, uint64_t count) {
    // entry and count are 16-bit: their product cannot overflow.
    return offset <= size && entry * count <= size - offset;
  };
  if ((shnum && shentsize != 64) || (phnum && phentsize != 56))
    return "has ELF tables of an unexpected entry size";
  if (!inside(shoff, shentsize, shnum) || !inside(phoff, phentsize, phnum))
    return "is truncated: its ELF header points past its " + std::to_string(size) + " bytes";
  return {};
}

std::string qopt::qbin::verifyBundle(const uint8_t *file, size_t size, VerifiedBundle &out) {
  out = VerifiedBundle();
  if (std::string err = checkHeaderFields(file, size); !err.empty())
    return err;
  const uint8_t *payload = file + kHeaderSize;
  size_t payloadSize = size - kHeaderSize;
  if (payloadSize < 8 || !BundleBufferHasIdentifier(payload))
    return "the payload is not a QOpt bundle: expected the FlatBuffer identifier \"QBN1\"";
  flatbuffers::Verifier verifier(payload, payloadSize);
  if (!VerifyBundleBuffer(verifier))
    return "the bundle's FlatBuffer does not verify (an offset or length points outside the "
           "file)";
  const Bundle *b = GetBundle(payload);

  std::string_view compiler = b->compiler_version() ? b->compiler_version()->string_view() : "";
  long long written = parseVersion(compiler), ours = parseVersion(runtimeVersion());
  if (written < 0)
    return "the compiler version \"" + std::string(compiler.substr(0, 100)) +
           "\" is not of the form \"QOpt X.Y.Z\"";
  if (written / 1000 > ours / 1000)
    return "the bundle was written by " + std::string(compiler.substr(0, 100)) +
           ", newer than this runtime (" + runtimeVersion() + ")";
  if (!b->targets() || b->targets()->size() == 0)
    return "the bundle names no target chips";
  if (!b->inputs() || !b->outputs() || b->outputs()->size() == 0)
    return "the signature is empty: expected at least one output";
  if (!b->modules() || !b->steps() || b->steps()->size() == 0)
    return "the bundle has no modules or no steps";
  if (b->arena_alignment() != kAlignment)
    return "arena alignment " + num(b->arena_alignment()) + ", expected " + num(kAlignment);
  if (b->arena_bytes() > kMaxBufferBytes)
    return "arena of " + num(b->arena_bytes()) + " bytes is absurd (over " +
           num(kMaxBufferBytes) + ")";

  std::set<std::string_view> names;
  for (size_t i = 0; i < b->inputs()->size(); ++i) {
    uint64_t bytes = 0;
    if (std::string err = checkTensor("input", i, b->inputs()->Get(i), bytes, names); !err.empty())
      return err;
    out.inputBytes.push_back(bytes);
  }
  for (size_t i = 0; i < b->outputs()->size(); ++i) {
    uint64_t bytes = 0;
    if (std::string err = checkTensor("output", i, b->outputs()->Get(i), bytes, names);
        !err.empty())
      return err;
    out.outputBytes.push_back(bytes);
  }
  out.weightBytes = b->weights() ? b->weights()->size() : 0;

  for (size_t i = 0; i < b->modules()->size(); ++i) {
    const Module *m = b->modules()->Get(i);
    std::string where = "module " + num(i) + (m->name() ? " (" + str(m->name()) + ")" : "");
    if (!m->name() || !m->kernels() || m->kernels()->size() == 0)
      return where + " lacks its name or kernels";
    bool hasPtx = m->ptx() && m->ptx()->size() > 0;
    if (hasPtx && (!m->ptx_target() ||
                   chipNumber(m->ptx_target()->c_str(), m->ptx_target()->size()) < 0))
      return where + ": its PTX names no target chip (\"" + str(m->ptx_target()) + "\")";
    size_t images = m->images() ? m->images()->size() : 0;
    if (!hasPtx && images == 0)
      return where + " has neither PTX nor a cubin";
    for (size_t k = 0; k < images; ++k) {
      const KernelImage *img = m->images()->Get(k);
      if (!img->target() || chipNumber(img->target()->c_str(), img->target()->size()) < 0)
        return where + ": image " + num(k) + " has target \"" + str(img->target()) +
               "\", expected sm_NN";
      if (!img->cubin() || img->cubin()->size() == 0)
        return where + ": the " + str(img->target()) + " image is empty";
      if (std::string err = checkCubin(img->cubin()->data(), img->cubin()->size()); !err.empty())
        return where + ": the " + str(img->target()) + " image " + err;
      if (img->registers() < 0 || img->registers() > 255 || img->static_shared_bytes() < 0 ||
          img->static_shared_bytes() > 256 * 1024 || img->stack_bytes() < 0)
        return where + ": the " + str(img->target()) +
               " image has impossible resource counts (registers " +
               std::to_string(img->registers()) + ", shared " +
               std::to_string(img->static_shared_bytes()) + " bytes)";
    }
  }

  // The size of the buffer a reference points into (Arena, Weights, Input,
  // Output), or why it points nowhere.
  auto bufferOf = [&](const BufferRef *r, uint64_t &limit, const char *&buffer) -> std::string {
    switch (r->kind()) {
    case BufferKind::Arena:
      limit = b->arena_bytes();
      buffer = "the arena";
      return {};
    case BufferKind::Weights:
      if (out.weightBytes == 0)
        return "reads the weights, but the bundle's weights are empty";
      limit = out.weightBytes;
      buffer = "the weights";
      return {};
    case BufferKind::Input:
    case BufferKind::Output: {
      bool input = r->kind() == BufferKind::Input;
      const std::vector<uint64_t> &sizes = input ? out.inputBytes : out.outputBytes;
      if (r->index() >= sizes.size())
        return std::string("refers to ") + (input ? "input " : "output ") + num(r->index()) +
               ", the bundle has " + num(sizes.size());
      limit = sizes[r->index()];
      buffer = input ? "its input" : "its output";
      return {};
    }
    default:
      return "is not a buffer (kind " + num((unsigned)r->kind()) + ")";
    }
  };

  // Tensor maps: a matrix inside its buffer, and a box and layout that
  // cuTensorMapEncodeTiled accepts, so that encoding can only fail for
  // reasons of the device.
  size_t numMaps = b->tensor_maps() ? b->tensor_maps()->size() : 0;
  if (numMaps > 4096)
    return num(numMaps) + " tensor maps";
  for (size_t i = 0; i < numMaps; ++i) {
    const TensorMap *m = b->tensor_maps()->Get(i);
    std::string where = "tensor map " + num(i) + ": ";
    const BufferRef *r = m->buffer();
    if (!r)
      return where + "names no buffer";
    if (reinterpret_cast<uintptr_t>(r) % alignof(BufferRef) != 0)
      return where + "its buffer reference is misaligned";
    uint64_t limit = 0;
    const char *buffer = "";
    if (std::string err = bufferOf(r, limit, buffer); !err.empty())
      return where + err;
    if (m->rows() == 0 || m->row_bytes() == 0 || m->rows() > (1ull << 32) ||
        m->row_bytes() > (1ull << 32))
      return where + "a matrix of " + num(m->rows()) + " x " + num(m->row_bytes()) +
             " bytes (each 1 to 2^32)";
    if (m->pitch() % 16 != 0 || m->pitch() < m->row_bytes() || m->pitch() >= (1ull << 40))
      return where + "row pitch " + num(m->pitch()) +
             " (a multiple of 16 below 2^40, at least the row's " + num(m->row_bytes()) +
             " bytes)";
    if (r->offset() % 16 != 0)
      return where + "starts at offset " + num(r->offset()) + ", not 16-byte aligned";
    // (rows - 1) * pitch + row_bytes must fit after the offset; compared by
    // division, which cannot overflow.
    if (r->offset() > limit || m->row_bytes() > limit - r->offset() ||
        m->rows() - 1 > (limit - r->offset() - m->row_bytes()) / m->pitch())
      return where + num(m->rows()) + " rows of " + num(m->row_bytes()) + " bytes, " +
             num(m->pitch()) + " apart from offset " + num(r->offset()) + ", lie outside " +
             buffer + " of " + num(limit) + " bytes";
    static const unsigned spans[] = {256, 32, 64, 128}; // bytes a box row may span per swizzle
    if (m->swizzle() > 3)
      return where + "unknown swizzle " + num(m->swizzle());
    if (m->box_rows() == 0 || m->box_rows() > 256 || m->box_bytes() == 0 ||
        m->box_bytes() % 16 != 0 || m->box_bytes() > spans[m->swizzle()])
      return where + "a box of " + num(m->box_rows()) + " x " + num(m->box_bytes()) +
             " bytes (1 to 256 rows of 16 to " + num(spans[m->swizzle()]) +
             " bytes, a multiple of 16)";
  }

  const auto &steps = *b->steps();
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step *s = steps.Get(i);
    std::string where = "step " + num(i);
    if (s->origin() && s->origin()->size())
      where += " (" + std::string(s->origin()->string_view().substr(0, 120)) + ")";
    if (!s->args())
      return where + " has no arguments";
    // The FlatBuffers verifier checks that a vector's length field is 4-byte
    // aligned, not that the 8-byte structs behind it are (found by
    // bundle_fuzzer: a crafted offset made every read of them misaligned).
    if (reinterpret_cast<uintptr_t>(s->args()->data()) % alignof(BufferRef) != 0)
      return where + ": its argument list is misaligned";
    auto check = [&](size_t a, const BufferRef *r, uint64_t bytes) -> std::string {
      std::string arg = where + ", argument " + num(a) + ": ";
      uint64_t limit = 0;
      const char *buffer = "";
      if (r->kind() > BufferKind::MAX)
        return arg + "unknown buffer kind " + num((unsigned)r->kind());
      if (r->kind() == BufferKind::Scalar) {
        if (r->index() != 4 && r->index() != 8)
          return arg + "a scalar of " + num(r->index()) + " bytes, expected 4 or 8";
        return {};
      }
      if (r->kind() == BufferKind::TensorMap) {
        if (r->index() >= numMaps || r->offset() != 0)
          return arg + "refers to tensor map " + num(r->index()) + " at offset " +
                 num(r->offset()) + ", the bundle has " + num(numMaps);
        return {};
      }
      if (std::string err = bufferOf(r, limit, buffer); !err.empty())
        return arg + err;
      if (r->offset() > limit || bytes > limit - r->offset())
        return arg + "bytes [" + num(r->offset()) + ", " + num(r->offset()) + " + " + num(bytes) +
               ") lie outside " + buffer + " of " + num(limit) + " bytes";
      return {};
    };
    if (s->kind() == StepKind::Launch) {
      if (s->module_() >= b->modules()->size())
        return where + " launches module " + num(s->module_()) + ", the bundle has " +
               num(b->modules()->size());
      const Module *m = b->modules()->Get(s->module_());
      bool found = false;
      for (const auto *k : *m->kernels())
        found |= s->kernel() && k->string_view() == s->kernel()->string_view();
      if (!found)
        return where + " launches kernel '" + str(s->kernel()) + "', which module " +
               str(m->name()) + " does not contain";
      if (!s->grid() || !s->block() || s->grid()->size() != 3 || s->block()->size() != 3)
        return where + ": grid and block need 3 values each";
      for (uint32_t v : *s->grid())
        if (v == 0 || v > 0x7fffffffu)
          return where + ": grid dimension " + num(v) + " is out of range";
      if (s->grid()->Get(1) > 65535 || s->grid()->Get(2) > 65535)
        return where + ": grid y and z are at most 65535";
      uint64_t threads = 1;
      for (uint32_t v : *s->block())
        threads *= v;
      if (threads == 0 || threads > 1024)
        return where + ": a block of " + num(threads) + " threads, expected 1 to 1024";
      if (s->dynamic_shared_bytes() > 256 * 1024)
        return where + ": " + num(s->dynamic_shared_bytes()) + " bytes of dynamic shared memory";
      if (s->args()->size() > 1024)
        return where + ": " + num(s->args()->size()) + " kernel arguments";
      for (size_t a = 0; a < s->args()->size(); ++a)
        if (std::string err = check(a, s->args()->Get(a), 0); !err.empty())
          return err;
    } else if (s->kind() == StepKind::Copy) {
      if (s->args()->size() != 2)
        return where + ": a copy needs a source and a destination, found " +
               num(s->args()->size()) + " arguments";
      for (size_t a = 0; a < 2; ++a) {
        const BufferRef *r = s->args()->Get(a);
        if (r->kind() == BufferKind::Scalar || r->kind() == BufferKind::TensorMap)
          return where + ": a copy cannot read or write a scalar or a tensor map";
        if (a == 1 && (r->kind() == BufferKind::Weights || r->kind() == BufferKind::Input))
          return where + ": a copy may not write into the weights or an input";
        if (std::string err = check(a, r, s->copy_bytes()); !err.empty())
          return err;
      }
    } else {
      return where + " has unknown kind " + num((unsigned)s->kind());
    }
  }

  if (const auto *resources = b->program_resources())
    for (const ProgramResource *r : *resources)
      if (!r->name() || r->offset() > out.weightBytes || r->size() > out.weightBytes - r->offset())
        return "program resource '" + str(r->name()) + "' lies outside the weights";
  out.bundle = b;
  return {};
}
