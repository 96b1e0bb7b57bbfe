// ulysses-a2a render: the pictures from the command line, formats and errors (exit 2).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support.h"
#include "tests/viz/svg_check.h"

namespace fs = std::filesystem;
namespace viz = ua2a::viz;

namespace {

using Result = ua2a::testing::CliResult;

class RenderCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ua2a-render-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Result run(const std::string& args) const { return ua2a::testing::run_cli(args); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  static std::string read(const fs::path& p) { return ua2a::testing::read_text(p); }
  static std::string sim4() { return std::string(UA2A_SOURCE_DIR) + "/tests/viz/data/sim-4.json"; }

  fs::path dir_;
};

}  // namespace

TEST_F(RenderCli, PairingsSvgByExtension) {
  const Result r = run("render pairings --ranks 8 --algo round-robin -o " + path("p.svg"));
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text;
  EXPECT_NE(r.stdout_text.find("wrote pairings"), std::string::npos);
  const std::string svg = read(path("p.svg"));
  EXPECT_EQ(viz::test::xml_problem(svg), "");
  EXPECT_EQ(viz::test::count(svg, "class=\"edge\""), 28u + 7u);
}

TEST_F(RenderCli, RoundsPngAndJsonReport) {
  const Result r = run("render rounds --ranks 6 -a shift -o " + path("r.png") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text;
  EXPECT_TRUE(viz::test::is_png(read(path("r.png"))));
  const auto j = nlohmann::json::parse(r.stdout_text);
  EXPECT_EQ(j["picture"], "rounds");
  EXPECT_EQ(j["format"], "ulysses-a2a/render");
  EXPECT_EQ(j["image_format"], "png");
  EXPECT_EQ(j["edges"], 30);
  EXPECT_EQ(j["directed"], true);
}

TEST_F(RenderCli, FormatOptionOverridesTheExtensionAndDotGoesToStdout) {
  const Result r = run("render pairings --ranks 4 -o - --format dot");
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text;
  EXPECT_EQ(r.stdout_text.rfind("graph \"pairings\"", 0), 0u) << r.stdout_text;
}

TEST_F(RenderCli, TopologyAndTimeline) {
  Result r = run("render topology 4090x8-2s -o " + path("t.svg"));
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text;
  // 8 GPUs, 2 CPUs, 2 memories and the label of the socket link.
  EXPECT_EQ(viz::test::count(read(path("t.svg")), "class=\"node\""), 13u);
  r = run("render timeline " + sim4() + " -o " + path("tl.svg") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text;
  EXPECT_EQ(nlohmann::json::parse(r.stdout_text)["transfers"], 12);
  EXPECT_EQ(viz::test::xml_problem(read(path("tl.svg"))), "");
  // PNG and PDF of the timeline go through Graphviz's SVG loader.
  r = run("render timeline " + sim4() + " -o " + path("tl.png"));
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text;
  const std::string png = read(path("tl.png"));
  EXPECT_TRUE(viz::test::is_png(png));
  EXPECT_GT(png.size(), 20000u);  // a blank page of this size compresses to a few kB
  r = run("render timeline " + sim4() + " -o " + path("tl.pdf"));
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text;
  EXPECT_EQ(read(path("tl.pdf")).rfind("%PDF-", 0), 0u);
}

TEST_F(RenderCli, DrawsWhatSimulateWrites) {
  // The contract end to end: the simulator's command writes the document, render reads it.
  Result r = run("simulate --ranks 8 --algo round-robin --topology 4090x8-2s --with-dot --json-out " +
                 path("sim.json"));
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text;
  r = run("render timeline " + path("sim.json") + " -o " + path("tl.svg"));
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text;
  EXPECT_EQ(viz::test::count(read(path("tl.svg")), "class=\"transfer\""), 2u * 56u);  // 8 x 7 blocks, twice
  r = run("render topology 4090x8-2s --load " + path("sim.json") + " -o " + path("t.svg"));
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text;
  const std::string svg = read(path("t.svg"));
  EXPECT_EQ(viz::test::xml_problem(svg), "");
  EXPECT_EQ(viz::test::count(svg, ">BOTTLENECK"), 1u);
  r = run("render report --ranks 8 -o " + dir_.string() + " --simulation " + path("sim.json") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text;
  EXPECT_EQ(nlohmann::json::parse(r.stdout_text)["pictures"].size(), 4u);
  for (const char* name : {"pairings.svg", "rounds.svg", "topology-load.svg", "timeline.svg"})
    EXPECT_EQ(viz::test::xml_problem(read(dir_ / name)), "") << name;
}

TEST_F(RenderCli, UserErrorsExitTwoWithAMessage) {
  struct Case {
    std::string args;
    const char* expect;
  };
  const std::vector<Case> cases = {
      {"render pairings --ranks 8 -o " + path("p.jpeg"), "--format"},
      {"render timeline " + sim4() + " -o " + path("t.dot"), "no DOT form"},
      {"render topology 4090x8-2s --load " + sim4() + " -o " + path("x.svg"), "gpu0->sw0"},
      {"render topology no-such-box -o " + path("x.svg"), "no-such-box"},
      {"render pairings --ranks 0 -o " + path("x.svg"), "--ranks"},
      {"render timeline " + sim4() + " --run 2 -o " + path("x.svg"), "--run 2"},
      {"render pairings --ranks 4 -o -", "--format"},
  };
  for (const Case& c : cases) {
    const Result r = run(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.stderr_text;
    EXPECT_NE(r.stderr_text.find(c.expect), std::string::npos) << c.args << "\n" << r.stderr_text;
  }
}

TEST_F(RenderCli, CalibrationFromWhatCalibrateAndSimulateWrite) {
  // The contract end to end: calibrate and simulate write the documents, render reads them.
  const std::string c13 = std::string(UA2A_SOURCE_DIR) + "/docs/validation/measurements/c13.json";
  Result r = run("calibrate --measurements " + c13 + " -o " + path("fitted.dot") + " --json-out " + path("cal.json"));
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text;
  const auto points = nlohmann::json::parse(read(path("cal.json")))["points"].size();
  ASSERT_GE(points, 3u);
  r = run("render calibration -i " + path("cal.json") + " -o " + path("cal.svg") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text;
  const auto facts = nlohmann::json::parse(r.stdout_text);
  EXPECT_EQ(facts["picture"], "calibration");
  EXPECT_EQ(facts["points"], points);
  EXPECT_EQ(facts["document"], "ulysses-a2a/box-calibration");
  const std::string svg = read(path("cal.svg"));
  EXPECT_EQ(viz::test::xml_problem(svg), "");
  EXPECT_EQ(viz::test::count(svg, "<g class=\"fitted\""), points);
  EXPECT_EQ(viz::test::count(svg, "<g class=\"left-out\""), points);
  EXPECT_EQ(viz::test::count(svg, "<g class=\"uncalibrated\""), points);
  r = run("render calibration " + path("cal.json") + " -o " + path("cal.png"));
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text;
  EXPECT_TRUE(viz::test::is_png(read(path("cal.png"))));

  r = run("simulate --measurements " + c13 + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  std::ofstream(path("pred.json")) << r.stdout_text;
  r = run("render calibration -i " + path("pred.json") + " -o " + path("pred.svg"));
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text;
  EXPECT_EQ(viz::test::count(read(path("pred.svg")), "<g class=\"predicted\""), points);
}

TEST_F(RenderCli, CalibrationInputErrorsExitTwo) {
  const std::string pred = path("pred.json");
  std::ofstream(pred) << R"({"format": "ulysses-a2a/prediction", "version": 1, "box": "b", "points": [)"
                      << R"({"name": "p", "metric": "total", "measured_gbps": 2, "predicted_gbps": 1, "error": -0.5}]})";
  struct Case {
    std::string args;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {"render calibration -i " + path("none.json") + " -o " + path("x.svg"), "none.json"},
      {"render calibration -i " + sim4() + " -o " + path("x.svg"), "format: is 'ulysses-a2a/simulation'"},
      {"render calibration -i " + pred + " -o " + pred + " --format svg", "is an input"},
      {"render calibration -i " + pred + " -o " + path("x.dot"), "no DOT form"},
      {"render calibration -i " + pred + " -o " + path("no/dir/x.svg"), "no/dir"},
      {"render calibration -i " + dir_.string() + " -o " + path("x.svg"), dir_.string()},
  };
  for (const Case& c : cases) {
    const Result r = run(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.stderr_text;
    EXPECT_NE(r.stderr_text.find(c.expect), std::string::npos) << c.args << "\n" << r.stderr_text;
  }
  EXPECT_FALSE(fs::exists(path("x.svg")));
  EXPECT_EQ(read(pred).rfind("{\"format\": \"ulysses-a2a/prediction\"", 0), 0u);  // the input is intact
}
