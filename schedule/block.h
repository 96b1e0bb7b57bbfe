#pragma once
/// The all-to-all unit: the data rank `src` owes rank `dst`, cut into parts and chunks.
#include <cstdint>
#include <string>
#include <vector>

namespace ua2a {

using Rank = std::int32_t;

/// The block `src` owes `dst` (for Ulysses: src's tokens, dst's heads). Diagonal blocks stay local.
struct BlockId {
  Rank src = 0;
  Rank dst = 0;
  friend bool operator==(const BlockId&, const BlockId&) = default;
};

/// One message of a block. A merged block has one part ("qkv"); an unmerged one has q, k, v
/// (and with FP8 their scale tensors) as separate messages.
struct Part {
  std::string name;
  std::uint64_t bytes = 0;
  friend bool operator==(const Part&, const Part&) = default;
};

/// What every off-diagonal block holds: the same parts for every (src, dst), each cut into
/// `chunks` pieces for pipelining.
struct Payload {
  std::vector<Part> parts{{"block", 0}};
  std::uint32_t chunks = 1;

  std::uint64_t block_bytes() const;
  /// Bytes of chunk `chunk` of part `part`: the remainder goes to the first chunks.
  std::uint64_t chunk_bytes(std::uint32_t part, std::uint32_t chunk) const;
  std::uint32_t pieces_per_block() const { return static_cast<std::uint32_t>(parts.size()) * chunks; }
  friend bool operator==(const Payload&, const Payload&) = default;
};

}  // namespace ua2a
