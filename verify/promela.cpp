#include "verify/promela.h"

#include <map>
#include <sstream>
#include <stdexcept>
#include <tuple>
#include <vector>

namespace ua2a {

namespace {

/// SPIN runs at most 255 processes.
constexpr std::int32_t kMaxProcesses = 255;
/// What a fired operation offers instead of its message number; no partner offers these, so a
/// fired operation can never fire again. Message numbers stay below them (checked).
constexpr std::uint64_t kSentSentinel = 30000;
constexpr std::uint64_t kReceivedSentinel = 30001;

using PieceKey = std::tuple<Rank, Rank, std::uint16_t, std::uint32_t, std::uint64_t>;

/// Numbers the pieces (tags) and the messages of every ordered pair (FIFO positions).
class Numbering {
 public:
  int tag(const Op& op) {
    const PieceKey key{op.block.src, op.block.dst, op.part, op.chunk, op.bytes};
    const auto [it, added] = tags_.try_emplace(key, static_cast<int>(tags_.size()));
    return it->second;
  }
  /// The position of this send (or receive) among the sends a->b (receives at b from a).
  std::uint64_t position(Rank rank, const Op& op) {
    const bool send = op.kind == OpKind::send;
    const auto key = std::make_tuple(send, send ? rank : op.peer, send ? op.peer : rank);
    const std::uint64_t k = counts_[key]++;
    if (k >= kSentSentinel)
      throw std::invalid_argument("rank " + std::to_string(rank) + " has more than " + std::to_string(kSentSentinel) +
                                  " messages with rank " + std::to_string(op.peer) +
                                  ": too many for a SPIN model; export a smaller program set");
    return k;
  }
  const std::map<PieceKey, int>& tags() const { return tags_; }

 private:
  std::map<PieceKey, int> tags_;
  std::map<std::tuple<bool, Rank, Rank>, std::uint64_t> counts_;
};

std::string channel(Rank from, Rank to) { return "c_" + std::to_string(from) + "_" + std::to_string(to); }

std::string channel_of(Rank rank, const Op& op) {
  return op.kind == OpKind::send ? channel(rank, op.peer) : channel(op.peer, rank);
}

/// One operation as the guard and body of a do-loop option (`fired` names its done flag), or
/// as a plain statement when `fired` is empty.
std::string op_statement(Rank rank, const Op& op, std::uint64_t k, int tag, const std::string& fired) {
  const std::string c = channel_of(rank, op);
  const std::string t = std::to_string(tag);
  if (op.kind == OpKind::send) {
    if (fired.empty()) return c + " ! " + std::to_string(k) + ", " + t;
    return c + " ! (" + fired + " -> " + std::to_string(kSentSentinel) + " : " + std::to_string(k) + "), " + t + " -> " +
           fired + " = 1";
  }
  const std::string check = "assert(v == " + t + ")";
  if (fired.empty()) return c + " ? eval(" + std::to_string(k) + "), v; " + check;
  return c + " ? eval((" + fired + " -> " + std::to_string(kReceivedSentinel) + " : " + std::to_string(k) + ")), v -> " +
         check + "; " + fired + " = 1";
}

void emit_step(std::ostringstream& out, const Program& p, std::size_t step, Numbering& numbering) {
  std::vector<std::uint32_t> ops;
  for (std::uint32_t i = p.step_begin[step]; i < p.step_begin[step + 1]; ++i)
    if (p.ops[i].kind != OpKind::copy) ops.push_back(i);  // local copies cannot block
  if (ops.empty()) return;
  out << "  /* step " << step << " */\n";
  if (ops.size() == 1) {
    const Op& op = p.ops[ops[0]];
    out << "  " << op_statement(p.rank, op, numbering.position(p.rank, op), numbering.tag(op), "") << ";\n";
    return;
  }
  // Every op of the step is posted at once: any whose partner is ready may fire next.
  out << "  do\n";
  std::string all_done;
  for (std::uint32_t i : ops) {
    const Op& op = p.ops[i];
    const std::string fired = "done[" + std::to_string(i) + "]";
    out << "  :: " << op_statement(p.rank, op, numbering.position(p.rank, op), numbering.tag(op), fired) << "\n";
    all_done += (all_done.empty() ? "" : " && ") + fired;
  }
  out << "  :: " << all_done << " -> break\n  od;\n";
}

bool has_multi_op_step(const Program& p) {
  for (std::size_t s = 0; s < p.step_count(); ++s) {
    std::size_t n = 0;
    for (const Op& op : p.step(s)) n += op.kind != OpKind::copy ? 1 : 0;
    if (n > 1) return true;
  }
  return false;
}

std::string process(const Program& p, Numbering& numbering) {
  std::ostringstream out;
  out << "active proctype rank" << p.rank << "() {\n";
  if (has_multi_op_step(p)) out << "  bool done[" << p.ops.size() << "];\n";
  out << "  int v;\n";
  for (std::size_t s = 0; s < p.step_count(); ++s) emit_step(out, p, s, numbering);
  out << "  skip\n}\n\n";
  return out.str();
}

}  // namespace

std::string to_promela(const ProgramSet& set) {
  if (set.ranks > kMaxProcesses)
    throw std::invalid_argument("a SPIN model runs at most " + std::to_string(kMaxProcesses) + " processes, got " +
                                std::to_string(set.ranks) + " ranks: export a smaller program set");
  if (set.programs.size() != static_cast<std::size_t>(set.ranks))
    throw std::invalid_argument("program set declares " + std::to_string(set.ranks) + " ranks but holds " +
                                std::to_string(set.programs.size()) + " programs");
  Numbering numbering;
  std::string processes;
  std::map<std::pair<Rank, Rank>, bool> channels;
  for (const Program& p : set.programs) {
    for (const Op& op : p.ops) {
      if (op.kind == OpKind::copy) continue;
      if (op.peer < 0 || op.peer >= set.ranks)
        throw std::invalid_argument("rank " + std::to_string(p.rank) + ": " + describe(op) + " names peer outside 0.." +
                                    std::to_string(set.ranks - 1));
      channels[op.kind == OpKind::send ? std::make_pair(p.rank, op.peer) : std::make_pair(op.peer, p.rank)] = true;
    }
    processes += process(p, numbering);
  }
  std::ostringstream out;
  out << "/* ulysses-a2a: " << set.ranks << " ranks, algo " << (set.algo.empty() ? "?" : set.algo) << ", discipline "
      << (set.discipline.empty() ? "?" : set.discipline) << ", zero-buffer.\n"
      << "   Check: spin -a FILE && cc -DSAFETY -o pan pan.c && ./pan -m1000000\n"
      << "   (errors: 0 = no invalid end state (deadlock-free) and no failed assertion (mismatch)).\n"
      << "   A message is (k, tag): k = position among the messages of its ordered pair, tag = piece:\n";
  for (const auto& [key, tag] : numbering.tags()) {
    const auto& [src, dst, part, chunk, bytes] = key;
    out << "   tag " << tag << ": block " << src << "->" << dst << " part " << part << " chunk " << chunk << ", "
        << bytes << " B\n";
  }
  out << "*/\n\n";
  for (const auto& [pair, used] : channels)
    out << "chan " << channel(pair.first, pair.second) << " = [0] of { int, int };\n";
  out << "\n" << processes;
  return out.str();
}

}  // namespace ua2a
