// libFuzzer target for viz's simulation-document reader: any input either parses (and then
// draws as a well-formed timeline and a topology DOT without crashing) or throws FormatError.
// Anything else (a crash, another exception, a sanitizer report) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "schedule/io.h"
#include "tests/viz/svg_check.h"
#include "viz/simulation.h"
#include "viz/timeline.h"
#include "viz/topology_picture.h"

using namespace ua2a;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  viz::Simulation sim;
  try {
    sim = viz::simulation_from_json(text);
  } catch (const FormatError&) {
    return 0;
  }
  for (const viz::SimulationRun& run : sim.runs) {
    // Drawing cost grows with ranks and transfers; the reader's job is what is fuzzed here.
    if (run.ranks > 64 || run.transfers.size() > 4096 || run.links.size() > 512) continue;
    if (!viz::test::xml_problem(viz::timeline_svg(run, sim.topology_name)).empty()) __builtin_trap();
    const std::string dot = viz::topology_dot(viz::picture_from_run(sim.topology_name, run));
    if (dot.empty()) __builtin_trap();
  }
  return 0;
}
