// Topology: presets, DOT round trip, DOT errors, boxes.
#include <gtest/gtest.h>

#include "sim/topology.h"

using namespace ua2a;

namespace {

double capacity(const Topology& t, const std::string& from, const std::string& to) {
  for (EdgeRef e : t.edges())
    if (t.link_name(e) == from + "->" + to) return t.link(e).capacity_bytes_per_s;
  return -1;
}

}  // namespace

TEST(Topology, PresetsHaveTheirGpusInRankOrder) {
  for (const auto& p : presets()) {
    const Topology t = make_preset(p.name);
    EXPECT_EQ(t.name, p.name);
    ASSERT_FALSE(t.gpus().empty()) << p.name;
    for (std::size_t i = 0; i < t.gpus().size(); ++i) EXPECT_EQ(t.node(t.gpus()[i]).name, "gpu" + std::to_string(i));
  }
  EXPECT_EQ(make_preset("4090x4").gpus().size(), 4u);
  EXPECT_EQ(make_preset("4090x8-2s-sw").gpus().size(), 8u);
}

TEST(Topology, DualSocketSwitchBoxHasTheFactsLinks) {
  const Topology t = make_preset("4090x8-2s-sw");
  EXPECT_DOUBLE_EQ(capacity(t, "cpu0", "cpu1"), 10e9);  // pcie-facts.md line 28
  EXPECT_DOUBLE_EQ(capacity(t, "sw0", "cpu0"), 24e9);   // one x16 uplink
  EXPECT_DOUBLE_EQ(capacity(t, "gpu5", "sw1"), 24e9);
  EXPECT_LT(capacity(t, "gpu5", "sw0"), 0);  // gpu5 sits under the second socket's switch
}

TEST(Topology, DotRoundTripIsExact) {
  for (const auto& p : presets()) {
    const Topology t = make_preset(p.name);
    const std::string dot = write_dot(t);
    const Topology back = read_dot(dot);
    EXPECT_EQ(write_dot(back), dot) << p.name;
    EXPECT_EQ(back.edge_count(), t.edge_count());
    EXPECT_EQ(back.params.transport, t.params.transport);
    EXPECT_DOUBLE_EQ(back.params.op_cost_s, t.params.op_cost_s);
  }
}

TEST(Topology, ReadsAHandWrittenDotFileWithNaturalGpuOrder) {
  const Topology t = read_dot(R"(digraph { graph [name="two", transport="p2p"];
    gpu10 [kind=gpu]; gpu2 [kind=gpu, socket=0]; c [kind=cpu, forward_gbps=8];
    gpu2 -> c [capacity_gbps=12.5, latency_us=1]; c -> gpu10 [capacity_gbps=12]; })");
  EXPECT_EQ(t.name, "two");
  EXPECT_EQ(t.params.transport, TransportKind::p2p);
  ASSERT_EQ(t.gpus().size(), 2u);
  EXPECT_EQ(t.node(t.gpus()[0]).name, "gpu2");  // natural order: 2 before 10
  EXPECT_DOUBLE_EQ(capacity(t, "gpu2", "c"), 12.5e9);
  EXPECT_DOUBLE_EQ(t.node(*t.find("c")).forward_bytes_per_s, 8e9);
}

TEST(Topology, DotErrorsNameTheCulprit) {
  auto message = [](const std::string& dot) {
    try {
      read_dot(dot);
    } catch (const TopologyError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("digraph { a [kind=gpu]; b [kind=cpu]; a -> b; }").find("edge a->b has no capacity_gbps"),
            std::string::npos);
  EXPECT_NE(message("digraph { a [kind=toaster]; }").find("node 'a'"), std::string::npos);
  EXPECT_NE(message("digraph { a [kind=gpu]; b [kind=cpu]; a -> b [capacity_gbps=fast]; }")
                .find("DOT attribute capacity_gbps=\"fast\" is not a number"),
            std::string::npos);
  EXPECT_NE(message("digraph { a [kind=cpu]; }").find("no node with kind=gpu"), std::string::npos);
  EXPECT_NE(message("digraph { a -> ").find("DOT"), std::string::npos);
  EXPECT_NE(message("digraph { a [kind=gpu]; a -> a [capacity_gbps=1]; }").find("self-loop"), std::string::npos);
  EXPECT_THROW(make_preset("4090x9"), TopologyError);
}

TEST(Topology, DotNumbersAreReadWholeOrRefused) {
  const std::string head = "digraph { a [kind=gpu]; b [kind=cpu]; a -> b [capacity_gbps=";
  auto capacity_of = [&](const std::string& value) {
    const Topology t = read_dot(head + value + "]; }");
    return t.link(*t.edges().begin()).capacity_bytes_per_s / 1e9;
  };
  EXPECT_DOUBLE_EQ(capacity_of("24"), 24);
  EXPECT_DOUBLE_EQ(capacity_of("\"2.4e1\""), 24) << "quoted, Boost reads it whole";
  EXPECT_DOUBLE_EQ(capacity_of(".5, latency_us=1"), 0.5);
  // Unquoted, Boost's lexer stopped at the e and read 2.4; with a unit it read 24.
  for (const char* bad : {"2.4e1", "24 GB", "24GB", "\"24 GB\"", "-1"}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(read_dot(head + bad + "]; }"), TopologyError);
  }
  try {
    read_dot(head + "24 GB]; }");
  } catch (const TopologyError& e) {
    EXPECT_NE(std::string(e.what()).find("'GB' has no value (after capacity_gbps=24)"), std::string::npos) << e.what();
  }
}

TEST(Topology, JoinBoxesRenumbersAndAddsOneNicPerBox) {
  const Topology t = join_boxes(make_preset("4090x8-2s"), 3);
  EXPECT_EQ(t.gpus().size(), 24u);
  EXPECT_EQ(t.node(t.gpus()[9]).name, "gpu9");
  EXPECT_EQ(t.node(t.gpus()[9]).box, 1);
  EXPECT_EQ(t.node(t.gpus()[9]).socket, 2);  // box 1, its first socket
  EXPECT_DOUBLE_EQ(capacity(t, "nic2", "net0"), 25e9);
  EXPECT_DOUBLE_EQ(capacity(t, "cpu4", "nic2"), 25e9);
  EXPECT_THROW(join_boxes(make_preset("4090x4"), 129), TopologyError);
  EXPECT_THROW(join_boxes(make_preset("4090x4"), 0), TopologyError);
  const Topology copy = t;  // copies rebuild the edge index of their own graph
  EXPECT_EQ(write_dot(copy), write_dot(t));
}

// Readers refuse what they cannot represent (issue 21): a node or an edge declared twice, and
// figures far past any box, instead of letting the last declaration win or simulating them.
TEST(TopologyDot, RefusesNodesAndEdgesDeclaredTwiceAndAbsurdFigures) {
  const std::string ok = "digraph { gpu0 [kind=gpu]; cpu0 [kind=cpu]; gpu0 -> cpu0 [capacity_gbps=24]; "
                         "cpu0 -> gpu0 [capacity_gbps=24]; }";
  EXPECT_NO_THROW(read_dot(ok));
  auto refusal = [](const std::string& text) {
    try {
      read_dot(text);
    } catch (const TopologyError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(refusal("digraph { gpu0 [kind=gpu]; gpu0 [kind=switch]; cpu0 [kind=cpu]; gpu0 -> cpu0 [capacity_gbps=24]; }")
                .find("node 'gpu0' is declared twice (kind gpu, then switch)"),
            std::string::npos);
  EXPECT_NE(refusal("digraph { gpu0 [kind=gpu]; cpu0 [kind=cpu]; gpu0 -> cpu0 [capacity_gbps=24]; "
                    "gpu0 -> cpu0 [capacity_gbps=12]; }")
                .find("edge gpu0->cpu0 is declared twice"),
            std::string::npos);
  EXPECT_NE(refusal("digraph { gpu0 [kind=gpu]; cpu0 [kind=cpu]; gpu0 -> cpu0 [capacity_gbps=24, latency_us=\"1e300\"]; }")
                .find("latency_us = \"1e+300\" is invalid: it must be a finite number from 0 to 1000000"),
            std::string::npos);
  EXPECT_NE(refusal("digraph { gpu0 [kind=gpu]; cpu0 [kind=cpu]; gpu0 -> cpu0 [capacity_gbps=\"1e9\"]; }").find("capacity_gbps"),
            std::string::npos);
}

TEST(TopologyP2p, TheBoxSaysWhetherItsGpusReachEachOtherPeerToPeer) {
  // pcie-facts.md: P2P is off on the stock GeForce driver; the H100 box's driver allows it.
  EXPECT_FALSE(make_preset("4090x8-2s-sw").params.p2p);
  EXPECT_FALSE(make_preset("4090x4").params.p2p);
  EXPECT_TRUE(make_preset("h100x8-nvs").params.p2p);
  // A DOT file: the attribute when given, else by its transport, else by its GPU kind.
  const std::string body = "gpu0 [kind=gpu]; cpu0 [kind=cpu]; gpu0 -> cpu0 [capacity_gbps=24]; cpu0 -> gpu0 [capacity_gbps=24]; }";
  auto with = [&](const std::string& graph) { return read_dot("digraph { graph [" + graph + "]; " + body); };
  EXPECT_FALSE(with("gpu=rtx4090").params.p2p);
  EXPECT_FALSE(with("gpu=rtx5090").params.p2p);
  EXPECT_FALSE(with("name=x").params.p2p);  // unknown kind: not assumed
  EXPECT_TRUE(with("gpu=rtxpro6000").params.p2p);
  EXPECT_TRUE(with("gpu=l40s").params.p2p);
  EXPECT_TRUE(with("gpu=rtx4090, transport=p2p").params.p2p);  // a box whose own transport is P2P has it
  EXPECT_TRUE(with("gpu=rtx4090, p2p=on").params.p2p);         // the patched driver
  EXPECT_FALSE(with("gpu=l40s, p2p=off").params.p2p);
  EXPECT_THROW(with("p2p=yes"), TopologyError);
  // Written only where it differs from the default, and read back the same.
  Topology patched = make_preset("4090x8-2s-sw");
  EXPECT_EQ(write_dot(patched).find("p2p="), std::string::npos);
  patched.params.p2p = true;
  const std::string dot = write_dot(patched);
  EXPECT_NE(dot.find("p2p=\"on\""), std::string::npos);
  EXPECT_TRUE(read_dot(dot).params.p2p);
  EXPECT_TRUE(geforce_gpu("rtx4090d"));
  EXPECT_FALSE(geforce_gpu("rtxpro6000"));
  EXPECT_FALSE(geforce_gpu("h100"));
}
