#pragma once
/// The study's combination, defaulting and skip rules, and its ranking table: one place for every
/// command that compares schedules (simulate, report, plan).
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "schedule/program.h"
#include "schedule/schedule.h"
#include "sim/simulate.h"
#include "sim/topology.h"

namespace ua2a::plan {

/// One schedule of a comparison: generator, discipline, merged or not.
struct Combo {
  std::string algo;
  std::string discipline;
  bool unmerged = false;
  /// "round-robin paired-half", with " (unmerged)" when unmerged.
  std::string label() const;
};

/// The study of the reference (issue 4): the reference (round-robin paired-half), its full-duplex
/// variant, the pre-#590 staircase (unmerged), NCCL's grouped all-to-all, shift and XOR.
const std::vector<Combo>& study_schedules();

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

/// The reference layout's exchange: round-robin, paired-half, merged (reference/ulysses-4090.md).
Combo reference_schedule();

/// The schedules a comparison asks for: `algos` a comma list of generators, "all" or empty, and
/// `disciplines` a comma list, "all" (every one but naive, which deadlocks by design) or empty (the
/// default: paired-full, grouped for grouped). Both empty: the study. Names are not checked here.
std::vector<Combo> comparison(const std::string& algos, const std::string& disciplines, bool unmerged);

/// The transports a request names: a comma list, "all" (every transport but the P2P ones on a box
/// without P2P, each dropped with its reason in `dropped` when given; a comparison skips the rest
/// the box lacks), or empty (study_transports). Throws TopologyError naming a bad one, or one the
/// box cannot run (transport_unavailable).
std::vector<std::optional<TransportKind>> requested_transports(const std::string& list, const Topology& topology,
                                                               SimModel model,
                                                               std::vector<std::pair<TransportKind, std::string>>* dropped = nullptr);

/// Why `combo` cannot run at `ranks` ranks, or "" when it can (xor needs a power of two). A
/// comparison skips such combos with this note; a request by name is an error.
std::string skip_reason(const Combo& combo, std::int32_t ranks);

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

/// A study asked for on one box: the schedules (with whether they were named one by one), the
/// transports, the payload of each schedule and the simulator's options. simulate, report and
/// plan's callers fill one and print what comes back.
struct StudyRequest {
  std::int32_t ranks = 8;
  std::vector<Combo> combos = study_schedules();
  /// The combos were named one by one (no "all", not the default study): one that cannot run at
  /// `ranks` is an error naming why, not a skipped row.
  bool by_name = false;
  std::vector<std::optional<TransportKind>> transports = {std::nullopt};
  /// --transport all: a transport the box cannot route (nvlink on a PCIe box) is skipped, said once.
  bool skip_missing_transports = false;
  /// The exchanges to time ("qkv", "out"); each case's payload is payload(combo, exchange).
  std::vector<std::string> exchanges = {"qkv"};
  /// Whether each run names its exchange (SimReport::exchange): always when several.
  bool label_exchange = false;
  std::function<Payload(const Combo&, const std::string& exchange)> payload;
  /// Base options of every run; transport and schedule are set per run.
  SimOptions sim;
};

/// Sets `request`'s combos from the lists a command was given (comparison(), same arguments) and
/// whether they were named one by one: a list given without "all".
void choose_schedules(StudyRequest& request, const std::string& algos, const std::string& disciplines, bool unmerged);

/// One schedule of a study, generated and lowered. `has_schedule` is false for a programs file,
/// which has no schedule to route by.
struct StudyCase {
  Combo combo;
  std::string exchange;
  Schedule schedule;
  ProgramSet programs;
  bool has_schedule = true;
};

/// Something a study left out, and why (a command prints it as "note: skipped WHAT: WHY").
struct StudySkip {
  std::string what;
  std::string why;
};

struct StudyCases {
  std::vector<StudyCase> cases;
  std::vector<StudySkip> skipped;
};

/// The request's cases, in order (exchange, then combo). The rules: a name not in the generator
/// or discipline table is an error; a generator that cannot run at the ranks (its table's
/// cannot_run: xor at N not a power of two) and a schedule its discipline cannot lower
/// (paired-half with several partners per round) are skipped with the reason, or thrown when the
/// combos were named one by one; so is a payload the request cannot build at these ranks.
StudyCases expand(const StudyRequest& request);

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
