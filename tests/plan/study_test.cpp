// The study's rules, shared by simulate, report and plan: which schedules a request means, which
// transports, what is skipped and why, and the ranking table.
#include <gtest/gtest.h>

#include "plan/study.h"

using namespace ua2a;
using namespace ua2a::plan;

TEST(Study, ComparisonDefaultsAndLists) {
  EXPECT_EQ(comparison("", "", false).size(), study_schedules().size());  // nothing asked: the study
  const auto rr = comparison("round-robin,grouped", "", false);
  ASSERT_EQ(rr.size(), 2u);
  EXPECT_EQ(rr[0].discipline, "paired-full");  // the default discipline
  EXPECT_EQ(rr[1].discipline, "grouped");      // grouped's own
  const auto all = comparison("xor", "all", true);
  ASSERT_EQ(all.size(), 3u);  // paired-half, paired-full, grouped: naive deadlocks by design
  for (const Combo& c : all) {
    EXPECT_NE(c.discipline, "naive");
    EXPECT_TRUE(c.unmerged);
  }
  EXPECT_EQ(comparison("shift", "paired-half,grouped", false)[1].label(), "shift grouped");
}

TEST(Study, TransportsAsRequested) {
  Topology pcie = make_preset("4090x8-2s-sw");
  const Topology nvlink = make_preset("h100x8-nvs");
  // A GeForce box on the stock driver runs what stages through host memory, nothing peer-to-peer.
  using T = std::vector<std::optional<TransportKind>>;
  EXPECT_EQ(requested_transports("", pcie, SimModel::contention), (T{TransportKind::shm, TransportKind::cuda_staged}));
  EXPECT_EQ(requested_transports("", pcie, SimModel::fluid), T{std::nullopt});
  EXPECT_EQ(requested_transports("", nvlink, SimModel::contention).size(), 1u);
  std::vector<std::pair<TransportKind, std::string>> dropped;
  EXPECT_EQ(requested_transports("all", pcie, SimModel::fluid, &dropped).size(), 3u);  // shm, cuda-staged, nvlink
  ASSERT_EQ(dropped.size(), 2u);
  EXPECT_EQ(dropped[0].first, TransportKind::p2p);
  EXPECT_NE(dropped[0].second.find("--p2p"), std::string::npos) << dropped[0].second;
  try {
    requested_transports("shm,cuda-p2p", pcie, SimModel::fluid);
    ADD_FAILURE() << "cuda-p2p on a box without P2P";
  } catch (const TopologyError& e) {
    EXPECT_NE(std::string(e.what()).find("--p2p"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("P2P-patched driver"), std::string::npos) << e.what();
  }
  pcie.params.p2p = true;  // the P2P-patched driver
  EXPECT_EQ(requested_transports("", pcie, SimModel::contention).size(), 4u);
  EXPECT_EQ(requested_transports("all", pcie, SimModel::fluid).size(), 5u);
  EXPECT_EQ(*requested_transports("p2p,cuda-staged", pcie, SimModel::fluid)[1], TransportKind::cuda_staged);
  EXPECT_THROW(requested_transports("nccl", pcie, SimModel::fluid), TopologyError);
  EXPECT_EQ(default_gpu(nvlink), "h100");
  EXPECT_EQ(default_gpu(pcie), "rtx4090");
}

TEST(Study, XorIsSkippedOffPowersOfTwo) {
  EXPECT_NE(skip_reason({"xor", "paired-full"}, 6).find("power-of-two"), std::string::npos);
  EXPECT_EQ(skip_reason({"xor", "paired-full"}, 8), "");
  EXPECT_EQ(skip_reason({"round-robin", "paired-half"}, 7), "");
}

TEST(Study, TableRanksFastestFirstAgainstGroupedOnTheSameTransport) {
  // Grouped on shm 2 s, round-robin on shm 4 s (the reference, first row), round-robin on p2p 1 s
  // with no grouped on p2p: vs_grouped 0.50x and - (0), vs_reference 1.00x, 4.00x, 2.00x.
  auto row = [](const char* algo, const char* d, const char* t, double time) {
    StudyRow r{{algo, d}, true, true, {}};
    r.sim.transport = t;
    r.sim.time_s = time;
    return r;
  };
  const std::string table = study_table({row("round-robin", "paired-half", "shm", 4), row("grouped", "grouped", "shm", 2),
                                         row("round-robin", "paired-full", "p2p", 1)});
  const auto p2p = table.find("paired-full  p2p"), grouped = table.find("grouped      shm"),
             reference = table.find("paired-half  shm");
  ASSERT_NE(p2p, std::string::npos) << table;
  EXPECT_LT(p2p, grouped);
  EXPECT_LT(grouped, reference);
  EXPECT_NE(table.find("0.50x        1.00x"), std::string::npos) << table;  // the reference row
  EXPECT_NE(table.find("1.00x        2.00x"), std::string::npos) << table;  // grouped
  EXPECT_NE(table.find("0.00x        4.00x"), std::string::npos) << table;  // p2p: no grouped to compare
  EXPECT_EQ(table.find("set_by"), std::string::npos);  // fluid rows: no explanation columns
}
