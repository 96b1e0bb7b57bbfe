// The topology picture: from a sim preset, from a simulation document's links, with a load.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/support.h"
#include "sim/topology.h"
#include "tests/viz/svg_check.h"
#include "viz/graphviz.h"
#include "viz/palette.h"
#include "viz/topology_from_sim.h"
#include "viz/topology_picture.h"

using namespace ua2a;
using namespace ua2a::viz;
using ua2a::viz::test::count;

namespace {

Simulation example() {
  return simulation_from_json(ua2a::testing::read_source("tests/viz/data/sim-4.json"));
}

std::string svg_of(const TopologyPicture& p) { return render_graph(topology_dot(p), kDotEngine, ImageFormat::svg); }

}  // namespace

TEST(TopologyPicture, EveryPresetDrawsEachNodeAndEachDuplexLinkOnce) {
  for (const PresetInfo& preset : presets()) {
    const Topology t = preset.make();
    const TopologyPicture p = picture_from_topology(t);
    EXPECT_EQ(p.nodes.size(), t.node_count()) << preset.name;
    EXPECT_EQ(p.links.size() * 2, t.edge_count()) << preset.name;  // two directed edges per link
    // A socket link joins two nodes of one row; it is drawn as two halves around a label node.
    std::size_t socket_links = 0;
    for (auto [e, end] = boost::edges(t.graph); e != end; ++e) socket_links += t.link(*e).kind == LinkKind::socket;
    socket_links /= 2;
    const std::string svg = svg_of(p);
    EXPECT_EQ(test::xml_problem(svg), "") << preset.name;
    EXPECT_EQ(count(svg, "class=\"node\""), t.node_count() + socket_links) << preset.name;
    EXPECT_EQ(count(svg, "class=\"edge\""), t.edge_count() / 2 + socket_links) << preset.name;
    EXPECT_EQ(count(svg, " GB/s</text>"), t.edge_count() / 2) << preset.name;  // every link labelled once
  }
}

TEST(TopologyPicture, TreeRunsFromMemoryDownToGpus) {
  const TopologyPicture p = picture_from_topology(make_preset("4090x8-2s"));
  // Every link is written upper -> lower: memory above sockets above GPUs.
  for (const PictureLink& l : p.links) EXPECT_LE(p.find(l.upper)->tier, p.find(l.lower)->tier) << l.upper;
  const std::string dot = topology_dot(p);
  EXPECT_NE(dot.find("\"mem0\" -> \"cpu0\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("\"cpu0\" -> \"gpu0\""), std::string::npos);
  // The socket link stays on the sockets' row, its label a node in its middle.
  EXPECT_NE(dot.find("\"cpu0\" -> \"link2\" [constraint=false,"), std::string::npos) << dot;
  EXPECT_NE(dot.find("\"link2\" -> \"cpu1\" [constraint=false,"), std::string::npos);
  EXPECT_NE(dot.find("\"link2\" [shape=plaintext, style=solid, fillcolor=white, fontsize=9, margin=0.02, "
                     "label=\"10 GB/s\"]"),
            std::string::npos);
}

TEST(TopologyPicture, FromASimulationsLinksWithLoad) {
  const Simulation sim = example();
  const TopologyPicture p = picture_from_run(sim.topology_name, sim.runs[0]);
  EXPECT_EQ(p.nodes.size(), 8u);  // gpu0-3, sw0, sw1, cpu0, mem0
  EXPECT_EQ(p.links.size(), 7u);
  ASSERT_TRUE(p.loaded);
  for (const PictureLink& l : p.links) {
    EXPECT_TRUE(l.down && l.up) << l.upper << " - " << l.lower;
  }
  const std::string svg = svg_of(p);
  EXPECT_EQ(test::xml_problem(svg), "");
  EXPECT_EQ(count(svg, "class=\"node\""), 9u);  // and the legend
  EXPECT_EQ(count(svg, "class=\"edge\""), 7u);
  EXPECT_EQ(count(svg, ">BOTTLENECK sw0\u2192cpu0</text>"), 1u);
  EXPECT_NE(svg.find(">\u219370% \u219190%</text>"), std::string::npos);  // down 70 %, up 90 %
  EXPECT_NE(svg.find("mean utilisation"), std::string::npos);
}

TEST(TopologyPicture, LoadOfAnotherTopologyNamesTheLink) {
  TopologyPicture p = picture_from_topology(make_preset("4090x8-2s"));
  try {
    apply_load(p, example().runs[0]);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("gpu0->sw0"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("4090x8-2s"), std::string::npos) << e.what();
  }
}

TEST(TopologyPicture, LoadColoursBusierLinksDarker) {
  const Simulation sim = example();
  const TopologyPicture p = picture_from_run(sim.topology_name, sim.runs[0]);
  const std::string dot = topology_dot(p);
  // mem0 - cpu0 runs at 20 %, sw0 - cpu0 at 90 %: the latter gets the darker colour and wider pen.
  const auto attrs = [&](const std::string& edge) {
    const std::size_t at = dot.find(edge);
    return dot.substr(at, dot.find('\n', at) - at);
  };
  EXPECT_NE(attrs("\"mem0\" -> \"cpu0\"").find(utilisation_colour(0.2)), std::string::npos);
  EXPECT_NE(attrs("\"cpu0\" -> \"sw0\"").find(utilisation_colour(0.9)), std::string::npos);
}
