#include "plan/gpus.h"

#include <stdexcept>

#include "schedule/named.h"

namespace ua2a::plan {

namespace {
constexpr double kT = 1e12;   // tera
constexpr double kGB = 1e9;   // 10^9 bytes
// The RTX 4090 D has 114 SMs where the 4090 has 128, at the same 2520 MHz boost (NVIDIA's
// product page: 14592 against 16384 CUDA cores): its tensor and attention rates scale by 114/128.
constexpr double k4090dScale = 114.0 / 128.0;
// Midpoints of the SageAttention README ranges (gpu-facts.md, head dim 128, non-causal).
constexpr double k4090Flash = (145 + 164) / 2.0 * kT;  // FlashAttention 2
constexpr double k4090Sage = (259 + 323) / 2.0 * kT;   // SageAttention 1 class: LightX2V's kernel on sm_89
constexpr double k4090Bf16 = 165.2 * kT;
constexpr double k4090Fp8 = 330.3 * kT;
// L40S: no public attention-kernel figure found; it is given the RTX 4090's achieved fraction of
// the dense rate (same Ada SM): flash 154.5 / 165.2 of bf16, sage 291 / 330.3 of FP8. An assumption.
constexpr double kL40sBf16 = 362.05 * kT;
constexpr double kL40sFp8 = 733.0 * kT;
}  // namespace

std::string to_string(AttentionKernel k) { return k == AttentionKernel::flash ? "flash" : "sage"; }

AttentionKernel parse_attention_kernel(const std::string& name) {
  if (name == "flash") return AttentionKernel::flash;
  if (name == "sage") return AttentionKernel::sage;
  throw std::invalid_argument("unknown --attention '" + name + "': use flash (FlashAttention, bf16) or sage (SageAttention, 8-bit QK)");
}

const std::vector<GpuInfo>& gpus() {
  static const std::vector<GpuInfo> table = {
      {"rtx4090", "GeForce RTX 4090 (Ada, 24 GB)", k4090Bf16, k4090Fp8, 1008 * kGB, 24 * kGB, k4090Flash, k4090Sage,
       "NVIDIA Ada Lovelace architecture whitepaper, appendix (RTX 4090: FP16/BF16 tensor 165.2 TFLOPS and FP8 330.3 "
       "with FP32 accumulate, dense; 1008 GB/s GDDR6X; 24 GB)",
       "SageAttention README (gpu-facts.md): FlashAttention 2 145-164 TOPS, SageAttention 1 259-323 (midpoints)"},
      {"rtx4090d", "GeForce RTX 4090 D (Ada, 114 SMs, 24 GB)", k4090Bf16 * k4090dScale, k4090Fp8 * k4090dScale, 1008 * kGB,
       24 * kGB, k4090Flash * k4090dScale, k4090Sage * k4090dScale,
       "RTX 4090 figures scaled by 114/128 SMs (NVIDIA: 14592 CUDA cores, 2520 MHz boost, as the 4090); memory as the 4090",
       "RTX 4090 SageAttention README figures scaled by 114/128 SMs"},
      {"rtx5090", "GeForce RTX 5090 (Blackwell, 32 GB)", 209.5 * kT, 419.0 * kT, 1792 * kGB, 32 * kGB, (173 + 215) / 2.0 * kT,
       (583 + 643) / 2.0 * kT,
       "NVIDIA RTX Blackwell GPU architecture whitepaper (RTX 5090: FP16/BF16 tensor 209.5 TFLOPS and FP8 419 with FP32 "
       "accumulate, dense; 1792 GB/s GDDR7; 32 GB)",
       "SageAttention README (gpu-facts.md): FlashAttention 2 173-215 TOPS, SageAttention 2++ 583-643 (LightX2V runs "
       "sage_attn3 there, not measured in the source)"},
      {"l40s", "L40S (Ada, 48 GB)", kL40sBf16, kL40sFp8, 864 * kGB, 48 * kGB, kL40sBf16 * (k4090Flash / k4090Bf16),
       kL40sFp8 * (k4090Sage / k4090Fp8),
       "NVIDIA L40S datasheet (BF16 tensor 362.05 TFLOPS, FP8 733, dense; 864 GB/s GDDR6; 48 GB)",
       "no public kernel figure: the RTX 4090's achieved fraction of the dense rate (an assumption)"},
      {"h100", "H100 SXM5 (Hopper, 80 GB)", 989.4 * kT, 1978.9 * kT, 3350 * kGB, 80 * kGB, (410 + 470) / 2.0 * kT,
       (676 + 900) / 2.0 * kT,
       "NVIDIA H100 Tensor Core GPU datasheet (SXM: BF16 989.4 TFLOPS, FP8 1978.9, dense; 3.35 TB/s HBM3; 80 GB)",
       "gpu-facts.md: FlashAttention 3 fp16 410-470 TOPS, SageAttention 2 8-bit 676-900 (midpoints)"},
      {"h200", "H200 SXM (Hopper, 141 GB)", 989.4 * kT, 1978.9 * kT, 4800 * kGB, 141 * kGB, (410 + 470) / 2.0 * kT,
       (676 + 900) / 2.0 * kT,
       "NVIDIA H200 datasheet (SXM: BF16 989.4 TFLOPS, FP8 1978.9, dense; 4.8 TB/s HBM3e; 141 GB)",
       "the H100's figures (same SMs and clocks; attention is compute-bound at these lengths): an assumption"},
  };
  return table;
}

const GpuInfo& find_gpu(const std::string& name) {
  if (const GpuInfo* g = find_named(gpus(), name)) return *g;
  throw std::invalid_argument("unknown --gpu '" + name + "': use one of " + joined_names(gpus()));
}

}  // namespace ua2a::plan
