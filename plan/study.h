#pragma once
/// The study on a box: the transports worth comparing, the cases of schedule/study.h run on the
/// simulator, and the ranking table: one place for every command that compares schedules
/// (simulate, report, plan; bench takes the schedule half alone).
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "schedule/program.h"
#include "schedule/schedule.h"
#include "schedule/study.h"
#include "sim/simulate.h"
#include "sim/topology.h"

namespace ua2a::plan {

// The schedule half of the study (schedule/study.h), under the names plan's callers use.
using ua2a::choose_schedules;
using ua2a::Combo;
using ua2a::comparison;
using ua2a::expand;
using ua2a::reference_schedule;
using ua2a::skip_reason;
using ua2a::study_schedules;
using ua2a::StudyCase;
using ua2a::StudyCases;
using ua2a::StudySchedules;
using ua2a::StudySkip;

/// The transports worth comparing on `topology` under `model`: on a PCIe box whose default is
/// NCCL's SHM, the contention model compares what such a box really runs: shm and cuda-staged,
/// and p2p and cuda-p2p only when the box has P2P (TopoParams::p2p: a GeForce box on the stock
/// driver has not); otherwise the box's own transport alone (nullopt: the topology's default).
std::vector<std::optional<TransportKind>> study_transports(const Topology& topology, SimModel model);

/// Why `topology` cannot run `t`, or "" when it can: P2P transports need the box's P2P (the
/// message names --p2p and, for GeForce cards, the P2P-patched driver).
std::string transport_unavailable(TransportKind t, const Topology& topology);

/// --p2p (the box's driver has GPU peer-to-peer): opens P2P on `topology`; std::invalid_argument
/// when its description already has it, where the flag would change nothing.
void open_p2p(Topology& topology);

/// The GPU kind a box's preset name implies, for commands that do not ask (h100 boxes: h100;
/// otherwise rtx4090, the cards this project is for).
std::string default_gpu(const Topology& topology);

/// The transports a request names: a comma list, "all" (every transport but the P2P ones on a box
/// without P2P, each dropped with its reason in `dropped` when given; a comparison skips the rest
/// the box lacks), or empty (study_transports). Throws TopologyError naming a bad one, or one the
/// box cannot run (transport_unavailable).
std::vector<std::optional<TransportKind>> requested_transports(const std::string& list, const Topology& topology,
                                                               SimModel model,
                                                               std::vector<std::pair<TransportKind, std::string>>* dropped = nullptr);

/// One schedule of the study timed under one transport, as the report ranks it; the verdicts come
/// from the verifier (the caller's: plan does not use verify/).
struct StudyRow {
  Combo combo;
  bool deadlock_free = true;
  bool verified = true;
  SimReport sim;
  std::size_t case_index = 0;  ///< run_study: which of its cases
};

/// The study's ranking, fastest first: vs_grouped against NCCL's grouped all-to-all on the same
/// transport, vs_reference against rows.front() (the reference as it runs); with the fluid time
/// and the mechanism that set each run under the contention model.
std::string study_table(const std::vector<StudyRow>& rows);

// ---- The study API: a request expanded into cases, the cases proved and timed ----------------

/// A study asked for on one box: the schedules (StudySchedules: ranks, combos, exchanges, the
/// payload of each), the transports and the simulator's options. simulate, report and plan's
/// callers fill one, expand() it into cases and run_study() them.
struct StudyRequest : StudySchedules {
  std::vector<std::optional<TransportKind>> transports = {std::nullopt};
  /// --transport all: a transport the box cannot route (nvlink on a PCIe box) is skipped, said once.
  bool skip_missing_transports = false;
  /// Whether each run names its exchange (SimReport::exchange): always when several.
  bool label_exchange = false;
  /// Base options of every run; transport and schedule are set per run.
  SimOptions sim;
};

/// A case's verdicts, from the caller's verifier (plan does not link verify/).
struct StudyVerdict {
  bool deadlock_free = true;
  bool verified = true;
};
using StudyVerifier = std::function<StudyVerdict(const StudyCase&)>;
/// Called before each run with the runs done so far and what runs next (a progress line).
using StudyProgress = std::function<void(std::size_t done, const std::string& what)>;

struct StudyRun {
  std::vector<StudyRow> rows;  ///< case by case, each under every transport; case_index names its case
  std::vector<StudySkip> skipped;
};

/// Every case verified once (when `verifier` is given) and simulated under each transport of the
/// request. A transport the box cannot route is an error, or with skip_missing_transports skipped
/// (said once per transport). Throws std::invalid_argument when nothing ran.
StudyRun run_study(const Topology& topology, const StudyRequest& request, const std::vector<StudyCase>& cases,
                   const StudyVerifier& verifier = nullptr, const StudyProgress& progress = nullptr);

}  // namespace ua2a::plan
