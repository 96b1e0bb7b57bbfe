#include "backend/layer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <thread>

#include "backend/attention.h"
#include "backend/cpu_kernels.h"
#include "schedule/generators.h"

namespace ua2a {

LayerPrograms make_layer_programs(const LayerShape& shape, const std::string& algo, Discipline discipline,
                                  std::uint32_t chunks, bool merged) {
  validate(shape);
  auto programs = [&](Exchange e) {
    const UlyssesShape u{shape.seq_per_rank, shape.heads_per_rank(), shape.head_dim,
                         shape.fp8 ? DType::fp8 : DType::bf16, e};
    return lower(generate(algo, shape.ranks, ulysses_payload(u, merged, chunks)), discipline);
  };
  return {programs(Exchange::qkv), programs(Exchange::out)};
}

AttentionParams layer_attention(const LayerShape& shape, const void* q, const void* k, const void* v, void* out) {
  AttentionParams p{q, k, v, out, shape.attn_tokens(), shape.heads_per_rank(), shape.head_dim,
                    1.0f / std::sqrt(static_cast<float>(shape.head_dim)), shape.elem};
  p.pad_begin = shape.real_image_tokens();
  p.pad_end = shape.padded_image_tokens();
  return p;
}

void check_fit(const LayerPlan& plan, const LayerPrograms& programs) {
  auto fit = [&](const ProgramSet& p, std::uint64_t block_bytes, const char* which) {
    if (p.ranks != plan.shape.ranks || p.payload.block_bytes() != block_bytes)
      throw std::invalid_argument(std::string("the ") + which + " programs are for " + std::to_string(p.ranks) +
                                  " ranks and " + std::to_string(p.payload.block_bytes()) +
                                  " bytes per block, but the layer needs " + std::to_string(plan.shape.ranks) +
                                  " ranks and " + std::to_string(block_bytes) +
                                  " bytes: generate them from the same --seq --heads --head-dim --dtype");
  };
  fit(programs.forward, plan.fwd_block_bytes, "forward");
  fit(programs.reverse, plan.rev_block_bytes, "reverse");
}

StageTimes& StageTimes::operator+=(const StageTimes& o) {
  pack += o.pack, exchange += o.exchange, unpack += o.unpack, attention += o.attention;
  reverse_pack += o.reverse_pack, reverse_exchange += o.reverse_exchange, reverse_unpack += o.reverse_unpack;
  return *this;
}

StageTimes StageTimes::scaled(double f) const {
  StageTimes t = *this;
  for (double* x : {&t.pack, &t.exchange, &t.unpack, &t.attention, &t.reverse_pack, &t.reverse_exchange,
                    &t.reverse_unpack})
    *x *= f;
  return t;
}

CpuLayer::CpuLayer(const LayerPlan& plan) : plan_(plan), workspace_(plan.shape.ranks) {
  for (auto& w : workspace_) w.resize(plan.workspace_bytes());
}

void CpuLayer::poison() {
  for (auto& w : workspace_) std::fill(w.begin(), w.end(), std::byte{0xFF});
}

ExchangeBuffers CpuLayer::buffers(bool forward) {
  ExchangeBuffers b;
  b.block_stride = forward ? plan_.fwd_block_stride : plan_.rev_block_stride;
  for (Rank r = 0; r < plan_.shape.ranks; ++r)
    b.ranks.push_back(forward ? RankBuffers{r, region_a(r), region_b(r)} : RankBuffers{r, region_b(r), region_a(r)});
  return b;
}

namespace {

/// Runs f(rank) for every rank on its own thread (the ranks' compute is independent) and returns
/// the wall time in seconds.
template <class F>
double timed_per_rank(std::int32_t ranks, F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  {
    std::vector<std::jthread> threads;
    for (Rank r = 0; r < ranks; ++r) threads.emplace_back([&f, r] { f(r); });
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

template <class F>
double timed(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::uint16_t* as_elems(std::byte* p) { return reinterpret_cast<std::uint16_t*>(p); }

}  // namespace

void CpuLayer::run(const LayerInputs& inputs, const LayerPrograms& programs, Transport& transport,
                   LayerLedgers ledgers, LayerOutputs& outputs, StageTimes* times) {
  check_fit(plan_, programs);
  const LayerShape& shape = plan_.shape;
  const std::int32_t N = shape.ranks;
  const std::uint64_t h = shape.heads_per_rank(), D = shape.head_dim, L = shape.text_tokens;
  const std::uint64_t attn = plan_.attn_tensor_bytes;
  const RowMap fwd_pack = pack_map(plan_, Exchange::qkv), fwd_unpack = unpack_map(plan_, Exchange::qkv);
  const RowMap rev_pack = pack_map(plan_, Exchange::out), rev_unpack = unpack_map(plan_, Exchange::out);
  // NaN until written (0xFFFF is NaN in bf16 and fp16): a zero could pass as a near-zero output.
  constexpr std::uint16_t kPoison = 0xFFFF;
  outputs.out.assign(N, std::vector<std::uint16_t>(shape.seq_per_rank * shape.heads * D, kPoison));
  outputs.text_out.assign(N, std::vector<std::uint16_t>(L * h * D, kPoison));
  auto attn_tensor = [&](Rank r, int t) { return as_elems(region_a(r) + t * attn); };

  StageTimes t;
  t.pack = timed_per_rank(N, [&](Rank r) {
    const std::uint16_t* src[3] = {inputs.qkv[r][0].data(), inputs.qkv[r][1].data(), inputs.qkv[r][2].data()};
    pack_cpu(fwd_pack, shape.elem, src, region_a(r));
  });
  t.exchange = timed([&] { transport.execute(programs.forward, buffers(true), ledgers.forward); });
  t.unpack = timed_per_rank(N, [&](Rank r) {
    std::uint16_t* dst[3] = {attn_tensor(r, 0), attn_tensor(r, 1), attn_tensor(r, 2)};
    unpack_cpu(fwd_unpack, shape.elem, region_b(r), dst);
    for (int k = 0; k < 3; ++k)
      append_text_cpu(inputs.text[k].data(), L, shape.heads, r * h, h, D, dst[k], N * shape.seq_per_rank);
  });
  t.attention = timed_per_rank(N, [&](Rank r) {
    attention_cpu(layer_attention(shape, attn_tensor(r, 0), attn_tensor(r, 1), attn_tensor(r, 2), region_o(r)));
  });
  t.reverse_pack = timed_per_rank(N, [&](Rank r) {
    const std::uint16_t* src[1] = {as_elems(region_o(r))};
    pack_cpu(rev_pack, shape.elem, src, region_b(r));
  });
  t.reverse_exchange = timed([&] { transport.execute(programs.reverse, buffers(false), ledgers.reverse); });
  t.reverse_unpack = timed_per_rank(N, [&](Rank r) {
    std::uint16_t* dst[1] = {outputs.out[r].data()};
    unpack_cpu(rev_unpack, shape.elem, region_a(r), dst);
    if (L > 0)  // an empty text_out has no buffer: memcpy's pointers must not be null even for 0 bytes
      std::memcpy(outputs.text_out[r].data(), region_o(r) + N * shape.seq_per_rank * h * D * 2, L * h * D * 2);
  });
  if (times) *times += t;
}

}  // namespace ua2a
