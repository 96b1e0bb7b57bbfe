// The only file that includes Graphviz headers: layout and rendering through libgvc, in memory.
#include "viz/graphviz.h"

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>

#include "viz/text.h"

namespace ua2a::viz {

namespace {

// Graphviz keeps global state (error hooks, the parser); one render at a time.
std::mutex g_graphviz_mutex;
// Graphviz reports through a C callback without a user pointer, so messages go to a static
// buffer that the mutex above protects.
std::string g_messages;

int collect_message(char* text) {
  g_messages += text;
  return 0;
}

struct ContextDeleter {
  void operator()(GVC_t* gvc) const { gvFreeContext(gvc); }
};
struct GraphDeleter {
  void operator()(Agraph_t* g) const { agclose(g); }
};
using Context = std::unique_ptr<GVC_t, ContextDeleter>;
using Graph = std::unique_ptr<Agraph_t, GraphDeleter>;

/// gvLayout and gvFreeLayout as a scope, so the layout is freed before the graph is closed.
class Layout {
 public:
  Layout(GVC_t* gvc, Agraph_t* g, const char* engine) : gvc_(gvc), g_(g) {
    if (gvLayout(gvc, g, engine) != 0)
      throw GraphvizError(std::string("Graphviz could not lay out the graph with '") + engine + "': " + g_messages);
  }
  ~Layout() { gvFreeLayout(gvc_, g_); }
  Layout(const Layout&) = delete;
  Layout& operator=(const Layout&) = delete;

 private:
  GVC_t* gvc_;
  Agraph_t* g_;
};

/// The process's one Graphviz context, freed at exit. One, not one per picture: libgvc 2.42
/// caches the last font name in a static that gvFreeContext frees without clearing, so the next
/// context's first label reads freed memory (AddressSanitizer: heap-use-after-free in
/// textspan_size, from the pango plugin).
GVC_t* context() {
  static const Context gvc(gvContext());
  if (!gvc) throw GraphvizError("Graphviz could not create a context (is libgvc installed?)");
  return gvc.get();
}

std::string render_locked(const std::string& dot, const std::string& engine, ImageFormat format) {
  g_messages.clear();
  agseterrf(collect_message);
  GVC_t* const gvc = context();
  Graph g(agmemread(dot.c_str()));
  if (!g) throw GraphvizError("Graphviz could not parse the DOT text: " + g_messages);
  Layout layout(gvc, g.get(), engine.c_str());
  char* data = nullptr;
  unsigned int length = 0;
  const std::string name = to_string(format);
  if (gvRenderData(gvc, g.get(), name.c_str(), &data, &length) != 0 || data == nullptr) {
    if (data) gvFreeRenderData(data);
    throw GraphvizError("Graphviz cannot render " + name +
                        (format == ImageFormat::svg ? std::string()
                                                    : " (install the cairo plugin, Debian package libgvc6)") +
                        ": " + g_messages);
  }
  std::string out(data, length);
  gvFreeRenderData(data);
  return out;
}

}  // namespace

}  // namespace ua2a::viz

// Graphviz's and fontconfig's caches, never freed, are suppressed by exact frame in
// tests/lsan.supp, which scripts/test.sh passes to every sanitized run (LSAN_OPTIONS); a hook here
// matched whole libraries and so also hid leaks of ours that passed through them.

namespace ua2a::viz {

std::string render_graph(const std::string& dot, const std::string& engine, ImageFormat format) {
  if (format == ImageFormat::dot) return dot;
  std::lock_guard lock(g_graphviz_mutex);
  return render_locked(dot, engine, format);
}

namespace {

/// A temporary file holding `text`, removed when this goes out of scope.
class TempFile {
 public:
  TempFile(const std::string& text, const char* suffix) {
    std::string pattern = "/tmp/ua2a-viz-XXXXXX" + std::string(suffix);
    const int fd = ::mkstemps(pattern.data(), static_cast<int>(std::char_traits<char>::length(suffix)));
    if (fd < 0) throw GraphvizError("cannot create a temporary file in /tmp for the SVG conversion");
    ::close(fd);
    path_ = pattern;
    std::ofstream out(path_, std::ios::binary);
    out << text;
    if (!out) throw GraphvizError("cannot write the temporary file " + path_);
  }
  ~TempFile() { std::remove(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

std::string convert_svg(const std::string& svg, ImageFormat format) {
  if (format == ImageFormat::svg) return svg;
  if (format == ImageFormat::dot) throw std::invalid_argument("an SVG picture has no DOT form: use svg, png or pdf");
  // Graphviz loads node images from files only.
  const TempFile file(svg, ".svg");
  const std::string dot =
      "graph { graph [pad=0, margin=0]; picture [shape=none, margin=0, label=\"\", image=" + dot_quote(file.path()) +
      "] }";
  std::string out = render_graph(dot, kDotEngine, format);
  if (out.size() < 100)  // a missing loader leaves an empty page, not an error
    throw GraphvizError("Graphviz could not load the SVG (is libgvc6-plugins-gtk, its rsvg loader, installed?)");
  return out;
}

bool graphviz_supports(ImageFormat format) {
  try {
    return !render_graph("graph { a }", kDotEngine, format).empty();
  } catch (const GraphvizError&) {
    return false;
  }
}

}  // namespace ua2a::viz
