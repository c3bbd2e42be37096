//===- File.cpp - Reading untrusted input files ---------------------------===//

#include "qopt/Reference/File.h"

#include "llvm/ADT/ScopeExit.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace llvm;

Expected<std::unique_ptr<MemoryBuffer>> qopt::ref::readRegularFile(StringRef path,
                                                                   int64_t maxBytes) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
  // It changes nothing for the regular files that pass the check below.
  std::string pathStr = path.str();
  int fd = ::open(pathStr.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return createStringError("cannot read '" + path + "': " + std::strerror(errno));
  llvm::scope_exit closeFd([&] { ::close(fd); });
  struct stat st;
  if (::fstat(fd, &st) != 0)
    return createStringError("cannot read '" + path + "': " + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return createStringError("cannot read '" + path + "': not a regular file");
  uint64_t size = st.st_size;
  if (maxBytes >= 0 && size > (uint64_t)maxBytes)
    return createStringError("'" + path + "' is " + Twine(size) +
                             " bytes, above the limit of " + Twine(maxBytes) + " bytes");
  auto buffer = MemoryBuffer::getOpenFile(fd, path, size, /*RequiresNullTerminator=*/false);
  if (!buffer)
    return createStringError("cannot read '" + path + "': " + buffer.getError().message());
  return std::move(*buffer);
}
