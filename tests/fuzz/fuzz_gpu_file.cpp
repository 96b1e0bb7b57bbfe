// libFuzzer target for the GPU document reader: any input either reads (and then writes back as
// a document that reads again to the same rates, to the last bits of a unit conversion) or throws
// GpuFileError. Anything else (a crash, another exception, a sanitizer report) is a bug.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "plan/gpus.h"

using namespace ua2a;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  plan::GpuInfo g;
  try {
    g = plan::read_gpu_file(text, "fuzz.json");
  } catch (const plan::GpuFileError&) {
    return 0;
  }
  const plan::GpuInfo back = plan::read_gpu_file(plan::gpu_json(g), "fuzz.json");
  for (auto field : {&plan::GpuInfo::bf16_flops, &plan::GpuInfo::fp8_flops, &plan::GpuInfo::memory_bytes_per_s,
                     &plan::GpuInfo::memory_bytes, &plan::GpuInfo::flash_attn_flops, &plan::GpuInfo::sage_attn_flops})
    if (std::abs(back.*field / (g.*field) - 1) > 1e-12) __builtin_trap();
  if (back.flash3_attn_flops != g.flash3_attn_flops && std::abs(back.flash3_attn_flops / g.flash3_attn_flops - 1) > 1e-12)
    __builtin_trap();
  if (back.name != g.name) __builtin_trap();
  return 0;
}
