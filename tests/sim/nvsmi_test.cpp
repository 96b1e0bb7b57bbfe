// Import of nvidia-smi topo -m text into a topology.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/support.h"
#include "sim/nvsmi.h"
#include "sim/simulate.h"

using namespace ua2a;

namespace {

std::string sample(const std::string& name) { return ua2a::testing::read_source("tests/sim/data/" + name); }

bool has_link(const Topology& t, const std::string& name, double gbps) {
  for (EdgeRef e : t.edges())
    if (t.link_name(e) == name) return t.link(e).capacity_bytes_per_s == gbps * 1e9;
  return false;
}

}  // namespace

TEST(Nvsmi, DualSocketSwitchBoxBecomesTwoSwitchesAndTwoSockets) {
  const Topology t = import_nvidia_smi(sample("4090x8-2s-sw.txt"));
  ASSERT_EQ(t.gpus().size(), 8u);
  EXPECT_TRUE(has_link(t, "gpu0->sw0", 24));
  EXPECT_TRUE(has_link(t, "gpu5->sw1", 24));
  EXPECT_TRUE(has_link(t, "sw1->cpu1", 24));
  EXPECT_TRUE(has_link(t, "cpu0->cpu1", 10));
  EXPECT_EQ(t.node(t.gpus()[5]).socket, 1);
  EXPECT_EQ(t.params.transport, TransportKind::shm);
}

/// NCCL's all-to-all on 8 ranks, 1 MiB blocks: every send and receive in one step.
ProgramSet grouped_8() {
  ProgramSet p;
  p.ranks = 8;
  p.algo = "hand";
  p.discipline = "grouped";
  p.payload.parts = {{"block", 1 << 20}};
  p.programs.resize(8);
  for (Rank r = 0; r < 8; ++r) {
    p.programs[r].rank = r;
    for (Rank q = 0; q < 8; ++q)
      if (q != r) {
        p.programs[r].ops.push_back({OpKind::send, 0, q, {r, q}, 0, 1 << 20});
        p.programs[r].ops.push_back({OpKind::recv, 0, q, {q, r}, 0, 1 << 20});
      }
    p.programs[r].end_step();
  }
  return p;
}

TEST(Nvsmi, ImportedSwitchBoxSimulatesLikeThePreset) {
  // Same legend, same default speeds: the imported box and the 4090x8-2s-sw preset agree.
  const Topology imported = import_nvidia_smi(sample("4090x8-2s-sw.txt"));
  const Topology preset = make_preset("4090x8-2s-sw");
  EXPECT_NEAR(simulate(imported, grouped_8()).time_s, simulate(preset, grouped_8()).time_s, 1e-12);
}

TEST(Nvsmi, NvSwitchBoxIsBoundByEachGpusLinkToTheSwitch) {
  // HGX H100: every GPU has 18 NVLinks of 25 GB/s to the switch. Each rank sends 7 MiB and
  // receives 7 MiB over its own 450 GB/s link, so the exchange takes at least 7 MiB / 450 GB/s
  // (16.3 us), as on the h100x8-nvs preset; direct 450 GB/s links per pair would take 1/7 of it.
  const Topology t = import_nvidia_smi(sample("h100x8-hgx.txt"));
  const double bound = 7.0 * (1 << 20) / 450e9;
  const double imported = simulate(t, grouped_8()).time_s;
  EXPECT_GE(imported, bound);
  EXPECT_LT(imported, 1.5 * bound);
  EXPECT_NEAR(imported, simulate(make_preset("h100x8-nvs"), grouped_8()).time_s, 0.05 * bound);
}

TEST(Nvsmi, SingleSocketWithoutSwitchesAttachesGpusToTheCpu) {
  const Topology t = import_nvidia_smi(sample("4090x4.txt"));
  ASSERT_EQ(t.gpus().size(), 4u);
  EXPECT_TRUE(has_link(t, "gpu3->cpu0", 24));
  EXPECT_FALSE(t.find("cpu1").has_value());
}

TEST(Nvsmi, HgxBoxGetsNvlinksNicsAndOverrides) {
  NvsmiOptions o;
  o.nvlink_gbps_per_link = 20;
  o.socket_gbps = 22;
  const Topology t = import_nvidia_smi(sample("h100x8-hgx.txt"), o);
  ASSERT_EQ(t.gpus().size(), 8u);
  EXPECT_EQ(t.params.transport, TransportKind::nvlink);
  // NV18 to each of 7 peers is 126 links, more than a GPU has: the links go through the NVSwitch.
  EXPECT_TRUE(has_link(t, "gpu0->nvs0", 18 * 20));
  EXPECT_TRUE(has_link(t, "nvs0->gpu7", 18 * 20));
  for (EdgeRef e : t.edges()) EXPECT_NE(t.link_name(e), "gpu0->gpu7") << "a direct NVLink bundle between a pair";
  EXPECT_TRUE(has_link(t, "cpu0->cpu1", 22));
  ASSERT_TRUE(t.find("nic3").has_value());
  EXPECT_EQ(t.node(*t.find("nic3")).socket, 1);  // NIC rows have no NUMA column: taken from GPU6/7
  EXPECT_EQ(t.node(t.gpus()[6]).socket, 1);
}

TEST(Nvsmi, StripsTerminalColoursAndAcceptsSpaces) {
  const std::string text = "\x1b[4m        GPU0    GPU1    CPU Affinity    NUMA Affinity\x1b[0m\n"
                           "GPU0     X      PHB     0-15    0\nGPU1    PHB      X      0-15    0\n";
  EXPECT_EQ(import_nvidia_smi(text).gpus().size(), 2u);
}

TEST(Nvsmi, ErrorsNameTheCell) {
  auto message = [](const std::string& text) {
    try {
      import_nvidia_smi(text);
    } catch (const TopologyError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("GPU0 GPU1\nGPU0 X FOO\nGPU1 FOO X\n").find("row GPU0, column GPU1 has 'FOO'"), std::string::npos);
  EXPECT_NE(message("GPU0 GPU1\nGPU0 X PIX\nGPU1 SYS X\n").find("not symmetric"), std::string::npos);
  EXPECT_NE(message("GPU0 GPU1\nGPU0 X PIX\n").find("row of GPU1 is missing"), std::string::npos);
  EXPECT_NE(message("hello\n").find("no header"), std::string::npos);
  EXPECT_NE(message("GPU0 GPU1\nGPU0 X\n").find("has 1 cells, expected 2"), std::string::npos);
  NvsmiOptions bad;
  bad.socket_gbps = -1;
  EXPECT_THROW(import_nvidia_smi(sample("4090x4.txt"), bad), TopologyError);
}

// The SYS relations decide the sockets, whatever the NUMA column says (issue 21): GPU4-7 with
// NUMA N/A, -1 or a huge id used to land on socket 0 and the socket link was dropped.
TEST(Nvsmi, SysRelationsWinOverAMissingOrOddNumaColumn) {
  const std::string text = sample("4090x8-2s-sw.txt");
  for (const std::string odd : {"N/A", "-1", "99999999"}) {
    std::string edited;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("GPU", 0) == 0 && line.find("28-55") != std::string::npos) {
        const std::size_t at = line.find("\t1\t");
        line.replace(at, 3, "\t" + odd + "\t");
      }
      edited += line + "\n";
    }
    const Topology t = import_nvidia_smi(edited);
    EXPECT_EQ(t.node(t.gpus()[4]).socket, 1) << odd;
    EXPECT_EQ(t.node(t.gpus()[0]).socket, 0) << odd;
    EXPECT_TRUE(has_link(t, "cpu0->cpu1", 10)) << odd;
  }
  // Two NUMA nodes inside one PIX group: the matrix contradicts itself, and the import says so.
  std::string contradiction = text;
  contradiction.replace(contradiction.find("\t0\t"), 3, "\t1\t");
  EXPECT_THROW(import_nvidia_smi(contradiction), TopologyError);
}

TEST(Nvsmi, TheMatrixCannotTellP2pSoTheGpuKindOrTheOptionDoes) {
  const std::string text = sample("4090x8-2s-sw.txt");
  EXPECT_FALSE(import_nvidia_smi(text).params.p2p);  // unknown kind: off
  NvsmiOptions o;
  o.gpu = "rtx4090";
  EXPECT_FALSE(import_nvidia_smi(text, o).params.p2p);  // GeForce, stock driver
  o.gpu = "rtxpro6000";
  EXPECT_TRUE(import_nvidia_smi(text, o).params.p2p);
  o.gpu = "rtx4090";
  o.p2p = true;  // topo import --p2p: the patched driver
  EXPECT_TRUE(import_nvidia_smi(text, o).params.p2p);
  EXPECT_TRUE(import_nvidia_smi(sample("h100x8-hgx.txt")).params.p2p);  // NVLink everywhere
}
