// `ulysses-a2a simulate` and `topo` end to end: outputs, files and exit codes as documented.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sim/topology.h"
#include "tests/support.h"

using ua2a::testing::read_text;
using ua2a::testing::run_cli;
using nlohmann::json;

namespace {

json first_run(const std::string& args) {
  const auto r = run_cli(args + " --json");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  return json::parse(r.out).at("runs").at(0);
}

}  // namespace

TEST(SimulateCli, NoArgumentsPrintsTheDefaultComparison) {
  const auto r = run_cli("simulate");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("topology 4090x8-2s-sw (8 GPUs), 8 ranks"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("15.72"), std::string::npos) << r.out;
  for (const char* row : {"round-robin          paired-half", "round-robin          paired-full", "staircase (unmerged)",
                          "grouped              grouped", "shift                paired-full", "xor                  paired-full"})
    EXPECT_NE(r.out.find(row), std::string::npos) << row;
  EXPECT_NE(r.out.find("vs grouped"), std::string::npos);
}

TEST(SimulateCli, AcceptanceHostStagedNear18AndP2pCollapse) {
  // Issue 4: 4 x 4090 grouped, 256 MiB blocks: shm within 25 % of the public 18 GB/s busbw, p2p
  // at least 3x lower.
  const std::string base = "simulate --topology 4090x4 --ranks 4 --algo grouped --discipline grouped --bytes 268435456";
  const json shm = first_run(base + " --transport shm");
  const json p2p = first_run(base + " --transport p2p");
  EXPECT_NEAR(shm.at("busbw_gbps").get<double>(), 18.0, 0.25 * 18.0);
  EXPECT_GE(shm.at("busbw_gbps").get<double>() / p2p.at("busbw_gbps").get<double>(), 3.0);
  for (const char* f : {"algo", "discipline", "transport", "time_s", "algbw_gbps", "busbw_gbps", "bound_s", "efficiency",
                        "bottleneck", "rank_finish_s", "links", "transfers"})
    EXPECT_TRUE(shm.contains(f)) << f;
}

TEST(SimulateCli, ListsOfAlgosDisciplinesAndTransportsAreCrossed) {
  const auto r = run_cli("simulate --ranks 8 --bytes 1048576 --algo round-robin,xor --discipline paired-full,grouped "
                         "--transport shm,p2p --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(json::parse(r.out).at("runs").size(), 8u);
}

TEST(SimulateCli, ModelShapesAndBothExchanges) {
  const auto r = run_cli("simulate --model wan2.1-14b --resolution 480p --frames 81 --ranks 8 --algo round-robin "
                         "--discipline paired-half --exchange both --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json runs = json::parse(r.out).at("runs");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].at("block_bytes"), 15724800);  // 3 x 4095 x 5 x 128 x 2
  EXPECT_EQ(runs[1].at("block_bytes"), 5241600);   // the output: a third
  EXPECT_EQ(runs[1].at("exchange"), "out");
}

TEST(SimulateCli, TraceAndJsonFilesAreWritten) {
  const auto dir = std::filesystem::temp_directory_path();
  const auto trace = dir / "ua2a_sim_trace.json", out = dir / "ua2a_sim_out.json";
  const auto r = run_cli("simulate --ranks 4 --topology 4090x4 --bytes 65536 --algo round-robin --discipline paired-full "
                         "--trace " + trace.string() + " --json-out " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json t = json::parse(read_text(trace));
  EXPECT_GT(t.at("traceEvents").size(), 10u);
  EXPECT_EQ(json::parse(read_text(out)).at("format"), "ulysses-a2a/simulation");
  std::filesystem::remove(trace);
  std::filesystem::remove(out);
}

TEST(SimulateCli, BadInputExitsTwoWithAMessage) {
  auto r = run_cli("simulate --model wan2.1-14b --ranks 6 --algo round-robin");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("not divisible by 6"), std::string::npos) << r.out;
  r = run_cli("simulate --topology 4090x9");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("unknown topology '4090x9'"), std::string::npos) << r.out;
  r = run_cli("simulate --boxes 129");
  EXPECT_EQ(r.exit_code, 2);
  r = run_cli("simulate --topology 4090x4 --ranks 8 --algo grouped --bytes 1024");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("has 4 GPUs"), std::string::npos) << r.out;
  r = run_cli("simulate --topology 4090x4 --ranks 4 --algo grouped --bytes 1024 --transport nvlink");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("no nvlink path"), std::string::npos) << r.out;
}

TEST(SimulateCli, DeadlockExitsOne) {
  const auto r = run_cli("simulate --topology 4090x4 --ranks 4 --algo round-robin --discipline naive --bytes 1024");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("deadlock"), std::string::npos) << r.out;
}

TEST(TopoCli, ListShowAndImport) {
  auto r = run_cli("topo list");
  ASSERT_EQ(r.exit_code, 0);
  for (const auto& p : ua2a::presets()) EXPECT_NE(r.out.find(p.name), std::string::npos);
  r = run_cli("topo show 4090x8-2s");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(ua2a::read_dot(r.out).gpus().size(), 8u);
  r = run_cli("topo show 4090x4 --boxes 3 --json");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(json::parse(r.out).at("gpus"), 12);
  r = run_cli(std::string("topo import ") + UA2A_SOURCE_DIR + "/tests/sim/data/4090x8-2s-sw.txt --socket-gbps 20");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("\"cpu0\" -> \"cpu1\" [kind=\"socket\", capacity_gbps=20"), std::string::npos) << r.out;
  r = run_cli("topo import /nonexistent");
  EXPECT_EQ(r.exit_code, 2);
}
