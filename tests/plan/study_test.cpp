// The study on a box, shared by simulate, report and plan: which transports, the cases run on the
// simulator, the ranking table (the schedule half: tests/schedule/study_test.cpp).
#include <gtest/gtest.h>

#include "plan/study.h"
#include "schedule/payload.h"

using namespace ua2a;
using namespace ua2a::plan;

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

/// A verified, deadlock-free row of `algo` / `d` on transport `t` taking `time` seconds.
static StudyRow row(const char* algo, const char* d, const char* t, double time) {
  StudyRow r{{algo, d}, true, true, {}};
  r.sim.transport = t;
  r.sim.time_s = time;
  return r;
}

TEST(Study, TableRanksFastestFirstAgainstGroupedOnTheSameTransport) {
  // Grouped on shm 2 s, round-robin on shm 4 s (the reference, first row), round-robin on p2p 1 s
  // with no grouped on p2p: vs_grouped 0.50x and - (0), vs_reference 1.00x, 4.00x, 2.00x.
  const std::string table = study_table({row("round-robin", "paired-half", "shm", 4), row("grouped", "grouped", "shm", 2),
                                         row("round-robin", "paired-full", "p2p", 1)});
  const auto p2p = table.find("paired-full  p2p"), grouped = table.find("grouped      shm"),
             reference = table.find("paired-half  shm");
  ASSERT_NE(p2p, std::string::npos) << table;
  EXPECT_LT(p2p, grouped);
  EXPECT_LT(grouped, reference);
  EXPECT_NE(table.find("0.50x        1.00x"), std::string::npos) << table;  // the reference row
  EXPECT_NE(table.find("1.00x        2.00x"), std::string::npos) << table;  // grouped
  EXPECT_NE(table.find("-        4.00x"), std::string::npos) << table;  // p2p: no grouped to compare
  EXPECT_NE(table.find("vs_grouped '-'"), std::string::npos) << table;
  EXPECT_EQ(table.find("set_by"), std::string::npos);  // fluid rows: no explanation columns
  EXPECT_EQ(table.find("a=b"), std::string::npos);      // nothing folded
}

TEST(Study, RowsThatDifferOnlyInTheirTransportAreOneLine) {
  // shm and cuda-staged give grouped 2 s and round-robin 4 s alike: two lines, not four, each
  // naming both transports; p2p differs (1 s) and keeps its own line.
  const std::string table =
      study_table({row("round-robin", "paired-half", "shm", 4), row("grouped", "grouped", "shm", 2),
                   row("round-robin", "paired-half", "cuda-staged", 4), row("grouped", "grouped", "cuda-staged", 2),
                   row("round-robin", "paired-half", "p2p", 1), row("grouped", "grouped", "p2p", 0.5)});
  std::size_t lines = 0;
  for (char c : table) lines += c == '\n';
  EXPECT_EQ(lines, 1u + 4u + 1u) << table;  // header, four rows, the note
  EXPECT_NE(table.find("paired-half  shm=cuda-staged"), std::string::npos) << table;
  EXPECT_NE(table.find("grouped      shm=cuda-staged"), std::string::npos) << table;
  EXPECT_NE(table.find("paired-half  p2p "), std::string::npos) << table;
  EXPECT_NE(table.find("a=b under transport"), std::string::npos) << table;
  // Different figures stay apart: the same schedule 1 % slower on cuda-staged is its own row.
  const std::string apart = study_table({row("grouped", "grouped", "shm", 2), row("grouped", "grouped", "cuda-staged", 2.02)});
  EXPECT_EQ(apart.find("shm=cuda-staged"), std::string::npos) << apart;
}

// ---- The study API: expand and run_study ----------------------------------------------------

namespace {

StudyRequest small_request(std::int32_t ranks) {
  StudyRequest r;
  r.ranks = ranks;
  r.payload = [](const Combo& c, const std::string&) { return uniform_payload(1 << 16, !c.unmerged, 1); };
  return r;
}

}  // namespace

TEST(StudyApi, RunVerifiesEachCaseOnceAndSkipsTransportsTheBoxLacks) {
  const Topology pcie = make_preset("4090x8-2s-sw");  // GeForce, stock driver: no P2P, no NVLink
  StudyRequest r = small_request(8);
  choose_schedules(r, "round-robin,grouped", "", false);
  std::vector<std::pair<TransportKind, std::string>> dropped;
  r.transports = requested_transports("all", pcie, SimModel::fluid, &dropped);
  // 'all' on this box: p2p and cuda-p2p dropped with their reason before anything runs.
  ASSERT_EQ(dropped.size(), 2u);
  EXPECT_EQ(dropped[1].first, TransportKind::cuda_p2p);
  for (const auto& t : r.transports) EXPECT_FALSE(needs_p2p(*t));
  r.skip_missing_transports = true;
  r.label_exchange = true;
  const StudyCases cases = expand(r);
  ASSERT_EQ(cases.cases.size(), 2u);
  int verified = 0;
  std::size_t progressed = 0;
  const StudyRun run = run_study(
      pcie, r, cases.cases,
      [&](const StudyCase& k) {
        ++verified;
        return StudyVerdict{true, k.combo.algo != "grouped"};
      },
      [&](std::size_t done, const std::string&) { progressed = done + 1; });
  EXPECT_EQ(verified, 2);  // once per case, not per transport
  EXPECT_EQ(progressed, 6u);  // 2 cases x shm, cuda-staged, nvlink
  ASSERT_EQ(run.rows.size(), 4u);  // nvlink is no route on a PCIe box
  ASSERT_EQ(run.skipped.size(), 1u);  // said once, not per case
  EXPECT_EQ(run.skipped[0].what, "--transport nvlink");
  EXPECT_EQ(run.rows[0].sim.transport, "shm");
  EXPECT_EQ(run.rows[1].sim.transport, "cuda-staged");
  EXPECT_EQ(run.rows[2].case_index, 1u);
  EXPECT_FALSE(run.rows[2].verified);  // the verifier's verdict, carried
  EXPECT_EQ(run.rows[0].sim.exchange, "qkv");
  for (const StudyRow& row : run.rows) EXPECT_GT(row.sim.time_s, 0);
  // Without skip_missing_transports a transport the box cannot route is an error.
  r.skip_missing_transports = false;
  EXPECT_THROW(run_study(pcie, r, cases.cases), std::invalid_argument);
  EXPECT_THROW(run_study(pcie, r, {}), std::invalid_argument);  // nothing ran
}
