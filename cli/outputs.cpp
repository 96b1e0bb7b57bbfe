#include "cli/outputs.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace ua2a::cli {

namespace {

namespace fs = std::filesystem;

// A validator with this name and no description marks a role (not shown in --help).
constexpr const char* kRoleNames[] = {"", "ua2a-role-input", "ua2a-role-output-file", "ua2a-role-output-folder"};

bool is_stdout(const std::string& path) { return path.empty() || path == "-"; }

/// "-o/--output": every name of the option, as the messages of the commands spell them.
std::string display_name(const CLI::Option& opt) {
  std::string names;
  for (const std::string& s : opt.get_snames()) names += (names.empty() ? "-" : "/-") + s;
  for (const std::string& l : opt.get_lnames()) names += (names.empty() ? "--" : "/--") + l;
  return names.empty() ? opt.get_name() : names;
}

/// Why `path` cannot be this option's output by itself ("" when it can).
std::string own_problem(const CLI::Option& opt, OptionRole role, const std::string& path) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  const std::string name = display_name(opt) + " " + path;
  if (role == OptionRole::output_folder) {
    if (fs::exists(st) && !fs::is_directory(st)) return name + " is a file, not a folder: give a folder (created when missing)";
    return "";
  }
  if (fs::is_directory(st)) return name + " is a directory: give a file name";
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty() && !fs::is_directory(parent, ec))
    return display_name(opt) + ": cannot write '" + path + "': directory '" + parent.string() + "' does not exist";
  return "";
}

/// Why `path` of `opt` collides with another output or an input of `cmd` ("" when it does not).
std::string collision(const CLI::App& cmd, const CLI::Option* opt, OptionRole role, const std::string& path) {
  for (const CLI::Option* other : cmd.get_options()) {
    if (other == opt || other->count() == 0) continue;
    const OptionRole other_role = role_of(const_cast<CLI::Option&>(*other));
    if (other_role == OptionRole::none) continue;
    for (const std::string& value : other->results()) {
      if (is_stdout(value) || !same_path(path, value)) continue;
      if (other_role == OptionRole::input)
        return display_name(*opt) + " " + path + " is an input (" + display_name(*other) + "): write elsewhere";
      return display_name(*opt) + " and " + display_name(*other) + " both name " + path +
             ": give each output its own path" + (role == other_role ? "" : " (one would overwrite the other)");
    }
  }
  return "";
}

CLI::Option* tag(CLI::App* cmd, CLI::Option* opt, OptionRole role) {
  opt->check(CLI::Validator(
      [cmd, opt, role](std::string& path) -> std::string {
        if (cmd == nullptr || is_stdout(path)) return "";
        if (std::string problem = own_problem(*opt, role, path); !problem.empty()) throw std::invalid_argument(problem);
        if (std::string problem = collision(*cmd, opt, role, path); !problem.empty()) throw std::invalid_argument(problem);
        return "";
      },
      "", kRoleNames[static_cast<int>(role)]));
  return opt;
}

}  // namespace

std::string to_string(OptionRole role) {
  switch (role) {
    case OptionRole::input: return "input";
    case OptionRole::output_file: return "output";
    case OptionRole::output_folder: return "output-folder";
    case OptionRole::none: break;
  }
  return "";
}

CLI::Option* output_option(CLI::App& cmd, CLI::Option* opt) { return tag(&cmd, opt, OptionRole::output_file); }
CLI::Option* output_folder_option(CLI::App& cmd, CLI::Option* opt) { return tag(&cmd, opt, OptionRole::output_folder); }
CLI::Option* input_option(CLI::Option* opt) {
  // A directory is no input file (a preset name is no directory): "topo show /tmp" said "DOT syntax error".
  opt->check(CLI::Validator(
      [opt](std::string& path) -> std::string {
        std::error_code ec;
        if (!path.empty() && path != "-" && fs::is_directory(path, ec))
          throw std::invalid_argument(display_name(*opt) + " " + path + " is a directory: give a file");
        return "";
      },
      "", ""));
  return tag(nullptr, opt, OptionRole::input);
}

OptionRole role_of(CLI::Option& opt) {
  for (int r = 1; r < 4; ++r) {
    try {
      opt.get_validator(kRoleNames[r]);
      return static_cast<OptionRole>(r);
    } catch (const CLI::OptionNotFound&) {
    }
  }
  const std::string type = opt.get_type_name();
  return type.find(":FILE") != std::string::npos ? OptionRole::input : OptionRole::none;
}

bool same_path(const std::string& path, const std::string& other) {
  std::error_code ec1, ec2;
  if (fs::equivalent(path, other, ec1) && !ec1) return true;
  const fs::path a = fs::weakly_canonical(path, ec1), b = fs::weakly_canonical(other, ec2);
  return !ec1 && !ec2 && a == b;
}

std::vector<std::string> write_into_folder(
    const std::string& folder, const std::function<std::vector<std::string>(const std::string& temp_dir)>& write) {
  std::error_code ec;
  const bool created = !fs::exists(folder, ec);
  if (created && !fs::create_directories(folder, ec))
    throw std::invalid_argument("cannot create folder '" + folder + "': " + ec.message());
  if (!fs::is_directory(folder, ec)) throw std::invalid_argument("'" + folder + "' is a file, not a folder: give a folder");
  std::string temp = (fs::path(folder) / ".ua2a-XXXXXX").string();
  if (::mkdtemp(temp.data()) == nullptr) {
    const std::string why = std::strerror(errno);
    if (created) fs::remove(folder, ec);
    throw std::invalid_argument("cannot write into '" + folder + "': " + why);
  }
  auto discard = [&] {
    fs::remove_all(temp, ec);
    if (created) fs::remove_all(folder, ec);
  };
  std::vector<std::pair<fs::path, fs::path>> moves;
  try {
    for (const std::string& written : write(temp + "/")) {
      const fs::path target = fs::path(folder) / fs::path(written).filename();
      const fs::file_status st = fs::symlink_status(target, ec);
      if (fs::is_directory(st)) throw std::invalid_argument("'" + target.string() + "' is a directory: move it away");
      if (fs::exists(st) && !fs::is_regular_file(st) && !fs::is_symlink(st))
        throw std::invalid_argument("'" + target.string() + "' is not a regular file: move it away");
      moves.emplace_back(written, target);
    }
  } catch (...) {
    discard();
    throw;
  }
  std::vector<std::string> written;
  for (const auto& [from, to] : moves) {
    fs::rename(from, to, ec);
    if (ec) {
      discard();
      throw std::invalid_argument("cannot replace '" + to.string() + "': " + ec.message());
    }
    written.push_back(to.string());
  }
  fs::remove_all(temp, ec);
  return written;
}

}  // namespace ua2a::cli
