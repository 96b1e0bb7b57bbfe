#include "backend/runner.h"

#include <algorithm>

#include "schedule/ledger.h"
#if UA2A_HAVE_CUDA
#include "backend/cuda/gpu_layer.h"
#endif

namespace ua2a {

bool RunReport::ok() const {
  if (!checked) return true;
  for (const RankError& e : errors)
    if (!e.ok()) return false;
  return forward_ledger_ok && reverse_ledger_ok;
}

#if !UA2A_HAVE_CUDA
int gpu_count() { return 0; }
#endif

namespace {

/// Exactly once for the pieces addressed to `local` ranks: none duplicated or misplaced, and the
/// only missing pieces are those addressed to ranks other processes hold.
bool local_ledger_ok(const LedgerReport& r, const ProgramSet& p, std::size_t local) {
  const std::uint64_t per_rank = static_cast<std::uint64_t>(p.ranks - 1) * p.payload.pieces_per_block();
  const std::uint64_t elsewhere = per_rank * (p.ranks - local);
  return r.duplicated_count == 0 && r.misplaced_count == 0 && r.missing_count == elsewhere &&
         r.arrived == per_rank * local;
}

std::vector<Rank> local_ranks_of(const RunConfig& c) {
  if (c.transport_options.process_rank >= 0) return {c.transport_options.process_rank};
  std::vector<Rank> all(c.shape.ranks);
  for (Rank r = 0; r < c.shape.ranks; ++r) all[r] = r;
  return all;
}

/// Folds one checked run into the report: worst error per rank, the first failing ledgers.
void add_checked_run(RunReport& rep, const RunConfig& config, const LayerPrograms& programs, const LayerInputs& inputs,
                     const LayerOutputs& outputs, const DeliveryLedger& fwd, const DeliveryLedger& rev) {
  const std::vector<RankError> errors =
      compare_with_reference(config.shape, outputs, reference_layer(config.shape, inputs), rep.tolerance);
  if (rep.errors.empty()) rep.errors.resize(errors.size());
  for (std::size_t r = 0; r < errors.size(); ++r) {
    RankError& e = rep.errors[r];
    e.max_abs = std::max(e.max_abs, errors[r].max_abs);
    e.max_rel = std::max(e.max_rel, errors[r].max_rel);
    e.max_ref = std::max(e.max_ref, errors[r].max_ref);
    e.failed += errors[r].failed;
  }
  const LedgerReport f = fwd.report(), b = rev.report();
  const bool f_ok = local_ledger_ok(f, programs.forward, rep.local_ranks.size());
  const bool b_ok = local_ledger_ok(b, programs.reverse, rep.local_ranks.size());
  if (rep.forward_ledger_ok) rep.forward_ledger = f;  // keep the first failure, else the latest
  if (rep.reverse_ledger_ok) rep.reverse_ledger = b;
  rep.forward_ledger_ok = rep.forward_ledger_ok && f_ok;
  rep.reverse_ledger_ok = rep.reverse_ledger_ok && b_ok;
  ++rep.checked_runs;
}

}  // namespace

RunReport run_layer(const RunConfig& config, const LayerPrograms& programs) {
  RunReport rep;
  rep.plan = make_plan(config.shape);
  check_fit(rep.plan, programs);
  const TransportInfo& info = find_transport(config.transport);
  std::unique_ptr<Transport> transport = make_transport(config.transport, config.transport_options);
  rep.transport = info.name;
  rep.local_ranks = local_ranks_of(config);
  if (info.host_memory && rep.local_ranks.size() != static_cast<std::size_t>(config.shape.ranks))
    throw std::invalid_argument("--rank (one process per GPU) applies to the nccl transport only");
  rep.checked = config.check;
  rep.tolerance = tolerance_for(config.shape);
  const std::uint32_t runs = config.warmup + std::max<std::uint32_t>(config.iterations, 1);
  // Without a check the inputs are made once; with it every run gets its own (seed + run index).
  const LayerInputs timing_inputs = config.check ? LayerInputs{} : make_inputs(config.shape, config.seed);
  auto inputs_of = [&](std::uint32_t i) { return make_inputs(config.shape, config.seed + i); };
  StageTimes sum;
  auto times_of = [&](std::uint32_t i) { return i >= config.warmup ? &sum : nullptr; };
  if (info.host_memory) {
    CpuLayer layer(rep.plan);
    rep.device = "host";
    rep.ranks_per_device = static_cast<std::uint32_t>(rep.local_ranks.size());
    rep.workspace_bytes_per_rank = rep.plan.workspace_bytes();
    LayerOutputs outputs;
    for (std::uint32_t i = 0; i < runs; ++i) {
      if (!config.check) {
        layer.run(timing_inputs, programs, *transport, {}, outputs, times_of(i));
        continue;
      }
      const LayerInputs inputs = inputs_of(i);
      DeliveryLedger fwd(config.shape.ranks, programs.forward.payload), rev(config.shape.ranks, programs.reverse.payload);
      layer.poison();
      layer.run(inputs, programs, *transport, {&fwd, &rev}, outputs, times_of(i));
      add_checked_run(rep, config, programs, inputs, outputs, fwd, rev);
    }
  } else {
#if UA2A_HAVE_CUDA
    GpuLayer layer(rep.plan, rep.local_ranks);
    rep.device = layer.device_description();
    rep.ranks_per_device = layer.ranks_per_device();
    rep.workspace_bytes_per_rank = layer.workspace_bytes_per_rank();
    if (!config.check) layer.upload(timing_inputs);
    for (std::uint32_t i = 0; i < runs; ++i) {
      if (!config.check) {
        layer.run(programs, *transport, {}, times_of(i));
        continue;
      }
      const LayerInputs inputs = inputs_of(i);
      DeliveryLedger fwd(config.shape.ranks, programs.forward.payload), rev(config.shape.ranks, programs.reverse.payload);
      // The transports record arrivals from host functions on the streams: if this run throws,
      // they must have run before the ledgers above are destroyed.
      struct SyncOnExit {
        GpuLayer& layer;
        ~SyncOnExit() { layer.synchronize(); }
      } sync_on_exit{layer};
      layer.upload(inputs);
      layer.poison();
      layer.run(programs, *transport, {&fwd, &rev}, times_of(i));
      LayerOutputs outputs;
      layer.download(outputs);
      add_checked_run(rep, config, programs, inputs, outputs, fwd, rev);
    }
    rep.measured_bytes_per_rank = layer.measured_bytes_per_rank();
#endif
  }
  rep.times = sum.scaled(1.0 / std::max<std::uint32_t>(config.iterations, 1));
  return rep;
}

double attention_tflops(const RunReport& r) {
  const LayerShape& s = r.plan.shape;
  if (r.times.attention <= 0) return 0;
  const double tokens = static_cast<double>(s.attn_tokens());
  const double per_rank = 4.0 * tokens * tokens * s.head_dim * s.heads_per_rank();
  return per_rank * r.ranks_per_device / r.times.attention / 1e12;
}

}  // namespace ua2a
