// viz against the simulator's real output: simulate a schedule with sim/, write the document
// with sim's own writer, and draw it. Guards the sim -> viz file contract from both sides.
#include <gtest/gtest.h>

#include <cmath>

#include "schedule/generators.h"
#include "schedule/lower.h"
#include "schedule/payload.h"
#include "sim/simulate.h"
#include "tests/viz/svg_check.h"
#include "viz/graphviz.h"
#include "viz/timeline.h"
#include "viz/topology_from_sim.h"

using namespace ua2a;
using namespace ua2a::viz;
using ua2a::viz::test::count;

namespace {

struct Simulated {
  Topology topology;
  Schedule schedule;
  std::string json;
};

Simulated simulated(const std::string& preset, const std::string& algo, TransportKind transport, bool with_dot) {
  Simulated s{make_preset(preset), generate(algo, 8, uniform_payload(1 << 20, true, 2)), ""};
  const ProgramSet programs = lower(s.schedule, Discipline::paired_full);
  const SimReport report = simulate(s.topology, programs, {.transport = transport, .schedule = &s.schedule});
  s.json = simulation_json(s.topology, {report}, with_dot);
  return s;
}

}  // namespace

TEST(SimulatorOutput, TimelineDrawsEveryTransferOfARealRun) {
  const Simulated s = simulated("4090x8-2s", "round-robin", TransportKind::shm, false);
  const Simulation sim = simulation_from_json(s.json);
  ASSERT_EQ(sim.runs.size(), 1u);
  const SimulationRun& run = sim.runs[0];
  EXPECT_EQ(run.transfers.size(), s.schedule.transfer_count());  // 8 * 7 blocks, 2 chunks each
  EXPECT_EQ(run.round_count(), 7u);
  const std::string svg = timeline_svg(run, sim.topology_name);
  EXPECT_EQ(test::xml_problem(svg), "");
  EXPECT_EQ(count(svg, "class=\"transfer\""), 2 * run.transfers.size());
  EXPECT_EQ(count(svg, "class=\"finish\""), 8u);
}

TEST(SimulatorOutput, TopologyWithDotShowsEveryLinkAndTheBottleneck) {
  const Simulated s = simulated("4090x8-2s", "round-robin", TransportKind::shm, true);
  const Simulation sim = simulation_from_json(s.json);
  ASSERT_FALSE(sim.topology_dot.empty());
  const TopologyPicture p = picture_of_simulation(sim, sim.runs[0]);
  EXPECT_EQ(p.links.size() * 2, s.topology.edge_count());  // idle links included
  ASSERT_FALSE(sim.runs[0].bottleneck.empty());
  const std::string svg = render_graph(topology_dot(p), kDotEngine, ImageFormat::svg);
  EXPECT_EQ(test::xml_problem(svg), "");
  // Every link once, the socket link cpu0 - cpu1 as two halves around its label.
  EXPECT_EQ(count(svg, "class=\"edge\""), s.topology.edge_count() / 2 + 1);
  EXPECT_EQ(count(svg, ">BOTTLENECK"), 1u) << sim.runs[0].bottleneck;
}

TEST(SimulatorOutput, ForwardingCpuIsDrawnOnItsNode) {
  // P2P through the root complex: the CPU's forwarding resource (from == to) loads the node.
  const Simulated s = simulated("4090x8-2s", "round-robin", TransportKind::p2p, false);
  const Simulation sim = simulation_from_json(s.json);
  bool forward = false;
  for (const LinkLoad& l : sim.runs[0].links) forward |= l.from == l.to;
  ASSERT_TRUE(forward) << "the 4090x8-2s preset should forward P2P traffic through its CPUs";
  const TopologyPicture p = picture_of_simulation(sim, sim.runs[0]);
  std::size_t loaded_nodes = 0;
  for (const PictureNode& n : p.nodes) loaded_nodes += n.load.has_value();
  EXPECT_GE(loaded_nodes, 1u);
  const std::string svg = render_graph(topology_dot(p), kDotEngine, ImageFormat::svg);
  EXPECT_EQ(test::xml_problem(svg), "");
  EXPECT_NE(svg.find("p2p&#45;forward"), std::string::npos);
}

TEST(SimulatorOutput, ContentionLabelsEachLossyDirectionWithItsStreams) {
  // NCCL P2P grouped on 4090x4 under the contention model: each root port carries 3 streams and
  // runs at 24 / (1 + 4.5 x 2) = 2.4 GB/s; the picture says so on the link, the reader keeps it.
  Topology box = make_preset("4090x4");
  const Schedule sched = generate("grouped", 4, uniform_payload(1 << 20, true, 1));
  SimOptions o;
  o.transport = TransportKind::p2p;
  o.schedule = &sched;
  o.model = SimModel::contention;
  const SimReport report = simulate(box, lower(sched, Discipline::grouped), o);
  const Simulation sim = simulation_from_json(simulation_json(box, {report}, true));
  bool read = false;
  for (const LinkLoad& l : sim.runs[0].links)
    read |= l.name == "gpu0->cpu0" && l.peak_streams == 3 && std::abs(l.min_capacity_gbps - 2.4) < 1e-9;
  EXPECT_TRUE(read);
  const std::string dot = topology_dot(picture_of_simulation(sim, sim.runs[0]));
  EXPECT_NE(dot.find("(3 streams: 2.4 GB/s)"), std::string::npos) << dot;
  // The fluid run of the same programs has no streams to show.
  o.model = SimModel::fluid;
  const Simulation fluid = simulation_from_json(simulation_json(box, {simulate(box, lower(sched, Discipline::grouped), o)}, true));
  EXPECT_EQ(topology_dot(picture_of_simulation(fluid, fluid.runs[0])).find("streams"), std::string::npos);
}
