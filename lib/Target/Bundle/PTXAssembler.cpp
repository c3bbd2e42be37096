//===- PTXAssembler.cpp - ptxas for every kernel and target -----*- C++ -*-===//
//
// MLIR's gpu-module-to-binary can call ptxas itself, but it keeps neither the
// register and spill report nor the PTX next to the cubin; the bundle wants
// all three (PTX for JIT on other chips, the report for tests and users).
//
//===----------------------------------------------------------------------===//

#include "qopt/Target/Bundle.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

using namespace qopt;
using llvm::Expected;
using llvm::StringRef;

Expected<std::string> qopt::findPTXAS(StringRef preferred) {
  if (!preferred.empty()) {
    if (llvm::sys::fs::can_execute(preferred))
      return preferred.str();
    return llvm::createStringError("--ptxas '" + preferred + "' is not an executable");
  }
  llvm::SmallVector<std::string> candidates;
  if (const char *cuda = std::getenv("CUDA_PATH"))
    candidates.push_back((llvm::Twine(cuda) + "/bin/ptxas").str());
  candidates.push_back("/usr/local/cuda/bin/ptxas");
  for (const std::string &c : candidates)
    if (llvm::sys::fs::can_execute(c))
      return c;
  if (auto onPath = llvm::sys::findProgramByName("ptxas"))
    return *onPath;
  return llvm::createStringError(
      "ptxas not found (looked in $CUDA_PATH/bin, /usr/local/cuda/bin and PATH): install the "
      "CUDA toolkit or pass --ptxas PATH; --emit ptx needs no ptxas");
}

namespace {

/// Reads ptxas -v: the largest register count, and stack/spill/smem sums.
void parseVerbose(StringRef log, KernelStats &stats) {
  llvm::SmallVector<StringRef> lines;
  log.split(lines, '\n');
  llvm::Regex regs("Used ([0-9]+) registers");
  llvm::Regex smem("([0-9]+) bytes smem");
  llvm::Regex frame("([0-9]+) bytes stack frame, ([0-9]+) bytes spill stores, ([0-9]+) bytes "
                    "spill loads");
  for (StringRef line : lines) {
    llvm::SmallVector<StringRef> m;
    if (regs.match(line, &m))
      stats.registers = std::max(stats.registers, std::atoi(m[1].str().c_str()));
    if (smem.match(line, &m))
      stats.sharedBytes = std::max(stats.sharedBytes, std::atoi(m[1].str().c_str()));
    // Warnings, and the "(Cnnnn) Potential Performance Loss" notes that say
    // ptxas undid what the kernel was built for (wgmma serialized, for one).
    if (line.contains("warning") || line.contains("Performance Loss"))
      stats.advisories.push_back(line.trim().str());
    if (frame.match(line, &m)) {
      stats.stackBytes = std::max(stats.stackBytes, std::atoi(m[1].str().c_str()));
      stats.spillBytes += std::atoi(m[2].str().c_str()) + std::atoi(m[3].str().c_str());
    }
  }
}

} // namespace

Expected<std::vector<uint8_t>> qopt::assemblePTX(StringRef ptx, StringRef chip, StringRef ptxas,
                                                 KernelStats &stats) {
  llvm::SmallString<128> ptxPath, cubinPath, logPath;
  if (auto ec = llvm::sys::fs::createTemporaryFile("qopt-kernel", "ptx", ptxPath))
    return llvm::createStringError("cannot create a temporary file: " + ec.message());
  auto removePtx = llvm::scope_exit([&] { llvm::sys::fs::remove(ptxPath); });
  if (auto ec = llvm::sys::fs::createTemporaryFile("qopt-kernel", "cubin", cubinPath))
    return llvm::createStringError("cannot create a temporary file: " + ec.message());
  auto removeCubin = llvm::scope_exit([&] { llvm::sys::fs::remove(cubinPath); });
  if (auto ec = llvm::sys::fs::createTemporaryFile("qopt-kernel", "log", logPath))
    return llvm::createStringError("cannot create a temporary file: " + ec.message());
  auto removeLog = llvm::scope_exit([&] { llvm::sys::fs::remove(logPath); });
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(ptxPath, ec);
    if (ec)
      return llvm::createStringError("cannot write " + ptxPath + ": " + ec.message());
    os << ptx;
  }
  std::string arch = ("-arch=" + chip).str();
  llvm::SmallVector<StringRef> args{ptxas, arch, "-O3", "-v", ptxPath, "-o", cubinPath};
  std::optional<StringRef> redirects[] = {std::nullopt, StringRef(logPath), StringRef(logPath)};
  std::string error;
  int rc = llvm::sys::ExecuteAndWait(ptxas, args, std::nullopt, redirects, /*SecondsToWait=*/300,
                                     /*MemoryLimit=*/0, &error);
  auto log = llvm::MemoryBuffer::getFile(logPath);
  std::string logText = log ? (*log)->getBuffer().str() : "";
  if (rc != 0)
    return llvm::createStringError("ptxas for " + chip + " failed" +
                                   (error.empty() ? "" : " (" + error + ")") + ":\n" + logText);
  parseVerbose(logText, stats);
  stats.target = chip.str();
  auto cubin = llvm::MemoryBuffer::getFile(cubinPath, /*IsText=*/false,
                                           /*RequiresNullTerminator=*/false);
  if (!cubin)
    return llvm::createStringError("ptxas wrote no cubin: " + cubin.getError().message());
  StringRef data = (*cubin)->getBuffer();
  return std::vector<uint8_t>(data.begin(), data.end());
}
