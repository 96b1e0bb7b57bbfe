// scripts/device_summary.py, the last step of the device run, on hand-written step logs: a GPU
// output with a NaN, beyond its bound or not measured at all fails its line; a clean one passes.
// (The attention difference used to be printed without a bound: NaN reported a TFLOP/s figure.)
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support.h"

namespace fs = std::filesystem;
using ua2a::testing::read_text;

namespace {

nlohmann::json error(double max_ulps, double rms_ulps, int nonfinite = 0) {
  return {{"compared", 1000}, {"nonfinite", nonfinite}, {"max_ulps", max_ulps}, {"rms_ulps", rms_ulps}};
}

nlohmann::json attention_row(std::uint64_t seq, const nlohmann::json& vs_simple_64) {
  return {{"seq", seq}, {"heads", 5}, {"head_dim", 128}, {"compute_capability", 90}, {"flash_tflops", 300.0},
          {"simple_tflops", 5.0}, {"simple_vs_f64", error(3, 0.4)}, {"bound", {{"max_ulps", 16}, {"rms_ulps", 2}}},
          {"tiles", nlohmann::json::array({
                        {{"block_n", 64}, {"tflops", 300.0}, {"vs_simple", vs_simple_64}, {"vs_f64", error(3, 0.6)},
                         {"blocks_per_sm", 3}, {"documented_blocks_per_sm", 3}},
                        {{"block_n", 32}, {"tflops", 250.0}, {"vs_simple", error(2, 0.3)}, {"vs_f64", error(3, 0.6)},
                         {"blocks_per_sm", 1}, {"documented_blocks_per_sm", 2}},
                    })}};
}

/// Runs the summary on a folder holding `files`; returns its output.
std::string summary(const std::map<std::string, nlohmann::json>& files) {
  const fs::path dir = fs::temp_directory_path() / ("ua2a-summary-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const auto& [name, j] : files) std::ofstream(dir / name) << j.dump();
  const std::string out = (dir / "out.txt").string();
  const std::string cmd = "python3 " + std::string(UA2A_SOURCE_DIR) + "/scripts/device_summary.py " + dir.string() +
                          " >" + out + " 2>&1";
  [[maybe_unused]] const int status = std::system(cmd.c_str());
  std::string text = read_text(out);
  fs::remove_all(dir);
  return text;
}

/// The summary's line for target `name` (empty when absent).
std::string line_of(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.find(name) != std::string::npos) return line;
  return "";
}

}  // namespace

TEST(DeviceSummary, JudgesEveryAttentionOutputAndTheKernelsAgainstTheCpu) {
  if (std::system("python3 -c '' 2>/dev/null") != 0) GTEST_SKIP() << "no python3";
  const nlohmann::json kernels = {{"kernels", {{"device", "H200"}, {"vs_cpu", {{"pack_bytes_compared", 10},
                                                                              {"pack_bytes_differing", 0},
                                                                              {"pack_fp8_bytes_differing", 0},
                                                                              {"unpack_elements_compared", 10},
                                                                              {"unpack_elements_differing", 0},
                                                                              {"unpack_fp8_elements_differing", 2}}}}}};
  const nlohmann::json attention = {
      {"attention", nlohmann::json::array({attention_row(76112, error(0, 0, 7)), attention_row(33272, error(20, 1))})}};
  const std::string text = summary({{"bench-kernels.log", kernels}, {"bench-attention.log", attention}});
  EXPECT_NE(line_of(text, "pack/unpack 720p N=8 vs CPU").find("FAIL"), std::string::npos) << text;
  EXPECT_NE(line_of(text, "attention S=76112 h=5 64-key vs simple: NaN/Inf").find("FAIL"), std::string::npos) << text;
  EXPECT_NE(line_of(text, "attention S=33272 h=5 64-key vs simple: max ulps").find("FAIL"), std::string::npos) << text;
  EXPECT_NE(line_of(text, "attention S=33272 h=5 32-key vs simple: max ulps").find("PASS"), std::string::npos) << text;
  EXPECT_NE(line_of(text, "attention S=76112 h=5 64-key vs float64: max ulps").find("PASS"), std::string::npos) << text;
  EXPECT_NE(line_of(text, "flash D=128 64-key blocks/SM").find("PASS"), std::string::npos) << text;
  EXPECT_NE(line_of(text, "flash D=128 32-key blocks/SM").find("FAIL"), std::string::npos) << text;
  EXPECT_NE(text.find("targets: FAIL"), std::string::npos) << text;
}

TEST(DeviceSummary, MissingGpuResultsFailInsteadOfPassing) {
  if (std::system("python3 -c '' 2>/dev/null") != 0) GTEST_SKIP() << "no python3";
  const std::string text = summary({});
  EXPECT_NE(line_of(text, "attention judged at the real shapes").find("FAIL"), std::string::npos) << text;
  EXPECT_NE(line_of(text, "pack/unpack 720p N=8 vs CPU").find("FAIL"), std::string::npos) << text;
}
