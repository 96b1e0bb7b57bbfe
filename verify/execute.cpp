#include "verify/execute.h"

#include <algorithm>
#include <stdexcept>

#include "verify/waitfor.h"

namespace ua2a {

std::uint32_t step_of(const Program& program, std::uint32_t index) {
  const auto it = std::upper_bound(program.step_begin.begin(), program.step_begin.end(), index);
  return static_cast<std::uint32_t>(it - program.step_begin.begin() - 1);
}

namespace {

OpSite site(const ProgramSet& set, OpRef ref) {
  const Program& p = set.programs[ref.rank];
  return {ref.rank, step_of(p, ref.index), ref.index, p.ops[ref.index]};
}

/// The ops rank r waits on that are posted and unmatched (the ones that name whom it waits for).
std::vector<OpRef> waiting_ops(const Matcher& m, Rank r) {
  std::vector<OpRef> ops;
  for (const OpRef& ref : m.pending(r))
    if (m.state(ref) == OpState::posted) ops.push_back(ref);
  return ops;
}

WaitLink link(const Matcher& m, Rank from, Rank to) {
  WaitLink l{from, m.current_step(from), {}, to};
  for (const OpRef& ref : waiting_ops(m, from))
    if (m.op(ref).peer == to) l.ops.push_back(site(m.programs(), ref));
  return l;
}

std::vector<WaitLink> links_along(const Matcher& m, const std::vector<Rank>& path, bool closed) {
  std::vector<WaitLink> links;
  const std::size_t n = closed ? path.size() : path.size() - 1;
  for (std::size_t i = 0; i < n; ++i) links.push_back(link(m, path[i], path[(i + 1) % path.size()]));
  return links;
}

Deadlock explain_deadlock(const Matcher& m) {
  const ProgramSet& set = m.programs();
  Deadlock d;
  std::vector<WaitEdge> edges;
  Rank first_blocked = -1;
  for (Rank r = 0; r < set.ranks; ++r) {
    if (m.rank_done(r)) continue;
    ++d.blocked_ranks;
    if (first_blocked == -1) first_blocked = r;
    for (const OpRef& ref : waiting_ops(m, r)) edges.push_back({r, m.op(ref).peer});
  }
  d.ranks_on_cycles = ranks_on_cycles(set.ranks, edges);
  const std::vector<Rank> cycle = find_wait_cycle(set.ranks, edges);
  if (!cycle.empty()) {
    d.cycle = links_along(m, cycle, true);
    return d;
  }
  // Acyclic: every blocked rank waits, through a chain, on a rank that has finished.
  const std::vector<Rank> chain = wait_chain(set.ranks, edges, first_blocked);
  d.chain = links_along(m, chain, false);
  if (m.rank_done(chain.back())) d.finished_rank = chain.back();
  return d;
}

template <class T>
void keep(std::vector<T>& list, std::uint64_t& count, T item) {
  ++count;
  if (list.size() < ExecutionReport::kMaxListed) list.push_back(std::move(item));
}

/// One pass over every op in program order, after execution: records the arrival of every matched
/// send, collects ops posted but never matched, and counts ops never posted.
///
/// A send from a to b is matched, by the FIFO rule, with a receive that rank b posted from a: its
/// data lands at b in the slot for a, and carries the send's block, part and chunk, whatever the
/// receive expected. Recording here rather than as each match pops is the same set of arrivals in
/// rank order: each sender's ledger entries are then one short row, instead of a random cache
/// miss per match (1.5 s of a 4096-rank run when recorded in match order).
void account(const Matcher& m, const std::vector<bool>& eager_matched, DeliveryLedger& ledger, ExecutionReport& rep) {
  const ProgramSet& set = m.programs();
  const bool eager = !eager_matched.empty();
  std::size_t id = 0;
  for (Rank r = 0; r < set.ranks; ++r) {
    const Op* const ops = set.programs[r].ops.data();
    const auto count = static_cast<std::uint32_t>(set.programs[r].ops.size());
    for (std::uint32_t i = 0; i < count; ++i, ++id) {
      const Op& op = ops[i];
      const OpState state = m.state({r, i});
      // Zero-buffer: a send leaves `posted` only through its match. Eager: a send completes when
      // posted, so only the record of the run tells whether anyone received it.
      const bool matched = eager ? static_cast<bool>(eager_matched[id])
                                 : state == OpState::matched || state == OpState::completed;
      if (op.kind == OpKind::send && matched) {
        ledger.record(op.peer, r, op.block, op.part, op.chunk);
        continue;
      }
      const bool eager_orphan = op.kind == OpKind::send && state == OpState::completed;
      if (state == OpState::posted || eager_orphan) keep(rep.unmatched, rep.unmatched_count, site(set, {r, i}));
      else if (state == OpState::unposted) ++rep.never_posted;
    }
  }
}

}  // namespace

ExecutionReport execute(const ProgramSet& programs, const ExecuteOptions& options) {
  if (programs.ranks < 1)
    throw std::invalid_argument("program set has " + std::to_string(programs.ranks) + " ranks: it needs at least 1");
  ExecutionReport rep;
  rep.eager_bytes = options.eager_bytes;
  Matcher m(programs, {.eager_bytes = options.eager_bytes});
  DeliveryLedger ledger(programs.ranks, programs.payload, LedgerThreads::one);
  rep.ops = programs.op_count();
  // With eager sends, which sends were matched (one bit per op, by global op id); zero-buffer runs
  // read it from the op states instead, saving a cache miss per match.
  std::vector<std::uint32_t> base(programs.ranks, 0);
  for (Rank r = 1; r < programs.ranks; ++r)
    base[r] = base[r - 1] + static_cast<std::uint32_t>(programs.programs[r - 1].ops.size());
  std::vector<bool> eager_matched(options.eager_bytes ? rep.ops : 0, false);
  m.start();
  Match match;
  while (m.pop_match(match)) {
    if (!eager_matched.empty()) eager_matched[base[match.send.rank] + match.send.index] = true;
    m.complete(match);
    ++rep.matches;
  }
  rep.steps_completed = m.steps_completed();
  if (!m.finished()) rep.deadlock = explain_deadlock(m);
  for (const Mismatch& mm : m.mismatches())
    keep(rep.mismatches, rep.mismatch_count, {site(programs, mm.send), site(programs, mm.recv), mm.what});
  account(m, eager_matched, ledger, rep);
  rep.delivery = ledger.report();
  return rep;
}

}  // namespace ua2a
