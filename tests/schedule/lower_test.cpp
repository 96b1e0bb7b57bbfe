// Lowering: the ops each rank gets under each discipline.
#include <gtest/gtest.h>

#include "schedule/generators.h"
#include "schedule/lower.h"
#include "schedule/payload.h"

using namespace ua2a;

namespace {

std::vector<OpKind> kinds(std::span<const Op> ops) {
  std::vector<OpKind> k;
  for (const Op& op : ops) k.push_back(op.kind);
  return k;
}

const Payload kBlock = uniform_payload(100, true, 1);

}  // namespace

TEST(Lower, PairedHalfLowerRankSendsFirst) {
  const ProgramSet p = lower(round_robin(8, kBlock), Discipline::paired_half);
  // Round 0 pairs (0,7): rank 0 (lower) [copy, send 7], [recv 7]; rank 7 [copy, recv 0], [send 0].
  const Program& r0 = p.programs[0];
  ASSERT_EQ(r0.step_count(), 14u);
  EXPECT_EQ(kinds(r0.step(0)), (std::vector{OpKind::copy, OpKind::send}));
  EXPECT_EQ(r0.step(0)[1].peer, 7);
  EXPECT_EQ(kinds(r0.step(1)), (std::vector{OpKind::recv}));
  const Program& r7 = p.programs[7];
  EXPECT_EQ(kinds(r7.step(0)), (std::vector{OpKind::copy, OpKind::recv}));
  EXPECT_EQ(kinds(r7.step(1)), (std::vector{OpKind::send}));
  EXPECT_EQ(r7.step(1)[0].block, (BlockId{7, 0}));
}

TEST(Lower, PairedFullOneStepPerRound) {
  const ProgramSet p = lower(round_robin(8, kBlock), Discipline::paired_full);
  for (const Program& prog : p.programs) {
    ASSERT_EQ(prog.step_count(), 7u);
    for (std::size_t i = 1; i < 7; ++i) EXPECT_EQ(kinds(prog.step(i)), (std::vector{OpKind::send, OpKind::recv}));
  }
}

TEST(Lower, GroupedOneStepWithEverything) {
  const ProgramSet p = lower(grouped(8, kBlock), Discipline::grouped);
  for (const Program& prog : p.programs) {
    ASSERT_EQ(prog.step_count(), 1u);
    EXPECT_EQ(prog.ops.size(), 1u + 7 + 7);
  }
}

TEST(Lower, NaiveOneOpPerStepSendsFirst) {
  const ProgramSet p = lower(shift(4, kBlock), Discipline::naive);
  const Program& r1 = p.programs[1];
  ASSERT_EQ(r1.step_count(), 1u + 3 * 2);
  EXPECT_EQ(r1.step(1)[0].kind, OpKind::send);
  EXPECT_EQ(r1.step(1)[0].peer, 2);
  EXPECT_EQ(r1.step(2)[0].kind, OpKind::recv);
  EXPECT_EQ(r1.step(2)[0].peer, 0);
}

TEST(Lower, ChunksAndUnmergedPartsBecomeSeparateOps) {
  const ProgramSet p = lower(round_robin(4, uniform_payload(999, false, 2)), Discipline::paired_full);
  // 3 rounds x (3 parts x 2 chunks) sends and receives, plus the copy.
  EXPECT_EQ(p.programs[0].ops.size(), 1u + 3 * 2 * 6);
}

TEST(Lower, PairedHalfRejectsSeveralPartnersPerRound) {
  try {
    lower(grouped(4, kBlock), Discipline::paired_half);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("paired-half"), std::string::npos) << e.what();
  }
}

TEST(Lower, StaircasePerRankOrder) {
  const ProgramSet p = lower(staircase(4, kBlock), Discipline::paired_half);
  // Rank 2 visits 0, 1, 3: it is higher than 0 and 1 (recv first), lower than 3 (send first).
  const Program& r2 = p.programs[2];
  ASSERT_EQ(r2.step_count(), 6u);
  EXPECT_EQ(r2.step(0)[1].kind, OpKind::recv);
  EXPECT_EQ(r2.step(0)[1].peer, 0);
  EXPECT_EQ(r2.step(2)[0].peer, 1);
  EXPECT_EQ(r2.step(4)[0].kind, OpKind::send);
  EXPECT_EQ(r2.step(4)[0].peer, 3);
}

TEST(Lower, DisciplineNamesRoundTrip) {
  for (const auto& d : disciplines()) EXPECT_EQ(parse_discipline(d.name), d.discipline);
  EXPECT_THROW(parse_discipline("paired"), std::invalid_argument);
}

TEST(LowerConcurrent, EveryListedTransferInOneStepAndNoCopies) {
  // Ranks 0 -> 1 and 2 -> 1 of 900 bytes: rank 0 one send, rank 2 one send, rank 1 two receives,
  // rank 3 nothing; unmerged, q, k and v of 300 each.
  const ProgramSet p = lower_concurrent(4, {{0, 1}, {2, 1}}, 900);
  ASSERT_EQ(p.programs.size(), 4u);
  EXPECT_EQ(p.programs[0].ops.size(), 1u);
  EXPECT_EQ(p.programs[1].ops.size(), 2u);
  EXPECT_EQ(p.programs[3].ops.size(), 0u);
  for (const Program& prog : p.programs) {
    EXPECT_LE(prog.step_count(), 1u);
    for (const Op& op : prog.ops) EXPECT_NE(op.kind, OpKind::copy);
  }
  EXPECT_EQ(p.programs[1].ops[0].kind, OpKind::recv);
  const ProgramSet q = lower_concurrent(2, {{0, 1}}, 900, false);
  ASSERT_EQ(q.programs[0].ops.size(), 3u);
  for (const Op& op : q.programs[0].ops) EXPECT_EQ(op.bytes, 300u);
}

TEST(WithoutLocalCopies, DropsTheCopyAndAStepThatHeldItAlone) {
  // naive: the copy is a step of its own, then one step per operation (round-robin at 3 ranks:
  // 2 sends and 2 receives per rank), so 5 steps become 4; paired-full posts the copy with the
  // first round's operations, so that step stays.
  const Payload payload = uniform_payload(900, true, 1);
  const ProgramSet naive = without_local_copies(lower(round_robin(3, payload), Discipline::naive));
  const ProgramSet full = without_local_copies(lower(shift(3, payload), Discipline::paired_full));
  for (Rank r = 0; r < 3; ++r) {
    const Program& n = naive.programs[static_cast<std::size_t>(r)];
    EXPECT_EQ(n.step_count(), 4u);
    EXPECT_EQ(n.ops.size(), 4u);
    for (const Op& op : n.ops) EXPECT_NE(op.kind, OpKind::copy);
    const Program& f = full.programs[static_cast<std::size_t>(r)];
    EXPECT_EQ(f.step_count(), 2u);  // shift: 2 rounds, each {send, receive}
    ASSERT_EQ(f.ops.size(), 4u);
    EXPECT_EQ(f.ops[0].kind, OpKind::send);
    EXPECT_EQ(f.ops[0].peer, (r + 1) % 3);
  }
}
