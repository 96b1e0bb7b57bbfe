// The timeline SVG: one bar per transfer in its sender's and receiver's rows, link lanes for the
// busiest links, a time axis in the right unit; well-formed whatever the run.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/support.h"
#include "tests/viz/svg_check.h"
#include "viz/simulation.h"
#include "viz/timeline.h"

using namespace ua2a;
using namespace ua2a::viz;
using ua2a::viz::test::count;

namespace {

SimulationRun example_run() {
  return simulation_from_json(ua2a::testing::read_source("tests/viz/data/sim-4.json")).runs.at(0);
}

/// A run of `n` transfers from rank 0 to rank 1, all at the same time (worst case for stacking).
SimulationRun overlapping_run(std::uint32_t n) {
  SimulationRun r{.algo = "grouped", .discipline = "grouped", .transport = "shm", .ranks = 2};
  r.time_s = 2e-6;
  r.rank_finish_s = {2e-6, 2e-6};
  for (std::uint32_t i = 0; i < n; ++i)
    r.transfers.push_back({.src = 0, .dst = 1, .chunk = i, .bytes = 100, .round = 0, .start_s = 0, .end_s = 2e-6});
  return r;
}

}  // namespace

TEST(Timeline, OneBarPerTransferAndALaneForEachBusyLink) {
  const SimulationRun run = example_run();
  const std::string svg = timeline_svg(run, "test-4gpu");
  EXPECT_EQ(test::xml_problem(svg), "");
  // Each transfer is drawn twice: in the sender's send row and in the receiver's recv row.
  EXPECT_EQ(count(svg, "class=\"transfer\""), 2 * run.transfers.size());
  EXPECT_EQ(count(svg, "class=\"util\""), 8u);  // 14 links carried bytes; the default plots 8
  EXPECT_EQ(count(svg, "class=\"finish\""), 4u);
  EXPECT_EQ(count(svg, "class=\"legend\""), 3u);  // rounds 0, 1, 2
  EXPECT_NE(svg.find(">ms</text>"), std::string::npos);  // a 3 ms run is labelled in ms
  EXPECT_NE(svg.find(">2.5</text>"), std::string::npos);  // ticks every 0.5 ms
  EXPECT_NE(svg.find("round-robin, paired-full, shm, 4 ranks on test-4gpu"), std::string::npos);
}

TEST(Timeline, BottleneckLaneIsMarkedEvenWhenNotAmongTheBusiest) {
  SimulationRun run = example_run();
  run.bottleneck = "gpu3->sw1";  // 3 MB, fewer bytes than the uplinks
  const std::string svg = timeline_svg(run, "t", {.link_lanes = 2});
  EXPECT_EQ(count(svg, "class=\"util\""), 2u);
  EXPECT_NE(svg.find(">gpu3-&gt;sw1</text>"), std::string::npos);
  EXPECT_NE(svg.find(">bottleneck, "), std::string::npos);
}

TEST(Timeline, NoLinkLanesOnRequest) {
  const std::string svg = timeline_svg(example_run(), "t", {.link_lanes = 0});
  EXPECT_EQ(count(svg, "class=\"util\""), 0u);
  EXPECT_EQ(test::xml_problem(svg), "");
}

TEST(Timeline, OverlappingTransfersStackUpToTheTrackLimit) {
  const std::string two = timeline_svg(overlapping_run(2), "t");
  const std::string many = timeline_svg(overlapping_run(20), "t");
  EXPECT_EQ(test::xml_problem(many), "");
  EXPECT_EQ(count(many, "class=\"transfer\""), 40u);
  EXPECT_NE(many.find(">us</text>"), std::string::npos);  // a 2 us run is labelled in us
  // Distinct bar rows (y positions): 2 tracks in each row for 2 transfers, kMaxTracks for 20.
  auto rows = [](const std::string& svg) {
    std::set<std::string> ys;
    for (std::size_t p = svg.find("class=\"transfer\""); p != std::string::npos;
         p = svg.find("class=\"transfer\"", p + 1)) {
      const std::size_t y = svg.find(" y=\"", p) + 4;
      ys.insert(svg.substr(y, svg.find('"', y) - y));
    }
    return ys.size();
  };
  EXPECT_EQ(rows(two), 4u);
  EXPECT_EQ(rows(many), 2 * kMaxTracks);
}

TEST(Timeline, EmptyRunStillDrawsAnAxis) {
  SimulationRun run{.algo = "x", .discipline = "y", .transport = "z", .ranks = 1};
  run.rank_finish_s = {0};
  const std::string svg = timeline_svg(run, "t");
  EXPECT_EQ(test::xml_problem(svg), "");
  EXPECT_EQ(count(svg, "class=\"tick\""), 6u);  // an empty run spans 1 us: ticks 0 to 1 in steps of 0.2
}

TEST(Timeline, EscapesNamesFromTheDocument) {
  SimulationRun run = example_run();
  run.algo = "<script>&";
  const std::string svg = timeline_svg(run, "a\"b");
  EXPECT_EQ(test::xml_problem(svg), "");
  EXPECT_EQ(svg.find("<script>"), std::string::npos);
}
