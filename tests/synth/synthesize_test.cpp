// The search: its answer is an all-to-all the verifier proves, the same seed gives the same
// schedule, it is never slower than any study schedule (timed here, apart from the search), and on
// a box whose socket link decides it reaches the bound worked out by hand.
#include <gtest/gtest.h>

#include "schedule/generators.h"
#include "schedule/io.h"
#include "schedule/payload.h"
#include "synth/synthesize.h"
#include "verify/report.h"

using namespace ua2a;

namespace {

synth::Request request(std::int32_t ranks, std::uint64_t bytes, TransportKind transport, double budget = 0.2) {
  synth::Request r;
  r.ranks = ranks;
  r.payload = uniform_payload(bytes, true, 1);
  r.unmerged_payload = uniform_payload(bytes, false, 1);
  r.transport = transport;
  r.sim.model = SimModel::contention;
  r.budget_s = budget;
  return r;
}

/// The study's schedule timed on its own: generator, lowering, simulator, as `simulate` does.
double study_time(const Topology& box, const synth::Request& r, const std::string& algo, Discipline d, bool unmerged) {
  const Schedule s = generate(algo, r.ranks, unmerged ? r.unmerged_payload : r.payload);
  SimOptions so = r.sim;
  so.transport = r.transport;
  so.schedule = &s;
  return simulate(box, lower(s, d), so).time_s;
}

/// Two sockets of two GPUs; every link fast but the socket link, 1 GB/s: it decides.
Topology socket_bound_box() {
  Topology t;
  t.name = "two-sockets";
  t.params.transport = TransportKind::shm;
  NodeIndex cpu[2];
  for (int s = 0; s < 2; ++s) {
    cpu[s] = t.add_node({"cpu" + std::to_string(s), NodeKind::cpu, 0, s});
    const NodeIndex mem = t.add_node({"mem" + std::to_string(s), NodeKind::memory, 0, s});
    t.add_link(cpu[s], mem, 200e9, 0, LinkKind::memory);
  }
  t.add_link(cpu[0], cpu[1], 1e9, 0, LinkKind::socket);
  for (int g = 0; g < 4; ++g)
    t.add_link(t.add_node({"gpu" + std::to_string(g), NodeKind::gpu, 0, g / 2}), cpu[g / 2], 50e9, 0, LinkKind::pcie);
  return t;
}

}  // namespace

TEST(Synthesize, TheWinnerIsProvedAllToAll) {
  const Topology box = make_preset("4090x8-2s-sw");
  const synth::Result r = synth::synthesize(box, request(8, 1 << 20, TransportKind::p2p));
  const Schedule& s = r.winner.schedule;
  ASSERT_FALSE(s.discipline.empty());
  const VerifyReport proof = verify(s, parse_discipline(s.discipline));
  EXPECT_TRUE(proof.ok()) << report_to_text(proof);
  ASSERT_TRUE(proof.structure.has_value());
  EXPECT_TRUE(proof.structure->coverage_ok());
  EXPECT_EQ(s.transfer_count(), 56u * s.payload.chunks);  // every off-diagonal block, in its chunks
}

TEST(Synthesize, TheSameSeedGivesTheSameFile) {
  const Topology box = make_preset("4090x8-sw2");
  synth::Request req = request(8, 1 << 20, TransportKind::p2p, 0.3);
  req.wall_clock_guard = false;  // the planned search in full, also where sanitizers slow it 10x
  const synth::Result a = synth::synthesize(box, req), b = synth::synthesize(box, req);
  ASSERT_FALSE(a.cut_by_clock);
  EXPECT_EQ(schedule_to_json(a.winner.schedule), schedule_to_json(b.winner.schedule));
  EXPECT_EQ(a.evaluations, b.evaluations);
  EXPECT_EQ(a.evaluations, a.plan.evaluations);
}

TEST(Synthesize, NeverSlowerThanAnyStudySchedule) {
  for (const char* preset : {"4090x4", "4090x8-2s-sw"})
    for (TransportKind t : {TransportKind::shm, TransportKind::p2p, TransportKind::cuda_p2p}) {
      const Topology box = make_preset(preset);
      const std::int32_t n = static_cast<std::int32_t>(box.gpus().size());
      const synth::Request req = request(n, 4 << 20, t, 0.1);
      const synth::Result r = synth::synthesize(box, req);
      const std::string where = std::string(preset) + " " + to_string(t);
      EXPECT_LE(r.sim.time_s, study_time(box, req, "grouped", Discipline::grouped, false) * (1 + 1e-9)) << where;
      EXPECT_LE(r.sim.time_s, study_time(box, req, "round-robin", Discipline::paired_half, false) * (1 + 1e-9)) << where;
      EXPECT_LE(r.sim.time_s, study_time(box, req, "round-robin", Discipline::paired_full, false) * (1 + 1e-9)) << where;
      EXPECT_LE(r.sim.time_s, study_time(box, req, "shift", Discipline::paired_full, false) * (1 + 1e-9)) << where;
      EXPECT_LE(r.sim.time_s, study_time(box, req, "staircase", Discipline::paired_half, true) * (1 + 1e-9)) << where;
    }
}

TEST(Synthesize, ReachesTheSocketLinksBoundWorkedOutByHand) {
  // 4 ranks, 2 per socket: each direction of the 1 GB/s socket link carries 2 x 2 blocks of
  // 16 MB, so no schedule can finish before 4 x 16e6 / 1e9 = 64 ms; everything else is 50x faster.
  const Topology box = socket_bound_box();
  synth::Request req = request(4, 16'000'000, TransportKind::shm, 0.2);
  req.sim.model = SimModel::fluid;
  const synth::Result r = synth::synthesize(box, req);
  EXPECT_EQ(r.sim.bottleneck, "cpu0->cpu1");
  EXPECT_NEAR(r.sim.bound_s, 0.064, 1e-9);
  EXPECT_GE(r.sim.time_s, 0.064);
  EXPECT_LE(r.sim.time_s, 0.064 * 1.01);
  // Its neighbours by hand too: the socket link at half (and 1.5x) its capacity.
  for (const synth::Neighbour& nb : r.neighbours) {
    if (nb.box == "socket link x0.5") {
      EXPECT_NEAR(nb.winner_s, 0.128, 0.128 * 0.01);
    }
    if (nb.box == "socket link x1.5") {
      EXPECT_NEAR(nb.winner_s, 0.064 / 1.5, 0.064 * 0.01);
    }
    EXPECT_EQ(nb.box.find("interleaving"), std::string::npos) << "the fluid model has no interleaving to vary";
  }
  EXPECT_EQ(r.neighbours.size(), 2u);
}

TEST(Synthesize, BeatsTheStudyWhereRootComplexesInterleave) {
  // NCCL's P2P through the root complexes loses capacity with every extra stream (docs/simulate.md):
  // a schedule that lets one stream at a time cross each of them wins by far more than 10 %.
  const Topology box = make_preset("4090x8-2s");
  const synth::Result r = synth::synthesize(box, request(8, 4 << 20, TransportKind::p2p, 0.3));
  ASSERT_NE(r.best_study(), nullptr);
  EXPECT_GT(r.best_study()->sim.time_s / r.sim.time_s, 1.10);
  EXPECT_NE(r.why.find("interleave"), std::string::npos) << r.why;
}

TEST(Synthesize, RefusesWhatCannotRun) {
  const Topology box = make_preset("4090x4");
  EXPECT_THROW(synth::synthesize(box, request(8, 1024, TransportKind::shm)), std::invalid_argument);
  EXPECT_THROW(synth::synthesize(box, request(4, 1024, TransportKind::nvlink)), std::invalid_argument);
  EXPECT_THROW(synth::synthesize(box, request(1, 1024, TransportKind::shm)), std::invalid_argument);
}
