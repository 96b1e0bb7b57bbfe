// Verifier benchmark: how long `verify` takes on round-robin paired-full, the schedule a user most
// often proves before a run, and how much memory it needs per operation.
//
// For each N it prints: generation + lowering time (not verification, shown for scale), the
// structural check time, the execution (zero-buffer matcher run, ledger, properties) time, their
// sum (wall seconds), the thread's CPU seconds for that sum, and the peak resident memory of the
// process (getrusage ru_maxrss) with bytes per op.
// Targets (issue 3): N = 1024 under 0.3 s and N = 4096 under 2 s on one core. The run checks its
// own result: every property must hold, else it exits 1.
//
// Usage: bench_verify [N ...]   (default: 1024 4096; run each N in its own process for a clean
// peak-memory figure: ru_maxrss never goes down).
#include <sys/resource.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "schedule/generators.h"
#include "schedule/lower.h"
#include "schedule/payload.h"
#include "verify/report.h"

using namespace ua2a;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

/// CPU time of this (single) thread: on a shared machine it is the "one core" figure, where wall
/// time also counts the time other processes held the core.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) * 1024.0;  // Linux reports KiB
}

bool bench(std::int32_t n) {
  auto t0 = Clock::now();
  const Schedule s = round_robin(n, uniform_payload(1 << 20, true, 1));
  const ProgramSet p = lower(s, Discipline::paired_full);
  const double t_gen = seconds_since(t0);
  const double rss_inputs = peak_rss_bytes();

  t0 = Clock::now();
  const double cpu0 = thread_cpu_seconds();
  const StructureReport structure = check_structure(s);
  const double t_structure = seconds_since(t0);
  t0 = Clock::now();
  const ExecutionReport execution = execute(p);
  const double t_execute = seconds_since(t0);
  const double cpu = thread_cpu_seconds() - cpu0;
  const double rss = peak_rss_bytes();

  const bool ok = structure.ok() && execution.ok();
  const double ops = static_cast<double>(execution.ops);
  std::printf("%6d %10.0f %9.3f %10.3f %9.3f %9.3f %9.3f %9.1f %9.1f %8.1f  %s\n", n, ops, t_gen, t_structure,
              t_execute, t_structure + t_execute, cpu, rss_inputs / 1e6, rss / 1e6, rss / ops, ok ? "ok" : "FAILED");
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::int32_t> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::atoi(argv[i]));
  if (sizes.empty()) sizes = {1024, 4096};
  std::printf("# round-robin, paired-full, 1 MiB blocks, zero-buffer; times in seconds, memory in MB (1e6 B)\n");
  std::printf("%6s %10s %9s %10s %9s %9s %9s %9s %9s %8s  %s\n", "N", "ops", "gen+lower", "structure", "execute",
              "verify", "cpu", "rss_in", "rss_peak", "B/op", "check");
  bool ok = true;
  for (std::int32_t n : sizes) ok = bench(n) && ok;
  return ok ? 0 : 1;
}
