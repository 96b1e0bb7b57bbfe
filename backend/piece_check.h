#pragma once
/// Telling where a piece landed from its bytes, for transports that never see the match: NCCL
/// pairs each receive with a send inside the library, so a receive op names only the piece it
/// expected, not the piece that arrived, and a ledger fed from it could never report a misplaced
/// piece. Instead the sender checksums every piece it sends (over its send buffer, before the
/// exchange), the checksums travel to the receivers (an all-gather), the receiver checksums the
/// bytes that landed, and the ledger records the piece whose sender checksum those bytes match:
/// a piece paired with the wrong receive is misplaced, bytes no sender sent are an unknown
/// arrival (misplaced too).
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "schedule/ledger.h"
#include "schedule/program.h"

#if defined(__CUDACC__)
#define UA2A_PIECE_HD __host__ __device__
#else
#define UA2A_PIECE_HD
#endif

namespace ua2a {

/// One byte's term of a piece checksum: splitmix64 of (position, value), so that equal bytes at
/// other positions (a shifted or reordered piece) give other terms. Shared with the GPU kernel.
UA2A_PIECE_HD inline std::uint64_t checksum_term(std::uint64_t position, std::uint8_t value) {
  std::uint64_t x = (position << 8 | value) + 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
/// The length's term: pieces of different sizes differ even when one is a prefix of the other.
UA2A_PIECE_HD inline std::uint64_t checksum_length_term(std::uint64_t bytes) { return checksum_term(~bytes, 0xa5); }

/// The checksum of `bytes` bytes: the sum (mod 2^64) of every byte's term and the length's term.
/// A sum, so the GPU adds its threads' partial sums in any order and gets the same value.
std::uint64_t piece_checksum(const std::byte* data, std::uint64_t bytes);

/// The senders' checksums of every off-diagonal piece, [src][dst][part][chunk] (0 where nothing
/// is sent): one rank's row is what it contributes to the all-gather.
class SentChecksums {
 public:
  SentChecksums(std::int32_t ranks, const Payload& payload);
  std::size_t per_rank() const { return row_; }  ///< N * parts * chunks
  std::size_t index(BlockId block, std::uint32_t part, std::uint32_t chunk) const;
  std::vector<std::uint64_t>& values() { return values_; }
  const std::vector<std::uint64_t>& values() const { return values_; }
  /// Fills the row of rank `src` from its host send buffer: every send op of its program.
  void compute(const ProgramSet& programs, Rank src, const std::byte* send, std::uint64_t stride);
  /// Records in `ledger` what the receive `recv` of rank `at` found `dst_offset` bytes into its
  /// receive buffer, given the bytes' checksum `landed`: the receive's own piece when its
  /// sender's checksum matches, else the piece whose checksum does (misplaced), else an unknown
  /// piece (block -1 -> -1, misplaced).
  void record(DeliveryLedger& ledger, const Payload& payload, Rank at, std::uint64_t dst_offset, std::uint64_t stride,
              const Op& recv, std::uint64_t landed) const;
  /// record() for every receive op of rank `at`'s program, in program order, with `landed[k]`
  /// the checksum of what the k-th receive found. Throws std::invalid_argument on a count mismatch.
  void record_receives(DeliveryLedger& ledger, const ProgramSet& programs, Rank at, std::uint64_t stride,
                       std::span<const std::uint64_t> landed) const;

 private:
  std::int32_t ranks_;
  std::uint32_t parts_, chunks_;
  std::size_t row_;
  std::vector<std::uint64_t> values_;
};

/// Number of receive ops in `program` (the length of its landed checksums).
std::size_t receive_count(const Program& program);

}  // namespace ua2a
