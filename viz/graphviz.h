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
/// `neato -n`: every node's pos (in points) is taken as given and only edges are routed. For
/// pictures whose geometry is computed: at 16k nodes (rounds at N = 128) neato's spring model
/// costs 10 s of CPU even with every node pinned, nop 0.1 s.
inline constexpr const char* kPinnedEngine = "nop";

/// Lays out `dot` with `engine` and renders it as `format` (svg, png or pdf). For
/// ImageFormat::dot returns `dot` unchanged (no layout). Throws GraphvizError with Graphviz's own
/// message when the text does not parse or the format's plugin is missing.
std::string render_graph(const std::string& dot, const std::string& engine, ImageFormat format);

/// Converts an SVG document (the timeline) to `format`: svg returns it unchanged; png and pdf go
/// through Graphviz's rsvg image loader (package libgvc6-plugins-gtk, which libgraphviz-dev
/// depends on): the SVG is the image of a single borderless node. Throws GraphvizError when the
/// loader is missing and std::invalid_argument for ImageFormat::dot (an SVG has no DOT form).
std::string convert_svg(const std::string& svg, ImageFormat format);

/// True when this Graphviz installation can render `format` (png and pdf need the cairo plugin).
bool graphviz_supports(ImageFormat format);

}  // namespace ua2a::viz
