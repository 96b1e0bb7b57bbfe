// The simulation document as viz reads it: the hand-written tests/viz/data/sim-4.json follows the
// contract in viz/simulation.h; broken variants must name the field at fault.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support.h"
#include "schedule/io.h"
#include "viz/simulation.h"

using namespace ua2a;
using namespace ua2a::viz;

namespace {

using ua2a::testing::read_source;

const std::string kSim4 = read_source("tests/viz/data/sim-4.json");

/// The error message of reading `doc`, or "" when it reads.
std::string error_of(const nlohmann::json& doc) {
  try {
    simulation_from_json(doc.dump());
  } catch (const FormatError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(SimulationDocument, ReadsTheHandWrittenExample) {
  const Simulation sim = simulation_from_json(kSim4);
  EXPECT_EQ(sim.topology_name, "test-4gpu");
  ASSERT_EQ(sim.runs.size(), 1u);
  const SimulationRun& r = sim.runs[0];
  EXPECT_EQ(r.algo, "round-robin");
  EXPECT_EQ(r.discipline, "paired-full");
  EXPECT_EQ(r.ranks, 4);
  EXPECT_EQ(r.links.size(), 14u);      // 7 full-duplex links
  EXPECT_EQ(r.transfers.size(), 12u);  // N (N - 1)
  EXPECT_EQ(r.round_count(), 3u);
  EXPECT_EQ(r.bottleneck, "sw0->cpu0");
  ASSERT_NE(r.find_link("sw0->cpu0"), nullptr);
  EXPECT_DOUBLE_EQ(r.find_link("sw0->cpu0")->mean_util, 0.9);
  EXPECT_EQ(r.find_link("cpu0->sw0")->util.size(), 4u);
  EXPECT_DOUBLE_EQ(r.transfers[0].end_s, 1e-3);
}

TEST(SimulationDocument, ExtraFieldsAreIgnored) {
  auto doc = nlohmann::json::parse(kSim4);
  doc["runs"][0]["something_new"] = {1, 2, 3};
  doc["runs"][0]["transfers"][0]["route"] = "host-staged";
  EXPECT_EQ(error_of(doc), "");
}

TEST(SimulationDocument, ErrorsNameTheField) {
  const auto base = nlohmann::json::parse(kSim4);
  struct Case {
    const char* expect;
    std::function<void(nlohmann::json&)> spoil;
  };
  const std::vector<Case> cases = {
      {"format", [](auto& d) { d["format"] = "ulysses-a2a/schedule"; }},
      {"version", [](auto& d) { d["version"] = 2; }},
      {"runs[0].time_s", [](auto& d) { d["runs"][0].erase("time_s"); }},
      {"runs[0].transfers[3].dst", [](auto& d) { d["runs"][0]["transfers"][3]["dst"] = 4; }},
      {"runs[0].transfers[2].end_s", [](auto& d) { d["runs"][0]["transfers"][2]["end_s"] = -1; }},
      {"runs[0].links[1].util[1]", [](auto& d) { d["runs"][0]["links"][1]["util"][1] = {-1.0, 0.5}; }},
      {"runs[0].links[0].peak_util", [](auto& d) { d["runs"][0]["links"][0]["peak_util"] = 3; }},
      {"runs[0].rank_finish_s", [](auto& d) { d["runs"][0]["rank_finish_s"].erase(0); }},
      {"runs[0].bottleneck", [](auto& d) { d["runs"][0]["bottleneck"] = 3; }},
      {"runs[0].links[2].kind", [](auto& d) { d["runs"][0]["links"][2]["kind"] = false; }},
      {"runs[0].algo", [](auto& d) { d["runs"][0]["algo"] = 7; }},
      {"topology", [](auto& d) { d.erase("topology"); }},
      {"runs", [](auto& d) { d["runs"] = nlohmann::json::array(); }},
  };
  for (const Case& c : cases) {
    auto doc = base;
    c.spoil(doc);
    const std::string message = error_of(doc);
    EXPECT_NE(message.find(c.expect), std::string::npos) << "expected '" << c.expect << "' in: " << message;
  }
}

TEST(SimulationDocument, NamesAreDrawableAndRangesReadable) {
  // A link name with a control character would end up in SVG, where XML forbids it.
  auto doc = nlohmann::json::parse(kSim4);
  doc["runs"][0]["links"][0]["name"] = "sw0\x01";
  EXPECT_NE(error_of(doc).find("runs[0].links[0].name: contains a control character"), std::string::npos)
      << error_of(doc);
  // A bound is printed as a person reads it, not as the 309 digits of the largest double.
  doc = nlohmann::json::parse(kSim4);
  doc["runs"][0]["transfers"][2]["end_s"] = -1;
  EXPECT_NE(error_of(doc).find("is -1, outside 0 .. 1.79769e+308"), std::string::npos) << error_of(doc);
}

TEST(SimulationDocument, NotJsonIsAFormatError) {
  EXPECT_THROW(simulation_from_json("{\"format\": "), FormatError);
  EXPECT_THROW(simulation_from_json("[]"), FormatError);
  // A number too large for a double: nlohmann throws out_of_range, not parse_error (found by
  // fuzz_simulation_json once the library was instrumented).
  EXPECT_THROW(simulation_from_json("8889e8882888"), FormatError);
  EXPECT_THROW(simulation_from_json("{\"format\": 1e999999}"), FormatError);
}

TEST(SimulationDocument, SelectRunNamesTheCount) {
  const Simulation sim = simulation_from_json(kSim4);
  EXPECT_EQ(&select_run(sim, 0), &sim.runs[0]);
  try {
    select_run(sim, 3);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("1 run(s)"), std::string::npos) << e.what();
  }
}
