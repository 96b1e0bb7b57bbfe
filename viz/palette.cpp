#include "viz/palette.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

namespace ua2a::viz {

namespace {

// Okabe & Ito (2008). Yellow moved last: thin yellow lines fade on white, and N = 8 (7 rounds)
// then never needs it.
constexpr std::array<const char*, 8> kOkabeIto = {"#E69F00", "#56B4E9", "#009E73", "#0072B2",
                                                   "#D55E00", "#CC79A7", "#000000", "#F0E442"};
// Paul Tol, "muted" qualitative scheme (https://personal.sron.nl/~pault/).
constexpr std::array<const char*, 9> kTolMuted = {"#332288", "#88CCEE", "#44AA99", "#117733", "#999933",
                                                  "#DDCC77", "#CC6677", "#882255", "#AA4499"};
// Paul Tol, "YlOrBr" sequential scheme without its two palest stops: those vanish on white paper.
constexpr std::array<unsigned, 7> kYlOrBr = {0xFEE391, 0xFEC44F, 0xFB9A29, 0xEC7014,
                                             0xCC4C02, 0x993404, 0x662506};
constexpr std::array<LineStyle, 4> kCycleStyles = {LineStyle::solid, LineStyle::dashed, LineStyle::dotted,
                                                   LineStyle::bold};

std::string hex(unsigned rgb) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%06X", rgb & 0xFFFFFFu);
  return buf;
}

unsigned channel(unsigned rgb, int shift) { return (rgb >> shift) & 0xFFu; }

}  // namespace

RoundStyle round_style(std::size_t round, std::size_t rounds) {
  if (rounds <= kOkabeIto.size()) return {kOkabeIto[round % kOkabeIto.size()], LineStyle::solid};
  const std::size_t cycle = round / kTolMuted.size();
  return {kTolMuted[round % kTolMuted.size()], kCycleStyles[cycle % kCycleStyles.size()]};
}

const char* graphviz_style(LineStyle line) {
  switch (line) {
    case LineStyle::dashed: return "dashed";
    case LineStyle::dotted: return "dotted";
    case LineStyle::solid:
    case LineStyle::bold: break;  // Graphviz's "bold" would fix the width at 2: callers widen instead
  }
  return "solid";
}

const char* svg_dasharray(LineStyle line) {
  switch (line) {
    case LineStyle::dashed: return "6,3";
    case LineStyle::dotted: return "1.5,2.5";
    case LineStyle::solid:
    case LineStyle::bold: break;
  }
  return "none";
}

std::string utilisation_colour(double u) {
  if (!(u > 0)) u = 0;  // also catches NaN
  u = std::min(u, 1.0);
  const double x = u * (kYlOrBr.size() - 1);
  const std::size_t i = std::min(static_cast<std::size_t>(x), kYlOrBr.size() - 2);
  const double f = x - static_cast<double>(i);
  unsigned rgb = 0;
  for (int shift : {16, 8, 0}) {
    const double a = channel(kYlOrBr[i], shift), b = channel(kYlOrBr[i + 1], shift);
    rgb |= static_cast<unsigned>(std::lround(a + (b - a) * f)) << shift;
  }
  return hex(rgb);
}

std::string text_colour_on(const std::string& fill) {
  if (fill.size() != 7 || fill[0] != '#') return "#000000";
  const unsigned rgb = static_cast<unsigned>(std::stoul(fill.substr(1), nullptr, 16));
  // Relative luminance with the sRGB weights; 0.5 splits dark fills from light ones.
  const double y = (0.2126 * channel(rgb, 16) + 0.7152 * channel(rgb, 8) + 0.0722 * channel(rgb, 0)) / 255.0;
  return y < 0.5 ? "#FFFFFF" : "#000000";
}

}  // namespace ua2a::viz
