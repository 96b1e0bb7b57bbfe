// The simulator and SimGrid agree on the same model (N = 8, one 4090x8-2s box): plain max-min
// sharing, the same routes and per-flow caps. bench/peers/simgrid_compare runs the large sizes.
#include <gtest/gtest.h>

#include "bench/peers/platform_from_sim.h"
#include "schedule/generators.h"
#include "schedule/lower.h"
#include "schedule/payload.h"
#include "sim/simulate.h"

using namespace ua2a;

namespace {

struct Case {
  const char* algo;
  const char* discipline;
  const char* preset;
};

}  // namespace

TEST(SimGridAgreement, EightRanksWithinOnePercent) {
  for (const Case& c : {Case{"round-robin", "paired-full", "4090x8-2s"}, Case{"round-robin", "paired-half", "4090x8-2s"},
                        Case{"grouped", "grouped", "4090x8-2s"}, Case{"shift", "paired-full", "4090x8-2s-sw"},
                        Case{"staircase", "paired-half", "4090x8-sw2"}, Case{"xor", "paired-full", "4090x8-2s-sw"}}) {
    SCOPED_TRACE(std::string(c.algo) + " / " + c.discipline + " on " + c.preset);
    Topology topo = make_preset(c.preset);
    peers::disable_extras(topo);
    const ProgramSet programs = lower(generate(c.algo, 8, uniform_payload(1 << 22, true, 2)), parse_discipline(c.discipline));
    const SimReport ours = simulate(topo, programs);
    ASSERT_TRUE(ours.ok) << ours.error;
    const Router router(topo, topo.params.transport);
    const peers::SimGridResult sg = peers::run_simgrid(peers::platform_from_sim(topo, router), programs);
    std::uint64_t sends = 0;
    for (const Program& p : programs.programs)
      for (const Op& op : p.ops) sends += op.kind == OpKind::send ? 1 : 0;
    EXPECT_EQ(sg.comms, sends) << "every send/receive pair ran once in SimGrid";
    EXPECT_NEAR(ours.time_s, sg.time_s, 0.01 * sg.time_s);
  }
}

TEST(SimGridAgreement, WeightedRoutesAreRefusedNotMisrepresented) {
  // P2P through a Xeon root complex charges 6/5 of the bytes: SimGrid routes cannot say that.
  const Topology topo = make_preset("4090x4");
  const Router router(topo, TransportKind::p2p);
  const peers::Platform platform = peers::platform_from_sim(topo, router);
  EXPECT_THROW(platform.route(0, 1), std::invalid_argument);
}
