// GPUs as data: the new rows against their datasheets' figures, and the GPU document.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "plan/gpus.h"

namespace ua2a::plan {
namespace {

std::string gpu_error(const std::string& text) {
  try {
    read_gpu_file(text, "g.json");
  } catch (const GpuFileError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Gpus, NewRowsCarryTheirDatasheetFigures) {
  // Dense bf16 / FP8 TFLOP/s, GB/s and GB as the datasheets give them.
  struct Row {
    const char* name;
    double bf16, fp8, gbps, gb;
  };
  for (const Row& r : {Row{"l40", 181.05, 362, 864, 48}, Row{"l20", 119.5, 239, 864, 48}, Row{"h20", 148, 296, 4000, 96},
                       Row{"a100-pcie", 312, 312, 1935, 80}}) {
    const GpuInfo& g = find_gpu(r.name);
    EXPECT_NEAR(g.bf16_flops, r.bf16 * 1e12, 1e6) << r.name;
    EXPECT_NEAR(g.fp8_flops, r.fp8 * 1e12, 1e6) << r.name;
    EXPECT_NEAR(g.memory_bytes_per_s, r.gbps * 1e9, 1) << r.name;
    EXPECT_NEAR(g.memory_bytes, r.gb * 1e9, 1) << r.name;
    EXPECT_LT(g.flash_attn_flops, g.bf16_flops) << r.name;  // no kernel beats the dense rate it runs on
  }
  // RTX PRO 6000 Blackwell: 4000 FP4 TOPS with sparsity is 500 dense bf16; the derivation from
  // the 5090 (419 x 188/170 x 2617/2407) lands within 1 %.
  const GpuInfo& pro = find_gpu("rtx-pro-6000");
  EXPECT_NEAR(pro.bf16_flops / 500e12, 1.0, 0.01);
  EXPECT_NEAR(pro.fp8_flops / 1000e12, 1.0, 0.01);
  EXPECT_DOUBLE_EQ(pro.memory_bytes, 96e9);
}

TEST(Gpus, GpuDocumentsReadBackAndBadOnesSayWhy) {
  std::ifstream in(std::string(UA2A_SOURCE_DIR) + "/tests/plan/data/my-gpu.json");
  std::ostringstream s;
  s << in.rdbuf();
  const std::string good = s.str();
  const GpuInfo g = read_gpu_file(good, "my-gpu.json");
  EXPECT_EQ(g.name, "rtx6000ada");
  EXPECT_DOUBLE_EQ(g.bf16_flops, 364.2e12);
  EXPECT_DOUBLE_EQ(g.memory_bytes, 48e9);
  EXPECT_EQ(gpu_json(read_gpu_file(gpu_json(g), "back")), gpu_json(g));
  for (const GpuInfo& row : gpus()) EXPECT_EQ(gpu_json(read_gpu_file(gpu_json(row), "row")), gpu_json(row)) << row.name;
  auto with = [&](const std::string& from, const std::string& to) {
    std::string t = good;
    return t.replace(t.find(from), from.size(), to);
  };
  EXPECT_NE(gpu_error("nope").find("g.json: not JSON"), std::string::npos);
  EXPECT_NE(gpu_error(with("\"memory_gb\"", "\"memory_gib\"")).find("unknown field 'memory_gib'"), std::string::npos);
  EXPECT_NE(gpu_error(with("\"memory_gb\": 48", "\"memory_gb\": 48e9")).find("check its unit"), std::string::npos);
  EXPECT_NE(gpu_error(with("\"bf16_tflops\": 364.2,", "")).find("'bf16_tflops' is missing"), std::string::npos);
  EXPECT_NE(gpu_error(with("\"bf16_tflops\": 364.2", "\"bf16_tflops\": \"fast\"")).find("must be a number"),
            std::string::npos);
  EXPECT_NE(gpu_error(with("\"version\": 1", "\"version\": 3")).find("version must be 1"), std::string::npos);
  EXPECT_NE(gpu_error(with("\"name\": \"rtx6000ada\"", "\"name\": \"\"")).find("name must have"), std::string::npos);
  // FlashAttention 3's rate is optional; given, it reads back; out of range, it says why.
  const GpuInfo h3 = read_gpu_file(with("\"memory_gb\": 48", "\"memory_gb\": 48, \"flash3_attention_tflops\": 300"), "h3");
  EXPECT_DOUBLE_EQ(h3.flash3_attn_flops, 300e12);
  EXPECT_DOUBLE_EQ(attention_rate(h3, AttentionKernel::flash3), 300e12);
  EXPECT_EQ(g.flash3_attn_flops, 0);
  EXPECT_NE(gpu_error(with("\"memory_gb\": 48", "\"memory_gb\": 48, \"flash3_attention_tflops\": -1"))
                .find("'flash3_attention_tflops' is -1"),
            std::string::npos);
  EXPECT_THROW(resolve_gpu("rtx4090", "g.json", "rtx4090"), std::invalid_argument);
  EXPECT_EQ(resolve_gpu("", "", "rtx4090").name, "rtx4090");
}

TEST(Gpus, FlashAttentionThreeIsHopperOnlyAndTwoIsTheDefaultFlash) {
  // gpu-facts.md: H100 FlashAttention 2 319-339 TOPS, FlashAttention 3 410-470 (midpoints).
  EXPECT_DOUBLE_EQ(attention_rate(find_gpu("h100"), AttentionKernel::flash), 329e12);
  EXPECT_DOUBLE_EQ(attention_rate(find_gpu("h100"), AttentionKernel::flash3), 440e12);
  EXPECT_GT(attention_rate(find_gpu("h20"), AttentionKernel::flash3), attention_rate(find_gpu("h20"), AttentionKernel::flash));
  try {
    attention_rate(find_gpu("rtx4090"), AttentionKernel::flash3);
    ADD_FAILURE() << "flash3 on an Ada card";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--attention flash3"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("rtx4090"), std::string::npos);
  }
  EXPECT_EQ(parse_attention_kernel("flash3"), AttentionKernel::flash3);
  EXPECT_EQ(to_string(AttentionKernel::flash3), "flash3");
}

TEST(Gpus, AKernelMovesToACardOfItsArchitectureByItsTensorAndCudaCoreRates) {
  // Measured at 100 on a card of dense rate 200: per unit of work 1/100 = 1/200 + 1/200, half of
  // the time on the tensor cores, half on the CUDA cores.
  // The same card: the measured rate.
  EXPECT_NEAR(same_architecture_rate(100, 200, 50, 200, 50), 100, 1e-9);
  // Both rates halved (a smaller card of the same design): the rate halves.
  EXPECT_NEAR(same_architecture_rate(100, 200, 50, 100, 25), 50, 1e-9);
  // Only the tensor rate cut 4x (an export card): 1 / (1/50 + 1/200) = 40, not 100 / 4 = 25.
  EXPECT_NEAR(same_architecture_rate(100, 200, 50, 50, 50), 40, 1e-9);
  // A kernel already at the dense rate scales with the tensor rate alone.
  EXPECT_NEAR(same_architecture_rate(200, 200, 50, 100, 10), 100, 1e-9);
  // The H20 (148 dense, 44 FP32) from the H100's FlashAttention 2 (329 of 989.4, FP32 66.9):
  // 1 / (1/148 + (1/329 - 1/989.4) x 66.9 / 44) = 101.6 TFLOP/s.
  EXPECT_NEAR(find_gpu("h20").flash_attn_flops / 1e12, 101.6, 0.1);
}

}  // namespace
}  // namespace ua2a::plan
