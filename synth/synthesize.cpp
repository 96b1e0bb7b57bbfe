#include "synth/synthesize.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <stdexcept>

#include "sim/contention_policy.h"
#include "schedule/generators.h"
#include "synth/space.h"

namespace ua2a::synth {

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();
/// One simulation's cost under the contention model, a fixed part and one per operation, measured
/// on this project's 2-core machine (docs/synthesize.md, "Cost"): it turns --budget into a fixed
/// number of evaluations, so the answer does not depend on the machine's speed or load.
constexpr double kSecondsPerSimulation = 80e-6;
constexpr double kSecondsPerOp = 0.5e-6;
constexpr std::size_t kMinEvaluations = 40;
constexpr std::size_t kFinalists = 5;
/// Local search gives up on a start after this many evaluations without improving it.
constexpr std::size_t kPatience = 80;
/// How much smaller a worst-case ratio on the neighbouring boxes must be to count as more robust.
constexpr double kRobustStep = 0.005;

/// A point of the packed part of the space: the order pairs are offered to first-fit, the limits,
/// the discipline and the chunks per block.
struct Genome {
  std::vector<Pair> order;  ///< pairs {a, b}; with `directed`, single transfers (src, dst)
  bool directed = false;
  PackLimits limits;
  Discipline discipline = Discipline::paired_full;
  std::uint32_t chunks = 1;
};

std::string describe(const PackLimits& l, Discipline d, std::uint32_t chunks, std::int32_t ranks, bool directed) {
  std::ostringstream s;
  s << (directed ? "pack transfers: " : "pack: ") << (l.peers >= static_cast<std::uint32_t>(ranks - 1) ? std::string("all") : std::to_string(l.peers))
    << (l.peers == 1 ? " peer" : " peers") << " at once, "
    << (l.cap == 0 ? std::string("no cap") : "at most " + std::to_string(l.cap)) << " per shared resource, "
    << to_string(d);
  if (chunks > 1) s << ", " << chunks << " chunks";
  return s.str();
}

Payload with_chunks(Payload p, std::uint32_t chunks) {
  p.chunks = chunks;
  return p;
}

/// Times candidates; remembers every (rounds, discipline, chunks) it timed.
class Evaluator {
 public:
  Evaluator(const Topology& topology, const Request& request) : topology_(topology), request_(request) {}

  SimOptions options(bool record) const {
    SimOptions so = request_.sim;
    so.transport = request_.transport;
    so.record_transfers = record;
    so.record_util = record;
    return so;
  }

  /// The time of `schedule` lowered with `discipline`; infinity when it deadlocks or cannot lower.
  double time(const Schedule& schedule, Discipline discipline) {
    const std::string key = fingerprint(schedule, discipline);
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
    ++evaluations;
    double t = kInfinity;
    try {
      SimOptions so = options(false);
      so.schedule = &schedule;
      const SimReport r = simulate(topology_, lower(schedule, discipline), so);
      if (r.ok) t = r.time_s;
    } catch (const std::invalid_argument&) {
      // paired-half on rounds with several partners: not a point of the space
    }
    cache_.emplace(key, t);
    return t;
  }

  std::size_t evaluations = 0;

 private:
  static std::string fingerprint(const Schedule& s, Discipline d) {
    std::string key = to_string(d) + "|" + std::to_string(s.payload.chunks) + "|" + std::to_string(s.payload.parts.size());
    for (const Round& r : s.rounds) {
      key += ';';
      for (const Transfer& t : r.transfers)
        if (t.part == 0 && t.chunk == 0) key += std::to_string(t.src) + ">" + std::to_string(t.dst) + ",";
    }
    if (!s.rank_orders.empty()) key += "per-rank:" + s.algo;
    return key;
  }

  const Topology& topology_;
  const Request& request_;
  std::map<std::string, double> cache_;
};

/// The fastest distinct candidates seen so far.
class Pool {
 public:
  void add(Scored s) {
    if (!std::isfinite(s.time_s)) return;
    for (const Scored& o : best_)
      if (o.schedule.rounds == s.schedule.rounds && o.schedule.rank_orders == s.schedule.rank_orders &&
          o.schedule.discipline == s.schedule.discipline && o.schedule.payload == s.schedule.payload)
        return;
    // Strictly faster only: the first found (the study's, then the structured ones) wins a tie.
    auto at = std::upper_bound(best_.begin(), best_.end(), s.time_s,
                               [](double t, const Scored& o) { return t < o.time_s; });
    best_.insert(at, std::move(s));
    if (best_.size() > kFinalists) best_.pop_back();
  }
  const std::vector<Scored>& best() const { return best_; }

 private:
  std::vector<Scored> best_;
};

/// Orders of the ranks that lay a factorisation on the box differently: as numbered, alternating
/// the groups of `key` (socket, or the GPU's parent: its switch or root port), and seeded shuffles.
std::vector<std::pair<std::string, std::vector<Rank>>> relabellings(const Topology& topology, std::int32_t ranks,
                                                                    std::mt19937_64& rng) {
  std::vector<std::pair<std::string, std::vector<Rank>>> out;
  std::vector<Rank> identity(ranks);
  for (Rank r = 0; r < ranks; ++r) identity[r] = r;
  out.push_back({"as numbered", identity});
  auto spread = [&](auto key, const char* what) {
    std::map<std::int64_t, std::vector<Rank>> groups;
    for (Rank r = 0; r < ranks; ++r) groups[key(r)].push_back(r);
    if (groups.size() < 2) return;
    std::vector<Rank> perm;
    for (std::size_t i = 0; perm.size() < static_cast<std::size_t>(ranks); ++i)
      for (auto& [k, members] : groups)
        if (i < members.size()) perm.push_back(members[i]);
    out.push_back({std::string("alternating ") + what, perm});
  };
  const auto& gpus = topology.gpus();
  spread([&](Rank r) { return std::int64_t{topology.node(gpus[r]).socket}; }, "sockets");
  spread([&](Rank r) {
    auto [begin, end] = boost::out_edges(gpus[r], topology.graph);
    return begin == end ? std::int64_t{-1} : static_cast<std::int64_t>(boost::target(*begin, topology.graph));
  }, "switches");
  for (int i = 0; i < 2; ++i) {
    std::vector<Rank> perm = identity;
    for (std::size_t j = perm.size(); j > 1; --j) std::swap(perm[j - 1], perm[rng() % j]);
    out.push_back({"shuffled #" + std::to_string(i + 1), perm});
  }
  return out;
}

/// The k values worth trying: 1, 2, 3, N/2, N-1 (distinct, below N).
std::vector<std::uint32_t> peer_counts(std::int32_t ranks) {
  std::vector<std::uint32_t> out;
  for (std::int64_t k : {1, 2, 3, ranks / 2, ranks - 1})
    if (k >= 1 && k <= ranks - 1 && std::find(out.begin(), out.end(), k) == out.end()) out.push_back(static_cast<std::uint32_t>(k));
  return out;
}

Topology scaled_links(const Topology& box, bool (*pick)(const Topology&, EdgeRef), double factor) {
  Topology t = box;
  for (EdgeRef e : t.edges())
    if (pick(t, e)) t.graph[e].capacity_bytes_per_s *= factor;
  return t;
}

bool is_socket(const Topology& t, EdgeRef e) { return t.link(e).kind == LinkKind::socket; }
bool is_uplink(const Topology& t, EdgeRef e) {
  const NodeKind a = t.node(boost::source(e, t.graph)).kind, b = t.node(boost::target(e, t.graph)).kind;
  return t.link(e).kind == LinkKind::pcie && ((a == NodeKind::pcie_switch && b == NodeKind::cpu) ||
                                             (a == NodeKind::cpu && b == NodeKind::pcie_switch));
}
bool has_edge(const Topology& t, bool (*pick)(const Topology&, EdgeRef)) {
  for (EdgeRef e : t.edges())
    if (pick(t, e)) return true;
  return false;
}

struct NeighbourBox {
  std::string name;
  Topology topology;
  SimOptions options;
};

std::vector<NeighbourBox> neighbour_boxes(const Topology& box, const SimOptions& base) {
  std::vector<NeighbourBox> out;
  for (double f : {0.5, 1.5}) {
    const std::string x = f < 1 ? "x0.5" : "x1.5";
    if (has_edge(box, is_socket)) out.push_back({"socket link " + x, scaled_links(box, is_socket, f), base});
    if (has_edge(box, is_uplink)) out.push_back({"switch uplinks " + x, scaled_links(box, is_uplink, f), base});
  }
  if (base.model == SimModel::contention) {
    NeighbourBox off{"interleaving off", box, base};
    off.options.mechanisms.interleave = false;
    out.push_back(std::move(off));
    NeighbourBox twice{"interleaving x2", box, base};
    ContentionParams& c = twice.topology.params.contention;
    for (double* alpha : {&c.gpu_ce_alpha, &c.gpu_sm_alpha, &c.rc_ce_alpha, &c.rc_sm_alpha, &c.uplink_alpha, &c.memory_alpha})
      *alpha *= 2;
    out.push_back(std::move(twice));
  }
  return out;
}

double time_on(const NeighbourBox& n, const Schedule& s) {
  SimOptions so = n.options;
  so.schedule = &s;
  so.record_transfers = so.record_util = false;
  const SimReport r = simulate(n.topology, lower(s, parse_discipline(s.discipline)), so);
  return r.ok ? r.time_s : kInfinity;
}

/// Worst, over mechanisms' resources with an interleaving loss, of the streams crossing one at once.
std::pair<std::uint32_t, std::string> peak_interleave(const SimReport& r) {
  std::pair<std::uint32_t, std::string> out{0, ""};
  for (const LinkReport& l : r.links)
    if (l.alpha > 0 && l.peak_streams > out.first) out = {l.peak_streams, l.resource.name};
  return out;
}

/// The share of `link`'s nominal capacity the run used over its whole time (charged bytes over
/// capacity x time): interleaving losses and idle stretches both lower it.
double busy_share(const SimReport& r, const std::string& link) {
  for (const LinkReport& l : r.links)
    if (l.resource.name == link && l.resource.capacity_bytes_per_s > 0 && r.time_s > 0)
      return l.charged / (l.resource.capacity_bytes_per_s * r.time_s);
  return 0;
}

std::string percent(double x) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(0) << x * 100 << " %";
  return s.str();
}

std::string why_faster(const Result& r) {
  const StudyTime* best = r.best_study();
  if (!best) return "";
  const std::string label = best->combo.label();
  const double gain = best->sim.time_s / r.sim.time_s;
  std::ostringstream s;
  if (gain < 1.005)
    s << "No candidate beats the study's " << label << " here by more than 0.5 %: it already uses "
      << r.sim.bottleneck << ", the resource that sets the bound, at " << percent(busy_share(best->sim, r.sim.bottleneck))
      << " of its capacity over the run";
  else
    s << std::fixed << std::setprecision(2) << gain << "x the best study schedule (" << label << "): it uses "
      << r.sim.bottleneck << ", the resource that sets the bound, at " << percent(busy_share(r.sim, r.sim.bottleneck))
      << " of its capacity over the run (" << label << ": " << percent(busy_share(best->sim, r.sim.bottleneck)) << ")";
  const auto mine = peak_interleave(r.sim), theirs = peak_interleave(best->sim);
  if (mine.first == 0 && theirs.first == 0)
    s << "; neither run sends two streams at once through a resource that loses capacity to interleaving under "
      << r.sim.transport << ".";
  else if (mine.first < theirs.first)
    s << "; it lets at most " << mine.first << " stream" << (mine.first == 1 ? "" : "s")
      << " interleave at once through any resource that loses capacity to interleaving (" << label << ": "
      << theirs.first << " through " << theirs.second << "), so those resources keep more of their capacity.";
  else
    s << "; at most " << mine.first << " streams interleave at once on a lossy resource (" << label << ": "
      << theirs.first << ").";
  if (r.sim.set_by.size()) s << " Its time is set by " << r.sim.set_by << ".";
  return s.str();
}

}  // namespace

const StudyTime* Result::best_study() const {
  const StudyTime* best = nullptr;
  for (const StudyTime& s : study)
    if (s.sim.ok && (!best || s.sim.time_s < best->sim.time_s)) best = &s;
  return best;
}

const StudyTime* Result::study_row(const plan::Combo& combo) const {
  for (const StudyTime& s : study)
    if (s.combo.algo == combo.algo && s.combo.discipline == combo.discipline && s.combo.unmerged == combo.unmerged) return &s;
  return nullptr;
}

SearchPlan search_plan(const Request& request) {
  const double ops = 2.0 * request.ranks * std::max(1, request.ranks - 1) * request.payload.parts.size() *
                     std::max<std::uint32_t>(1, request.payload.chunks);
  SearchPlan p;
  p.seconds_per_evaluation = kSecondsPerSimulation + kSecondsPerOp * ops;
  const double n = request.budget_s / p.seconds_per_evaluation;
  p.evaluations = std::max<std::size_t>(kMinEvaluations, n > 1e7 ? std::size_t{10000000} : static_cast<std::size_t>(n));
  return p;
}

Result synthesize(const Topology& topology, const Request& request) {
  const std::int32_t n = request.ranks;
  if (n < 2) throw std::invalid_argument("synthesize needs at least 2 ranks (got " + std::to_string(n) + ")");
  if (static_cast<std::size_t>(n) > topology.gpus().size())
    throw std::invalid_argument("--ranks " + std::to_string(n) + " needs " + std::to_string(n) + " GPUs, and box '" +
                                topology.name + "' has " + std::to_string(topology.gpus().size()) +
                                ": give --ranks at most " + std::to_string(topology.gpus().size()));
  if (!(request.budget_s > 0)) throw std::invalid_argument("--budget must be more than 0 seconds");
  const auto clock_start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - clock_start).count(); };
  const TransportKind transport = request.transport.value_or(topology.params.transport);
  const SharedResources shared = shared_resources(topology, transport, n);  // throws for a transport the box lacks

  Result result;
  result.robust_margin = request.robust_margin;
  result.wall_clock_guard = request.wall_clock_guard;
  result.plan = search_plan(request);
  Evaluator ev(topology, request);
  Pool pool;
  std::mt19937_64 rng(request.seed);

  // 1. The study's schedules: the seeds, and the rows beside the answer.
  for (const plan::Combo& combo : plan::study_schedules()) {
    if (!plan::skip_reason(combo, n).empty()) continue;
    StudyTime st{combo, generate(combo.algo, n, combo.unmerged ? request.unmerged_payload : request.payload), {}};
    st.schedule.discipline = combo.discipline;
    SimOptions so = ev.options(false);
    so.schedule = &st.schedule;
    st.sim = simulate(topology, lower(st.schedule, parse_discipline(combo.discipline)), so);
    ev.time(st.schedule, parse_discipline(combo.discipline));
    if (st.sim.ok) pool.add({"study: " + combo.label(), st.schedule, st.sim.time_s});
    result.study.push_back(std::move(st));
  }

  // 2. Structured candidates: factorisations laid on the box, k peers at once.
  std::vector<std::pair<double, Genome>> starts;
  auto try_genome = [&](const Genome& g, const std::string& name) {
    const Rounds rounds = g.directed ? pack_directed(g.order, n, g.limits, shared) : pack(g.order, n, g.limits, shared);
    if (g.discipline == Discipline::paired_half && !is_pairing(rounds)) return kInfinity;
    Schedule s = to_schedule(rounds, n, with_chunks(request.payload, g.chunks), "synthesized", g.discipline);
    const double t = ev.time(s, g.discipline);
    pool.add({name, std::move(s), t});
    return t;
  };
  std::vector<std::pair<std::string, Rounds>> bases = {{"circle", circle_factorisation(n)}};
  if ((n & (n - 1)) == 0) bases.push_back({"xor", xor_factorisation(n)});
  const auto labels = relabellings(topology, n, rng);
  for (const auto& [base, rounds] : bases)
    for (const auto& [how, perm] : labels)
      for (std::uint32_t k : peer_counts(n))
        for (Discipline d : {Discipline::paired_half, Discipline::paired_full}) {
          if (d == Discipline::paired_half && k > 1) continue;
          Genome g{pair_order(relabel(rounds, perm)), false, {k, 0}, d, 1};
          const std::string name = base + " (" + how + "), " + std::to_string(k) + (k == 1 ? " peer" : " peers") +
                                   " at once, " + to_string(d);
          starts.push_back({try_genome(g, name), std::move(g)});
        }
  for (const auto& [how, perm] : labels)
    for (std::uint32_t k : peer_counts(n)) {
      Schedule s = to_schedule(group(relabel(shift_rounds(n), perm), k), n, request.payload, "synthesized",
                               Discipline::paired_full);
      const double t = ev.time(s, Discipline::paired_full);
      pool.add({"shift (" + how + "), " + std::to_string(k) + " destinations at once, paired-full", std::move(s), t});
    }

  // 3. Greedy construction: the most constrained pairs first, packed under every limit.
  std::vector<std::uint32_t> caps = {1, 2, 3, 4, 0};
  for (std::uint32_t k : peer_counts(n))
    for (std::uint32_t cap : caps)
      for (Discipline d : {Discipline::paired_half, Discipline::paired_full}) {
        if (d == Discipline::paired_half && k > 1) continue;
        Genome g{constrained_first(n, shared), false, {k, cap}, d, 1};
        starts.push_back({try_genome(g, describe(g.limits, d, 1, n, g.directed)), std::move(g)});
      }
  for (std::uint32_t k : peer_counts(n))
    for (std::uint32_t cap : caps) {
      Genome g{constrained_transfers_first(n, shared), true, {k, cap}, Discipline::paired_full, 1};
      starts.push_back({try_genome(g, describe(g.limits, g.discipline, 1, n, true)), std::move(g)});
    }

  // 4. Local search from the best starts: swap pairs in the order, change the limits, the
  // discipline, the chunks; keep a change that is not slower.
  std::stable_sort(starts.begin(), starts.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::size_t start = 0, iterations = 0;
  while (ev.evaluations < result.plan.evaluations && !starts.empty() && iterations < 20 * result.plan.evaluations) {
    if (request.wall_clock_guard && elapsed() > 3 * request.budget_s) {
      result.cut_by_clock = true;
      break;
    }
    Genome current = starts[start % std::min<std::size_t>(3, starts.size())].second;
    double current_t = starts[start % std::min<std::size_t>(3, starts.size())].first;
    ++start;
    for (std::size_t stale = 0; stale < kPatience && ev.evaluations < result.plan.evaluations; ++stale, ++iterations) {
      Genome g = current;
      const auto move = rng() % 100;
      const std::size_t pairs = g.order.size();
      if (move < 60 && pairs > 1) {
        std::swap(g.order[rng() % pairs], g.order[rng() % pairs]);
      } else if (move < 70) {
        std::rotate(g.order.begin(), g.order.begin() + static_cast<std::ptrdiff_t>(rng() % pairs), g.order.end());
      } else if (move < 80) {
        const std::uint32_t k = g.limits.peers + ((rng() & 1) ? 1 : -1);
        if (k >= 1 && k <= static_cast<std::uint32_t>(n - 1)) g.limits.peers = k;
      } else if (move < 90) {
        g.limits.cap = static_cast<std::uint32_t>(rng() % 5);  // 0: no cap
      } else if (move < 95) {
        g.discipline = g.discipline == Discipline::paired_half ? Discipline::paired_full : Discipline::paired_half;
      } else {
        g.chunks = g.chunks == 1 ? 2 : g.chunks == 2 ? ((rng() & 1) ? 4 : 1) : 2;
      }
      const double t = try_genome(g, "search: " + describe(g.limits, g.discipline, g.chunks, n, g.directed));
      if (t <= current_t) {
        if (t < current_t) stale = 0;
        current = std::move(g);
        current_t = t;
      }
      if (request.wall_clock_guard && elapsed() > 3 * request.budget_s) break;
    }
  }
  result.evaluations = ev.evaluations;
  result.finalists = pool.best();

  // 5. Robustness: the finalists on the neighbouring boxes; prefer the most robust of those
  // within the margin of the fastest and not slower than the best study schedule.
  const StudyTime* best_study = result.best_study();
  result.winner = result.finalists.front();
  if (request.robustness) {
    const auto boxes = neighbour_boxes(topology, ev.options(false));
    const double limit = std::min(result.finalists.front().time_s * (1 + request.robust_margin),
                                  best_study ? best_study->sim.time_s : kInfinity);
    std::vector<std::vector<double>> times(result.finalists.size());
    std::vector<double> study_best(boxes.size(), kInfinity);
    std::vector<std::string> study_label(boxes.size());
    for (std::size_t b = 0; b < boxes.size(); ++b) {
      for (const StudyTime& st : result.study) {
        const double t = time_on(boxes[b], st.schedule);
        if (t < study_best[b]) study_best[b] = t, study_label[b] = st.combo.label();
      }
    }
    // The best study schedule always competes: the fastest candidates may all be one idea.
    if (best_study && std::none_of(result.finalists.begin(), result.finalists.end(),
                                   [&](const Scored& f) { return f.schedule == best_study->schedule; }))
      result.finalists.push_back({"study: " + best_study->combo.label(), best_study->schedule, best_study->sim.time_s});
    times.resize(result.finalists.size());
    std::size_t pick = 0;
    double pick_regret = kInfinity;
    for (std::size_t i = 0; i < result.finalists.size(); ++i) {
      if (i > 0 && result.finalists[i].time_s > limit) continue;
      double regret = 0;
      for (std::size_t b = 0; b < boxes.size(); ++b) {
        times[i].push_back(time_on(boxes[b], result.finalists[i].schedule));
        regret = std::max(regret, times[i][b] / study_best[b]);
      }
      // Another candidate must be clearly more robust (kRobustStep) to displace a faster one.
      if (regret < pick_regret / (1 + kRobustStep)) pick = i, pick_regret = regret;
    }
    if (pick != 0) {
      std::ostringstream s;
      s << std::fixed << std::setprecision(2) << "the fastest candidate (" << result.finalists.front().name << ", "
        << result.finalists.front().time_s * 1e3 << " ms) is up to " << (times[0].empty() ? 0.0 : [&] {
             double w = 0;
             for (std::size_t b = 0; b < boxes.size(); ++b) w = std::max(w, times[0][b] / study_best[b]);
             return w;
           }())
        << "x the best study schedule on a neighbouring box; this one, within " << request.robust_margin * 100
        << " % of it, is at most " << pick_regret << "x";
      result.robust_note = s.str();
      result.winner = result.finalists[pick];
    }
    for (std::size_t b = 0; b < boxes.size(); ++b)
      result.neighbours.push_back({boxes[b].name, times[pick][b], study_best[b], study_label[b]});
  }

  // 6. The winner, explained, with its links recorded for the why.
  result.winner.schedule.algo = "synthesized";
  SimOptions so = ev.options(true);
  so.record_transfers = false;
  so.schedule = &result.winner.schedule;
  result.sim = simulate_explained(topology, lower(result.winner.schedule, parse_discipline(result.winner.schedule.discipline)), so);
  result.why = why_faster(result);
  return result;
}

std::string result_json(const Topology& topology, const Result& r) {
  nlohmann::ordered_json study = nlohmann::ordered_json::array(), neighbours = nlohmann::ordered_json::array();
  for (const StudyTime& st : r.study)
    study.push_back({{"schedule", st.combo.label()}, {"ok", st.sim.ok}, {"time_s", st.sim.time_s}});
  for (const Neighbour& nb : r.neighbours)
    neighbours.push_back({{"box", nb.box}, {"winner_s", nb.winner_s}, {"best_study_s", nb.best_study_s},
                          {"best_study", nb.best_study}});
  const StudyTime* best = r.best_study();
  nlohmann::ordered_json j = {
      {"format", "ulysses-a2a/synthesis"}, {"version", 1}, {"topology", topology.name},
      {"calibration", calibration_status(topology)}, {"transport", r.sim.transport},
      {"model", r.sim.model}, {"ranks", r.sim.ranks}, {"block_bytes", r.sim.block_bytes},
      {"winner", {{"name", r.winner.name}, {"kind", to_string(r.winner.schedule.kind)},
                  {"discipline", r.winner.schedule.discipline}, {"chunks", r.winner.schedule.payload.chunks},
                  {"time_s", r.sim.time_s}, {"bound_s", r.sim.bound_s}, {"efficiency", r.sim.efficiency},
                  {"bottleneck", r.sim.bottleneck}, {"set_by", r.sim.set_by}}},
      {"best_study", best ? nlohmann::ordered_json{{"schedule", best->combo.label()}, {"time_s", best->sim.time_s}}
                          : nlohmann::ordered_json()},
      {"study", study}, {"neighbours", neighbours}, {"robust_note", r.robust_note}, {"why", r.why},
      {"evaluations", r.evaluations}, {"planned_evaluations", r.plan.evaluations}, {"cut_by_clock", r.cut_by_clock}};
  return j.dump(1) + "\n";
}

std::string result_text(const Topology& topology, const Result& r) {
  std::ostringstream s;
  s << std::fixed;
  const Schedule& w = r.winner.schedule;
  const std::size_t rounds = w.kind == ScheduleKind::per_rank ? (w.rank_orders.empty() ? 0 : w.rank_orders[0].size()) : w.rounds.size();
  s << "synthesized on " << topology.name << ", transport " << r.sim.transport << ", " << r.sim.ranks << " ranks, "
    << r.sim.block_bytes << " B per block (" << r.sim.model << " model)\n";
  s << "winner: " << r.winner.name << "\n";
  s << "  " << to_string(w.kind) << " schedule, " << rounds << (rounds == 1 ? " round" : " rounds") << ", discipline "
    << w.discipline << ", " << w.payload.chunks << (w.payload.chunks == 1 ? " chunk" : " chunks") << " per block\n";
  s << std::setprecision(3) << "  time " << r.sim.time_s * 1e3 << " ms, bound " << r.sim.bound_s * 1e3 << " ms ("
    << r.sim.bottleneck << "), efficiency " << std::setprecision(0) << r.sim.efficiency * 100 << " %";
  if (!r.sim.set_by.empty()) s << ", set by " << r.sim.set_by;
  s << "\n";
  auto versus = [&](const char* what, const StudyTime* row) {
    if (!row || !row->sim.ok) return;
    s << std::setprecision(2) << "  vs " << what << " (" << row->combo.label() << ", " << std::setprecision(3)
      << row->sim.time_s * 1e3 << " ms): " << std::setprecision(2) << row->sim.time_s / r.sim.time_s << "x\n";
  };
  versus("grouped", r.study_row({"grouped", "grouped", false}));
  versus("the reference", r.study_row(plan::reference_schedule()));
  versus("the best study schedule", r.best_study());
  s << "why: " << r.why << "\n";
  s << "study on the same box and transport:\n";
  std::vector<const StudyTime*> rows;
  for (const StudyTime& st : r.study) rows.push_back(&st);
  std::stable_sort(rows.begin(), rows.end(), [](auto* a, auto* b) { return a->sim.time_s < b->sim.time_s; });
  for (const StudyTime* st : rows)
    s << "  " << std::left << std::setw(34) << st->combo.label() << std::right << std::setprecision(3) << std::setw(10)
      << st->sim.time_s * 1e3 << " ms\n";
  s << "search: " << r.evaluations << " simulations (planned " << r.plan.evaluations << ")";
  if (r.cut_by_clock) s << ", CUT SHORT by the wall clock: another run may differ";
  if (!r.wall_clock_guard) s << ", exact (no wall-clock stop: the same seed gives the same file)";
  s << "\n";
  if (!r.neighbours.empty()) {
    s << "robustness (neighbouring boxes: the winner vs the best study schedule there; a candidate within "
      << std::defaultfloat << std::setprecision(3) << r.robust_margin * 100
      << " % of the fastest may win by it, --robust-margin):\n" << std::fixed;
    for (const Neighbour& nb : r.neighbours)
      s << "  " << std::left << std::setw(22) << nb.box << std::right << std::setprecision(3) << std::setw(10)
        << nb.winner_s * 1e3 << " ms  vs " << std::setw(10) << nb.best_study_s * 1e3 << " ms (" << nb.best_study
        << "): " << std::setprecision(2) << nb.best_study_s / nb.winner_s << "x\n";
    if (!r.robust_note.empty()) s << "  robust choice: " << r.robust_note << "\n";
  }
  return s.str();
}

}  // namespace ua2a::synth
