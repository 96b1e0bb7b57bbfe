#include "verify/structure.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace ua2a {

std::size_t round_lower_bound(ScheduleKind kind, std::int32_t ranks) {
  if (ranks < 2) return 0;
  const auto n = static_cast<std::size_t>(ranks);
  switch (kind) {
    // N(N-1)/2 pairs, at most floor(N/2) per round.
    case ScheduleKind::pairing: return n % 2 == 0 ? n - 1 : n;
    // Every rank has N-1 destinations and sends to one per round (or exchange).
    case ScheduleKind::directed:
    case ScheduleKind::per_rank: return n - 1;
    case ScheduleKind::grouped: return 1;
  }
  return 0;
}

namespace {

/// Per-round bookkeeping reused across rounds: only the ranks a round touched are reset.
class RoundScan {
 public:
  RoundScan(std::int32_t ranks, StructureReport& report) : report_(report), ranks_(ranks) {}

  void add(std::size_t round, const Transfer& t, bool check_matching, bool pairing) {
    RankRound& src = touch(t.src);
    RankRound& dst = touch(t.dst);
    src.out += t.bytes;
    dst.in += t.bytes;
    if (!check_matching) return;
    if (pairing) {
      // In a pairing both ends of a transfer count as partners of each other.
      note(round, t.src, t.dst, src.dst, src.dst_conflict, "partners");
      note(round, t.dst, t.src, dst.dst, dst.dst_conflict, "partners");
    } else {
      note(round, t.src, t.dst, src.dst, src.dst_conflict, "destinations");
      note(round, t.dst, t.src, dst.src, dst.src_conflict, "sources");
    }
  }

  /// Closes a round: per-rank maxima and whether all active ranks moved the same bytes.
  void end_round() {
    std::uint64_t out = 0, in = 0;
    for (Rank r : touched_) {
      RankRound& rr = ranks_[r];
      RankLoad& load = report_.loads[r];
      load.bytes_out += rr.out;
      load.bytes_in += rr.in;
      load.max_round_bytes_out = std::max(load.max_round_bytes_out, rr.out);
      load.max_round_bytes_in = std::max(load.max_round_bytes_in, rr.in);
      if (!same(out, rr.out) || !same(in, rr.in)) report_.balanced = false;
      rr = {};
    }
    touched_.clear();
  }

 private:
  static constexpr std::uint32_t kNone = 0xffffffffu;

  /// One rank's figures for the current round, together: a transfer touches two ranks, and one
  /// cache line each (seven per-rank arrays cost seven).
  struct RankRound {
    std::uint64_t out = 0, in = 0;
    Rank dst = -1, src = -1;  // the first destination (partner) and source seen this round
    std::uint32_t dst_conflict = kNone, src_conflict = kNone;  // index into report.conflicts
    bool touched = false;
  };

  /// Ranks that move nothing in a round (a bye) do not break balance; the others must agree.
  static bool same(std::uint64_t& reference, std::uint64_t value) {
    if (value == 0) return true;
    if (reference == 0) reference = value;
    return reference == value;
  }

  RankRound& touch(Rank r) {
    RankRound& rr = ranks_[r];
    if (!rr.touched) {
      rr.touched = true;
      touched_.push_back(r);
    }
    return rr;
  }

  void note(std::size_t round, Rank rank, Rank peer, Rank& first, std::uint32_t& conflict, const char* what) {
    if (first == -1) {
      first = peer;
      return;
    }
    if (first != peer) note_conflict(round, rank, peer, first, conflict, what);
  }

  /// Out of line: the loop over millions of transfers stays small.
  [[gnu::noinline, gnu::cold]] void note_conflict(std::size_t round, Rank rank, Rank peer, Rank first,
                                                 std::uint32_t& conflict, const char* what) {
    if (conflict == kNone) {
      ++report_.conflict_count;
      if (report_.conflicts.size() >= StructureReport::kMaxListed) return;
      conflict = static_cast<std::uint32_t>(report_.conflicts.size());
      report_.conflicts.push_back({round, rank, {first}, what});
    }
    if (conflict >= report_.conflicts.size()) return;
    auto& peers = report_.conflicts[conflict].peers;
    if (std::find(peers.begin(), peers.end(), peer) == peers.end()) peers.push_back(peer);
  }

  StructureReport& report_;
  std::vector<RankRound> ranks_;
  std::vector<Rank> touched_;
};

/// The byte count of every payload piece, looked up rather than divided out per transfer (two
/// 64-bit divisions each were a sixth of the check at N = 4096). Payloads with more pieces than
/// kMaxTable (a hand-written file may declare billions of chunks) are divided out.
class PieceBytes {
 public:
  explicit PieceBytes(const Payload& payload) : payload_(payload) {
    const std::uint64_t pieces = static_cast<std::uint64_t>(payload.parts.size()) * payload.chunks;
    if (pieces > kMaxTable) return;
    for (std::uint32_t part = 0; part < payload.parts.size(); ++part)
      for (std::uint32_t chunk = 0; chunk < payload.chunks; ++chunk) table_.push_back(payload.chunk_bytes(part, chunk));
  }
  /// Valid part and chunk only.
  std::uint64_t operator()(std::uint32_t part, std::uint32_t chunk) const {
    return table_.empty() ? payload_.chunk_bytes(part, chunk) : table_[std::uint64_t{part} * payload_.chunks + chunk];
  }

 private:
  static constexpr std::uint64_t kMaxTable = std::uint64_t{1} << 16;
  const Payload& payload_;
  std::vector<std::uint64_t> table_;
};

[[noreturn, gnu::cold]] void throw_rank_error(const Schedule& s, std::size_t round, const Transfer& t) {
  throw std::invalid_argument("round " + std::to_string(round) + " has a transfer " + std::to_string(t.src) + "->" +
                              std::to_string(t.dst) + " outside ranks 0.." + std::to_string(s.ranks - 1) +
                              ": fix the schedule's ranks or transfers");
}

[[gnu::cold]] void note_self_send(const Transfer& t, StructureReport& report) {
  ++report.self_send_count;
  if (report.self_sends.size() < StructureReport::kMaxListed) report.self_sends.push_back(t);
}

[[gnu::cold]] void note_size_error(std::size_t round, const Transfer& t, std::uint64_t expected, StructureReport& report) {
  ++report.size_error_count;
  if (report.size_errors.size() < StructureReport::kMaxListed) report.size_errors.push_back({round, t, expected});
}

/// The per-transfer checks; the rare findings are recorded out of line.
inline void check_transfer(const Schedule& s, std::size_t round, const Transfer& t, const PieceBytes& piece_bytes,
                           DeliveryLedger& coverage, StructureReport& report) {
  if (t.src < 0 || t.src >= s.ranks || t.dst < 0 || t.dst >= s.ranks) throw_rank_error(s, round, t);
  if (t.src == t.dst) return note_self_send(t, report);
  coverage.record(t.dst, t.src, t.block(), t.part, t.chunk);  // a promised arrival at dst in the slot for src
  if (t.part >= s.payload.parts.size() || t.chunk >= s.payload.chunks) return;  // the ledger flags it
  const std::uint64_t expected = piece_bytes(t.part, t.chunk);
  if (t.bytes != expected) note_size_error(round, t, expected, report);
}

bool totals_equal(const std::vector<RankLoad>& loads) {
  for (const RankLoad& l : loads)
    if (l.bytes_out != loads.front().bytes_out || l.bytes_in != loads.front().bytes_in) return false;
  return true;
}

}  // namespace

StructureReport check_structure(const Schedule& s) {
  if (s.ranks < 1) throw std::invalid_argument("schedule has " + std::to_string(s.ranks) + " ranks: it needs at least 1");
  StructureReport report;
  report.kind = s.kind;
  report.matching_applies = s.kind == ScheduleKind::pairing || s.kind == ScheduleKind::directed;
  report.loads.resize(s.ranks);
  report.round_lower_bound = round_lower_bound(s.kind, s.ranks);
  DeliveryLedger coverage(s.ranks, s.payload, LedgerThreads::one);
  const PieceBytes piece_bytes(s.payload);
  RoundScan scan(s.ranks, report);
  const bool pairing = s.kind == ScheduleKind::pairing;
  if (s.kind == ScheduleKind::per_rank && s.rank_orders.size() != static_cast<std::size_t>(s.ranks))
    throw std::invalid_argument("per-rank schedule has " + std::to_string(s.rank_orders.size()) + " rank orders for " +
                                std::to_string(s.ranks) + " ranks: give one per rank");
  if (s.kind == ScheduleKind::per_rank) {
    // Every exchange is listed at both ends; count each transfer once, in its sender's order.
    for (Rank r = 0; r < s.ranks; ++r) {
      report.rounds = std::max(report.rounds, s.rank_orders[r].size());
      for (std::size_t i = 0; i < s.rank_orders[r].size(); ++i) {
        for (const Transfer& t : s.rank_orders[r][i].transfers) {
          if (t.src != r) continue;
          check_transfer(s, i, t, piece_bytes, coverage, report);
          scan.add(i, t, false, false);
        }
        scan.end_round();
      }
    }
  } else {
    report.rounds = s.rounds.size();
    const bool matching = report.matching_applies;
    for (std::size_t i = 0; i < s.rounds.size(); ++i) {
      for (const Transfer& t : s.rounds[i].transfers) {
        check_transfer(s, i, t, piece_bytes, coverage, report);
        scan.add(i, t, matching, pairing);
      }
      scan.end_round();
    }
  }
  report.coverage = coverage.report();
  if (!totals_equal(report.loads)) report.balanced = false;
  return report;
}

}  // namespace ua2a
