//===- ArenaPlan.cpp - Liveness-based placement of buffers ------*- C++ -*-===//

#include "qopt/Target/ArenaPlan.h"

#include <algorithm>
#include <numeric>
#include <utility>

using namespace qopt;

static uint64_t alignUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

static bool livesOverlap(const ArenaBuffer &a, const ArenaBuffer &b) {
  return a.first <= b.last && b.first <= a.last;
}

uint64_t qopt::planArena(std::vector<ArenaBuffer> &buffers, uint64_t alignment) {
  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return buffers[a].bytes > buffers[b].bytes; });
  std::vector<size_t> placed;
  uint64_t peak = 0;
  for (size_t i : order) {
    ArenaBuffer &a = buffers[i];
    std::vector<std::pair<uint64_t, uint64_t>> busy;
    for (size_t j : placed)
      if (livesOverlap(a, buffers[j]))
        busy.push_back({buffers[j].offset, buffers[j].offset + buffers[j].bytes});
    std::sort(busy.begin(), busy.end());
    // The lowest gap between busy ranges (sorted by start) that fits.
    uint64_t offset = 0;
    for (auto [lo, hi] : busy) {
      if (offset + a.bytes <= lo)
        break;
      offset = std::max(offset, alignUp(hi, alignment));
    }
    a.offset = offset;
    peak = std::max(peak, offset + a.bytes);
    placed.push_back(i);
  }
  return alignUp(peak, alignment);
}

std::string qopt::verifyArena(const std::vector<ArenaBuffer> &buffers, uint64_t alignment,
                              uint64_t arenaBytes) {
  for (size_t i = 0; i < buffers.size(); ++i) {
    const ArenaBuffer &a = buffers[i];
    if (a.offset % alignment)
      return "buffer " + std::to_string(i) + " is not aligned";
    if (a.offset > arenaBytes || a.bytes > arenaBytes - a.offset)
      return "buffer " + std::to_string(i) + " ends past the arena";
    for (size_t j = i + 1; j < buffers.size(); ++j) {
      const ArenaBuffer &b = buffers[j];
      if (livesOverlap(a, b) && a.bytes && b.bytes && a.offset < b.offset + b.bytes &&
          b.offset < a.offset + a.bytes)
        return "buffers " + std::to_string(i) + " and " + std::to_string(j) +
               " are live at the same time and overlap";
    }
  }
  return "";
}
