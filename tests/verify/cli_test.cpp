// ulysses-a2a verify end to end: exit codes 0 / 1 / 2, the text and JSON reports, file inputs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "schedule/io.h"
#include "tests/support.h"

using ua2a::testing::run_cli;

namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::filesystem::path temp(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("ua2a_verify_cli_" + std::to_string(::getpid()) + "_" + name);
}

}  // namespace

TEST(VerifyCli, RoundRobinPairedHalfPasses) {
  const ua2a::testing::CliResult r = run_cli("verify --ranks 8 --algo round-robin --discipline paired-half");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_TRUE(has(r.out, "deadlock-free: yes")) << r.out;
  EXPECT_TRUE(has(r.out, "verdict: every property holds")) << r.out;
}

TEST(VerifyCli, OddRanksWithByesPass) {
  for (const char* n : {"3", "7", "9"}) {
    const ua2a::testing::CliResult r = run_cli(std::string("verify --ranks ") + n + " --algo round-robin --discipline paired-half");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_TRUE(has(r.out, "round count: " + std::string(n) + " (lower bound " + n + ": optimal)")) << r.out;
  }
}

TEST(VerifyCli, NaiveShiftExitsOneWithTheEightRankCycle) {
  const ua2a::testing::CliResult r = run_cli("verify --ranks 8 --algo shift --discipline naive");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(has(r.out, "wait-for cycle of length 8")) << r.out;
  for (int k = 0; k < 8; ++k) {
    const std::string to = std::to_string((k + 1) % 8);
    EXPECT_TRUE(has(r.out, "rank " + std::to_string(k) + " (step 1: send(to " + to + ", block " + std::to_string(k) +
                               "->" + to + ", part 0, chunk 0, 1048576 B)) waits for rank " + to))
        << r.out;
  }
}

TEST(VerifyCli, JsonReportAndEagerOption) {
  const ua2a::testing::CliResult r = run_cli("verify --ranks 4 --algo shift --discipline naive --json");
  EXPECT_EQ(r.exit_code, 1);
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["execution"]["deadlock"]["cycle"].size(), 4u);
  const ua2a::testing::CliResult eager = run_cli("verify --ranks 4 --algo shift --discipline naive --eager 1048576");
  EXPECT_EQ(eager.exit_code, 0) << eager.out;
  EXPECT_TRUE(has(eager.out, "eager sends up to 1048576 B")) << eager.out;
}

TEST(VerifyCli, BadInputExitsTwo) {
  EXPECT_EQ(run_cli("verify --discipline sideways").exit_code, 2);
  EXPECT_EQ(run_cli("verify --algo circle").exit_code, 2);
  EXPECT_EQ(run_cli("verify --input /nonexistent/schedule.json").exit_code, 2);
  const auto bad = temp("bad.json");
  std::ofstream(bad) << "{\"format\": \"ulysses-a2a/schedule\", \"version\": 1";
  const ua2a::testing::CliResult r = run_cli("verify --input " + bad.string());
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_TRUE(has(r.out, "error")) << r.out;
  std::filesystem::remove(bad);
}

TEST(VerifyCli, ScheduleAndProgramFiles) {
  const auto sched = temp("schedule.json"), progs = temp("programs.json"), pml = temp("model.pml");
  ASSERT_EQ(run_cli("schedule --ranks 5 --algo round-robin --format json -o " + sched.string()).exit_code, 0);
  // A schedule file is lowered with --discipline.
  EXPECT_EQ(run_cli("verify --input " + sched.string() + " --discipline paired-half").exit_code, 0);
  EXPECT_EQ(run_cli("verify --input " + sched.string() + " --discipline naive").exit_code, 1);
  // A programs file is executed as written.
  ASSERT_EQ(run_cli("schedule --ranks 5 --algo shift --discipline naive --format json -o " + progs.string()).exit_code, 0);
  const ua2a::testing::CliResult r = run_cli("verify --input " + progs.string() + " --emit-promela " + pml.string());
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_TRUE(has(r.out, "wait-for cycle of length 5")) << r.out;
  EXPECT_FALSE(has(r.out, "coverage:")) << "programs have no schedule to check";
  const std::string model = ua2a::testing::read_text(pml);
  const std::string first = model.substr(0, model.find('\n'));
  EXPECT_TRUE(has(first, "ulysses-a2a: 5 ranks, algo shift, discipline naive")) << first;
  for (const auto& f : {sched, progs, pml}) std::filesystem::remove(f);
}

TEST(VerifyInput, NumberOverflowIsAFormatError) {
  // Found by fuzz_verify_input: nlohmann's out_of_range escaped the readers' FormatError contract.
  EXPECT_THROW(ua2a::document_kind("{\"format\": 10E8576}"), ua2a::FormatError);
  const auto f = temp("overflow.json");
  std::ofstream(f) << "{\"format\": \"ulysses-a2a/schedule\", \"version\": 1, \"ranks\": 10E8576}";
  const ua2a::testing::CliResult r = run_cli("verify --input " + f.string());
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_TRUE(has(r.out, "not valid JSON")) << r.out;
  std::filesystem::remove(f);
}
