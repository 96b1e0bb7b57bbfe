#include "schedule/limits.h"

#include <stdexcept>

namespace ua2a {

std::string limits_problem(std::int64_t ranks, const Payload& payload) {
  if (ranks < 1 || ranks > kMaxRanks)
    return "ranks must be between 1 and " + std::to_string(kMaxRanks) + ", got " + std::to_string(ranks);
  if (payload.chunks < 1 || payload.chunks > kMaxChunks)
    return "chunks must be between 1 and " + std::to_string(kMaxChunks) + ", got " + std::to_string(payload.chunks);
  if (payload.parts.empty() || payload.parts.size() > kMaxParts)
    return "a block needs 1 to " + std::to_string(kMaxParts) + " parts, got " + std::to_string(payload.parts.size());
  std::uint64_t block = 0;
  for (const Part& p : payload.parts) {
    if (p.bytes > kMaxBlockBytes || block + p.bytes > kMaxBlockBytes)
      return "a block of more than 2^62 bytes cannot be counted: use fewer bytes";
    block += p.bytes;
  }
  // Each factor is below 2^20 here (ranks 2^12, parts 2^6, chunks 2^20): the product fits 64 bits.
  const std::uint64_t pieces = static_cast<std::uint64_t>(ranks) * static_cast<std::uint64_t>(ranks) *
                               payload.parts.size() * payload.chunks;
  if (pieces > kMaxPieces)
    return "ranks^2 x parts x chunks = " + std::to_string(pieces) + " pieces exceeds the limit of " +
           std::to_string(kMaxPieces) + " (2^24, N = 4096 with one part and one chunk): use fewer ranks, chunks or parts";
  return "";
}

void check_limits(std::int64_t ranks, const Payload& payload) {
  const std::string problem = limits_problem(ranks, payload);
  if (!problem.empty()) throw std::invalid_argument(problem);
}

std::uint64_t checked_product(std::uint64_t a, std::uint64_t b, const std::string& what, std::uint64_t max) {
  if (a != 0 && b > max / a)
    throw std::invalid_argument(what + " = " + std::to_string(a) + " x " + std::to_string(b) + " is past " +
                                std::to_string(max) + ": no machine holds it; give smaller sizes (--seq, --heads, --head-dim, --bytes)");
  return a * b;
}

}  // namespace ua2a
