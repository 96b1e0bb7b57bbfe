// Which GPUs form each group (issue 23, item 2), and what a transport needs on them (item 1). The
// expectations come from the presets' wiring (sim/presets.cpp): on 4090x8-2s-sw GPUs 0-3 share
// socket 0's switch and 4-7 socket 1's; on 4090x8-sw2 each socket has two switches of two GPUs
// (0-1, 2-3 | 4-5, 6-7); on 4090x8-2s each GPU has its own root port, 0-3 on socket 0.
#include <gtest/gtest.h>

#include <set>

#include "plan/mapping.h"
#include "plan/plan.h"

using namespace ua2a;
using namespace ua2a::plan;

namespace {

std::int32_t socket_of(std::int32_t gpu) { return gpu / 4; }  // every 8-GPU 4090 preset

std::set<std::int32_t> sockets(const std::vector<std::int32_t>& gpus) {
  std::set<std::int32_t> out;
  for (std::int32_t g : gpus) out.insert(socket_of(g));
  return out;
}

std::vector<std::int32_t> branch_gpus(const Mapping& m, std::size_t c) {
  std::vector<std::int32_t> out;
  for (const auto& group : m.groups.at(c)) out.insert(out.end(), group.begin(), group.end());
  return out;
}

}  // namespace

TEST(Mapping, AFourGpuUlyssesGroupLandsInsideOneSocket) {
  const Topology box = make_preset("4090x8-2s-sw");
  // cfg1 x u4 x r2: two Ulysses groups of four, each one switch (one socket), the ring across.
  const Mapping m = map_layout(box, 1, 2, 4);
  ASSERT_EQ(m.groups.size(), 1u);
  ASSERT_EQ(m.groups[0].size(), 2u);
  for (const auto& group : m.groups[0]) EXPECT_EQ(sockets(group).size(), 1u) << to_string(m);
  EXPECT_EQ(to_string(m), "0-3>4-7");
  // Four GPUs of eight for one Ulysses group: one socket's, not two of each.
  const Mapping four = map_layout(box, 1, 1, 4);
  EXPECT_EQ(sockets(four.groups[0][0]).size(), 1u) << to_string(four);
}

TEST(Mapping, SixGpusKeepEachCfgBranchInOneSocket) {
  const Topology box = make_preset("4090x8-2s-sw");
  // 6 of 8 GPUs as cfg2 x ring 3: each branch has 3 GPUs and a socket has 4, so each branch fits
  // in one socket; taking GPUs 0-5 would put one branch across the socket link.
  const Mapping m = map_layout(box, 2, 3, 1);
  ASSERT_EQ(m.groups.size(), 2u);
  EXPECT_EQ(m.gpus().size(), 6u);
  for (std::size_t c = 0; c < 2; ++c) EXPECT_EQ(sockets(branch_gpus(m, c)).size(), 1u) << to_string(m);
  EXPECT_NE(sockets(branch_gpus(m, 0)), sockets(branch_gpus(m, 1))) << to_string(m);  // one branch a socket
}

TEST(Mapping, CfgBranchesGoToDifferentSocketsAndUlyssesGroupsIntoSwitches) {
  const Topology box = make_preset("4090x8-sw2");
  // cfg2 x u2 on 4 GPUs: each branch's pair inside one switch, the branches on the two sockets.
  const Mapping m = map_layout(box, 2, 1, 2);
  for (std::size_t c = 0; c < 2; ++c) {
    const auto g = m.groups[c][0];
    ASSERT_EQ(g.size(), 2u);
    EXPECT_EQ(g[0] / 2, g[1] / 2) << to_string(m);  // switches hold GPUs 2k, 2k+1
  }
  EXPECT_NE(socket_of(m.groups[0][0][0]), socket_of(m.groups[1][0][0])) << to_string(m);
  // cfg1 x u2 x r2 on 4 GPUs: one socket, each Ulysses pair one switch.
  const Mapping one = map_layout(box, 1, 2, 2);
  EXPECT_EQ(to_string(one), "0-1>2-3");
}

TEST(Mapping, ARingVisitsNeighboursInOrder) {
  const Topology box = make_preset("4090x8-2s-sw");
  // Ring of 8: the socket link is crossed twice (3 -> 4 and 7 -> 0), the least a ring can.
  const Mapping m = map_layout(box, 1, 8, 1);
  int crossings = 0;
  for (std::int32_t r = 0; r < 8; ++r) crossings += socket_of(m.gpu(0, r, 0)) != socket_of(m.gpu(0, (r + 1) % 8, 0));
  EXPECT_EQ(crossings, 2) << to_string(m);
}

TEST(Mapping, AListOfGpusIsUsedAsGivenWhateverItsOrder) {
  const Topology box = make_preset("4090x8-2s-sw");
  std::int32_t count = 0;
  const auto list = parse_gpu_selection("5,0,4,1", 8, count);
  EXPECT_EQ(count, 4);
  EXPECT_EQ(list, (std::vector<std::int32_t>{0, 1, 4, 5}));
  // cfg2 x u2: each branch one socket's pair.
  const Mapping m = map_layout(box, 2, 1, 2, list);
  EXPECT_EQ(to_string(m), "0-1|4-5");
  EXPECT_TRUE(parse_gpu_selection("6", 8, count).empty());
  EXPECT_EQ(count, 6);
  for (const char* bad : {"", "0", "x", "0,8", "1,1", "0,,1", "-1", "1,-2"})
    EXPECT_THROW(parse_gpu_selection(bad, 8, count), std::invalid_argument) << bad;
  EXPECT_THROW(map_layout(box, 2, 2, 2, list), std::invalid_argument);  // 8 of 4 listed
}

TEST(Mapping, ThePlannerSimulatesTheMappedGpus) {
  // Six GPUs as cfg2 x r3: the ring passes stay inside the sockets' switches, so no byte
  // crosses the socket link; on GPUs 0-5 one ring would cross it.
  Topology box = make_preset("4090x8-2s-sw");
  PlanOptions o;
  o.gpus = 6;
  o.scope = Scope::step;
  const PlanResult r = make_plan(box, find_gpu("rtx4090"), model_workload("wan2.1-14b", "480p", 81, true), o);
  bool seen = false;
  for (const Candidate& k : r.candidates) {
    if (!(k.layout == Layout{2, 1, 3})) continue;
    seen = true;
    EXPECT_EQ(to_string(k.mapping), "0>1>2|4>5>6");
  }
  EXPECT_TRUE(seen);
  // The same on an explicit list that spans the sockets per branch is slower: its passes cross.
  o.gpu_list = {0, 1, 2, 3, 4, 5};
  o.gpus = 0;
  o.only_layout = Layout{2, 1, 3};
  o.transports = {TransportKind::shm};
  o.only_dtype = DType::bf16;
  const PlanResult spanning = make_plan(box, find_gpu("rtx4090"), model_workload("wan2.1-14b", "480p", 81, true), o);
  o.gpu_list = {0, 1, 2, 4, 5, 6};
  const PlanResult apart = make_plan(box, find_gpu("rtx4090"), model_workload("wan2.1-14b", "480p", 81, true), o);
  ASSERT_EQ(spanning.candidates.size(), 1u);
  ASSERT_EQ(apart.candidates.size(), 1u);
  EXPECT_EQ(to_string(spanning.candidates[0].mapping), "0>1>2|3>4>5");
  EXPECT_GT(spanning.candidates[0].ring_pass_sim_s, apart.candidates[0].ring_pass_sim_s);
}

TEST(TransportNeeds, WhatEachTransportNeedsOnTheMappedGpus) {
  Topology box = make_preset("4090x8-2s-sw");
  box.params.p2p = true;  // the patched driver
  const Mapping in_switch = map_layout(box, 2, 1, 4);   // 0-3|4-7: pairs inside a switch
  const Mapping across = map_layout(box, 1, 1, 8);      // 0-7: pairs across the sockets
  auto has = [](const std::vector<std::string>& v, const std::string& w) {
    for (const std::string& s : v)
      if (s.find(w) != std::string::npos) return true;
    return false;
  };
  // NCCL's P2P inside a switch runs by default; across sockets it needs NCCL_P2P_LEVEL=SYS.
  EXPECT_FALSE(has(transport_needs(box, "p2p", in_switch), "NCCL_P2P_LEVEL"));
  EXPECT_TRUE(has(transport_needs(box, "p2p", across), "NCCL_P2P_LEVEL=SYS"));
  // GeForce: any P2P transport needs the patched driver; CUDA copies need no NCCL setting.
  EXPECT_TRUE(has(transport_needs(box, "cuda-p2p", across), "P2P-patched driver"));
  EXPECT_FALSE(has(transport_needs(box, "cuda-p2p", across), "NCCL_P2P_LEVEL"));
  // NCCL's SHM on a P2P box: NCCL would take P2P inside the switch unless told not to.
  EXPECT_TRUE(has(transport_needs(box, "shm", in_switch), "NCCL_P2P_DISABLE=1"));
  EXPECT_TRUE(transport_needs(box, "cuda-staged", across).empty());
  // Within one socket through the root ports (4090x8-2s): across the host bridge, as C1 ran it.
  Topology roots = make_preset("4090x8-2s");
  roots.params.p2p = true;
  EXPECT_TRUE(has(transport_needs(roots, "p2p", map_layout(roots, 1, 1, 4)), "NCCL_P2P_LEVEL=SYS"));
  EXPECT_TRUE(has(transport_needs(roots, "p2p", map_layout(roots, 1, 1, 4)), "host bridge"));
  // The stock driver: SHM needs nothing.
  EXPECT_TRUE(transport_needs(make_preset("4090x8-2s-sw"), "shm", across).empty());
}

TEST(TransportNeeds, TheDefaultPlanRecommendsWhatTheStockDriverRuns) {
  const PlanResult r = make_plan(make_preset("4090x8-2s-sw"), find_gpu("rtx4090"),
                                 model_workload("wan2.1-14b", "480p", 81, true), PlanOptions{});
  for (const Candidate& k : r.candidates) {
    EXPECT_TRUE(k.transport == "shm" || k.transport == "cuda-staged" || k.transport == "-") << k.transport;
    EXPECT_TRUE(k.needs.empty()) << k.transport << " " << to_string(k.mapping);
  }
}
