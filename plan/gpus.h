#pragma once
/// The GPU table of the planner: dense tensor rates, memory bandwidth and size, and the attention
/// kernel rates public measurements give, each row with its source (docs/plan.md).
#include <stdexcept>
#include <string>
#include <vector>

#include "schedule/printable.h"

namespace ua2a::plan {

/// Which attention kernel the stage times assume: FlashAttention (bf16/fp16) or SageAttention
/// (8-bit QK), what the reference framework runs on these cards (gpu-facts.md).
enum class AttentionKernel { flash, sage };
std::string to_string(AttentionKernel k);
/// "flash" | "sage"; throws std::invalid_argument naming --attention otherwise.
AttentionKernel parse_attention_kernel(const std::string& name);

struct GpuInfo {
  std::string name;
  std::string description;
  double bf16_flops;          ///< dense bf16/fp16 tensor FLOP/s with FP32 accumulation
  double fp8_flops;           ///< dense FP8 tensor FLOP/s with FP32 accumulation
  double memory_bytes_per_s;  ///< DRAM bandwidth
  double memory_bytes;        ///< DRAM size
  double flash_attn_flops;    ///< achieved attention FLOP/s, FlashAttention class, D = 128, non-causal
  double sage_attn_flops;     ///< achieved attention FLOP/s, SageAttention class (8-bit QK)
  std::string source;         ///< where the rates, bandwidth and size come from
  std::string attention_source;  ///< where the attention rates come from
};

/// The one table: rtx4090, rtx4090d, rtx5090, l40s, l40, l20, h20, a100-pcie, rtx-pro-6000, h100, h200.
const std::vector<GpuInfo>& gpus();

/// A GPU file that cannot be read: names the file and the field, says what to do.
class GpuFileError : public std::invalid_argument {
 public:
  explicit GpuFileError(const std::string& what) : std::invalid_argument(printable(what)) {}
};
/// Reads a GPU document ({"format": "ulysses-a2a/gpu", "version": 1, "name": ..., rates in
/// TFLOP/s, bandwidth in GB/s, memory in GB; docs/formats.md}). Strict: unknown, missing,
/// mistyped or out-of-range fields are GpuFileError naming `origin`.
GpuInfo read_gpu_file(const std::string& text, const std::string& origin);
/// The GPU document of `g` (reads back to the same row).
std::string gpu_json(const GpuInfo& g, int indent = 1);
/// --gpu NAME or --gpu-file PATH (read here), at most one; neither: `fallback` (a name).
GpuInfo resolve_gpu(const std::string& name, const std::string& file, const std::string& fallback);
/// Throws std::invalid_argument naming --gpu and listing the table.
const GpuInfo& find_gpu(const std::string& name);

}  // namespace ua2a::plan
