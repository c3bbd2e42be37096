//===- ReadFile.h - Reading untrusted files without LLVM ---------*- C++ -*-===//
//
// The runtime's counterpart of the compiler's ref::readRegularFile: opens
// with O_NONBLOCK (a FIFO cannot block the open), checks the open descriptor
// (a regular file, at most `maxBytes`), then reads it whole. Header-only and
// dependency-free, for libqopt_runtime and qopt-run.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_RUNTIME_READFILE_H
#define QOPT_RUNTIME_READFILE_H

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace qopt::qbin {

/// Reads the regular file `path` into `out`. Returns "" or what went wrong,
/// naming the file.
inline std::string readRegularFile(const std::string &path, uint64_t maxBytes,
                                   std::vector<uint8_t> &out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return "cannot open '" + path + "': " + std::strerror(errno);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0)
    return "cannot read '" + path + "': " + std::strerror(errno);
  if (!S_ISREG(st.st_mode))
    return "cannot read '" + path + "': not a regular file";
  if ((uint64_t)st.st_size > maxBytes)
    return "'" + path + "' is " + std::to_string((uint64_t)st.st_size) +
           " bytes, above the limit of " + std::to_string(maxBytes) + " bytes";
  out.resize((size_t)st.st_size);
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return "cannot read '" + path + "': " + (n < 0 ? std::strerror(errno) : "file shrank");
    done += (size_t)n;
  }
  return {};
}

} // namespace qopt::qbin

#endif // QOPT_RUNTIME_READFILE_H
