#pragma once
/// Measurements behind `ulysses-a2a bench` and bench/backend: exchanges timed nccl-tests style
/// (with the data checked), and on a GPU the kernels against a plain device copy.
#include <cstdint>
#include <string>

#include "backend/layout.h"
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
/// plain device-to-device copy measured in the same run.
struct KernelBench {
  std::string device;
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

/// Attention on one GPU: the flash kernel (attention_forward) in TFLOP/s = 4 S^2 D h / time
/// (non-causal), against the simple kernel on the same inputs where that is affordable.
struct AttentionBench {
  std::string device;
  std::uint64_t seq = 0;
  std::uint64_t heads = 0;
  std::uint64_t head_dim = 0;
  double flash_seconds = 0;
  double flash_tflops = 0;
  double simple_tflops = 0;     ///< 0 when not measured (long sequences: the simple kernel is slow)
  double max_abs_vs_simple = 0; ///< largest |flash - simple| over the output, when measured
};

/// Measures AttentionBench at (seq, heads, head_dim) in `elem` with `iterations` timed launches.
/// Throws TransportError without a GPU or without CUDA.
AttentionBench bench_attention(std::uint64_t seq, std::uint64_t heads, std::uint64_t head_dim, ElemType elem,
                               std::uint32_t iterations, bool with_simple);

/// Measures KernelBench for `shape` with `programs` (the forward exchange) on GPU 0. Throws
/// TransportError without a GPU or without CUDA.
KernelBench bench_kernels(const LayerShape& shape, const ProgramSet& forward, std::uint32_t iterations);

}  // namespace ua2a
