#include "schedule/payload.h"

#include "schedule/named.h"

#include <stdexcept>

#include "schedule/limits.h"

namespace ua2a {

std::uint64_t Payload::block_bytes() const {
  std::uint64_t total = 0;
  for (const Part& p : parts) total += p.bytes;
  return total;
}

std::uint64_t Payload::chunk_bytes(std::uint32_t part, std::uint32_t chunk) const {
  const std::uint64_t bytes = parts.at(part).bytes;
  return bytes / chunks + (chunk < bytes % chunks ? 1 : 0);
}

const std::vector<NamedValue<DType>>& dtypes() {
  static const std::vector<NamedValue<DType>> table = {{"bf16", DType::bf16}, {"fp16", DType::fp16}, {"fp8", DType::fp8}};
  return table;
}

DType parse_dtype(const std::string& name) { return parse_value(dtypes(), name, "dtype"); }

std::string to_string(DType dtype) { return name_of(dtypes(), dtype); }

Exchange parse_exchange(const std::string& name) {
  if (name == "qkv") return Exchange::qkv;
  if (name == "out") return Exchange::out;
  throw std::invalid_argument("unknown exchange '" + name + "': use qkv (forward) or out (reverse)");
}

std::string to_string(Exchange exchange) { return exchange == Exchange::qkv ? "qkv" : "out"; }

namespace {

void check_chunks(std::uint32_t chunks) {
  if (chunks == 0) throw std::invalid_argument("chunks must be at least 1 (got 0)");
}

}  // namespace

Payload uniform_payload(std::uint64_t bytes, bool merged, std::uint32_t chunks) {
  check_chunks(chunks);
  Payload p;
  p.chunks = chunks;
  if (merged) {
    p.parts = {{"block", bytes}};
  } else {
    // A third each; the remainder goes to q so the block total is unchanged.
    const std::uint64_t third = bytes / 3;
    p.parts = {{"q", bytes - 2 * third}, {"k", third}, {"v", third}};
  }
  return p;
}

Payload ulysses_payload(const UlyssesShape& shape, bool merged, std::uint32_t chunks) {
  check_chunks(chunks);
  if (shape.seq_per_rank == 0 || shape.heads_per_rank == 0 || shape.head_dim == 0)
    throw std::invalid_argument("Ulysses shape needs seq, heads per rank and head dim all > 0");
  constexpr std::uint64_t kScaleBytes = 4;  // one float32 per (token, head, tensor) row
  const std::uint64_t rows = checked_product(shape.seq_per_rank, shape.heads_per_rank, "rows (seq per rank x heads per rank)");
  const std::uint64_t elem = shape.dtype == DType::fp8 ? 1 : 2;
  const std::uint64_t tensor =
      checked_product(checked_product(rows, shape.head_dim, "elements (rows x head dim)"), elem, "bytes of one tensor");
  const bool fp8 = shape.dtype == DType::fp8;
  const std::vector<std::string> names =
      shape.exchange == Exchange::qkv ? std::vector<std::string>{"q", "k", "v"} : std::vector<std::string>{"out"};

  Payload p;
  p.chunks = chunks;
  p.parts.clear();
  if (merged) {
    const std::uint64_t n = names.size();
    const std::uint64_t scales = fp8 ? checked_product(n, checked_product(rows, kScaleBytes, "scale bytes"), "scale bytes") : 0;
    const std::uint64_t bytes = checked_product(n, tensor, "bytes of q, k and v");
    if (bytes > kMaxBlockBytes - scales) throw std::invalid_argument("the merged block is past 2^62 bytes: give smaller sizes");
    p.parts = {{shape.exchange == Exchange::qkv ? "qkv" : "out", bytes + scales}};
    return p;
  }
  for (const auto& name : names) p.parts.push_back({name, tensor});
  if (fp8)
    for (const auto& name : names) p.parts.push_back({name + "_scale", checked_product(rows, kScaleBytes, "scale bytes")});
  return p;
}

}  // namespace ua2a
