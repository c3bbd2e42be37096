//===- ArenaPlan.h - Liveness-based placement of buffers --------*- C++ -*-===//
//
// The activation arena of a bundle: every intermediate buffer gets an offset
// so that two buffers whose lifetimes (step intervals) overlap never share
// bytes. A wrong plan corrupts memory silently on the GPU, so the writer
// verifies every plan it makes (and the tests check the planner on random
// interval sets).
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_TARGET_ARENAPLAN_H
#define QOPT_TARGET_ARENAPLAN_H

#include <cstdint>
#include <string>
#include <vector>

namespace qopt {

struct ArenaBuffer {
  uint64_t bytes = 0;
  size_t first = 0, last = 0; // live from step `first` to step `last`, inclusive
  uint64_t offset = 0;        // set by planArena
};

/// Places every buffer, largest first, at the lowest `alignment`-aligned
/// offset that no buffer with an overlapping lifetime occupies. Returns the
/// arena size (a multiple of `alignment`).
uint64_t planArena(std::vector<ArenaBuffer> &buffers, uint64_t alignment);

/// Checks a plan: alignment, fits in `arenaBytes`, and no two buffers that
/// are live at the same step overlap. Returns "" or the first violation.
std::string verifyArena(const std::vector<ArenaBuffer> &buffers, uint64_t alignment,
                        uint64_t arenaBytes);

} // namespace qopt

#endif // QOPT_TARGET_ARENAPLAN_H
