// render_report_pictures: the pictures the main job writes next to its report.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support.h"
#include "schedule/generators.h"
#include "schedule/payload.h"
#include "tests/viz/svg_check.h"
#include "viz/report.h"

using namespace ua2a;
namespace fs = std::filesystem;

namespace {

using ua2a::testing::read_text;

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("ua2a-viz-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace

TEST(ReportPictures, ScheduleOnlyWritesPairingsAndRounds) {
  const fs::path dir = fresh_dir("schedule");
  const auto written = viz::render_report_pictures(dir.string(), round_robin(8, uniform_payload(1, true, 1)), "");
  ASSERT_EQ(written.size(), 2u);
  for (const auto& path : written) EXPECT_EQ(viz::test::xml_problem(read_text(path)), "") << path;
  EXPECT_TRUE(fs::exists(dir / "pairings.svg"));
  EXPECT_TRUE(fs::exists(dir / "rounds.svg"));
  fs::remove_all(dir);
}

TEST(ReportPictures, WithASimulationAlsoWritesTopologyAndTimeline) {
  const fs::path dir = fresh_dir("sim");
  const std::string sim = read_text(fs::path(UA2A_SOURCE_DIR) / "tests/viz/data/sim-4.json");
  const auto written = viz::render_report_pictures(dir.string(), round_robin(4, uniform_payload(1, true, 1)), sim);
  ASSERT_EQ(written.size(), 4u);
  for (const auto& path : written) EXPECT_EQ(viz::test::xml_problem(read_text(path)), "") << path;
  EXPECT_NE(read_text(dir / "topology-load.svg").find("BOTTLENECK"), std::string::npos);
  EXPECT_NE(read_text(dir / "timeline.svg").find("class=\"transfer\""), std::string::npos);
  fs::remove_all(dir);
}

TEST(ReportPictures, MissingDirectoryIsAnErrorNamingThePath) {
  try {
    viz::render_report_pictures("/nonexistent/ua2a", round_robin(2, uniform_payload(1, true, 1)), "");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/ua2a/pairings.svg"), std::string::npos) << e.what();
  }
}
