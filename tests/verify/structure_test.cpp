// Structural checks on schedules: matchings, coverage, block sizes, balance, round count.
#include <gtest/gtest.h>

#include "schedule/generators.h"
#include "schedule/payload.h"
#include "verify/structure.h"

using namespace ua2a;

namespace {

Schedule two_rounds_of_three() {
  // N = 3 by hand: each round one pair; rounds {0,1}, {0,2}, {1,2}.
  Schedule s{.ranks = 3, .algo = "hand", .kind = ScheduleKind::pairing, .payload = uniform_payload(100, true, 1)};
  for (auto [a, b] : {std::pair{0, 1}, {0, 2}, {1, 2}}) {
    Round r;
    add_block(r, a, b, s.payload);
    add_block(r, b, a, s.payload);
    s.rounds.push_back(r);
  }
  return s;
}

}  // namespace

TEST(Structure, EveryGeneratorPassesForSmallN) {
  for (const auto& g : generators())
    for (std::int32_t n : {1, 2, 3, 4, 5, 7, 8, 16}) {
      if (std::string(g.name) == "xor" && (n & (n - 1)) != 0) continue;
      SCOPED_TRACE(std::string(g.name) + " N=" + std::to_string(n));
      const Schedule s = generate(g.name, n, uniform_payload(1000, n % 2 == 0, n % 3 == 0 ? 2 : 1));
      const StructureReport r = check_structure(s);
      EXPECT_TRUE(r.ok());
      EXPECT_TRUE(r.balanced);
      // n (n-1) blocks, each of parts x chunks pieces, as the payload says.
      EXPECT_EQ(r.coverage.expected, static_cast<std::uint64_t>(n) * (n - 1) * s.payload.pieces_per_block());
      EXPECT_EQ(r.coverage.arrived, r.coverage.expected);
      for (const RankLoad& l : r.loads) EXPECT_EQ(l.bytes_out, static_cast<std::uint64_t>(n - 1) * 1000);
    }
}

TEST(Structure, RoundCountsAgainstTheLowerBound) {
  // Even N: N-1 rounds of N/2 pairs. Odd N: N rounds, one rank sitting out each (the bye).
  EXPECT_EQ(round_lower_bound(ScheduleKind::pairing, 8), 7u);
  EXPECT_EQ(round_lower_bound(ScheduleKind::pairing, 7), 7u);
  EXPECT_EQ(round_lower_bound(ScheduleKind::directed, 8), 7u);
  EXPECT_EQ(round_lower_bound(ScheduleKind::grouped, 8), 1u);
  EXPECT_EQ(round_lower_bound(ScheduleKind::per_rank, 5), 4u);
  EXPECT_EQ(round_lower_bound(ScheduleKind::pairing, 1), 0u);
  for (std::int32_t n : {2, 3, 6, 7, 9}) {
    const StructureReport r = check_structure(round_robin(n, uniform_payload(8, true, 1)));
    EXPECT_EQ(r.rounds, r.round_lower_bound) << "round-robin is optimal at N=" << n;
  }
  // Three pairs of N = 3 one per round is the best possible (3 rounds); a fourth empty round is not.
  Schedule s = two_rounds_of_three();
  EXPECT_EQ(check_structure(s).rounds, 3u);
  s.rounds.push_back({});
  const StructureReport padded = check_structure(s);
  EXPECT_EQ(padded.rounds, 4u);
  EXPECT_EQ(padded.round_lower_bound, 3u);
  EXPECT_TRUE(padded.ok()) << "an extra round is slow, not wrong";
}

TEST(Structure, ARankInTwoPairsIsNotAMatching) {
  Schedule s = two_rounds_of_three();
  // Merge rounds 0 and 1: rank 0 then exchanges with 1 and with 2 in the same round.
  s.rounds[0].transfers.insert(s.rounds[0].transfers.end(), s.rounds[1].transfers.begin(), s.rounds[1].transfers.end());
  s.rounds.erase(s.rounds.begin() + 1);
  const StructureReport r = check_structure(s);
  EXPECT_FALSE(r.matchings_ok());
  EXPECT_TRUE(r.coverage_ok()) << "still every block once";
  // Rank 0 has partners 1 and 2; ranks 1 and 2 have one partner each.
  ASSERT_EQ(r.conflict_count, 1u);
  EXPECT_EQ(r.conflicts[0].round, 0u);
  EXPECT_EQ(r.conflicts[0].rank, 0);
  EXPECT_EQ(r.conflicts[0].peers, (std::vector<Rank>{1, 2}));
  EXPECT_EQ(r.conflicts[0].what, "partners");
}

TEST(Structure, DirectedRoundWithTwoDestinations) {
  Schedule s = shift(4, uniform_payload(8, true, 1));
  // Round 0 (d = 1): rank 0 also sends to 2, so it has destinations 1 and 2, and 2 two sources.
  s.rounds[0].transfers.push_back({0, 2, 0, 0, 8});
  const StructureReport r = check_structure(s);
  EXPECT_FALSE(r.matchings_ok());
  ASSERT_EQ(r.conflict_count, 2u);
  EXPECT_EQ(r.conflicts[0].rank, 0);
  EXPECT_EQ(r.conflicts[0].what, "destinations");
  EXPECT_EQ(r.conflicts[0].peers, (std::vector<Rank>{1, 2}));
  EXPECT_EQ(r.conflicts[1].rank, 2);
  EXPECT_EQ(r.conflicts[1].what, "sources");
  EXPECT_EQ(r.conflicts[1].peers, (std::vector<Rank>{1, 0}));
  // And block 0->2 is now scheduled twice (rounds 0 and 1).
  EXPECT_EQ(r.coverage.duplicated_count, 1u);
  EXPECT_EQ(r.coverage.duplicated[0].block, (BlockId{0, 2}));
}

TEST(Structure, MissingDuplicatedSelfAndOutOfPayloadPieces) {
  Schedule s = round_robin(4, uniform_payload(64, true, 2));
  const Transfer dropped = s.rounds[1].transfers[0];
  s.rounds[1].transfers.erase(s.rounds[1].transfers.begin());
  s.rounds[2].transfers.push_back(s.rounds[0].transfers[3]);  // duplicate
  s.rounds[2].transfers.push_back({3, 3, 0, 0, 32});         // to itself
  s.rounds[2].transfers.push_back({1, 2, 0, 7, 32});         // chunk 7 of a 2-chunk payload
  const StructureReport r = check_structure(s);
  EXPECT_FALSE(r.coverage_ok());
  ASSERT_EQ(r.coverage.missing_count, 1u);
  EXPECT_EQ(r.coverage.missing[0].block, dropped.block());
  EXPECT_EQ(r.coverage.missing[0].chunk, dropped.chunk);
  ASSERT_EQ(r.coverage.duplicated_count, 1u);
  EXPECT_EQ(r.coverage.duplicated[0].block, s.rounds[0].transfers[3].block());
  EXPECT_EQ(r.coverage.duplicated[0].count, 2u);
  ASSERT_EQ(r.self_send_count, 1u);
  EXPECT_EQ(r.self_sends[0].src, 3);
  ASSERT_EQ(r.coverage.misplaced_count, 1u);
  EXPECT_EQ(r.coverage.misplaced[0].chunk, 7u);
}

TEST(Structure, ByteCountsMustMatchThePayload) {
  // 100 bytes in 3 chunks: 34, 33, 33 (the remainder goes first).
  Schedule s = round_robin(2, uniform_payload(100, true, 3));
  ASSERT_TRUE(check_structure(s).sizes_ok());
  s.rounds[0].transfers[2].bytes = 34;  // chunk 2 of block 0->1 should be 33
  const StructureReport r = check_structure(s);
  EXPECT_FALSE(r.sizes_ok());
  ASSERT_EQ(r.size_error_count, 1u);
  EXPECT_EQ(r.size_errors[0].transfer.chunk, 2u);
  EXPECT_EQ(r.size_errors[0].expected_bytes, 33u);
  EXPECT_TRUE(r.coverage_ok()) << "the piece is there, with the wrong size";
}

TEST(Structure, BalanceComparesRanksWithinEachRound) {
  // Two ranks that exchange blocks of different sizes per round are unbalanced.
  Schedule s{.ranks = 2, .algo = "hand", .kind = ScheduleKind::pairing, .payload = uniform_payload(90, false, 1)};
  Round r0, r1;
  r0.transfers = {{0, 1, 0, 0, 30}, {0, 1, 1, 0, 30}, {1, 0, 0, 0, 30}};  // 60 B out of 0, 30 B out of 1
  r1.transfers = {{0, 1, 2, 0, 30}, {1, 0, 1, 0, 30}, {1, 0, 2, 0, 30}};
  s.rounds = {r0, r1};
  const StructureReport r = check_structure(s);
  EXPECT_TRUE(r.ok());
  EXPECT_FALSE(r.balanced);
  EXPECT_EQ(r.loads[0].max_round_bytes_out, 60u);
  EXPECT_EQ(r.loads[1].max_round_bytes_out, 60u);
  EXPECT_EQ(r.loads[0].bytes_out, 90u);
  EXPECT_EQ(r.loads[0].bytes_in, 90u);
}

TEST(Structure, PerRankSchedulesCountEachTransferAtItsSender) {
  const Schedule s = staircase(5, uniform_payload(8, true, 1));
  const StructureReport r = check_structure(s);
  EXPECT_TRUE(r.ok());
  EXPECT_FALSE(r.matching_applies);
  EXPECT_EQ(r.coverage.arrived, 20u) << "listed at both ends, counted once";
  EXPECT_EQ(r.rounds, 4u);
}

TEST(Structure, RanksOutsideTheScheduleAreBadInput) {
  Schedule s = round_robin(2, uniform_payload(8, true, 1));
  s.rounds[0].transfers[0].dst = 5;
  EXPECT_THROW(check_structure(s), std::invalid_argument);
  EXPECT_THROW(check_structure(Schedule{}), std::invalid_argument);
}
