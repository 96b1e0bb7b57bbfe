// Simulator speed (issue 4, item 8). Prints, for each case: the simulated exchange time, the wall
// time of the simulation on one core, events, flow-model solves and the process's peak memory.
//   1. the default comparison of `ulysses-a2a simulate` (6 runs, table output, no recording);
//   2. round-robin paired-full, forward exchange of 1 MiB blocks, on K boxes of 4090x8-2s-sw,
//      N = 8 .. 1024 (K = 128): exact up to N = 256, with 1 % event batching from N = 256 (both at
//      256, to show the error); grouped too where it is feasible (N <= 256).
// Each scaling case runs under the fluid model (host-staged, shm), then under the contention model
// on the same transport and on CUDA peer copies staged through the host (cuda-staged, whose GPU
// links carry an interleaving loss: the mechanism's cost), with the wall-time ratio to the fluid run.
// Correctness is checked inside: every fluid run must finish (no deadlock) and be no faster than its
// bound. Usage: bench_sim [max_ranks] (default 1024).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "schedule/generators.h"
#include "schedule/lower.h"
#include "schedule/payload.h"
#include "sim/simulate.h"
#include "schedule/workload.h"

using namespace ua2a;

namespace {

using Clock = std::chrono::steady_clock;
/// Batching used from N = 256 up: 1 % of a transfer's duration (its error is printed at N = 256).
constexpr double kLargeTolerance = 0.01;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // Linux: KiB
}

SimReport run_quiet(const Topology& t, const Schedule& s, Discipline d, double tolerance = 0,
                    SimModel model = SimModel::fluid, TransportKind transport = TransportKind::shm) {
  SimOptions o;
  o.time_tolerance = tolerance;
  o.record_transfers = false;
  o.record_util = false;
  o.model = model;
  o.transport = transport;
  SimReport r = simulate(t, lower(s, d), o);
  // Interleaving losses make runs slower than the lossless bound, never faster.
  if (!r.ok || r.time_s < r.bound_s * (1 - 1e-9)) {
    std::fprintf(stderr, "bench_sim: %s %s failed: %s (time %g < bound %g?)\n", r.algo.c_str(), r.discipline.c_str(),
                 r.error.c_str(), r.time_s, r.bound_s);
    std::exit(1);
  }
  return r;
}

/// The six runs of `ulysses-a2a simulate` with no arguments, best wall time of `reps`.
void default_comparison(int reps) {
  const Topology box = make_preset("4090x8-2s-sw");
  const VideoModel& m = find_video_model("wan2.1-14b");
  const UlyssesShape shape = ulysses_shape(video_tokens(m, "480p", 81), m.heads, m.head_dim, 8, DType::bf16, Exchange::qkv);
  const struct {
    const char* algo;
    Discipline d;
    bool merged;
  } runs[] = {{"round-robin", Discipline::paired_half, true}, {"round-robin", Discipline::paired_full, true},
              {"staircase", Discipline::paired_half, false}, {"grouped", Discipline::grouped, true},
              {"shift", Discipline::paired_full, true},      {"xor", Discipline::paired_full, true}};
  double best = 1e9;
  for (int rep = 0; rep < reps; ++rep) {
    const auto t0 = Clock::now();
    std::vector<SimReport> reports;
    for (const auto& r : runs) {
      const Schedule s = generate(r.algo, 8, ulysses_payload(shape, r.merged, 1));
      reports.push_back(run_quiet(box, s, r.d));
    }
    const std::string table = simulation_table(box, reports);
    best = std::min(best, seconds_since(t0));
    if (table.empty()) std::exit(1);
  }
  std::printf("default comparison (6 runs, 4090x8-2s-sw, Wan2.1-14B 480p, N = 8): %.2f ms wall (best of %d)\n",
              best * 1e3, reps);
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec) + 1e-6 * static_cast<double>(u.ru_utime.tv_usec);
}

void scaling_case(std::int32_t ranks, const char* algo, Discipline d, double tolerance) {
  const Topology t = join_boxes(make_preset("4090x8-2s-sw"), ranks / 8);
  const Schedule s = generate(algo, ranks, uniform_payload(1 << 20, true, 1));
  double fluid_wall = 0;
  const struct {
    SimModel model;
    TransportKind transport;
  } runs[] = {{SimModel::fluid, TransportKind::shm},
              {SimModel::contention, TransportKind::shm},
              {SimModel::contention, TransportKind::cuda_staged}};
  // Best of 5 up to N = 128 (runs of milliseconds on a shared machine), of one above.
  const int reps = ranks <= 128 ? 5 : 1;
  for (const auto& run : runs) {
    double wall = 1e300, cpu = 1e300;
    SimReport r;
    for (int rep = 0; rep < reps; ++rep) {
      const auto t0 = Clock::now();
      const double cpu0 = cpu_seconds();
      r = run_quiet(t, s, d, tolerance, run.model, run.transport);
      wall = std::min(wall, seconds_since(t0));
      cpu = std::min(cpu, cpu_seconds() - cpu0);
    }
    if (run.model == SimModel::fluid) fluid_wall = wall;
    std::printf("%6d %5d  %-12s %-12s %6g %-11s %-12s %12.3f %9.2f %10.3f %10.3f %7.2fx %10llu %9.0f\n", ranks, ranks / 8,
                algo, to_string(d).c_str(), tolerance, to_string(run.model).c_str(), to_string(run.transport).c_str(),
                r.time_s * 1e3, r.busbw_gbps, wall, cpu, fluid_wall > 0 ? wall / fluid_wall : 0,
                static_cast<unsigned long long>(r.solves), peak_rss_mib());
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::int32_t max_ranks = argc > 1 ? std::atoi(argv[1]) : 1024;
  default_comparison(20);
  std::printf("\nscaling: 1 MiB blocks, forward exchange, K boxes of 4090x8-2s-sw joined by one NIC each\n");
  std::printf("(tol: event batching as a fraction of a transfer's duration, 0 = exact; wall and user CPU seconds "
              "of the simulation on one thread; peak_MiB: the process's peak RSS so far)\n");
  std::printf("(vs_fluid: wall time against the fluid run of the same case, measured just before it; best of 5\n"
              " runs up to N = 128, one above)\n");
  std::printf("%6s %5s  %-12s %-12s %6s %-11s %-12s %12s %9s %10s %10s %8s %10s %9s\n", "N", "boxes", "algo", "discipline",
              "tol", "model", "transport", "sim_ms", "busbw", "wall_s", "cpu_s", "vs_fluid", "solves", "peak_MiB");
  for (std::int32_t n = 8; n <= max_ranks; n *= 2) {
    // Exact up to N = 256, where the batched run is shown beside it to measure its error.
    if (n <= 256) scaling_case(n, "round-robin", Discipline::paired_full, 0);
    if (n >= 256) scaling_case(n, "round-robin", Discipline::paired_full, kLargeTolerance);
    if (n <= 256) scaling_case(n, "grouped", Discipline::grouped, 0);  // N x N concurrent flows beyond
  }
  return 0;
}
