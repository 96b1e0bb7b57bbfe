#pragma once
/// The one place that talks to Graphviz (libgvc/cgraph): lays out DOT text and renders it, in
/// memory, without running the `dot` program.
#include <stdexcept>
#include <string>

#include "viz/format.h"

namespace ua2a::viz {

/// Graphviz refused a graph or has no plugin for a format.
struct GraphvizError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Layout engine names as Graphviz knows them.
inline constexpr const char* kDotEngine = "dot";      ///< layered (trees, top-down)
inline constexpr const char* kNeatoEngine = "neato";  ///< spring model; honours pinned pos="x,y!"

/// Lays out `dot` with `engine` and renders it as `format` (svg, png or pdf). For
/// ImageFormat::dot returns `dot` unchanged (no layout). Throws GraphvizError with Graphviz's own
/// message when the text does not parse or the format's plugin is missing.
std::string render_graph(const std::string& dot, const std::string& engine, ImageFormat format);

/// True when this Graphviz installation can render `format` (png and pdf need the cairo plugin).
bool graphviz_supports(ImageFormat format);

}  // namespace ua2a::viz
