// The whole layer on the CPU: every generator and discipline over the threads transport matches
// the plain-attention reference, with and without text tokens, in bf16 and FP8.
#include <gtest/gtest.h>

#include <map>

#include "backend/layer.h"
#include "backend/runner.h"
#include "fake_transport.h"
#include "schedule/generators.h"

using namespace ua2a;

namespace {

LayerShape small(std::int32_t n, std::uint64_t text, bool fp8) {
  LayerShape s;
  s.ranks = n, s.seq_per_rank = 3, s.heads = 2 * n, s.head_dim = 64, s.text_tokens = text, s.fp8 = fp8;
  return s;
}

/// Runs the layer once and returns the worst rank's error; asserts both ledgers are exactly-once.
RankError run_and_compare(const LayerShape& s, const LayerPrograms& programs, Transport& transport,
                          const std::vector<std::uint16_t>& reference, const LayerInputs& inputs) {
  CpuLayer layer(make_plan(s));
  DeliveryLedger fwd(s.ranks, programs.forward.payload), rev(s.ranks, programs.reverse.payload);
  LayerOutputs out;
  layer.run(inputs, programs, transport, {&fwd, &rev}, out);
  EXPECT_TRUE(fwd.report().ok()) << fwd.report().summary();
  EXPECT_TRUE(rev.report().ok()) << rev.report().summary();
  RankError worst;
  for (const RankError& e : compare_with_reference(s, out, reference, tolerance_for(s))) {
    worst.max_abs = std::max(worst.max_abs, e.max_abs);
    worst.failed += e.failed;
  }
  return worst;
}

}  // namespace

class CpuLayerAllSchedules : public ::testing::TestWithParam<int> {};

TEST_P(CpuLayerAllSchedules, MatchesTheReference) {
  const std::int32_t n = GetParam();
  auto transport = make_transport("threads", {.timeout_s = 10});
  for (std::uint64_t text : {0, 5})
    for (bool fp8 : {false, true}) {
      const LayerShape s = small(n, text, fp8);
      const LayerInputs inputs = make_inputs(s);
      const std::vector<std::uint16_t> reference = reference_layer(s, inputs);
      for (const GeneratorInfo& g : generators())
        for (const DisciplineInfo& d : disciplines()) {
          if (d.discipline == Discipline::naive) continue;  // deadlocks by design; transport_test covers it
          SCOPED_TRACE(std::string(g.name) + " / " + d.name + " text " + std::to_string(text) + (fp8 ? " fp8" : " bf16"));
          LayerPrograms programs;
          try {
            programs = make_layer_programs(s, g.name, d.discipline, text ? 2 : 1);
          } catch (const std::invalid_argument&) {
            continue;  // xor for non-power-of-two N; paired-half with several partners per round
          }
          const RankError e = run_and_compare(s, programs, *transport, reference, inputs);
          EXPECT_EQ(e.failed, 0u) << "max abs error " << e.max_abs;
          // bf16: the same float32 attention as the reference over the same bf16 inputs.
          if (!fp8) {
            EXPECT_EQ(e.max_abs, 0.0);
          }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Ranks, CpuLayerAllSchedules, ::testing::Values(1, 2, 3, 4, 7, 8));

TEST(CpuLayer, Fp8ErrorIsSmallButNotZero) {
  const LayerShape s = small(4, 0, true);
  const LayerInputs inputs = make_inputs(s);
  test::FakeTransport fake;
  const RankError e = run_and_compare(s, make_layer_programs(s, "round-robin", Discipline::paired_half), fake,
                                      reference_layer(s, inputs), inputs);
  EXPECT_GT(e.max_abs, 0.0);  // quantisation must be visible, or FP8 was not applied
  EXPECT_LT(e.max_abs, tolerance_for(s).atol);
  EXPECT_EQ(fake.calls, 2);  // forward and reverse exchange
}

TEST(CpuLayer, MisroutedPiecesAreCaughtByTheDataAndTheLedger) {
  const LayerShape s = small(4, 0, false);
  const LayerInputs inputs = make_inputs(s);
  const LayerPrograms programs = make_layer_programs(s, "round-robin", Discipline::paired_full);
  test::FakeTransport fake;
  fake.misroute_src = 1;
  CpuLayer layer(make_plan(s));
  DeliveryLedger fwd(s.ranks, programs.forward.payload), rev(s.ranks, programs.reverse.payload);
  LayerOutputs out;
  layer.run(inputs, programs, fake, {&fwd, &rev}, out);
  EXPECT_GT(fwd.report().misplaced_count, 0u);
  std::uint64_t failed = 0;
  for (const RankError& e : compare_with_reference(s, out, reference_layer(s, inputs), tolerance_for(s)))
    failed += e.failed;
  EXPECT_GT(failed, 0u);
}

TEST(CpuLayer, ProgramsForAnotherShapeAreRefused) {
  const LayerShape s = small(2, 0, false);
  LayerShape other = s;
  other.seq_per_rank = 4;
  CpuLayer layer(make_plan(s));
  LayerOutputs out;
  test::FakeTransport fake;
  EXPECT_THROW(layer.run(make_inputs(s), make_layer_programs(other, "round-robin", Discipline::grouped), fake, {}, out),
               std::invalid_argument);
}

TEST(Runner, ThreadsRunChecksOutputsAndLedgers) {
  RunConfig c;
  c.shape = small(8, 3, true);
  c.check = true;
  const RunReport r = run_layer(c, make_layer_programs(c.shape, "round-robin", Discipline::paired_half));
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.forward_ledger.ok()) << r.forward_ledger.summary();
  ASSERT_EQ(r.errors.size(), 8u);
  EXPECT_GT(r.times.total(), 0.0);
  EXPECT_EQ(r.workspace_bytes_per_rank, r.plan.workspace_bytes());
}

TEST(Runner, GpuTransportsWithoutAGpuFailClearly) {
  if (gpu_count() > 0) GTEST_SKIP() << "a GPU is present";
  RunConfig c;
  c.shape = small(2, 0, false);
  c.transport = "cuda-peer";
  try {
    run_layer(c, make_layer_programs(c.shape, "round-robin", Discipline::paired_half));
    FAIL();
  } catch (const std::exception& e) {
    const std::string what = e.what();
    EXPECT_TRUE(what.find("CUDA") != std::string::npos || what.find("GPU") != std::string::npos) << what;
  }
}

namespace {

/// Moves nothing: what a transport that silently dropped every piece would leave behind.
class DropEverything : public Transport {
 public:
  std::string name() const override { return "drop"; }
  void execute(const ProgramSet&, const ExchangeBuffers&, DeliveryLedger*) override {}
};

}  // namespace

TEST(CpuLayer, APoisonedRunCannotPassOnAnEarlierRunsData) {
  // Run 1 fills the workspace correctly; run 2 moves nothing. Without the poison, run 2 would
  // attend over run 1's received data and, on the same inputs, pass the check.
  const LayerShape s = small(4, 0, false);
  const LayerInputs inputs = make_inputs(s);
  const LayerPrograms programs = make_layer_programs(s, "round-robin", Discipline::paired_full);
  const std::vector<std::uint16_t> reference = reference_layer(s, inputs);
  CpuLayer layer(make_plan(s));
  auto threads = make_transport("threads");
  LayerOutputs out;
  layer.run(inputs, programs, *threads, {}, out);
  std::uint64_t failed = 0;
  for (const RankError& e : compare_with_reference(s, out, reference, tolerance_for(s))) failed += e.failed;
  ASSERT_EQ(failed, 0u);
  DropEverything drop;
  layer.poison();
  layer.run(inputs, programs, drop, {}, out);
  failed = 0;
  for (const RankError& e : compare_with_reference(s, out, reference, tolerance_for(s))) failed += e.failed;
  // Every output attends over some other rank's (never delivered, so NaN) tokens.
  EXPECT_EQ(failed, static_cast<std::uint64_t>(s.ranks) * s.seq_per_rank * s.heads * s.head_dim);
}

TEST(CpuLayer, Fp8WithATinyKeyRowStaysFinite) {
  // One key row of rank 0 at 1e-37: its inverse FP8 scale would overflow; it must travel as a
  // zero row (as the reference nearly has it), not as NaN that poisons its head's outputs.
  const LayerShape s = small(2, 0, true);
  LayerInputs inputs = make_inputs(s);
  // Zeros and one tiny value: 0 * (inverse scale = inf) is the NaN.
  for (std::uint64_t d = 0; d < s.head_dim; ++d) inputs.qkv[0][1][d] = float_to_bf16(d == 5 ? 1e-37f : 0.0f);
  auto threads = make_transport("threads");
  const RankError e = run_and_compare(s, make_layer_programs(s, "round-robin", Discipline::paired_full), *threads,
                                      reference_layer(s, inputs), inputs);
  EXPECT_EQ(e.failed, 0u) << "max abs " << e.max_abs;
}

TEST(Runner, CheckedRunsAreAllCheckedWithFreshInputs) {
  RunConfig c;
  c.shape = small(4, 2, false);
  c.check = true;
  c.warmup = 1;
  c.iterations = 2;
  const RunReport r = run_layer(c, make_layer_programs(c.shape, "round-robin", Discipline::paired_half));
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.checked_runs, 3u);  // the warm-up too
  EXPECT_EQ(r.ranks_per_device, 4u);  // the host is one device
  EXPECT_NE(make_inputs(c.shape, c.seed).qkv[0][0], make_inputs(c.shape, c.seed + 1).qkv[0][0]);
}

TEST(Runner, AttentionTflopsCountsEveryRankThatSharedTheDevice) {
  // Wan-like: N = 8, s = 1000, H = 40, D = 128, so S = 8000 and h = 5. One rank's attention is
  // 4 * 8000^2 * 128 * 5 = 1.6384e11 FLOP; 8 virtual ranks on one GPU in a 1 s stage: 1.31 TFLOP/s.
  RunReport r;
  r.plan.shape.ranks = 8, r.plan.shape.seq_per_rank = 1000, r.plan.shape.heads = 40, r.plan.shape.head_dim = 128;
  r.times.attention = 1.0;
  r.ranks_per_device = 8;
  EXPECT_DOUBLE_EQ(attention_tflops(r), 1.31072);
  r.ranks_per_device = 1;  // one rank per GPU
  EXPECT_DOUBLE_EQ(attention_tflops(r), 0.16384);
}
