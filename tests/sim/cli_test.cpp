// `ulysses-a2a simulate` and `topo` end to end: outputs, files and exit codes as documented.
#include <gtest/gtest.h>

#include <array>
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
  const json p2p = first_run(base + " --transport p2p --p2p");  // the P2P driver of C1
  EXPECT_NEAR(shm.at("busbw_gbps").get<double>(), 18.0, 0.25 * 18.0);
  EXPECT_GE(shm.at("busbw_gbps").get<double>() / p2p.at("busbw_gbps").get<double>(), 3.0);
  for (const char* f : {"algo", "discipline", "transport", "time_s", "algbw_gbps", "busbw_gbps", "bound_s", "efficiency",
                        "bottleneck", "rank_finish_s", "links", "transfers"})
    EXPECT_TRUE(shm.contains(f)) << f;
}

TEST(SimulateCli, ListsOfAlgosDisciplinesAndTransportsAreCrossed) {
  const auto r = run_cli("simulate --ranks 8 --bytes 1048576 --algo round-robin,xor --discipline paired-full,grouped "
                         "--transport shm,p2p --p2p --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(json::parse(r.out).at("runs").size(), 8u);
}

TEST(SimulateCli, ModelShapesAndBothExchanges) {
  const std::string base = "simulate --model wan2.1-14b --resolution 480p --frames 81 --ranks 8 --algo round-robin "
                           "--discipline paired-half --exchange both --json";
  // On the stock driver the contention model runs the two transports a 4090 box has (no P2P).
  const auto stock = run_cli(base);
  ASSERT_EQ(stock.exit_code, 0) << stock.out;
  const json stock_runs = json::parse(stock.out).at("runs");
  ASSERT_EQ(stock_runs.size(), 4u);
  EXPECT_EQ(stock_runs[0].at("transport"), "shm");
  EXPECT_EQ(stock_runs[1].at("transport"), "cuda-staged");
  // With the P2P driver, the four PCIe transports for each exchange.
  const auto r = run_cli(base + " --p2p");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json runs = json::parse(r.out).at("runs");
  ASSERT_EQ(runs.size(), 8u);
  EXPECT_EQ(runs[0].at("block_bytes"), 15724800);  // 3 x 4095 x 5 x 128 x 2
  EXPECT_EQ(runs[4].at("block_bytes"), 5241600);   // the output: a third
  EXPECT_EQ(runs[4].at("exchange"), "out");
  for (std::size_t i = 0; i < 4; ++i)
    EXPECT_EQ(runs[i].at("transport"), (std::array<const char*, 4>{"shm", "cuda-staged", "p2p", "cuda-p2p"}[i]));
}

TEST(SimulateCli, ContentionIsTheDefaultAndFluidGivesTheBound) {
  // 4 x 4090, NCCL P2P all-to-all of 256 MiB: contention ~2 GB/s busbw (C1), set by the root
  // ports' interleaving; the fluid model gives the shared-forwarder 5.0 GB/s of before.
  const std::string base = "simulate --topology 4090x4 --ranks 4 --algo grouped --discipline grouped --bytes 268435456 "
                           "--transport p2p --p2p";
  const json contention = first_run(base);
  EXPECT_EQ(contention.at("model"), "contention");
  EXPECT_NEAR(contention.at("busbw_gbps").get<double>(), 2.0, 0.05);
  EXPECT_EQ(contention.at("set_by"), "interleave");
  EXPECT_GT(contention.at("fluid_time_s").get<double>(), 0);
  bool streams = false;
  for (const json& l : contention.at("links"))
    if (l.contains("peak_streams")) streams |= l.at("peak_streams") == 3 && !l.at("streams").empty();
  EXPECT_TRUE(streams);
  const json fluid = first_run(base + " --sim-model fluid");
  EXPECT_EQ(fluid.at("model"), "fluid");
  EXPECT_NEAR(fluid.at("busbw_gbps").get<double>(), 5.0, 0.01);
  EXPECT_FALSE(fluid.contains("set_by"));
  // One mechanism off: without interleaving the contention model is no slower than ~fluid.
  const json no_loss = first_run(base + " --mechanisms tlp,window,channels");
  EXPECT_GT(no_loss.at("busbw_gbps").get<double>(), 15.0);
}

TEST(SimulateCli, BadModelAndMechanismsAreBadInput) {
  for (const char* args : {"simulate --sim-model exact", "simulate --mechanisms tlp,bogus",
                           "simulate --sim-model fluid --mechanisms tlp", "simulate --transport nccl"}) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.out;
  }
  EXPECT_NE(run_cli("simulate --mechanisms tlp,bogus").out.find("unknown mechanism 'bogus'"), std::string::npos);
}

TEST(CalibrateCli, PrintsEveryLineWithItsLeaveOneOutError) {
  const auto r = run_cli("calibrate");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  for (const char* line : {"C1 ", "C10", "C13", "C16", "C18", "worst |error|", "leave-one-out"})
    EXPECT_NE(r.out.find(line), std::string::npos) << line;
  const auto j = run_cli("calibrate --json");
  ASSERT_EQ(j.exit_code, 0);
  const json doc = json::parse(j.out);
  EXPECT_EQ(doc.at("format"), "ulysses-a2a/calibration");
  EXPECT_GT(doc.at("points").size(), 25u);
}

TEST(SimulateCli, TraceAndJsonFilesAreWritten) {
  const auto dir = std::filesystem::temp_directory_path();
  const auto trace = dir / "ua2a_sim_trace.json", out = dir / "ua2a_sim_out.json";
  const auto r = run_cli("simulate --ranks 4 --topology 4090x4 --bytes 65536 --algo round-robin --discipline paired-full "
                         "--trace " + trace.string() + " --json-out " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json t = json::parse(read_text(trace));
  EXPECT_GT(t.at("traceEvents").size(), 10u);
  EXPECT_EQ(t.at("otherData").at("format"), "ulysses-a2a/trace");
  EXPECT_EQ(t.at("otherData").at("version"), 1);
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

TEST(TopoCli, ImportTakesThePlatformAndTheContentionParameters) {
  const std::string sample = std::string(UA2A_SOURCE_DIR) + "/tests/sim/data/4090x4.txt";
  const auto amd = run_cli("topo import " + sample + " --platform amd-epyc --gpu-ce-alpha 0.5 --nccl-channel-gbps 12");
  ASSERT_EQ(amd.exit_code, 0) << amd.out;
  const ua2a::Topology t = ua2a::read_dot(amd.out);
  EXPECT_EQ(t.params.contention.platform, "amd-epyc");
  EXPECT_DOUBLE_EQ(t.params.contention.gpu_ce_alpha, 0.5);
  EXPECT_DOUBLE_EQ(t.params.contention.nccl_channel_bytes_per_s, 12e9);
  EXPECT_DOUBLE_EQ(t.node(*t.find("cpu0")).p2p_overhead, 1.0);  // AMD: no TLP charge
  // An explicit --p2p-overhead wins over the platform's.
  const auto both = run_cli("topo import " + sample + " --platform amd-epyc --p2p-overhead 1.1");
  EXPECT_DOUBLE_EQ(ua2a::read_dot(both.out).node(*ua2a::read_dot(both.out).find("cpu0")).p2p_overhead, 1.1);
  for (const char* bad : {" --platform arm", " --gpu-ce-alpha -1", " --rc-sm-alpha x"}) {
    const auto r = run_cli("topo import " + sample + bad);
    EXPECT_EQ(r.exit_code, 2) << bad << "\n" << r.out;
  }
}

// Your box, measured: predict its measurements, fit it, and use the fitted box (docs/simulate.md).
TEST(MeasurementsCli, PredictFitAndUseTheFittedBox) {
  const std::string src = UA2A_SOURCE_DIR;
  const std::string doc = src + "/docs/validation/measurements/c16.json";
  const auto predicted = run_cli("simulate --measurements " + doc + " --json");
  ASSERT_EQ(predicted.exit_code, 0) << predicted.out;
  const json p = json::parse(predicted.stdout_text);
  EXPECT_EQ(p.at("format"), "ulysses-a2a/prediction");
  ASSERT_EQ(p.at("points").size(), 3u);
  EXPECT_EQ(p["points"][0]["measured_gbps"], 53.8);
  EXPECT_NE(p.at("calibration").get<std::string>().find("uncalibrated"), std::string::npos);

  const auto dir = std::filesystem::temp_directory_path() / ("ua2a_fit_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string fitted = (dir / "fitted.dot").string(), cal = (dir / "cal.json").string();
  const auto fit = run_cli("calibrate --measurements " + doc + " -o " + fitted + " --json-out " + cal);
  ASSERT_EQ(fit.exit_code, 0) << fit.out;
  EXPECT_NE(fit.out.find("leave-one-out"), std::string::npos) << fit.out;
  const json c = json::parse(read_text(cal));
  EXPECT_EQ(c.at("format"), "ulysses-a2a/box-calibration");
  EXPECT_LT(c.at("fit_worst").get<double>(), c.at("uncalibrated_worst").get<double>());

  // The fitted box is a box like any other: simulate takes it and says it is calibrated.
  const auto again = run_cli("simulate --topology " + fitted + " --measurements " + doc);
  ASSERT_EQ(again.exit_code, 0) << again.out;
  EXPECT_NE(again.out.find("calibrated on 3 of its own measurements"), std::string::npos) << again.out;
  const auto study = run_cli("simulate --topology " + fitted + " --algo round-robin --transport cuda-p2p --bytes 1048576");
  EXPECT_EQ(study.exit_code, 0) << study.out;
  EXPECT_NE(study.out.find("calibrated on 3"), std::string::npos) << study.out;
  std::filesystem::remove_all(dir);
}
