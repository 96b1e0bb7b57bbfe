// The libgvc seam, the output formats and the palettes.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "tests/viz/svg_check.h"
#include "viz/format.h"
#include "viz/graphviz.h"
#include "viz/palette.h"

using namespace ua2a::viz;

TEST(Graphviz, RendersSvgOfATinyGraph) {
  const std::string svg = render_graph("digraph { a -> b; b -> c; }", kDotEngine, ImageFormat::svg);
  EXPECT_EQ(test::xml_problem(svg), "");
  EXPECT_EQ(test::count(svg, "class=\"node\""), 3u);
  EXPECT_EQ(test::count(svg, "class=\"edge\""), 2u);
}

TEST(Graphviz, DotFormatReturnsTheTextUnchanged) {
  EXPECT_EQ(render_graph("not even dot", kDotEngine, ImageFormat::dot), "not even dot");
}

TEST(Graphviz, BadDotIsAGraphvizErrorWithItsMessage) {
  try {
    render_graph("digraph { a -> ; }", kDotEngine, ImageFormat::svg);
    FAIL() << "no error";
  } catch (const GraphvizError& e) {
    EXPECT_NE(std::string(e.what()).find("could not parse"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("syntax error"), std::string::npos) << e.what();
  }
  // The context is usable again after an error.
  EXPECT_FALSE(render_graph("graph { x }", kNeatoEngine, ImageFormat::svg).empty());
}

TEST(Graphviz, UnknownEngineIsAnError) {
  EXPECT_THROW(render_graph("graph { x }", "no-such-engine", ImageFormat::svg), GraphvizError);
}

TEST(Graphviz, CairoPluginsArePresent) {
  // scripts/install-deps.sh installs graphviz and libgraphviz-dev, which bring libgvc6 and its
  // cairo plugin; without it PNG and PDF cannot be written.
  EXPECT_TRUE(graphviz_supports(ImageFormat::svg));
  EXPECT_TRUE(graphviz_supports(ImageFormat::png));
  EXPECT_TRUE(graphviz_supports(ImageFormat::pdf));
}

TEST(Format, FromExtensionOrName) {
  EXPECT_EQ(format_from_path("out/pairings.svg"), ImageFormat::svg);
  EXPECT_EQ(format_from_path("a.PNG"), ImageFormat::png);
  EXPECT_EQ(format_from_path("a.pdf"), ImageFormat::pdf);
  EXPECT_EQ(format_from_path("a.gv"), ImageFormat::dot);
  EXPECT_EQ(choose_format("png", "a.svg"), ImageFormat::png);  // --format wins
  EXPECT_EQ(to_string(parse_image_format("Dot")), "dot");
}

TEST(Format, UnknownOrMissingExtensionNamesThePathAndTheFix) {
  for (const char* path : {"picture", "dir.d/picture", "a.jpeg"}) {
    try {
      format_from_path(path);
      FAIL() << path;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("--format"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(parse_image_format("gif"), std::invalid_argument);
}

TEST(Palette, EightRoundsGetEightDistinctSolidColours) {
  std::set<std::string> colours;
  for (std::size_t r = 0; r < 8; ++r) {
    const RoundStyle s = round_style(r, 8);
    EXPECT_EQ(s.line, LineStyle::solid);
    colours.insert(s.colour);
  }
  EXPECT_EQ(colours.size(), 8u);
  EXPECT_EQ(round_style(0, 7).colour, "#E69F00");  // Okabe-Ito orange first
}

TEST(Palette, LongSchedulesNeverRepeatColourAndStyleWithin36Rounds) {
  std::set<std::pair<std::string, LineStyle>> seen;
  for (std::size_t r = 0; r < 36; ++r) {
    const RoundStyle s = round_style(r, 63);
    EXPECT_TRUE(seen.emplace(s.colour, s.line).second) << "round " << r;
  }
}

namespace {
double luminance(const std::string& hex) {
  const unsigned rgb = static_cast<unsigned>(std::stoul(hex.substr(1), nullptr, 16));
  return 0.2126 * ((rgb >> 16) & 255) + 0.7152 * ((rgb >> 8) & 255) + 0.0722 * (rgb & 255);
}
}  // namespace

TEST(Palette, UtilisationScaleDarkensMonotonically) {
  // A sequential scale must read in grey too: busier is always darker.
  double last = 1e9;
  for (int i = 0; i <= 20; ++i) {
    const double l = luminance(utilisation_colour(i / 20.0));
    EXPECT_LT(l, last) << "u = " << i / 20.0;
    last = l;
  }
  EXPECT_EQ(utilisation_colour(-1), utilisation_colour(0));
  EXPECT_EQ(utilisation_colour(7), utilisation_colour(1));
  EXPECT_EQ(utilisation_colour(NAN), utilisation_colour(0));
}

TEST(Palette, TextColourContrastsWithTheFill) {
  EXPECT_EQ(text_colour_on("#000000"), "#FFFFFF");
  EXPECT_EQ(text_colour_on("#FEE391"), "#000000");
  EXPECT_EQ(text_colour_on(utilisation_colour(1)), "#FFFFFF");
}
