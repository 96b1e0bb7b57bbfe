// The CLI fuzzer (issue 21, class 5): walks every command's own option table (CLI11's, printed by
// the hidden flag --option-table: names, types with their validators, roles from cli/outputs.h)
// and runs the real binary, one process per invocation under a timeout, on invocations a careless
// user types: boundary numbers, empty and repeated list items, an option given twice, two options
// at once, an input that is a directory, a missing or binary file, outputs that collide with each
// other or with an input, outputs that are directories or lie in missing ones. Each starts from a
// cheap valid invocation of its command (kBase; a command without one starts bare). It asserts what
// the README promises of every command:
//   - no signal and no hang: the exit code is 0, 1, 2 or 3;
//   - a non-zero exit changes no file of the case's folder (nothing written, removed or added);
//   - exit 2 says something on stderr that names an option or a value of the invocation, and
//     after a single change that option or its value (not another: "--seq must be at least 1"
//     for --image-tokens 2^64 - 1 blamed the wrong one);
//   - two outputs on one path, or an output on an input, are refused (exit 2);
//   - exit 0 prints no nan or inf, and an option it was given changed its output or files (an
//     option that changes nothing was ignored).
// Fixed seed: the bases run first, then the single changes, then the pairs, each shuffled with the
// seed, until a time budget (UA2A_FUZZ_SECONDS, counted from the start) is spent: 120 s (all of
// them take about 50 s on an idle 2-core machine), 150 s in a sanitized build, where a process
// rendering a picture starts several times slower and a cut leaves every command its share.
// Its finds become rows of bad_input_test.cpp.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support.h"

namespace fs = std::filesystem;
using ua2a::testing::run_cli;

namespace {

/// Per invocation: the slowest base here takes about 2 s; under the sanitizers calibrate's fit
/// took over 20 s on a loaded machine, so there a hang is no exit in 120 s.
constexpr int kTimeoutSeconds = UA2A_FUZZ_DEFAULT_SECONDS > 120 ? 120 : 20;
constexpr unsigned kSeed = 21;

// A valid, cheap invocation per command: the fuzzer changes one or two options of it.
const std::map<std::string, std::string> kBase = {
    {"report", "report --ranks 2 -t 4090x4 --no-layer-check --out {dir}/out"},
    {"schedule", "schedule --ranks 4"},
    {"verify", "verify --ranks 4"},
    {"simulate", "simulate --ranks 4 -t 4090x4 --algo grouped --bytes 4096"},
    {"topo list", "topo list"},
    {"topo show", "topo show 4090x4"},
    {"topo import", "topo import {src}/tests/sim/data/4090x4.txt"},
    {"calibrate", "calibrate"},
    {"probe", "probe --dry-run -t 4090x4"},
    {"measure import", "measure import {src}/tests/sim/data/measure/p2p_6x4090_nccl814.txt --box 4090x8-2s-sw -o {dir}/m.json"},
    {"render pairings", "render pairings --ranks 4 -o {dir}/p.svg"},
    {"render rounds", "render rounds --ranks 4 -o {dir}/r.svg"},
    {"render topology", "render topology 4090x4 -o {dir}/t.svg"},
    {"render timeline", "render timeline {src}/tests/viz/data/sim-4.json -o {dir}/t.svg"},
    {"render calibration", "render calibration -i {src}/tests/fuzz/corpus/calibration_json/c13-prediction.json -o {dir}/c.svg"},
    {"render report", "render report --ranks 4 -o {dir}"},
    {"run", "run --ranks 2 --heads 2 --seq 4"},
    {"synthesize", "synthesize -t 4090x4 --bytes 4096 --budget 0.05 -o {dir}/s.json"},
    {"bench", "bench --ranks 2 -b 64 -e 64 -n 1 -w 0 --no-layer"},
    {"plan", "plan -t 4090x4"},
};

// What every case finds in its folder: inputs and files an output must not clobber.
const std::map<std::string, std::string> kFiles = {
    {"keep.json", "{\"sentinel\": \"keep.json\"}\n"},
    {"keep.txt", "sentinel keep.txt\n"},
    {"box.dot", "digraph { gpu0 [kind=gpu]; gpu1 [kind=gpu]; cpu0 [kind=cpu]; gpu0 -> cpu0 [capacity_gbps=24]; "
                "cpu0 -> gpu0 [capacity_gbps=24]; gpu1 -> cpu0 [capacity_gbps=24]; cpu0 -> gpu1 [capacity_gbps=24]; }\n"},
    {"empty.txt", ""},
    {"binary.bin", std::string("\x7f" "ELF\x02\x01\x01\0\0\0\0\0", 12)},
};

struct Option {
  std::vector<std::string> names;  ///< "-o", "--output"; empty for a positional
  std::string positional;          ///< its name when positional
  std::string type;                ///< CLI11's, validators included: "UINT:INT in [1 - 128]", "TEXT:{a,b}"
  bool flag = false;
  std::string default_value;
  std::string role;  ///< "", "input", "output", "output-folder" (cli/outputs.h)
  std::string label() const { return positional.empty() ? names.back() : positional; }
};

struct Command {
  std::string path;  ///< "render topology"
  std::vector<Option> options;
};

/// An invocation: the command's arguments as (option, values); a positional's option is its name.
struct Arg {
  const Option* option;
  std::string value;  ///< unused for a flag
};

struct Invocation {
  const Command* command;
  std::vector<Arg> args;
  std::string what;              ///< which mutation, for the failure message
  bool must_refuse = false;      ///< outputs that collide: exit 2 is the only right answer
  const Option* changed = nullptr;  ///< the one option a single change set (ignored-option check)
  std::string value;
};

std::vector<Command> option_tables() {
  const auto r = run_cli("--option-table", 60);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json doc = nlohmann::json::parse(r.stdout_text);
  std::vector<Command> commands;
  for (const auto& c : doc.at("commands")) {
    Command command{c.at("path"), {}};
    for (const auto& o : c.at("options")) {
      if (o.at("hidden").get<bool>()) continue;  // old spellings: the same values as their new names
      Option opt;
      opt.names = o.at("names").get<std::vector<std::string>>();
      opt.positional = o.at("positional");
      opt.type = o.at("type");
      opt.flag = o.at("flag");
      opt.default_value = o.at("default");
      opt.role = o.at("role");
      command.options.push_back(opt);
    }
    commands.push_back(command);
  }
  return commands;
}

const Option* find_option(const Command& c, const std::string& name) {
  for (const Option& o : c.options)
    if (std::find(o.names.begin(), o.names.end(), name) != o.names.end()) return &o;
  return nullptr;
}

/// The base invocation of `c`, parsed with its own option table.
std::vector<Arg> base_args(const Command& c) {
  std::vector<Arg> args;
  const auto it = kBase.find(c.path);
  if (it == kBase.end()) return args;
  std::vector<std::string> tokens;
  std::string token;
  for (std::istringstream in(it->second); in >> token;) tokens.push_back(token);
  std::vector<const Option*> positionals;
  for (const Option& o : c.options)
    if (!o.positional.empty()) positionals.push_back(&o);
  std::size_t next_positional = 0;
  for (std::size_t i = std::count(c.path.begin(), c.path.end(), ' ') + 1; i < tokens.size(); ++i) {
    if (tokens[i][0] == '-') {
      const Option* o = find_option(c, tokens[i]);
      EXPECT_NE(o, nullptr) << "kBase of '" << c.path << "' uses " << tokens[i] << ", which it lacks";
      if (o == nullptr) return {};
      args.push_back({o, o->flag ? "" : tokens.at(++i)});
    } else if (next_positional < positionals.size()) {
      args.push_back({positionals[next_positional++], tokens[i]});
    }
  }
  return args;
}

std::string type_kind(const Option& o) { return o.type.substr(0, o.type.find(':')); }

/// The members of a CLI::IsMember set in the type ("TEXT:{contention,fluid}"), else none.
std::vector<std::string> members(const Option& o) {
  const auto open = o.type.find(":{"), close = o.type.find('}', open == std::string::npos ? 0 : open);
  std::vector<std::string> out;
  if (open == std::string::npos || close == std::string::npos) return out;
  std::stringstream s(o.type.substr(open + 2, close - open - 2));
  for (std::string m; std::getline(s, m, ',');) out.push_back(m);
  return out;
}

/// The values tried for one option (its role or type decides which).
std::vector<std::string> values_for(const Option& o) {
  if (o.role == "input")
    return {"{dir}", "{dir}/missing.json", "{dir}/empty.txt", "{dir}/binary.bin", "{dir}/keep.json", "", "-",
            "{dir}/box.dot"};
  if (o.role == "output") return {"{dir}", "{dir}/no/such/f.out", "/dev/full", "{dir}/new.out", ""};
  if (o.role == "output-folder") return {"{dir}/keep.txt", "{dir}/no/such/new", "/proc/x", ""};
  const std::string kind = type_kind(o);
  if (kind == "INT" || kind == "UINT")
    return {"0", "-1", "1", "2147483648", "4294967296", "9223372036854775808", "18446744073709551616", "1e308", "nan",
            "8.5", ""};
  if (kind == "FLOAT") return {"0", "-1", "nan", "inf", "-inf", "1e308", "-1e308", "1e-300", "2147483648", "1,2", ""};
  std::vector<std::string> v = {"", ",", "x", "x\ny", std::string(5000, 'x')};
  std::vector<std::string> m = members(o);
  const std::string d = !m.empty() ? m.front() : o.default_value;
  if (!d.empty()) {
    v.insert(v.end(), {d + "," + d, d + ",," + d, "," + d, d + ",", d + " "});
    if (m.size() > 1) v.push_back(m[0] + "," + m[1]);
  }
  return v;
}

/// `base` with `o` set to `value` (replacing its base value) or, for a flag, added.
std::vector<Arg> with(std::vector<Arg> args, const Option* o, const std::string& value) {
  args.erase(std::remove_if(args.begin(), args.end(), [o](const Arg& a) { return a.option == o; }), args.end());
  args.push_back({o, value});
  return args;
}

std::vector<Invocation> singles(const Command& c) {
  std::vector<Invocation> out;
  const std::vector<Arg> base = base_args(c);
  out.push_back({&c, base, "the base invocation"});
  for (const Option& o : c.options) {
    const bool in_base = std::any_of(base.begin(), base.end(), [&o](const Arg& a) { return a.option == &o; });
    if (o.flag) {
      out.push_back({&c, with(base, &o, ""), "the flag " + o.label(), false, in_base ? nullptr : &o, ""});
      continue;
    }
    for (const std::string& v : values_for(o))
      out.push_back({&c, with(base, &o, v), o.label() + " '" + v + "'", false, in_base ? nullptr : &o, v});
    if (!o.positional.empty()) continue;
    // The option twice: CLI11 must refuse or the command must use both, never keep one silently.
    std::vector<Arg> twice = base;
    const std::string v = o.default_value.empty() ? "1" : o.default_value;
    twice.push_back({&o, v});
    twice.push_back({&o, v});
    out.push_back({&c, twice, o.label() + " given twice"});
  }
  // Outputs that collide with each other or with an input: refused before anything is written.
  for (const Option& a : c.options) {
    if (a.role != "output") continue;
    for (const Option& b : c.options) {
      if (&a == &b || b.positional.empty() == false) continue;
      if (b.role == "output")
        out.push_back({&c, with(with(base, &a, "{dir}/same.out"), &b, "{dir}/same.out"),
                       a.label() + " and " + b.label() + " on one path", true});
      if (b.role == "input")
        out.push_back({&c, with(with(base, &a, "{dir}/box.dot"), &b, "{dir}/box.dot"),
                       a.label() + " on the input " + b.label(), true});
    }
    for (const Option& b : c.options)
      if (b.role == "input" && !b.positional.empty())
        out.push_back({&c, with(with(base, &a, "{dir}/box.dot"), &b, "{dir}/box.dot"),
                       a.label() + " on the input " + b.label(), true});
  }
  return out;
}

/// Two options of one command changed at once, drawn with the fixed seed.
std::vector<Invocation> pairs(const Command& c, std::mt19937& rng, int count) {
  std::vector<Invocation> out;
  std::vector<const Option*> options;
  for (const Option& o : c.options) options.push_back(&o);
  if (options.size() < 2) return out;
  const std::vector<Arg> base = base_args(c);
  auto pick_value = [&rng](const Option& o) {
    if (o.flag) return std::string();
    const auto values = values_for(o);
    return values[rng() % values.size()];
  };
  for (int i = 0; i < count; ++i) {
    const Option* a = options[rng() % options.size()];
    const Option* b = options[rng() % options.size()];
    if (a == b) continue;
    const std::string va = pick_value(*a), vb = pick_value(*b);
    out.push_back({&c, with(with(base, a, va), b, vb),
                   a->label() + " '" + va + "' with " + b->label() + " '" + vb + "'"});
  }
  return out;
}

std::string expand(std::string text, const fs::path& dir) {
  for (const auto& [key, value] : {std::pair<std::string, std::string>{"{dir}", dir.string()}, {"{src}", UA2A_SOURCE_DIR}})
    for (std::size_t at; (at = text.find(key)) != std::string::npos;) text.replace(at, key.size(), value);
  return text;
}

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char ch : s) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return q + "'";
}

/// The shell words of an invocation, and the words its message may name.
std::string command_line(const Invocation& inv, const fs::path& dir, std::vector<std::string>& nameable) {
  std::string line = inv.command->path;
  for (const Arg& a : inv.args) {
    const std::string value = expand(a.value, dir);
    if (a.option->positional.empty()) {
      line += " " + a.option->names.back();
      for (const std::string& n : a.option->names) nameable.push_back(n.substr(n.find_first_not_of('-')));
    } else {
      nameable.push_back(a.option->positional);
    }
    if (!a.option->flag) line += " " + quote(value);
    if (value.size() >= 2) nameable.push_back(value);
  }
  return line;
}

std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    files[fs::relative(e.path(), dir).string()] = e.is_regular_file() ? ua2a::testing::read_text(e.path()) : "(dir)";
  return files;
}

/// Options whose effect a base invocation cannot show (nothing times out, nothing to batch).
const std::set<std::string> kNoVisibleEffect = {"--timeout", "--time-tolerance"};

/// True when `value` is the option's default, as text or as a number.
bool is_default(const Option& o, const std::string& value) {
  if (value == o.default_value) return true;
  char* end1 = nullptr;
  char* end2 = nullptr;
  const double a = std::strtod(value.c_str(), &end1), b = std::strtod(o.default_value.c_str(), &end2);
  return !value.empty() && !o.default_value.empty() && *end1 == 0 && *end2 == 0 && a == b;
}

/// Runs one invocation in a fresh folder; "" when every promise holds, else what broke. `seen` is
/// what it printed and left in the folder; `base_seen` the same of its command's base invocation.
std::string check(const Invocation& inv, const fs::path& dir, int& exit_code, std::string& seen,
                  const std::string& base_seen) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const auto& [name, text] : kFiles) std::ofstream(dir / name, std::ios::binary) << text;
  const auto before = snapshot(dir);
  std::vector<std::string> nameable;
  const std::string line = command_line(inv, dir, nameable);
  const auto r = run_cli(line + " </dev/null", kTimeoutSeconds);  // "-" reads an empty stdin, never the terminal
  exit_code = r.exit_code;
  std::string broken;
  if (r.exit_code < 0 || r.exit_code > 3)
    broken = r.exit_code == 124 ? "hung (no exit in " + std::to_string(kTimeoutSeconds) + " s)"
                                : "exit " + std::to_string(r.exit_code) + " (a signal or an undocumented code)";
  else if (inv.must_refuse && r.exit_code != 2)
    broken = "exit " + std::to_string(r.exit_code) + " where colliding paths must be refused with exit 2";
  else if (r.exit_code != 0 && snapshot(dir) != before)
    broken = "exit " + std::to_string(r.exit_code) + " but a file of the folder was changed, removed or added";
  else if (r.exit_code == 0 && std::regex_search(r.stdout_text, std::regex(R"((^|[^A-Za-z_])-?(nan|inf)([^A-Za-z_]|$))")))
    broken = "exit 0 with nan or inf in its output: a silently wrong number";
  else if (r.exit_code == 2) {
    const bool named = std::any_of(nameable.begin(), nameable.end(),
                                   [&](const std::string& w) { return !w.empty() && r.stderr_text.find(w) != std::string::npos; });
    if (r.stderr_text.empty()) broken = "exit 2 with nothing on stderr";
    else if (!named) broken = "exit 2 whose message names no option or value of the command line";
    else if (inv.changed) {  // a single change: the message names that option or its value, not another
      std::vector<std::string> mine = {inv.changed->positional};
      for (const std::string& n : inv.changed->names) mine.push_back(n.substr(n.find_first_not_of('-')));
      const std::string value = expand(inv.value, dir);
      if (value.size() >= 2) mine.push_back(value);
      if (std::none_of(mine.begin(), mine.end(),
                       [&](const std::string& w) { return !w.empty() && r.stderr_text.find(w) != std::string::npos; }))
        broken = "exit 2 whose message blames another option than the one changed";
    }
  }
  seen = r.stdout_text;
  for (const auto& [name, text] : snapshot(dir)) seen += "\n--- " + name + "\n" + text;
  if (broken.empty() && r.exit_code == 0 && inv.changed && !is_default(*inv.changed, inv.value) && seen == base_seen &&
      !base_seen.empty() && !kNoVisibleEffect.count(inv.changed->label()))
    broken = "exit 0 with the same output and files as without " + inv.changed->label() + ": the option was ignored";
  if (broken.empty()) return "";
  return "[" + inv.what + "] ulysses-a2a " + line + "\n  " + broken + "\n  output: " + r.out.substr(0, 600);
}

}  // namespace

TEST(CliFuzz, EveryCommandKeepsItsPromisesOnGeneratedInvocations) {
  const std::vector<Command> commands = option_tables();
  ASSERT_FALSE(commands.empty());
  const char* env = std::getenv("UA2A_FUZZ_SECONDS");
  const double budget = env ? std::atof(env) : UA2A_FUZZ_DEFAULT_SECONDS;
  std::mt19937 rng(kSeed);
  std::vector<Invocation> bases, single, paired;
  for (const Command& c : commands) {
    EXPECT_TRUE(kBase.count(c.path)) << "no base invocation for '" << c.path << "': add a cheap valid one to kBase";
    std::vector<Invocation> mine = singles(c);
    bases.push_back(std::move(mine.front()));  // first: the ignored-option check compares with it
    for (std::size_t i = 1; i < mine.size(); ++i) single.push_back(std::move(mine[i]));
    for (Invocation& inv : pairs(c, rng, 150)) paired.push_back(std::move(inv));
  }
  // Shuffled with the fixed seed, so that a budget cut leaves every command its share.
  std::shuffle(single.begin(), single.end(), rng);
  std::shuffle(paired.begin(), paired.end(), rng);
  const fs::path dir = fs::temp_directory_path() / ("ua2a-cli-fuzz-" + std::to_string(::getpid()));
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  std::map<int, int> by_exit;
  std::size_t run = 0, failures = 0;
  std::map<const Command*, std::string> base_seen;  // singles start with their command's base
  auto run_all = [&](const std::vector<Invocation>& invocations, bool budgeted) {
    for (const Invocation& inv : invocations) {
      if (budgeted && elapsed() > budget) return;
      int code = 0;
      std::string seen;
      const std::string broken = check(inv, dir, code, seen, base_seen[inv.command]);
      if (inv.what == "the base invocation") {
        EXPECT_EQ(code, 0) << "the base of '" << inv.command->path << "' fails: fix kBase\n" << seen.substr(0, 400);
        base_seen[inv.command] = code == 0 ? seen : "";
      }
      if (code == 3) std::printf("exit 3 (the machine failed): %s\n", inv.what.c_str());
      ++run, ++by_exit[code];
      if (!broken.empty() && ++failures <= 60) ADD_FAILURE() << broken;
    }
  };
  run_all(bases, false);
  run_all(single, true);
  run_all(paired, true);
  fs::remove_all(dir);
  std::string codes;
  for (const auto& [code, n] : by_exit) codes += " exit " + std::to_string(code) + ": " + std::to_string(n) + ";";
  std::printf("cli fuzz: %zu commands, %zu of %zu invocations (%zu bases, %zu single changes, %zu pairs) in %.1f s "
              "(budget %.0f s), %zu broken;%s\n",
              commands.size(), run, bases.size() + single.size() + paired.size(), bases.size(), single.size(),
              paired.size(), elapsed(), budget, failures, codes.c_str());
  EXPECT_EQ(failures, 0u);
}
