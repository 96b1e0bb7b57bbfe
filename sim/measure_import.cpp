// Importers of nccl-tests, p2pBandwidthLatencyTest and nvbandwidth text into measurement points
// (measure_import.h). Hand-written tokenising, no std::regex: its recursion overflows the stack on
// long lines, and every input here may be anything.
#include "sim/measure_import.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <string_view>

namespace ua2a {

namespace {

using Tokens = std::vector<std::string_view>;

constexpr const char* kFormats =
    "the saved text output of nccl-tests (all_to_all_perf, sendrecv_perf, all_reduce_perf), CUDA samples' "
    "p2pBandwidthLatencyTest or nvbandwidth";

// ---------------------------------------------------------------- text, lines, numbers

struct Line {
  std::size_t number;  ///< 1-based
  std::string_view text;
};

std::vector<Line> split_lines(const std::string& text) {
  std::vector<Line> lines;
  std::size_t start = 0, number = 1;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back({number++, line});
    if (end == text.size()) break;
    start = end + 1;
  }
  return lines;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\f' || c == '\v' || c == '\r'; }

Tokens tokens_of(std::string_view line) {
  Tokens t;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    const std::size_t start = i;
    while (i < line.size() && !is_space(line[i])) ++i;
    if (i > start) t.push_back(line.substr(start, i - start));
  }
  return t;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }
bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

/// Digits only, at most 18 of them (no sign, no overflow).
bool parse_uint(std::string_view s, std::uint64_t& value) {
  if (s.empty() || s.size() > 18) return false;
  value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return true;
}

bool parse_index(std::string_view s, std::int32_t& value) {
  std::uint64_t v = 0;
  if (!parse_uint(s, v) || v > static_cast<std::uint64_t>(kMaxMeasuredGpu)) return false;
  value = static_cast<std::int32_t>(v);
  return true;
}

/// A plain decimal as the tools print it: [-]digits[.digits][e[+-]digits]. "nan", "inf" and
/// anything else are not numbers.
std::optional<double> parse_decimal(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  const std::size_t int_start = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  std::size_t digits = i - int_start;
  if (i < s.size() && s[i] == '.') {
    const std::size_t frac_start = ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    digits += i - frac_start;
  }
  if (digits == 0 || digits > 40) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    const std::size_t exp_start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == exp_start || i - exp_start > 3) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  const double v = std::strtod(std::string(s).c_str(), nullptr);
  if (!std::isfinite(v)) return std::nullopt;
  return v;
}

/// Names the file and the line in every message.
class Where {
 public:
  explicit Where(const std::string& origin) : file_(origin.empty() ? "input" : origin) {}
  [[noreturn]] void fail(const std::string& what) const { throw MeasurementError(file_ + ": " + what); }
  [[noreturn]] void fail(std::size_t line, const std::string& what) const {
    throw MeasurementError(file_ + " line " + std::to_string(line) + ": " + what);
  }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

/// A bandwidth or time the tool printed: a finite, non-negative decimal.
double figure(std::string_view token, const std::string& what, std::size_t line, const Where& where) {
  const std::optional<double> v = parse_decimal(token);
  if (!v)
    where.fail(line, what + " '" + std::string(token) + "' is not a number: the output is damaged; rerun the tool");
  if (*v < 0) where.fail(line, what + " " + std::string(token) + " is negative: the output is damaged; rerun the tool");
  return *v;
}

/// `s` with every byte that is not part of valid UTF-8 (or is a control character) as '?'.
std::string valid_utf8(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    bool ok = len > 0 && i + len <= s.size() && (len > 1 || c >= 0x20) && c != 0x7f;
    for (std::size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
    if (ok && len > 1) {  // no overlong forms, surrogates or code points past U+10FFFF
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      ok = !(c < 0xc2 || (c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 >= 0xa0) || (c == 0xf0 && c1 < 0x90) ||
             (c == 0xf4 && c1 >= 0x90) || c > 0xf4);
    }
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += '?';
      ++i;
    }
  }
  return out;
}

/// The file name that point names carry, so points of several files stay apart.
std::string label_of(const std::string& origin) {
  if (origin.empty()) return "input";
  const std::string name = std::filesystem::path(origin).filename().string();
  return valid_utf8(name.empty() ? origin : name);
}

/// Refuses what no tool prints: nothing, binary data, a file too large to be an output.
void check_text(const std::string& text, const Where& where) {
  if (text.size() > kMaxImportTextBytes)
    where.fail("is " + std::to_string(text.size()) + " bytes; a tool's output is far smaller (limit " +
               std::to_string(kMaxImportTextBytes) + "): give " + kFormats);
  if (text.find_first_not_of(" \t\r\n\f\v") == std::string::npos) where.fail("is empty: give " + std::string(kFormats));
  std::size_t control = 0;
  for (unsigned char c : text) {
    if (c == 0) where.fail("is not text (it holds NUL bytes): give " + std::string(kFormats));
    if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != '\v' && c != 0x1b) ++control;
  }
  if (control * 100 > text.size()) where.fail("is not text (binary data): give " + std::string(kFormats));
}

/// Text copied from the input into a point (a matrix title): printable ASCII only, so the
/// document is valid UTF-8 whatever the input held.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

std::string gpu_list(const std::vector<std::pair<std::int32_t, std::int32_t>>& pairs, std::size_t max = 8) {
  std::string s;
  for (std::size_t i = 0; i < pairs.size() && i < max; ++i)
    s += (s.empty() ? "" : ", ") + std::to_string(pairs[i].first) + "->" + std::to_string(pairs[i].second);
  if (pairs.size() > max) s += ", ... (" + std::to_string(pairs.size()) + " pairs)";
  return s;
}

std::string count_of(std::size_t n, const std::string& what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

// ---------------------------------------------------------------- detection

/// nvbandwidth's testcases: what each runs between GPUs (testcase.h of NVIDIA/nvbandwidth).
enum class NvbKind : std::uint8_t { d2d, d2d_bidir, all_to_one, one_to_all, not_gpu_to_gpu, multinode };
struct NvbCase {
  const char* name;
  NvbKind kind;
  bool sm;    ///< a copy kernel (SM) instead of the copy engines (CE)
  bool read;  ///< the destination GPU pulls
};
constexpr NvbCase kNvbCases[] = {
    {"device_to_device_memcpy_read_ce", NvbKind::d2d, false, true},
    {"device_to_device_memcpy_write_ce", NvbKind::d2d, false, false},
    {"device_to_device_bidirectional_memcpy_read_ce", NvbKind::d2d_bidir, false, true},
    {"device_to_device_bidirectional_memcpy_write_ce", NvbKind::d2d_bidir, false, false},
    {"device_to_device_memcpy_read_sm", NvbKind::d2d, true, true},
    {"device_to_device_memcpy_write_sm", NvbKind::d2d, true, false},
    {"device_to_device_bidirectional_memcpy_read_sm", NvbKind::d2d_bidir, true, true},
    {"device_to_device_bidirectional_memcpy_write_sm", NvbKind::d2d_bidir, true, false},
    {"all_to_one_write_ce", NvbKind::all_to_one, false, false},
    {"all_to_one_read_ce", NvbKind::all_to_one, false, true},
    {"one_to_all_write_ce", NvbKind::one_to_all, false, false},
    {"one_to_all_read_ce", NvbKind::one_to_all, false, true},
    {"all_to_one_write_sm", NvbKind::all_to_one, true, false},
    {"all_to_one_read_sm", NvbKind::all_to_one, true, true},
    {"one_to_all_write_sm", NvbKind::one_to_all, true, false},
    {"one_to_all_read_sm", NvbKind::one_to_all, true, true},
};

const NvbCase* find_nvb_case(std::string_view name) {
  for (const NvbCase& c : kNvbCases)
    if (name == c.name) return &c;
  return nullptr;
}

/// Every testcase name nvbandwidth prints starts with one of these.
bool nvb_testcase_name(std::string_view name) {
  for (const char* prefix : {"host_", "device_", "all_to_", "one_to_all", "multinode_"})
    if (starts_with(name, prefix)) return true;
  return false;
}

/// "Running X." or "Waiving X." of nvbandwidth: X, or empty.
std::string_view nvb_status(std::string_view line, std::string_view verb) {
  line = trim(line);
  if (!starts_with(line, verb) || line.size() < verb.size() + 2 || line.back() != '.') return {};
  std::string_view name = line.substr(verb.size(), line.size() - verb.size() - 1);
  if (name.empty() || name.front() != ' ') return {};
  name.remove_prefix(1);
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return {};
  return nvb_testcase_name(name) ? name : std::string_view{};
}

/// An nccl-tests line without the decorations pastes add: mpirun's "[1,0]<stdout>:" or "[0] "
/// tags, the leading '#' (markdown often eats it) and the spaces around.
std::string_view nccl_body(std::string_view line) {
  line = trim(line);
  if (!line.empty() && line.front() == '[') {
    const std::size_t close = line.find(']');
    if (close != std::string_view::npos && close < 16) {
      bool tag = true;
      for (char c : line.substr(1, close - 1)) tag = tag && ((c >= '0' && c <= '9') || c == ',');
      if (tag) {
        line.remove_prefix(close + 1);
        if (starts_with(line, "<stdout>:") || starts_with(line, "<stderr>:")) line.remove_prefix(9);
        line = trim(line);
      }
    }
  }
  while (!line.empty() && line.front() == '#') line.remove_prefix(1);
  return trim(line);
}

bool nccl_rank_line(std::string_view body) {
  const Tokens t = tokens_of(body);
  std::uint64_t r = 0;
  return t.size() >= 4 && t[0] == "Rank" && parse_uint(t[1], r) &&
         std::find(t.begin(), t.end(), std::string_view("Pid")) != t.end();
}

bool nccl_column_line(std::string_view body) {
  const Tokens t = tokens_of(body);
  auto has = [&t](std::string_view w) { return std::find(t.begin(), t.end(), w) != t.end(); };
  return !t.empty() && t[0] == "size" && has("busbw") && has("algbw");
}

bool p2p_line(std::string_view line) {
  line = trim(line);
  return contains(line, "P2P (Peer-to-Peer) GPU Bandwidth Latency Test") ||
         ((starts_with(line, "Unidirectional P2P=") || starts_with(line, "Bidirectional P2P=")) &&
          contains(line, "Bandwidth"));
}

bool nvb_line(std::string_view line) {
  line = trim(line);
  return starts_with(line, "nvbandwidth Version") || !nvb_status(line, "Running").empty() ||
         !nvb_status(line, "Waiving").empty() ||
         ((starts_with(line, "memcpy CE ") || starts_with(line, "memcpy SM ")) && contains(line, "bandwidth (GB/s)"));
}

// ---------------------------------------------------------------- nccl-tests

enum class Collective : std::uint8_t { all_to_all, sendrecv, all_reduce };
constexpr const char* kCollectiveNames[] = {"all_to_all", "sendrecv", "all_reduce"};
constexpr const char* kBinaryNames[] = {"alltoall_perf", "sendrecv_perf", "all_reduce_perf"};

/// nccl-tests' binaries by name; the supported ones map to a collective.
std::optional<Collective> binary_collective(std::string_view binary, const Where& where, std::size_t line) {
  if (binary == "all_reduce_perf") return Collective::all_reduce;
  if (binary == "alltoall_perf" || binary == "all_to_all_perf") return Collective::all_to_all;
  if (binary == "sendrecv_perf") return Collective::sendrecv;
  for (const char* other : {"all_gather_perf", "reduce_scatter_perf", "broadcast_perf", "reduce_perf", "gather_perf",
                            "scatter_perf", "hypercube_perf", "alltoallv_perf"})
    if (binary == other)
      where.fail(line, "is an output of nccl-tests' " + std::string(binary) +
                           ", which is not imported: import all_to_all_perf (alltoall_perf), sendrecv_perf or "
                           "all_reduce_perf, whose flows the document can state");
  return std::nullopt;
}

/// The binary's name in a token such as "./build/alltoall_perf" or "all_reduce_perf_mpi", or "".
std::string_view binary_in(std::string_view token) {
  while (!token.empty() && (token.back() == '`' || token.back() == '"' || token.back() == '\'' || token.back() == ','))
    token.remove_suffix(1);
  const std::size_t slash = token.find_last_of('/');
  if (slash != std::string_view::npos) token.remove_prefix(slash + 1);
  while (!token.empty() && (token.front() == '`' || token.front() == '"' || token.front() == '\''))
    token.remove_prefix(1);
  if (token.size() > 4 && token.substr(token.size() - 4) == "_mpi") token.remove_suffix(4);
  if (token.size() <= 5 || token.substr(token.size() - 5) != "_perf") return {};
  for (char c : token)
    if (!((c >= 'a' && c <= 'z') || c == '_')) return {};
  return token;
}

struct NcclRank {
  std::int32_t rank = 0;
  std::string host;
  std::int32_t device = 0;
  std::size_t line = 0;
};

struct NcclRow {
  std::size_t line = 0;
  std::uint64_t size = 0;
  std::string type, redop;
  double algbw = 0, busbw = 0;
};

struct NcclColumns {
  std::size_t count = 0, type = 0, time = 0, algbw = 0, busbw = 0;
  std::optional<std::size_t> redop;
};

NcclColumns read_columns(const Tokens& t, std::size_t line, const Where& where) {
  NcclColumns c;
  auto index = [&](std::string_view name) -> std::optional<std::size_t> {
    for (std::size_t i = 0; i < t.size(); ++i)
      if (t[i] == name) return i;
    return std::nullopt;
  };
  const auto count = index("count"), type = index("type"), algbw = index("algbw"), busbw = index("busbw");
  auto time = index("time");
  if (!time) time = index("cputime");
  if (!count || !type || !time || !algbw || !busbw ||
      !(*count < *type && *type < *time && *time < *algbw && *algbw < *busbw))
    where.fail(line,
               "the results table's heading is not nccl-tests' (size count type [redop] [root] time algbw busbw "
               "...): give the output as nccl-tests printed it");
  c.count = *count, c.type = *type, c.time = *time, c.algbw = *algbw, c.busbw = *busbw;
  // redop sits between type and time; a "redop" elsewhere is no column of nccl-tests'.
  if (const auto redop = index("redop"); redop && *type < *redop && *redop < *time) c.redop = redop;
  return c;
}

/// A name nccl-tests prints (a type, an op): a letter, then letters, digits, '_'.
bool identifier(std::string_view s) {
  if (s.empty() || s.size() > 32 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

NcclRow read_row(const Tokens& t, const NcclColumns& c, std::size_t line, const Where& where) {
  NcclRow row;
  row.line = line;
  if (!parse_uint(t[0], row.size)) where.fail(line, "size '" + std::string(t[0]) + "' is not a whole number of bytes");
  // Old all_to_all_perf printed an empty redop: the columns after it shift left by one.
  std::size_t shift = 0;
  if (c.redop && t.size() > *c.redop && !identifier(t[*c.redop])) shift = 1;
  if (t.size() + shift <= c.busbw)
    where.fail(line, "the row is cut before its out-of-place busbw (" + count_of(t.size(), "field") +
                         "): the output was cut; give the whole table");
  std::uint64_t count = 0;
  if (!parse_uint(t[c.count], count))
    where.fail(line, "count '" + std::string(t[c.count]) + "' is not a whole number: the row is damaged");
  if (!identifier(t[c.type]))
    where.fail(line, "type '" + std::string(t[c.type]) + "' is not a data type nccl-tests prints");
  row.type = std::string(t[c.type]);
  if (c.redop && !shift) row.redop = std::string(t[*c.redop]);
  figure(t[c.time - shift], "time", line, where);
  row.algbw = figure(t[c.algbw - shift], "algbw", line, where);
  row.busbw = figure(t[c.busbw - shift], "busbw", line, where);
  return row;
}

NcclRank read_rank(const Tokens& t, std::size_t line, const Where& where) {
  // Rank R [Group G] Pid P on HOST device D [BUS] NAME
  NcclRank r;
  r.line = line;
  std::size_t i = 2;
  std::uint64_t v = 0;
  if (i + 1 < t.size() && t[i] == "Group") i += 2;
  const bool ok = parse_index(t[1], r.rank) && i + 5 < t.size() && t[i] == "Pid" && parse_uint(t[i + 1], v) &&
                  t[i + 2] == "on" && t[i + 4] == "device" && parse_index(t[i + 5], r.device);
  if (!ok)
    where.fail(line,
               "this 'Rank' line is not nccl-tests' '#  Rank R Group G Pid P on HOST device D [BUS] NAME' "
               "(a cut line, or a rank or device above " +
                   std::to_string(kMaxMeasuredGpu) + ")");
  r.host = std::string(t[i + 3]);
  return r;
}

/// What NCCL_DEBUG=INFO lines say: the transport class of each ordered pair of ranks, and the
/// ring orders of the channels ("Channel 00/02 :    0   1   2   3").
struct NcclDebug {
  std::map<std::pair<std::int32_t, std::int32_t>, std::string> via;  ///< (rank, rank) -> P2P, SHM, NET, ...
  bool p2p_read = false;
  std::vector<std::vector<std::int32_t>> rings;
};

std::int32_t rank_in(std::string_view token) {
  const std::size_t bracket = token.find('[');
  std::int32_t r = -1;
  return parse_index(token.substr(0, bracket), r) ? r : -1;
}

void read_debug_line(std::string_view line, NcclDebug& debug) {
  const std::size_t at = line.find("NCCL INFO ");
  if (at == std::string_view::npos) return;
  const Tokens t = tokens_of(line.substr(at + 10));
  if (t.size() < 3 || (t[0] != "Channel" && t[0] != "Ring")) return;
  const auto arrow = std::find(t.begin(), t.end(), std::string_view("->"));
  const auto via = std::find(t.begin(), t.end(), std::string_view("via"));
  if (arrow != t.end() && via != t.end() && arrow != t.begin() && arrow + 1 != t.end() && via + 1 != t.end()) {
    const std::int32_t from = rank_in(*(arrow - 1)), to = rank_in(*(arrow + 1));
    if (from < 0 || to < 0) return;
    const std::string_view path = *(via + 1);
    const std::string cls(path.substr(0, path.find('/')));
    debug.via[{from, to}] = cls;
    debug.p2p_read = debug.p2p_read || (cls == "P2P" && path.size() > 5 && path.substr(path.size() - 5) == "/read");
    return;
  }
  // A ring order: "Channel 00/02 :    0   1   2   3"
  if (t[0] != "Channel" || t.size() < 4 || t[2] != ":") return;
  std::vector<std::int32_t> ring;
  for (std::size_t i = 3; i < t.size(); ++i) {
    std::int32_t r = -1;
    if (!parse_index(t[i], r)) return;
    ring.push_back(r);
  }
  debug.rings.push_back(std::move(ring));
}

struct NcclRun {
  std::vector<NcclRank> ranks;
  std::optional<NcclColumns> columns;
  std::vector<NcclRow> rows;
  NcclDebug debug;
  std::map<std::string, std::size_t> binaries;                  ///< named in the text, and where first
  std::optional<std::pair<std::string, std::size_t>> starting;  ///< "# Collective test starting: X"
};

NcclRun read_nccl_run(const std::vector<Line>& lines, const Where& where) {
  NcclRun run;
  std::set<std::int32_t> ranks_seen;
  for (const Line& l : lines) {
    read_debug_line(l.text, run.debug);
    const std::string_view body = nccl_body(l.text);
    const Tokens t = tokens_of(body);
    if (t.empty()) continue;
    for (std::string_view tok : tokens_of(l.text))
      if (const std::string_view b = binary_in(tok); !b.empty()) run.binaries.emplace(std::string(b), l.number);
    if (starts_with(body, "Collective test starting:") && t.size() == 4) run.starting = {std::string(t[3]), l.number};
    if ((t[0] == "Using" && t.size() == 2 && t[1] == "devices") || (t[0] == "nThread" && t.size() > 1)) {
      if (!run.rows.empty())
        where.fail(l.number, "a second nccl-tests run starts here: give one run per file (split the file)");
      continue;
    }
    if (nccl_rank_line(body)) {
      if (!run.rows.empty()) where.fail(l.number, "a 'Rank' line after the results table: give one run per file");
      NcclRank r = read_rank(t, l.number, where);
      if (!ranks_seen.insert(r.rank).second)
        where.fail(l.number,
                   "rank " + std::to_string(r.rank) +
                       " is listed twice: the processes did not form one "
                       "communicator (nccl-tests built without MPI=1 but launched with mpirun runs each process "
                       "as rank 0); rebuild nccl-tests with MPI=1 and rerun");
      run.ranks.push_back(std::move(r));
      continue;
    }
    if (nccl_column_line(body)) {
      run.columns = read_columns(t, l.number, where);
      continue;
    }
    std::uint64_t size = 0;
    if (run.columns && parse_uint(t[0], size)) run.rows.push_back(read_row(t, *run.columns, l.number, where));
  }
  return run;
}

/// The ranks' devices, in rank order, after checking they form one box.
std::vector<std::int32_t> rank_devices(const NcclRun& run, const Where& where) {
  if (run.ranks.empty())
    where.fail(
        "has no '#  Rank R ... device D' lines: keep nccl-tests' whole header (the lines under '# Using "
        "devices'); they say which GPU each rank ran on");
  std::vector<NcclRank> ranks = run.ranks;
  std::sort(ranks.begin(), ranks.end(), [](const NcclRank& a, const NcclRank& b) { return a.rank < b.rank; });
  std::set<std::string> hosts;
  for (const NcclRank& r : ranks) hosts.insert(r.host);
  if (hosts.size() > 1) {
    std::string names;
    for (const std::string& h : hosts) names += (names.empty() ? "" : ", ") + h;
    where.fail(ranks.front().line, "the ranks ran on " + std::to_string(hosts.size()) + " hosts (" + names +
                                       "): measurements are of one box at a time; run nccl-tests on one host");
  }
  std::map<std::int32_t, std::int32_t> rank_on_device;
  std::vector<std::int32_t> devices;
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    if (ranks[i].rank != static_cast<std::int32_t>(i))
      where.fail(ranks[i].line, "rank " + std::to_string(i) + " is missing (the ranks listed are not 0 to " +
                                    std::to_string(ranks.size() - 1) + "): give the whole header");
    if (const auto [it, fresh] = rank_on_device.emplace(ranks[i].device, ranks[i].rank); !fresh)
      where.fail(ranks[i].line, "ranks " + std::to_string(it->second) + " and " + std::to_string(ranks[i].rank) +
                                    " both ran on device " + std::to_string(ranks[i].device) +
                                    ": a measurement of GPUs needs one GPU per rank");
    devices.push_back(ranks[i].device);
  }
  if (devices.size() < 2) where.fail(ranks.front().line, "one rank only: no traffic between GPUs to import");
  return devices;
}

double bus_factor(Collective c, std::size_t n) {
  const double dn = static_cast<double>(n);
  switch (c) {
    case Collective::all_to_all:
      return (dn - 1) / dn;
    case Collective::sendrecv:
      return 1.0;
    case Collective::all_reduce:
      return 2 * (dn - 1) / dn;
  }
  return 1.0;
}

/// Whether every row precise enough to tell has busbw = factor x algbw (both printed to 0.01).
bool rows_fit_factor(const std::vector<NcclRow>& rows, double factor, std::size_t* checked = nullptr) {
  std::size_t n = 0;
  for (const NcclRow& r : rows) {
    if (r.algbw < 0.5) continue;
    ++n;
    if (std::fabs(r.busbw - factor * r.algbw) > 0.011 + 0.005 * factor + 1e-3 * r.busbw) return false;
  }
  if (checked) *checked = n;
  return true;
}

Collective which_collective(const NcclRun& run, std::size_t n, const Where& where) {
  std::optional<Collective> named;
  if (run.starting) {
    named = binary_collective(run.starting->first, where, run.starting->second);
    if (!named)
      where.fail(run.starting->second, "nccl-tests says it ran '" + run.starting->first +
                                           "', which is not imported: import all_to_all_perf, sendrecv_perf or "
                                           "all_reduce_perf");
  } else {
    std::set<Collective> found;
    for (const auto& [binary, line] : run.binaries)
      if (const auto c = binary_collective(binary, where, line)) found.insert(*c);
    if (found.size() > 1)
      where.fail("names several nccl-tests binaries: give one run per file, with its own command line");
    if (found.size() == 1) named = *found.begin();
  }
  if (named) {
    std::size_t checked = 0;
    const double factor = bus_factor(*named, n);
    if (!rows_fit_factor(run.rows, factor, &checked))
      where.fail(std::string("its table's busbw is not ") + std::to_string(factor).substr(0, 5) + " x algbw, as " +
                 kBinaryNames[static_cast<int>(*named)] + " with " + std::to_string(n) +
                 " ranks prints: the file mixes outputs, or the command line it names is not the one that ran");
    return *named;
  }
  // Unnamed: only all_reduce shows itself (busbw = 2 (n-1)/n x algbw, unlike any other binary).
  std::size_t checked = 0;
  if (n >= 3 && rows_fit_factor(run.rows, bus_factor(Collective::all_reduce, n), &checked) && checked > 0)
    return Collective::all_reduce;
  where.fail(
      "does not say which nccl-tests binary printed it, and its table cannot tell: keep the line '# "
      "Collective test starting: NAME' (nccl-tests 2.15 and later print it) or put the command line (e.g. "
      "'./build/alltoall_perf -b 1M -e 1G -g 8') at the top of the file");
}

const char* transport_class_name(const std::string& cls) { return cls == "P2P" ? "p2p" : cls == "SHM" ? "shm" : "?"; }

/// NCCL's transport: from the debug lines, else the option; the option may refine P2P to nvlink.
TransportKind nccl_transport(const NcclDebug& debug, const ImportOptions& options, ImportResult& result,
                             const Where& where) {
  if (options.transport && *options.transport != TransportKind::shm && *options.transport != TransportKind::p2p &&
      *options.transport != TransportKind::nvlink)
    where.fail("--transport " + to_string(*options.transport) +
               " is not one of NCCL's transports: nccl-tests outputs take shm, p2p or nvlink");
  std::map<std::string, std::vector<std::pair<std::int32_t, std::int32_t>>> by_class;
  for (const auto& [pair, cls] : debug.via) by_class[cls].push_back(pair);
  if (by_class.empty()) {
    if (!options.transport)
      where.fail(
          "has no NCCL_DEBUG=INFO lines ('... via P2P/...', '... via SHM/...') to tell NCCL's transport: give "
          "--transport shm (host-staged), p2p (peer-to-peer over PCIe) or nvlink, or rerun with "
          "NCCL_DEBUG=INFO");
    result.used_transport_option = true;
    return *options.transport;
  }
  if (by_class.size() > 1) {
    std::string mix;
    for (const auto& [cls, pairs] : by_class)
      mix += (mix.empty() ? "" : "; ") + cls + " between ranks " + gpu_list(pairs);
    where.fail("NCCL used several transports in one run (" + mix +
               "): the document holds one transport per point; rerun with one transport forced (NCCL_P2P_DISABLE=1 "
               "for SHM everywhere, or NCCL_P2P_LEVEL=SYS for P2P everywhere)");
  }
  const std::string& cls = by_class.begin()->first;
  if (cls != "P2P" && cls != "SHM")
    where.fail("NCCL moved the data with its " + cls +
               " transport: only P2P and SHM between the GPUs of one box are imported");
  const TransportKind seen = cls == "P2P" ? TransportKind::p2p : TransportKind::shm;
  if (debug.p2p_read)
    result.notes.push_back(
        "NCCL used P2P reads on some channels ('via P2P/.../read'); imported as op write, the "
        "document's op for NCCL's transports");
  if (!options.transport) return seen;
  if (*options.transport == seen || (seen == TransportKind::p2p && *options.transport == TransportKind::nvlink)) {
    result.used_transport_option = true;
    return *options.transport;
  }
  where.fail("the NCCL_DEBUG lines say " + std::string(transport_class_name(cls)) + " but --transport says " +
             to_string(*options.transport) + ": drop --transport for this file (it may only turn P2P into nvlink)");
}

/// The ring all_reduce ran over, as devices: NCCL's channel order when every channel shows the
/// same one, else rank order.
std::vector<std::int32_t> reduce_ring(const NcclDebug& debug, const std::vector<std::int32_t>& devices,
                                      ImportResult& result) {
  std::set<std::vector<std::int32_t>> rings;
  for (const auto& ring : debug.rings) {
    std::vector<std::int32_t> sorted = ring;
    std::sort(sorted.begin(), sorted.end());
    bool permutation = sorted.size() == devices.size();
    for (std::size_t i = 0; permutation && i < sorted.size(); ++i)
      permutation = sorted[i] == static_cast<std::int32_t>(i);
    if (permutation) rings.insert(ring);
  }
  std::vector<std::int32_t> order(devices.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::int32_t>(i);
  if (rings.size() == 1) {
    order = *rings.begin();
  } else if (rings.size() > 1) {
    result.notes.push_back("NCCL ran all_reduce over " + std::to_string(rings.size()) +
                           " different rings; imported as the ring in rank order");
  } else {
    result.notes.push_back("all_reduce flows are its ring in rank order (no NCCL_DEBUG channel lines give NCCL's)");
  }
  std::vector<std::int32_t> ring;
  for (std::int32_t r : order) ring.push_back(devices[static_cast<std::size_t>(r)]);
  return ring;
}

std::vector<Flow> collective_flows(Collective c, const std::vector<std::int32_t>& devices,
                                   const std::vector<std::int32_t>& ring) {
  std::vector<Flow> flows;
  const std::size_t n = devices.size();
  if (c == Collective::all_to_all) {
    for (std::int32_t a : devices)
      for (std::int32_t b : devices)
        if (a != b) flows.push_back({a, b});
  } else {
    const std::vector<std::int32_t>& order = c == Collective::all_reduce ? ring : devices;
    for (std::size_t i = 0; i < n; ++i) flows.push_back({order[i], order[(i + 1) % n]});
  }
  return flows;
}

std::uint64_t flow_bytes(Collective c, std::uint64_t size, std::size_t n) {
  const long double s = static_cast<long double>(size), dn = static_cast<long double>(n);
  switch (c) {
    case Collective::all_to_all:
      return static_cast<std::uint64_t>(std::llround(s / dn));
    case Collective::sendrecv:
      return size;
    case Collective::all_reduce:
      return static_cast<std::uint64_t>(std::llround(2 * (dn - 1) / dn * s));
  }
  return size;
}

// ---------------------------------------------------------------- matrices (p2p test, nvbandwidth)

/// A square or one-row matrix of figures with "N/A" cells allowed (nvbandwidth).
struct Matrix {
  std::string title;
  std::size_t line = 0;  ///< of the title
  std::vector<std::size_t> row_lines;
  std::vector<std::vector<std::optional<double>>> cells;  ///< [row][column]
  std::size_t columns = 0;
};

/// More GPUs than any box holds: a matrix this wide is not a tool's output.
constexpr std::size_t kMaxMatrixGpus = 256;
/// read_matrix: as many rows as columns, or every consecutive row that follows.
constexpr std::size_t kRowsAsColumns = 0;
constexpr std::size_t kRowsAsFollow = static_cast<std::size_t>(-1);

/// Column labels 0..n-1 after an optional corner token ("D\D", "GPU", "CPU").
std::optional<std::size_t> column_labels(const Tokens& t, std::size_t first) {
  if (t.size() <= first || t.size() - first > kMaxMatrixGpus) return std::nullopt;
  for (std::size_t i = first; i < t.size(); ++i) {
    std::uint64_t v = 0;
    if (!parse_uint(t[i], v) || v != i - first) return std::nullopt;
  }
  return t.size() - first;
}

bool corner(std::string_view token) {
  return token == "D\\D" || token == "D\\\\D" || token == "D/D" || token == "GPU" || token == "CPU";
}

/// Reads the matrix whose heading is at lines[at] (after a title at lines[at - 1]); advances `at`
/// past it. `rows`: how many rows it must have, kRowsAsColumns or kRowsAsFollow.
Matrix read_matrix(const std::vector<Line>& lines, std::size_t& at, std::string title, std::size_t title_line,
                   std::size_t rows, bool allow_na, const Where& where) {
  Matrix m;
  m.title = printable(title);
  m.line = title_line;
  while (at < lines.size() && trim(lines[at].text).empty()) ++at;
  if (at >= lines.size()) where.fail(title_line, "'" + m.title + "' has no table after it: the output was cut");
  const Tokens head = tokens_of(lines[at].text);
  const std::size_t first = !head.empty() && corner(head[0]) ? 1 : 0;
  const std::optional<std::size_t> columns = column_labels(head, first);
  if (!columns)
    where.fail(lines[at].number, "the heading of '" + m.title + "' should number the GPUs 0, 1, 2, ... (at most " +
                                     std::to_string(kMaxMatrixGpus) + "): the table is damaged");
  m.columns = *columns;
  const bool follow = rows == kRowsAsFollow;
  const std::size_t want = follow ? m.columns : rows == kRowsAsColumns ? m.columns : rows;
  ++at;
  for (std::size_t r = 0; r < want; ++r, ++at) {
    const Tokens t = at < lines.size() ? tokens_of(lines[at].text) : Tokens{};
    std::uint64_t label = 0;
    const bool is_row = !t.empty() && parse_uint(t[0], label) && label == r;
    if (follow && r > 0 && !is_row) break;
    if (!is_row)
      where.fail(at < lines.size() ? lines[at].number : lines.back().number,
                 "'" + m.title + "' (line " + std::to_string(title_line) + ") has " + std::to_string(r) + " of its " +
                     std::to_string(want) + " rows: the table was cut; give the whole output");
    if (t.size() != m.columns + 1)
      where.fail(lines[at].number, "row " + std::to_string(r) + " of '" + m.title + "' has " +
                                       count_of(t.size() - 1, "figure") + " for " + std::to_string(m.columns) +
                                       " GPUs: the row was cut");
    std::vector<std::optional<double>> cells;
    for (std::size_t c = 1; c < t.size(); ++c) {
      if (allow_na && t[c] == "N/A") {
        cells.push_back(std::nullopt);
        continue;
      }
      cells.push_back(
          figure(t[c], "cell (" + std::to_string(r) + ", " + std::to_string(c - 1) + ")", lines[at].number, where));
    }
    m.cells.push_back(std::move(cells));
    m.row_lines.push_back(lines[at].number);
  }
  return m;
}

MeasurementPoint point(std::string name, TransportKind transport, MeasureOp op, std::uint64_t bytes,
                       std::vector<Flow> flows, MeasureMetric metric, double gbps, std::string source) {
  MeasurementPoint p;
  p.name = std::move(name);
  p.transport = transport;
  p.op = op;
  p.bytes = bytes;
  p.flows = std::move(flows);
  p.metric = metric;
  p.gbps = gbps;
  p.source = std::move(source);
  return p;
}

/// A figure the document can hold: positive and at most 1e6 GB/s.
void check_gbps(double gbps, std::size_t line, const std::string& what, const Where& where) {
  if (gbps > 1e6)
    where.fail(line, what + " = " + std::to_string(gbps) + " GB/s is beyond any link: the output is damaged");
}

// ---------------------------------------------------------------- p2pBandwidthLatencyTest

/// The sample's defaults (cuda-samples p2pBandwidthLatencyTest.cu): numElems = 40,000,000 ints
/// copied 5 times back to back per cell; the output does not print them.
constexpr std::uint64_t kP2pBytesPerFlow = std::uint64_t{40000000} * 4 * 5;

enum class P2pMatrix : std::uint8_t { uni_off, uni_writes, uni_reads, bi_off, bi_on, latency, connectivity, none };

P2pMatrix p2p_title(std::string_view line) {
  line = trim(line);
  if (line == "P2P Connectivity Matrix") return P2pMatrix::connectivity;
  if (contains(line, "Latency") && contains(line, "Matrix") && starts_with(line, "P2P=")) return P2pMatrix::latency;
  if (!contains(line, "Bandwidth") || !contains(line, "Matrix")) return P2pMatrix::none;
  if (starts_with(line, "Unidirectional P2P=Disabled")) return P2pMatrix::uni_off;
  if (starts_with(line, "Unidirectional P2P=Enabled"))
    return contains(line, "(P2P Reads)") ? P2pMatrix::uni_reads : P2pMatrix::uni_writes;
  if (starts_with(line, "Bidirectional P2P=Disabled")) return P2pMatrix::bi_off;
  if (starts_with(line, "Bidirectional P2P=Enabled")) return P2pMatrix::bi_on;
  return P2pMatrix::none;
}

struct P2pRun {
  std::map<P2pMatrix, Matrix> matrices;
  std::map<std::pair<std::int32_t, std::int32_t>, bool> access;  ///< "Device=i CAN Access Peer Device=j"
  std::optional<Matrix> connectivity;
  std::set<std::int32_t> devices;  ///< "Device: i, NAME, pciBusID: ..."
  std::size_t device_line = 0;
  bool latency = false;
};

void read_p2p_line(std::string_view text, std::size_t number, P2pRun& run, const Where& where) {
  const Tokens t = tokens_of(text);
  if (t.size() >= 2 && t[0] == "Device:") {
    std::int32_t d = -1;
    std::string_view id = t[1];
    if (!id.empty() && id.back() == ',') id.remove_suffix(1);
    if (!parse_index(id, d)) where.fail(number, "'Device: " + std::string(id) + "' is not a GPU number");
    if (!run.devices.insert(d).second) where.fail(number, "device " + std::to_string(d) + " is listed twice");
    run.device_line = run.device_line ? run.device_line : number;
    return;
  }
  // Device=0 CAN Access Peer Device=1
  if (t.size() == 5 && starts_with(t[0], "Device=") && (t[1] == "CAN" || t[1] == "CANNOT") && t[2] == "Access" &&
      t[3] == "Peer" && starts_with(t[4], "Device=")) {
    std::int32_t a = -1, b = -1;
    if (!parse_index(t[0].substr(7), a) || !parse_index(t[4].substr(7), b))
      where.fail(number, "this peer-access line names no GPU numbers");
    run.access[{a, b}] = t[1] == "CAN";
  }
}

P2pRun read_p2p_run(const std::vector<Line>& lines, const Where& where) {
  P2pRun run;
  for (std::size_t at = 0; at < lines.size();) {
    const Line& l = lines[at];
    const P2pMatrix kind = p2p_title(l.text);
    if (kind == P2pMatrix::none) {
      read_p2p_line(l.text, l.number, run, where);
      ++at;
      continue;
    }
    const std::string title(trim(l.text));
    ++at;
    if (kind == P2pMatrix::latency) {  // a GPU block and a CPU block, figures in microseconds: ignored
      run.latency = true;
      while (at < lines.size() && p2p_title(lines[at].text) == P2pMatrix::none &&
             !starts_with(trim(lines[at].text), "NOTE"))
        ++at;
      continue;
    }
    Matrix m = read_matrix(lines, at, title, l.number, kRowsAsColumns, false, where);
    if (kind == P2pMatrix::connectivity) {
      run.connectivity = std::move(m);
    } else if (!run.matrices.emplace(kind, std::move(m)).second) {
      where.fail(l.number, "a second '" + title + "': give one run of p2pBandwidthLatencyTest per file");
    }
  }
  return run;
}

/// Whether GPU a could access GPU b, as the output says (true where it says nothing).
bool p2p_access(const P2pRun& run, std::int32_t a, std::int32_t b) {
  if (const auto it = run.access.find({a, b}); it != run.access.end()) return it->second;
  if (run.connectivity) {
    const auto& cell = run.connectivity->cells[static_cast<std::size_t>(a)][static_cast<std::size_t>(b)];
    return cell && *cell != 0;
  }
  return true;
}

void check_p2p_shape(const P2pRun& run, std::size_t n, const Where& where) {
  for (const auto& [kind, m] : run.matrices)
    if (m.columns != n)
      where.fail(m.line, "'" + m.title + "' has " + std::to_string(m.columns) + " GPUs but '" +
                             run.matrices.begin()->second.title + "' has " + std::to_string(n) +
                             ": the file mixes runs; give one run per file");
  if (!run.devices.empty()) {
    const std::int32_t last = *run.devices.rbegin();
    if (run.devices.size() != n || last != static_cast<std::int32_t>(n) - 1)
      where.fail(run.device_line, "the output lists " + count_of(run.devices.size(), "device") +
                                      " but its matrices have " + std::to_string(n) +
                                      " GPUs: the file mixes runs, or the device list was edited");
  }
  if (run.connectivity && run.connectivity->columns != n)
    where.fail(run.connectivity->line, "the P2P Connectivity Matrix has " + std::to_string(run.connectivity->columns) +
                                           " GPUs but the bandwidth matrices have " + std::to_string(n));
  for (const auto& [pair, can] : run.access)
    if (pair.first >= static_cast<std::int32_t>(n) || pair.second >= static_cast<std::int32_t>(n))
      where.fail("a peer-access line names GPU " + std::to_string(std::max(pair.first, pair.second)) +
                 " but the matrices have GPUs 0 to " + std::to_string(n - 1));
}

// ---------------------------------------------------------------- nvbandwidth

struct NvbTestcase {
  std::string name;  ///< empty until a SUM line names it
  std::size_t line = 0;
  std::vector<Matrix> matrices;
  /// Opened by a matrix whose 'Running X.' line a paste lost; its SUM line names and closes it.
  bool anonymous = false;
  bool closed = false;
};

struct NvbRun {
  std::optional<std::string> version;
  std::set<std::int32_t> devices;
  std::size_t device_line = 0;
  std::set<std::string> hosts;  ///< multinode "Process N (HOST): device D: ..."
  std::size_t host_line = 0;
  std::vector<NvbTestcase> testcases;
  std::vector<std::string> waived;
};

bool nvb_matrix_title(std::string_view line) {
  line = trim(line);
  return (starts_with(line, "memcpy ") || contains(line, "Latency") || contains(line, "latency")) &&
         (contains(line, "(GB/s)") || contains(line, "(ns)") || contains(line, "(us)"));
}

NvbRun read_nvb_run(const std::vector<Line>& lines, const Where& where) {
  NvbRun run;
  for (std::size_t at = 0; at < lines.size();) {
    const Line& l = lines[at];
    const std::string_view text = trim(l.text);
    const Tokens t = tokens_of(text);
    if (starts_with(text, "nvbandwidth Version:") && t.size() >= 3) {
      run.version = std::string(t[2]);
    } else if (const std::string_view name = nvb_status(text, "Running"); !name.empty()) {
      run.testcases.push_back({std::string(name), l.number, {}, false, false});
    } else if (const std::string_view waived = nvb_status(text, "Waiving"); !waived.empty()) {
      run.waived.emplace_back(waived);
    } else if (t.size() >= 3 && t[0] == "Device" && !t[1].empty() && t[1].back() == ':') {
      std::int32_t d = -1;
      if (!parse_index(t[1].substr(0, t[1].size() - 1), d))
        where.fail(l.number, "this device line names no GPU number");
      if (!run.devices.insert(d).second) where.fail(l.number, "device " + std::to_string(d) + " is listed twice");
      run.device_line = run.device_line ? run.device_line : l.number;
    } else if (t.size() >= 3 && t[0] == "Process" && t[2].size() > 2 && t[2].front() == '(') {
      std::string_view host = t[2].substr(1);
      if (!host.empty() && host.back() == ':') host.remove_suffix(1);
      if (!host.empty() && host.back() == ')') host.remove_suffix(1);
      run.hosts.emplace(host);
      run.host_line = run.host_line ? run.host_line : l.number;
    } else if (nvb_matrix_title(text)) {
      // A matrix belongs to the last 'Running X.'; where a paste lost that line, the SUM line
      // after the matrix names it.
      if (run.testcases.empty() || run.testcases.back().closed)
        run.testcases.push_back({"", l.number, {}, true, false});
      ++at;
      run.testcases.back().matrices.push_back(
          read_matrix(lines, at, std::string(text), l.number, kRowsAsFollow, true, where));
      continue;
    } else if (t.size() == 3 && t[0] == "SUM") {
      std::string key(t[1]);
      for (const char* part : {"_read1", "_read2", "_write1", "_write2", "_total"})
        if (key.size() > std::strlen(part) && key.compare(key.size() - std::strlen(part), std::string::npos, part) == 0)
          key.resize(key.size() - std::strlen(part));
      if (!run.testcases.empty()) {
        NvbTestcase& tc = run.testcases.back();
        if (tc.name.empty()) tc.name = key;
        if (tc.name != key)
          where.fail(l.number, "this SUM line is of " + key + " but the matrix above belongs to " + tc.name +
                                   ": the file mixes outputs");
        tc.closed = tc.anonymous;
        // The three matrices of a bidirectional testcase, each with its own SUM line, are one.
        if (tc.anonymous && run.testcases.size() > 1) {
          NvbTestcase& before = run.testcases[run.testcases.size() - 2];
          if (before.anonymous && before.name == tc.name) {
            for (Matrix& m : tc.matrices) before.matrices.push_back(std::move(m));
            run.testcases.pop_back();
          }
        }
      }
    }
    ++at;
  }
  for (const NvbTestcase& tc : run.testcases)
    if (tc.name.empty())
      where.fail(tc.line,
                 "a matrix without its 'Running TESTCASE.' line or a 'SUM TESTCASE ...' line after it: keep "
                 "the lines nvbandwidth printed around it, which say what the figures measure");
  if (run.hosts.size() > 1)
    where.fail(run.host_line, "the processes ran on " + std::to_string(run.hosts.size()) +
                                  " hosts (multinode nvbandwidth): measurements are of one box at a time");
  return run;
}

/// Bytes each copy moved: the buffer (512 MiB since v0.7, 64 MiB before) x 16 copies back to back;
/// `note` says which was taken.
std::uint64_t nvb_bytes(const NvbRun& run, std::string& note) {
  constexpr std::uint64_t kLoops = 16, kMiB = std::uint64_t{1} << 20;
  int major = -1, minor = -1;
  if (run.version && run.version->size() >= 4 && (*run.version)[0] == 'v') {
    const std::string& v = *run.version;
    const std::size_t dot = v.find('.');
    std::uint64_t a = 0, b = 0;
    const std::size_t end = v.find_first_not_of("0123456789", dot + 1);
    if (dot != std::string::npos && parse_uint(std::string_view(v).substr(1, dot - 1), a) &&
        parse_uint(std::string_view(v).substr(dot + 1, end == std::string::npos ? std::string::npos : end - dot - 1),
                   b) &&
        a < 1000 && b < 1000)
      major = static_cast<int>(a), minor = static_cast<int>(b);
  }
  const bool old = major == 0 && minor >= 0 && minor < 7;
  note = std::string("bytes per flow: nvbandwidth's default buffer (") + (old ? "64" : "512") + " MiB) x 16 copies" +
         (major < 0 ? ", assumed: the output prints no version" : " for " + *run.version) +
         "; a run with -b/--bufferSize moved other sizes";
  return (old ? 64 : 512) * kMiB * kLoops;
}

}  // namespace

std::string to_string(MeasureTool tool) {
  switch (tool) {
    case MeasureTool::nccl_tests:
      return "nccl-tests";
    case MeasureTool::p2p_bandwidth_latency_test:
      return "p2pBandwidthLatencyTest";
    case MeasureTool::nvbandwidth:
      return "nvbandwidth";
  }
  return "?";
}

MeasureTool detect_measure_tool(const std::string& text, const std::string& origin) {
  const Where where(origin);
  check_text(text, where);
  bool nccl = false, p2p = false, nvb = false;
  for (const Line& l : split_lines(text)) {
    const std::string_view body = nccl_body(l.text);
    nccl = nccl || nccl_rank_line(body) || nccl_column_line(body);
    p2p = p2p || p2p_line(l.text);
    nvb = nvb || nvb_line(l.text);
  }
  const int kinds = int(nccl) + int(p2p) + int(nvb);
  if (kinds == 0)
    where.fail("is not an output this importer knows: give " + std::string(kFormats) +
               " (nccl-tests' '#  Rank ... device' lines and results table, the sample's 'P2P=... Bandwidth Matrix' "
               "blocks, nvbandwidth's 'Running TESTCASE.' blocks)");
  if (kinds > 1)
    where.fail("holds the outputs of several tools (" + std::string(nccl ? "nccl-tests " : "") +
               (p2p ? "p2pBandwidthLatencyTest " : "") + (nvb ? "nvbandwidth" : "") +
               "): give each tool's output in a file of its own");
  return nccl ? MeasureTool::nccl_tests : p2p ? MeasureTool::p2p_bandwidth_latency_test : MeasureTool::nvbandwidth;
}

ImportResult import_nccl_tests(const std::string& text, const std::string& origin, const ImportOptions& options) {
  const Where where(origin);
  check_text(text, where);
  const NcclRun run = read_nccl_run(split_lines(text), where);
  const std::vector<std::int32_t> devices = rank_devices(run, where);
  if (!run.columns)
    where.fail(
        "has no results table (the heading '#       size         count      type ... busbw'): give the whole "
        "output");
  if (run.rows.empty()) where.fail("its results table has no rows: the output was cut before the first size");
  const std::size_t n = devices.size();
  const Collective coll = which_collective(run, n, where);
  if (coll == Collective::all_to_all && n * (n - 1) > kMaxFlowsPerPoint)
    where.fail(std::to_string(n) + " ranks make " + std::to_string(n * (n - 1)) + " flows; a point holds at most " +
               std::to_string(kMaxFlowsPerPoint));
  ImportResult result;
  result.tool = MeasureTool::nccl_tests;
  const TransportKind transport = nccl_transport(run.debug, options, result, where);
  const std::vector<std::int32_t> ring =
      coll == Collective::all_reduce ? reduce_ring(run.debug, devices, result) : devices;
  const std::vector<Flow> flows = collective_flows(coll, devices, ring);
  const std::string label = label_of(origin), name = kCollectiveNames[static_cast<int>(coll)];
  std::set<std::string> names;
  std::size_t small = 0, unreadable = 0;
  for (const NcclRow& row : run.rows) {
    if (!options.all_sizes && row.size < kDefaultMinImportBytes) {
      ++small;
      continue;
    }
    const std::uint64_t bytes = flow_bytes(coll, row.size, n);
    if (bytes == 0 || row.busbw <= 0) {  // nothing moved, or busbw below the printed 0.01 GB/s
      ++unreadable;
      continue;
    }
    if (bytes > kMaxMeasuredBytes)
      where.fail(row.line, "size " + std::to_string(row.size) + " makes " + std::to_string(bytes) +
                               " bytes per flow, above the document's 1 TiB");
    check_gbps(row.busbw, row.line, "busbw", where);
    // Rows of one size differ by type (-d all) or op (-o all); a row repeated (-N) by its line.
    std::string point_name =
        label + ": " + name + ", " + std::to_string(n) + " GPUs, " + std::to_string(row.size) + " B " + row.type;
    if (names.count(point_name) && !row.redop.empty()) point_name += " " + row.redop;
    if (names.count(point_name)) point_name += " (line " + std::to_string(row.line) + ")";
    names.insert(point_name);
    if (result.points.size() == kMaxMeasurementPoints)
      where.fail(row.line, "more than " + std::to_string(kMaxMeasurementPoints) + " rows to import: split the file");
    MeasurementPoint p = point(point_name, transport, MeasureOp::write, bytes, flows, MeasureMetric::busbw, row.busbw,
                               "nccl-tests " + std::string(kBinaryNames[static_cast<int>(coll)]) + ", " + label +
                                   " line " + std::to_string(row.line) + ", out-of-place busbw");
    p.collective = name;
    p.size_bytes = row.size;
    result.points.push_back(std::move(p));
  }
  if (small)
    result.notes.push_back(count_of(small, "row") + " below 1 MiB skipped (latency-bound; --all-sizes takes them)");
  if (unreadable) result.notes.push_back(count_of(unreadable, "row") + " skipped: size 0 or busbw printed as 0.00");
  if (result.points.empty())
    where.fail("no row to import: every size is below 1 MiB (give --all-sizes to take them) or its busbw is 0.00");
  return result;
}

ImportResult import_p2p_bandwidth_latency_test(const std::string& text, const std::string& origin) {
  const Where where(origin);
  check_text(text, where);
  const P2pRun run = read_p2p_run(split_lines(text), where);
  if (run.matrices.empty())
    where.fail(
        "has no bandwidth matrix ('Unidirectional P2P=Disabled Bandwidth Matrix (GB/s)' and the like): give "
        "the output with its matrices");
  const std::size_t n = run.matrices.begin()->second.columns;
  check_p2p_shape(run, n, where);
  if (run.matrices.size() * n * (n - 1) > kMaxMeasurementPoints)
    where.fail(std::to_string(n) + " GPUs make more than " + std::to_string(kMaxMeasurementPoints) +
               " points, a document's limit: give the output of fewer GPUs (CUDA_VISIBLE_DEVICES)");
  ImportResult result;
  result.tool = MeasureTool::p2p_bandwidth_latency_test;
  const std::string label = label_of(origin);
  std::size_t no_access = 0;
  for (const auto& [kind, m] : run.matrices) {
    const bool enabled = kind == P2pMatrix::uni_writes || kind == P2pMatrix::uni_reads || kind == P2pMatrix::bi_on;
    const bool bidirectional = kind == P2pMatrix::bi_off || kind == P2pMatrix::bi_on;
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) {
        if (i == j) continue;  // the diagonal is a copy inside one GPU
        const auto a = static_cast<std::int32_t>(i), b = static_cast<std::int32_t>(j);
        const double gbps = *m.cells[i][j];
        const std::string cell = "row " + std::to_string(i) + " column " + std::to_string(j);
        if (gbps <= 0)
          where.fail(m.row_lines[i], "'" + m.title + "' " + cell + " is 0: not a bandwidth; rerun the test");
        check_gbps(gbps, m.row_lines[i], cell, where);
        if (enabled && !p2p_access(run, a, b)) {  // the sample fell back to a staged copy
          ++no_access;
          continue;
        }
        const TransportKind transport = enabled ? TransportKind::cuda_p2p : TransportKind::cuda_staged;
        const std::string mode = enabled ? "P2P on" : "P2P off";
        std::string name;
        std::vector<Flow> flows;
        MeasureOp op = MeasureOp::write;
        if (bidirectional) {
          name = mode + ", GPU " + std::to_string(i) + " <-> GPU " + std::to_string(j) + " (cell " + std::to_string(i) +
                 "," + std::to_string(j) + ")";
          flows = {{a, b}, {b, a}};
        } else if (kind == P2pMatrix::uni_reads) {  // GPU i pulls from GPU j
          name = mode + " (reads), GPU " + std::to_string(i) + " <- GPU " + std::to_string(j);
          flows = {{b, a}};
          op = MeasureOp::read;
        } else {
          name = mode + (enabled ? " (writes)" : "") + ", GPU " + std::to_string(i) + " -> GPU " + std::to_string(j);
          flows = {{a, b}};
        }
        result.points.push_back(point(label + ": " + name, transport, op, kP2pBytesPerFlow, std::move(flows),
                                      MeasureMetric::total, gbps,
                                      "p2pBandwidthLatencyTest, " + label + " line " + std::to_string(m.row_lines[i]) +
                                          ": " + m.title + ", " + cell));
      }
  }
  if (run.access.empty() && !run.connectivity)
    result.notes.push_back(
        "no 'Device=i CAN Access Peer Device=j' lines: every pair is taken as having peer access "
        "in the P2P=Enabled matrices");
  if (no_access)
    result.notes.push_back(count_of(no_access, "P2P=Enabled cell") +
                           " skipped: those pairs have no peer access, so the sample copied through the host (the "
                           "P2P=Disabled matrices hold that measurement)");
  if (run.latency) result.notes.push_back("latency matrices ignored (they time 4-byte copies, not bandwidth)");
  result.notes.push_back(
      "bytes per flow: the sample's default 40,000,000 ints x 5 copies (800 MB); a run with "
      "--numElems moved another size");
  if (result.points.empty()) where.fail("nothing to import: no pair with peer access in its P2P=Enabled matrices");
  return result;
}

ImportResult import_nvbandwidth(const std::string& text, const std::string& origin) {
  const Where where(origin);
  check_text(text, where);
  const NvbRun run = read_nvb_run(split_lines(text), where);
  ImportResult result;
  result.tool = MeasureTool::nvbandwidth;
  const std::string label = label_of(origin);
  for (const std::string& w : run.waived)
    result.notes.push_back(w + " was waived by nvbandwidth (no peer access between the GPUs): nothing to import");
  // Pairs nvbandwidth could not map (N/A off the diagonal of a GPU-to-GPU matrix) have no peer
  // access; the all-to-one and one-to-all testcases skip them too.
  std::set<std::pair<std::int32_t, std::int32_t>> no_access;
  std::size_t gpus = run.devices.size();
  for (const NvbTestcase& tc : run.testcases)
    for (const Matrix& m : tc.matrices) {
      if (!run.devices.empty() && m.columns != run.devices.size())
        where.fail(m.line, "'" + m.title + "' has " + std::to_string(m.columns) + " columns but the output lists " +
                               count_of(run.devices.size(), "device") + ": the file mixes runs");
      if (run.devices.empty()) {
        if (gpus && m.columns != gpus)
          where.fail(m.line, "'" + m.title + "' has " + std::to_string(m.columns) + " columns, another matrix " +
                                 std::to_string(gpus) + ": the file mixes runs");
        gpus = m.columns;
      }
      const NvbCase* c = find_nvb_case(tc.name);
      if (c && (c->kind == NvbKind::d2d || c->kind == NvbKind::d2d_bidir))
        for (std::size_t r = 0; r < m.cells.size(); ++r)
          for (std::size_t col = 0; col < m.columns; ++col)
            if (r != col && !m.cells[r][col])
              no_access.insert({static_cast<std::int32_t>(r), static_cast<std::int32_t>(col)});
    }
  if (!run.devices.empty() && (*run.devices.rbegin() != static_cast<std::int32_t>(run.devices.size()) - 1))
    where.fail(run.device_line, "the devices listed are not numbered 0 to " + std::to_string(run.devices.size() - 1));
  std::string bytes_note;
  const std::uint64_t bytes = nvb_bytes(run, bytes_note);
  std::size_t not_measured = 0;
  for (const NvbTestcase& tc : run.testcases) {
    const NvbCase* c = find_nvb_case(tc.name);
    if (!c) {
      result.notes.push_back(tc.name + " skipped: " +
                             (starts_with(tc.name, "multinode_") ? std::string("a multi-node testcase")
                                                                 : std::string("not between GPUs of the box")));
      continue;
    }
    if (tc.matrices.empty()) {
      result.notes.push_back(tc.name + " printed no matrix (it failed?): skipped");
      continue;
    }
    const bool square = c->kind == NvbKind::d2d || c->kind == NvbKind::d2d_bidir;
    for (const Matrix& m : tc.matrices)
      if (m.cells.size() != (square ? m.columns : 1))
        where.fail(m.line, "'" + m.title + "' of " + tc.name + " has " + count_of(m.cells.size(), "row") + " for " +
                               std::to_string(square ? m.columns : 1) + ": the table was cut; give the whole output");
    if (c->sm && c->read) {
      result.notes.push_back(tc.name + " skipped: the document has reads for copy engines only (op read, cuda-p2p)");
      continue;
    }
    const TransportKind transport = c->sm ? TransportKind::p2p : TransportKind::cuda_p2p;
    const MeasureOp op = c->read ? MeasureOp::read : MeasureOp::write;
    auto add = [&](const std::string& what, std::vector<Flow> flows, MeasureMetric metric, double gbps, const Matrix& m,
                   std::size_t row, const std::string& cell) {
      check_gbps(gbps, m.row_lines[row], cell, where);
      result.points.push_back(
          point(label + ": " + tc.name + ", " + what, transport, op, bytes, std::move(flows), metric, gbps,
                "nvbandwidth, " + label + " line " + std::to_string(m.row_lines[row]) + ": " + m.title + ", " + cell));
    };
    if (c->kind == NvbKind::d2d) {
      const Matrix& m = tc.matrices.front();
      for (std::size_t r = 0; r < m.cells.size(); ++r)
        for (std::size_t col = 0; col < m.columns; ++col) {
          const auto& v = m.cells[r][col];
          if (r == col) continue;
          if (!v || *v <= 0) {
            ++not_measured;
            continue;
          }
          const auto a = static_cast<std::int32_t>(r), b = static_cast<std::int32_t>(col);
          // write: row GPU copies to the column GPU; read: row GPU pulls from the column GPU.
          add(c->read ? "GPU " + std::to_string(r) + " <- GPU " + std::to_string(col)
                      : "GPU " + std::to_string(r) + " -> GPU " + std::to_string(col),
              c->read ? std::vector<Flow>{{b, a}} : std::vector<Flow>{{a, b}}, MeasureMetric::total, *v, m, r,
              "row " + std::to_string(r) + " column " + std::to_string(col));
        }
    } else if (c->kind == NvbKind::d2d_bidir) {
      // Since v0.6: matrices 1 and 2 hold each direction's own rate, Total their sum. The slower
      // direction's rate is the document's flow_min. Before, one matrix timed one direction
      // against a twice-longer opposite copy: flows of unequal size, not importable.
      const Matrix *first = nullptr, *second = nullptr;
      for (const Matrix& m : tc.matrices) {
        if (contains(m.title, "Read1") || contains(m.title, "Write1")) first = &m;
        if (contains(m.title, "Read2") || contains(m.title, "Write2")) second = &m;
      }
      if (!first || !second) {
        result.notes.push_back(tc.name +
                               " skipped: this nvbandwidth (before v0.6) timed one direction against a "
                               "twice-longer opposite copy, which the document cannot state");
        continue;
      }
      if (first->cells.size() != second->cells.size())
        where.fail(second->line, "'" + second->title + "' and '" + first->title + "' differ in size");
      for (std::size_t r = 0; r < first->cells.size(); ++r)
        for (std::size_t col = 0; col < first->columns; ++col) {
          const auto &v1 = first->cells[r][col], &v2 = second->cells[r][col];
          if (r == col) continue;
          if (!v1 || !v2 || *v1 <= 0 || *v2 <= 0) {
            ++not_measured;
            continue;
          }
          const auto a = static_cast<std::int32_t>(r), b = static_cast<std::int32_t>(col);
          add("GPU " + std::to_string(r) + " <-> GPU " + std::to_string(col), {{b, a}, {a, b}}, MeasureMetric::flow_min,
              std::min(*v1, *v2), *first, r,
              "row " + std::to_string(r) + " column " + std::to_string(col) + " of both directions' matrices");
        }
    } else {
      // all_to_one: column d receives from every peer (read: they pull from d, the data flows out
      // of d); one_to_all: column s sends to every peer (read: s pulls from them).
      const Matrix& m = tc.matrices.front();
      for (std::size_t col = 0; col < m.columns; ++col) {
        const auto& v = m.cells[0][col];
        if (!v || *v <= 0) {
          ++not_measured;
          continue;
        }
        const auto g = static_cast<std::int32_t>(col);
        std::vector<Flow> flows;
        for (std::int32_t peer = 0; peer < static_cast<std::int32_t>(m.columns); ++peer) {
          if (peer == g) continue;
          const bool into_g = (c->kind == NvbKind::all_to_one) != c->read;
          const Flow f = into_g ? Flow{peer, g} : Flow{g, peer};
          // the GPU that starts the copy must reach the other; nvbandwidth skips pairs without access
          if (no_access.count({g, peer}) || no_access.count({peer, g})) continue;
          flows.push_back(f);
        }
        if (flows.empty()) {
          ++not_measured;
          continue;
        }
        add((c->kind == NvbKind::all_to_one ? "all GPUs and GPU " : "GPU ") + std::to_string(col) +
                (c->kind == NvbKind::all_to_one ? "" : " and all GPUs"),
            std::move(flows), MeasureMetric::total, *v, m, 0, "column " + std::to_string(col));
      }
    }
  }
  if (not_measured)
    result.notes.push_back(count_of(not_measured, "cell") + " N/A or 0 (pairs without peer access): skipped");
  if (result.points.size() > kMaxMeasurementPoints)
    where.fail("makes " + std::to_string(result.points.size()) + " points; a document holds at most " +
               std::to_string(kMaxMeasurementPoints));
  if (result.points.empty()) {
    std::string why;
    for (const std::string& note : result.notes) why += "; " + note;
    where.fail("nothing to import: no GPU-to-GPU figure in it" + why);
  }
  result.notes.push_back(bytes_note);
  return result;
}

ImportResult import_measurements(const std::string& text, const std::string& origin, const ImportOptions& options) {
  switch (detect_measure_tool(text, origin)) {
    case MeasureTool::nccl_tests:
      return import_nccl_tests(text, origin, options);
    case MeasureTool::p2p_bandwidth_latency_test:
      return import_p2p_bandwidth_latency_test(text, origin);
    case MeasureTool::nvbandwidth:
      return import_nvbandwidth(text, origin);
  }
  throw MeasurementError(origin + ": unknown format");
}

}  // namespace ua2a
