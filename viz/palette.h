#pragma once
/// Colour-blind-safe colours for every picture: categorical colours for rounds and a sequential
/// scale for link utilisation.
///
/// Rounds: up to 8 rounds use Okabe & Ito's eight colours (distinguishable under all three common
/// colour-vision deficiencies). Longer schedules cycle Paul Tol's 9-colour "muted" set and change
/// the line style each cycle, so round 1 and round 10 differ by dash pattern, not by hue alone.
/// Utilisation: Paul Tol's "YlOrBr" sequential scale (light = idle, dark brown = saturated), which
/// stays monotone in lightness and so reads the same in grey.
#include <cstddef>
#include <string>

namespace ua2a::viz {

/// Line style of a round's edges; the second and later cycles of colours use the later styles.
enum class LineStyle { solid, dashed, dotted, bold };

/// How round `round` of `rounds` is drawn.
struct RoundStyle {
  std::string colour;  ///< "#RRGGBB"
  LineStyle line = LineStyle::solid;
};

/// Style of round `round` (0-based) in a schedule with `rounds` rounds.
RoundStyle round_style(std::size_t round, std::size_t rounds);
/// Graphviz `style` attribute value for `line` ("solid", "dashed", "dotted"); bold is drawn solid
/// and the caller makes it wider (penwidth), since Graphviz's own "bold" fixes the width.
const char* graphviz_style(LineStyle line);
/// SVG `stroke-dasharray` value for `line` ("none" for solid and bold).
const char* svg_dasharray(LineStyle line);

/// Colour of utilisation `u` (clamped to 0..1) on the sequential scale.
std::string utilisation_colour(double u);
/// Black or white, whichever reads better on top of `fill` ("#RRGGBB").
std::string text_colour_on(const std::string& fill);

}  // namespace ua2a::viz
