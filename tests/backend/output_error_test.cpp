// The judgement of the GPU checks at real shapes (bench): errors in bf16 ulps at the reference's
// RMS against hand-computed values, NaN and Inf counted as failures, and the sampled rows.
#include <gtest/gtest.h>

#include <cmath>

#include "backend/bench.h"
#include "backend/output_error.h"

using namespace ua2a;

TEST(OutputError, UlpsAtTheReferencesRmsByHand) {
  // Reference RMS 1: one ulp is 2^-8. One element off by 2^-8, three exact: max 1 ulp, RMS of
  // the difference sqrt(2^-16 / 4) = 2^-9, i.e. half an ulp.
  const std::vector<double> want = {1, -1, 1, -1};
  const std::vector<std::uint16_t> got = {float_to_bf16(1), float_to_bf16(-1 + 0x1p-8f), float_to_bf16(1),
                                          float_to_bf16(-1)};
  const OutputError e = output_error(got, ElemType::bf16, want);
  EXPECT_EQ(e.compared, 4u);
  EXPECT_EQ(e.nonfinite, 0u);
  EXPECT_DOUBLE_EQ(e.rms, 1.0);
  EXPECT_DOUBLE_EQ(e.max_ulps, 1.0);
  EXPECT_DOUBLE_EQ(e.rms_ulps, 0.5);
  EXPECT_EQ(e.worst, 1u);
  EXPECT_TRUE(within(e, {1, 0.5}));
  EXPECT_FALSE(within(e, {0.9, 0.5}));
  EXPECT_FALSE(within(e, {1, 0.4}));
}

TEST(OutputError, NanOrInfFailsHoweverSmallTheRest) {
  // A poisoned element (0xFFFF is NaN) or an infinity: counted apart, and the check fails even
  // though every finite element is exact (std::max(acc, |NaN|) used to drop it).
  const std::vector<std::uint16_t> want = {float_to_bf16(0.5f), float_to_bf16(0.25f), float_to_bf16(-0.5f)};
  for (std::uint16_t bad : {std::uint16_t{0xFFFF}, float_to_bf16(INFINITY)}) {
    std::vector<std::uint16_t> got = want;
    got[1] = bad;
    const OutputError e = output_error(got, ElemType::bf16, want);
    EXPECT_EQ(e.nonfinite, 1u);
    EXPECT_EQ(e.max_ulps, 0.0);
    EXPECT_FALSE(within(e, kAttentionBound));
  }
  // A NaN in the reference (the simple kernel's output) fails the comparison too.
  std::vector<std::uint16_t> ref = want;
  ref[0] = 0xFFFF;
  EXPECT_FALSE(within(output_error(want, ElemType::bf16, ref), kAttentionBound));
  // Nothing compared is no pass.
  EXPECT_FALSE(within(OutputError{}, kAttentionBound));
  EXPECT_THROW(output_error(want, ElemType::bf16, std::vector<double>(2)), std::invalid_argument);
}

TEST(SampledRows, FirstRowsTileEdgesMiddleAndTheLastTile) {
  // 720p, N = 8, with Wan's 512 text tokens: the last query tile starts at 76096 (16 rows).
  const std::vector<std::uint64_t> rows = sampled_attention_rows(76112);
  for (std::uint64_t r : {0ull, 63ull, 64ull, 38056ull, 76095ull, 76096ull, 76097ull, 76110ull, 76111ull})
    EXPECT_NE(std::find(rows.begin(), rows.end(), r), rows.end()) << r;
  EXPECT_TRUE(std::is_sorted(rows.begin(), rows.end()));
  EXPECT_EQ(std::adjacent_find(rows.begin(), rows.end()), rows.end());
  EXPECT_EQ(sampled_attention_rows(1), std::vector<std::uint64_t>{0});
  const std::vector<std::uint64_t> short_rows = sampled_attention_rows(100);
  EXPECT_EQ(short_rows.back(), 99u);
  for (std::uint64_t r : short_rows) EXPECT_LT(r, 100u);
}

TEST(DocumentedOccupancy, TheDocsFiguresPerGpuClass) {
  // docs/backend.md, "Compile-time figures": the H200's 3 blocks at D = 128 with 64-key tiles
  // (the restructuring's point), the RTX 4090's 2 with 32-key tiles; no claim for other GPUs.
  EXPECT_EQ(documented_flash_blocks_per_sm(90, 128, 64), 3);
  EXPECT_EQ(documented_flash_blocks_per_sm(89, 128, 32), 2);
  EXPECT_EQ(documented_flash_blocks_per_sm(90, 64, 64), 4);
  EXPECT_EQ(documented_flash_blocks_per_sm(80, 128, 64), 0);
}
