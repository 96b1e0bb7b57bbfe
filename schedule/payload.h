#pragma once
/// Block payloads: uniform byte sizes or the merged q|k|v (or output) messages of a Ulysses layer.
#include <cstdint>
#include <string>

#include "schedule/block.h"
#include "schedule/named.h"

namespace ua2a {

enum class DType { bf16, fp16, fp8 };
enum class Exchange { qkv, out };  ///< forward q|k|v exchange, or the reverse output exchange

/// Per-rank shape of one Ulysses attention layer.
struct UlyssesShape {
  std::uint64_t seq_per_rank = 0;   ///< s: image tokens per rank
  std::uint64_t heads_per_rank = 0; ///< h = H / N
  std::uint64_t head_dim = 0;       ///< D
  DType dtype = DType::bf16;        ///< fp8 = e4m3 payload plus one float32 scale per row
  Exchange exchange = Exchange::qkv;
};

/// Parses "bf16" | "fp16" | "fp8"; throws std::invalid_argument naming the value otherwise.
/// The one table of dtype names (bf16, fp16, fp8).
const std::vector<NamedValue<DType>>& dtypes();
DType parse_dtype(const std::string& name);
std::string to_string(DType dtype);
Exchange parse_exchange(const std::string& name);
std::string to_string(Exchange exchange);

/// One part of `bytes`, or q, k, v of a third each when `merged` is false.
Payload uniform_payload(std::uint64_t bytes, bool merged, std::uint32_t chunks);

/// The Ulysses messages of one block: merged "qkv" (payload then scales, as the reference packs
/// them) or, unmerged, q, k, v and with FP8 q_scale, k_scale, v_scale. The output exchange has one
/// tensor "out" (plus "out_scale" unmerged with FP8).
Payload ulysses_payload(const UlyssesShape& shape, bool merged, std::uint32_t chunks);

}  // namespace ua2a
