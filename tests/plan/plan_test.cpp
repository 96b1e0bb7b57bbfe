// The planner's stages against hand-computed figures, its candidate set, and the cases the issue
// names: a box where the exchange dominates, one where attention does, and a ring degree that pays
// only when attention hides its passes.
#include <gtest/gtest.h>

#include <algorithm>

#include "plan/plan.h"
#include "schedule/generators.h"
#include "schedule/lower.h"
#include "sim/simulate.h"

namespace ua2a::plan {
namespace {

PlanOptions attention_scope(std::int32_t gpus) {
  PlanOptions o;
  o.scope = Scope::attention;
  o.gpus = gpus;
  return o;
}

const Candidate& find(const PlanResult& r, const Layout& l, const std::string& algo, const std::string& discipline,
                      const std::string& transport, DType d, Overlap overlap) {
  for (const Candidate& k : r.candidates)
    if (k.layout == l && k.algo == algo && k.discipline == discipline && k.transport == transport && k.dtype == d &&
        k.overlap == overlap)
      return k;
  ADD_FAILURE() << "no candidate " << to_string(l) << " " << algo << " " << discipline << " " << transport;
  return r.candidates.front();
}

// Wan2.1-14B 480p as a bare shape: S = 32760, H = 40, D = 128.
TEST(PlanStages, AttentionIsFlopsOverTheKernelRate) {
  const PlanResult r = make_plan(make_preset("4090x8-2s-sw"), find_gpu("rtx4090"), shape_workload(32760, 40, 128, 1),
                                 attention_scope(8));
  const Candidate& k = find(r, {1, 8, 1}, "grouped", "grouped", "shm", DType::bf16, Overlap::none);
  // 4 S^2 D h = 4 x 32760^2 x 128 x 5 = 2 747 437 056 000 FLOPs; SageAttention 1 on the 4090 at
  // the midpoint of 259-323 TOPS = 291 TFLOP/s.
  EXPECT_NEAR(k.stages.attention, 2747437056000.0 / 291e12, 1e-12);
  // Pack: q, k, v and the output, t = 4095 tokens x 40 heads x 128, read in bf16 and written in
  // bf16: 4 x 4095 x 5120 x 4 bytes = 335 462 400 bytes over 1008 GB/s.
  EXPECT_NEAR(k.stages.pack, 335462400.0 / 1008e9, 1e-12);
  EXPECT_DOUBLE_EQ(k.stages.unpack, k.stages.pack);
  // FP8 on the wire: 1 + 4/128 bytes an element instead of 2.
  const Candidate& f = find(r, {1, 8, 1}, "grouped", "grouped", "shm", DType::fp8, Overlap::none);
  EXPECT_NEAR(f.stages.pack, 4.0 * 4095 * 5120 * (2 + 1 + 4.0 / 128) / 1008e9, 1e-12);
  // One GPU: the whole attention, 8 times the FLOPs of one Ulysses-8 rank.
  EXPECT_NEAR(r.one_gpu.stages.attention, 8 * 2747437056000.0 / 291e12, 1e-12);
  EXPECT_DOUBLE_EQ(k.time_s, k.stages.total());
}

TEST(PlanStages, LinearLayersAreFlopsOverTheDenseRateTimesTheEfficiency) {
  PlanOptions o;
  o.scope = Scope::layer;
  o.gpus = 1;
  o.gemm_efficiency = 0.5;
  const PlanResult r = make_plan(make_preset("4090x8-2s-sw"), find_gpu("rtx4090"),
                                 model_workload("wan2.1-14b", "480p", 81, true), o);
  // One block of Wan2.1-14B (d = 5120, ffn = 13824, 512 text tokens) on one GPU:
  // 2 x 32760 x (6 x 5120^2 + 2 x 5120 x 13824) = 19 580 269 363 200 FLOPs for the tokens,
  // 4 x 512 x 5120^2 = 53 687 091 200 for the text's k and v: 19 633 956 454 400 FLOPs
  // over 165.2 TFLOP/s x 0.5.
  EXPECT_NEAR(r.one_gpu.stages.linear, 19633956454400.0 / (165.2e12 * 0.5), 1e-9);
  // Cross-attention: 4 x 32760 x 512 x 5120 FLOPs at the attention rate.
  EXPECT_NEAR(r.one_gpu.stages.cross_attention, 4.0 * 32760 * 512 * 5120 / 291e12, 1e-12);
  // A step is 40 blocks x 2 forwards (CFG) of the same.
  o.scope = Scope::step;
  const PlanResult step = make_plan(make_preset("4090x8-2s-sw"), find_gpu("rtx4090"),
                                    model_workload("wan2.1-14b", "480p", 81, true), o);
  EXPECT_NEAR(step.one_gpu.time_s, 80 * r.one_gpu.time_s, 1e-9);
}

TEST(PlanCandidates, EightGpusAndFortyHeads) {
  const Workload w = model_workload("wan2.1-14b", "480p", 81, true);
  // Ulysses degrees dividing both 8 (with the rest as ring) and 40: 8, 4, 2, 1; with CFG at step
  // scope the two branches may also take half the GPUs each: cfg 2 x (4, 2, 1).
  const std::vector<Layout> expect = {{1, 8, 1}, {1, 4, 2}, {1, 2, 4}, {1, 1, 8}, {2, 4, 1}, {2, 2, 2}, {2, 1, 4}};
  EXPECT_EQ(layouts(8, w, Scope::step), expect);
  // One attention or one block: CFG parallelism has nothing to split.
  EXPECT_EQ(layouts(8, w, Scope::layer), std::vector<Layout>(expect.begin(), expect.begin() + 4));
  // 12 heads (Wan2.1-1.3B): 8 does not divide them.
  const Workload small = model_workload("wan2.1-1.3b", "480p", 81, false);
  EXPECT_EQ(layouts(8, small, Scope::step), (std::vector<Layout>{{1, 4, 2}, {1, 2, 4}, {1, 1, 8}}));
  // On the PCIe box with P2P (the patched driver): 5 layouts exchange (Ulysses > 1), each with 6
  // schedules x 4 transports x 2 wire precisions x 3 overlaps (none, per head, per chunk) = 144;
  // the 2 ring-only layouts have 4 transports x 2 precisions and nothing to overlap.
  // 5 x 144 + 2 x 8 = 736. On the stock driver 2 transports (shm, cuda-staged): 5 x 72 + 2 x 4 = 368.
  PlanOptions o;
  o.gpus = 8;
  Topology box = make_preset("4090x8-2s-sw");
  EXPECT_EQ(make_plan(box, find_gpu("rtx4090"), w, o).candidates.size(), 368u);
  box.params.p2p = true;
  const PlanResult r = make_plan(box, find_gpu("rtx4090"), w, o);
  EXPECT_EQ(r.candidates.size(), 736u);
  EXPECT_TRUE(r.skipped.empty());
  // Best first; candidates that tie (e.g. every layout whose blocks wait on the offloaded weights)
  // may differ in the last bits of their sums.
  EXPECT_TRUE(std::is_sorted(r.candidates.begin(), r.candidates.end(), [](const Candidate& a, const Candidate& b) {
    return a.time_s < b.time_s * (1 - 1e-9);
  }));
  ASSERT_TRUE(r.reference.has_value());
  EXPECT_EQ(r.reference->layout, (Layout{1, 8, 1}));
  EXPECT_EQ(r.reference->algo, "round-robin");
  EXPECT_EQ(r.reference->discipline, "paired-half");
  EXPECT_EQ(r.reference->transport, "shm");
  EXPECT_THROW(layouts(0, w, Scope::step), std::invalid_argument);
}

/// The reference exchange simulated directly: round-robin, paired-half, on all 8 GPUs.
double reference_exchange(const Topology& t, std::uint64_t seq_per_rank, Exchange e) {
  const Payload p = ulysses_payload({seq_per_rank, 5, 128, DType::bf16, e}, true, 1);
  SimOptions so;
  so.model = SimModel::contention;
  return simulate(t, lower(generate("round-robin", 8, p), Discipline::paired_half), so).time_s;
}

TEST(PlanBottleneck, TheExchangeDominatesOnTheDualSocketPcieBox) {
  const Topology t = make_preset("4090x8-2s-sw");
  const PlanResult r = make_plan(t, find_gpu("rtx4090"), shape_workload(32760, 40, 128, 1), attention_scope(8));
  ASSERT_TRUE(r.reference.has_value());
  // Half of every GPU's bytes cross the 10 GB/s socket link: the forward exchange takes about
  // five times the attention.
  EXPECT_EQ(r.reference->bottleneck, "a2a_fwd");
  EXPECT_NEAR(r.reference->stages.a2a_fwd, reference_exchange(t, 4095, Exchange::qkv), 1e-12);
  EXPECT_NEAR(r.reference->stages.a2a_rev, reference_exchange(t, 4095, Exchange::out), 1e-12);
  EXPECT_GT(r.reference->stages.a2a_fwd, 3 * r.reference->stages.attention);
}

TEST(PlanBottleneck, AttentionDominatesOnNvlink) {
  const PlanResult r = make_plan(make_preset("h100x8-nvs"), find_gpu("h100"), shape_workload(32760, 40, 128, 1),
                                 attention_scope(8));
  // NVLink moves a 15.7 MB block per peer in well under a millisecond; the attention of 5 heads
  // is 2.75 TFLOP at 788 TFLOP/s, 3.5 ms.
  ASSERT_TRUE(r.reference.has_value());
  for (const Candidate* k : {&r.candidates.front(), &*r.reference}) {
    EXPECT_EQ(k->bottleneck, "attention") << to_string(k->layout) << " " << k->algo;
    EXPECT_GT(k->stages.attention, 2 * (k->stages.a2a_fwd + k->stages.a2a_rev));
  }
  EXPECT_NEAR(r.reference->stages.attention, 2747437056000.0 / ((676 + 900) / 2.0 * 1e12), 1e-12);
}

/// The best candidate with the given ring degree.
const Candidate& best_with_ring(const PlanResult& r, std::int32_t ring) {
  for (const Candidate& k : r.candidates)
    if (k.layout.ring == ring) return k;
  ADD_FAILURE() << "no candidate with ring " << ring;
  return r.candidates.front();
}

TEST(PlanRing, ARingPaysOnlyWhenAttentionHidesItsPasses) {
  // 4 x 4090 on one socket, 4 heads: Ulysses-4, Ulysses-2 x ring-2, or ring-4. Attention grows
  // with S^2 and a ring pass with S, so a long sequence hides the passes and a short one does not;
  // every pass pays its fixed cost and its merge either way (docs/plan.md, "The ring").
  Topology t = make_preset("4090x4");
  t.params.p2p = true;  // ring passes over P2P, as this test was written for
  const GpuInfo& gpu = find_gpu("rtx4090");
  const PlanResult shortseq = make_plan(t, gpu, shape_workload(8000, 4, 128, 1), attention_scope(4));
  const PlanResult longseq = make_plan(t, gpu, shape_workload(32760, 4, 128, 1), attention_scope(4));
  const Candidate& short_ring = best_with_ring(shortseq, 4);
  const Candidate& long_ring = best_with_ring(longseq, 4);
  // The merge of one pass: every GPU's 32760 / 4 tokens x 4 heads x 128 partial output, 10 bytes
  // an element and 12 a (token, head), over the 4090's memory bandwidth.
  auto merge = [&](double tokens) { return tokens * 4 * 128 * (10 + 12.0 / 128) / gpu.memory_bytes_per_s; };
  EXPECT_GT(short_ring.stages.ring, 3 * (kRingPassOverheadS + merge(2000)));
  EXPECT_GT(short_ring.time_s, best_with_ring(shortseq, 1).time_s);
  // Hidden passes: only their fixed cost and the merges remain.
  EXPECT_NEAR(long_ring.stages.ring, 3 * (kRingPassOverheadS + merge(8190)), 1e-12);
  // Its attention blocks of 8190 keys run slower than the whole sequence's 32760:
  // (32760 / (32760 + k)) / (8190 / (8190 + k)) with k = kAttentionHalfKeys.
  const double slower = (32760 / (32760 + kAttentionHalfKeys)) / (8190 / (8190 + kAttentionHalfKeys));
  EXPECT_NEAR(long_ring.stages.attention / best_with_ring(longseq, 1).stages.attention, slower, 1e-9);

  // The exposed part, recomputed: 3 passes, each a shift of the 4 ranks' K and V (2 x 2000
  // tokens x 4 heads x 128 x wire bytes) simulated on the box, less a quarter of the attention.
  const double bytes = 2.0 * 2000 * 4 * 128 * (short_ring.dtype == DType::fp8 ? 1 + 4.0 / 128 : 2.0);
  ProgramSet ps;
  ps.ranks = 4;
  ps.payload = uniform_payload(static_cast<std::uint64_t>(bytes), true, 1);
  for (Rank r = 0; r < 4; ++r) {
    Program p;
    p.rank = r;
    p.ops.push_back({OpKind::send, 0, (r + 1) % 4, {r, (r + 1) % 4}, 0, ps.payload.block_bytes()});
    p.ops.push_back({OpKind::recv, 0, (r + 3) % 4, {(r + 3) % 4, r}, 0, ps.payload.block_bytes()});
    p.end_step();
    ps.programs.push_back(p);
  }
  SimOptions so;
  so.model = SimModel::contention;
  so.transport = parse_transport(short_ring.transport);
  const double pass = simulate(t, ps, so).time_s;
  EXPECT_NEAR(short_ring.ring_pass_sim_s, pass, 1e-12);
  EXPECT_NEAR(short_ring.stages.ring,
              3 * (std::max(0.0, pass - short_ring.stages.attention / 4) + kRingPassOverheadS + merge(2000)), 1e-12);
}

TEST(PlanRing, ATwoGpuRingPassIsOneBlockOverTheLink) {
  // 2 H100s of h100x8-nvs under the fluid model: a ring of 2 swaps each GPU's K and V block over
  // NVLink, both directions at once on full-duplex links, so a pass is one block over one link
  // (NVLink 4, 450 GB/s each way: presets.cpp kNvlink4, pcie-facts.md:16) plus the path's latency:
  // two NVLink hops and the per-operation costs, microseconds against the block's 364 us.
  const Topology t = make_preset("h100x8-nvs");
  PlanOptions o = attention_scope(2);
  o.sim_model = SimModel::fluid;
  const PlanResult r = make_plan(t, find_gpu("h100"), shape_workload(320000, 2, 128, 1), o);
  const Candidate* ring = nullptr;
  for (const Candidate& k : r.candidates)
    if (k.layout.ring == 2 && k.dtype == DType::bf16) ring = &k;
  ASSERT_NE(ring, nullptr);
  EXPECT_EQ(ring->transport, "nvlink");
  // K and V of 160000 tokens x 2 heads x 128, bf16: 163,840,000 bytes.
  const double bytes = 2.0 * 160000 * 2 * 128 * 2;
  const double latency = 2 * 0.5e-6 + 2 * t.params.op_cost_s;
  EXPECT_GE(ring->ring_pass_sim_s, bytes / 450e9);
  EXPECT_NEAR(ring->ring_pass_sim_s, bytes / 450e9, latency) << "latency allowed " << latency;
}

TEST(PlanOverlap, PerHeadOverlapHidesTheExchangeBehindAttention) {
  // On NVLink the per-head pipeline leaves exposed only the first head's exchange and the last
  // head's return: far less than the whole exchanges.
  const PlanResult r = make_plan(make_preset("h100x8-nvs"), find_gpu("h100"), shape_workload(32760, 40, 128, 1),
                                 attention_scope(8));
  const Candidate& plain = find(r, {1, 8, 1}, "grouped", "grouped", "nvlink", DType::bf16, Overlap::none);
  const Candidate& ov = find(r, {1, 8, 1}, "grouped", "grouped", "nvlink", DType::bf16, Overlap::head);
  EXPECT_LT(ov.stages.a2a_fwd + ov.stages.a2a_rev, plain.stages.a2a_fwd + plain.stages.a2a_rev);
  EXPECT_DOUBLE_EQ(ov.stages.attention, plain.stages.attention);
  EXPECT_LT(ov.time_s, plain.time_s);
}

TEST(PlanOverlap, PerChunkOverlapHidesTheExchangeBehindTheProjections) {
  const Topology t = make_preset("4090x8-2s-sw");
  PlanOptions o;
  o.scope = Scope::layer;
  o.gpus = 8;
  // A 4090 with room for the weights: with CPU offload the block would wait on its weights and
  // the overlap would change nothing (PlanOffload below).
  GpuInfo roomy = find_gpu("rtx4090");
  roomy.memory_bytes = 80e9;
  const PlanResult r = make_plan(t, roomy, model_workload("wan2.1-14b", "480p", 81, true), o);
  const Candidate& k = find(r, {1, 8, 1}, "round-robin", "paired-half", "shm", DType::bf16, Overlap::chunk);
  // 4 chunks of ceil(4095 / 4) = 1024 tokens: each chunk's exchange simulated on its own, in a
  // pipeline with the QKV projection of the next chunk (2 x 4095 x 3 x 5120^2 FLOPs in all at
  // 165.2 TFLOP/s x 0.75); what exceeds the projection is exposed.
  const double f1 = reference_exchange(t, 1024, Exchange::qkv);
  const double r1 = reference_exchange(t, 1024, Exchange::out);
  const double rate = 165.2e12 * kGemmEfficiency;
  const double qkv = 2.0 * 4095 * 3 * 5120.0 * 5120 / rate, out = 2.0 * 4095 * 5120.0 * 5120 / rate;
  EXPECT_NEAR(k.stages.a2a_fwd, qkv / 4 + f1 + 3 * std::max(qkv / 4, f1) - qkv, 1e-12);
  EXPECT_NEAR(k.stages.a2a_rev, std::max(0.0, r1 + out / 4 + 3 * std::max(out / 4, r1) - out), 1e-12);
  // Here the socket link makes each chunk's exchange longer than its projection: the overlap
  // hides the projections' time, not the exchange's.
  const Candidate& plain = find(r, {1, 8, 1}, "round-robin", "paired-half", "shm", DType::bf16, Overlap::none);
  EXPECT_LT(k.time_s, plain.time_s);
  EXPECT_GT(k.stages.a2a_fwd, 0);
}

TEST(PlanMemory, WeightsAgainstTheCard) {
  PlanOptions o;
  o.gpus = 8;
  const Workload w = model_workload("wan2.1-14b", "480p", 81, true);
  // 40 x (8 x 5120^2 + 2 x 5120 x 13824) = 14.05e9 parameters: 28.1 GB in bf16, over 24 GB.
  // So every layout runs with CPU offload: two blocks resident, 2 x 351.27e6 x 2 bytes = 1.405 GB.
  const PlanResult bf16 = make_plan(make_preset("4090x8-2s-sw"), find_gpu("rtx4090"), w, o);
  for (const Candidate& k : bf16.candidates) {
    EXPECT_TRUE(k.offload);
    EXPECT_TRUE(k.fits);
    EXPECT_LT(k.memory_bytes, 24e9);
    EXPECT_GT(k.memory_bytes, 2 * 351.27296e6 * 2);
  }
  EXPECT_TRUE(bf16.one_gpu.offload);
  EXPECT_TRUE(bf16.candidates[bf16.recommended_index].fits);
  bool said = false;
  for (const std::string& n : bf16.notes) said |= n.find("runs with CPU offload") != std::string::npos;
  EXPECT_TRUE(said);
  o.weights = DType::fp8;
  // 14.05 GB of FP8 weights fit beside the activations: no offload.
  const PlanResult fp8 = make_plan(make_preset("4090x8-2s-sw"), find_gpu("rtx4090"), w, o);
  EXPECT_TRUE(fp8.candidates.front().fits);
  EXPECT_FALSE(fp8.candidates.front().offload);
  EXPECT_GT(fp8.candidates.front().memory_bytes, 14.05e9);
  EXPECT_LT(fp8.candidates.front().memory_bytes, 24e9);
}

TEST(PlanInput, BadInputsNameTheOption) {
  const Topology t = make_preset("4090x8-2s-sw");
  const GpuInfo& g = find_gpu("rtx4090");
  auto message = [](auto f) {
    try {
      f();
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message([&] { make_plan(t, g, shape_workload(1000, 8, 128, 1), attention_scope(9)); }).find("--gpus 9"),
            std::string::npos);
  PlanOptions step;
  step.gpus = 8;
  EXPECT_NE(message([&] { make_plan(t, g, shape_workload(1000, 8, 128, 1), step); }).find("--scope step"),
            std::string::npos);
  EXPECT_NE(message([] { shape_workload(0, 8, 128, 1); }).find("--seq"), std::string::npos);
  EXPECT_NE(message([] { shape_workload(1000, 8, 128, 0); }).find("--batch"), std::string::npos);
  EXPECT_NE(message([] { shape_workload(1ull << 40, 1 << 10, 1 << 10, 1); }).find("10^15"), std::string::npos);
  EXPECT_NE(message([] { find_gpu("a100"); }).find("--gpu"), std::string::npos);
  EXPECT_NE(message([] { parse_scope("block"); }).find("--scope"), std::string::npos);
  EXPECT_NE(message([] { parse_attention_kernel("xformers"); }).find("--attention"), std::string::npos);
}

}  // namespace
}  // namespace ua2a::plan

namespace ua2a::plan {
namespace {

TEST(PlanHost, AHostBoundAnswerSaysSoAndWhatRemovesIt) {
  // FLUX.1-dev (57 blocks, no CFG) on 8 x H100: each GPU's block is well under a millisecond of
  // GPU work, so 57 x 1.8 ms of host time is most of the step.
  const Workload w = model_workload("flux.1-dev", "1024x1024", 1, false);
  PlanOptions o;
  o.attention = AttentionKernel::flash3;
  const PlanResult eager = make_plan(make_preset("h100x8-nvs"), find_gpu("h100"), w, o);
  const Candidate& k = eager.candidates[eager.recommended_index];
  EXPECT_EQ(k.bottleneck, "host");
  EXPECT_NEAR(k.stages.host, 57 * kHostOverheadS, 1e-12);
  bool said = false;
  for (const std::string& n : eager.notes) said = said || n.find("host-bound") != std::string::npos;
  EXPECT_TRUE(said);
  // Planned without it (CUDA graphs), nothing is host-bound and the note is gone.
  o.host_overhead_s = 0;
  const PlanResult graphs = make_plan(make_preset("h100x8-nvs"), find_gpu("h100"), w, o);
  EXPECT_NE(graphs.candidates[graphs.recommended_index].bottleneck, "host");
  for (const std::string& n : graphs.notes) EXPECT_EQ(n.find("host-bound"), std::string::npos) << n;
  // The same candidate without it is exactly 57 h faster; the best of them is no slower.
  EXPECT_LE(graphs.candidates[graphs.recommended_index].time_s, k.time_s - 57 * kHostOverheadS + 1e-12);
}

}  // namespace
}  // namespace ua2a::plan
