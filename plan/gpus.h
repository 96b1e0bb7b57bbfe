#pragma once
/// The GPU table of the planner: dense tensor rates, memory bandwidth and size, and the attention
/// kernel rates public measurements give, each row with its source (docs/plan.md).
#include <stdexcept>
#include <string>
#include <vector>

#include "schedule/printable.h"

namespace ua2a::plan {

/// Which attention kernel the stage times assume: FlashAttention 2 (bf16/fp16, every card),
/// FlashAttention 3 (bf16/fp16, Hopper only) or SageAttention (8-bit QK), what the reference
/// framework runs on these cards (gpu-facts.md).
enum class AttentionKernel { flash, flash3, sage };
std::string to_string(AttentionKernel k);
/// "flash" | "flash3" | "sage"; throws std::invalid_argument naming --attention otherwise.
AttentionKernel parse_attention_kernel(const std::string& name);

struct GpuInfo {
  std::string name;
  std::string description;
  double bf16_flops;          ///< dense bf16/fp16 tensor FLOP/s with FP32 accumulation
  double fp8_flops;           ///< dense FP8 tensor FLOP/s with FP32 accumulation
  double memory_bytes_per_s;  ///< DRAM bandwidth
  double memory_bytes;        ///< DRAM size
  double flash_attn_flops;    ///< achieved attention FLOP/s, FlashAttention 2, D = 128, non-causal
  double sage_attn_flops;     ///< achieved attention FLOP/s, SageAttention class (8-bit QK)
  std::string source;         ///< where the rates, bandwidth and size come from
  std::string attention_source;  ///< where the attention rates come from
  double flash3_attn_flops = 0;  ///< FlashAttention 3 (Hopper only); 0: the card cannot run it
};

/// The achieved attention rate of `kernel` on `g`; throws std::invalid_argument naming --attention
/// when the card has no rate for it (FlashAttention 3 off Hopper).
double attention_rate(const GpuInfo& g, AttentionKernel kernel);

/// A kernel's rate on a card of the same SM architecture as a card it was measured on: its time
/// on the measured card split into a tensor part (at that card's dense rate) and the rest (softmax,
/// rescaling: at the attention rate's remainder), the first scaled by the dense tensor rates, the
/// second by the FP32 (CUDA core) rates. On a card whose tensor rate is cut more than its CUDA
/// cores (the H20), the kernel reaches a larger fraction of the dense rate; on a card cut evenly it
/// is the measured fraction.
double same_architecture_rate(double measured_rate, double measured_tensor, double measured_fp32, double tensor,
                              double fp32);

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
