// CPU offload: the weight stream from host memory on a box's links, against hand-computed
// figures, and what it makes of the default plan.
#include <gtest/gtest.h>

#include "plan/offload.h"
#include "plan/plan.h"

namespace ua2a::plan {
namespace {

// Wan2.1-14B's block: 8 x 5120^2 + 2 x 5120 x 13824 = 351,272,960 weights, 702.5 MB in bf16.
constexpr double kWanBlockBytes = 2.0 * (8 * 5120.0 * 5120 + 2 * 5120.0 * 13824);

TEST(Offload, GpusBehindOneSwitchShareItsUplink) {
  // 4090x8-2s-sw: 4 GPUs behind each switch's one x16 uplink (24 GB/s): 6 GB/s each.
  const HostReadTime r = host_to_gpus(make_preset("4090x8-2s-sw"), {0, 1, 2, 3, 4, 5, 6, 7}, kWanBlockBytes);
  EXPECT_NEAR(r.seconds, 4 * kWanBlockBytes / 24e9, 1e-9);
  EXPECT_NEAR(r.slowest_bytes_per_s, 6e9, 1);
  EXPECT_EQ(r.bottleneck.rfind("cpu", 0), 0u) << r.bottleneck;  // the uplink cpuN->swN
  // One GPU alone has the whole uplink.
  EXPECT_NEAR(host_to_gpus(make_preset("4090x8-2s-sw"), {0}, kWanBlockBytes).seconds, kWanBlockBytes / 24e9, 1e-9);
  // 4090x4: each GPU on its own root port (24 GB/s), but four at once ask 96 GB/s of a socket whose
  // memory serves 140.8 / 2 = 70.4 GB/s one way (the preset's DDR4): memory binds, 17.6 GB/s each.
  const HostReadTime four = host_to_gpus(make_preset("4090x4"), {0, 1, 2, 3}, 1e9);
  EXPECT_NEAR(four.seconds, 4 * 1e9 / 70.4e9, 1e-9);
  EXPECT_EQ(four.bottleneck.rfind("mem", 0), 0u) << four.bottleneck;
}

TEST(Offload, TheDefaultPlanRunsIn24GigabytesAndPaysForTheStream) {
  PlanOptions o;
  const Workload w = model_workload("wan2.1-14b", "480p", 81, true);
  // With the P2P driver (--p2p) the exchanges stay below the switches: the uplinks carry weights only.
  Topology box = make_preset("4090x8-2s-sw");
  box.params.p2p = true;
  const PlanResult r = make_plan(box, find_gpu("rtx4090"), w, o);
  const Candidate& k = r.candidates[r.recommended_index];
  ASSERT_TRUE(k.offload);
  ASSERT_EQ(k.transport.find("p2p") == std::string::npos, false) << k.transport;
  EXPECT_TRUE(k.fits);
  EXPECT_LT(k.memory_bytes, 24e9);
  // Each GPU streams every block's weights once per forward: per step, forwards = 40 layers x 2
  // CFG branches / cfg. A block can finish no sooner than its weights arrive.
  const double forwards = 40.0 * 2 / k.layout.cfg;
  const double read = 4 * kWanBlockBytes / 24e9;
  EXPECT_NEAR(k.offload_block_s, read, 1e-9);
  EXPECT_GE(k.time_s, forwards * read * (1 - 1e-9));
  // Stages without the offload are the block's own time; the offload stage is what the stream
  // adds beyond it.
  const double own = k.time_s - k.stages.offload;
  EXPECT_NEAR(k.stages.offload, std::max(0.0, forwards * read - own), 1e-9);
  // The one-GPU baseline reads alone: 702.5 MB over its own 24 GB/s, hidden behind its 245 ms block.
  EXPECT_NEAR(r.one_gpu.offload_block_s, kWanBlockBytes / 24e9, 1e-9);
  EXPECT_EQ(r.one_gpu.stages.offload, 0.0);
  // Offloaded bytes a step per GPU: forwards x 702.5 MB.
  EXPECT_NEAR(forwards * kWanBlockBytes, forwards * 702545920.0, 1);
}

TEST(Offload, OnTheStockDriverTheStagedExchangesWaitWithTheWeights) {
  // No P2P (a GeForce box on the stock driver): the recommendation is staged through host memory,
  // whose bytes cross the same uplinks as the weights, so a block waits at least for the weights.
  const Workload w = model_workload("wan2.1-14b", "480p", 81, true);
  const PlanResult r = make_plan(make_preset("4090x8-2s-sw"), find_gpu("rtx4090"), w, PlanOptions{});
  const Candidate& k = r.candidates[r.recommended_index];
  ASSERT_TRUE(k.offload);
  EXPECT_TRUE(k.fits);
  EXPECT_TRUE(k.transport == "shm" || k.transport == "cuda-staged") << k.transport;
  EXPECT_GT(k.offload_block_s, 4 * kWanBlockBytes / 24e9);
}

TEST(Offload, ExchangesThroughHostMemoryShareTheUplinkWithTheWeights) {
  PlanOptions o;
  o.only_layout = Layout{2, 4, 1};
  o.only_dtype = DType::bf16;
  o.only_overlap = Overlap::none;
  o.combos = {Combo{"round-robin", "paired-half", false}};
  o.transports = {TransportKind::shm, TransportKind::p2p};
  const PlanResult r =
      make_plan(make_preset("4090x8-2s-sw"), find_gpu("rtx4090"), model_workload("wan2.1-14b", "480p", 81, true), o);
  ASSERT_EQ(r.candidates.size(), 2u);
  for (const Candidate& k : r.candidates) {
    if (k.transport == "p2p") {
      // Peer traffic stays below the switch: the uplink carries the weights alone.
      EXPECT_NEAR(k.offload_block_s, 4 * kWanBlockBytes / 24e9, 1e-9);
    } else {
      // SHM stages every block through host memory: the switch's downlink carries each of its 4
      // GPUs' q|k|v blocks for 3 peers (8190 tokens x 10 heads x 128 x 3 x 2 bytes) and the
      // output blocks (a third of that), beside the 4 GPUs' weights.
      const double qkv = 8190.0 * 10 * 128 * 3 * 2, out = qkv / 3;
      EXPECT_NEAR(k.offload_block_s, (4 * kWanBlockBytes + 12 * (qkv + out)) / 24e9, 1e-9);
      EXPECT_NEAR(k.time_s, 40 * k.offload_block_s, 1e-9);  // every block waits on the downlink
    }
  }
}

TEST(Precision, FpEightOnTheWireOnlyWithTheMargin) {
  // Over several boxes and sizes: whenever the recommendation is an FP8 wire, no bf16 candidate
  // that fits is within kFp8Margin of it; whenever a faster FP8 one is passed over, a note says why.
  for (const char* box : {"4090x8-2s-sw", "4090x8-2s", "4090x4"})
    for (const char* res : {"480p", "720p"})
      for (DType weights : {DType::bf16, DType::fp8}) {
        PlanOptions o;
        o.weights = weights;
        const PlanResult r = make_plan(make_preset(box), find_gpu("rtx4090"), model_workload("wan2.1-14b", res, 81, true), o);
        const Candidate& k = r.candidates[r.recommended_index];
        double best_bf16 = 1e300;
        for (const Candidate& c : r.candidates)
          if (c.fits && c.dtype == DType::bf16) best_bf16 = std::min(best_bf16, c.time_s);
        if (k.dtype == DType::fp8) {
          EXPECT_LT(k.time_s, best_bf16 * (1 - kFp8Margin)) << box << " " << res;
          bool said = false;
          for (const std::string& n : r.notes) said |= n.find("accuracy of an FP8 wire") != std::string::npos;
          EXPECT_TRUE(said) << box << " " << res;
        } else {
          EXPECT_DOUBLE_EQ(k.time_s, best_bf16) << box << " " << res;
        }
        if (weights == DType::fp8) {
          bool said = false;
          for (const std::string& n : r.notes) said |= n.find("accuracy of --weights fp8") != std::string::npos;
          EXPECT_TRUE(said);
        }
      }
}

}  // namespace
}  // namespace ua2a::plan
