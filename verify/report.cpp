#include "verify/report.h"

#include <nlohmann/json.hpp>
#include <sstream>

namespace ua2a {

VerifyReport verify(const Schedule& schedule, Discipline discipline, const ExecuteOptions& options) {
  return verify(schedule, lower(schedule, discipline), options);
}

VerifyReport verify(const Schedule& schedule, const ProgramSet& lowered, const ExecuteOptions& options) {
  StructureReport structure = check_structure(schedule);
  VerifyReport report = verify(lowered, options);
  report.structure = std::move(structure);
  return report;
}

VerifyReport verify(const ProgramSet& programs, const ExecuteOptions& options) {
  VerifyReport report;
  report.ranks = programs.ranks;
  report.algo = programs.algo;
  report.discipline = programs.discipline;
  report.execution = execute(programs, options);
  if (options.eager_bytes) report.zero_buffer_deadlock_free = execute(programs, {}).deadlock_free();
  return report;
}

namespace {

constexpr std::size_t kOpsPerLink = 3;  ///< ops shown per wait link before "and N more"
constexpr std::size_t kTextExamples = 8;

const char* yes_no(bool ok) { return ok ? "yes" : "NO"; }

std::string site_text(const OpSite& s) {
  return "rank " + std::to_string(s.rank) + " step " + std::to_string(s.step) + ": " + describe(s.op);
}

std::string link_text(const WaitLink& l) {
  std::string ops;
  for (std::size_t i = 0; i < l.ops.size() && i < kOpsPerLink; ++i) ops += (i ? "; " : "") + describe(l.ops[i].op);
  if (l.ops.size() > kOpsPerLink) ops += "; and " + std::to_string(l.ops.size() - kOpsPerLink) + " more";
  return "rank " + std::to_string(l.rank) + " (step " + std::to_string(l.step) + ": " + ops + ") waits for rank " +
         std::to_string(l.waits_for);
}

std::string transfer_text(const Transfer& t) {
  return std::to_string(t.src) + "->" + std::to_string(t.dst) + " part " + std::to_string(t.part) + " chunk " +
         std::to_string(t.chunk) + " (" + std::to_string(t.bytes) + " B)";
}

void structure_text(std::ostringstream& s, const StructureReport& r) {
  if (r.matching_applies) {
    s << "rounds are matchings: " << yes_no(r.matchings_ok());
    if (r.matchings_ok()) s << " (" << r.rounds << (r.rounds == 1 ? " round)\n" : " rounds)\n");
    else s << ": " << r.conflict_count << " rank(s) in a round with several " << r.conflicts.front().what << "\n";
    for (std::size_t i = 0; i < r.conflicts.size() && i < kTextExamples; ++i) {
      const RoundConflict& c = r.conflicts[i];
      s << "  round " << c.round << ": rank " << c.rank << " has " << c.what;
      for (std::size_t k = 0; k < c.peers.size(); ++k) s << (k ? ", " : " ") << c.peers[k];
      s << "\n";
    }
  } else {
    s << "rounds are matchings: n/a (" << to_string(r.kind) << " schedule)\n";
  }
  s << "coverage: " << yes_no(r.coverage_ok());
  if (r.coverage_ok()) s << " (every off-diagonal piece scheduled once: " << r.coverage.expected << " pieces)\n";
  else s << "\n";
  if (!r.coverage.ok()) {
    std::istringstream lines(r.coverage.summary());
    for (std::string line; std::getline(lines, line);) s << "  scheduled " << line << "\n";
  }
  if (r.self_send_count > 0) {
    s << "  " << r.self_send_count << " transfer(s) sent to itself:";
    for (std::size_t i = 0; i < r.self_sends.size() && i < kTextExamples; ++i)
      s << (i ? "; " : " ") << transfer_text(r.self_sends[i]);
    s << "\n";
  }
  s << "block sizes: " << yes_no(r.sizes_ok());
  s << (r.sizes_ok() ? " (every transfer carries its payload's bytes)\n" : "\n");
  for (std::size_t i = 0; i < r.size_errors.size() && i < kTextExamples; ++i) {
    const SizeError& e = r.size_errors[i];
    s << "  round " << e.round << ": " << transfer_text(e.transfer) << " should carry " << e.expected_bytes << " B\n";
  }
  std::uint64_t max_out = 0, max_in = 0;
  for (const RankLoad& l : r.loads) max_out = std::max(max_out, l.max_round_bytes_out), max_in = std::max(max_in, l.max_round_bytes_in);
  s << "balance: " << (r.balanced ? "yes" : "no") << " (rank 0 sends " << r.loads.front().bytes_out << " B, receives "
    << r.loads.front().bytes_in << " B; at most " << max_out << " B out and " << max_in << " B in per rank and round)\n";
  if (r.kind == ScheduleKind::per_rank) {
    // A per-rank order's length is no round count: ranks may wait on each other far longer
    // (the staircase serialises); simulate shows the time.
    s << "round count: n/a (per-rank schedule; longest order " << r.rounds << " exchanges, at least "
      << r.round_lower_bound << " needed)\n";
    return;
  }
  s << "round count: " << r.rounds << " (lower bound " << r.round_lower_bound
    << (r.rounds == r.round_lower_bound ? ": optimal" : "") << ")\n";
}

void deadlock_text(std::ostringstream& s, const ExecutionReport& e) {
  s << "deadlock-free: " << yes_no(e.deadlock_free());
  if (e.deadlock_free()) {
    s << " (" << e.ops << " ops, " << e.matches << " matches, " << e.steps_completed << " steps completed)\n";
    return;
  }
  const Deadlock& d = *e.deadlock;
  s << ": " << d.blocked_ranks << " rank(s) blocked, " << e.never_posted << " op(s) never posted\n";
  if (!d.cycle.empty()) {
    s << "  wait-for cycle of length " << d.cycle.size() << " (" << d.ranks_on_cycles << " rank(s) on cycles):\n";
    for (const WaitLink& l : d.cycle) s << "    " << link_text(l) << "\n";
    return;
  }
  s << "  no wait-for cycle; a chain of waits ends at a rank that has finished:\n";
  for (const WaitLink& l : d.chain) s << "    " << link_text(l) << "\n";
  if (d.finished_rank >= 0) s << "    rank " << d.finished_rank << " has finished\n";
}

void execution_text(std::ostringstream& s, const ExecutionReport& e) {
  deadlock_text(s, e);
  s << "matches consistent: " << yes_no(e.matches_ok());
  s << (e.matches_ok() ? "\n" : ": " + std::to_string(e.mismatch_count) + " mismatched match(es)\n");
  for (std::size_t i = 0; i < e.mismatches.size() && i < kTextExamples; ++i) {
    const MismatchSite& m = e.mismatches[i];
    s << "  " << site_text(m.send) << "\n    matched " << site_text(m.recv) << "\n    differ: " << m.what << "\n";
  }
  s << "all operations matched: " << yes_no(e.all_matched());
  s << (e.all_matched() ? "\n" : ": " + std::to_string(e.unmatched_count) + " op(s) posted and never matched\n");
  for (std::size_t i = 0; i < e.unmatched.size() && i < kTextExamples; ++i) s << "  " << site_text(e.unmatched[i]) << "\n";
  s << "exactly-once delivery: " << yes_no(e.delivery_ok());
  if (e.delivery_ok()) {
    s << " (" << e.delivery.expected << " pieces arrived once, each at its destination and slot)\n";
    return;
  }
  s << "\n";
  if (e.delivery.ok()) {  // every piece landed in its slot, but some through a mismatched match
    s << "  " << e.mismatch_count << " piece(s) arrived through a mismatched match (see above): the receive asked for "
      << "different bytes, so they were not delivered as the programs say\n";
    return;
  }
  std::istringstream lines(e.delivery.summary());
  for (std::string line; std::getline(lines, line);) s << "  " << line << "\n";
}

std::string buffering(const std::optional<std::uint64_t>& eager) {
  return eager ? "eager sends up to " + std::to_string(*eager) + " B" : "zero-buffer (rendezvous)";
}

}  // namespace

std::string report_to_text(const VerifyReport& r) {
  std::ostringstream s;
  s << "verify: " << (r.algo.empty() ? "programs" : r.algo) << ", " << r.ranks << " ranks, "
    << (r.discipline.empty() ? "" : "discipline " + r.discipline + ", ") << buffering(r.execution.eager_bytes) << "\n";
  if (r.structure) structure_text(s, *r.structure);
  execution_text(s, r.execution);
  if (r.zero_buffer_deadlock_free)
    s << "zero-buffer (no eager sends): "
      << (*r.zero_buffer_deadlock_free ? "deadlock-free too\n"
                                       : "DEADLOCKS: this pass relies on sends of up to " +
                                             std::to_string(*r.execution.eager_bytes) + " B being buffered\n");
  if (r.ok()) {
    s << "verdict: every property holds\n";
    return s.str();
  }
  std::string failed;
  auto add = [&](bool ok, const char* name) {
    if (!ok) failed += (failed.empty() ? "" : ", ") + std::string(name);
  };
  if (r.structure) {
    add(r.structure->matchings_ok(), "rounds are matchings");
    add(r.structure->coverage_ok(), "coverage");
    add(r.structure->sizes_ok(), "block sizes");
  }
  add(r.execution.deadlock_free(), "deadlock-free");
  add(r.execution.matches_ok(), "matches consistent");
  add(r.execution.all_matched(), "all operations matched");
  add(r.execution.delivery_ok(), "exactly-once delivery");
  s << "verdict: VIOLATED: " << failed << "\n";
  return s.str();
}

namespace {

using nlohmann::ordered_json;

ordered_json op_json(const Op& op) {
  return {{"op", to_string(op.kind)}, {"peer", op.peer}, {"src", op.block.src}, {"dst", op.block.dst},
          {"part", op.part},          {"chunk", op.chunk}, {"bytes", op.bytes}};
}

ordered_json site_json(const OpSite& s) {
  return {{"rank", s.rank}, {"step", s.step}, {"index", s.index}, {"op", op_json(s.op)}, {"text", describe(s.op)}};
}

ordered_json links_json(const std::vector<WaitLink>& links) {
  ordered_json out = ordered_json::array();
  for (const WaitLink& l : links) {
    ordered_json ops = ordered_json::array();
    for (const OpSite& s : l.ops) ops.push_back(site_json(s));
    out.push_back({{"rank", l.rank}, {"step", l.step}, {"waits_for", l.waits_for}, {"ops", ops}});
  }
  return out;
}

ordered_json transfer_json(const Transfer& t) {
  return {{"src", t.src}, {"dst", t.dst}, {"part", t.part}, {"chunk", t.chunk}, {"bytes", t.bytes}};
}

ordered_json ledger_json(const LedgerReport& l) {
  auto pieces = [](const std::vector<Piece>& list) {
    ordered_json out = ordered_json::array();
    for (const Piece& p : list)
      out.push_back({{"src", p.block.src}, {"dst", p.block.dst}, {"part", p.part}, {"chunk", p.chunk}, {"count", p.count}});
    return out;
  };
  ordered_json misplaced = ordered_json::array();
  for (const Arrival& a : l.misplaced)
    misplaced.push_back({{"at", a.at}, {"slot", a.slot}, {"src", a.block.src}, {"dst", a.block.dst}, {"part", a.part}, {"chunk", a.chunk}});
  return {{"ok", l.ok()},
          {"expected", l.expected},
          {"arrived", l.arrived},
          {"missing_count", l.missing_count},
          {"duplicated_count", l.duplicated_count},
          {"misplaced_count", l.misplaced_count},
          {"missing", pieces(l.missing)},
          {"duplicated", pieces(l.duplicated)},
          {"misplaced", misplaced}};
}

ordered_json structure_json(const StructureReport& r) {
  ordered_json conflicts = ordered_json::array();
  for (const RoundConflict& c : r.conflicts)
    conflicts.push_back({{"round", c.round}, {"rank", c.rank}, {"what", c.what}, {"peers", c.peers}});
  ordered_json self = ordered_json::array();
  for (const Transfer& t : r.self_sends) self.push_back(transfer_json(t));
  ordered_json sizes = ordered_json::array();
  for (const SizeError& e : r.size_errors)
    sizes.push_back({{"round", e.round}, {"transfer", transfer_json(e.transfer)}, {"expected_bytes", e.expected_bytes}});
  ordered_json loads = ordered_json::array();
  for (const RankLoad& l : r.loads)
    loads.push_back({{"bytes_out", l.bytes_out}, {"bytes_in", l.bytes_in}, {"max_round_bytes_out", l.max_round_bytes_out},
                     {"max_round_bytes_in", l.max_round_bytes_in}});
  return {{"kind", to_string(r.kind)},
          {"matchings", {{"applies", r.matching_applies}, {"ok", r.matchings_ok()}, {"conflict_count", r.conflict_count}, {"conflicts", conflicts}}},
          {"coverage", {{"ok", r.coverage_ok()}, {"ledger", ledger_json(r.coverage)}, {"self_send_count", r.self_send_count}, {"self_sends", self}}},
          {"block_sizes", {{"ok", r.sizes_ok()}, {"error_count", r.size_error_count}, {"errors", sizes}}},
          {"balance", {{"balanced", r.balanced}, {"loads", loads}}},
          {"rounds", {{"count", r.rounds}, {"lower_bound", r.round_lower_bound}}}};
}

ordered_json execution_json(const ExecutionReport& e) {
  ordered_json deadlock = nullptr;
  if (e.deadlock) {
    const Deadlock& d = *e.deadlock;
    deadlock = {{"blocked_ranks", d.blocked_ranks},
                {"ranks_on_cycles", d.ranks_on_cycles},
                {"cycle", links_json(d.cycle)},
                {"chain", links_json(d.chain)},
                {"finished_rank", d.finished_rank >= 0 ? ordered_json(d.finished_rank) : ordered_json(nullptr)}};
  }
  ordered_json mismatches = ordered_json::array();
  for (const MismatchSite& m : e.mismatches)
    mismatches.push_back({{"send", site_json(m.send)}, {"recv", site_json(m.recv)}, {"what", m.what}});
  ordered_json unmatched = ordered_json::array();
  for (const OpSite& s : e.unmatched) unmatched.push_back(site_json(s));
  return {{"eager_bytes", e.eager_bytes ? ordered_json(*e.eager_bytes) : ordered_json(nullptr)},
          {"ops", e.ops},
          {"matches", e.matches},
          {"steps_completed", e.steps_completed},
          {"deadlock_free", e.deadlock_free()},
          {"deadlock", deadlock},
          {"matches_consistent", e.matches_ok()},
          {"mismatch_count", e.mismatch_count},
          {"mismatches", mismatches},
          {"all_matched", e.all_matched()},
          {"unmatched_count", e.unmatched_count},
          {"unmatched", unmatched},
          {"never_posted", e.never_posted},
          {"exactly_once", e.delivery_ok()},  // the ledger's verdict and every match consistent
          {"delivery", ledger_json(e.delivery)}};
}

}  // namespace

std::string report_to_json(const VerifyReport& r, int indent) {
  ordered_json doc = {{"format", "ulysses-a2a/verify-report"},
                      {"version", 1},
                      {"ranks", r.ranks},
                      {"algo", r.algo},
                      {"discipline", r.discipline},
                      {"ok", r.ok()},
                      {"structure", r.structure ? structure_json(*r.structure) : ordered_json(nullptr)},
                      {"execution", execution_json(r.execution)}};
  // Present only with --eager: null would read as "unknown" rather than "not asked".
  if (r.zero_buffer_deadlock_free) doc["zero_buffer_deadlock_free"] = *r.zero_buffer_deadlock_free;
  return doc.dump(indent) + "\n";
}

}  // namespace ua2a
