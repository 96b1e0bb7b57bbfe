// `ulysses-a2a plan` as a user runs it: the done-when command, its JSON, the picture, and bad
// input (exit 2, a message naming the option).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/support.h"

namespace ua2a::testing {
namespace {

const std::string kDoneWhen = "plan --topology 4090x8-2s-sw --model wan2.1-14b --resolution 480p";

TEST(PlanCli, PrintsTheRankedLayoutsAndARecommendation) {
  const auto t0 = std::chrono::steady_clock::now();
  const CliResult r = run_cli(kDoneWhen);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(r.exit_code, 0) << r.out;
  for (const char* want : {"layout", "a2a_fwd", "attn", "linear", "bottleneck", "vs_ref", "\nref ", "\n1gpu ",
                           "recommendation: ", "Where each stage comes from"})
    EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;
  // The issue asks for under a second; a loaded CI machine gets slack.
  EXPECT_LT(s, 5.0);
}

TEST(PlanCli, JsonCarriesTheSameRanking) {
  const CliResult r = run_cli(kDoneWhen + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["format"], "ulysses-a2a/plan");
  EXPECT_EQ(doc["version"], 1);
  const auto& cs = doc["candidates"];
  ASSERT_GT(cs.size(), 10u);
  double last = 0;
  for (const auto& c : cs) {
    for (const char* key : {"cfg", "ulysses", "ring", "algo", "discipline", "dtype", "overlap", "time_s", "stages"})
      EXPECT_TRUE(c.contains(key)) << key;
    EXPECT_EQ(c["cfg"].get<int>() * c["ulysses"].get<int>() * c["ring"].get<int>(), 8);
    double sum = 0;
    for (const auto& [stage, v] : c["stages"].items()) sum += v.get<double>();
    EXPECT_NEAR(sum, c["time_s"].get<double>(), 1e-9 * sum);
    EXPECT_GE(c["time_s"].get<double>(), last);
    last = c["time_s"].get<double>();
  }
  // The table's count and first row are the JSON's.
  const CliResult table = run_cli(kDoneWhen);
  EXPECT_NE(table.out.find(std::to_string(cs.size()) + " candidates"), std::string::npos);
  EXPECT_EQ(doc["reference"]["algo"], "round-robin");
  EXPECT_EQ(doc["reference"]["discipline"], "paired-half");
  EXPECT_EQ(doc["reference"]["ulysses"], 8);
}

TEST(PlanCli, WritesTheStageBreakdownPicture) {
  const auto path = std::filesystem::temp_directory_path() / "ua2a_plan_test.svg";
  const CliResult r = run_cli(kDoneWhen + " --top 5 --picture " + path.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::string svg = read_text(path);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("<title>attention"), std::string::npos);
  EXPECT_NE(svg.find("one GPU"), std::string::npos);
  EXPECT_NE(svg.find("ref. "), std::string::npos);
  EXPECT_NE(svg.find("| gpus 0-7<"), std::string::npos) << svg;  // the reference's bar names its GPUs
  std::filesystem::remove(path);
}

TEST(PlanCli, BareShapeDefaultsToOneAttention) {
  const CliResult r = run_cli("plan --seq 32760 --heads 40 --head-dim 128 --gpus 8");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("scope attention"), std::string::npos);
  EXPECT_NE(r.out.find("times in ms"), std::string::npos);
}

TEST(PlanCli, TakesTheBoxFromNvidiaSmiText) {
  const CliResult r = run_cli("plan --nvidia-smi " + std::string(UA2A_SOURCE_DIR) + "/tests/sim/data/4090x4.txt --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["gpus"], 4);
  EXPECT_EQ(doc["reference"]["ulysses"], 4);
  const CliResult both = run_cli("plan --topology 4090x4 --nvidia-smi " + std::string(UA2A_SOURCE_DIR) +
                                 "/tests/sim/data/4090x4.txt");
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.out.find("--nvidia-smi"), std::string::npos) << both.out;
}

TEST(PlanCli, OnTheStockDriverOnlyWhatItRunsAndWithP2pTheSettingsNamed) {
  // The default 4090 box: GeForce on the stock driver, no P2P (pcie-facts.md).
  const auto stock = nlohmann::json::parse(run_cli(kDoneWhen + " --json").out);
  for (const auto& c : stock["candidates"]) {
    const std::string t = c["transport"];
    EXPECT_TRUE(t == "shm" || t == "cuda-staged" || t == "-") << t;
    EXPECT_TRUE(c["needs"].empty()) << c.dump();
    EXPECT_FALSE(c["gpus"].get<std::string>().empty());
  }
  const auto& best = stock["recommended"];
  // cfg x ring groups of the recommendation, each group's GPUs in one socket of 4 (0-3, 4-7).
  for (const auto& branch : best["groups"])
    for (const auto& group : branch)
      for (const auto& g : group) EXPECT_EQ(g.get<int>() / 4, group[0].get<int>() / 4) << best.dump();
  // --p2p opens the P2P candidates; a P2P recommendation on GeForce names the patched driver.
  const CliResult p2p = run_cli(kDoneWhen + " --p2p");
  ASSERT_EQ(p2p.exit_code, 0) << p2p.out;
  const auto rec = p2p.out.find("recommendation: ");
  ASSERT_NE(rec, std::string::npos) << p2p.out;
  const std::string line = p2p.out.substr(rec, p2p.out.find('\n', rec) - rec);
  if (line.find(" over p2p") != std::string::npos || line.find(" over cuda-p2p") != std::string::npos)
    EXPECT_NE(p2p.out.find("runs with: the P2P-patched driver", rec), std::string::npos) << p2p.out;
  EXPECT_NE(p2p.out.find("736 candidates"), std::string::npos) << p2p.out;
  // A list of GPUs: the plan uses those, whatever their order.
  const auto listed = nlohmann::json::parse(run_cli(kDoneWhen + " --gpus 5,4,1,0 --json").out);
  EXPECT_EQ(listed["gpus"], 4);
  EXPECT_EQ(listed["reference"]["gpus"], "0-1,4-5");
  EXPECT_EQ(run_cli(kDoneWhen + " --transports cuda-p2p").exit_code, 2);
  const auto only = nlohmann::json::parse(run_cli(kDoneWhen + " --transports cuda-staged --json").out);
  for (const auto& c : only["candidates"]) EXPECT_TRUE(c["transport"] == "cuda-staged" || c["transport"] == "-");
}

TEST(PlanCli, ValidatePrintsTheLightX2VLines) {
  const CliResult r = run_cli("plan --validate");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  for (const char* id : {"4090d-1", "4090d-8-cfg", "4090d-8", "4090d-8-fp8", "h100-1", "h100-8-cfg", "h100-8", "h100-8-fp8"})
    EXPECT_NE(r.out.find(id), std::string::npos) << id;
  EXPECT_NE(r.out.find("fitted: gemm_efficiency"), std::string::npos);
}

TEST(PlanCli, ModelAndGpuFilesPlanWithoutCodeChanges) {
  // A diffusers config.json as published, and a GPU the table does not have.
  const std::string data = std::string(UA2A_SOURCE_DIR) + "/tests/plan/data/";
  const CliResult flux = run_cli("plan --top 2 --model-file " + data + "flux.1-dev.config.json --gpu-file " + data +
                                 "my-gpu.json --topology 4090x4 --json");
  ASSERT_EQ(flux.exit_code, 0) << flux.out;
  const auto doc = nlohmann::json::parse(flux.out);
  EXPECT_EQ(doc["gpu"], "rtx6000ada");
  EXPECT_EQ(doc["workload"]["name"], "FluxTransformer2DModel");
  EXPECT_EQ(doc["workload"]["tokens"], 64 * 64 + 512);  // 1024 x 1024 in 16 x 16 pixel tokens, 512 T5 tokens
  EXPECT_EQ(doc["workload"]["cfg"], false);
  const CliResult mochi = run_cli("plan --top 1 --model mochi-1 --resolution 848x480 --frames 49");
  ASSERT_EQ(mochi.exit_code, 0) << mochi.out;
  EXPECT_NE(mochi.out.find("S = 14566"), std::string::npos) << mochi.out;  // 9 x 30 x 53 + 256
}

TEST(PlanCli, BadInputExitsTwoNamingTheOption) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"plan --gpus 9", "--gpus 9"},
      {"plan --gpu a100", "--gpu"},
      {"plan --model nope", "--model"},
      {"plan --seq 1000", "--heads"},
      {"plan --heads 8", "--seq"},
      {"plan --model wan2.1-14b --seq 1000 --heads 8", "--model"},
      {"plan --seq 1000 --heads 8 --scope step", "--scope step"},
      {"plan --model hunyuanvideo-1.5", "--scope"},
      {"plan --resolution 1080p", "--resolution"},
      {"plan --frames 80", "--frames"},
      {"plan --weights int4", "--weights"},
      {"plan --scope block", "--scope"},
      {"plan --topology nope", "topology"},
      {"plan --batch 2", "--batch"},
  };
  for (const auto& [args, want] : cases) {
    const CliResult r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.out;
    EXPECT_NE(r.out.find(want), std::string::npos) << args << "\n" << r.out;
  }
}

}  // namespace
}  // namespace ua2a::testing
