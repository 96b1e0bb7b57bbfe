// Output forms of simulation runs: the JSON contract with viz/, the Chrome trace, the text table.
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sim/contention_policy.h"
#include "sim/simulate.h"

namespace ua2a {

namespace {

using nlohmann::json;

constexpr double kGiga = 1e9;
constexpr double kMicro = 1e6;  // seconds -> microseconds (trace timestamps)

json link_json(const LinkReport& l, bool with_series) {
  json j = {{"name", l.resource.name},
            {"from", l.resource.from},
            {"to", l.resource.to},
            {"kind", l.resource.kind},
            {"capacity_gbps", l.resource.capacity_bytes_per_s / kGiga},
            {"bytes", l.bytes},
            {"charged_bytes", l.charged},
            {"busy_s", l.busy_s},
            {"peak_util", l.peak_util},
            {"mean_util", l.mean_util}};
  json series = json::array();
  if (with_series)
    for (const auto& [t, u] : l.util) series.push_back({t, u});
  j["util"] = std::move(series);
  if (l.alpha > 0) {  // the contention model's interleaving on this resource
    j["alpha"] = l.alpha;
    j["peak_streams"] = l.peak_streams;
    j["min_capacity_gbps"] = l.min_capacity / kGiga;
    json streams = json::array();
    if (with_series)
      for (const auto& p : l.streams) streams.push_back({p.time_s, p.streams, p.capacity / kGiga});
    j["streams"] = std::move(streams);
  }
  return j;
}

json run_json(const SimReport& r) {
  json j = {{"algo", r.algo},
            {"discipline", r.discipline},
            {"transport", r.transport},
            {"ranks", r.ranks},
            {"block_bytes", r.block_bytes},
            {"chunks", r.chunks},
            {"ok", r.ok},
            {"time_s", r.time_s},
            {"algbw_gbps", r.algbw_gbps},
            {"busbw_gbps", r.busbw_gbps},
            {"bound_s", r.bound_s},
            {"efficiency", r.efficiency},
            {"bottleneck", r.bottleneck},
            {"rank_finish_s", r.rank_finish_s},
            {"events", r.events},
            {"solves", r.solves}};
  if (!r.exchange.empty()) j["exchange"] = r.exchange;
  j["model"] = r.model;
  if (r.model == "contention") {
    j["mechanisms"] = r.mechanisms;
    if (!r.set_by.empty()) {
      j["fluid_time_s"] = r.fluid_time_s;
      j["set_by"] = r.set_by;
      j["time_without_s"] = r.time_without_s;
    }
  }
  if (!r.ok) {
    j["error"] = r.error;
    j["blocked_ranks"] = r.blocked;
  }
  json links = json::array();
  for (const LinkReport& l : r.links)
    if (l.bytes > 0) links.push_back(link_json(l, true));  // unused links carry nothing to draw
  j["links"] = std::move(links);
  json transfers = json::array();
  for (const TransferReport& t : r.transfers)
    transfers.push_back({{"src", t.src}, {"dst", t.dst}, {"part", t.part}, {"chunk", t.chunk}, {"bytes", t.bytes},
                         {"step", t.step}, {"round", t.round}, {"start_s", t.start_s}, {"end_s", t.end_s}});
  j["transfers"] = std::move(transfers);
  return j;
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

std::string simulation_json(const Topology& topology, const std::vector<SimReport>& runs, bool with_dot, int indent) {
  json doc = {{"format", "ulysses-a2a/simulation"}, {"version", 1}};
  doc["topology"] = {{"name", topology.name}, {"gpus", topology.gpus().size()},
                     {"calibration", calibration_status(topology)}};
  if (with_dot) doc["topology"]["dot"] = write_dot(topology);
  json list = json::array();
  for (const SimReport& r : runs) list.push_back(run_json(r));
  doc["runs"] = std::move(list);
  return doc.dump(indent) + "\n";
}

std::string simulation_trace(const std::vector<SimReport>& runs) {
  // One process per run and kind of track: pid 2k = ranks of run k, pid 2k+1 = its links.
  json events = json::array();
  std::uint64_t async_id = 0;
  for (std::size_t k = 0; k < runs.size(); ++k) {
    const SimReport& r = runs[k];
    const int ranks_pid = static_cast<int>(2 * k), links_pid = static_cast<int>(2 * k + 1);
    const std::string label = r.algo + " " + r.discipline + " " + r.transport;
    events.push_back({{"ph", "M"}, {"name", "process_name"}, {"pid", ranks_pid}, {"args", {{"name", label + ": ranks"}}}});
    events.push_back({{"ph", "M"}, {"name", "process_name"}, {"pid", links_pid}, {"args", {{"name", label + ": links"}}}});
    for (Rank rank = 0; rank < r.ranks; ++rank) {
      events.push_back({{"ph", "M"}, {"name", "thread_name"}, {"pid", ranks_pid}, {"tid", rank},
                        {"args", {{"name", "rank " + std::to_string(rank)}}}});
      double begin = 0;
      const auto& ends = r.step_end_s[rank];
      for (std::size_t s = 0; s < ends.size(); ++s) {
        events.push_back({{"ph", "X"}, {"name", "step " + std::to_string(s)}, {"cat", "step"}, {"pid", ranks_pid},
                          {"tid", rank}, {"ts", begin * kMicro}, {"dur", (ends[s] - begin) * kMicro}});
        begin = ends[s];
      }
    }
    // Transfers overlap on a rank, so they are async slices (their own rows under the rank).
    for (const TransferReport& t : r.transfers) {
      const std::string name = std::to_string(t.src) + "->" + std::to_string(t.dst) + " p" + std::to_string(t.part) +
                               " c" + std::to_string(t.chunk);
      const json args = {{"bytes", t.bytes}, {"round", t.round}, {"step", t.step}};
      events.push_back({{"ph", "b"}, {"name", name}, {"cat", "transfer"}, {"id", async_id}, {"pid", ranks_pid},
                        {"tid", t.src}, {"ts", t.start_s * kMicro}, {"args", args}});
      events.push_back({{"ph", "e"}, {"name", name}, {"cat", "transfer"}, {"id", async_id}, {"pid", ranks_pid},
                        {"tid", t.src}, {"ts", t.end_s * kMicro}});
      ++async_id;
    }
    int tid = 0;
    for (const LinkReport& l : r.links) {
      if (l.bytes <= 0) continue;
      events.push_back({{"ph", "M"}, {"name", "thread_name"}, {"pid", links_pid}, {"tid", tid},
                        {"args", {{"name", l.resource.name}}}});
      for (const auto& [t, u] : l.util)
        events.push_back({{"ph", "C"}, {"name", l.resource.name}, {"pid", links_pid}, {"tid", tid},
                          {"ts", t * kMicro}, {"args", {{"util", u}}}});
      for (const auto& p : l.streams)  // contention: how many streams crossed it, its capacity then
        events.push_back({{"ph", "C"}, {"name", l.resource.name + " streams"}, {"pid", links_pid}, {"tid", tid},
                          {"ts", p.time_s * kMicro}, {"args", {{"streams", p.streams}, {"capacity_gbps", p.capacity / kGiga}}}});
      ++tid;
    }
  }
  // Chrome's trace-event format keeps metadata in "otherData": the name and version live there.
  json doc = {{"traceEvents", std::move(events)},
              {"displayTimeUnit", "ms"},
              {"otherData", {{"format", "ulysses-a2a/trace"}, {"version", 1}}}};
  return doc.dump() + "\n";
}

std::string simulation_table(const Topology& topology, const std::vector<SimReport>& runs, const std::string& baseline_algo) {
  std::vector<const SimReport*> order;
  for (const SimReport& r : runs) order.push_back(&r);
  std::stable_sort(order.begin(), order.end(), [](const SimReport* a, const SimReport* b) {
    if (a->ok != b->ok) return a->ok;
    if (a->exchange != b->exchange) return a->exchange < b->exchange;
    return a->time_s < b->time_s;
  });
  // The baseline is the fastest run of `baseline_algo` of the same exchange.
  auto baseline_of = [&](const SimReport& run) {
    double best = 0;
    for (const SimReport& r : runs)
      if (r.ok && r.algo == baseline_algo && r.exchange == run.exchange && r.transport == run.transport &&
          (best == 0 || r.time_s < best))
        best = r.time_s;
    return best;
  };
  bool any_baseline = false, explained = false;
  for (const SimReport& r : runs) {
    any_baseline |= baseline_of(r) > 0;
    explained |= !r.set_by.empty();
  }
  std::ostringstream out;
  if (!runs.empty())
    out << "topology " << topology.name << " (" << topology.gpus().size() << " GPUs), " << runs.front().ranks << " ranks\n";
  char line[512];
  std::snprintf(line, sizeof line, explained ? "%-20s %-12s %-11s %-4s %9s %10s %8s %8s %10s %6s %-22s %-10s" : "%-20s %-12s %-11s %-4s %9s %10s %8s %8s %10s %6s %-22s %s", "algo", "discipline",
                "transport", "exch", "MB/block", "time_ms", "algbw", "busbw", "bound_ms", "eff", "bottleneck",
                any_baseline ? ("vs " + baseline_algo).c_str() : "");
  out << line;
  if (explained) out << "  fluid_ms  set_by";
  out << "\n";
  for (const SimReport* r : order) {
    if (!r->ok) {
      out << r->algo << " " << r->discipline << " " << r->transport << ": " << r->error << "\n";
      continue;
    }
    const double baseline = baseline_of(*r);
    const std::string speedup = baseline > 0 ? fixed(baseline / r->time_s, 2) + "x" : "";
    const std::string exchange = r->exchange.empty() ? "-" : r->exchange;
    std::snprintf(line, sizeof line,
                  explained ? "%-20s %-12s %-11s %-4s %9.2f %10.3f %8.2f %8.2f %10.3f %5.0f%% %-22s %-10s"
                            : "%-20s %-12s %-11s %-4s %9.2f %10.3f %8.2f %8.2f %10.3f %5.0f%% %-22s %s",
                  r->algo.c_str(), r->discipline.c_str(), r->transport.c_str(), exchange.c_str(), r->block_bytes / 1e6,
                  r->time_s * 1e3, r->algbw_gbps, r->busbw_gbps, r->bound_s * 1e3, r->efficiency * 100,
                  r->bottleneck.c_str(), speedup.c_str());
    out << line;
    if (explained) {
      std::snprintf(line, sizeof line, "  %8.3f  %s", r->fluid_time_s * 1e3, r->set_by.c_str());
      out << line;
    }
    out << "\n";
  }
  out << "algbw = N x block / time, busbw = algbw x (N-1)/N (GB/s, nccl-tests); bound = max over links of bytes / "
         "capacity; eff = bound / time\n";
  if (explained)
    out << "contention model: fluid_ms = the same programs, routes and capacities with every loss off (the bound no "
           "run beats); set_by = the mechanism whose removal shortens the run most (bandwidth: none moves it by 1 %)\n";
  out << "box " << topology.name << ": " << calibration_status(topology) << "\n";
  return out.str();
}

}  // namespace ua2a
