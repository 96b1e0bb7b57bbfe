// The ring pass generator (schedule/generators.h: ring_pass): one round in which rank r sends its
// block to r + 1 (mod N); not an all-to-all, so outside the generator table.
#include <gtest/gtest.h>

#include <stdexcept>

#include "schedule/generators.h"
#include "schedule/lower.h"
#include "schedule/payload.h"

using namespace ua2a;

TEST(RingPass, OneRoundEachRankToItsSuccessor) {
  const Schedule s = ring_pass(4, uniform_payload(1000, true, 1));
  ASSERT_EQ(s.rounds.size(), 1u);
  const std::vector<Transfer> expected = {{0, 1, 0, 0, 1000}, {1, 2, 0, 0, 1000}, {2, 3, 0, 0, 1000}, {3, 0, 0, 0, 1000}};
  EXPECT_EQ(s.rounds[0].transfers, expected);
  // Unmerged, each block is its q, k and v; chunked, each part its chunks: still one round.
  const Schedule cut = ring_pass(3, uniform_payload(3000, false, 2));
  ASSERT_EQ(cut.rounds.size(), 1u);
  EXPECT_EQ(cut.rounds[0].transfers.size(), 3u * 3 * 2);
  for (const Transfer& t : cut.rounds[0].transfers) EXPECT_EQ(t.dst, (t.src + 1) % 3);
}

TEST(RingPass, TwoRanksSwapTheirBlocks) {
  const Schedule s = ring_pass(2, uniform_payload(64, true, 1));
  ASSERT_EQ(s.rounds.size(), 1u);
  EXPECT_EQ(s.rounds[0].transfers, (std::vector<Transfer>{{0, 1, 0, 0, 64}, {1, 0, 0, 0, 64}}));
}

TEST(RingPass, LoweredBothDirectionsInOneStepWithoutTheLocalBlock) {
  // As a ring runs a pass: send to the next rank and receive from the previous one together; the
  // rank keeps its own block (no diagonal copy).
  const ProgramSet p = without_local_copies(lower(ring_pass(4, uniform_payload(512, true, 1)), Discipline::paired_full));
  ASSERT_EQ(p.programs.size(), 4u);
  for (Rank r = 0; r < 4; ++r) {
    const Program& prog = p.programs[static_cast<std::size_t>(r)];
    ASSERT_EQ(prog.step_count(), 1u) << "rank " << r;
    const Rank next = (r + 1) % 4, prev = (r + 3) % 4;
    EXPECT_EQ(prog.ops, (std::vector<Op>{{OpKind::send, 0, next, {r, next}, 0, 512},
                                         {OpKind::recv, 0, prev, {prev, r}, 0, 512}}))
        << "rank " << r;
  }
}

TEST(RingPass, RefusesARingOfOneAndStaysOutOfTheAllToAllTable) {
  EXPECT_THROW(ring_pass(1, uniform_payload(64, true, 1)), std::invalid_argument);
  EXPECT_THROW(ring_pass(0, uniform_payload(64, true, 1)), std::invalid_argument);
  EXPECT_THROW(ring_pass(5000, uniform_payload(64, true, 1)), std::invalid_argument);  // schedule/limits.h
  // simulate, report and synthesize walk generators(): a ring pass is not an all-to-all.
  for (const GeneratorInfo& g : generators()) EXPECT_NE(std::string(g.name), "ring-pass");
  EXPECT_THROW(find_generator("ring-pass"), std::invalid_argument);
}
