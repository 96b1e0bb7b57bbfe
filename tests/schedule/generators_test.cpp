// Generators: structure of every schedule for N = 1..64 and spot checks up to 4096.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "schedule/generators.h"
#include "schedule/limits.h"
#include "schedule/payload.h"
#include "schedule/workload.h"

using namespace ua2a;

namespace {

const Payload kOneByteBlock = uniform_payload(1, true, 1);

/// Ranks touched by a round, counting each rank at most once per role.
void expect_matching(const Round& round, std::int32_t ranks, std::size_t round_index) {
  std::map<Rank, Rank> partner;
  for (const Transfer& t : round.transfers) {
    ASSERT_NE(t.src, t.dst) << "round " << round_index;
    for (auto [a, b] : {std::pair{t.src, t.dst}, std::pair{t.dst, t.src}}) {
      auto [it, fresh] = partner.emplace(a, b);
      EXPECT_EQ(it->second, b) << "rank " << a << " has two partners in round " << round_index;
    }
  }
  for (const auto& [a, b] : partner) {
    EXPECT_LT(a, ranks);
    EXPECT_EQ(partner.at(b), a) << "round " << round_index << " not symmetric";
  }
}

/// Every ordered pair (src != dst) appears exactly once across the global rounds.
void expect_each_ordered_pair_once(const Schedule& s) {
  std::map<std::pair<Rank, Rank>, int> seen;
  for (const Round& r : s.rounds)
    for (const Transfer& t : r.transfers) ++seen[{t.src, t.dst}];
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(s.ranks) * (s.ranks - 1));
  for (const auto& [pair, n] : seen) {
    EXPECT_NE(pair.first, pair.second);
    EXPECT_EQ(n, 1) << pair.first << "->" << pair.second;
  }
}

}  // namespace

TEST(CircleMethod, EightRanksEqualTheReferenceRounds) {
  // docs/reference/ulysses-4090.md, "The schedule (circle method)", verbatim.
  const std::vector<std::vector<std::pair<Rank, Rank>>> reference = {
      {{0, 7}, {1, 6}, {2, 5}, {3, 4}}, {{0, 6}, {1, 4}, {2, 3}, {5, 7}}, {{0, 5}, {1, 2}, {3, 7}, {4, 6}},
      {{0, 4}, {1, 7}, {2, 6}, {3, 5}}, {{0, 3}, {1, 5}, {2, 4}, {6, 7}}, {{0, 2}, {1, 3}, {4, 7}, {5, 6}},
      {{0, 1}, {2, 7}, {3, 6}, {4, 5}}};
  EXPECT_EQ(circle_rounds(8), reference);
  const Schedule s = round_robin(8, kOneByteBlock);
  ASSERT_EQ(s.rounds.size(), reference.size());
  for (std::size_t i = 0; i < reference.size(); ++i) {
    EXPECT_EQ(round_pairs(s.rounds[i]), reference[i]);
    // Lower rank's block first in every pair.
    EXPECT_EQ(s.rounds[i].transfers.front().src, reference[i].front().first);
  }
}

TEST(RoundRobin, EveryPairMeetsOnceInMatchingsForAllNUpTo64) {
  for (std::int32_t n = 1; n <= 64; ++n) {
    SCOPED_TRACE("N = " + std::to_string(n));
    const Schedule s = round_robin(n, kOneByteBlock);
    const std::size_t expected_rounds = n == 1 ? 0 : (n % 2 == 0 ? n - 1 : n);
    EXPECT_EQ(s.rounds.size(), expected_rounds);
    std::map<std::pair<Rank, Rank>, int> met;
    std::map<Rank, int> byes;
    for (std::size_t i = 0; i < s.rounds.size(); ++i) {
      expect_matching(s.rounds[i], n, i);
      std::set<Rank> busy;
      for (const auto& [a, b] : round_pairs(s.rounds[i])) {
        ++met[{a, b}];
        busy.insert(a), busy.insert(b);
      }
      if (n % 2 == 1) {
        EXPECT_EQ(busy.size(), static_cast<std::size_t>(n - 1)) << "exactly one bye in round " << i;
        for (Rank r = 0; r < n; ++r) byes[r] += busy.count(r) ? 0 : 1;
      }
    }
    EXPECT_EQ(met.size(), static_cast<std::size_t>(n) * (n - 1) / 2);
    for (const auto& [pair, k] : met) EXPECT_EQ(k, 1);
    if (n % 2 == 1 && n > 1) {
      for (Rank r = 0; r < n; ++r) EXPECT_EQ(byes[r], 1) << "rank " << r << " idle exactly once";
    }
    expect_each_ordered_pair_once(s);
  }
}

TEST(Xor, PowerOfTwoMatchings) {
  for (std::int32_t n : {1, 2, 4, 8, 16, 32, 64}) {
    const Schedule s = xor_pairs(n, kOneByteBlock);
    EXPECT_EQ(s.rounds.size(), static_cast<std::size_t>(n - 1));
    for (std::size_t i = 0; i < s.rounds.size(); ++i) expect_matching(s.rounds[i], n, i);
    expect_each_ordered_pair_once(s);
  }
}

TEST(Xor, RejectsNonPowerOfTwoWithClearError) {
  try {
    generate("xor", 6, kOneByteBlock);
    FAIL() << "xor with N = 6 must throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("power-of-two"), std::string::npos) << e.what();
  }
}

TEST(Xor, TheTableSaysWhereItCannotRun) {
  // The rule a study skips by (plan/study.h): 1, 2, 4, ... run; 3, 6, 12 do not; others run at any N.
  const auto cannot_run = find_generator("xor").cannot_run;
  ASSERT_NE(cannot_run, nullptr);
  for (std::int32_t n : {1, 2, 4, 64, 4096}) EXPECT_EQ(cannot_run(n), "") << n;
  for (std::int32_t n : {3, 6, 12}) EXPECT_NE(cannot_run(n).find("(got " + std::to_string(n) + ")"), std::string::npos);
  for (const char* name : {"round-robin", "shift", "grouped", "staircase"}) EXPECT_EQ(find_generator(name).cannot_run, nullptr);
}

TEST(Names, DtypesParseAndPrintFromOneTable) {
  EXPECT_EQ(parse_dtype("fp8"), DType::fp8);
  EXPECT_EQ(to_string(DType::fp16), "fp16");
  try {
    parse_dtype("int8");
    ADD_FAILURE() << "int8 is no dtype";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "unknown dtype 'int8': use one of bf16, fp16, fp8");
  }
}

TEST(Shift, RoundDSendsToRankPlusD) {
  for (std::int32_t n = 1; n <= 64; ++n) {
    const Schedule s = shift(n, kOneByteBlock);
    ASSERT_EQ(s.rounds.size(), static_cast<std::size_t>(n > 0 ? n - 1 : 0));
    for (std::size_t d = 1; d <= s.rounds.size(); ++d)
      for (const Transfer& t : s.rounds[d - 1].transfers) EXPECT_EQ(t.dst, (t.src + static_cast<Rank>(d)) % n);
    expect_each_ordered_pair_once(s);
  }
}

TEST(Grouped, OneRoundWithEveryOrderedPair) {
  for (std::int32_t n = 2; n <= 64; ++n) {
    const Schedule s = grouped(n, kOneByteBlock);
    ASSERT_EQ(s.rounds.size(), 1u);
    expect_each_ordered_pair_once(s);
  }
}

TEST(Staircase, EachRankVisitsPartnersInIncreasingOrder) {
  for (std::int32_t n = 1; n <= 64; ++n) {
    const Schedule s = staircase(n, kOneByteBlock);
    ASSERT_EQ(s.kind, ScheduleKind::per_rank);
    ASSERT_EQ(s.rank_orders.size(), static_cast<std::size_t>(n));
    for (Rank r = 0; r < n; ++r) {
      ASSERT_EQ(s.rank_orders[r].size(), static_cast<std::size_t>(n - 1));
      Rank previous = -1;
      for (const Round& ex : s.rank_orders[r]) {
        const auto pairs = round_pairs(ex);
        ASSERT_EQ(pairs.size(), 1u);
        const Rank peer = pairs[0].first == r ? pairs[0].second : pairs[0].first;
        EXPECT_GT(peer, previous);
        previous = peer;
        EXPECT_EQ(ex.transfers.size(), 2u) << "one block each way";
      }
    }
    EXPECT_EQ(s.transfer_count(), static_cast<std::size_t>(n) * (n - 1));
  }
}

TEST(Generators, SpotChecksUpTo4096) {
  for (std::int32_t n : {1000, 1023, 4096}) {
    const Schedule s = round_robin(n, kOneByteBlock);
    EXPECT_EQ(s.rounds.size(), static_cast<std::size_t>(n % 2 == 0 ? n - 1 : n));
    EXPECT_EQ(s.transfer_count(), static_cast<std::size_t>(n) * (n - 1));
    for (std::size_t i : {std::size_t{0}, s.rounds.size() / 2, s.rounds.size() - 1}) expect_matching(s.rounds[i], n, i);
  }
  EXPECT_EQ(xor_pairs(4096, kOneByteBlock).transfer_count(), 4096u * 4095u);
  EXPECT_EQ(shift(4096, kOneByteBlock).transfer_count(), 4096u * 4095u);
}

TEST(Generators, UnknownNameSuggestsTheClosest) {
  try {
    find_generator("round-robbin");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'round-robin'"), std::string::npos) << e.what();
  }
}

TEST(Generators, RejectsZeroRanksAndZeroChunks) {
  EXPECT_THROW(generate("round-robin", 0, kOneByteBlock), std::invalid_argument);
  EXPECT_THROW(uniform_payload(8, true, 0), std::invalid_argument);
}

TEST(Payload, UlyssesSizesMatchTheReferenceWorkedExample) {
  // Wan2.1-14B 480p, N = 8: s = 4095, h = 5, D = 128 (reference "Worked sizes").
  UlyssesShape shape{4095, 5, 128, DType::bf16, Exchange::qkv};
  EXPECT_EQ(ulysses_payload(shape, true, 1).block_bytes(), 3u * 4095 * 5 * 128 * 2);  // 15.7 MB
  shape.dtype = DType::fp8;
  const Payload fp8 = ulysses_payload(shape, true, 1);
  EXPECT_EQ(fp8.block_bytes(), 3u * 4095 * 5 * 128 + 3u * 4095 * 5 * 4);  // 8.1 MB
  const Payload fp8_unmerged = ulysses_payload(shape, false, 1);
  EXPECT_EQ(fp8_unmerged.parts.size(), 6u);  // q, k, v and their scales
  EXPECT_EQ(fp8_unmerged.block_bytes(), fp8.block_bytes());
  shape.exchange = Exchange::out;
  shape.dtype = DType::bf16;
  EXPECT_EQ(ulysses_payload(shape, true, 1).block_bytes(), 4095u * 5 * 128 * 2);  // 5.2 MB
}

TEST(Payload, ChunksSplitBytesWithoutLoss) {
  const Payload p = uniform_payload(1000003, false, 7);
  for (std::uint32_t part = 0; part < p.parts.size(); ++part) {
    std::uint64_t sum = 0;
    for (std::uint32_t c = 0; c < p.chunks; ++c) sum += p.chunk_bytes(part, c);
    EXPECT_EQ(sum, p.parts[part].bytes);
  }
  EXPECT_EQ(p.block_bytes(), 1000003u);
}

// One checked arithmetic for sizes (issue 21): a shape whose bytes pass 2^62 is refused, naming
// the inputs, instead of wrapping around to a small or zero block.
TEST(Payload, AShapePastAnyMachineIsRefusedNotWrapped) {
  UlyssesShape s{std::uint64_t{1} << 32, std::uint64_t{1} << 29, 128, DType::bf16, Exchange::qkv};
  try {
    ulysses_payload(s, true, 1);
    FAIL() << "2^32 tokens x 2^29 heads x 128 accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--seq, --heads, --head-dim"), std::string::npos) << e.what();
  }
  s.heads_per_rank = 1;  // 2^32 x 128 x 2 B x 3: 3.3 TB, large but exact
  EXPECT_EQ(ulysses_payload(s, true, 1).block_bytes(), (std::uint64_t{1} << 32) * 128 * 2 * 3);
  EXPECT_EQ(checked_product(std::uint64_t{1} << 31, std::uint64_t{1} << 31, "x"), std::uint64_t{1} << 62);
  EXPECT_THROW(checked_product(std::uint64_t{1} << 32, std::uint64_t{1} << 31, "x"), std::invalid_argument);
  EXPECT_THROW(checked_product(~std::uint64_t{0}, 2, "x", ~std::uint64_t{0}), std::invalid_argument);
}
