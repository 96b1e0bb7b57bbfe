#include "schedule/io.h"

#include <nlohmann/json.hpp>
#include <algorithm>
#include <functional>
#include <iomanip>
#include <set>
#include <sstream>

#include "schedule/generators.h"
#include "schedule/lower.h"

namespace ua2a {

using nlohmann::json;
using ordered_json = nlohmann::ordered_json;

namespace {

constexpr const char* kScheduleFormat = "ulysses-a2a/schedule";
constexpr const char* kProgramsFormat = "ulysses-a2a/programs";

// ---- writing ----

ordered_json payload_json(const Payload& p) {
  ordered_json parts = ordered_json::array();
  for (const Part& part : p.parts) parts.push_back({{"name", part.name}, {"bytes", part.bytes}});
  return {{"chunks", p.chunks}, {"parts", parts}};
}

ordered_json transfers_json(const Round& round) {
  ordered_json out = ordered_json::array();
  for (const Transfer& t : round.transfers)
    out.push_back({{"src", t.src}, {"dst", t.dst}, {"part", t.part}, {"chunk", t.chunk}, {"bytes", t.bytes}});
  return out;
}

/// True for a scalar, or an array/object holding only scalars: printed on one line.
bool is_leaf(const ordered_json& j) {
  if (!j.is_structured()) return true;
  for (const auto& v : j) if (v.is_structured()) return false;
  return true;
}

/// Indented JSON with every leaf (a transfer, an op, a pair) on one line: readable and diffable,
/// and a tenth of the size of fully indented output. indent < 0 gives one line.
void pretty(std::ostream& out, const ordered_json& j, int indent, int depth) {
  const bool compact = indent < 0 || is_leaf(j) || (j.is_array() && std::all_of(j.begin(), j.end(), [](const ordered_json& v) { return v.is_array() && is_leaf(v); }));
  if (compact) {
    out << j.dump();
    return;
  }
  const std::string pad(static_cast<std::size_t>(indent) * (depth + 1), ' ');
  out << (j.is_object() ? "{\n" : "[\n");
  bool first = true;
  for (auto it = j.begin(); it != j.end(); ++it) {
    out << (first ? "" : ",\n") << pad;
    if (j.is_object()) out << ordered_json(it.key()).dump() << ": ";
    pretty(out, *it, indent, depth + 1);
    first = false;
  }
  out << "\n" << std::string(static_cast<std::size_t>(indent) * depth, ' ') << (j.is_object() ? "}" : "]");
}

/// The document `head` with one more member, `key`, an array of `count` items made one at a time
/// by `item`: the text pretty() gives the whole document, without its tree. A schedule of 2048
/// ranks is 4 million transfers; as one nlohmann tree it took 4.1 GB to print 287 MB (issue 21).
/// `compact`: every item is an empty array (pretty() then prints the array on one line).
void pretty_streamed(std::ostream& out, const ordered_json& head, const std::string& key, std::size_t count,
                     const std::function<ordered_json(std::size_t)>& item, bool compact, int indent) {
  if (indent < 0) {
    std::string members = head.dump();
    members.pop_back();  // the closing brace: the array follows
    out << members << (head.empty() ? "" : ",") << ordered_json(key).dump() << ":[";
    for (std::size_t i = 0; i < count; ++i) out << (i == 0 ? "" : ",") << item(i).dump();
    out << "]}\n";
    return;
  }
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  out << "{\n";
  for (auto it = head.begin(); it != head.end(); ++it) {
    out << pad << ordered_json(it.key()).dump() << ": ";
    pretty(out, *it, indent, 1);
    out << ",\n";
  }
  out << pad << ordered_json(key).dump() << ": ";
  if (count == 0 || compact) {
    out << "[";
    for (std::size_t i = 0; i < count; ++i) out << (i == 0 ? "" : ",") << item(i).dump();
    out << "]";
  } else {
    const std::string item_pad(static_cast<std::size_t>(indent) * 2, ' ');
    out << "[\n";
    for (std::size_t i = 0; i < count; ++i) {
      out << (i == 0 ? "" : ",\n") << item_pad;
      pretty(out, item(i), indent, 2);
    }
    out << "\n" << pad << "]";
  }
  out << "\n}\n";
}


// ---- reading: every accessor knows the path of the value it reads, for the error message ----

class Node {
 public:
  Node(const json& value, std::string path) : value_(value), path_(std::move(path)) {}

  [[noreturn]] void fail(const std::string& what) const { throw FormatError(path_ + ": " + what); }
  const std::string& path() const { return path_; }

  /// Rejects fields outside `allowed`, so a typo never passes silently.
  void only(std::initializer_list<const char*> allowed) const {
    if (!value_.is_object()) fail("expected an object");
    for (const auto& [key, v] : value_.items()) {
      bool ok = false;
      for (const char* a : allowed) ok = ok || key == a;
      if (!ok) Node(v, path_ + "." + key).fail("unknown field (allowed: " + join(allowed) + ")");
    }
  }
  bool has(const char* key) const { return value_.is_object() && value_.contains(key); }
  Node at(const char* key) const {
    if (!has(key)) fail(std::string("missing field '") + key + "'");
    return {value_.at(key), path_ + "." + key};
  }
  std::size_t size() const {
    if (!value_.is_array()) fail("expected an array");
    return value_.size();
  }
  Node operator[](std::size_t i) const { return {value_.at(i), path_ + "[" + std::to_string(i) + "]"}; }
  std::string str() const {
    if (!value_.is_string()) fail("expected a string");
    return value_.get<std::string>();
  }
  std::int64_t integer(std::int64_t lo, std::int64_t hi) const {
    if (!value_.is_number_integer()) fail("expected an integer");
    if (value_.is_number_unsigned() && value_.get<std::uint64_t>() > static_cast<std::uint64_t>(hi))
      fail("must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " + value_.dump());
    const std::int64_t v = value_.get<std::int64_t>();
    if (v < lo || v > hi) fail("must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " + std::to_string(v));
    return v;
  }
  std::uint64_t bytes() const {
    if (!value_.is_number_unsigned() && !(value_.is_number_integer() && value_.get<std::int64_t>() >= 0))
      fail("expected a byte count (a non-negative integer)");
    const std::uint64_t v = value_.get<std::uint64_t>();
    if (v > (std::uint64_t{1} << 62)) fail("byte count too large");
    return v;
  }

 private:
  static std::string join(std::initializer_list<const char*> names) {
    std::string s;
    for (const char* n : names) s += std::string(s.empty() ? "" : ", ") + n;
    return s;
  }
  const json& value_;
  std::string path_;
};

json parse(const std::string& text) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for numbers like 10E8576
    throw FormatError(std::string("not valid JSON: ") + e.what());
  }
}

void check_header(const Node& doc, const char* format) {
  const std::string got = doc.at("format").str();
  if (got != format) doc.at("format").fail("expected \"" + std::string(format) + "\", got \"" + got + "\"");
  const std::int64_t version = doc.at("version").integer(0, 1 << 30);
  if (version != kFormatVersion)
    doc.at("version").fail("unsupported version " + std::to_string(version) + " (this build reads " +
                           std::to_string(kFormatVersion) + ")");
}

Payload read_payload(const Node& n, std::int32_t ranks) {
  n.only({"chunks", "parts"});
  Payload p;
  p.chunks = static_cast<std::uint32_t>(n.at("chunks").integer(1, kMaxChunks));
  const Node parts = n.at("parts");
  if (parts.size() == 0 || parts.size() > kMaxParts) parts.fail("needs 1 to " + std::to_string(kMaxParts) + " parts");
  p.parts.clear();
  for (std::size_t i = 0; i < parts.size(); ++i) {
    parts[i].only({"name", "bytes"});
    p.parts.push_back({parts[i].at("name").str(), parts[i].at("bytes").bytes()});
  }
  if (const std::string problem = limits_problem(ranks, p); !problem.empty()) n.fail(problem);
  return p;
}

Rank read_rank(const Node& n, std::int32_t ranks) { return static_cast<Rank>(n.integer(0, ranks - 1)); }

Round read_round(const Node& n, std::int32_t ranks) {
  n.only({"pairs", "transfers"});
  Round round;
  const Node ts = n.at("transfers");
  round.transfers.reserve(ts.size());
  for (std::size_t i = 0; i < ts.size(); ++i) {
    const Node t = ts[i];
    t.only({"src", "dst", "part", "chunk", "bytes"});
    round.transfers.push_back({read_rank(t.at("src"), ranks), read_rank(t.at("dst"), ranks),
                               static_cast<std::uint16_t>(t.at("part").integer(0, 65535)),
                               static_cast<std::uint32_t>(t.at("chunk").integer(0, 0xfffffffe)), t.at("bytes").bytes()});
  }
  if (n.has("pairs")) {
    // Informational, but must agree with the transfers so a reader of the file is not misled.
    const Node ps = n.at("pairs");
    std::vector<std::pair<Rank, Rank>> pairs;
    for (std::size_t i = 0; i < ps.size(); ++i) {
      if (ps[i].size() != 2) ps[i].fail("a pair has two ranks");
      pairs.emplace_back(read_rank(ps[i][0], ranks), read_rank(ps[i][1], ranks));
    }
    if (pairs != round_pairs(round)) ps.fail("does not match the pairs of the transfers");
  }
  return round;
}

}  // namespace

void write_schedule_json(std::ostream& out, const Schedule& s, int indent) {
  ordered_json head = {{"format", kScheduleFormat}, {"version", kFormatVersion}, {"ranks", s.ranks},
                       {"algo", s.algo},           {"kind", to_string(s.kind)}, {"payload", payload_json(s.payload)}};
  if (!s.discipline.empty()) head["discipline"] = s.discipline;  // optional: older files have none
  auto round_json = [&](const Round& r) {
    ordered_json o;
    if (s.kind == ScheduleKind::pairing) o["pairs"] = round_pairs(r);
    o["transfers"] = transfers_json(r);
    return o;
  };
  if (s.kind == ScheduleKind::per_rank) {
    const bool all_empty = std::all_of(s.rank_orders.begin(), s.rank_orders.end(),
                                       [](const std::vector<Round>& order) { return order.empty(); });
    pretty_streamed(
        out, head, "rank_orders", s.rank_orders.size(),
        [&](std::size_t r) {
          ordered_json list = ordered_json::array();
          for (const Round& round : s.rank_orders[r]) list.push_back(round_json(round));
          return list;
        },
        all_empty, indent);
    return;
  }
  pretty_streamed(
      out, head, "rounds", s.rounds.size(), [&](std::size_t i) { return round_json(s.rounds[i]); }, false, indent);
}

std::string schedule_to_json(const Schedule& s, int indent) {
  std::ostringstream out;
  write_schedule_json(out, s, indent);
  return std::move(out).str();  // moved, not copied
}

Schedule schedule_from_json(const std::string& text) {
  const json j = parse(text);
  const Node doc(j, "schedule");
  doc.only({"format", "version", "ranks", "algo", "kind", "discipline", "payload", "rounds", "rank_orders"});
  check_header(doc, kScheduleFormat);
  Schedule s;
  s.ranks = static_cast<std::int32_t>(doc.at("ranks").integer(1, kMaxRanks));
  s.algo = doc.at("algo").str();
  try {
    s.kind = parse_schedule_kind(doc.at("kind").str());
  } catch (const std::invalid_argument& e) {
    doc.at("kind").fail(e.what());
  }
  if (doc.has("discipline")) {
    s.discipline = doc.at("discipline").str();
    try {
      parse_discipline(s.discipline);
    } catch (const std::invalid_argument& e) {
      doc.at("discipline").fail(e.what());
    }
  }
  s.payload = read_payload(doc.at("payload"), s.ranks);
  if (s.kind == ScheduleKind::per_rank) {
    if (doc.has("rounds")) doc.at("rounds").fail("a per-rank schedule has rank_orders, not rounds");
    const Node orders = doc.at("rank_orders");
    if (orders.size() != static_cast<std::size_t>(s.ranks))
      orders.fail("needs one order per rank (" + std::to_string(s.ranks) + "), got " + std::to_string(orders.size()));
    s.rank_orders.resize(s.ranks);
    for (Rank r = 0; r < s.ranks; ++r) {
      const Node order = orders[r];
      for (std::size_t i = 0; i < order.size(); ++i) {
        Round ex = read_round(order[i], s.ranks);
        for (const Transfer& t : ex.transfers)
          if (t.src != r && t.dst != r) order[i].fail("rank " + std::to_string(r) + "'s exchange lists a transfer " + std::to_string(t.src) + "->" + std::to_string(t.dst) + " that does not involve it");
        s.rank_orders[r].push_back(std::move(ex));
      }
    }
  } else {
    if (doc.has("rank_orders")) doc.at("rank_orders").fail("only a per-rank schedule has rank_orders");
    const Node rounds = doc.at("rounds");
    for (std::size_t i = 0; i < rounds.size(); ++i) s.rounds.push_back(read_round(rounds[i], s.ranks));
  }
  return s;
}

void write_programs_json(std::ostream& out, const ProgramSet& set, int indent) {
  const ordered_json head = {{"format", kProgramsFormat}, {"version", kFormatVersion}, {"ranks", set.ranks},
                             {"algo", set.algo},           {"discipline", set.discipline},
                             {"payload", payload_json(set.payload)}};
  auto program_json = [&](std::size_t index) {
    const Program& p = set.programs[index];
    ordered_json steps = ordered_json::array();
    for (std::size_t i = 0; i < p.step_count(); ++i) {
      ordered_json ops = ordered_json::array();
      for (const Op& op : p.step(i))
        ops.push_back({{"op", to_string(op.kind)}, {"peer", op.peer}, {"src", op.block.src}, {"dst", op.block.dst},
                       {"part", op.part}, {"chunk", op.chunk}, {"bytes", op.bytes}});
      steps.push_back(ops);
    }
    return ordered_json{{"rank", p.rank}, {"steps", steps}};
  };
  pretty_streamed(out, head, "programs", set.programs.size(), program_json, false, indent);
}

std::string programs_to_json(const ProgramSet& set, int indent) {
  std::ostringstream out;
  write_programs_json(out, set, indent);
  return std::move(out).str();
}

ProgramSet programs_from_json(const std::string& text) {
  const json j = parse(text);
  const Node doc(j, "programs");
  doc.only({"format", "version", "ranks", "algo", "discipline", "payload", "programs"});
  check_header(doc, kProgramsFormat);
  ProgramSet set;
  set.ranks = static_cast<std::int32_t>(doc.at("ranks").integer(1, kMaxRanks));
  set.algo = doc.has("algo") ? doc.at("algo").str() : "";
  set.discipline = doc.has("discipline") ? doc.at("discipline").str() : "";
  set.payload = read_payload(doc.at("payload"), set.ranks);
  const Node programs = doc.at("programs");
  if (programs.size() != static_cast<std::size_t>(set.ranks))
    programs.fail("needs one program per rank (" + std::to_string(set.ranks) + "), got " + std::to_string(programs.size()));
  for (Rank r = 0; r < set.ranks; ++r) {
    const Node pn = programs[r];
    pn.only({"rank", "steps"});
    Program p;
    p.rank = static_cast<Rank>(pn.at("rank").integer(0, set.ranks - 1));
    if (p.rank != r) pn.at("rank").fail("program " + std::to_string(r) + " must be rank " + std::to_string(r) + " (programs are listed in rank order)");
    const Node steps = pn.at("steps");
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const Node step = steps[i];
      if (step.size() == 0) step.fail("rank " + std::to_string(r) + " step " + std::to_string(i) + " is empty: remove it");
      for (std::size_t k = 0; k < step.size(); ++k) {
        const Node o = step[k];
        o.only({"op", "peer", "src", "dst", "part", "chunk", "bytes"});
        Op op;
        try {
          op.kind = parse_op_kind(o.at("op").str());
        } catch (const std::invalid_argument& e) {
          o.at("op").fail(e.what());
        }
        op.peer = read_rank(o.at("peer"), set.ranks);
        op.block = {read_rank(o.at("src"), set.ranks), read_rank(o.at("dst"), set.ranks)};
        op.part = static_cast<std::uint16_t>(o.at("part").integer(0, 65535));
        op.chunk = static_cast<std::uint32_t>(o.at("chunk").integer(0, 0xfffffffe));
        op.bytes = o.at("bytes").bytes();
        p.ops.push_back(op);
      }
      p.end_step();
    }
    set.programs.push_back(std::move(p));
  }
  return set;
}

DocumentKind document_kind(const std::string& text) {
  const json j = parse(text);
  const Node doc(j, "document");
  const std::string format = doc.at("format").str();
  if (format == kScheduleFormat) return DocumentKind::schedule;
  if (format == kProgramsFormat) return DocumentKind::programs;
  doc.at("format").fail("expected \"" + std::string(kScheduleFormat) + "\" or \"" + kProgramsFormat + "\", got \"" + format + "\"");
}

namespace {

std::string round_text(const Schedule& s, const Round& r) {
  std::ostringstream out;
  switch (s.kind) {
    case ScheduleKind::pairing: {
      std::set<Rank> busy;
      for (const auto& [a, b] : round_pairs(r)) {
        out << "(" << a << "," << b << ")";
        busy.insert(a), busy.insert(b);
      }
      for (Rank x = 0; x < s.ranks; ++x)
        if (!busy.count(x)) out << " bye " << x;
      break;
    }
    case ScheduleKind::directed:
    case ScheduleKind::per_rank: {
      std::set<std::pair<Rank, Rank>> seen;
      for (const Transfer& t : r.transfers)
        if (seen.insert({t.src, t.dst}).second) out << (seen.size() > 1 ? " " : "") << t.src << "->" << t.dst;
      break;
    }
    case ScheduleKind::grouped: out << "every rank with every peer: " << r.transfers.size() << " transfers"; break;
  }
  return out.str();
}

std::string bytes_text(std::uint64_t b) {
  std::ostringstream s;
  s << b << " B";
  if (b >= 1000000) s << " (" << std::fixed << std::setprecision(2) << static_cast<double>(b) / 1e6 << " MB)";
  return s.str();
}

}  // namespace

std::string schedule_to_text(const Schedule& s) {
  std::ostringstream out;
  out << schedule_summary(s);
  for (std::size_t i = 0; i < s.rounds.size(); ++i) out << "round " << i << ": " << round_text(s, s.rounds[i]) << "\n";
  for (std::size_t r = 0; r < s.rank_orders.size(); ++r) {
    out << "rank " << r << ":";
    for (const Round& ex : s.rank_orders[r]) {
      const auto pairs = round_pairs(ex);
      for (const auto& [a, b] : pairs) out << " " << (a == static_cast<Rank>(r) ? b : a);
    }
    out << "\n";
  }
  return out.str();
}

std::string schedule_summary(const Schedule& s) {
  std::ostringstream out;
  const std::size_t rounds = s.kind == ScheduleKind::per_rank ? (s.rank_orders.empty() ? 0 : s.rank_orders[0].size()) : s.rounds.size();
  out << "schedule " << s.algo << ": " << s.ranks << " ranks, " << to_string(s.kind) << ", " << rounds
      << (s.kind == ScheduleKind::per_rank ? " exchanges per rank" : rounds == 1 ? " round" : " rounds") << ", "
      << s.transfer_count()
      << " transfers\n";
  out << "block: " << bytes_text(s.payload.block_bytes()) << " in " << s.payload.parts.size() << " part(s) [";
  for (std::size_t i = 0; i < s.payload.parts.size(); ++i)
    out << (i ? ", " : "") << s.payload.parts[i].name << " " << s.payload.parts[i].bytes;
  out << "] x " << s.payload.chunks << " chunk(s); per rank out: "
      << bytes_text(s.payload.block_bytes() * static_cast<std::uint64_t>(s.ranks > 0 ? s.ranks - 1 : 0)) << "\n";
  return out.str();
}

std::string programs_to_text(const ProgramSet& set) {
  std::ostringstream out;
  out << "programs " << set.algo << " / " << set.discipline << ": " << set.ranks << " ranks, " << set.op_count() << " ops\n";
  for (const Program& p : set.programs) {
    out << "rank " << p.rank << ": " << p.step_count() << " steps\n";
    for (std::size_t i = 0; i < p.step_count(); ++i) {
      out << "  step " << i << ":";
      for (const Op& op : p.step(i)) out << " " << describe(op);
      out << "\n";
    }
  }
  return out.str();
}

}  // namespace ua2a
