//===- StandaloneMain.cpp - Replay fuzzer inputs without libFuzzer --------===//
//
// Outside the fuzzing build (QOPT_FUZZ=OFF) each harness links this main
// instead of libFuzzer: it runs LLVMFuzzerTestOneInput once on every file
// named on the command line (or found in a named folder), so the regression
// inputs in fuzz/regressions/ run in every build's ctest.
//
//===----------------------------------------------------------------------===//

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static int runFile(const std::filesystem::path &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return 1;
  }
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  return 0;
}

int main(int argc, char **argv) {
  if (LLVMFuzzerInitialize)
    LLVMFuzzerInitialize(&argc, &argv);
  int ran = 0, failed = 0;
  for (int i = 1; i < argc; ++i) {
    if (argv[i][0] == '-')
      continue; // a libFuzzer flag (-runs=0): the same command line works for both
    std::filesystem::path arg(argv[i]);
    std::error_code ec;
    if (std::filesystem::is_directory(arg, ec)) {
      for (const auto &entry : std::filesystem::recursive_directory_iterator(arg, ec))
        if (entry.is_regular_file()) {
          failed += runFile(entry.path());
          ++ran;
        }
    } else {
      failed += runFile(arg);
      ++ran;
    }
  }
  std::printf("%s: %d inputs ran\n", argv[0], ran);
  return failed ? 1 : 0;
}
