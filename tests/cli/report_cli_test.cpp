// `ulysses-a2a report`, the main job: every schedule of the study proved and timed, the layer
// checked, and the report, its JSON and its pictures written.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/support.h"

using ua2a::testing::read_text;
using ua2a::testing::run_cli;

TEST(ReportCli, DefaultJobWritesAVerifiedReportWithPictures) {
  const auto dir = std::filesystem::temp_directory_path() / "ua2a_report_test";
  std::filesystem::remove_all(dir);
  const auto r = run_cli("report --out " + dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("round-robin           paired-half  shm=cuda-staged free      yes"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("set_by"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("layer check"), std::string::npos);
  const auto doc = nlohmann::json::parse(read_text(dir / "report.json"));
  EXPECT_EQ(doc["sim_model"], "contention");
  // The planner's answer for the same box and model: five best layouts and a recommendation.
  EXPECT_EQ(doc["plan"]["format"], "ulysses-a2a/plan");
  EXPECT_EQ(doc["plan"]["candidates"].size(), 5u);
  EXPECT_NE(r.out.find("recommendation:"), std::string::npos) << r.out;
  ASSERT_EQ(doc["schedules"].size(), 12u);  // 6 schedules x the 2 transports of a stock-driver 4090 box
  for (const auto& s : doc["schedules"]) EXPECT_TRUE(s["transport"] == "shm" || s["transport"] == "cuda-staged") << s.dump();
  for (const auto& k : doc["plan"]["candidates"]) EXPECT_FALSE(k["gpus"].get<std::string>().empty()) << k.dump();
  for (const auto& s : doc["schedules"]) {
    EXPECT_TRUE(s["verified"].get<bool>()) << s.dump();
    EXPECT_GT(s["time_s"].get<double>(), 0.0);
  }
  EXPECT_TRUE(doc["layer_check"]["ok"].get<bool>());
  // The check runs Wan2.1-14B's 40 heads of 128 at 16 tokens a rank, and says the model has
  // ceil(32760 / 8) = 4095 (issue 23, item 8).
  EXPECT_EQ(doc["layer_check"]["shape"]["heads"], 40);
  EXPECT_EQ(doc["layer_check"]["shape"]["head_dim"], 128);
  EXPECT_EQ(doc["layer_check"]["shape"]["seq_per_rank"], 16);
  EXPECT_EQ(doc["layer_check"]["model_shape"]["seq_per_rank"], 4095);
  EXPECT_NE(r.out.find("at a scaled shape of wan2.1-14b: s = 16 tokens a rank (the model: 4095)"), std::string::npos)
      << r.out;
  const auto sim = nlohmann::json::parse(read_text(dir / "simulation.json"));
  EXPECT_EQ(sim["runs"].size(), 12u);
  EXPECT_EQ(sim["runs"][0]["algo"], "round-robin");  // the pictures draw the reference, run 0
  EXPECT_EQ(sim["runs"][0]["transport"], "shm");
  for (const char* svg : {"pairings.svg", "rounds.svg", "topology-load.svg", "timeline.svg"}) {
    const std::string text = read_text(dir / svg);
    EXPECT_NE(text.find("<svg"), std::string::npos) << svg;
    EXPECT_NE(text.find("</svg>"), std::string::npos) << svg;
  }
  std::filesystem::remove_all(dir);
}

TEST(ReportCli, P2pOpensThePeerToPeerTransports) {
  const auto dir = std::filesystem::temp_directory_path() / "ua2a_report_p2p";
  const auto r = run_cli("report --p2p --no-layer-check --out " + dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto doc = nlohmann::json::parse(read_text(dir / "report.json"));
  EXPECT_EQ(doc["schedules"].size(), 24u);  // 6 schedules x 4 PCIe transports
  EXPECT_NE(r.out.find("--gpus 8 --p2p)"), std::string::npos) << r.out;  // the plan it asked
  // Eight ranks over two sockets: NCCL's P2P crosses the socket link only when told to; its SHM on a
  // P2P box must be told not to take P2P inside the switches.
  EXPECT_NE(r.out.find("p2p runs only with NCCL_P2P_LEVEL=SYS"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("shm runs only with NCCL_P2P_DISABLE=1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cuda-p2p runs only with the P2P-patched driver"), std::string::npos) << r.out;
  const auto stock = run_cli("report --no-layer-check --out " + dir.string());
  EXPECT_EQ(stock.out.find("runs only with"), std::string::npos) << stock.out;  // the stock driver needs nothing
  std::filesystem::remove_all(dir);
}

TEST(ReportCli, FluidModelGivesTheBoxsOwnTransportOnly) {
  const auto dir = std::filesystem::temp_directory_path() / "ua2a_report_fluid";
  const auto r = run_cli("report --sim-model fluid --no-layer-check --out " + dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto doc = nlohmann::json::parse(read_text(dir / "report.json"));
  ASSERT_EQ(doc["schedules"].size(), 6u);
  EXPECT_EQ(r.out.find("set_by"), std::string::npos);
  EXPECT_EQ(run_cli("report --sim-model exact --out " + dir.string()).exit_code, 2);
  std::filesystem::remove_all(dir);
}

TEST(ReportCli, OddRanksWithoutXorAndBadShapes) {
  const auto dir = std::filesystem::temp_directory_path() / "ua2a_report_odd";
  // 40 heads do not split over 6 ranks: a clear error, exit 2.
  const auto bad = run_cli("report --ranks 6 --no-layer-check --out " + dir.string());
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_NE(bad.out.find("divisible"), std::string::npos) << bad.out;
  // 5 ranks (odd: round-robin with byes) of Wan2.1-14B's 40 heads fit the 8-GPU box.
  const auto ok = run_cli("report --ranks 5 --out " + dir.string());
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_NE(ok.out.find("note: skipped xor / paired-full: xor needs a power-of-two number of ranks (got 5)"),
            std::string::npos) << ok.out;
  EXPECT_EQ(ok.out.find("\nxor "), std::string::npos) << "no table row for xor: " << ok.out;
  std::filesystem::remove_all(dir);
}
