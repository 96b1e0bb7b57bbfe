#include "backend/runner.h"

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
  const LayerInputs inputs = make_inputs(config.shape, config.seed);
  DeliveryLedger fwd(config.shape.ranks, programs.forward.payload), rev(config.shape.ranks, programs.reverse.payload);
  LayerOutputs outputs;
  const std::uint32_t runs = config.warmup + std::max<std::uint32_t>(config.iterations, 1);
  StageTimes sum;
  auto each_run = [&](auto&& run_once) {
    for (std::uint32_t i = 0; i < runs; ++i) {
      const LayerLedgers ledgers = i == 0 ? LayerLedgers{&fwd, &rev} : LayerLedgers{};
      run_once(ledgers, i >= config.warmup ? &sum : nullptr);
    }
  };
  if (info.host_memory) {
    CpuLayer layer(rep.plan);
    rep.device = "host";
    rep.workspace_bytes_per_rank = rep.plan.workspace_bytes();
    each_run([&](LayerLedgers l, StageTimes* t) { layer.run(inputs, programs, *transport, l, outputs, t); });
  } else {
#if UA2A_HAVE_CUDA
    GpuLayer layer(rep.plan, rep.local_ranks);
    rep.device = layer.device_description();
    rep.workspace_bytes_per_rank = layer.workspace_bytes_per_rank();
    layer.upload(inputs);
    each_run([&](LayerLedgers l, StageTimes* t) { layer.run(programs, *transport, l, t); });
    layer.download(outputs);
    rep.measured_bytes_per_rank = layer.measured_bytes_per_rank();
#endif
  }
  rep.times = sum.scaled(1.0 / std::max<std::uint32_t>(config.iterations, 1));
  if (!config.check) return rep;
  rep.checked = true;
  rep.tolerance = tolerance_for(config.shape);
  rep.errors = compare_with_reference(config.shape, outputs, reference_layer(config.shape, inputs), rep.tolerance);
  rep.forward_ledger = fwd.report();
  rep.reverse_ledger = rev.report();
  rep.forward_ledger_ok = local_ledger_ok(rep.forward_ledger, programs.forward, rep.local_ranks.size());
  rep.reverse_ledger_ok = local_ledger_ok(rep.reverse_ledger, programs.reverse, rep.local_ranks.size());
  return rep;
}

}  // namespace ua2a
