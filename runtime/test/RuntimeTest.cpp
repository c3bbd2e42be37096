//===- RuntimeTest.cpp - Loader, sessions and failure paths --------------===//
//
// Runs against FakeCuda (a host-memory libcuda) so that it needs no GPU and
// runs under ASan/UBSan in CI: synthetic bundles, each damaged in one way,
// must be refused with their own message; good bundles load, pick the right
// machine code, run, and free everything, also when any driver call fails.
//
//===----------------------------------------------------------------------===//

#include "qopt/runtime/BundleFile.h"
#include "qopt/runtime/BundleVerify.h"
#include "qopt/runtime/Runtime.hpp"
#include "qopt/runtime/qopt_runtime.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <functional>
#include <string>
#include <vector>

using namespace qopt;
namespace fb = flatbuffers;

namespace {

/// The fake driver's test interface, resolved from the library the runtime loads.
struct Fake {
  void (*reset)(int, int, int);
  void (*failAt)(const char *, int);
  int (*live)();
  int (*launches)();
  int (*ptxLoads)();
  int (*cubinLoads)();
  int (*calls)(const char *);
  void (*lastTensorMap)(uint64_t *);
};

Fake &fake() {
  static Fake f = [] {
    setenv("QOPT_CUDA_DRIVER", QOPT_FAKE_CUDA_PATH, 1);
    void *h = dlopen(QOPT_FAKE_CUDA_PATH, RTLD_NOW | RTLD_LOCAL);
    if (!h)
      std::abort();
    Fake r;
    r.reset = reinterpret_cast<void (*)(int, int, int)>(dlsym(h, "fake_cuda_reset"));
    r.failAt = reinterpret_cast<void (*)(const char *, int)>(dlsym(h, "fake_cuda_fail"));
    r.live = reinterpret_cast<int (*)()>(dlsym(h, "fake_cuda_live"));
    r.launches = reinterpret_cast<int (*)()>(dlsym(h, "fake_cuda_launches"));
    r.ptxLoads = reinterpret_cast<int (*)()>(dlsym(h, "fake_cuda_ptx_loads"));
    r.cubinLoads = reinterpret_cast<int (*)()>(dlsym(h, "fake_cuda_cubin_loads"));
    r.calls = reinterpret_cast<int (*)(const char *)>(dlsym(h, "fake_cuda_calls"));
    r.lastTensorMap =
        reinterpret_cast<void (*)(uint64_t *)>(dlsym(h, "fake_cuda_last_tensor_map"));
    return r;
  }();
  return f;
}

/// A fake cubin: an ELF64 header whose section table offset is the image
/// size (what FakeCuda reads), followed by the kernel names.
std::vector<uint8_t> fakeCubin(const std::string &kernels, uint64_t pastEnd = 0) {
  std::vector<uint8_t> img(64, 0);
  std::memcpy(img.data(), "\x7f" "ELF\x02\x01", 6); // ELF64, little endian
  img.insert(img.end(), kernels.begin(), kernels.end());
  uint64_t size = img.size() + pastEnd;
  std::memcpy(&img[0x28], &size, 8);
  return img;
}

/// Knobs for one synthetic bundle: an input of 4 floats, a kernel reading the
/// input, the weights and the arena, then a copy of the input to the output.
struct Spec {
  uint32_t version = qbin::kFormatVersion;
  std::string compiler = "QOpt 0.1.0 (test)";
  std::vector<std::string> images = {"sm_80", "sm_90"};
  uint64_t cubinPastEnd = 0; // an ELF header pointing this far past the image
  std::string ptxTarget = "sm_80";
  bool ptx = true;
  std::string imageKernels = "main_kernel";
  std::string stepKernel = "main_kernel";
  uint32_t module = 0;
  std::vector<int64_t> inShape = {1, 4};
  bool outputs = true;
  size_t weightBytes = 256;
  uint64_t arenaBytes = 512;
  qbin::BufferRef kernelArg{qbin::BufferKind::Arena, 0, 256};
  uint64_t copyBytes = 16;
  int staticShared = 1024;
  int registers = 40;
  /// Tensor maps, and launch arguments after the usual four.
  struct Map {
    qbin::BufferRef buffer;
    uint64_t rows, rowBytes, pitch;
    uint32_t boxRows, boxBytes;
    uint8_t swizzle;
  };
  std::vector<Map> maps;
  std::vector<qbin::BufferRef> extraArgs;
};

std::vector<uint8_t> build(const Spec &s) {
  fb::FlatBufferBuilder b;
  auto tensor = [&](const char *name, const std::vector<int64_t> &shape) {
    return qbin::CreateTensorSpec(b, b.CreateString(name), qbin::DType::F32, b.CreateVector(shape));
  };
  std::vector<fb::Offset<qbin::TensorSpec>> ins = {tensor("x", s.inShape)}, outs;
  if (s.outputs)
    outs.push_back(tensor("y", {1, 4}));
  std::vector<fb::Offset<qbin::KernelImage>> images;
  for (const std::string &t : s.images) {
    std::vector<uint8_t> cubin = fakeCubin(s.imageKernels, s.cubinPastEnd);
    images.push_back(qbin::CreateKernelImage(b, b.CreateString(t), b.CreateVector(cubin),
                                             s.registers, 0, 0, s.staticShared));
  }
  std::string ptx = "//\n.version 8.0\n.target " + s.ptxTarget + "\n.entry " + s.imageKernels + "\n";
  auto module = qbin::CreateModule(
      b, b.CreateString("main_module"), b.CreateVectorOfStrings({"main_kernel"}),
      s.ptx ? b.CreateString(ptx) : 0, b.CreateString(s.ptxTarget), b.CreateVector(images));
  std::vector<qbin::BufferRef> launchArgs = {{qbin::BufferKind::Input, 0, 0},
                                             {qbin::BufferKind::Weights, 0, 0},
                                             s.kernelArg,
                                             {qbin::BufferKind::Scalar, 4, 7}};
  launchArgs.insert(launchArgs.end(), s.extraArgs.begin(), s.extraArgs.end());
  std::vector<fb::Offset<qbin::TensorMap>> maps;
  for (const Spec::Map &m : s.maps)
    maps.push_back(qbin::CreateTensorMap(b, &m.buffer, m.rows, m.rowBytes, m.pitch, m.boxRows,
                                         m.boxBytes, m.swizzle));
  std::vector<uint32_t> grid = {4, 1, 1}, block = {128, 1, 1};
  auto launch = qbin::CreateStep(b, qbin::StepKind::Launch, s.module, b.CreateString(s.stepKernel),
                                 b.CreateVector(grid), b.CreateVector(block), 0,
                                 b.CreateVectorOfStructs(launchArgs), 0, b.CreateString("Conv_0"));
  std::vector<qbin::BufferRef> copyArgs = {{qbin::BufferKind::Input, 0, 0},
                                           {qbin::BufferKind::Output, 0, 0}};
  auto copy = qbin::CreateStep(b, qbin::StepKind::Copy, 0, 0, 0, 0, 0,
                               b.CreateVectorOfStructs(copyArgs), s.copyBytes,
                               b.CreateString("Identity_1"));
  std::vector<uint8_t> weights(s.weightBytes, 3);
  auto root = qbin::CreateBundle(
      b, b.CreateString(s.compiler), b.CreateVectorOfStrings(s.images.empty() ? std::vector<std::string>{"sm_80"} : s.images),
      b.CreateVector(ins), b.CreateVector(outs), s.arenaBytes, qbin::kAlignment,
      s.weightBytes ? b.CreateVector(weights) : 0, b.CreateVector(std::vector<decltype(module)>{module}),
      b.CreateVector(std::vector<decltype(launch)>{launch, copy}), 0, b.CreateString("test.onnx"),
      b.CreateString("int8"), 0, s.maps.empty() ? 0 : b.CreateVector(maps));
  b.Finish(root, qbin::BundleIdentifier());
  std::vector<uint8_t> file(qbin::kHeaderSize);
  file.insert(file.end(), b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
  qbin::writeHeader(file.data(), file.data() + qbin::kHeaderSize, b.GetSize());
  qbin::storeLE(file.data() + 4, s.version, 4);
  return file;
}

/// Loads `file` with the fake driver at `chip`; returns the error ("" on success).
std::string loadError(const std::vector<uint8_t> &file, int chip = 90, int sharedOptin = 227 * 1024) {
  fake().reset(chip, sharedOptin, 1);
  qopt_model *m = nullptr;
  qopt_status *st = qopt_model_load_memory(file.data(), file.size(), 0, &m);
  std::string msg = qopt_status_message(st);
  EXPECT_EQ(st == nullptr, m != nullptr);
  qopt_status_free(st);
  qopt_model_free(m);
  EXPECT_EQ(fake().live(), 0) << "leaked driver objects after: " << msg;
  return msg;
}

#define EXPECT_ERROR(file, text, ...)                                                             \
  do {                                                                                            \
    std::string e = loadError(file, ##__VA_ARGS__);                                               \
    EXPECT_NE(e.find(text), std::string::npos) << "message was: " << e;                           \
  } while (0)

TEST(RuntimeLoader, GoodBundleVerifiesAndLoads) {
  std::vector<uint8_t> file = build(Spec());
  EXPECT_EQ(qopt_bundle_verify(file.data(), file.size()), nullptr);
  EXPECT_EQ(loadError(file), "");
}

// --- damaged or inconsistent bundles: each refused with its own reason ---
TEST(RuntimeLoader, Truncated) {
  std::vector<uint8_t> file = build(Spec());
  file.resize(file.size() - 100);
  EXPECT_ERROR(file, "(truncated)");
  EXPECT_ERROR(std::vector<uint8_t>(file.begin(), file.begin() + 10), "shorter than the 32-byte");
}

TEST(RuntimeLoader, BadMagic) {
  std::vector<uint8_t> file = build(Spec());
  file[0] = 'X';
  EXPECT_ERROR(file, "expected the magic \"QBIN\"");
}

TEST(RuntimeLoader, FutureVersion) {
  Spec s;
  s.version = 2;
  EXPECT_ERROR(build(s), "bundle format version 2, this runtime reads version 1");
}

TEST(RuntimeLoader, NewerCompiler) {
  Spec s;
  s.compiler = "QOpt 7.0.0 (future)";
  EXPECT_ERROR(build(s), "newer than this runtime");
  s.compiler = "SomethingElse 1.0";
  EXPECT_ERROR(build(s), "is not of the form");
}

TEST(RuntimeLoader, ChecksumMismatch) {
  std::vector<uint8_t> file = build(Spec());
  file[file.size() / 2] ^= 0x40;
  EXPECT_ERROR(file, "checksum mismatch");
}

TEST(RuntimeLoader, NotAFlatBuffer) {
  std::vector<uint8_t> file(qbin::kHeaderSize + 64, 0x5a);
  qbin::writeHeader(file.data(), file.data() + qbin::kHeaderSize, 64);
  EXPECT_ERROR(file, "identifier \"QBN1\"");
  // Right identifier, garbage tables: the FlatBuffer verifier refuses it.
  std::memcpy(&file[qbin::kHeaderSize + 4], "QBN1", 4);
  qbin::writeHeader(file.data(), file.data() + qbin::kHeaderSize, 64);
  EXPECT_ERROR(file, "does not verify");
}

TEST(RuntimeLoader, WrongChipWithoutPtx) {
  Spec s;
  s.images = {"sm_90"};
  s.ptx = false;
  EXPECT_ERROR(build(s), "bundle targets sm_90, device 0 (Fake GPU) is sm_80 and no PTX is embedded", 80);
}

TEST(RuntimeLoader, PtxNewerThanDevice) {
  Spec s;
  s.images = {"sm_90"};
  s.ptxTarget = "sm_90";
  EXPECT_ERROR(build(s), "is sm_86 and the embedded PTX needs sm_90 or newer", 86);
}

// Found by bundle_fuzzer: the driver sizes a cubin from its ELF header, so a
// header pointing past the image made it read beyond the bundle.
TEST(RuntimeLoader, TruncatedCubin) {
  Spec s;
  s.cubinPastEnd = 4096;
  EXPECT_ERROR(build(s), "module 0 (main_module): the sm_80 image is truncated: its ELF header "
                         "points past its");
}

TEST(RuntimeLoader, OffsetOutOfBounds) {
  Spec s;
  s.kernelArg = {qbin::BufferKind::Arena, 0, 4096};
  EXPECT_ERROR(build(s), "step 0 (Conv_0), argument 2: bytes [4096, 4096 + 0) lie outside the arena of 512 bytes");
}

TEST(RuntimeLoader, SizeOverflow) {
  Spec s;
  s.copyBytes = ~uint64_t(0) - 8; // offset + size would wrap around
  EXPECT_ERROR(build(s), "step 1 (Identity_1), argument 0: bytes [0, 0 + 18446744073709551607) lie outside its input");
  Spec arena;
  arena.arenaBytes = ~uint64_t(0);
  EXPECT_ERROR(build(arena), "arena of 18446744073709551615 bytes is absurd");
}

TEST(RuntimeLoader, MissingKernel) {
  Spec s;
  s.stepKernel = "other_kernel";
  EXPECT_ERROR(build(s), "launches kernel 'other_kernel', which module main_module does not contain");
  // Listed in the module, but absent from the machine code.
  Spec code;
  code.imageKernels = "renamed";
  EXPECT_ERROR(build(code), "kernel 'main_kernel' is not in the machine code of module main_module");
}

TEST(RuntimeLoader, MissingModule) {
  Spec s;
  s.module = 3;
  EXPECT_ERROR(build(s), "step 0 (Conv_0) launches module 3, the bundle has 1");
}

TEST(RuntimeLoader, LaunchReferencesMissingBuffer) {
  Spec s;
  s.kernelArg = {qbin::BufferKind::Input, 5, 0};
  EXPECT_ERROR(build(s), "refers to input 5, the bundle has 1");
  s.kernelArg = {qbin::BufferKind::Scalar, 3, 0};
  EXPECT_ERROR(build(s), "a scalar of 3 bytes, expected 4 or 8");
}

/// A bundle whose kernel takes a tensor map of a 4 x 64-byte matrix at
/// offset 256 of the arena, in boxes of 4 x 64 bytes with the 128-byte swizzle.
Spec withTensorMap() {
  Spec s;
  s.maps.push_back({{qbin::BufferKind::Arena, 0, 256}, 4, 64, 64, 4, 64, 3});
  s.extraArgs.push_back({qbin::BufferKind::TensorMap, 0, 0});
  return s;
}

TEST(RuntimeLoader, TensorMapsAreChecked) {
  EXPECT_EQ(loadError(build(withTensorMap())), "");
  Spec none = withTensorMap();
  none.maps.clear();
  EXPECT_ERROR(build(none), "step 0 (Conv_0), argument 4: refers to tensor map 0 at offset 0, "
                            "the bundle has 0");
  Spec outside = withTensorMap();
  outside.maps[0].rows = 5; // 256 + 4 * 64 + 64 > 512
  EXPECT_ERROR(build(outside), "tensor map 0: 5 rows of 64 bytes, 64 apart from offset 256, lie "
                               "outside the arena of 512 bytes");
  Spec pitch = withTensorMap();
  pitch.maps[0].pitch = 40;
  EXPECT_ERROR(build(pitch), "tensor map 0: row pitch 40 (a multiple of 16");
  Spec box = withTensorMap();
  box.maps[0].boxBytes = 256; // more than the 128-byte swizzle spans
  EXPECT_ERROR(build(box), "tensor map 0: a box of 4 x 256 bytes (1 to 256 rows of 16 to 128");
  Spec aligned = withTensorMap();
  aligned.maps[0].buffer = {qbin::BufferKind::Arena, 0, 264};
  EXPECT_ERROR(build(aligned), "tensor map 0: starts at offset 264, not 16-byte aligned");
  Spec input = withTensorMap();
  input.maps[0].buffer = {qbin::BufferKind::Input, 2, 0};
  EXPECT_ERROR(build(input), "tensor map 0: refers to input 2, the bundle has 1");
  Spec scalar = withTensorMap();
  scalar.maps[0].buffer = {qbin::BufferKind::Scalar, 4, 0};
  EXPECT_ERROR(build(scalar), "tensor map 0: is not a buffer (kind 4)");
  Spec swizzle = withTensorMap();
  swizzle.maps[0].swizzle = 9;
  EXPECT_ERROR(build(swizzle), "tensor map 0: unknown swizzle 9");
}

TEST(RuntimeLoader, EmptySignature) {
  Spec s;
  s.outputs = false;
  EXPECT_ERROR(build(s), "the signature is empty");
}

TEST(RuntimeLoader, AbsurdDimensions) {
  Spec s;
  s.inShape = {int64_t(1) << 40, int64_t(1) << 40};
  EXPECT_ERROR(build(s), "input 'x' has absurd dimensions 1099511627776x1099511627776");
  s.inShape = {1, -4};
  EXPECT_ERROR(build(s), "input 'x' has a negative dimension (1x-4)");
  s.inShape = std::vector<int64_t>(100, 1);
  EXPECT_ERROR(build(s), "input 'x' has rank 100, at most 16");
}

TEST(RuntimeLoader, ZeroLengthWeights) {
  Spec s;
  s.weightBytes = 0;
  EXPECT_ERROR(build(s), "reads the weights, but the bundle's weights are empty");
}

TEST(RuntimeLoader, SharedMemoryOverDeviceLimit) {
  Spec s;
  s.staticShared = 100 * 1024;
  EXPECT_ERROR(build(s), "needs 102400 bytes of shared memory, device 0 (Fake GPU) allows 49152", 90, 48 * 1024);
}

TEST(RuntimeLoader, NoSuchDevice) {
  std::vector<uint8_t> file = build(Spec());
  fake().reset(90, 227 * 1024, 1);
  qopt_model *m = nullptr;
  qopt_status *st = qopt_model_load_memory(file.data(), file.size(), 3, &m);
  EXPECT_EQ(qopt_status_code(st), QOPT_NO_DEVICE);
  EXPECT_STREQ(qopt_status_message(st), "device 3 does not exist; this machine has 1 GPU");
  qopt_status_free(st);
  EXPECT_EQ(m, nullptr);
}

TEST(RuntimeLoader, MissingFileNamesIt) {
  qopt_model *m = nullptr;
  qopt_status *st = qopt_model_load_file("/nonexistent/model.qbin", 0, &m);
  EXPECT_EQ(qopt_status_code(st), QOPT_IO_ERROR);
  EXPECT_NE(std::string(qopt_status_message(st)).find("cannot open '/nonexistent/model.qbin'"), std::string::npos);
  qopt_status_free(st);
}

// --- machine code selection ---
TEST(RuntimeLoader, PicksTheRightImage) {
  std::vector<uint8_t> file = build(Spec());
  struct Case { int chip, cubins, ptx; } cases[] = {{90, 1, 0}, {80, 1, 0}, {86, 1, 0}, {89, 1, 0}, {100, 0, 1}, {120, 0, 1}};
  for (const Case &c : cases) {
    fake().reset(c.chip, 227 * 1024, 1);
    rt::Model model = rt::Model::loadMemory(file.data(), file.size());
    EXPECT_EQ(fake().cubinLoads(), c.cubins) << "sm_" << c.chip;
    EXPECT_EQ(fake().ptxLoads(), c.ptx) << "sm_" << c.chip;
    EXPECT_NE(model.describe().find(c.ptx ? "0 from cubin, 1 JIT-compiled" : "1 from cubin, 0 JIT"), std::string::npos);
  }
  EXPECT_EQ(fake().live(), 0);
}

// --- sessions ---
TEST(RuntimeSession, RunsAndReturnsOutputs) {
  fake().reset(90, 227 * 1024, 1);
  std::vector<uint8_t> file = build(Spec());
  {
    rt::Model model = rt::Model::loadMemory(file.data(), file.size());
    ASSERT_EQ(model.numInputs(), 1u);
    qopt_tensor_info in = model.input(0);
    EXPECT_STREQ(in.name, "x");
    EXPECT_STREQ(in.dtype_name, "float32");
    EXPECT_EQ(in.bytes, 16u);
    EXPECT_EQ(model.findOutput("y"), 0);
    EXPECT_EQ(model.findInput("nope"), -1);
    rt::Session a(model), b(model); // two sessions share the weights
    float x[4] = {1, 2, 3, 4}, y[4] = {0, 0, 0, 0};
    a.setInput(0, x, sizeof x);
    a.run();
    a.getOutput(0, y, sizeof y);
    EXPECT_EQ(std::memcmp(x, y, sizeof x), 0); // the copy step moved the input to the output
    EXPECT_EQ(fake().launches(), 1);
    try {
      b.setInput(0, x, 12);
      ADD_FAILURE() << "a short input was accepted";
    } catch (rt::Error &e) {
      EXPECT_EQ(e.code(), QOPT_INVALID_ARGUMENT);
      EXPECT_STREQ(e.what(), "input 'x' has 16 bytes, 12 were given");
    }
    try {
      b.getOutput(1, y, sizeof y);
      ADD_FAILURE();
    } catch (rt::Error &e) {
      EXPECT_STREQ(e.what(), "output 1 does not exist; the model has 1");
    }
    b.useCudaGraph(true);
    b.setInput(0, x, sizeof x);
    b.run(); // captures and replays
    b.run(); // replays
    EXPECT_EQ(fake().calls("cuGraphInstantiate"), 1);
  }
  EXPECT_EQ(fake().live(), 0);
}

// A session encodes each tensor map once, at the address of its matrix in
// this session's memory, and hands the kernels the map's device address.
TEST(RuntimeSession, EncodesTensorMaps) {
  fake().reset(90, 227 * 1024, 1);
  Spec s = withTensorMap();
  // A second map of the input, which follows the 512-byte arena.
  s.maps.push_back({{qbin::BufferKind::Input, 0, 0}, 1, 16, 16, 1, 16, 0});
  s.extraArgs.push_back({qbin::BufferKind::TensorMap, 1, 0});
  std::vector<uint8_t> file = build(s);
  {
    rt::Model model = rt::Model::loadMemory(file.data(), file.size());
    rt::Session session(model);
    EXPECT_EQ(fake().calls("cuTensorMapEncodeTiled"), 2);
    uint64_t last[7];
    fake().lastTensorMap(last);
    const uint64_t want[7] = {512, 1, 16, 16, 1, 16, 0};
    EXPECT_EQ(std::memcmp(last, want, sizeof want), 0)
        << last[0] << " " << last[1] << " " << last[2] << " " << last[3] << " " << last[4] << " "
        << last[5] << " " << last[6];
    float x[4] = {1, 2, 3, 4};
    session.setInput(0, x, sizeof x);
    session.run();
    EXPECT_EQ(fake().calls("cuTensorMapEncodeTiled"), 2); // not again per run
  }
  EXPECT_EQ(fake().live(), 0);
}

// Any driver call that fails, at any point, gives an error naming the call
// and leaves nothing allocated.
TEST(RuntimeSession, InjectedFailuresLeakNothing) {
  std::vector<uint8_t> file = build(withTensorMap());
  const char *functions[] = {"cuMemAlloc", "cuModuleLoadDataEx", "cuStreamCreate", "cuDevicePrimaryCtxRetain",
                             "cuMemcpyHtoD", "cuMemcpyHtoDAsync", "cuLaunchKernel", "cuGraphInstantiate",
                             "cuTensorMapEncodeTiled"};
  for (const char *function : functions)
    for (int nth = 1; nth <= 3; ++nth) {
      fake().reset(90, 227 * 1024, 1);
      fake().failAt(function, nth);
      std::string error;
      bool reached = false;
      try {
        rt::Model model = rt::Model::loadMemory(file.data(), file.size());
        rt::Session first(model), second(model);
        float x[4] = {1, 2, 3, 4};
        first.setInput(0, x, sizeof x);
        first.run();
        second.useCudaGraph(true);
        second.setInput(0, x, sizeof x);
        second.run();
        second.run();
      } catch (rt::Error &e) {
        error = e.what();
        reached = true;
      }
      std::string call = function;
      if (reached)
        EXPECT_NE(error.find(call), std::string::npos) << function << " #" << nth << ": " << error;
      else
        EXPECT_LT(fake().calls(function), nth) << function << " #" << nth << " failed silently";
      EXPECT_EQ(fake().live(), 0) << function << " #" << nth;
    }
}

TEST(RuntimeApi, NullArgumentsAreErrors) {
  qopt_status *st = qopt_model_load_file(nullptr, 0, nullptr);
  EXPECT_EQ(qopt_status_code(st), QOPT_INVALID_ARGUMENT);
  qopt_status_free(st);
  st = qopt_session_run(nullptr);
  EXPECT_EQ(qopt_status_code(st), QOPT_INVALID_ARGUMENT);
  qopt_status_free(st);
  EXPECT_EQ(qopt_status_code(nullptr), QOPT_OK);
  EXPECT_STREQ(qopt_status_message(nullptr), "");
  EXPECT_EQ(qopt_model_num_inputs(nullptr), 0u);
}

TEST(RuntimeApi, ChipNames) {
  EXPECT_EQ(qbin::chipNumber("sm_90", 5), 90);
  EXPECT_EQ(qbin::chipNumber("sm_90a", 6), 90);
  EXPECT_EQ(qbin::chipNumber("sm_120", 6), 120);
  EXPECT_EQ(qbin::chipNumber("sm_a", 4), -1);
  EXPECT_EQ(qbin::chipNumber("compute_90", 10), -1);
  EXPECT_EQ(qbin::chipNumber("sm_9x0", 6), -1);
}

} // namespace
