//===- RowReductionTest.cpp - The agreed order of float row sums -----------===//

#include "qopt/Quant/RowReduction.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

using namespace qopt::rowreduce;

TEST(RowReduction, LaneCountGrowsWithTheRowAndStopsAtAWarp) {
  EXPECT_EQ(laneCount(0), 1);
  EXPECT_EQ(laneCount(1), 1);
  EXPECT_EQ(laneCount(49), 1);   // a ResNet's 7 x 7 global pool
  EXPECT_EQ(laneCount(63), 1);
  EXPECT_EQ(laneCount(64), 2);
  EXPECT_EQ(laneCount(197), 4);  // ViT-B's token rows
  EXPECT_EQ(laneCount(768), 16); // BERT-base and ViT-B hidden rows
  EXPECT_EQ(laneCount(1023), 16);
  EXPECT_EQ(laneCount(1024), 32);
  EXPECT_EQ(laneCount(int64_t(1) << 40), kMaxLanes);
  for (int64_t n = 0; n < 4096; ++n) {
    int64_t l = laneCount(n);
    EXPECT_EQ(l & (l - 1), 0) << n;
    EXPECT_TRUE(l == 1 || l * kMinPerLane <= n) << n;
  }
}

TEST(RowReduction, CombinesPairwiseFromTheHalves) {
  // Symbols instead of numbers: the order of operations, spelled out.
  std::vector<std::string> p = {"a", "b", "c", "d", "e", "f", "g", "h"};
  std::string r = combineLanes(p.data(), 8, [](const std::string &x, const std::string &y) {
    return "(" + x + y + ")";
  });
  EXPECT_EQ(r, "(((ae)(cg))((bf)(dh)))");
}

TEST(RowReduction, LaneSumFollowsTheLanesNotTheRow) {
  // 2^24 followed by 63 ones: in sequence, 2^24 swallows every 1 added to
  // it; in two lanes, the second sums its ones first.
  std::vector<float> row(64, 1.0f);
  row[0] = 16777216.0f; // 2^24: 2^24 + 1 rounds back to 2^24
  float seq = 0;
  for (float v : row)
    seq += v;
  float lanes = laneSum<float>((int64_t)row.size(), [&](int64_t i) { return row[i]; });
  EXPECT_EQ(seq, 16777216.0f);
  // Lane 0 keeps 2^24 (its 31 ones are lost), lane 1 holds 32; adding it is
  // exact.
  EXPECT_EQ(laneCount(64), 2);
  EXPECT_EQ(lanes, 16777216.0f + 32.0f);
}

TEST(RowReduction, ShortRowsAreSequential) {
  std::vector<double> row = {1e16, 1.0, 1.0, -1e16};
  double seq = 0;
  for (double v : row)
    seq += v;
  EXPECT_EQ(laneSum<double>(4, [&](int64_t i) { return row[i]; }), seq);
}
