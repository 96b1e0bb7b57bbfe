// synthesize end to end: the file it writes is proved by verify, timed by simulate and run by
// `run --transport threads --check`, each with the discipline the file records; the same seed
// writes the same bytes.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "schedule/io.h"
#include "tests/support.h"

namespace fs = std::filesystem;
using ua2a::testing::read_text;
using ua2a::testing::run_cli;

namespace {

fs::path scratch() {
  const fs::path dir = fs::temp_directory_path() / ("ua2a-synth-cli-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

}  // namespace

TEST(SynthesizeCli, TheFileRunsEverywhereAsSynthesised) {
  const fs::path dir = scratch();
  const std::string file = (dir / "sched.json").string();
  const auto made = run_cli("synthesize -t 4090x8-2s-sw --p2p --transport p2p --bytes 1048576 --budget 0.3 -o " + file +
                            " --json-out " + (dir / "report.json").string());
  ASSERT_EQ(made.exit_code, 0) << made.out;
  EXPECT_NE(made.out.find("verified deadlock-free and exactly-once"), std::string::npos) << made.out;
  EXPECT_NE(made.out.find("vs the reference (round-robin paired-half"), std::string::npos) << made.out;
  // How sure: the preset box is uncalibrated and the answer says so.
  EXPECT_NE(made.out.find("box 4090x8-2s-sw: uncalibrated"), std::string::npos) << made.out;
  const ua2a::Schedule s = ua2a::schedule_from_json(read_text(file));
  ASSERT_FALSE(s.discipline.empty());
  EXPECT_NE(read_text(dir / "report.json").find("\"format\": \"ulysses-a2a/synthesis\""), std::string::npos);
  EXPECT_NE(read_text(dir / "report.json").find("\"calibration\": \"uncalibrated"), std::string::npos);

  const auto proved = run_cli("verify -i " + file);
  EXPECT_EQ(proved.exit_code, 0) << proved.out;
  EXPECT_NE(proved.out.find(s.discipline), std::string::npos) << proved.out;

  const auto timed = run_cli("simulate -t 4090x8-2s-sw --p2p --transport p2p -i " + file);
  EXPECT_EQ(timed.exit_code, 0) << timed.out;
  EXPECT_NE(timed.out.find(s.discipline), std::string::npos) << timed.out;

  const auto ran = run_cli("run --transport threads --check --seq 8 --heads 8 --head-dim 64 -i " + file);
  EXPECT_EQ(ran.exit_code, 0) << ran.out;
  EXPECT_NE(ran.out.find("result: PASS"), std::string::npos) << ran.out;
  EXPECT_NE(ran.out.find("synthesized (" + file + ") / " + s.discipline), std::string::npos) << ran.out;

  const auto drawn = run_cli("render rounds -i " + file + " -o " + (dir / "rounds.svg").string());
  EXPECT_EQ(drawn.exit_code, 0) << drawn.out;
  EXPECT_NE(read_text(dir / "rounds.svg").find("synthesized, N = 8: " + std::to_string(s.rounds.size()) + " rounds"),
            std::string::npos);
  fs::remove_all(dir);
}

TEST(SynthesizeCli, TheSameSeedWritesTheSameBytes) {
  const fs::path dir = scratch();
  for (const char* name : {"a.json", "b.json"})
    ASSERT_EQ(run_cli("synthesize -t 4090x4 --p2p --transport p2p --bytes 65536 --budget 0.2 --seed 5 --exact -o " + (dir / name).string())
                  .exit_code,
              0);
  EXPECT_EQ(read_text(dir / "a.json"), read_text(dir / "b.json"));
  fs::remove_all(dir);
}

TEST(SynthesizeCli, ReportRanksTheSynthesisedScheduleBesideTheStudy) {
  const fs::path dir = scratch() / "report";
  const auto r = run_cli("report --p2p --synthesize 0.2 --no-layer-check -o " + dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json doc = nlohmann::json::parse(read_text(dir / "report.json"));
  std::map<std::string, double> synthesized, best_study;
  for (const auto& s : doc["schedules"]) {
    const std::string t = s["transport"];
    const double time = s["time_s"];
    if (s["algo"] == "synthesized") {
      EXPECT_TRUE(s["verified"].get<bool>()) << t;
      synthesized[t] = time;
    } else if (!best_study.count(t) || time < best_study[t]) {
      best_study[t] = time;
    }
  }
  ASSERT_EQ(synthesized.size(), 4u);  // one per PCIe transport of the study (--p2p: the patched driver)
  for (const auto& [t, time] : synthesized) EXPECT_LE(time, best_study[t] * (1 + 1e-9)) << t;
  EXPECT_LT(synthesized["p2p"] * 1.1, best_study["p2p"]);  // NCCL's P2P: far ahead of the study
  fs::remove_all(dir);
}
