#include "plan/study.h"

#include <algorithm>
#include <iomanip>
#include <set>
#include <stdexcept>
#include <sstream>

namespace ua2a::plan {

std::vector<std::optional<TransportKind>> study_transports(const Topology& topology, SimModel model) {
  if (model == SimModel::contention && topology.params.transport == TransportKind::shm) {
    if (!topology.params.p2p) return {TransportKind::shm, TransportKind::cuda_staged};
    return {TransportKind::shm, TransportKind::cuda_staged, TransportKind::p2p, TransportKind::cuda_p2p};
  }
  return {std::nullopt};
}

std::string transport_unavailable(TransportKind t, const Topology& topology) {
  if (!needs_p2p(t) || topology.params.p2p) return "";
  const std::string& kind = topology.params.gpu;
  const std::string what = kind.empty() ? "GPUs of unknown kind" : kind + (geforce_gpu(kind) ? " on the stock driver" : "");
  return "transport " + to_string(t) + " needs GPU peer-to-peer, which box '" + topology.name + "' (" + what +
         ") does not have: add --p2p if its driver has P2P on" +
         (kind.empty() || geforce_gpu(kind) ? std::string(" (for GeForce cards, the P2P-patched driver)") : "") +
         ", or use shm or cuda-staged";
}

void open_p2p(Topology& topology) {
  if (topology.params.p2p)
    throw std::invalid_argument("--p2p: box '" + topology.name + "' has GPU peer-to-peer already (its description "
                                "says so): drop --p2p");
  topology.params.p2p = true;
}

std::string default_gpu(const Topology& topology) { return topology.name.rfind("h100", 0) == 0 ? "h100" : "rtx4090"; }


std::vector<std::optional<TransportKind>> requested_transports(const std::string& list, const Topology& topology,
                                                               SimModel model, std::vector<std::pair<TransportKind, std::string>>* dropped) {
  if (list.empty()) return study_transports(topology, model);
  std::vector<std::optional<TransportKind>> out;
  for (const std::string& name : split_list(list == "all" ? "shm,cuda-staged,p2p,cuda-p2p,nvlink" : list)) {
    const TransportKind t = parse_transport(name);
    if (const std::string why = transport_unavailable(t, topology); !why.empty()) {
      if (list != "all") throw TopologyError(why);
      if (dropped) dropped->emplace_back(t, why);
      continue;
    }
    out.push_back(t);
  }
  return out;
}

StudyRun run_study(const Topology& topology, const StudyRequest& request, const std::vector<StudyCase>& cases,
                   const StudyVerifier& verifier, const StudyProgress& progress) {
  StudyRun out;
  std::set<std::string> missing;  // transports the box cannot route: said once each
  std::size_t done = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const StudyCase& k = cases[i];
    const StudyVerdict verdict = verifier ? verifier(k) : StudyVerdict{};
    for (const std::optional<TransportKind>& t : request.transports) {
      if (progress) progress(done++, k.combo.algo + " / " + k.combo.discipline + (t ? " over " + to_string(*t) : ""));
      SimOptions so = request.sim;
      so.transport = t;
      so.schedule = k.has_schedule ? &k.schedule : nullptr;
      StudyRow row{k.combo, verdict.deadlock_free, verdict.verified, {}, i};
      try {
        row.sim = simulate_explained(topology, k.programs, so);
      } catch (const std::invalid_argument& e) {
        if (!request.skip_missing_transports || !t) throw;
        if (missing.insert(to_string(*t)).second) out.skipped.push_back({"--transport " + to_string(*t), e.what()});
        continue;
      }
      if (request.label_exchange) row.sim.exchange = k.exchange;
      out.rows.push_back(std::move(row));
    }
  }
  if (out.rows.empty())
    throw std::invalid_argument(cases.empty() ? "no schedule of the comparison applies here (see the notes above)"
                                              : "no transport of the request applies to box '" + topology.name +
                                                    "' (see the notes above)");
  return out;
}

namespace {

/// A row's printed figures but its transport: two rows with the same ones say the same thing.
std::string row_figures(const StudyRow& r, double grouped, double reference, bool explained) {
  std::ostringstream s;
  s << std::fixed << std::left << std::setw(22) << r.combo.algo + (r.combo.unmerged ? " (unmerged)" : "")
    << std::setw(13) << r.combo.discipline;
  std::ostringstream rest;
  rest << std::fixed << std::left << std::setw(10) << (r.deadlock_free ? "free" : "DEADLOCK") << std::setw(9)
       << (r.verified ? "yes" : "NO") << std::right << std::setprecision(3) << std::setw(9) << r.sim.time_s * 1e3
       << std::setprecision(2) << std::setw(8) << r.sim.busbw_gbps << std::setprecision(0) << std::setw(5)
       << r.sim.efficiency * 100 << "%  " << std::left << std::setw(22) << r.sim.bottleneck << std::right
       << std::setprecision(2);
  // No grouped run on this transport: nothing to compare against.
  if (grouped > 0)
    rest << std::setw(10) << grouped / r.sim.time_s << "x";
  else
    rest << std::setw(11) << "-";
  rest << std::setw(12) << (reference > 0 ? reference / r.sim.time_s : 0) << "x";
  if (explained) rest << std::setprecision(3) << std::setw(10) << r.sim.fluid_time_s * 1e3 << "  " << r.sim.set_by;
  return s.str() + "\t" + rest.str();
}

}  // namespace

std::string study_table(const std::vector<StudyRow>& rows) {
  if (rows.empty()) return "";
  std::vector<const StudyRow*> order;
  for (const StudyRow& r : rows) order.push_back(&r);
  std::stable_sort(order.begin(), order.end(),
                   [](const StudyRow* a, const StudyRow* b) { return a->sim.time_s < b->sim.time_s; });
  auto grouped_on = [&](const std::string& transport) {
    for (const StudyRow& r : rows)
      if (r.combo.algo == "grouped" && r.sim.transport == transport) return r.sim.time_s;
    return 0.0;
  };
  const double reference = rows.front().sim.time_s;
  const bool explained = !rows.front().sim.set_by.empty();
  // Rows that differ only in their transport are one line, the transports joined by '=' (on a box
  // without P2P, shm and cuda-staged both stage through host memory: the same flows, the same time).
  std::vector<std::pair<std::string, std::string>> lines;  // (figures, transports)
  for (const StudyRow* r : order) {
    const std::string figures =
        r->sim.exchange + "\n" + row_figures(*r, grouped_on(r->sim.transport), reference, explained);
    auto same = std::find_if(lines.begin(), lines.end(), [&](const auto& l) { return l.first == figures; });
    if (same != lines.end())
      same->second += "=" + r->sim.transport;
    else
      lines.emplace_back(figures, r->sim.transport);
  }
  std::size_t width = 12;
  bool folded = false, ungrouped = false;
  for (const StudyRow& r : rows) ungrouped = ungrouped || grouped_on(r.sim.transport) <= 0;
  for (const auto& l : lines) {
    width = std::max(width, l.second.size() + 1);
    folded = folded || l.second.find('=') != std::string::npos;
  }
  std::ostringstream s;
  s << std::fixed << std::left << std::setw(22) << "schedule" << std::setw(13) << "discipline"
    << std::setw(static_cast<int>(width)) << "transport" << std::setw(10) << "deadlock" << std::setw(9) << "verified"
    << std::right << std::setw(9) << "time_ms" << std::setw(8) << "busbw" << std::setw(6) << "eff" << "  " << std::left
    << std::setw(22) << "bottleneck" << std::right << std::setw(11) << "vs_grouped" << std::setw(13) << "vs_reference";
  if (explained) s << std::setw(10) << "fluid_ms" << "  set_by";
  s << "\n";
  for (const auto& [figures, transports] : lines) {
    const std::string printed = figures.substr(figures.find('\n') + 1);
    const auto tab = printed.find('\t');
    s << printed.substr(0, tab) << std::left << std::setw(static_cast<int>(width)) << transports
      << printed.substr(tab + 1) << "\n";
  }
  if (folded) s << "a=b under transport: the same figures on both (the same flows on this box), one row for them\n";
  if (ungrouped) s << "vs_grouped '-': no grouped run on that transport to compare against\n";
  return s.str();
}

}  // namespace ua2a::plan
