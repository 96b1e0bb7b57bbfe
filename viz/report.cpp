#include "viz/report.h"

#include <fstream>
#include <stdexcept>

#include "viz/graphviz.h"
#include "viz/pairings.h"
#include "viz/simulation.h"
#include "viz/timeline.h"
#include "viz/topology_from_sim.h"

namespace ua2a::viz {

namespace {

std::string write_file(const std::string& dir, const std::string& name, const std::string& data) {
  const std::string path = (dir.empty() ? std::string(".") : dir) + "/" + name;
  std::ofstream out(path, std::ios::binary);
  out << data;
  out.close();  // a full disk shows only when the buffer is flushed
  if (!out) throw std::invalid_argument("cannot write picture '" + path + "': check the directory exists and has space");
  return path;
}

}  // namespace

std::vector<std::string> render_report_pictures(const std::string& dir, const Schedule& schedule,
                                                const std::string& simulation_json, std::size_t run) {
  std::vector<std::string> written;
  written.push_back(write_file(dir, "pairings.svg", render_graph(pairings_dot(schedule), kPinnedEngine, ImageFormat::svg)));
  written.push_back(write_file(dir, "rounds.svg", render_graph(rounds_dot(schedule), kPinnedEngine, ImageFormat::svg)));
  if (simulation_json.empty()) return written;
  const Simulation sim = simulation_from_json(simulation_json);
  const SimulationRun& r = select_run(sim, run);
  const std::string topology = topology_dot(picture_of_simulation(sim, r));
  written.push_back(write_file(dir, "topology-load.svg", render_graph(topology, kDotEngine, ImageFormat::svg)));
  written.push_back(write_file(dir, "timeline.svg", timeline_svg(r, sim.topology_name)));
  return written;
}

}  // namespace ua2a::viz
