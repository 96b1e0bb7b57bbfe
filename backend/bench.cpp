#include "backend/bench.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <vector>

namespace ua2a {

namespace {

std::uint32_t word(Rank src, Rank dst, std::uint64_t index) {
  return static_cast<std::uint32_t>(src) * 2654435761u ^ static_cast<std::uint32_t>(dst) * 40503u ^
         static_cast<std::uint32_t>(index);
}

std::uint64_t stride_of(const ProgramSet& p) { return (p.payload.block_bytes() + kBlockAlign - 1) / kBlockAlign * kBlockAlign; }

}  // namespace

#if UA2A_HAVE_CUDA
ExchangeTiming time_exchange_gpu(const std::string& transport, const ProgramSet& programs, std::uint32_t warmup,
                                 std::uint32_t iterations, const TransportOptions& options);
#endif

/// Fills rank `src`'s send buffer: word i of block dst is word(src, dst, i).
void fill_send(std::uint32_t* send, const ProgramSet& p, Rank src) {
  const std::uint64_t words = stride_of(p) / 4;
  for (Rank dst = 0; dst < p.ranks; ++dst)
    for (std::uint64_t i = 0; i < words; ++i) send[dst * words + i] = word(src, dst, i);
}

/// Words of rank `dst`'s receive buffer that differ from what each source owes it.
std::uint64_t count_wrong(const std::uint32_t* recv, const ProgramSet& p, Rank dst) {
  const std::uint64_t words = stride_of(p) / 4, used = p.payload.block_bytes() / 4;
  std::uint64_t wrong = 0;
  for (Rank src = 0; src < p.ranks; ++src)
    for (std::uint64_t i = 0; i < used; ++i) wrong += recv[src * words + i] != word(src, dst, i);
  return wrong;
}

ExchangeTiming finish_timing(const ProgramSet& p, double seconds, std::uint64_t wrong) {
  ExchangeTiming t;
  t.size_bytes = p.payload.block_bytes() * p.ranks;
  t.seconds = seconds;
  t.algbw_gbps = seconds > 0 ? t.size_bytes / seconds / 1e9 : 0;
  t.busbw_gbps = t.algbw_gbps * (p.ranks - 1) / p.ranks;
  t.wrong = wrong;
  return t;
}

ExchangeTiming time_exchange(const std::string& transport, const ProgramSet& programs, std::uint32_t warmup,
                             std::uint32_t iterations, const TransportOptions& options) {
  if (programs.payload.block_bytes() % 4 != 0)
    throw std::invalid_argument("bench needs block sizes that are a multiple of 4 bytes");
  const TransportInfo& info = find_transport(transport);
  if (!info.host_memory) {
#if UA2A_HAVE_CUDA
    return time_exchange_gpu(transport, programs, warmup, iterations, options);
#else
    make_transport(transport, options);  // throws: not built in
#endif
  }
  auto t = make_transport(transport, options);
  const std::uint64_t words = stride_of(programs) / 4 * programs.ranks;
  std::vector<std::vector<std::uint32_t>> send(programs.ranks, std::vector<std::uint32_t>(words)),
      recv(programs.ranks, std::vector<std::uint32_t>(words));
  ExchangeBuffers b{stride_of(programs), {}};
  for (Rank r = 0; r < programs.ranks; ++r) {
    fill_send(send[r].data(), programs, r);
    b.ranks.push_back({r, reinterpret_cast<std::byte*>(send[r].data()), reinterpret_cast<std::byte*>(recv[r].data())});
  }
  for (std::uint32_t i = 0; i < warmup; ++i) t->execute(programs, b, nullptr);
  const auto t0 = std::chrono::steady_clock::now();
  for (std::uint32_t i = 0; i < iterations; ++i) t->execute(programs, b, nullptr);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / std::max(1u, iterations);
  std::uint64_t wrong = 0;
  for (Rank r = 0; r < programs.ranks; ++r) wrong += count_wrong(recv[r].data(), programs, r);
  return finish_timing(programs, s, wrong);
}

bool AttentionBench::ok() const {
  if (tiles.empty() || !within(simple_vs_f64, bound)) return false;
  for (const FlashTile& t : tiles)
    if (!within(t.vs_simple, bound) || !within(t.vs_f64, bound)) return false;
  return true;
}

int documented_flash_blocks_per_sm(int cc, std::uint64_t head_dim, std::uint32_t block_n) {
  struct Claim {
    int cc;
    std::uint64_t head_dim;
    std::uint32_t block_n;
    int blocks;
  };
  // docs/backend.md, "Compile-time figures": H100/H200 (sm_90, 228 KiB and 65536 registers per
  // SM), RTX 4090 (sm_89, 100 KiB).
  constexpr Claim kClaims[] = {{90, 128, 64, 3}, {90, 128, 32, 2}, {90, 64, 64, 4},
                               {89, 128, 64, 1}, {89, 128, 32, 2}, {89, 64, 64, 2}};
  for (const Claim& c : kClaims)
    if (c.cc == cc && c.head_dim == head_dim && c.block_n == block_n) return c.blocks;
  return 0;
}

std::vector<std::uint64_t> sampled_attention_rows(std::uint64_t seq) {
  constexpr std::uint64_t kTile = 64;  // the flash kernel's query rows per block
  const std::uint64_t last_tile = (seq - 1) / kTile * kTile;
  std::vector<std::uint64_t> rows = {0,           1,           kTile - 1,    kTile,    seq / 3,      seq / 2,
                                     2 * seq / 3, last_tile - 1, last_tile, last_tile + 1, seq - 2, seq - 1};
  std::vector<std::uint64_t> out;
  for (std::uint64_t r : rows)  // inside the sequence, sorted, no repeats (short sequences)
    if (r < seq && std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);
  std::sort(out.begin(), out.end());
  return out;
}

#if !UA2A_HAVE_CUDA
KernelBench bench_kernels(const LayerShape&, const ProgramSet&, std::uint32_t) {
  throw TransportError("kernel benchmarks need a CUDA build and a GPU: reconfigure with a CUDA toolkit");
}
AttentionBench bench_attention(std::uint64_t, std::uint64_t, std::uint64_t, ElemType, std::uint32_t) {
  throw TransportError("attention benchmarks need a CUDA build and a GPU: reconfigure with a CUDA toolkit");
}
#endif

}  // namespace ua2a
