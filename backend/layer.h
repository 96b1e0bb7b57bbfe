#pragma once
/// One merged-QKV Ulysses attention layer over every rank: pack, exchange, unpack, attention,
/// reverse pack, reverse exchange, reverse unpack (layout.h has the byte layouts).
#include <cstdint>
#include <string>
#include <vector>

#include "backend/attention.h"
#include "backend/layout.h"
#include "backend/reference.h"
#include "backend/transport.h"
#include "schedule/lower.h"

namespace ua2a {

/// The two exchanges of a layer: forward q|k|v and reverse output, same algo and discipline.
struct LayerPrograms {
  ProgramSet forward;
  ProgramSet reverse;
};

/// Generates and lowers both exchanges for `shape` (ulysses_payload with exchange qkv and out).
LayerPrograms make_layer_programs(const LayerShape& shape, const std::string& algo, Discipline discipline,
                                  std::uint32_t chunks = 1, bool merged = true);
/// The attention of one rank of the layer over the attention layout [N*s + L, h, D]: scale
/// 1/sqrt(D), and the padding image tokens [S, N*s) masked as keys. The CPU and GPU layers both
/// take it from here.
AttentionParams layer_attention(const LayerShape& shape, const void* q, const void* k, const void* v, void* out);
/// Throws std::invalid_argument unless both program sets have the plan's ranks and block bytes.
void check_fit(const LayerPlan& plan, const LayerPrograms& programs);

/// Seconds per stage of one layer call over all ranks (host wall time, or GPU time); += sums calls.
struct StageTimes {
  double pack = 0, exchange = 0, unpack = 0, attention = 0, reverse_pack = 0, reverse_exchange = 0,
         reverse_unpack = 0;
  double total() const {
    return pack + exchange + unpack + attention + reverse_pack + reverse_exchange + reverse_unpack;
  }
  StageTimes& operator+=(const StageTimes& o);
  StageTimes scaled(double f) const;
};

/// Where the exchanges record their arrivals (either may be null).
struct LayerLedgers {
  DeliveryLedger* forward = nullptr;
  DeliveryLedger* reverse = nullptr;
};

/// The layer on host memory (the CPU kernels of cpu_kernels.h) with a host transport. The
/// workspace (layout.h regions A, B, O per rank) is allocated once and reused by every run.
class CpuLayer {
 public:
  explicit CpuLayer(const LayerPlan& plan);
  /// Runs every rank; fills `outputs` and adds this run's stage times to `times` (if given).
  void run(const LayerInputs& inputs, const LayerPrograms& programs, Transport& transport, LayerLedgers ledgers,
           LayerOutputs& outputs, StageTimes* times = nullptr);
  const LayerPlan& plan() const { return plan_; }
  /// Fills every rank's workspace with 0xFF bytes (NaN in bf16 and fp16); run() also starts each
  /// output as NaN, so an element a run fails to write fails the check.
  void poison();

 private:
  std::byte* region_a(Rank r) { return workspace_[r].data(); }
  std::byte* region_b(Rank r) { return region_a(r) + plan_.region_a_bytes; }
  std::byte* region_o(Rank r) { return region_b(r) + plan_.region_b_bytes; }
  ExchangeBuffers buffers(bool forward);

  LayerPlan plan_;
  std::vector<std::vector<std::byte>> workspace_;
};

}  // namespace ua2a
