// Pairings and rounds: the arcs drawn for each schedule kind, the DOT text, and the rendered SVG
// and PNG (well-formed, with the expected numbers of nodes and edges).
#include <gtest/gtest.h>

#include <set>

#include "schedule/generators.h"
#include "schedule/payload.h"
#include "tests/viz/svg_check.h"
#include "viz/graphviz.h"
#include "viz/pairings.h"

using namespace ua2a;
using namespace ua2a::viz;
using ua2a::viz::test::count;

namespace {

const Payload kBlock = uniform_payload(1024, true, 1);

std::size_t svg_nodes(const std::string& svg) { return count(svg, "class=\"node\""); }
std::size_t svg_edges(const std::string& svg) { return count(svg, "class=\"edge\""); }

}  // namespace

TEST(RoundArcs, RoundRobinIsTheCircleMethodOnePairPerPair) {
  // Two chunks and three parts per block must still give one arc per pair and round.
  const Schedule s = round_robin(8, uniform_payload(3000, false, 2));
  const RoundArcs arcs = round_arcs(s);
  EXPECT_FALSE(arcs.directed);
  const auto circle = circle_rounds(8);
  ASSERT_EQ(arcs.rounds.size(), circle.size());
  for (std::size_t i = 0; i < circle.size(); ++i) {
    ASSERT_EQ(arcs.rounds[i].size(), circle[i].size()) << "round " << i;
    for (std::size_t j = 0; j < circle[i].size(); ++j)
      EXPECT_EQ(arcs.rounds[i][j], (Arc{circle[i][j].first, circle[i][j].second}));
  }
  EXPECT_EQ(arcs.arc_count(), 28u);  // K_8 has 8 * 7 / 2 edges
}

TEST(RoundArcs, ShiftDrawsOneArrowPerSenderPerRound) {
  const RoundArcs arcs = round_arcs(shift(5, kBlock));
  EXPECT_TRUE(arcs.directed);
  ASSERT_EQ(arcs.rounds.size(), 4u);
  for (std::size_t d = 1; d <= 4; ++d)
    for (Rank r = 0; r < 5; ++r) EXPECT_EQ(arcs.rounds[d - 1][r], (Arc{r, static_cast<Rank>((r + d) % 5)}));
}

TEST(RoundArcs, StaircaseDrawsEachRanksPartnerAtEachExchange) {
  // Staircase: rank r's i-th exchange is with the i-th rank other than r, in rank order.
  const RoundArcs arcs = round_arcs(staircase(4, kBlock));
  EXPECT_TRUE(arcs.directed);
  ASSERT_EQ(arcs.rounds.size(), 3u);
  for (Rank r = 0; r < 4; ++r) {
    std::vector<Rank> partners;
    for (Rank t = 0; t < 4; ++t)
      if (t != r) partners.push_back(t);
    for (std::size_t i = 0; i < 3; ++i)
      EXPECT_NE(std::find(arcs.rounds[i].begin(), arcs.rounds[i].end(), Arc{r, partners[i]}), arcs.rounds[i].end())
          << "rank " << r << " exchange " << i;
  }
}

TEST(RoundArcs, GroupedIsOneRoundOfAllPairs) {
  const RoundArcs arcs = round_arcs(grouped(6, kBlock));
  ASSERT_EQ(arcs.rounds.size(), 1u);
  EXPECT_EQ(arcs.rounds[0].size(), 15u);
}

TEST(PairingsDot, NamesEveryRankAndColoursEveryPairByItsRound) {
  const std::string dot = pairings_dot(round_robin(4, kBlock));
  // Circle method for N = 4: {0-3, 1-2}, {0-2, 1-3}, {0-1, 2-3}; Okabe-Ito orange is round 0.
  EXPECT_NE(dot.find("r0 -- r3 [color=\"#E69F00\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("r0 -- r2 [color=\"#56B4E9\""), std::string::npos);
  EXPECT_NE(dot.find("r0 -- r1 [color=\"#009E73\""), std::string::npos);
  EXPECT_NE(dot.find("r0 [label=\"0\", pos=\"0.0,115.2!\"]"), std::string::npos);  // on top, 1.6 in = 115.2 pt
  EXPECT_EQ(count(dot, " -- r"), 6u);  // the pairs; the legend's samples join legend anchors
  EXPECT_EQ(dot.rfind("graph \"pairings\"", 0), 0u);
}

TEST(PairingsDot, ShiftIsADigraphWithArrows) {
  const std::string dot = pairings_dot(shift(4, kBlock));
  EXPECT_EQ(dot.rfind("digraph", 0), 0u);
  EXPECT_EQ(count(dot, " -> r"), 12u);
  EXPECT_EQ(count(dot, " -- "), 0u);
}

TEST(PairingsDot, RefusesImpossibleRankCounts) {
  Schedule big = round_robin(2, kBlock);
  big.ranks = kMaxPictureRanks + 1;
  EXPECT_THROW(pairings_dot(big), std::invalid_argument);
  EXPECT_THROW(rounds_dot(big), std::invalid_argument);
  Schedule none = big;
  none.ranks = 0;
  EXPECT_THROW(pairings_dot(none), std::invalid_argument);
}

// The rendered picture, for the sizes the issue names: N = 8 and N = 32.
class PairingsSvg : public ::testing::TestWithParam<std::int32_t> {};

TEST_P(PairingsSvg, RoundRobinHasNNodesAndKnEdgesPlusTheLegend) {
  const std::int32_t n = GetParam();
  const Schedule s = round_robin(n, kBlock);
  const std::string svg = render_graph(pairings_dot(s), kPinnedEngine, ImageFormat::svg);
  EXPECT_EQ(test::xml_problem(svg), "");
  const std::size_t rounds = static_cast<std::size_t>(n - 1);
  // Ranks, one label per legend row and the legend's heading (its anchors are invisible).
  EXPECT_EQ(svg_nodes(svg), static_cast<std::size_t>(n) + rounds + 1);
  // The pairs of K_N plus one sample line per legend row.
  EXPECT_EQ(svg_edges(svg), static_cast<std::size_t>(n * (n - 1) / 2) + rounds);
}

TEST_P(PairingsSvg, RoundsGridHasOnePanelPerRound) {
  const std::int32_t n = GetParam();
  const std::string svg = render_graph(rounds_dot(round_robin(n, kBlock)), kPinnedEngine, ImageFormat::svg);
  EXPECT_EQ(test::xml_problem(svg), "");
  const std::size_t rounds = static_cast<std::size_t>(n - 1);
  EXPECT_EQ(svg_nodes(svg), rounds * (static_cast<std::size_t>(n) + 1));  // N ranks and a title each
  EXPECT_EQ(svg_edges(svg), static_cast<std::size_t>(n * (n - 1) / 2));  // each pair once, in its round
  EXPECT_EQ(count(svg, ">round " + std::to_string(n - 2) + "<"), 1u);
}

INSTANTIATE_TEST_SUITE_P(Sizes, PairingsSvg, ::testing::Values(8, 32));

TEST(PairingsSvg, ShiftDrawsNTimesNMinusOneArrows) {
  const std::string svg = render_graph(pairings_dot(shift(8, kBlock)), kPinnedEngine, ImageFormat::svg);
  EXPECT_EQ(test::xml_problem(svg), "");
  EXPECT_EQ(svg_edges(svg), 8u * 7u + 7u);
  // Arrowheads are polygons inside the edges: one per arrow, none on the legend's samples.
  EXPECT_EQ(count(svg, "<polygon fill=\"#"), 8u * 7u);
}

TEST(PairingsPng, IsANonEmptyPng) {
  ASSERT_TRUE(graphviz_supports(ImageFormat::png)) << "Graphviz lacks the cairo PNG plugin (libgvc6)";
  const std::string png = render_graph(pairings_dot(round_robin(8, kBlock)), kPinnedEngine, ImageFormat::png);
  EXPECT_TRUE(test::is_png(png));
  EXPECT_GT(png.size(), 10000u);  // a blank 400 x 300 PNG compresses to far less
}

TEST(PairingsPdf, IsAPdf) {
  ASSERT_TRUE(graphviz_supports(ImageFormat::pdf));
  const std::string pdf = render_graph(rounds_dot(round_robin(4, kBlock)), kPinnedEngine, ImageFormat::pdf);
  EXPECT_EQ(pdf.rfind("%PDF-", 0), 0u);
}

TEST(PairingsDot, HighlightDrawsOneRoundInColourOverGreyOthers) {
  const std::string dot = pairings_dot(round_robin(8, kBlock), {.highlight = 2});
  // Round 2 of the circle method for N = 8: {0-5, 1-2, 3-7, 4-6}, in Okabe-Ito bluish green.
  EXPECT_EQ(count(dot, "color=\"#009E73\""), 4u + 1u);  // its pairs and its legend sample
  EXPECT_EQ(count(dot, "color=\"#E4E4E4\""), 28u - 4u);
  // Drawn last, so on top.
  EXPECT_GT(dot.find("r0 -- r5 [color=\"#009E73\""), dot.find("r0 -- r7 [color=\"#E4E4E4\""));
  EXPECT_NE(dot.find("round 2 highlighted"), std::string::npos);
  EXPECT_THROW(pairings_dot(round_robin(8, kBlock), {.highlight = 7}), std::invalid_argument);
}
