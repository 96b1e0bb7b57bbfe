// The executor on hand-made and preset boxes, each expectation worked out by hand in the comment.
#include <gtest/gtest.h>

#include "schedule/generators.h"
#include "schedule/lower.h"
#include "schedule/payload.h"
#include "sim/simulate.h"
#include "schedule/workload.h"

using namespace ua2a;

namespace {

ProgramSet one_step(std::int32_t ranks, const std::vector<std::pair<Rank, Rank>>& pairs, std::uint64_t bytes) {
  return lower_concurrent(ranks, pairs, bytes);
}

/// A star: gpu0..gpu3 under one switch, links of 10 GB/s, no latency, no per-op cost.
Topology star() {
  return read_dot(R"(digraph { graph [name="star", transport="p2p", op_cost_us=0];
    sw0 [kind=switch];
    gpu0 [kind=gpu]; gpu1 [kind=gpu]; gpu2 [kind=gpu]; gpu3 [kind=gpu];
    gpu0 -> sw0 [capacity_gbps=10]; sw0 -> gpu0 [capacity_gbps=10];
    gpu1 -> sw0 [capacity_gbps=10]; sw0 -> gpu1 [capacity_gbps=10];
    gpu2 -> sw0 [capacity_gbps=10]; sw0 -> gpu2 [capacity_gbps=10];
    gpu3 -> sw0 [capacity_gbps=10]; sw0 -> gpu3 [capacity_gbps=10]; })");
}

SimReport run(const Topology& t, const std::string& algo, const std::string& discipline, TransportKind transport,
              std::int32_t ranks, std::uint64_t bytes) {
  const Schedule s = generate(algo, ranks, uniform_payload(bytes, true, 1));
  SimOptions o;
  o.transport = transport;
  o.schedule = &s;
  return simulate(t, lower(s, parse_discipline(discipline)), o);
}

}  // namespace

TEST(Simulate, OneFlowOnOneLink) {
  // 1 GB over 10 GB/s links with no latency: 0.1 s, and the bound is the same 0.1 s.
  const SimReport r = simulate(star(), one_step(4, {{0, 1}}, 1'000'000'000));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_NEAR(r.time_s, 0.1, 1e-9);
  EXPECT_NEAR(r.bound_s, 0.1, 1e-9);
  EXPECT_NEAR(r.efficiency, 1.0, 1e-9);
  ASSERT_EQ(r.transfers.size(), 1u);
  EXPECT_NEAR(r.transfers[0].end_s, 0.1, 1e-9);
  EXPECT_NEAR(r.rank_finish_s[1], 0.1, 1e-9);
  EXPECT_EQ(r.rank_finish_s[2], 0.0);  // nothing to do
}

TEST(Simulate, TwoFlowsSharingALinkGetHalfEach) {
  // gpu0 and gpu1 both send 1 GB to gpu2: sw0->gpu2 is shared, 5 GB/s each, both end at 0.2 s.
  const SimReport r = simulate(star(), one_step(4, {{0, 2}, {1, 2}}, 1'000'000'000));
  ASSERT_TRUE(r.ok);
  EXPECT_NEAR(r.time_s, 0.2, 1e-9);
  EXPECT_EQ(r.bottleneck, "sw0->gpu2");
  for (const LinkReport& l : r.links)
    if (l.resource.name == "sw0->gpu2") {
      EXPECT_DOUBLE_EQ(l.bytes, 2e9);
      EXPECT_NEAR(l.peak_util, 1.0, 1e-12);
      EXPECT_NEAR(l.mean_util, 1.0, 1e-9);
    }
}

TEST(Simulate, UnequalFlowsReleaseCapacityWhenTheSmallOneEnds) {
  // 0.5 GB and 1.5 GB into gpu2: 5 GB/s each until the small one ends at 0.1 s (0.5 GB of the
  // big one moved), then 10 GB/s for the last 1 GB: 0.1 + 0.1 = 0.2 s.
  ProgramSet p = one_step(4, {{0, 2}, {1, 2}}, 500'000'000);
  for (Program& prog : p.programs)
    for (Op& op : prog.ops)
      if (op.block.src == 1) op.bytes = 1'500'000'000;
  const SimReport r = simulate(star(), p);
  ASSERT_TRUE(r.ok);
  EXPECT_NEAR(r.time_s, 0.2, 1e-9);
  EXPECT_NEAR(r.rank_finish_s[0], 0.1, 1e-9);
}

TEST(Simulate, HostStagedAcrossSocketsIsLimitedByTheSocketLink) {
  // 4090x8-2s, gpu0 -> gpu4 host-staged: gpu0->cpu0 (24) cpu0->cpu1 (10) cpu1->mem1 (70.4)
  // mem1->cpu1 (70.4) cpu1->gpu4 (24), one shm flow capped at 13: the socket link's 10 GB/s rules.
  // Time = latencies (0.5 + 0.5 + 0.1 + 0.1 + 0.5 us) + op cost 5 us + one 128 KiB chunk at
  // 10 GB/s + 1 GB / 10 GB/s.
  const SimReport r = simulate(make_preset("4090x8-2s"), one_step(8, {{0, 4}}, 1'000'000'000));
  ASSERT_TRUE(r.ok);
  const double expected = 1.7e-6 + 5e-6 + 131072 / 10e9 + 0.1;
  EXPECT_NEAR(r.time_s, expected, 1e-9);
  EXPECT_EQ(r.bottleneck, "cpu0->cpu1");
  EXPECT_EQ(r.transport, "shm");
}

TEST(Simulate, P2pThroughTheCpuCollapsesGroupedButWinsForOnePair) {
  // 4090x4, grouped all-to-all of 256 MiB blocks.
  //  shm: 12 flows write into and read from mem0 (70.4 GB/s each way): 5.87 GB/s each, 17.6 GB/s
  //       per GPU = busbw.
  //  p2p: 12 flows through cpu0's forwarding (24 GB/s, 6/5 charged): 20 / 12 GB/s each, busbw 5.
  const Topology box = make_preset("4090x4");
  const SimReport shm = run(box, "grouped", "grouped", TransportKind::shm, 4, 256u << 20);
  const SimReport p2p = run(box, "grouped", "grouped", TransportKind::p2p, 4, 256u << 20);
  ASSERT_TRUE(shm.ok && p2p.ok);
  EXPECT_NEAR(shm.busbw_gbps, 17.6, 0.1);
  EXPECT_NEAR(p2p.busbw_gbps, 5.0, 0.05);
  EXPECT_GT(shm.busbw_gbps / p2p.busbw_gbps, 3.0);
  EXPECT_EQ(p2p.bottleneck, "cpu0/p2p-forward");
  // One pair alone: p2p gets 24 / 1.2 = 20 GB/s, a host-staged flow its 13 GB/s cap.
  const SimReport one_shm = simulate(box, one_step(4, {{0, 1}}, 1 << 30), {TransportKind::shm});
  const SimReport one_p2p = simulate(box, one_step(4, {{0, 1}}, 1 << 30), {TransportKind::p2p});
  EXPECT_LT(one_p2p.time_s, one_shm.time_s);
  EXPECT_NEAR(one_p2p.time_s, (1 << 30) / 20e9, 1e-4);
  EXPECT_NEAR(one_shm.time_s, (1 << 30) / 13e9, 1e-4);
}

TEST(Simulate, RoundRobinAgainstGroupedOnTheDualSocketSwitchBox) {
  // 4090x8-2s-sw, host-staged, B = 128 MiB per block. The socket link (10 GB/s) carries 16 blocks
  // each way. Grouped keeps it saturated from start to end: 16 B / 10 GB/s. Round-robin runs its
  // 7 rounds one after another: two rounds with 4 cross-socket pairs (4 flows on the socket link:
  // B / 2.5 GB/s), four with 2 (B / 5 GB/s) and one with none, where 4 flows share each x16
  // switch uplink (B / 6 GB/s): B (2/2.5 + 4/5 + 1/6) = 1.767 B vs 1.6 B. A fluid max-min model
  // never lets a sequence of rounds beat a work-conserving all-at-once exchange whose bottleneck
  // stays saturated; see docs/simulate.md ("limits").
  const Topology box = make_preset("4090x8-2s-sw");
  const double b = 128.0 * (1 << 20);
  const SimReport rr = run(box, "round-robin", "paired-full", TransportKind::shm, 8, 128u << 20);
  const SimReport gr = run(box, "grouped", "grouped", TransportKind::shm, 8, 128u << 20);
  ASSERT_TRUE(rr.ok && gr.ok);
  EXPECT_NEAR(gr.time_s, 1.6 * b / 1e9, 1e-3 * gr.time_s);
  EXPECT_NEAR(rr.time_s, (2 / 2.5 + 4 / 5.0 + 1 / 6.0) * b / 1e9, 1e-3 * rr.time_s);
  EXPECT_EQ(gr.bottleneck, "cpu0->cpu1");
  EXPECT_NEAR(gr.efficiency, 1.0, 1e-3);
  // Tiny messages: latency and per-op costs dominate; grouped pays them once, round-robin 7 times.
  const SimReport rr_tiny = run(box, "round-robin", "paired-full", TransportKind::shm, 8, 1024);
  const SimReport gr_tiny = run(box, "grouped", "grouped", TransportKind::shm, 8, 1024);
  EXPECT_GT(rr_tiny.time_s, 5 * gr_tiny.time_s);
}

TEST(Simulate, IdenticalInputsGiveIdenticalOutputs) {
  const Topology box = make_preset("4090x8-sw2");
  const SimReport a = run(box, "round-robin", "paired-half", TransportKind::shm, 8, 3'000'001);
  const SimReport b = run(box, "round-robin", "paired-half", TransportKind::shm, 8, 3'000'001);
  EXPECT_EQ(simulation_json(box, {a}), simulation_json(box, {b}));
  EXPECT_EQ(simulation_trace({a}), simulation_trace({b}));
}

TEST(Simulate, DeadlockIsReportedNotHung) {
  // naive: every rank sends first and, zero-buffer, waits forever for a receive nobody posts.
  const SimReport r = run(make_preset("4090x4"), "round-robin", "naive", TransportKind::shm, 4, 1024);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.blocked.size(), 4u);
  EXPECT_NE(r.error.find("deadlock"), std::string::npos);
  EXPECT_NE(r.error.find("send("), std::string::npos);
}

TEST(Simulate, RejectsMoreRanksThanGpusAndMissingRoutes) {
  EXPECT_THROW(run(make_preset("4090x4"), "grouped", "grouped", TransportKind::shm, 8, 1024), std::invalid_argument);
  EXPECT_THROW(run(make_preset("4090x4"), "grouped", "grouped", TransportKind::nvlink, 4, 1024), std::invalid_argument);
}

TEST(Simulate, BoxesRouteAcrossTheNetwork) {
  // 2 x 4090x4: gpu0 -> gpu4 leaves through nic0 (25 GB/s), net0, nic1.
  const Topology two = join_boxes(make_preset("4090x4"), 2);
  const SimReport r = simulate(two, one_step(8, {{0, 4}}, 1'000'000'000));
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.transport, "shm");
  EXPECT_NEAR(r.time_s, 1e9 / 24e9, 1e-4);  // the GPU's own x16 link (24) is narrower than the NIC
  bool crossed = false;
  for (const LinkReport& l : r.links) crossed |= l.resource.name == "nic0->net0" && l.bytes == 1e9;
  EXPECT_TRUE(crossed);
}

TEST(Simulate, JsonCarriesTheContractFields) {
  const Topology box = make_preset("4090x8-2s");
  const SimReport r = run(box, "round-robin", "paired-half", TransportKind::shm, 8, 1 << 20);
  const std::string j = simulation_json(box, {r}, true);
  for (const char* field : {"\"format\"", "\"ulysses-a2a/simulation\"", "\"algo\"", "\"discipline\"", "\"transport\"",
                            "\"time_s\"", "\"algbw_gbps\"", "\"busbw_gbps\"", "\"bound_s\"", "\"efficiency\"",
                            "\"bottleneck\"", "\"rank_finish_s\"", "\"links\"", "\"capacity_gbps\"", "\"peak_util\"",
                            "\"mean_util\"", "\"util\"", "\"transfers\"", "\"round\"", "\"step\"", "\"dot\""})
    EXPECT_NE(j.find(field), std::string::npos) << field;
  // paired-half: in round 0, rank 0 sends to 7 in its step 0 and receives in step 1.
  bool seen = false;
  for (const TransferReport& t : r.transfers)
    if (t.src == 7 && t.dst == 0) {
      EXPECT_EQ(t.round, 0u);
      EXPECT_EQ(t.step, 1u);  // the higher rank receives first, then sends
      seen = true;
    }
  EXPECT_TRUE(seen);
}

TEST(Workload, Wan14bAt480pMatchesTheWorkedSizes) {
  // reference/ulysses-4090.md: S = 21 x 30 x 52 = 32760, N = 8: s = 4095, h = 5, 15.7 MB per peer.
  const VideoModel& m = find_video_model("wan2.1-14b");
  EXPECT_EQ(video_tokens(m, "480p", 81), 32760u);
  EXPECT_EQ(video_tokens(m, "720p", 81), 75600u);
  const UlyssesShape s = ulysses_shape(32760, m.heads, m.head_dim, 8, DType::bf16, Exchange::qkv);
  EXPECT_EQ(s.seq_per_rank, 4095u);
  EXPECT_EQ(s.heads_per_rank, 5u);
  EXPECT_EQ(ulysses_payload(s, true, 1).block_bytes(), 15'724'800u);
  EXPECT_THROW(ulysses_shape(32760, 40, 128, 6, DType::bf16, Exchange::qkv), std::invalid_argument);  // 40 % 6
  EXPECT_THROW(video_tokens(m, "1080p", 81), std::invalid_argument);
  EXPECT_THROW(video_tokens(m, "480p", 80), std::invalid_argument);
  EXPECT_THROW(find_video_model("wan3"), std::invalid_argument);
}
