//===- ArenaPlanTest.cpp - The liveness arena planner ------------*- C++ -*-===//
//
// A wrong plan corrupts activations silently on the GPU: the planner is
// checked on hand cases and on random lifetimes against an independent
// verifier, and the verifier itself is shown to catch overlaps.
//
//===----------------------------------------------------------------------===//

#include "qopt/Target/ArenaPlan.h"

#include <gtest/gtest.h>

#include <random>

using namespace qopt;

namespace {

constexpr uint64_t kAlign = 256;

TEST(ArenaPlanTest, DisjointLifetimesShareTheSameBytes) {
  std::vector<ArenaBuffer> b{{1000, 0, 1}, {1000, 2, 3}, {1000, 4, 5}};
  uint64_t size = planArena(b, kAlign);
  EXPECT_EQ(size, 1024u);
  for (const ArenaBuffer &x : b)
    EXPECT_EQ(x.offset, 0u);
  EXPECT_EQ(verifyArena(b, kAlign, size), "");
}

TEST(ArenaPlanTest, OverlappingLifetimesGetSeparateAlignedSlices) {
  // A chain a -> b -> c where each is read by the next: neighbours overlap.
  std::vector<ArenaBuffer> b{{300, 0, 1}, {500, 1, 2}, {300, 2, 3}};
  uint64_t size = planArena(b, kAlign);
  EXPECT_EQ(verifyArena(b, kAlign, size), "");
  EXPECT_NE(b[0].offset, b[1].offset);
  EXPECT_NE(b[1].offset, b[2].offset);
  // a and c never live together: the planner reuses the bytes.
  EXPECT_EQ(b[0].offset, b[2].offset);
  EXPECT_EQ(size, 512u + 512u);
}

TEST(ArenaPlanTest, VerifierCatchesOverlapsAndOverruns) {
  std::vector<ArenaBuffer> b{{512, 0, 3, 0}, {512, 2, 4, 256}};
  EXPECT_NE(verifyArena(b, kAlign, 1024), "");
  std::vector<ArenaBuffer> c{{512, 0, 3, 0}, {512, 4, 5, 256}}; // never live together
  EXPECT_EQ(verifyArena(c, kAlign, 1024), "");
  std::vector<ArenaBuffer> d{{512, 0, 3, 768}};
  EXPECT_NE(verifyArena(d, kAlign, 1024), ""); // past the end
  std::vector<ArenaBuffer> e{{16, 0, 3, 100}};
  EXPECT_NE(verifyArena(e, kAlign, 1024), ""); // misaligned
}

TEST(ArenaPlanTest, RandomLifetimesNeverCollideAndStayNearTheLowerBound) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 2000; ++round) {
    size_t n = 1 + rng() % 60, steps = 1 + rng() % 80;
    std::vector<ArenaBuffer> b(n);
    for (ArenaBuffer &x : b) {
      x.bytes = rng() % 4 == 0 ? 0 : 1 + rng() % 100000;
      x.first = rng() % steps;
      x.last = x.first + rng() % (steps - x.first);
    }
    uint64_t size = planArena(b, kAlign);
    ASSERT_EQ(verifyArena(b, kAlign, size), "") << "round " << round;
    // No plan can be smaller than the bytes live at the busiest step.
    uint64_t busiest = 0;
    for (size_t s = 0; s < steps; ++s) {
      uint64_t live = 0;
      for (const ArenaBuffer &x : b)
        if (x.first <= s && s <= x.last)
          live += x.bytes;
      busiest = std::max(busiest, live);
    }
    ASSERT_GE(size, busiest);
    // Greedy best fit is not optimal, but it must not be absurd: at most the
    // sum of all aligned sizes.
    uint64_t total = 0;
    for (const ArenaBuffer &x : b)
      total += (x.bytes + kAlign - 1) / kAlign * kAlign;
    ASSERT_LE(size, std::max<uint64_t>(total, kAlign));
  }
}

} // namespace
