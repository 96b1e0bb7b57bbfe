// The executor: the matcher with a clock and the flow model (see simulate.h).
#include "sim/simulate.h"

#include "schedule/named.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <stdexcept>
#include <unordered_map>

#include "schedule/matcher.h"
#include "sim/contention_policy.h"
#include "sim/flow_model.h"

namespace ua2a {

namespace {

constexpr std::uint32_t kNone = 0xffffffffu;
/// Events closer than this (relative) are one instant: equal transfers that finish "together"
/// differ only by rounding, and batching them is what keeps big symmetric runs to few solves.
constexpr double kSameInstant = 1e-9;

enum class EventKind : std::uint8_t { start, finish };

struct Event {
  double time;
  std::uint64_t seq;  // FIFO among equal times: deterministic
  EventKind kind;
  std::uint32_t id;       // pending index (start) or flow id (finish)
  std::uint64_t version;  // finish: the flow's version when predicted
  /// (time, seq) as one unsigned number: times are >= 0, and the bits of non-negative doubles
  /// order as the doubles do, so one branch-free compare replaces two dependent ones.
  unsigned __int128 key() const {
    return (static_cast<unsigned __int128>(std::bit_cast<std::uint64_t>(time)) << 64) | seq;
  }
};

/// Pending events, earliest (time, seq) first: a 4-ary heap (half the depth of a binary one,
/// and the four children of a node share a cache line or two). Its sifts were a third of the
/// executor's own time with std::priority_queue.
class EventQueue {
 public:
  bool empty() const { return heap_.empty(); }
  const Event& top() const { return heap_.front(); }
  void push(const Event& e) {
    std::size_t i = heap_.size();
    heap_.push_back(e);
    const auto key = e.key();
    while (i > 0) {
      const std::size_t parent = (i - 1) / 4;
      if (heap_[parent].key() <= key) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = e;
  }
  void pop() {
    const Event last = heap_.back();
    heap_.pop_back();
    const std::size_t n = heap_.size();
    if (n == 0) return;
    const auto key = last.key();
    std::size_t i = 0;
    for (;;) {
      const std::size_t first = 4 * i + 1;
      if (first >= n) break;
      std::size_t best = first;
      const std::size_t end = std::min(first + 4, n);
      for (std::size_t c = first + 1; c < end; ++c) best = heap_[c].key() < heap_[best].key() ? c : best;
      if (key <= heap_[best].key()) break;
      heap_[i] = heap_[best];
      i = best;
    }
    heap_[i] = last;
  }

 private:
  std::vector<Event> heap_;
};

/// A matched transfer waiting for its latency to pass.
struct Pending {
  Match match;
  Route route;
  double cap = FlowModel::kUncapped;
  std::uint64_t bytes = 0;
  std::uint32_t record = kNone;
};

/// A transfer whose flow is in the model.
struct InFlight {
  Match match;
  std::uint64_t pair = 0;  // src x ranks + dst: its stream, when streams are counted per pair
  std::uint32_t record = kNone;
  double remaining = 0;  // bytes left at `since`
  double since = 0;
  double rate = 0;
  std::uint64_t version = 0;
  double started = 0;  // when the flow entered the model
};

/// What the executor keeps per link while it runs, compact (the LinkReports, names included, are
/// too big to touch for every transfer): copied into the report at the end.
struct LinkState {
  double last_t = 0;
  double util = 0;
  double bytes = 0;
  double charged = 0;
  double busy_s = 0;
  double peak_util = 0;
  std::uint32_t streams = 0;
};

/// Round of every (src, dst, part, chunk), from the schedule: global round index, or for per-rank
/// schedules the sender's exchange index.
class RoundIndex {
 public:
  RoundIndex(const Schedule* s, const Payload& payload, std::int32_t ranks)
      : ranks_(ranks), parts_(static_cast<std::uint64_t>(payload.parts.size())), chunks_(payload.chunks) {
    if (!s) return;
    auto add = [&](const Transfer& t, std::size_t round) { map_[key(t.src, t.dst, t.part, t.chunk)] = static_cast<std::uint32_t>(round); };
    if (s->kind == ScheduleKind::per_rank) {
      for (std::size_t r = 0; r < s->rank_orders.size(); ++r)
        for (std::size_t i = 0; i < s->rank_orders[r].size(); ++i)
          for (const Transfer& t : s->rank_orders[r][i].transfers)
            if (t.src == static_cast<Rank>(r)) add(t, i);
    } else {
      for (std::size_t i = 0; i < s->rounds.size(); ++i)
        for (const Transfer& t : s->rounds[i].transfers) add(t, i);
    }
  }
  std::uint32_t find(const Op& send, std::uint32_t fallback) const {
    const auto it = map_.find(key(send.block.src, send.block.dst, send.part, send.chunk));
    return it == map_.end() ? fallback : it->second;
  }

 private:
  std::uint64_t key(Rank src, Rank dst, std::uint64_t part, std::uint64_t chunk) const {
    return ((static_cast<std::uint64_t>(src) * ranks_ + dst) * parts_ + part) * chunks_ + chunk;
  }
  std::uint64_t ranks_, parts_, chunks_;
  std::unordered_map<std::uint64_t, std::uint32_t> map_;
};

class Executor {
 public:
  Executor(const Topology& topology, const ProgramSet& programs, const SimOptions& options)
      : topology_(topology),
        programs_(programs),
        options_(options),
        contention_(options.model == SimModel::contention),
        router_(topology, options.transport.value_or(topology.params.transport), contention_, options.mechanisms.tlp),
        policy_(topology, router_.transport(), options.mechanisms, options.ce_reads),
        matcher_(programs),
        rounds_(options.record_transfers ? options.schedule : nullptr, programs.payload, programs.ranks) {
    for (const Resource& r : router_.resources()) model_.add_link(r.capacity_bytes_per_s);
    report_.links.resize(router_.resources().size());
    for (std::size_t i = 0; i < report_.links.size(); ++i) report_.links[i].resource = router_.resources()[i];
    if (contention_ && options.mechanisms.interleave) set_interleaving();
    // Parts and chunks to one peer go down one connection (NCCL serialises a group's operations
    // per peer): they are one stream, however many of them are posted.
    per_pair_streams_ = contention_ && programs.payload.parts.size() * programs.payload.chunks > 1;
    link_state_.resize(report_.links.size());
    step_seen_.assign(programs.ranks, 0);
    report_.rank_finish_s.assign(programs.ranks, 0);
    report_.step_end_s.resize(programs.ranks);
  }

  SimReport run() {
    fill_header();
    matcher_.start();
    for (Rank r = 0; r < programs_.ranks; ++r) note_progress(r);
    if (!drain_matches()) return finish();
    while (!events_.empty()) {
      now_ = events_.top().time;
      const double batch_end = now_ + window(events_.top());
      in_batch_ = true;
      Event e;
      while (next_in_batch(batch_end, e)) {
        if (e.kind == EventKind::start) start_flow(e.id);
        else if (!finish_flow(e)) return finish();
      }
      in_batch_ = false;
      ++report_.events;
      solve();
    }
    return finish();
  }

 private:
  /// Gives every resource the interleaving loss the policy assigns it under this run's engine.
  void set_interleaving() {
    const auto links = static_cast<std::uint32_t>(topology_.edges().size());
    for (std::uint32_t i = 0; i < links; ++i) {
      const double alpha = policy_.interleave_alpha(i);
      if (alpha <= 0) continue;
      model_.set_interleave(static_cast<FlowModel::LinkId>(i), alpha);
      report_.links[i].alpha = alpha;
      report_.links[i].min_capacity = report_.links[i].resource.capacity_bytes_per_s;
    }
  }

  double stream_cap(const Route& route) const {
    return contention_ ? policy_.stream_cap(route) : FlowModel::kUncapped;
  }

  void fill_header() {
    report_.model = to_string(options_.model);
    if (contention_) report_.mechanisms = to_string(options_.mechanisms);
    report_.algo = programs_.algo;
    report_.discipline = programs_.discipline;
    report_.transport = to_string(router_.transport());
    report_.ranks = programs_.ranks;
    report_.block_bytes = programs_.payload.block_bytes();
    report_.chunks = programs_.payload.chunks;
  }

  /// How far past `first` events still belong to its instant.
  double window(const Event& first) const {
    double w = kSameInstant * std::max(now_, 1e-6);
    if (options_.time_tolerance > 0 && first.kind == EventKind::finish)
      w = std::max(w, options_.time_tolerance * (first.time - flights_[first.id].started));
    return w;
  }

  /// Events at the batch's own instant (transfers that start with no delay: most of them) skip
  /// the heap: they would come out right after the heap's events at that instant, which are older,
  /// and before any later one, so a FIFO gives the same order for less (perf: the event heap was
  /// 6 % of an N = 256 run).
  void push(double time, EventKind kind, std::uint32_t id, std::uint64_t version = 0) {
    const Event e{time, seq_++, kind, id, version};
    if (in_batch_ && time == now_) instant_.push_back(e);
    else events_.push(e);
  }

  /// The next event of the batch that ends at `batch_end`, in (time, seq) order; false at its end.
  bool next_in_batch(double batch_end, Event& e) {
    if (!events_.empty() && events_.top().time == now_) return pop_heap_event(e);
    if (instant_head_ < instant_.size()) {
      e = instant_[instant_head_++];
      return true;
    }
    instant_.clear();
    instant_head_ = 0;
    return !events_.empty() && events_.top().time <= batch_end && pop_heap_event(e);
  }

  bool pop_heap_event(Event& e) {
    e = events_.top();
    events_.pop();
    return true;
  }

  /// Turns every new match into a pending transfer; false on a mismatch.
  bool drain_matches() {
    Match m;
    while (matcher_.pop_match(m)) {
      if (!matcher_.mismatches().empty()) return false;
      const Op& send = matcher_.op(m.send);
      const std::uint32_t slot = take_pending_slot();
      Pending& p = pending_[slot];
      p.match = m;
      p.bytes = send.bytes;
      router_.route(m.send.rank, m.recv.rank, p.route);
      p.cap = stream_cap(p.route);
      const bool capped_staging = p.route.transport == TransportKind::shm || p.route.transport == TransportKind::cuda_staged;
      if (p.route.staged && topology_.params.shm_flow_cap_bytes_per_s > 0 && capped_staging)
        p.cap = std::min(p.cap, topology_.params.shm_flow_cap_bytes_per_s);
      double delay = p.route.latency_s + topology_.params.op_cost_s;
      if (p.route.staged && std::isfinite(p.route.min_capacity))
        delay += static_cast<double>(std::min<std::uint64_t>(topology_.params.chunk_bytes, send.bytes)) /
                 std::min(p.route.min_capacity, p.cap);
      p.record = options_.record_transfers ? record_transfer(m, send) : kNone;
      for (const FlowModel::Use& u : p.route.uses) {
        LinkState& l = link_state_[u.link];
        l.bytes += static_cast<double>(send.bytes);
        l.charged += static_cast<double>(send.bytes) * u.weight;
      }
      push(now_ + delay, EventKind::start, slot);
    }
    return matcher_.mismatches().empty();
  }

  /// A free slot of pending_; its route buffer is kept, so routing allocates nothing.
  std::uint32_t take_pending_slot() {
    if (free_pending_.empty()) {
      pending_.emplace_back();
      return static_cast<std::uint32_t>(pending_.size() - 1);
    }
    const std::uint32_t slot = free_pending_.back();
    free_pending_.pop_back();
    return slot;
  }

  std::uint32_t record_transfer(const Match& m, const Op& send) {
    const Program& prog = programs_.programs[m.send.rank];
    const auto step = static_cast<std::uint32_t>(
        std::upper_bound(prog.step_begin.begin(), prog.step_begin.end(), m.send.index) - prog.step_begin.begin() - 1);
    TransferReport t{m.send.rank, m.recv.rank, send.part, send.chunk, send.bytes, step, rounds_.find(send, step), now_, 0};
    report_.transfers.push_back(t);
    return static_cast<std::uint32_t>(report_.transfers.size() - 1);
  }

  void start_flow(std::uint32_t slot) {
    Pending& p = pending_[slot];
    // A stream: a transfer of this run's transport (not one that left the box by the network),
    // and, where several go to one peer, only the first of them (finish_flow hands it on).
    const std::uint64_t pair = static_cast<std::uint64_t>(p.match.send.rank) * programs_.ranks + p.match.recv.rank;
    bool stream = p.route.transport == router_.transport();
    std::vector<FlowModel::FlowId>* same_pair = nullptr;
    if (stream && per_pair_streams_) {
      same_pair = &pair_flows_[pair];
      stream = same_pair->empty();
    }
    const FlowModel::FlowId f = model_.add_flow(p.route.uses, p.cap, stream);
    if (same_pair) same_pair->push_back(f);
    if (f >= flights_.size()) flights_.resize(f + 1);
    flights_[f] = {p.match, pair, p.record, static_cast<double>(p.bytes), now_, 0, flights_[f].version + 1, now_};
    p.route.uses.clear();
    free_pending_.push_back(slot);
  }

  /// Completes a transfer whose flow ran dry; false when the matcher reports a mismatch.
  bool finish_flow(const Event& e) {
    InFlight& f = flights_[e.id];
    if (e.version != f.version) return true;  // rate changed since this prediction
    ++f.version;
    const bool was_stream = per_pair_streams_ && pair_flows_.count(f.pair);
    model_.remove_flow(e.id);
    if (was_stream) hand_on_stream(f.pair, e.id);
    if (f.record != kNone) report_.transfers[f.record].end_s = now_;
    const Match m = f.match;
    matcher_.complete(m);
    note_progress(m.send.rank);
    note_progress(m.recv.rank);
    return drain_matches();
  }

  /// The first flow of a pair was the stream; when it ends, the next one to that peer is.
  void hand_on_stream(std::uint64_t pair, FlowModel::FlowId gone) {
    auto it = pair_flows_.find(pair);
    std::vector<FlowModel::FlowId>& flows = it->second;
    const bool was_first = flows.front() == gone;
    flows.erase(std::find(flows.begin(), flows.end(), gone));
    if (flows.empty()) pair_flows_.erase(it);
    else if (was_first) model_.set_stream(flows.front(), true);
  }

  void note_progress(Rank r) {
    const std::uint32_t step = matcher_.current_step(r);
    for (; step_seen_[r] < step; ++step_seen_[r]) report_.step_end_s[r].push_back(now_);
    if (matcher_.rank_done(r)) report_.rank_finish_s[r] = now_;
  }

  void solve() {
    model_.solve();
    ++report_.solves;
    // An unchanged rate keeps its finish prediction; only new flows (rate 0) and changed ones move.
    for (FlowModel::FlowId id : model_.changed_flows()) {
      InFlight& f = flights_[id];
      f.remaining = std::max(0.0, f.remaining - f.rate * (now_ - f.since));
      f.since = now_;
      f.rate = model_.rate(id);
      ++f.version;
      if (f.rate > 0) push(now_ + f.remaining / f.rate, EventKind::finish, id, f.version);
      else if (f.remaining == 0) push(now_, EventKind::finish, id, f.version);
      // else starved: the next solve of its component gives it a rate
    }
    for (FlowModel::LinkId l : model_.changed_links()) set_util(l, model_.load(l) / model_.capacity(l));
    if (report_.links.empty() || !contention_) return;
    for (FlowModel::LinkId l : model_.changed_links()) note_streams(l);
  }

  /// Records a lossy link's stream count and capacity when they change.
  void note_streams(FlowModel::LinkId l) {
    LinkReport& r = report_.links[l];
    if (r.alpha == 0) return;
    LinkState& s = link_state_[l];
    const std::uint32_t k = model_.streams(l);
    if (k == s.streams) return;
    s.streams = k;
    if (k > r.peak_streams) {
      r.peak_streams = k;
      r.min_capacity = model_.capacity(l);
    }
    if (options_.record_util) r.streams.push_back({now_, k, model_.capacity(l)});
  }

  void set_util(FlowModel::LinkId l, double util) {
    LinkState& s = link_state_[l];
    if (util == s.util) return;
    s.busy_s += s.util * (now_ - s.last_t);
    s.last_t = now_;
    s.util = util;
    s.peak_util = std::max(s.peak_util, util);
    if (options_.record_util) report_.links[l].util.emplace_back(now_, util);
  }

  SimReport finish() {
    if (!matcher_.mismatches().empty()) {
      const Mismatch& mm = matcher_.mismatches().front();
      report_.ok = false;
      report_.error = "mismatch: rank " + std::to_string(mm.send.rank) + " " + describe(matcher_.op(mm.send)) +
                      " matched rank " + std::to_string(mm.recv.rank) + " " + describe(matcher_.op(mm.recv)) + ": " + mm.what;
    } else if (!matcher_.finished()) {
      report_.ok = false;
      std::string waits;
      for (Rank r = 0; r < programs_.ranks; ++r) {
        if (matcher_.rank_done(r)) continue;
        report_.blocked.push_back(r);
        if (report_.blocked.size() <= 8) {
          const auto pending = matcher_.pending(r);
          waits += "; rank " + std::to_string(r) + " at step " + std::to_string(matcher_.current_step(r));
          if (!pending.empty()) waits += " waits on " + describe(matcher_.op(pending.front()));
        }
      }
      report_.error = "deadlock at t = " + std::to_string(now_) + " s: " + std::to_string(report_.blocked.size()) +
                      " rank(s) blocked" + waits;
    }
    report_.time_s = 0;
    for (double t : report_.rank_finish_s) report_.time_s = std::max(report_.time_s, t);
    if (!report_.ok) report_.time_s = now_;
    metrics();
    return std::move(report_);
  }

  void metrics() {
    SimReport& r = report_;
    const double total = static_cast<double>(r.ranks) * static_cast<double>(r.block_bytes);
    if (r.time_s > 0 && r.ok) {
      r.algbw_gbps = total / r.time_s / 1e9;
      r.busbw_gbps = r.algbw_gbps * (r.ranks - 1) / r.ranks;
    }
    double best = -1;
    for (std::size_t i = 0; i < r.links.size(); ++i) {
      LinkReport& l = r.links[i];
      const LinkState& s = link_state_[i];
      l.busy_s = s.busy_s + s.util * (r.time_s - s.last_t);
      l.peak_util = s.peak_util;
      l.bytes = s.bytes;
      l.charged = s.charged;
      l.mean_util = r.time_s > 0 ? l.busy_s / r.time_s : 0;
      const double t = l.charged / l.resource.capacity_bytes_per_s;
      if (t > best) {
        best = t;
        r.bound_s = t;
        r.bottleneck = l.resource.name;
      }
    }
    r.efficiency = r.time_s > 0 ? r.bound_s / r.time_s : 0;
  }

  const Topology& topology_;
  const ProgramSet& programs_;
  SimOptions options_;
  bool contention_;
  bool per_pair_streams_ = false;
  std::unordered_map<std::uint64_t, std::vector<FlowModel::FlowId>> pair_flows_;  // active, oldest first
  Router router_;
  ContentionPolicy policy_;
  Matcher matcher_;
  RoundIndex rounds_;
  FlowModel model_;
  SimReport report_;
  EventQueue events_;
  std::vector<Event> instant_;  // events pushed during a batch at its own instant, FIFO
  std::size_t instant_head_ = 0;
  bool in_batch_ = false;
  std::uint64_t seq_ = 0;
  double now_ = 0;
  std::vector<Pending> pending_;
  std::vector<std::uint32_t> free_pending_;
  std::vector<InFlight> flights_;
  std::vector<LinkState> link_state_;
  std::vector<std::uint32_t> step_seen_;
};

}  // namespace

const std::vector<NamedValue<SimModel>>& sim_models() {
  static const std::vector<NamedValue<SimModel>> table = {{"contention", SimModel::contention}, {"fluid", SimModel::fluid}};
  return table;
}

std::string to_string(SimModel model) { return name_of(sim_models(), model); }

SimModel parse_sim_model(const std::string& name) { return parse_value(sim_models(), name, "simulation model"); }

Mechanisms parse_mechanisms(const std::string& list) {
  if (list == "all") return {};
  Mechanisms m{false, false, false, false};
  if (list == "none") return m;
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    const std::string name = list.substr(start, comma - start);
    if (name == "tlp") m.tlp = true;
    else if (name == "interleave") m.interleave = true;
    else if (name == "window") m.window = true;
    else if (name == "channels") m.channels = true;
    else
      throw std::invalid_argument("unknown mechanism '" + name + "' in '" + list +
                                  "': use a comma list of tlp, interleave, window, channels, or all, or none");
    start = comma + 1;
  }
  return m;
}

std::string to_string(const Mechanisms& m) {
  std::string out;
  for (auto [on, name] :
       {std::pair{m.tlp, "tlp"}, {m.interleave, "interleave"}, {m.window, "window"}, {m.channels, "channels"}})
    if (on) out += std::string(out.empty() ? "" : ",") + name;
  return out.empty() ? "none" : out;
}

SimReport simulate(const Topology& topology, const ProgramSet& programs, const SimOptions& options) {
  const auto gpus = static_cast<std::int32_t>(topology.gpus().size());
  if (programs.ranks > gpus)
    throw std::invalid_argument("the programs have " + std::to_string(programs.ranks) + " ranks but topology '" +
                                topology.name + "' has " + std::to_string(gpus) +
                                " GPUs: use fewer --ranks, more --boxes or a bigger topology");
  if (programs.ranks < 1) throw std::invalid_argument("nothing to simulate: the programs have no ranks");
  if (!(options.time_tolerance >= 0 && options.time_tolerance < 1))
    throw std::invalid_argument("time tolerance must be in [0, 1): it is a fraction of a transfer's duration");
  return Executor(topology, programs, options).run();
}

}  // namespace ua2a

namespace ua2a {

SimReport simulate_explained(const Topology& topology, const ProgramSet& programs, const SimOptions& options) {
  SimReport report = simulate(topology, programs, options);
  if (options.model != SimModel::contention || !report.ok) return report;
  SimOptions quiet = options;
  quiet.record_transfers = false;
  quiet.record_util = false;
  // The bound: the same routes and capacities with every loss off (the fluid model's own routes
  // share a root complex's forwarding resource, so its time is no bound on this model's).
  quiet.mechanisms = parse_mechanisms("none");
  report.fluid_time_s = simulate(topology, programs, quiet).time_s;
  report.set_by = "bandwidth";
  report.time_without_s = report.time_s;
  double best_gain = 0.01;  // a mechanism that moves the time by under 1 % sets nothing
  const std::pair<bool Mechanisms::*, const char*> all[] = {{&Mechanisms::tlp, "tlp"},
                                                             {&Mechanisms::interleave, "interleave"},
                                                             {&Mechanisms::window, "window"},
                                                             {&Mechanisms::channels, "channels"}};
  for (auto [m, name] : all) {
    if (!(options.mechanisms.*m)) continue;
    quiet.mechanisms = options.mechanisms;
    quiet.mechanisms.*m = false;
    const SimReport without = simulate(topology, programs, quiet);
    const double gain = without.ok ? 1 - without.time_s / report.time_s : 0;
    if (gain > best_gain) {
      best_gain = gain;
      report.set_by = name;
      report.time_without_s = without.time_s;
    }
  }
  return report;
}

}  // namespace ua2a
