// `ulysses-a2a schedule` end to end: outputs, files and exit codes as documented.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "schedule/io.h"
#include "tests/support.h"

using ua2a::testing::run_cli;

TEST(ScheduleCli, EightRanksJsonHasTheReferenceRounds) {
  const auto r = run_cli("schedule --ranks 8 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const ua2a::Schedule s = ua2a::schedule_from_json(r.out);
  ASSERT_EQ(s.rounds.size(), 7u);
  EXPECT_EQ(ua2a::round_pairs(s.rounds[1]), (std::vector<std::pair<int, int>>{{0, 6}, {1, 4}, {2, 3}, {5, 7}}));
  EXPECT_NE(r.out.find("\"pairs\": [[0,7],[1,6],[2,5],[3,4]]"), std::string::npos);
}

TEST(ScheduleCli, SevenRanksHaveSevenRoundsWithByes) {
  const auto r = run_cli("schedule --ranks 7");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("7 rounds"), std::string::npos) << r.out;
  for (int bye = 0; bye < 7; ++bye) EXPECT_NE(r.out.find("bye " + std::to_string(bye) + "\n"), std::string::npos) << bye;
}

TEST(ScheduleCli, WritesProgramsToAFile) {
  const auto path = std::filesystem::temp_directory_path() / "ua2a_cli_programs.json";
  const auto r = run_cli("schedule --ranks 4 --discipline paired-half --format json -o " + path.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const ua2a::ProgramSet p = ua2a::programs_from_json(ua2a::testing::read_text(path));
  EXPECT_EQ(p.discipline, "paired-half");
  EXPECT_EQ(p.programs.size(), 4u);
  std::filesystem::remove(path);
}

TEST(ScheduleCli, BadInputExitsTwoWithAMessageNamingIt) {
  struct Case {
    const char* args;
    const char* message;
  };
  for (const Case& c : {Case{"schedule --ranks 0", "--ranks must be at least 1"},
                        Case{"schedule --ranks 6 --algo xor", "power-of-two"},
                        Case{"schedule --chunks 0", "--chunks must be at least 1"},
                        Case{"schedule --algo circle", "unknown algo 'circle'"},
                        Case{"schedule --algo grouped --discipline paired-half", "use paired-full or grouped"},
                        Case{"schedule --seq 16 --heads 30 --ranks 8", "not divisible by --ranks 8"},
                        Case{"schedule --seq 16 --dtype int8", "unknown dtype 'int8'"},
                        Case{"schedule --format yaml", "--format"},
                        Case{"schedule -o /nonexistent/dir/x.json", "cannot write '/nonexistent/dir/x.json'"}}) {
    const auto r = run_cli(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.out;
    EXPECT_NE(r.out.find(c.message), std::string::npos) << c.args << "\n" << r.out;
  }
}

TEST(ScheduleCli, HelpAndVersion) {
  EXPECT_EQ(run_cli("--help").exit_code, 0);
  EXPECT_EQ(run_cli("schedule --help").exit_code, 0);
  const auto v = run_cli("--version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.out.find("ulysses-a2a 0."), std::string::npos) << v.out;
  EXPECT_EQ(run_cli("").exit_code, 2) << "a subcommand is required";
}

TEST(ScheduleCli, ListNamesEveryGenerator) {
  const auto r = run_cli("schedule --list");
  ASSERT_EQ(r.exit_code, 0);
  for (const char* name : {"round-robin", "shift", "xor", "grouped", "staircase"})
    EXPECT_NE(r.out.find(name), std::string::npos) << name;
}
