// The probe's patterns on the presets, checked against the boxes as docs/simulate.md describes
// them (which GPU hangs off which switch and socket), counted by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "sim/probe_patterns.h"

using namespace ua2a;

namespace {

std::vector<ProbePattern> patterns(const std::string& preset, std::vector<TransportKind> transports,
                                   std::vector<MeasureOp> ops = {MeasureOp::write}) {
  ProbeRequest r;
  r.transports = std::move(transports);
  r.ops = std::move(ops);
  r.bytes = 1 << 20;
  return probe_patterns(make_preset(preset), r);
}

std::map<ProbeKind, int> counts(const std::vector<ProbePattern>& ps) {
  std::map<ProbeKind, int> c;
  for (const auto& p : ps) ++c[p.kind];
  return c;
}

bool disjoint(const std::vector<Flow>& flows) {
  std::set<std::int32_t> gpus;
  for (auto [a, b] : flows)
    if (!gpus.insert(a).second || !gpus.insert(b).second) return false;
  return true;
}

bool has_resource(const ProbePattern& p, const std::string& name) {
  return std::find(p.through.begin(), p.through.end(), name) != p.through.end();
}

// 4090x8-2s-sw: GPUs 0-3 under sw0 on socket 0, 4-7 under sw1 on socket 1.
int socket_of(std::int32_t gpu) { return gpu < 4 ? 0 : 1; }

}  // namespace

TEST(ProbePatterns, EveryPairOneWayAndBothWaysOnce) {
  const auto ps = patterns("4090x8-2s-sw", {TransportKind::cuda_p2p});
  std::set<Flow> one_way;
  std::set<std::pair<std::int32_t, std::int32_t>> both;
  for (const auto& p : ps) {
    if (p.kind == ProbeKind::pair_one_way) {
      ASSERT_EQ(p.point.flows.size(), 1u);
      EXPECT_TRUE(one_way.insert(p.point.flows[0]).second) << p.point.name;
    }
    if (p.kind == ProbeKind::pair_both_ways) {
      ASSERT_EQ(p.point.flows.size(), 2u);
      const auto [a, b] = p.point.flows[0];
      EXPECT_EQ(p.point.flows[1], (Flow{b, a}));
      EXPECT_TRUE(both.insert({std::min(a, b), std::max(a, b)}).second) << p.point.name;
    }
  }
  EXPECT_EQ(one_way.size(), 56u);  // 8 x 7 ordered pairs
  EXPECT_EQ(both.size(), 28u);     // 8 x 7 / 2 unordered pairs
  for (std::int32_t a = 0; a < 8; ++a)
    for (std::int32_t b = 0; b < 8; ++b)
      if (a != b) {
        EXPECT_TRUE(one_way.count({a, b})) << a << "->" << b;
      }
  const auto named = std::find_if(ps.begin(), ps.end(), [](const auto& p) { return p.point.name == "gpu0->gpu4 one way"; });
  ASSERT_NE(named, ps.end());
  EXPECT_EQ(named->point.flows, (std::vector<Flow>{{0, 4}}));
}

TEST(ProbePatterns, SocketLinkFlowsCrossTheSocketsAndShareNothingElse) {
  // With P2P, both uplinks, both root complexes and the socket link carry the same cross-socket
  // flows, so each flow set is one point naming all of them: k = 2 and 4 per direction, then
  // k = 2 and 4 each way at once.
  const auto ps = patterns("4090x8-2s-sw", {TransportKind::cuda_p2p});
  int forward = 0, backward = 0, each_way = 0;
  for (const auto& p : ps) {
    if (p.kind != ProbeKind::shared_resource) continue;
    const bool out = has_resource(p, "cpu0->cpu1"), back = has_resource(p, "cpu1->cpu0");
    ASSERT_TRUE(out || back) << p.point.name << ": every P2P flow set on this box crosses the sockets";
    if (out && back) {  // both directions: half the flows each way, each half disjoint
      ++each_way;
      const std::size_t k = p.point.flows.size() / 2;
      const std::vector<Flow> there(p.point.flows.begin(), p.point.flows.begin() + k),
          back_flows(p.point.flows.begin() + k, p.point.flows.end());
      EXPECT_TRUE(disjoint(there) && disjoint(back_flows)) << p.point.name;
      for (auto [a, b] : there) EXPECT_TRUE(socket_of(a) == 0 && socket_of(b) == 1) << p.point.name;
      for (auto [a, b] : back_flows) EXPECT_TRUE(socket_of(a) == 1 && socket_of(b) == 0) << p.point.name;
      EXPECT_EQ(p.point.name, std::to_string(k) + " flows each way through cpu0->cpu1, cpu1->cpu0");
      continue;
    }
    EXPECT_TRUE(disjoint(p.point.flows)) << p.point.name;
    for (auto [a, b] : p.point.flows) {
      EXPECT_EQ(socket_of(a), out ? 0 : 1) << p.point.name;
      EXPECT_EQ(socket_of(b), out ? 1 : 0) << p.point.name;
    }
    if (out) {
      ++forward;
      for (const char* r : {"sw0->cpu0", "cpu1->sw1", "cpu0", "cpu1"}) EXPECT_TRUE(has_resource(p, r)) << r;
    } else {
      ++backward;
      for (const char* r : {"cpu0->sw0", "sw1->cpu1"}) EXPECT_TRUE(has_resource(p, r)) << r;
    }
  }
  EXPECT_EQ(forward, 2);  // k = 2, 4
  EXPECT_EQ(backward, 2);
  EXPECT_EQ(each_way, 2);
  const auto four = std::find_if(ps.begin(), ps.end(), [](const auto& p) {
    return p.kind == ProbeKind::shared_resource && p.point.flows.size() == 4 && has_resource(p, "cpu0->cpu1") &&
           !has_resource(p, "cpu1->cpu0");
  });
  ASSERT_NE(four, ps.end());
  EXPECT_EQ(four->point.flows, (std::vector<Flow>{{0, 4}, {1, 5}, {2, 6}, {3, 7}}));
  EXPECT_EQ(four->point.name, "4 flows through sw0->cpu0, cpu1->sw1, cpu0, cpu1, cpu0->cpu1");
  // Every GPU sending across the sockets at once: the last point of its kind.
  const auto all = std::find_if(ps.begin(), ps.end(), [](const auto& p) { return p.point.flows.size() == 8 && p.kind == ProbeKind::shared_resource; });
  ASSERT_NE(all, ps.end());
  EXPECT_EQ(all->point.flows, (std::vector<Flow>{{0, 4}, {1, 5}, {2, 6}, {3, 7}, {4, 0}, {5, 1}, {6, 2}, {7, 3}}));
}

TEST(ProbePatterns, CountsOnTheFourGpuBox) {
  // 4090x4: no switch, one socket. 12 one-way pairs, 6 both ways, one root complex carrying at
  // most two disjoint pairs ({0,1}, {2,3}), one all-to-all, 3 rounds of the circle method.
  const auto ps = patterns("4090x4", {TransportKind::cuda_p2p});
  const auto c = counts(ps);
  EXPECT_EQ(c.at(ProbeKind::pair_one_way), 12);
  EXPECT_EQ(c.at(ProbeKind::pair_both_ways), 6);
  EXPECT_EQ(c.at(ProbeKind::shared_resource), 1);
  EXPECT_EQ(c.at(ProbeKind::all_to_all), 1);
  EXPECT_EQ(c.at(ProbeKind::round), 3);
  const auto rc = std::find_if(ps.begin(), ps.end(), [](const auto& p) { return p.kind == ProbeKind::shared_resource; });
  EXPECT_EQ(rc->point.name, "2 flows through cpu0");
  EXPECT_EQ(rc->point.flows, (std::vector<Flow>{{0, 1}, {2, 3}}));
}

TEST(ProbePatterns, SwitchUplinksOfTheTwoSwitchBoxPreferFlowsThatStayOnTheSocket) {
  // 4090x8-sw2: gpu0, gpu1 under sw0 and gpu2, gpu3 under sw1, both on cpu0. Flows leaving sw0
  // by its uplink reach sw1 without crossing the sockets.
  const auto ps = patterns("4090x8-sw2", {TransportKind::cuda_p2p});
  const auto up = std::find_if(ps.begin(), ps.end(), [](const auto& p) { return has_resource(p, "sw0->cpu0"); });
  ASSERT_NE(up, ps.end());
  EXPECT_EQ(up->point.flows, (std::vector<Flow>{{0, 2}, {1, 3}}));
  EXPECT_TRUE(has_resource(*up, "cpu0->sw1"));
  EXPECT_FALSE(has_resource(*up, "cpu0->cpu1"));
}

TEST(ProbePatterns, NvlinkBoxHasNoSharedPcieResource) {
  const auto c = counts(patterns("h100x8-nvs", {TransportKind::nvlink}));
  EXPECT_EQ(c.count(ProbeKind::shared_resource), 0u);
  EXPECT_EQ(c.at(ProbeKind::pair_one_way), 56);
  EXPECT_EQ(c.at(ProbeKind::round), 7);
}

TEST(ProbePatterns, AllToAllIsBusbwOverEveryOrderedPairAndRoundsAreTheCircleMethod) {
  const auto ps = patterns("4090x4", {TransportKind::shm});
  const auto a2a = std::find_if(ps.begin(), ps.end(), [](const auto& p) { return p.kind == ProbeKind::all_to_all; });
  ASSERT_NE(a2a, ps.end());
  EXPECT_EQ(a2a->point.metric, MeasureMetric::busbw);
  EXPECT_EQ(a2a->point.flows.size(), 12u);
  EXPECT_EQ(a2a->point.size_bytes, 4u << 20);  // nccl-tests' size: N blocks of 1 MiB
  // Over the 3 rounds every ordered pair appears exactly once, each round a perfect matching.
  std::multiset<Flow> seen;
  for (const auto& p : ps)
    if (p.kind == ProbeKind::round) {
      EXPECT_EQ(p.point.flows.size(), 4u);
      std::set<std::int32_t> senders;
      for (auto f : p.point.flows) seen.insert(f), senders.insert(f.first);
      EXPECT_EQ(senders.size(), 4u) << p.point.name;
      EXPECT_EQ(p.point.metric, MeasureMetric::total);
    }
  EXPECT_EQ(seen.size(), 12u);
  EXPECT_EQ(std::set<Flow>(seen.begin(), seen.end()).size(), 12u);
}

TEST(ProbePatterns, NamesAreUniqueAndCarryTransportAndDirectionWhenSeveral) {
  const auto ps = patterns("4090x4", {TransportKind::cuda_p2p, TransportKind::shm}, {MeasureOp::write, MeasureOp::read});
  std::set<std::string> names;
  for (const auto& p : ps) EXPECT_TRUE(names.insert(p.point.name).second) << p.point.name;
  // cuda-p2p write and read, shm write only (NCCL's SHM has no choice of direction): 3 x 23.
  EXPECT_EQ(ps.size(), 69u);
  EXPECT_TRUE(names.count("gpu0->gpu1 one way (cuda-p2p, read)"));
  EXPECT_TRUE(names.count("gpu0->gpu1 one way (shm)"));
  EXPECT_FALSE(names.count("gpu0->gpu1 one way (shm, read)"));
  for (const auto& p : ps)
    if (p.point.transport == TransportKind::shm) {
      EXPECT_EQ(p.point.op, MeasureOp::write);
    }
}

TEST(ProbePatterns, TheOrderIsFixed) {
  const auto ps = patterns("4090x4", {});  // the box's default transport: shm
  ASSERT_EQ(ps.size(), 23u);
  EXPECT_EQ(ps.front().point.name, "gpu0->gpu1 one way");
  EXPECT_EQ(ps[12].point.name, "gpu0<->gpu1 both ways");
  EXPECT_EQ(ps[19].point.name, "all-to-all, 4 GPUs at once");
  EXPECT_EQ(ps.back().point.name, "round-robin round 3 of 3, pairs both ways");
  EXPECT_EQ(ps.front().point.transport, TransportKind::shm);
}

TEST(ProbePatterns, BoxesThatCannotBeProbedAreRefused) {
  Topology one;
  one.name = "one";
  const NodeIndex cpu = one.add_node({"cpu0", NodeKind::cpu});
  one.add_link(one.add_node({"gpu0", NodeKind::gpu}), cpu, 24e9, 1e-6, LinkKind::pcie);
  try {
    probe_patterns(one, {});
    FAIL() << "a box of one GPU was probed";
  } catch (const TopologyError& e) {
    EXPECT_NE(std::string(e.what()).find("at least 2 GPUs"), std::string::npos) << e.what();
  }
  EXPECT_THROW(probe_patterns(join_boxes(make_preset("4090x4"), 2), {}), TopologyError);
  ProbeRequest nvlink;
  nvlink.transports = {TransportKind::nvlink};
  EXPECT_THROW(probe_patterns(make_preset("4090x4"), nvlink), std::invalid_argument);
}

TEST(ProbeEstimate, OnePairIsItsBytesOverTheP2pRateTimesRunsPlusTheOverhead) {
  // 4090x4, cuda-p2p: one flow through the root complex at 24 GB/s with Intel's 6/5 TLP charge,
  // 20 GB/s; 64 MiB take 3.355 ms plus microseconds of latency and operation cost.
  ProbeRequest r;
  r.transports = {TransportKind::cuda_p2p};
  const Topology box = make_preset("4090x4");
  const auto ps = probe_patterns(box, r);
  const double expected = (64 << 20) / 20e9;
  EXPECT_NEAR(simulated_pattern_s(box, ps.front()), expected, expected * 0.01);
  const ProbeEstimate e = estimate_probe(box, {ps.front()}, 2, 10);
  EXPECT_NEAR(e.total_s, 12 * expected + kProbeOverheadPerPatternS, 12 * expected * 0.01);
}

TEST(ProbeFigure, TotalIsAllBytesAndBusbwTheBusiestSendersBytesOverTheTime) {
  MeasurementPoint p;
  p.name = "x";
  p.bytes = 1'000'000'000;
  p.flows = {{0, 1}, {0, 2}, {1, 0}};
  EXPECT_DOUBLE_EQ(figure_gbps(p, 2.0), 1.5);  // 3 GB in 2 s
  p.metric = MeasureMetric::busbw;
  EXPECT_DOUBLE_EQ(figure_gbps(p, 2.0), 1.0);  // GPU 0 sends 2 GB
  // nccl-tests' all-to-all: busbw = algbw (N - 1) / N with algbw = N blocks / time.
  MeasurementPoint a2a = p;
  a2a.flows.clear();
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 4; ++b)
      if (a != b) a2a.flows.push_back({a, b});
  EXPECT_DOUBLE_EQ(figure_gbps(a2a, 0.5), 4 * 1.0 / 0.5 * 3 / 4);
  p.metric = MeasureMetric::flow_min;
  EXPECT_THROW(figure_gbps(p, 1.0), std::invalid_argument);
  p.metric = MeasureMetric::total;
  EXPECT_THROW(figure_gbps(p, 0.0), std::invalid_argument);
}
