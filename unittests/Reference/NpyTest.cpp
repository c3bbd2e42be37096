//===- NpyTest.cpp - .npy reader/writer tests -----------------------------===//
//
// Round trips for every dtype, NumPy's exact header layout, the accepted
// spellings, and one case per validation the reader performs on hostile
// files (each must fail with a message naming the problem, never crash).
//
//===----------------------------------------------------------------------===//

#include "qopt/Reference/Npy.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

#include <cstring>
#include <string>
#include <vector>

using namespace qopt::ref;
using llvm::ArrayRef;

namespace {

/// A .npy file with the given header text (no padding added) and data bytes.
std::string npyFile(const std::string &header, const std::string &data, int major = 1) {
  std::string s("\x93NUMPY", 6);
  s += (char)major;
  s += (char)0;
  size_t n = header.size();
  for (int i = 0; i < (major == 1 ? 2 : 4); ++i)
    s += (char)((n >> (8 * i)) & 0xff);
  return s + header + data;
}

std::string dict(const std::string &descr, const std::string &shape,
                 const std::string &fortran = "False") {
  return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape +
         ", }\n";
}

llvm::Expected<Tensor> parse(const std::string &bytes, int64_t maxBytes = INT64_MAX) {
  return parseNpy(ArrayRef<char>(bytes.data(), bytes.size()), maxBytes, "test.npy");
}

std::string errorOf(llvm::Expected<Tensor> r) {
  if (r)
    return "";
  return llvm::toString(r.takeError());
}

const DType kNpyTypes[] = {DType::F16, DType::F32, DType::F64, DType::Bool, DType::I8,
                           DType::I16, DType::I32, DType::I64, DType::U8,   DType::U16,
                           DType::U32, DType::U64};

TEST(NpyTest, RoundTripEveryDtypeAndRank) {
  for (DType dt : kNpyTypes) {
    const std::vector<std::vector<int64_t>> shapes = {{}, {0}, {5}, {2, 3, 4}};
    for (ArrayRef<int64_t> shape : shapes) {
      Tensor t(dt, shape);
      for (size_t b = 0; b < t.byteSize(); ++b)
        t.bytes()[b] = dt == DType::Bool ? (char)(b % 3 == 0) : (char)(b * 37 + 11);
      auto bytes = serializeNpy(t);
      ASSERT_TRUE((bool)bytes) << llvm::toString(bytes.takeError());
      size_t headerEnd = bytes->size() - t.byteSize();
      EXPECT_EQ(headerEnd % 64, 0u) << t.describe();
      EXPECT_EQ((*bytes)[headerEnd - 1], '\n');
      EXPECT_EQ((*bytes)[6], 1); // version 1.0
      auto back = parse(*bytes);
      ASSERT_TRUE((bool)back) << t.describe() << ": " << llvm::toString(back.takeError());
      EXPECT_EQ(back->dtype(), dt);
      EXPECT_EQ(back->shape(), shape);
      EXPECT_EQ(std::memcmp(back->bytes(), t.bytes(), t.byteSize()), 0) << t.describe();
    }
  }
}

TEST(NpyTest, HeaderIsExactlyNumPys) {
  auto bytes = serializeNpy(Tensor(DType::F32, {2, 3}));
  ASSERT_TRUE((bool)bytes);
  std::string text = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  EXPECT_EQ(bytes->substr(0, 6), std::string("\x93NUMPY", 6));
  EXPECT_EQ((uint8_t)(*bytes)[8] | (uint8_t)(*bytes)[9] << 8, 118); // 10 + 118 = 128
  EXPECT_EQ(bytes->substr(10, text.size()), text);
  EXPECT_EQ(bytes->size(), 128u + 24u);
  auto one = serializeNpy(Tensor(DType::I64, {7}));
  ASSERT_TRUE((bool)one);
  EXPECT_NE(one->find("'shape': (7,), }"), std::string::npos);
  auto scalar = serializeNpy(Tensor(DType::Bool, {}));
  ASSERT_TRUE((bool)scalar);
  EXPECT_NE(scalar->find("'descr': '|b1', 'fortran_order': False, 'shape': (), }"),
            std::string::npos);
}

TEST(NpyTest, FileRoundTripAndBf16Rejected) {
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("qopt-npy", "npy", path));
  Tensor t(DType::F64, {3});
  t.data<double>()[0] = 1.5;
  t.data<double>()[1] = -2;
  t.data<double>()[2] = 1e300;
  ASSERT_FALSE((bool)writeNpy(path, t));
  auto back = readNpy(path);
  ASSERT_TRUE((bool)back) << llvm::toString(back.takeError());
  EXPECT_EQ(back->data<double>()[2], 1e300);
  llvm::Error e = writeNpy(path, Tensor(DType::BF16, {2}));
  ASSERT_TRUE((bool)e);
  EXPECT_NE(llvm::toString(std::move(e)).find("bfloat16"), std::string::npos);
  llvm::sys::fs::remove(path);
}

TEST(NpyTest, TruncatedFileNamesPathAndSizes) {
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("qopt-npy", "npy", path));
  std::string bytes = npyFile(dict("<i4", "(2, 3)"), std::string(20, '\0'));
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    ASSERT_FALSE(ec);
    os << bytes;
  }
  std::string msg = errorOf(readNpy(path));
  EXPECT_NE(msg.find(path.str().str()), std::string::npos) << msg;
  EXPECT_NE(msg.find("expected 24 data bytes"), std::string::npos) << msg;
  EXPECT_NE(msg.find("found 20"), std::string::npos) << msg;
  llvm::sys::fs::remove(path);
  EXPECT_NE(errorOf(readNpy(path)).find("cannot read"), std::string::npos);
  llvm::SmallString<128> missingDir(path);
  llvm::sys::path::append(missingDir, "no", "such.npy");
  llvm::Error e = writeNpy(missingDir, Tensor(DType::F32, {1}));
  ASSERT_TRUE((bool)e);
  EXPECT_NE(llvm::toString(std::move(e)).find("cannot open"), std::string::npos);
}

TEST(NpyTest, AcceptedSpellings) {
  std::string four(4, '\x01');
  struct {
    std::string header;
    DType dtype;
  } cases[] = {
      {dict("|u1", "(4,)"), DType::U8},
      {dict("<u1", "(4,)"), DType::U8},
      {dict("|i1", "(2, 2)"), DType::I8},
      {dict(">i1", "(4,)"), DType::I8},
      {dict("=f4", "(1,)"), DType::F32},
      {dict("<u2", "(2,)"), DType::U16},
      // Key order, double quotes, no trailing comma, Python 2 long suffix.
      {"{\"shape\": (2L,), \"fortran_order\": False, \"descr\": \"<i2\"}   \n", DType::I16},
      {"  {'descr':'|b1','fortran_order':False,'shape':(4 ,)}", DType::Bool},
  };
  for (auto &c : cases) {
    auto t = parse(npyFile(c.header, four));
    ASSERT_TRUE((bool)t) << c.header << ": " << llvm::toString(t.takeError());
    EXPECT_EQ(t->dtype(), c.dtype) << c.header;
    EXPECT_EQ(t->byteSize(), 4u);
  }
  for (int major : {2, 3}) {
    auto t = parse(npyFile(dict("<f4", "()"), std::string(4, '\0'), major));
    ASSERT_TRUE((bool)t) << llvm::toString(t.takeError());
    EXPECT_EQ(t->rank(), 0);
  }
}

TEST(NpyTest, BoolBytesAreNormalized) {
  auto t = parse(npyFile(dict("|b1", "(3,)"), std::string("\x00\x02\xff", 3)));
  ASSERT_TRUE((bool)t);
  EXPECT_EQ(t->data<uint8_t>()[0], 0);
  EXPECT_EQ(t->data<uint8_t>()[1], 1);
  EXPECT_EQ(t->data<uint8_t>()[2], 1);
}

struct HostileCase {
  const char *name;
  std::string bytes;
  const char *message;
};

std::ostream &operator<<(std::ostream &os, const HostileCase &c) { return os << c.name; }

class NpyHostileTest : public ::testing::TestWithParam<HostileCase> {};

TEST_P(NpyHostileTest, FailsWithMessage) {
  const HostileCase &c = GetParam();
  std::string msg = errorOf(parse(c.bytes, /*maxBytes=*/1 << 20));
  EXPECT_NE(msg.find(c.message), std::string::npos) << "got: " << msg;
  EXPECT_NE(msg.find("test.npy"), std::string::npos) << "got: " << msg;
}

std::string withLength(std::string f, uint16_t len) {
  f[8] = (char)(len & 0xff);
  f[9] = (char)(len >> 8);
  return f;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, NpyHostileTest,
    ::testing::Values(
        HostileCase{"Empty", "", "bad magic"},
        HostileCase{"BadMagic", "\x93NUMPZ\x01\x00\x00\x00", "bad magic"},
        HostileCase{"Version", npyFile(dict("<f4", "()"), "abcd", 4), "version 4.0"},
        HostileCase{"NoLength", std::string("\x93NUMPY\x02\x00\x10", 9), "header length"},
        HostileCase{"LengthPastEnd", withLength(npyFile(dict("<f4", "()"), "abcd"), 500),
                    "exceeds the file size"},
        HostileCase{"NotADict", npyFile("['descr']", ""), "expected '{'"},
        HostileCase{"MissingShape", npyFile("{'descr': '<f4', 'fortran_order': False}", ""),
                    "must have the keys"},
        HostileCase{"ExtraKey",
                    npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}",
                            "abcd"),
                    "unexpected key 'x'"},
        HostileCase{"DuplicateKey",
                    npyFile("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, "
                            "'shape': ()}",
                            "abcd"),
                    "duplicate key 'descr'"},
        HostileCase{"FortranOrder", npyFile(dict("<f4", "(1,)", "True"), "abcd"),
                    "fortran_order"},
        HostileCase{"FortranNotBool", npyFile(dict("<f4", "(1,)", "1"), "abcd"),
                    "True or False"},
        HostileCase{"NegativeDim", npyFile(dict("<f4", "(2, -3)"), ""), "negative dimension"},
        HostileCase{"ProductOverflow",
                    npyFile(dict("<f8", "(4294967296, 4294967296, 4294967296)"), ""),
                    "more than"},
        HostileCase{"DigitOverflow", npyFile(dict("<f4", "(99999999999999999999,)"), ""),
                    "overflows int64"},
        HostileCase{"ShapeNotTuple", npyFile(dict("<f4", "(3)"), "abcdefghijkl"), "tuple"},
        HostileCase{"ShapeNotInts", npyFile(dict("<f4", "(3.5,)"), ""), "expected ','"},
        HostileCase{"Truncated", npyFile(dict("<i4", "(2, 3)"), std::string(20, '\0')),
                    "expected 24 data bytes for <i4 (2,3), found 20"},
        HostileCase{"TrailingData", npyFile(dict("<i4", "(1,)"), std::string(8, '\0')),
                    "found 8"},
        HostileCase{"BigEndian", npyFile(dict(">f4", "(1,)"), "abcd"), "big-endian"},
        HostileCase{"Complex", npyFile(dict("<c8", "(1,)"), "abcdefgh"),
                    "unsupported dtype descr '<c8'"},
        HostileCase{"Object", npyFile(dict("|O", "(1,)"), "abcdefgh"), "unsupported dtype"},
        HostileCase{"Structured",
                    npyFile("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': ()}",
                            "abcd"),
                    "must be a string"},
        HostileCase{"TextAfterDict", npyFile(dict("<f4", "()") + "junk", "abcd"),
                    "unexpected text"},
        HostileCase{"UnterminatedString", npyFile("{'descr: '<f4'", ""), "expected ':'"},
        HostileCase{"UnterminatedTuple", npyFile("{'shape': (1, 2", ""), "shape"},
        HostileCase{"OverLimit", npyFile(dict("<f8", "(1024, 1024)"), ""),
                    "exceeds the limit of 1048576 bytes"}),
    [](const ::testing::TestParamInfo<HostileCase> &info) { return info.param.name; });

TEST(NpyTest, EveryPrefixAndByteFlipIsHandled) {
  Tensor t(DType::I16, {3, 5});
  auto good = serializeNpy(t);
  ASSERT_TRUE((bool)good);
  // Every strict prefix is an error (header or data cut short).
  for (size_t n = 0; n < good->size(); ++n)
    EXPECT_FALSE((bool)parse(good->substr(0, n))) << "prefix " << n;
  // Flipping any header byte either still parses to a consistent tensor or
  // fails cleanly.
  size_t headerEnd = good->size() - t.byteSize();
  for (size_t i = 0; i < headerEnd; ++i)
    for (char v : {'\0', '0', '9', ',', ')', '(', '\'', '-', '\x7f', '\xff'}) {
      std::string bad = *good;
      bad[i] = v;
      auto r = parse(bad);
      if (r)
        EXPECT_EQ(r->byteSize(), bad.size() - headerEnd);
      else
        llvm::consumeError(r.takeError());
    }
}

} // namespace
