#pragma once
/// The GPU table of the planner: dense tensor rates, memory bandwidth and size, and the attention
/// kernel rates public measurements give, each row with its source (docs/plan.md).
#include <string>
#include <vector>

namespace ua2a::plan {

/// Which attention kernel the stage times assume: FlashAttention (bf16/fp16) or SageAttention
/// (8-bit QK), what the reference framework runs on these cards (gpu-facts.md).
enum class AttentionKernel { flash, sage };
std::string to_string(AttentionKernel k);
/// "flash" | "sage"; throws std::invalid_argument naming --attention otherwise.
AttentionKernel parse_attention_kernel(const std::string& name);

struct GpuInfo {
  const char* name;
  const char* description;
  double bf16_flops;          ///< dense bf16/fp16 tensor FLOP/s with FP32 accumulation
  double fp8_flops;           ///< dense FP8 tensor FLOP/s with FP32 accumulation
  double memory_bytes_per_s;  ///< DRAM bandwidth
  double memory_bytes;        ///< DRAM size
  double flash_attn_flops;    ///< achieved attention FLOP/s, FlashAttention class, D = 128, non-causal
  double sage_attn_flops;     ///< achieved attention FLOP/s, SageAttention class (8-bit QK)
  const char* source;         ///< where the rates, bandwidth and size come from
  const char* attention_source;  ///< where the attention rates come from
};

/// The one table: rtx4090, rtx4090d, rtx5090, l40s, h100, h200.
const std::vector<GpuInfo>& gpus();
/// Throws std::invalid_argument naming --gpu and listing the table.
const GpuInfo& find_gpu(const std::string& name);

}  // namespace ua2a::plan
