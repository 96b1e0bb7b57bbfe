#include "plan/gpus.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>

#include "plan/documents.h"
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
// FP32 (CUDA core) rates, for cards without a kernel figure of their own (same_architecture_rate):
// the RTX 4090 82.6 TFLOPS (Ada whitepaper), L40S 91.6, L40 90.5 (datasheets), L20 59.35 (as
// published for the China market), H100 SXM 66.9 (datasheet), H20 44 (as published for the China
// market, with its 78 SMs).
constexpr double k4090Fp32 = 82.6 * kT;
constexpr double kH100Fp32 = 66.9 * kT;
constexpr double kL40sBf16 = 362.05 * kT;
constexpr double kL40sFp8 = 733.0 * kT;
// H100: FlashAttention 2 319-339, FlashAttention 3 410-470, SageAttention 2 676-900 (gpu-facts.md,
// midpoints); its dense rates from the datasheet.
constexpr double kH100Bf16 = 989.4 * kT;
constexpr double kH100Fp8 = 1978.9 * kT;
constexpr double kH100Flash2 = (319 + 339) / 2.0 * kT;
constexpr double kH100Flash3 = (410 + 470) / 2.0 * kT;
constexpr double kH100Sage = (676 + 900) / 2.0 * kT;
/// An Ada card's rates from the RTX 4090's (same SM): flash from bf16, sage from FP8.
double ada_flash(double bf16, double fp32) { return same_architecture_rate(k4090Flash, k4090Bf16, k4090Fp32, bf16, fp32); }
double ada_sage(double fp8, double fp32) { return same_architecture_rate(k4090Sage, k4090Fp8, k4090Fp32, fp8, fp32); }
constexpr const char* kAdaAttentionSource =
    "no public kernel figure: the RTX 4090's SageAttention README figures moved to this card by its dense and FP32 "
    "rates (same_architecture_rate, docs/plan.md)";
// The RTX PRO 6000 Blackwell: GB202 with 188 SMs at 2617 MHz boost where the RTX 5090 has 170 at
// 2407: 1.2024 x the 5090 per clock-SM. Professional cards run FP32 accumulation at the full
// FP16-accumulate rate (the 5090's 419 TFLOP/s), which the datasheet's 4000 FP4 TOPS with
// sparsity also gives (4000 / 8 = 500 dense bf16).
constexpr double kPro6000Scale = (188.0 / 170.0) * (2617.0 / 2407.0);
}  // namespace

std::string to_string(AttentionKernel k) {
  return k == AttentionKernel::flash ? "flash" : k == AttentionKernel::flash3 ? "flash3" : "sage";
}

AttentionKernel parse_attention_kernel(const std::string& name) {
  if (name == "flash") return AttentionKernel::flash;
  if (name == "flash3") return AttentionKernel::flash3;
  if (name == "sage") return AttentionKernel::sage;
  throw std::invalid_argument("unknown --attention '" + name +
                              "': use flash (FlashAttention 2, bf16), flash3 (FlashAttention 3, bf16, Hopper only) or "
                              "sage (SageAttention, 8-bit QK)");
}

double attention_rate(const GpuInfo& g, AttentionKernel kernel) {
  if (kernel == AttentionKernel::flash) return g.flash_attn_flops;
  if (kernel == AttentionKernel::sage) return g.sage_attn_flops;
  if (g.flash3_attn_flops <= 0)
    throw std::invalid_argument("--attention flash3: the GPU '" + g.name +
                                "' has no FlashAttention 3 rate (FlashAttention 3 runs on Hopper: h100, h200, h20): "
                                "use flash or sage, or give flash3_attention_tflops in a --gpu-file");
  return g.flash3_attn_flops;
}

double same_architecture_rate(double measured_rate, double measured_tensor, double measured_fp32, double tensor,
                              double fp32) {
  // Per FLOP of attention: 1 / measured_rate = 1 / measured_tensor + rest, rest on the CUDA cores.
  const double rest = 1.0 / measured_rate - 1.0 / measured_tensor;
  if (rest <= 0) return measured_rate * tensor / measured_tensor;  // at the dense rate: tensor-bound
  return 1.0 / (1.0 / tensor + rest * measured_fp32 / fp32);
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
      {"l40s", "L40S (Ada, 48 GB)", kL40sBf16, kL40sFp8, 864 * kGB, 48 * kGB, ada_flash(kL40sBf16, 91.6 * kT),
       ada_sage(kL40sFp8, 91.6 * kT),
       "NVIDIA L40S datasheet (BF16 tensor 362.05 TFLOPS, FP8 733, dense; FP32 91.6; 864 GB/s GDDR6; 48 GB)",
       kAdaAttentionSource},
      {"l40", "L40 (Ada, 48 GB)", 181.05 * kT, 362.0 * kT, 864 * kGB, 48 * kGB, ada_flash(181.05 * kT, 90.5 * kT),
       ada_sage(362.0 * kT, 90.5 * kT),
       "NVIDIA L40 datasheet (BF16 tensor 181.05 TFLOPS, FP8 362, dense; FP32 90.5; 864 GB/s GDDR6; 48 GB)",
       kAdaAttentionSource},
      {"l20", "L20 (Ada, 48 GB)", 119.5 * kT, 239.0 * kT, 864 * kGB, 48 * kGB, ada_flash(119.5 * kT, 59.35 * kT),
       ada_sage(239.0 * kT, 59.35 * kT),
       "NVIDIA L20 specifications as published for the China market (FP16/BF16 tensor 119.5 TFLOPS, FP8 239, dense; "
       "59.35 FP32; 864 GB/s GDDR6; 48 GB)",
       kAdaAttentionSource},
      {"h20", "H20 (Hopper, 78 SMs, 96 GB)", 148.0 * kT, 296.0 * kT, 4000 * kGB, 96 * kGB,
       same_architecture_rate(kH100Flash2, kH100Bf16, kH100Fp32, 148.0 * kT, 44.0 * kT),
       same_architecture_rate(kH100Sage, kH100Fp8, kH100Fp32, 296.0 * kT, 44.0 * kT),
       "NVIDIA H20 specifications as published for the China market (FP16/BF16 tensor 148 TFLOPS, FP8 296, dense; "
       "FP32 44; 4.0 TB/s HBM3; 96 GB)",
       "no public kernel figure: the H100's gpu-facts.md figures moved to this card by its dense and FP32 rates "
       "(same_architecture_rate, docs/plan.md: its tensor rate is cut far more than its CUDA cores)",
       same_architecture_rate(kH100Flash3, kH100Bf16, kH100Fp32, 148.0 * kT, 44.0 * kT)},
      {"a100-pcie", "A100 PCIe (Ampere, 80 GB)", 312.0 * kT, 312.0 * kT, 1935 * kGB, 80 * kGB, 312.0 * kT * 0.615,
       312.0 * kT * 0.615,
       "NVIDIA A100 datasheet (PCIe 80 GB: BF16 tensor 312 TFLOPS dense; 1935 GB/s HBM2e; 80 GB). No FP8 tensor "
       "cores: --weights fp8 runs at the bf16 rate (storage only)",
       "FlashAttention-2 paper (Dao 2023): 50-73 % of the A100's peak in the forward pass (midpoint 61.5 %); no "
       "SageAttention figure: the same rate"},
      {"rtx-pro-6000", "RTX PRO 6000 Blackwell (96 GB)", 419.0 * kT * kPro6000Scale, 838.0 * kT * kPro6000Scale,
       1792 * kGB, 96 * kGB, (173 + 215) / 2.0 * kT * kPro6000Scale, (583 + 643) / 2.0 * kT * kPro6000Scale,
       "NVIDIA RTX PRO 6000 Blackwell datasheet (4000 FP4 TOPS with sparsity; 96 GB GDDR7, 1792 GB/s): the RTX "
       "5090's FP16-accumulate tensor rate (419 TFLOPS, RTX Blackwell whitepaper) x 188/170 SMs x 2617/2407 MHz",
       "the RTX 5090's SageAttention README figures scaled by SMs and clock (an assumption)"},
      {"h100", "H100 SXM5 (Hopper, 80 GB)", kH100Bf16, kH100Fp8, 3350 * kGB, 80 * kGB, kH100Flash2, kH100Sage,
       "NVIDIA H100 Tensor Core GPU datasheet (SXM: BF16 989.4 TFLOPS, FP8 1978.9, dense; 3.35 TB/s HBM3; 80 GB)",
       "gpu-facts.md: FlashAttention 2 319-339 TOPS, FlashAttention 3 fp16 410-470, SageAttention 2 8-bit 676-900 "
       "(midpoints)",
       kH100Flash3},
      {"h200", "H200 SXM (Hopper, 141 GB)", kH100Bf16, kH100Fp8, 4800 * kGB, 141 * kGB, kH100Flash2, kH100Sage,
       "NVIDIA H200 datasheet (SXM: BF16 989.4 TFLOPS, FP8 1978.9, dense; 4.8 TB/s HBM3e; 141 GB)",
       "the H100's figures (same SMs and clocks; attention is compute-bound at these lengths): an assumption",
       kH100Flash3},
  };
  return table;
}

const GpuInfo& find_gpu(const std::string& name) {
  if (const GpuInfo* g = find_named(gpus(), name)) return *g;
  throw std::invalid_argument("unknown --gpu '" + name + "': use one of " + joined_names(gpus()) +
                              ", or describe yours in a --gpu-file (docs/formats.md)");
}

namespace {

using json = nlohmann::json;
constexpr const char* kGpuFormat = "ulysses-a2a/gpu";
// (key, unit multiplier, lowest, highest): rates in TFLOP/s, bandwidth in GB/s, memory in GB.
struct NumberField {
  const char* key;
  double GpuInfo::*member;
  double unit, lo, hi;
};
const NumberField kNumbers[] = {
    {"bf16_tflops", &GpuInfo::bf16_flops, kT, 0.01, 1e5},
    {"fp8_tflops", &GpuInfo::fp8_flops, kT, 0.01, 1e5},
    {"memory_gbps", &GpuInfo::memory_bytes_per_s, kGB, 1, 1e6},
    {"memory_gb", &GpuInfo::memory_bytes, kGB, 0.5, 1e5},
    {"flash_attention_tflops", &GpuInfo::flash_attn_flops, kT, 0.01, 1e5},
    {"sage_attention_tflops", &GpuInfo::sage_attn_flops, kT, 0.01, 1e5},
};
const std::set<std::string> kGpuKeys = {"format", "version", "name", "description", "source", "attention_source",
                                        "bf16_tflops", "fp8_tflops", "memory_gbps", "memory_gb",
                                        "flash_attention_tflops", "sage_attention_tflops", "flash3_attention_tflops"};
/// Optional: FlashAttention 3's rate (Hopper cards); absent: the card cannot run it.
const NumberField kFlash3 = {"flash3_attention_tflops", &GpuInfo::flash3_attn_flops, kT, 0.01, 1e5};

[[noreturn]] void gpu_fail(const std::string& origin, const std::string& what) {
  throw GpuFileError((origin.empty() ? std::string("GPU file") : origin) + ": " + what);
}

std::string gpu_text(const json& doc, const char* key, const std::string& origin, bool required) {
  if (!doc.contains(key)) {
    if (required) gpu_fail(origin, std::string("field '") + key + "' is missing");
    return "";
  }
  if (!doc[key].is_string()) gpu_fail(origin, std::string("field '") + key + "' must be a string");
  return doc[key].get<std::string>();
}

}  // namespace

/// A bound as a person writes it: 0.01, 1e+05 (std::to_string printed 0.010000, 100000.000000).
static std::string readable(double x) {
  std::ostringstream s;
  s << x;
  return s.str();
}

/// Field `f` of `doc` into `g`: a number in its range, or GpuFileError naming the field.
static void read_number(const nlohmann::json& doc, const NumberField& f, const std::string& origin, GpuInfo& g) {
  if (!doc.contains(f.key)) gpu_fail(origin, std::string("field '") + f.key + "' is missing");
  if (!doc[f.key].is_number()) gpu_fail(origin, std::string("field '") + f.key + "' must be a number");
  const double v = doc[f.key].get<double>();
  if (!std::isfinite(v) || v < f.lo || v > f.hi)
    gpu_fail(origin, std::string("field '") + f.key + "' is " + doc[f.key].dump() + ", outside " + readable(f.lo) +
                         ".." + readable(f.hi) + ": check its unit (docs/formats.md)");
  g.*f.member = v * f.unit;
}

GpuInfo read_gpu_file(const std::string& text, const std::string& origin) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    gpu_fail(origin, std::string("not JSON: ") + e.what());
  }
  if (!doc.is_object()) gpu_fail(origin, "a GPU file is a JSON object (docs/formats.md)");
  if (const std::string why = unknown_field(doc, kGpuKeys); !why.empty()) gpu_fail(origin, why);
  if (gpu_text(doc, "format", origin, true) != kGpuFormat)
    gpu_fail(origin, "format is " + doc["format"].dump() + ", not '" + kGpuFormat + "'");
  if (!doc.contains("version") || !doc["version"].is_number_integer() || doc["version"].get<std::int64_t>() != 1)
    gpu_fail(origin, "version must be 1 (this build reads version 1)");
  GpuInfo g{};
  g.name = gpu_text(doc, "name", origin, true);
  if (g.name.empty() || g.name.size() > 64) gpu_fail(origin, "name must have 1 to 64 characters");
  g.description = gpu_text(doc, "description", origin, false);
  if (g.description.empty()) g.description = g.name;
  g.source = gpu_text(doc, "source", origin, false);
  if (g.source.empty()) g.source = origin.empty() ? "a GPU file" : origin;
  g.attention_source = gpu_text(doc, "attention_source", origin, false);
  if (g.attention_source.empty()) g.attention_source = g.source;
  for (const NumberField& f : kNumbers) read_number(doc, f, origin, g);
  if (doc.contains(kFlash3.key)) read_number(doc, kFlash3, origin, g);
  return g;
}

std::string gpu_json(const GpuInfo& g, int indent) {
  json doc = {{"format", kGpuFormat}, {"version", 1}, {"name", g.name}, {"description", g.description},
              {"source", g.source}, {"attention_source", g.attention_source}};
  for (const NumberField& f : kNumbers) doc[f.key] = g.*f.member / f.unit;
  if (g.flash3_attn_flops > 0) doc[kFlash3.key] = g.flash3_attn_flops / kFlash3.unit;
  return doc.dump(indent, ' ', false, json::error_handler_t::replace) + "\n";
}

GpuInfo resolve_gpu(const std::string& name, const std::string& file, const std::string& fallback) {
  if (!name.empty() && !file.empty()) throw std::invalid_argument("--gpu and --gpu-file both give the GPU: use one");
  if (file.empty()) return find_gpu(name.empty() ? fallback : name);
  return read_gpu_file(read_option_file("--gpu-file", file), file);
}

}  // namespace ua2a::plan
