// Picture benchmark: what a picture costs, so that the main job knows it can afford to write its
// pictures next to every report. For each picture and size it prints the time to build the DOT
// or SVG text, the time Graphviz takes to lay it out and render it (SVG, then PNG), and the size
// of the result, in wall seconds and this thread's CPU seconds (the one-core figure on a shared
// machine). Each render is checked: the SVG must hold the expected numbers of nodes and edges (or
// transfer bars), the PNG must start with the PNG signature; a failed check exits 1.
//
// Usage: bench_viz [N ...]   (default: 8 32 64 128 for the schedule pictures; the timeline uses
// the N that fit a simulated box of 8-GPU boxes, up to 32).
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "schedule/generators.h"
#include "schedule/lower.h"
#include "schedule/payload.h"
#include "sim/simulate.h"
#include "tests/viz/svg_check.h"
#include "viz/graphviz.h"
#include "viz/pairings.h"
#include "viz/timeline.h"
#include "viz/topology_from_sim.h"

using namespace ua2a;
using namespace ua2a::viz;

namespace {

using Clock = std::chrono::steady_clock;

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

/// Wall and CPU seconds of one call.
struct Timed {
  double wall_s = 0;
  double cpu_s = 0;
};

Timed timed(const std::function<void()>& f) {
  const auto t0 = Clock::now();
  const double c0 = thread_cpu_seconds();
  f();
  return {std::chrono::duration<double>(Clock::now() - t0).count(), thread_cpu_seconds() - c0};
}

bool g_ok = true;

void check(bool ok, const std::string& what) {
  if (ok) return;
  std::printf("CHECK FAILED: %s\n", what.c_str());
  g_ok = false;
}

void row(const std::string& picture, std::int32_t n, Timed text, Timed svg, std::size_t svg_bytes, Timed png,
         std::size_t png_bytes) {
  std::printf("%-22s %5d %9.4f %9.3f %9.3f %9zu %9.3f %9.3f %9zu\n", picture.c_str(), n, text.cpu_s, svg.wall_s,
              svg.cpu_s, svg_bytes, png.wall_s, png.cpu_s, png_bytes);
}

/// A graph picture: DOT text, then SVG and PNG through libgvc; the SVG's nodes and edges counted.
void graph_picture(const std::string& name, std::int32_t n, const std::function<std::string()>& make_dot,
                   const char* engine, std::size_t nodes, std::size_t edges) {
  std::string dot, svg, png;
  const Timed t_text = timed([&] { dot = make_dot(); });
  const Timed t_svg = timed([&] { svg = render_graph(dot, engine, ImageFormat::svg); });
  const Timed t_png = timed([&] { png = render_graph(dot, engine, ImageFormat::png); });
  const std::string where = name + " N = " + std::to_string(n);
  check(test::xml_problem(svg).empty(), where + ": SVG not well-formed");
  check(test::count(svg, "class=\"node\"") == nodes, where + ": node count");
  check(test::count(svg, "class=\"edge\"") == edges, where + ": edge count");
  check(test::is_png(png), where + ": not a PNG");
  row(name, n, t_text, t_svg, svg.size(), t_png, png.size());
}

SimReport simulate_round_robin(const Topology& box, const Schedule& s) {
  const ProgramSet programs = lower(s, Discipline::paired_full);
  return simulate(box, programs, {.schedule = &s});
}

void simulated_pictures(std::int32_t n) {
  const std::int32_t boxes = (n + 7) / 8;
  const Topology box = join_boxes(make_preset("4090x8-2s-sw"), boxes);
  const Schedule s = round_robin(n, uniform_payload(15724800, true, 1));
  const SimReport report = simulate_round_robin(box, s);
  const Simulation sim = simulation_from_json(simulation_json(box, {report}, true));
  const SimulationRun& run = sim.runs.at(0);

  std::string svg, png;
  const Timed t_text = timed([&] { svg = timeline_svg(run, sim.topology_name); });
  const Timed t_png = timed([&] { png = convert_svg(svg, ImageFormat::png); });
  check(test::xml_problem(svg).empty(), "timeline: SVG not well-formed");
  check(test::count(svg, "class=\"transfer\"") == 2 * s.transfer_count(), "timeline: one bar per transfer end");
  check(test::is_png(png), "timeline: not a PNG");
  row("timeline", n, t_text, {}, svg.size(), t_png, png.size());

  std::size_t socket_links = 0;
  for (auto [e, end] = boost::edges(box.graph); e != end; ++e) socket_links += box.link(*e).kind == LinkKind::socket;
  socket_links /= 2;
  graph_picture("topology (with load)", n, [&] { return topology_dot(picture_of_simulation(sim, run)); }, kDotEngine,
                box.node_count() + socket_links + 1, box.edge_count() / 2 + socket_links);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::int32_t> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::atoi(argv[i]));
  if (sizes.empty()) sizes = {8, 32, 64, 128};
  std::printf("%-22s %5s %9s %9s %9s %9s %9s %9s %9s\n", "picture", "N", "text_cpu", "svg_wall", "svg_cpu",
              "svg_B", "png_wall", "png_cpu", "png_B");
  const Payload block = uniform_payload(1 << 20, true, 1);
  for (std::int32_t n : sizes) {
    const Schedule s = round_robin(n, block);
    const auto rounds = static_cast<std::size_t>(n % 2 == 0 ? n - 1 : n);
    const auto pairs = static_cast<std::size_t>(n) * (n - 1) / 2;
    // Pairings: N ranks + a legend label per round + the legend heading; pairs + a sample per round.
    graph_picture("pairings", n, [&] { return pairings_dot(s); }, kPinnedEngine, n + rounds + 1, pairs + rounds);
    // Rounds: N ranks and a title per panel; every pair once.
    graph_picture("rounds", n, [&] { return rounds_dot(s); }, kPinnedEngine, rounds * (n + 1), pairs);
  }
  for (std::int32_t n : {8, 32}) simulated_pictures(n);
  std::printf("times in seconds (text_cpu: building the DOT or SVG text; svg/png: Graphviz layout and render,\n"
              "for the timeline its SVG-to-PNG conversion); %s\n",
              g_ok ? "all checks passed" : "SOME CHECKS FAILED");
  return g_ok ? 0 : 1;
}
