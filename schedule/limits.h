#pragma once
/// The sizes a schedule may have, stated once and checked up front by both the generators and the
/// JSON readers, so that `schedule` never writes a file that `verify --input` refuses and neither
/// starts on a size it cannot hold.
///
/// The bound that matters is the piece count N^2 x parts x chunks: a schedule holds one transfer
/// (24 B) per piece and its lowering two ops per piece, so 2^24 pieces are about 0.4 GB of
/// transfers and 1 GB of programs, and a JSON file of a few GB. N = 4096 with one part and one
/// chunk is exactly that bound, the largest N the tests run.
#include <cstdint>
#include <string>

#include "schedule/block.h"

namespace ua2a {

inline constexpr std::int32_t kMaxRanks = 4096;
inline constexpr std::uint32_t kMaxChunks = 1u << 20;
inline constexpr std::size_t kMaxParts = 64;
inline constexpr std::uint64_t kMaxPieces = std::uint64_t{1} << 24;
inline constexpr std::uint64_t kMaxBlockBytes = std::uint64_t{1} << 62;

/// "" when a schedule of `ranks` ranks with `payload` is within the limits above, else what is
/// wrong and what to change (for a reader to prefix with the field's path).
std::string limits_problem(std::int64_t ranks, const Payload& payload);
/// Throws std::invalid_argument with limits_problem's text when it is not empty.
void check_limits(std::int64_t ranks, const Payload& payload);

/// The one checked arithmetic for sizes (bytes, tokens, pieces): a x b, or std::invalid_argument
/// naming `what` and the two factors when the product passes `max` (2^62 by default: a size no
/// machine holds, far below where 64 bits wrap around).
std::uint64_t checked_product(std::uint64_t a, std::uint64_t b, const std::string& what,
                              std::uint64_t max = kMaxBlockBytes);

}  // namespace ua2a
