// The search space: every constructor gives an all-to-all, the packing keeps its limits, and the
// shared resources are the box's (socket link, switch uplinks), read off the presets by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "schedule/payload.h"
#include "sim/topology.h"
#include "synth/space.h"

using namespace ua2a;
using namespace ua2a::synth;

namespace {

/// Per round, how many partners each rank has (an independent count over the transfers).
std::map<Rank, std::size_t> partners(const std::vector<Transfer1>& round) {
  std::map<Rank, std::set<Rank>> p;
  for (auto [a, b] : round) p[a].insert(b), p[b].insert(a);
  std::map<Rank, std::size_t> out;
  for (auto& [r, s] : p) out[r] = s.size();
  return out;
}

std::vector<std::string> names_of(const SharedResources& s, Rank a, Rank b) {
  std::vector<std::string> out;
  for (std::uint32_t r : s.of(a, b)) out.push_back(s.names[r]);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST(SynthSpace, FactorisationsAreAllToAll) {
  for (std::int32_t n = 2; n <= 9; ++n) {
    EXPECT_TRUE(is_all_to_all(circle_factorisation(n), n)) << n;
    EXPECT_EQ(circle_factorisation(n).size(), static_cast<std::size_t>(n % 2 == 0 ? n - 1 : n)) << n;
    EXPECT_TRUE(is_all_to_all(shift_rounds(n), n)) << n;
    if ((n & (n - 1)) == 0) {
      EXPECT_TRUE(is_all_to_all(xor_factorisation(n), n)) << n;
    }
  }
  EXPECT_THROW(xor_factorisation(6), std::invalid_argument);
}

TEST(SynthSpace, KindsFollowTheRounds) {
  EXPECT_EQ(kind_of(circle_factorisation(8)), ScheduleKind::pairing);
  EXPECT_TRUE(is_pairing(xor_factorisation(8)));
  EXPECT_EQ(kind_of(shift_rounds(8)), ScheduleKind::directed);
  EXPECT_EQ(kind_of(group(circle_factorisation(8), 2)), ScheduleKind::grouped);
}

TEST(SynthSpace, GroupingAndRelabellingKeepTheAllToAll) {
  const Rounds base = circle_factorisation(8);
  for (std::size_t k = 1; k <= 8; ++k) {
    const Rounds g = group(base, k);
    EXPECT_TRUE(is_all_to_all(g, 8)) << k;
    EXPECT_EQ(g.size(), (7 + k - 1) / k) << k;
    for (const auto& round : g)
      for (auto [rank, count] : partners(round)) EXPECT_LE(count, k) << "k " << k << " rank " << rank;
  }
  EXPECT_TRUE(is_all_to_all(relabel(base, {3, 1, 4, 0, 5, 7, 6, 2}), 8));
  EXPECT_FALSE(is_all_to_all(relabel(base, {0, 0, 2, 3, 4, 5, 6, 7}), 8));  // two ranks merged: duplicates
  Rounds missing = base;
  missing.back().pop_back();
  EXPECT_FALSE(is_all_to_all(missing, 8));
}

TEST(SynthSpace, SharedResourcesAreTheBoxsSharedLinks) {
  const Topology box = make_preset("4090x8-2s-sw");  // gpu0..3 under sw0 on cpu0, gpu4..7 under sw1 on cpu1
  const SharedResources p2p = shared_resources(box, TransportKind::p2p, 8);
  EXPECT_TRUE(p2p.of(0, 1).empty());  // under one switch: only the GPUs' own links
  EXPECT_EQ(names_of(p2p, 0, 4), (std::vector<std::string>{"cpu0->cpu1", "cpu1->sw1", "sw0->cpu0"}));
  const SharedResources shm = shared_resources(box, TransportKind::shm, 8);
  EXPECT_EQ(names_of(shm, 0, 1), (std::vector<std::string>{"cpu0->sw0", "sw0->cpu0"}));  // staged in host memory
}

TEST(SynthSpace, FirstFitOfAFactorisationGivesItBack) {
  const Topology box = make_preset("4090x8-2s-sw");
  const SharedResources shared = shared_resources(box, TransportKind::p2p, 8);
  const Rounds circle = circle_factorisation(8);
  const Rounds packed = pack(pair_order(circle), 8, {1, 0}, shared);
  ASSERT_EQ(packed.size(), circle.size());
  for (std::size_t i = 0; i < circle.size(); ++i) {
    auto a = packed[i], b = circle[i];
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    EXPECT_EQ(a, b) << "round " << i;
  }
}

TEST(SynthSpace, PackingKeepsItsLimitsForAnyOrder) {
  const Topology box = make_preset("4090x8-sw2");
  const SharedResources shared = shared_resources(box, TransportKind::p2p, 8);
  std::vector<Pair> order;
  for (Rank a = 0; a < 8; ++a)
    for (Rank b = a + 1; b < 8; ++b) order.push_back({a, b});
  std::mt19937 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    std::shuffle(order.begin(), order.end(), rng);
    const PackLimits limits{static_cast<std::uint32_t>(1 + trial % 4), static_cast<std::uint32_t>(trial % 3)};
    const Rounds rounds = pack(order, 8, limits, shared);
    ASSERT_TRUE(is_all_to_all(rounds, 8)) << trial;
    for (const auto& round : rounds) {
      for (auto [rank, count] : partners(round)) EXPECT_LE(count, limits.peers) << trial;
      if (limits.cap == 0) continue;
      std::map<std::uint32_t, std::uint32_t> streams;
      for (auto [a, b] : round)
        for (std::uint32_t r : shared.of(a, b)) ++streams[r];
      for (auto [r, k] : streams) EXPECT_LE(k, limits.cap) << shared.names[r] << " trial " << trial;
    }
  }
}

TEST(SynthSpace, SchedulesRecordTheirDisciplineAndEveryPiece) {
  const Schedule s = to_schedule(group(circle_factorisation(4), 3), 4, uniform_payload(100, false, 2), "synthesized",
                                 Discipline::grouped);
  EXPECT_EQ(s.discipline, "grouped");
  EXPECT_EQ(s.kind, ScheduleKind::grouped);
  EXPECT_EQ(s.rounds.size(), 1u);
  EXPECT_EQ(s.transfer_count(), 12u * 3 * 2);  // 12 blocks, 3 parts, 2 chunks
  EXPECT_THROW(to_schedule(shift_rounds(4), 5, uniform_payload(1, true, 1), "x", Discipline::grouped), std::logic_error);
}

TEST(SynthSpace, PackingSingleTransfersKeepsItsLimits) {
  // Directed packing lets a -> b and b -> a land in different rounds; each rank still has at most
  // `peers` destinations and `peers` sources per round, each shared link at most `cap` transfers.
  const Topology box = make_preset("4090x8-sw2");
  const SharedResources shared = shared_resources(box, TransportKind::p2p, 8);
  std::vector<Transfer1> order = constrained_transfers_first(8, shared);
  ASSERT_EQ(order.size(), 56u);
  EXPECT_EQ(shared.of(order.front().first, order.front().second).size(), 3u);  // cross-socket first: up, across, down
  std::mt19937 rng(3);
  for (int trial = 0; trial < 20; ++trial) {
    if (trial > 0) std::shuffle(order.begin(), order.end(), rng);
    const PackLimits limits{static_cast<std::uint32_t>(1 + trial % 3), static_cast<std::uint32_t>(trial % 3)};
    const Rounds rounds = pack_directed(order, 8, limits, shared);
    ASSERT_TRUE(is_all_to_all(rounds, 8)) << trial;
    for (const auto& round : rounds) {
      std::map<Rank, std::uint32_t> out, in;
      std::map<std::uint32_t, std::uint32_t> streams;
      for (auto [a, b] : round) {
        ++out[a], ++in[b];
        for (std::uint32_t r : shared.of(a, b)) ++streams[r];
      }
      for (auto [r, k] : out) EXPECT_LE(k, limits.peers) << trial;
      for (auto [r, k] : in) EXPECT_LE(k, limits.peers) << trial;
      if (limits.cap > 0) {
        for (auto [r, k] : streams) EXPECT_LE(k, limits.cap) << shared.names[r] << " trial " << trial;
      }
    }
  }
}
