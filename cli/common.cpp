#include "cli/common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <streambuf>
#include <string_view>

#include "schedule/generators.h"
#include "schedule/payload.h"
#include "schedule/workload.h"
#if UA2A_CLI_VERIFY_SIM
#include "sim/measurements.h"
#endif

namespace ua2a::cli {

void add_schedule_options(CLI::App& cmd, ScheduleOptions& o) {
  std::string algos;
  for (const auto& g : generators()) algos += std::string(algos.empty() ? "" : ", ") + g.name;
  cmd.add_option("--ranks", o.ranks, "number of ranks N")->capture_default_str();
  cmd.add_option("-a,--algo", o.algo, "schedule generator: " + algos)->capture_default_str();
  cmd.add_option("-k,--chunks", o.chunks, "chunks per block (pipelining)")->capture_default_str();
  cmd.add_flag("--unmerged", o.unmerged, "send q, k, v (and FP8 scales) as separate messages");
  cmd.add_option("--bytes", o.bytes, "bytes per block when no Ulysses shape is given")->capture_default_str();
  cmd.add_option("--seq", o.seq, "Ulysses: image tokens per rank s (selects the Ulysses payload)");
  cmd.add_option("--heads", o.heads, "Ulysses: total heads H (h = H / N)")->capture_default_str();
  cmd.add_option("--head-dim", o.head_dim, "Ulysses: head dim D")->capture_default_str();
  cmd.add_option("--dtype", o.dtype, "Ulysses: bf16, fp16 or fp8 (e4m3 + float32 row scales)")->capture_default_str();
  cmd.add_option("--exchange", o.exchange, "Ulysses: qkv (forward) or out (reverse)")->capture_default_str();
  // Runs once the command line is parsed, before the command's callback.
  cmd.parse_complete_callback([&cmd, &o] {
    o.given = {cmd.count("--bytes") > 0, cmd.count("--seq") > 0,      cmd.count("--heads") > 0,
               cmd.count("--head-dim") > 0, cmd.count("--dtype") > 0, cmd.count("--exchange") > 0};
  });
}

Schedule make_schedule(const ScheduleOptions& o) { return generate(o.algo, o.ranks, schedule_payload(o)); }

Payload schedule_payload(const ScheduleOptions& o) {
  if (o.chunks == 0) throw std::invalid_argument("--chunks must be at least 1 (got 0)");
  if (o.ranks < 1) throw std::invalid_argument("--ranks must be at least 1 (got " + std::to_string(o.ranks) + ")");
  if (o.given.seq && o.seq == 0)
    throw std::invalid_argument("--seq 0: a Ulysses shape needs at least one token per rank; leave --seq out for a "
                                "uniform --bytes payload");
  if (o.seq > 0 && o.given.bytes)
    throw std::invalid_argument("--bytes and --seq both give the message size: use one (--seq derives it from the shape)");
  if (o.seq == 0) {
    const std::pair<bool, const char*> shape_options[] = {
        {o.given.heads, "--heads"}, {o.given.head_dim, "--head-dim"}, {o.given.dtype, "--dtype"}, {o.given.exchange, "--exchange"}};
    for (const auto& [given, name] : shape_options)
      if (given)
        throw std::invalid_argument(std::string(name) + " applies to the Ulysses payload only: add --seq S (tokens per "
                                    "rank), or drop " + name + " for a uniform --bytes payload");
  }
  Payload payload;
  if (o.seq > 0) {
    if (o.heads % static_cast<std::uint64_t>(o.ranks) != 0)
      throw std::invalid_argument("--heads " + std::to_string(o.heads) + " is not divisible by --ranks " +
                                  std::to_string(o.ranks) + ": Ulysses gives every rank H/N heads");
    const UlyssesShape shape{o.seq, o.heads / o.ranks, o.head_dim, parse_dtype(o.dtype), parse_exchange(o.exchange)};
    payload = ulysses_payload(shape, !o.unmerged, o.chunks);
  } else {
    payload = uniform_payload(o.bytes, !o.unmerged, o.chunks);
  }
  return payload;
}


namespace {

namespace fs = std::filesystem;

bool is_stdout(const std::string& path) { return path.empty() || path == "-"; }

std::string plain_number(std::string& value, bool is_signed) {
  std::size_t i = is_signed && !value.empty() && value[0] == '-' ? 1 : 0;
  if (i == value.size()) return "'" + value + "' is not a whole number";
  for (std::size_t k = i; k < value.size(); ++k)
    if (value[k] < '0' || value[k] > '9')
      return "'" + value + "' is not a whole " + (is_signed ? "" : "non-negative ") + "decimal number";
  while (i + 1 < value.size() && value[i] == '0') value.erase(i, 1);  // "010" is 10, not octal 8
  // Past 64 bits CLI11 saturates an unsigned option silently (2^64 became 2^64 - 1).
  const std::string digits = value.substr(i);
  const std::string max = is_signed ? (i == 1 ? "9223372036854775808" : "9223372036854775807") : "18446744073709551615";
  if (digits.size() > max.size() || (digits.size() == max.size() && digits > max))
    return "'" + value + "' is past the largest whole number this program holds (" + max + "): give a smaller one";
  return "";
}

std::string finite_number(const std::string& value) {
  char* end = nullptr;
  const double v = std::strtod(value.c_str(), &end);
  if (value.empty() || end != value.c_str() + value.size() || !std::isfinite(v))
    return "'" + value + "' is not a finite number";
  return "";
}

/// "" when `path` can be written, else why not. Creates nothing: a new file's directory is probed
/// with a temporary file that is removed at once.
std::string write_problem(const std::string& path) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (fs::exists(st)) {
    if (fs::is_directory(st)) return "'" + path + "' is a directory: give a file name";
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);  // no O_TRUNC: the file stays as it is
    if (fd < 0) return "cannot write '" + path + "': " + std::strerror(errno);
    ::close(fd);
    return "";
  }
  const fs::path parent = fs::path(path).parent_path().empty() ? fs::path(".") : fs::path(path).parent_path();
  if (!fs::is_directory(parent, ec)) return "cannot write '" + path + "': directory '" + parent.string() + "' does not exist";
  std::string probe = (parent / ".ua2a-probe-XXXXXX").string();
  const int fd = ::mkstemp(probe.data());
  if (fd < 0) return "cannot write '" + path + "': " + std::strerror(errno);
  ::close(fd);
  ::unlink(probe.c_str());
  return "";
}

/// Writes `text` to the open descriptor; false on any short or failed write.
bool write_all(int fd, std::string_view text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

void require_plain_numbers(CLI::App& app) {
  for (CLI::Option* opt : app.get_options()) {
    // The kind before any validator's description ("UINT:INT in [1 - 128]"): a range is no exemption.
    const std::string full_type = opt->get_type_name();
    const std::string type = full_type.substr(0, full_type.find(':'));
    if (type == "UINT" || type == "INT") {
      const bool is_signed = type == "INT";
      // transform, not check: CLI11 hands a check a copy, and "010" must reach the option as "10".
      opt->transform(CLI::Validator([is_signed](std::string& v) { return plain_number(v, is_signed); },
                                    "", "whole number"));
    } else if (type == "FLOAT") {
      // A transform runs before the checks added earlier (CLI::Range lets nan through).
      opt->transform(CLI::Validator([](std::string& v) { return finite_number(v); }, "", "finite number"));
    }
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) require_plain_numbers(*sub);
}

std::string unknown_command(CLI::App& app, int argc, char** argv) {
  CLI::App* level = &app;
  std::string path;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.empty() || arg[0] == '-') return "";  // options (--help, --version): CLI11's business
    const auto subs = level->get_subcommands([](CLI::App*) { return true; });
    if (subs.empty()) return "";
    std::string names;
    CLI::App* next = nullptr;
    for (CLI::App* sub : subs) {
      names += (names.empty() ? "" : ", ") + sub->get_name();
      if (sub->get_name() == arg) next = sub;
    }
    if (!next)
      return "unknown command '" + path + arg + "' (" + (path.empty() ? "" : path) + "commands: " + names +
             "; see ulysses-a2a " + path + "--help)";
    path += arg + " ";
    level = next;
  }
  const auto subs = level->get_subcommands([](CLI::App*) { return true; });
  if (subs.empty() || level->get_require_subcommand_min() == 0) return "";
  std::string names;
  for (CLI::App* sub : subs) names += (names.empty() ? "" : ", ") + sub->get_name();
  const std::string command = "ulysses-a2a " + path;  // path ends with a space when not empty
  return "'" + command.substr(0, command.size() - 1) + "' needs a command: " + names + " (see " + command + "--help)";
}

ModelChoice resolve_model(const std::string& model, const std::string& resolution, bool resolution_given) {
  for (const char* r : {"480p", "720p"}) {
    const std::string suffix = std::string("-") + r;
    if (model.size() > suffix.size() && model.compare(model.size() - suffix.size(), suffix.size(), suffix) == 0) {
      const std::string base = model.substr(0, model.size() - suffix.size());
      find_video_model(base);  // an unknown base is an unknown model, with the list
      if (resolution_given && resolution != r)
        throw std::invalid_argument("--model " + model + " and --resolution " + resolution + " disagree: use --model " +
                                    base + " --resolution " + resolution);
      std::cerr << "note: --model " << model << " is the old spelling of --model " << base << " --resolution " << r
                << "\n";
      return {base, r};
    }
  }
  find_video_model(model);
  return {model, resolution};
}

void check_writable(const std::vector<std::string>& paths) {
  for (const std::string& p : paths)
    if (!is_stdout(p))
      if (const std::string problem = write_problem(p); !problem.empty()) throw std::invalid_argument(problem);
}

namespace {

/// Writes one output's bytes to an open descriptor; false on any failed write.
using Writer = std::function<bool(int fd)>;

/// A stream onto a descriptor, for writers that print a document piece by piece.
class FdBuf : public std::streambuf {
 public:
  explicit FdBuf(int fd) : fd_(fd), buffer_(1 << 20) { setp(buffer_.data(), buffer_.data() + buffer_.size()); }
  bool ok() const { return ok_; }

 protected:
  int_type overflow(int_type c) override {
    if (!drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override { return drain() ? 0 : -1; }

 private:
  bool drain() {
    if (ok_ && pptr() > pbase()) ok_ = write_all(fd_, std::string_view(pbase(), static_cast<std::size_t>(pptr() - pbase())));
    setp(buffer_.data(), buffer_.data() + buffer_.size());
    return ok_;
  }
  int fd_;
  std::vector<char> buffer_;
  bool ok_ = true;
};

void write_outputs_with(const std::vector<std::pair<std::string, Writer>>& outputs) {
  std::vector<std::string> paths;
  for (const auto& [path, text] : outputs) paths.push_back(path);
  check_writable(paths);
  // Regular files (and new ones) go through a temporary file renamed at the end; devices and pipes
  // (/dev/null, /dev/stdout) cannot be renamed onto and are written in place.
  struct Staged {
    std::string path, temp;
  };
  std::vector<Staged> staged;
  std::vector<const std::pair<std::string, Writer>*> direct, to_stdout;
  auto discard = [&staged] {
    for (const Staged& s : staged) ::unlink(s.temp.c_str());
  };
  const mode_t mask = ::umask(0);
  ::umask(mask);
  for (const auto& out : outputs) {
    std::string path = out.first;
    if (is_stdout(path)) {
      to_stdout.push_back(&out);
      continue;
    }
    std::error_code ec;
    // A link is written through, as an ofstream would: the temporary goes beside its target.
    if (fs::is_symlink(fs::symlink_status(path, ec)))
      if (const fs::path target = fs::canonical(path, ec); !ec) path = target.string();
    const fs::file_status st = fs::status(path, ec);
    if (fs::exists(st) && !fs::is_regular_file(st)) {
      direct.push_back(&out);
      continue;
    }
    const fs::path target(path);
    const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
    std::string temp = (dir / ("." + target.filename().string() + ".ua2a-XXXXXX")).string();
    const int fd = ::mkstemp(temp.data());
    if (fd < 0) {
      discard();
      throw std::invalid_argument("cannot write '" + path + "': " + std::strerror(errno));
    }
    staged.push_back({path, temp});
    const mode_t mode = fs::exists(st) ? static_cast<mode_t>(fs::status(path).permissions()) : (0666 & ~mask);
    const bool ok = ::fchmod(fd, mode) == 0 && out.second(fd);
    if (::close(fd) != 0 || !ok) {
      const std::string why = std::strerror(errno);
      discard();
      throw std::invalid_argument("failed writing '" + path + "' (" + why + "): no output was changed");
    }
  }
  // Devices before the renames: a failed write there (/dev/full) still leaves every file unchanged.
  for (const auto* out : direct) {
    const int fd = ::open(out->first.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    bool ok = fd >= 0 && out->second(fd);
    const std::string why = std::strerror(errno);
    if (fd >= 0 && ::close(fd) != 0) ok = false;
    if (!ok) {
      discard();
      throw std::invalid_argument("failed writing '" + out->first + "' (" + why + ")");
    }
  }
  for (const Staged& s : staged)
    if (::rename(s.temp.c_str(), s.path.c_str()) != 0) {
      const std::string why = std::strerror(errno);
      discard();
      throw std::invalid_argument("cannot replace '" + s.path + "': " + why);
    }
  for (const auto* out : to_stdout) {
    std::cout << std::flush;  // what was printed before comes first
    if (!std::cout || !out->second(STDOUT_FILENO))
      throw std::invalid_argument("writing to standard output failed (disk full or closed pipe?)");
  }
}

}  // namespace

void write_outputs(const std::vector<std::pair<std::string, std::string>>& outputs) {
  std::vector<std::pair<std::string, Writer>> writers;
  for (const auto& [path, text] : outputs)
    writers.emplace_back(path, [&text = text](int fd) { return write_all(fd, text); });
  write_outputs_with(writers);
}

void write_output(const std::string& path, const std::string& text) {
  write_outputs_with({{path, [&text](int fd) { return write_all(fd, text); }}});  // no copy: a schedule may be a GB
}

void write_output_streamed(const std::string& path, const std::function<void(std::ostream&)>& write) {
  write_outputs_with({{path, [&write](int fd) {
                         FdBuf buffer(fd);
                         std::ostream out(&buffer);
                         write(out);
                         out.flush();
                         return buffer.ok() && static_cast<bool>(out);
                       }}});
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument("cannot read '" + path + "': check the path");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  return std::filesystem::equivalent(a, b, ec) && !ec;
}

#if UA2A_CLI_VERIFY_SIM
// Only where sim/ is built (simulate and calibrate call it): the GPU slice that
// scripts/device-check.sh builds has no sim/ (nor its Boost), and this definition failed its link.
Measurements read_measurement_files(const std::vector<std::string>& paths) {
  std::vector<Measurements> docs;
  for (const std::string& path : paths) docs.push_back(read_measurements(read_file(path), path));
  return merge_measurements(docs);
}
#endif

}  // namespace ua2a::cli
