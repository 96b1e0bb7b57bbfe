// The run and bench commands end to end: exit codes, the check verdict and the JSON form.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/support.h"

using ua2a::testing::CliResult;
using ua2a::testing::run_cli;

TEST(RunCommand, ThreadsEightRanksPassesInBf16AndFp8) {
  for (const char* dtype : {"bf16", "fp8"}) {
    const CliResult r = run_cli(std::string("run --transport threads --ranks 8 --check --dtype ") + dtype);
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find("result: PASS"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("exactly once: all 56 pieces"), std::string::npos) << r.out;
  }
}

TEST(RunCommand, JsonCarriesErrorsLedgersAndTimes) {
  const CliResult r = run_cli("run --ranks 4 --heads 8 --seq 8 --text-tokens 3 --dtype fp8 --check --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["ok"].get<bool>());
  EXPECT_EQ(j["errors"].size(), 4u);
  EXPECT_GT(j["errors"][0]["max_abs"].get<double>(), 0.0);  // FP8 is lossy: the error is measured, not 0
  EXPECT_EQ(j["forward_ledger"]["arrived"].get<int>(), 12);
  EXPECT_EQ(j["shape"]["heads_per_rank"].get<int>(), 2);
  EXPECT_GT(j["times"]["total_s"].get<double>(), 0.0);
}

TEST(RunCommand, PaddedSequencesAreMaskedAndCheckedAgainstTheUnpaddedOne) {
  // S = 61 on 8 ranks: s = 8, the last 3 image tokens padding (hunyuanvideo-1.5 480p on 16 ranks
  // in miniature).
  const CliResult r = run_cli("run --ranks 8 --heads 16 --image-tokens 61 --text-tokens 5 --check --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["ok"].get<bool>());
  EXPECT_EQ(j["shape"]["seq_per_rank"].get<int>(), 8);
  EXPECT_EQ(j["shape"]["image_tokens"].get<int>(), 61);
  EXPECT_EQ(j["shape"]["padding_tokens"].get<int>(), 3);
  const CliResult text = run_cli("run --ranks 8 --heads 16 --image-tokens 61 --check");
  EXPECT_NE(text.out.find("S = 61 image tokens: the last 3 of N*s are padding, masked"), std::string::npos) << text.out;
}

TEST(RunCommand, UserErrorsExitTwoWithTheFix) {
  CliResult r = run_cli("run --ranks 8 --heads 12");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("pick H divisible by N"), std::string::npos) << r.out;
  r = run_cli("run --head-dim 80");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("head dims 64 and 128"), std::string::npos) << r.out;
  r = run_cli("run --discipline naive --ranks 2 --heads 2");
  EXPECT_EQ(r.exit_code, 1) << "a deadlock is a property violated (README, exit codes)";
  EXPECT_NE(r.out.find("deadlock"), std::string::npos) << r.out;
  r = run_cli("run --model wan2.1-14b-480p --seq 5");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  r = run_cli("run --mpi");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("--mpi applies to --transport nccl only"), std::string::npos) << r.out;
  r = run_cli("run --model wan9");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("wan2.1-14b, wan2.1-1.3b"), std::string::npos) << r.out;
}

TEST(BenchCommand, PrintsOneVerifiedLinePerSizeAndSchedule) {
  const CliResult r = run_cli("bench --ranks 4 -b 4K -e 16K -n 2 -w 1 --algo round-robin --discipline paired-half,grouped --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["format"], "ulysses-a2a/bench");
  ASSERT_EQ(j["exchange"].size(), 4u);  // 2 sizes (4 KiB, 16 KiB) x 2 disciplines
  for (const auto& line : j["exchange"]) {
    EXPECT_EQ(line["wrong"].get<int>(), 0);
    EXPECT_EQ(line["size_bytes"].get<std::uint64_t>(), 4 * line["block_bytes"].get<std::uint64_t>());
    EXPECT_NEAR(line["busbw_gbps"].get<double>(), line["algbw_gbps"].get<double>() * 3 / 4, 1e-9);
  }
  EXPECT_GT(j["layer"]["attention_s"].get<double>(), 0.0);
}
