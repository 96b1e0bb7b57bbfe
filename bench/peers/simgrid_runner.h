#pragma once
/// Runs per-rank programs in SimGrid (s4u) on a platform built from resources and routes, so the
/// simulator's answer can be compared with an established simulator's for the same model.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "schedule/program.h"

namespace ua2a::peers {

/// A shared resource with a capacity: one direction of a link, or a CPU's P2P forwarding.
struct Resource {
  std::string name;
  double bytes_per_s = 0;
  double latency_s = 0;
};

/// The path of a transfer from rank src to rank dst: the resources it crosses (its latency is
/// the sum of theirs) and an optional cap on its rate (0 = none).
struct Route {
  std::vector<std::int32_t> resources;
  double cap_bytes_per_s = 0;
};

struct Platform {
  std::vector<Resource> resources;
  std::function<Route(Rank src, Rank dst)> route;
};

struct SimGridResult {
  double time_s = 0;       ///< simulated completion time of the last rank
  double wall_s = 0;       ///< wall-clock time SimGrid took: platform, routes, actors and the run
  double run_wall_s = 0;   ///< of which the engine run alone
  std::uint64_t comms = 0; ///< point-to-point communications executed
};

/// Configures SimGrid for plain max-min sharing (CM02 without TCP-gamma and cross-traffic, unit
/// latency and bandwidth factors), builds a full zone with one host per rank and one link per
/// resource, one mailbox per ordered pair (FIFO matching, rendezvous: a comm starts when both
/// sides are posted), and one actor per rank that posts each step's operations and waits for all.
/// SimGrid allows one engine per process, so this runs it in a child process.
SimGridResult run_simgrid(const Platform& platform, const ProgramSet& programs);

}  // namespace ua2a::peers
