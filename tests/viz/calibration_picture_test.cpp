// The calibration picture: a hand-written document of three points whose figures are chosen so
// that every ordering and every worst error is known by hand; the markers must be where log-log
// axes put them, the diagonal through the points the model got right, the band 25 % either side;
// documents that are malformed, inconsistent or too large are refused naming the file and field.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "tests/viz/svg_check.h"
#include "viz/calibration_picture.h"

using namespace ua2a::viz;
using ua2a::viz::test::count;
using nlohmann::json;

namespace {

/// One point's figures (GB/s) as a test writes them down.
struct Row {
  std::string name;
  double measured, fitted, left_out, uncalibrated;
};

// Errors by hand: fitted +20 %, 0 %, +25 % (worst 25 %); left out +40 %, -37.5 %, -25 % (worst
// 40 %); uncalibrated -50 %, +100 %, -62.5 % (worst 100 %). Point 2's fitted figure equals its
// measurement, so its marker lies on y = x.
const std::vector<Row> kRows = {{"one pair", 10, 12, 14, 5},
                                {"all <to> all & more", 40, 40, 25, 80},
                                {"ring", 160, 200, 120, 60}};

double error(double model, double measured) { return model / measured - 1; }

json box_document(const std::vector<Row>& rows) {
  json points = json::array();
  double fit = 0, loo = 0, uncal = 0;
  for (const Row& r : rows) {
    points.push_back({{"name", r.name}, {"metric", "total"}, {"transport", "cuda-p2p"},
                      {"measured_gbps", r.measured}, {"uncalibrated_gbps", r.uncalibrated},
                      {"fitted_gbps", r.fitted}, {"loo_gbps", r.left_out},
                      {"uncalibrated_error", error(r.uncalibrated, r.measured)},
                      {"fitted_error", error(r.fitted, r.measured)}, {"loo_error", error(r.left_out, r.measured)}});
    fit = std::max(fit, std::abs(error(r.fitted, r.measured)));
    loo = std::max(loo, std::abs(error(r.left_out, r.measured)));
    uncal = std::max(uncal, std::abs(error(r.uncalibrated, r.measured)));
  }
  return {{"format", "ulysses-a2a/box-calibration"}, {"version", 1}, {"box", "test-box"},
          {"parameters", {{{"name", "socket_scale"}, {"start", 1}, {"value", 2.5}, {"pinned_by", {"ring"}}}}},
          {"unpinned", json::array()}, {"points", points}, {"fit_worst", fit}, {"loo_worst", loo},
          {"uncalibrated_worst", uncal}};
}

json prediction_document() {
  json points = json::array();
  for (const auto& [measured, predicted] : std::vector<std::pair<double, double>>{{50, 25}, {20, 22}, {5, 6}})
    points.push_back({{"name", "p" + std::to_string(points.size())}, {"metric", "busbw"},
                      {"measured_gbps", measured}, {"predicted_gbps", predicted},
                      {"error", error(predicted, measured)}});
  return {{"format", "ulysses-a2a/prediction"}, {"version", 1}, {"box", "4090x4"},
          {"calibration", "uncalibrated"}, {"points", points}};
}

struct Point {
  double x, y;
};

/// The translate(x,y) of every `<g class="CLASS"` in document order.
std::vector<Point> markers(const std::string& svg, const std::string& cls) {
  std::vector<Point> out;
  const std::regex re("<g class=\"" + cls + "\" transform=\"translate\\(([-0-9.e+]+),([-0-9.e+]+)\\)\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), re); it != std::sregex_iterator(); ++it)
    out.push_back({std::stod((*it)[1]), std::stod((*it)[2])});
  return out;
}

/// The numbers of the first element `<TAG class="CLASS" ...ATTR="...">`.
std::vector<double> attribute_numbers(const std::string& svg, const std::string& tag_and_class,
                                      const std::string& attr) {
  const std::size_t at = svg.find(tag_and_class);
  EXPECT_NE(at, std::string::npos) << tag_and_class;
  if (at == std::string::npos) return {};
  const std::size_t from = svg.find(attr + "=\"", at) + attr.size() + 2;
  const std::string value = svg.substr(from, svg.find('"', from) - from);
  std::vector<double> numbers;
  const std::regex re("[-0-9.e+]+");
  for (auto it = std::sregex_iterator(value.begin(), value.end(), re); it != std::sregex_iterator(); ++it)
    numbers.push_back(std::stod(it->str()));
  return numbers;
}

std::string refusal(const std::string& text) {
  try {
    calibration_document_from_json(text, "cal.json");
  } catch (const CalibrationDocumentError& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

TEST(CalibrationPicture, OneMarkerOfEachKindPerPointAndWellFormed) {
  const CalibrationDocument doc = calibration_document_from_json(box_document(kRows).dump(), "cal.json");
  EXPECT_TRUE(doc.left_out);
  const std::string svg = calibration_svg(doc);
  EXPECT_EQ(test::xml_problem(svg), "");
  EXPECT_EQ(markers(svg, "fitted").size(), 3u);
  EXPECT_EQ(markers(svg, "left-out").size(), 3u);
  EXPECT_EQ(markers(svg, "uncalibrated").size(), 3u);
  EXPECT_EQ(markers(svg, "predicted").size(), 0u);
  EXPECT_EQ(count(svg, "class=\"diagonal\""), 1u);
  EXPECT_EQ(count(svg, "class=\"band\""), 1u);
  EXPECT_EQ(count(svg, "class=\"point-label\""), 3u);
  EXPECT_EQ(count(svg, "class=\"key\""), 3u);
  // The legend shows the three markers, the line and the band.
  EXPECT_EQ(count(svg, "class=\"legend-sample\""), 5u);
  // Title: the box and the worst errors worked out above; names escaped, in the key.
  EXPECT_NE(svg.find(">test-box: "), std::string::npos);
  EXPECT_NE(svg.find("fitted 25.0 %, left out 40.0 %, uncalibrated 100.0 %"), std::string::npos);
  EXPECT_NE(svg.find(">all &lt;to&gt; all &amp; more</text>"), std::string::npos);
  EXPECT_NE(svg.find("socket_scale 1 → 2.5 (1)"), std::string::npos);
}

TEST(CalibrationPicture, PositionsFollowTheLogOfTheValues) {
  const std::string svg = calibration_svg(calibration_document_from_json(box_document(kRows).dump()));
  const auto fitted = markers(svg, "fitted"), left_out = markers(svg, "left-out"), uncal = markers(svg, "uncalibrated");
  ASSERT_EQ(fitted.size(), 3u);
  ASSERT_EQ(left_out.size(), 3u);
  ASSERT_EQ(uncal.size(), 3u);
  // x is the measurement: the same for a point's three markers, rising with it, and log-scaled:
  // 10 -> 40 and 40 -> 160 are both a factor of 4, so equal steps.
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(left_out[i].x, fitted[i].x, 1e-3);
    EXPECT_NEAR(uncal[i].x, fitted[i].x, 1e-3);
  }
  EXPECT_LT(fitted[0].x, fitted[1].x);
  EXPECT_LT(fitted[1].x, fitted[2].x);
  EXPECT_NEAR(fitted[1].x - fitted[0].x, fitted[2].x - fitted[1].x, 0.01);
  const double per_decade = (fitted[2].x - fitted[0].x) / std::log10(16.0);
  // y is the model, over every marker of every kind: larger values higher up (smaller y), and
  // the same scale as x (a square plot).
  std::vector<std::pair<double, double>> value_y;
  for (std::size_t i = 0; i < 3; ++i) {
    value_y.emplace_back(kRows[i].fitted, fitted[i].y);
    value_y.emplace_back(kRows[i].left_out, left_out[i].y);
    value_y.emplace_back(kRows[i].uncalibrated, uncal[i].y);
  }
  std::sort(value_y.begin(), value_y.end());
  for (std::size_t i = 1; i < value_y.size(); ++i) {
    if (value_y[i].first == value_y[i - 1].first) {
      EXPECT_NEAR(value_y[i].second, value_y[i - 1].second, 1e-3);
      continue;
    }
    EXPECT_LT(value_y[i].second, value_y[i - 1].second) << value_y[i].first << " GB/s";
    EXPECT_NEAR(value_y[i - 1].second - value_y[i].second,
                per_decade * std::log10(value_y[i].first / value_y[i - 1].first), 0.02);
  }
}

TEST(CalibrationPicture, DiagonalThroughExactPointsAndBandTwentyFivePercentAround) {
  const std::string svg = calibration_svg(calibration_document_from_json(box_document(kRows).dump()));
  const auto fitted = markers(svg, "fitted");
  ASSERT_EQ(fitted.size(), 3u);
  const double per_decade = (fitted[2].x - fitted[0].x) / std::log10(16.0);
  const auto x1 = attribute_numbers(svg, "<line class=\"diagonal\"", "x1");
  const auto y1 = attribute_numbers(svg, "<line class=\"diagonal\"", "y1");
  const auto x2 = attribute_numbers(svg, "<line class=\"diagonal\"", "x2");
  const auto y2 = attribute_numbers(svg, "<line class=\"diagonal\"", "y2");
  ASSERT_EQ(x1.size() + y1.size() + x2.size() + y2.size(), 4u);
  const auto diagonal_y = [&](double x) { return y1[0] + (y2[0] - y1[0]) * (x - x1[0]) / (x2[0] - x1[0]); };
  // Point 2 was fitted exactly: on the line. Point 1 is 20 % high: above it by log10(1.2) decades.
  EXPECT_NEAR(diagonal_y(fitted[1].x), fitted[1].y, 0.02);
  EXPECT_NEAR(diagonal_y(fitted[0].x) - fitted[0].y, per_decade * std::log10(1.2), 0.02);
  // The band's corners: the lower edge log10(0.75) decades under the line, the upper log10(1.25) over.
  const auto band = attribute_numbers(svg, "<polygon class=\"band\"", "points");
  ASSERT_EQ(band.size(), 8u);
  for (std::size_t corner = 0; corner < 4; ++corner) {
    const double bx = band[2 * corner], by = band[2 * corner + 1];
    const double expected = per_decade * std::log10(corner < 2 ? 0.75 : 1.25);
    EXPECT_NEAR(diagonal_y(bx) - by, expected, 0.05) << "corner " << corner;
  }
}

TEST(CalibrationPicture, PredictionDocumentHasOneMarkerPerPoint) {
  const CalibrationDocument doc = calibration_document_from_json(prediction_document().dump(), "pred.json");
  EXPECT_EQ(doc.kind, CalibrationDocumentKind::prediction);
  const std::string svg = calibration_svg(doc);
  EXPECT_EQ(test::xml_problem(svg), "");
  EXPECT_EQ(markers(svg, "predicted").size(), 3u);
  EXPECT_EQ(markers(svg, "fitted").size() + markers(svg, "left-out").size() + markers(svg, "uncalibrated").size(), 0u);
  // Errors -50 %, +10 %, +20 %: worst 50 %, median 20 %.
  EXPECT_NE(svg.find("worst |error| over 3 points: 50.0 %, median 20.0 %"), std::string::npos);
  EXPECT_NE(svg.find(">uncalibrated</text>"), std::string::npos);  // the document's statement
  EXPECT_NE(svg.find(">4090x4: predicted against measured</text>"), std::string::npos);
}

TEST(CalibrationPicture, WithoutLeaveOneOutNoLeftOutMarkersAreClaimed) {
  // calibrate --no-leave-one-out writes loo_worst 0 and copies the fitted figures.
  std::vector<Row> rows = kRows;
  for (Row& r : rows) r.left_out = r.fitted;
  json doc = box_document(rows);
  doc["loo_worst"] = 0;
  const CalibrationDocument read = calibration_document_from_json(doc.dump());
  EXPECT_FALSE(read.left_out);
  const std::string svg = calibration_svg(read);
  EXPECT_EQ(markers(svg, "left-out").size(), 0u);
  EXPECT_EQ(markers(svg, "fitted").size(), 3u);
  EXPECT_NE(svg.find("left out: not computed"), std::string::npos);
  // An explicit statement wins.
  doc["leave_one_out"] = false;
  doc["loo_worst"] = 0.25;
  EXPECT_FALSE(calibration_document_from_json(doc.dump()).left_out);
}

TEST(CalibrationPicture, OnePointAndEqualValuesStillGetAnAxis) {
  json doc = prediction_document();
  doc["points"] = {{{"name", "alone"}, {"metric", "total"}, {"measured_gbps", 24}, {"predicted_gbps", 24}, {"error", 0}}};
  const std::string svg = calibration_svg(calibration_document_from_json(doc.dump()));
  EXPECT_EQ(test::xml_problem(svg), "");
  EXPECT_EQ(markers(svg, "predicted").size(), 1u);
  EXPECT_GE(count(svg, "class=\"grid\""), 4u);  // at least two ticks on each axis
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
}

TEST(CalibrationPicture, BadDocumentsAreRefusedNamingFileAndField) {
  struct Case {
    std::string what;
    std::string text;
    std::vector<std::string> words;
  };
  auto edited = [](auto&& edit) {
    json d = box_document(kRows);
    edit(d);
    return d.dump();
  };
  const std::vector<Case> cases = {
      {"not JSON", "{\"format\": ", {"cal.json: is not JSON"}},
      {"not an object", "[1, 2]", {"cal.json: top level: must be a JSON object"}},
      {"number too large for a double", "{\"format\": 1e999}", {"cal.json: is not JSON"}},
      {"another document", R"({"format": "ulysses-a2a/simulation", "version": 1})",
       {"cal.json: format: is 'ulysses-a2a/simulation'", "ulysses-a2a/box-calibration", "ulysses-a2a/prediction",
        "calibrate --measurements"}},
      {"no format", edited([](json& d) { d.erase("format"); }), {"cal.json: format: missing"}},
      {"version", edited([](json& d) { d["version"] = 2; }), {"version: is unsupported", "reads version 1"}},
      {"no points", edited([](json& d) { d.erase("points"); }), {"cal.json: points: missing"}},
      {"empty points", edited([](json& d) { d["points"] = json::array(); }), {"points: is empty"}},
      {"zero GB/s", edited([](json& d) { d["points"][1]["measured_gbps"] = 0; }),
       {"cal.json: points[1].measured_gbps: is 0, outside 1e-06 .. 1e+06"}},
      {"a string for a number", edited([](json& d) { d["points"][0]["fitted_gbps"] = "12"; }),
       {"points[0].fitted_gbps: must be a number"}},
      {"error disagrees", edited([](json& d) { d["points"][2]["fitted_error"] = 0.1; }),
       {"points[2].fitted_error: is +10 % but fitted_gbps / measured_gbps - 1 is +25 %", "write it again"}},
      {"worst disagrees", edited([](json& d) { d["uncalibrated_worst"] = 0.5; }),
       {"cal.json: uncalibrated_worst: is +50 % but the points' largest |error| is +100 %"}},
      {"left-out worst disagrees", edited([](json& d) { d["loo_worst"] = 0.3; }), {"loo_worst: is +30 %"}},
      {"left out missing on one point", edited([](json& d) {
         d["points"][1].erase("loo_gbps");
         d["points"][1].erase("loo_error");
       }),
       {"points[1].loo_gbps: missing"}},
      {"control character", edited([](json& d) { d["points"][0]["name"] = "a\u0001b"; }),
       {"points[0].name: contains a control character"}},
      {"empty name", edited([](json& d) { d["points"][0]["name"] = ""; }), {"points[0].name: is empty"}},
      {"long name", edited([](json& d) { d["points"][0]["name"] = std::string(kMaxCalibrationText + 1, 'x'); }),
       {"points[0].name: is 1025 characters long; at most 1024"}},
      {"too many points", edited([](json& d) {
         d["points"] = json::array();
         for (std::size_t i = 0; i <= kMaxCalibrationPoints; ++i) d["points"].push_back(json::object());
       }),
       {"points: has 4097 entries; at most 4096"}},
      {"pinned_by", edited([](json& d) { d["parameters"][0]["pinned_by"] = {3}; }),
       {"parameters[0].pinned_by[0]: must be a point's name"}},
      {"too large", std::string(kMaxCalibrationDocumentBytes + 1, ' '), {"cal.json: is 16777217 bytes"}},
  };
  for (const Case& c : cases) {
    const std::string message = refusal(c.text);
    for (const std::string& word : c.words)
      EXPECT_NE(message.find(word), std::string::npos) << c.what << ": '" << word << "' not in: " << message;
  }
}

TEST(CalibrationPicture, PredictionPointsAreCheckedToo) {
  json doc = prediction_document();
  doc["points"][0]["error"] = 0.5;  // 25 / 50 - 1 is -50 %
  EXPECT_NE(refusal(doc.dump()).find("points[0].error: is +50 % but predicted_gbps / measured_gbps - 1 is -50 %"),
            std::string::npos);
  doc = prediction_document();
  doc["points"][2].erase("predicted_gbps");
  EXPECT_NE(refusal(doc.dump()).find("points[2].predicted_gbps: missing"), std::string::npos);
}

TEST(CalibrationPicture, DrawingRefusesValuesTheAxesCannotPlace) {
  CalibrationDocument doc = calibration_document_from_json(prediction_document().dump());
  doc.points[0].model_gbps = 0;
  EXPECT_THROW(calibration_svg(doc), std::invalid_argument);
  doc.points.clear();
  EXPECT_THROW(calibration_svg(doc), std::invalid_argument);
}
