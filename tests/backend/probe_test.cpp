// FlowProber on the CPU: the threads transport moves the flows and every run is checked; a
// transport that misroutes or moves nothing is caught by the data and by the ledger.
#include <gtest/gtest.h>

#include <cstring>
#include <set>

#include "backend/probe.h"
#include "backend/runner.h"
#include "tests/backend/fake_transport.h"

using namespace ua2a;

namespace {

/// Records the first word of block 0 -> 1 at every call, then does nothing else: nothing moves.
class IdleTransport : public Transport {
 public:
  explicit IdleTransport(std::vector<std::uint32_t>* seen) : seen_(seen) {}
  std::string name() const override { return "idle"; }
  void execute(const ProgramSet&, const ExchangeBuffers& buffers, DeliveryLedger*) override {
    std::uint32_t w = 0;
    std::memcpy(&w, buffers.ranks[0].send + buffers.block_stride, 4);
    seen_->push_back(w);
  }

 private:
  std::vector<std::uint32_t>* seen_;
};

FlowProbeConfig config(std::uint32_t warmup, std::uint32_t iterations) {
  FlowProbeConfig c;
  c.warmup = warmup;
  c.iterations = iterations;
  return c;
}

}  // namespace

TEST(ProbeWord, NeverZeroAndDependsOnEveryInput) {
  std::set<std::uint32_t> words;
  for (std::uint64_t i = 0; i < 100000; ++i) {
    const std::uint32_t w = probe_word(7, 1, 2, i);
    ASSERT_NE(w, 0u);
    words.insert(w);
  }
  EXPECT_GT(words.size(), 99990u);  // a 32-bit hash of 10^5 inputs: a handful of collisions at most
  EXPECT_NE(probe_word(7, 1, 2, 0), probe_word(8, 1, 2, 0));
  EXPECT_NE(probe_word(7, 1, 2, 0), probe_word(7, 2, 1, 0));
  EXPECT_NE(probe_word(7, 1, 2, 0), probe_word(7, 1, 3, 0));
}

TEST(FlowProber, ThreadsMoveEveryFlowAndEveryRunIsChecked) {
  FlowProber prober(config(2, 3), 4, 4096);
  const FlowTiming t = prober.time({{{0, 1}, {2, 3}, {1, 0}}});
  EXPECT_EQ(t.runs, 5u);
  ASSERT_EQ(t.seconds.size(), 3u);
  EXPECT_EQ(t.wrong_words, 0u);
  EXPECT_TRUE(t.ledger_ok) << t.ledger.summary();
  EXPECT_EQ(t.ledger_runs, 2u);
  EXPECT_EQ(t.ledger.arrived, 3u);  // one piece per flow
  EXPECT_GT(t.min_s, 0);
  EXPECT_GE(t.mean_s, t.min_s);
  EXPECT_TRUE(t.ok());
  EXPECT_EQ(prober.device(), "host (CPU threads)");
}

TEST(FlowProber, NoWarmupStillSetsTheTransportUpUntimedOnce) {
  FlowProber prober(config(0, 2), 2, 64);
  const FlowTiming first = prober.time({{{0, 1}}});
  EXPECT_EQ(first.runs, 3u);  // the transport's first run, untimed, then 2 timed
  EXPECT_EQ(first.seconds.size(), 2u);
  const FlowTiming second = prober.time({{{0, 1}, {1, 0}}});
  EXPECT_EQ(second.runs, 2u);  // the same transport: no extra run
  EXPECT_EQ(second.ledger_runs, 1u);
  EXPECT_TRUE(second.ok());
}

TEST(FlowProber, EveryRunSendsFreshWordsAndATransportThatMovesNothingFailsEveryWord) {
  std::vector<std::uint32_t> seen;
  FlowProbeConfig c = config(1, 3);
  c.make = [&](const TransportOptions&) { return std::make_unique<IdleTransport>(&seen); };
  FlowProber prober(c, 3, 1024);
  const FlowTiming t = prober.time({{{0, 1}, {2, 0}}});
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(std::set<std::uint32_t>(seen.begin(), seen.end()).size(), 4u) << "the same words twice";
  for (std::uint32_t w : seen) EXPECT_NE(w, 0u);
  EXPECT_EQ(t.wrong_words, 4u * 2 * 256);  // every word of both flows, in all 4 runs
  EXPECT_FALSE(t.ledger_ok);
  EXPECT_FALSE(t.ok());
}

TEST(FlowProber, AMisroutedFlowIsCaughtByTheDataAndTheLedger) {
  FlowProbeConfig c = config(1, 1);
  c.make = [](const TransportOptions&) {
    auto fake = std::make_unique<test::FakeTransport>();
    fake->misroute_src = 0;
    return fake;
  };
  FlowProber prober(c, 4, 512);
  const FlowTiming t = prober.time({{{0, 1}, {2, 3}}});
  EXPECT_EQ(t.wrong_words, 2u * 128);  // flow 0->1's slot stays clear in both runs
  EXPECT_FALSE(t.ledger_ok);
  EXPECT_EQ(t.ledger.misplaced_count, 1u);
}

TEST(FlowProber, BadFlowsAndSizesAreRefusedBeforeAnythingRuns) {
  EXPECT_THROW(FlowProber(config(0, 1), 2, 0), std::invalid_argument);
  EXPECT_THROW(FlowProber(config(0, 1), 2, 6), std::invalid_argument);
  EXPECT_THROW(FlowProber(config(0, 1), 2, kMaxProbeFlowBytes + 4), std::invalid_argument);
  EXPECT_THROW(FlowProber(config(0, 1), 1, 64), std::invalid_argument);
  FlowProber prober(config(0, 1), 3, 64);
  for (const FlowRun& bad : {FlowRun{{{0, 3}}}, FlowRun{{{1, 1}}}, FlowRun{{{0, 1}, {0, 1}}}, FlowRun{{}}}) {
    EXPECT_THROW(prober.time(bad), std::invalid_argument);
  }
}

TEST(FlowProber, GpuTransportsNeedTheirBuildAndAGpu) {
  FlowProbeConfig c = config(0, 1);
  c.transport = "cuda-peer";
#if UA2A_HAVE_CUDA
  if (gpu_count() > 0) GTEST_SKIP() << "a GPU is visible: tests/backend/gpu_test.cpp probes it";
  try {
    FlowProber(c, 2, 64);
    FAIL() << "no GPU, yet cuda-peer buffers were made";
  } catch (const TransportError& e) {
    EXPECT_NE(std::string(e.what()).find("no CUDA GPU"), std::string::npos) << e.what();
  }
#else
  try {
    FlowProber(c, 2, 64);
    FAIL() << "a build without CUDA made cuda-peer buffers";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("CUDA"), std::string::npos) << e.what();
  }
#endif
  c.transport = "carrier-pigeon";
  EXPECT_THROW(FlowProber(c, 2, 64), std::invalid_argument);
}
