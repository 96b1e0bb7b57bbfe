#include "viz/simulation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "schedule/io.h"
#include "viz/json_fields.h"

namespace ua2a::viz {

namespace {

using nlohmann::json;

// Utilisations a little above 1 come from rounding in the simulator's sums; more is an error.
constexpr double kUtilSlack = 1e-6;

/// A JSON object and its path in the simulation document.
class Fields : public JsonFields<FormatError> {
 public:
  Fields(const json& j, std::string path)
      : JsonFields(j, "simulation document", std::move(path),
                   "see docs/render.md for the fields a simulation document needs") {}
};

std::string item(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

LinkLoad read_link(const Fields& f) {
  LinkLoad l{.name = f.text("name"), .from = f.text("from"), .to = f.text("to")};
  if (f.has("kind")) l.kind = f.text("kind");
  l.capacity_gbps = f.number("capacity_gbps");
  l.bytes = f.number("bytes");
  l.busy_s = f.number("busy_s");
  l.peak_util = f.number("peak_util", 0, 1 + kUtilSlack);
  l.mean_util = f.number("mean_util", 0, 1 + kUtilSlack);
  if (f.has("peak_streams")) {  // the contention model's interleaving (docs/simulate.md)
    l.peak_streams = static_cast<std::uint32_t>(f.integer("peak_streams", 0, std::numeric_limits<std::uint32_t>::max()));
    l.min_capacity_gbps = f.number("min_capacity_gbps", 0, l.capacity_gbps * (1 + kUtilSlack));
  }
  const json& util = f.array("util");
  double last_t = -1;
  for (std::size_t i = 0; i < util.size(); ++i) {
    const json& p = util[i];
    if (!p.is_array() || p.size() != 2) f.fail(item("util", i), "must be a pair [t_s, utilisation]");
    const double t = f.checked_number(p[0], item("util", i) + "[0]", 0, std::numeric_limits<double>::max());
    const double u = f.checked_number(p[1], item("util", i) + "[1]", 0, 1 + kUtilSlack);
    if (t < last_t) f.fail(item("util", i), "times must not decrease");
    last_t = t;
    l.util.emplace_back(t, std::min(u, 1.0));
  }
  return l;
}

TransferSpan read_transfer(const Fields& f, std::int32_t ranks) {
  constexpr auto kMaxIndex = static_cast<std::int64_t>(std::numeric_limits<std::uint32_t>::max());
  TransferSpan t;
  t.src = static_cast<Rank>(f.integer("src", 0, ranks - 1));
  t.dst = static_cast<Rank>(f.integer("dst", 0, ranks - 1));
  t.part = static_cast<std::uint32_t>(f.integer("part", 0, kMaxIndex));
  t.chunk = static_cast<std::uint32_t>(f.integer("chunk", 0, kMaxIndex));
  t.bytes = f.number("bytes");
  t.step = static_cast<std::uint32_t>(f.integer("step", 0, kMaxIndex));
  // Rounds index colours and legends: a bound keeps a corrupt file from asking for billions.
  t.round = static_cast<std::uint32_t>(f.integer("round", 0, 1 << 20));
  t.start_s = f.number("start_s");
  t.end_s = f.number("end_s", t.start_s);
  return t;
}

SimulationRun read_run(const Fields& f) {
  SimulationRun r{.algo = f.text("algo"), .discipline = f.text("discipline"), .transport = f.text("transport")};
  r.ranks = static_cast<std::int32_t>(f.integer("ranks", 1, 1 << 20));
  r.block_bytes = f.number("block_bytes");
  r.chunks = static_cast<std::uint32_t>(f.integer("chunks", 1, std::numeric_limits<std::uint32_t>::max()));
  r.time_s = f.number("time_s");
  r.algbw_gbps = f.number("algbw_gbps");
  r.busbw_gbps = f.number("busbw_gbps");
  r.bound_s = f.number("bound_s");
  r.efficiency = f.number("efficiency");
  if (!f.at("bottleneck").is_null()) r.bottleneck = f.text("bottleneck");
  const json& finish = f.array("rank_finish_s");
  if (finish.size() != static_cast<std::size_t>(r.ranks))
    f.fail("rank_finish_s", "has " + std::to_string(finish.size()) + " entries for " + std::to_string(r.ranks) +
                                " ranks");
  for (std::size_t i = 0; i < finish.size(); ++i)
    r.rank_finish_s.push_back(f.checked_number(finish[i], item("rank_finish_s", i), 0,
                                               std::numeric_limits<double>::max()));
  const json& links = f.array("links");
  for (std::size_t i = 0; i < links.size(); ++i)
    r.links.push_back(read_link(Fields(links[i], f.name(item("links", i)))));
  const json& transfers = f.array("transfers");
  for (std::size_t i = 0; i < transfers.size(); ++i)
    r.transfers.push_back(read_transfer(Fields(transfers[i], f.name(item("transfers", i))), r.ranks));
  return r;
}

}  // namespace

const LinkLoad* SimulationRun::find_link(const std::string& name) const {
  for (const LinkLoad& l : links)
    if (l.name == name) return &l;
  return nullptr;
}

std::uint32_t SimulationRun::round_count() const {
  std::uint32_t n = 0;
  for (const TransferSpan& t : transfers) n = std::max(n, t.round + 1);
  return n;
}

Simulation simulation_from_json(const std::string& text) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for numbers like 8889e8882888
    throw FormatError(std::string("simulation document is not JSON: ") + e.what());
  }
  const Fields top(doc, "");
  if (top.text("format") != kSimulationFormat)
    top.fail("format", "is '" + top.text("format") + "', expected '" + kSimulationFormat +
                           "' (write one with: ulysses-a2a simulate ... --json)");
  if (top.integer("version", 0, std::numeric_limits<std::int32_t>::max()) != kSimulationVersion)
    top.fail("version", "is unsupported; this build reads version " + std::to_string(kSimulationVersion));
  Simulation sim;
  const Fields topology(top.at("topology"), "topology");
  sim.topology_name = topology.text("name");
  if (topology.has("dot")) sim.topology_dot = topology.raw_text("dot");
  const json& runs = top.array("runs");
  for (std::size_t i = 0; i < runs.size(); ++i) sim.runs.push_back(read_run(Fields(runs[i], item("runs", i))));
  if (sim.runs.empty()) top.fail("runs", "is empty: the document holds no simulated run");
  return sim;
}

const SimulationRun& select_run(const Simulation& sim, std::size_t index) {
  if (index >= sim.runs.size())
    throw std::invalid_argument("--run " + std::to_string(index) + " does not exist: the simulation has " +
                                std::to_string(sim.runs.size()) + " run(s), numbered from 0");
  return sim.runs[index];
}

}  // namespace ua2a::viz
