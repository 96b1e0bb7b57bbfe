#pragma once
/// Measurements behind `ulysses-a2a bench` and bench/backend: exchanges timed nccl-tests style
/// (with the data checked), and on a GPU the kernels against a plain device copy.
#include <cstdint>
#include <string>
#include <vector>

#include "backend/layout.h"
#include "backend/output_error.h"
#include "backend/transport.h"
#include "schedule/program.h"

namespace ua2a {

/// One nccl-tests line for an all-to-all. size = bytes each rank sends including its own block
/// (N * block bytes, as nccl-tests counts alltoall); algbw = size / time;
/// busbw = algbw * (N - 1) / N (the bytes that cross links).
struct ExchangeTiming {
  std::uint64_t size_bytes = 0;
  double seconds = 0;  ///< mean per exchange
  double algbw_gbps = 0;
  double busbw_gbps = 0;
  std::uint64_t wrong = 0;  ///< words that did not arrive where they should (must be 0)
};

/// Runs `programs` warmup + iterations times on `transport` over buffers whose words encode
/// (source, destination, index), times the iterations and checks every received word.
/// Host buffers for host transports, device buffers (rank r on GPU r % count) for GPU ones.
ExchangeTiming time_exchange(const std::string& transport, const ProgramSet& programs, std::uint32_t warmup,
                             std::uint32_t iterations, const TransportOptions& options = {});

/// The kernels on one GPU at a layer shape, each as GB/s of bytes read plus written, against a
/// plain device-to-device copy measured in the same run; and each kernel's output of one rank
/// compared byte for byte with its CPU version (pack_cpu, unpack_cpu) on the same inputs, written
/// into poisoned (0xFF) buffers first.
struct KernelBench {
  std::string device;
  /// Bytes of the packed blocks (forward, one rank) that differ from pack_cpu's; elements of the
  /// unpacked attention tensors (image rows) that differ from unpack_cpu's. All must be 0.
  std::uint64_t pack_bytes_differing = 0, pack_fp8_bytes_differing = 0;
  std::uint64_t unpack_elements_differing = 0, unpack_fp8_elements_differing = 0;
  std::uint64_t pack_bytes_compared = 0, unpack_elements_compared = 0;  ///< with the bf16 wire
  bool matches_cpu() const {
    return pack_bytes_compared > 0 && unpack_elements_compared > 0 && pack_bytes_differing == 0 &&
           pack_fp8_bytes_differing == 0 && unpack_elements_differing == 0 && unpack_fp8_elements_differing == 0;
  }
  double copy_gbps = 0;        ///< cudaMemcpyAsync D2D of the q, k, v bytes: 2 x bytes / time
  double pack_gbps = 0;        ///< pack without FP8
  double pack_fp8_gbps = 0;    ///< pack with fused e4m3 quantisation
  double unpack_gbps = 0;
  double unpack_fp8_gbps = 0;  ///< unpack with dequantisation
  double pack_fp8_seconds = 0;
  double unpack_fp8_seconds = 0;
  /// cuda-peer exchange of the forward programs, all ranks on GPU 0, against one plain copy of
  /// the same bytes (N * N blocks).
  double exchange_seconds = 0;
  double plain_copy_seconds = 0;
};

/// One configuration of the flash kernel (its key tile) at one shape: timed, and judged against
/// the simple kernel over the whole output and against float64 on sampled query rows.
struct FlashTile {
  std::uint32_t block_n = 0;     ///< keys per tile
  bool device_choice = false;    ///< the tile attention_forward picks on this GPU
  double seconds = 0;            ///< mean per launch
  double tflops = 0;
  OutputError vs_simple;         ///< every output element
  OutputError vs_f64;            ///< the sampled rows, every head
  int blocks_per_sm = 0;         ///< cudaOccupancyMaxActiveBlocksPerMultiprocessor
  int documented_blocks_per_sm = 0;  ///< docs/backend.md's figure for this GPU class; 0: none
  bool ok() const { return within(vs_simple, kAttentionBound) && within(vs_f64, kAttentionBound); }
};

/// Attention on one GPU: the flash kernel (attention_forward) in TFLOP/s = 4 S^2 D h / time
/// (non-causal) with each key tile this head dim has, every output poisoned (0xFF) before it is
/// written and judged (FlashTile), and the simple kernel judged against float64 itself.
struct AttentionBench {
  std::string device;
  int compute_capability = 0;   ///< major * 10 + minor (90: H100, H200)
  std::uint64_t seq = 0;
  std::uint64_t heads = 0;
  std::uint64_t head_dim = 0;
  double flash_seconds = 0;     ///< the device's own tile
  double flash_tflops = 0;
  double simple_seconds = 0;    ///< one launch
  double simple_tflops = 0;
  OutputError simple_vs_f64;    ///< the simple kernel on the sampled rows
  std::vector<std::uint64_t> sampled_rows;  ///< the float64 rows: first, tile edges, middle, the last tile
  std::vector<FlashTile> tiles;
  ErrorBound bound = kAttentionBound;
  bool ok() const;
};

/// The flash kernel's resident blocks per SM that docs/backend.md ("The flash kernel") derives
/// from ptxas's registers and the shared memory, for compute capability `cc` (89, 90); 0 where
/// it states none. The bench prints the measured figure beside it and the summary compares them.
int documented_flash_blocks_per_sm(int cc, std::uint64_t head_dim, std::uint32_t block_n);

/// The query rows the float64 oracle computes at sequence length `seq`: the first rows, both
/// sides of the 64-row edges, the middle, and the last query tile of 64 rows (partial or not).
std::vector<std::uint64_t> sampled_attention_rows(std::uint64_t seq);

/// Measures and judges AttentionBench at (seq, heads, head_dim) in `elem` with `iterations` timed
/// launches per flash tile. Throws TransportError without a GPU or without CUDA.
AttentionBench bench_attention(std::uint64_t seq, std::uint64_t heads, std::uint64_t head_dim, ElemType elem,
                               std::uint32_t iterations);

/// Measures KernelBench for `shape` with `programs` (the forward exchange) on GPU 0. Throws
/// TransportError without a GPU or without CUDA.
KernelBench bench_kernels(const LayerShape& shape, const ProgramSet& forward, std::uint32_t iterations);

}  // namespace ua2a
