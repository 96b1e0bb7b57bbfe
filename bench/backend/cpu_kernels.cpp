// bench_backend_cpu: the CPU versions of pack, FP8 pack, unpack, FP8 unpack and attention at a
// layer shape, in GB/s of bytes read + written (as the GPU figures are counted), plus the threads
// transport's all-to-all in nccl-tests form. Every figure is checked: the unpacked tensors must
// reproduce the inputs (exactly in bf16, within the e4m3 bound with FP8), the exchange's words
// must arrive where they belong.
//
// usage: bench_backend_cpu [ranks=8] [seq=128] [heads=40] [head_dim=128] [iterations=5]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "backend/attention.h"
#include "backend/bench.h"
#include "backend/cpu_kernels.h"
#include "backend/layout.h"
#include "backend/reference.h"
#include "schedule/generators.h"
#include "schedule/lower.h"
#include "schedule/payload.h"

using namespace ua2a;

namespace {

template <class F>
double seconds(int iterations, F&& f) {
  f();  // warm-up: page faults, caches
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / iterations;
}

/// Largest |unpacked - input| over rank 0's own block (the block a rank keeps).
double roundtrip_error(const LayerShape& s, const LayerInputs& in, const std::vector<std::uint16_t> (&attn)[3]) {
  const std::uint64_t h = s.heads_per_rank(), D = s.head_dim;
  double worst = 0;
  for (int t = 0; t < 3; ++t)
    for (std::uint64_t tok = 0; tok < s.seq_per_rank; ++tok)
      for (std::uint64_t hh = 0; hh < h; ++hh)
        for (std::uint64_t d = 0; d < D; ++d) {
          const float want = elem_to_float(in.qkv[0][t][(tok * s.heads + hh) * D + d], s.elem);
          const float got = elem_to_float(attn[t][(tok * h + hh) * D + d], s.elem);
          worst = std::fmax(worst, std::fabs(want - got));
        }
  return worst;
}

void bench_kernels(LayerShape s, int iterations) {
  std::printf("# CPU kernels, one rank's data: N = %d, s = %llu, H = %llu, D = %llu (GB/s = bytes read + written / time)\n",
              s.ranks, static_cast<unsigned long long>(s.seq_per_rank), static_cast<unsigned long long>(s.heads),
              static_cast<unsigned long long>(s.head_dim));
  std::printf("#  wire   pack(ms)  pack(GB/s)  unpack(ms)  unpack(GB/s)  max |roundtrip error|\n");
  const LayerInputs in = make_inputs(s);
  for (bool fp8 : {false, true}) {
    s.fp8 = fp8;
    const LayerPlan plan = make_plan(s);
    std::vector<std::byte> packed(plan.fwd_buffer_bytes());
    std::vector<std::uint16_t> attn[3];
    std::uint16_t* dst[3];
    for (int t = 0; t < 3; ++t) attn[t].resize(plan.attn_tensor_bytes / 2), dst[t] = attn[t].data();
    const std::uint16_t* src[3] = {in.qkv[0][0].data(), in.qkv[0][1].data(), in.qkv[0][2].data()};
    const double bytes = 3.0 * plan.input_bytes + static_cast<double>(plan.fwd_block_bytes) * s.ranks;
    const double tp = seconds(iterations, [&] { pack_cpu(pack_map(plan, Exchange::qkv), s.elem, src, packed.data()); });
    const double tu = seconds(iterations, [&] { unpack_cpu(unpack_map(plan, Exchange::qkv), s.elem, packed.data(), dst); });
    // Unpacking one rank's own send buffer puts its block 0 at rank 0's rows: compare those.
    std::printf("  %5s  %9.3f  %10.2f  %10.3f  %12.2f  %g\n", fp8 ? "fp8" : "bf16", tp * 1e3, bytes / tp / 1e9,
                tu * 1e3, bytes / tu / 1e9, roundtrip_error(s, in, attn));
  }
}

void bench_attention(const LayerShape& s, int iterations) {
  const std::uint64_t S = s.attn_tokens(), h = s.heads_per_rank(), D = s.head_dim;
  std::vector<std::uint16_t> x[4];
  for (auto& t : x) t.assign(S * h * D, float_to_bf16(0.5f));
  const double t = seconds(iterations, [&] {
    attention_cpu({x[0].data(), x[1].data(), x[2].data(), x[3].data(), S, h, D, 1.0f / std::sqrt(float(D)), s.elem});
  });
  // Constant inputs: every output element must be exactly the constant value of v.
  const bool right = bf16_to_float(x[3][0]) == 0.5f && bf16_to_float(x[3].back()) == 0.5f;
  std::printf("# CPU attention, S = %llu, h = %llu, D = %llu: %.3f ms, %.2f GFLOP/s (4 S^2 D h) %s\n",
              static_cast<unsigned long long>(S), static_cast<unsigned long long>(h), static_cast<unsigned long long>(D),
              t * 1e3, 4.0 * S * S * D * h / t / 1e9, right ? "" : "WRONG OUTPUT");
}

void bench_exchange(std::int32_t ranks, int iterations) {
  std::printf("# threads transport all-to-all, %d ranks: size = N x block; busbw = algbw x (N-1)/N\n", ranks);
  std::printf("#        size(B)  algo          discipline      time(us)  algbw(GB/s)  busbw(GB/s)  #wrong\n");
  for (std::uint64_t block = 1 << 12; block <= (1 << 22); block *= 16)
    for (const GeneratorInfo& g : generators())
      for (const DisciplineInfo& d : disciplines()) {
        if (d.discipline == Discipline::naive) continue;  // deadlocks by design
        ProgramSet p;
        try {
          p = lower(generate(g.name, ranks, uniform_payload(block, true, 1)), d.discipline);
        } catch (const std::invalid_argument&) {
          continue;  // not defined for this N or discipline
        }
        const ExchangeTiming t = time_exchange("threads", p, 1, iterations);
        std::printf("%16llu  %-12s  %-12s  %10.1f  %11.2f  %11.2f  %6llu\n", static_cast<unsigned long long>(t.size_bytes),
                    g.name, d.name, t.seconds * 1e6, t.algbw_gbps, t.busbw_gbps, static_cast<unsigned long long>(t.wrong));
      }
}

}  // namespace

int main(int argc, char** argv) {
  auto arg = [&](int i, long fallback) { return argc > i ? std::atol(argv[i]) : fallback; };
  LayerShape s;
  s.ranks = static_cast<std::int32_t>(arg(1, 8));
  s.seq_per_rank = arg(2, 128);
  s.heads = arg(3, 40);
  s.head_dim = arg(4, 128);
  const int iterations = static_cast<int>(arg(5, 5));
  try {
    validate(s);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "bench_backend_cpu: %s\n", e.what());
    return 2;
  }
  bench_kernels(s, iterations);
  bench_attention(s, 1);
  bench_exchange(s.ranks, iterations);
  return 0;
}
