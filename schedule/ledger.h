#pragma once
/// The delivery ledger: records arrivals of (src, dst, part, chunk) pieces and reports what is
/// missing, duplicated or misplaced. Thread-safe record() by default, so real transports can use it.
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "schedule/block.h"

namespace ua2a {

/// A piece of an off-diagonal block and how often it arrived.
struct Piece {
  BlockId block;
  std::uint16_t part = 0;
  std::uint32_t chunk = 0;
  std::uint64_t count = 0;
};

/// An arrival that landed on the wrong rank or in the wrong slot, or names no expected piece.
struct Arrival {
  Rank at = 0;    ///< rank whose receive buffer got the data
  Rank slot = 0;  ///< the source slot it was written into
  BlockId block;
  std::uint16_t part = 0;
  std::uint32_t chunk = 0;
};

struct LedgerReport {
  static constexpr std::size_t kMaxListed = 64;  ///< examples kept per kind; counts are exact
  std::uint64_t expected = 0;
  std::uint64_t arrived = 0;
  std::uint64_t missing_count = 0;
  std::uint64_t duplicated_count = 0;
  std::uint64_t misplaced_count = 0;
  std::vector<Piece> missing;
  std::vector<Piece> duplicated;
  std::vector<Arrival> misplaced;
  bool ok() const { return missing_count == 0 && duplicated_count == 0 && misplaced_count == 0; }
  /// One line per problem kind with the first examples; "exactly once: N pieces" when ok.
  std::string summary() const;
};

/// Whether record() may be called from several threads at once. The verifier records from one
/// thread and skips the atomic increments, which were a third of its ledger time.
enum class LedgerThreads { many, one };

class DeliveryLedger {
 public:
  DeliveryLedger(std::int32_t ranks, const Payload& payload, LedgerThreads threads = LedgerThreads::many);
  /// Data of piece (block, part, chunk) was written at rank `at` into the slot for `slot`.
  void record(Rank at, Rank slot, BlockId block, std::uint16_t part, std::uint32_t chunk) {
    // Inline for the common case of one thread and an expected piece: the verifier records tens
    // of millions of arrivals, and the call cost as much as the count.
    if (threads_ == LedgerThreads::one && expected(at, slot, block, part, chunk)) {
      std::uint8_t& count = counts_[index(block, part, chunk)];
      if (count != kSaturated) {
        ++count;
        return;
      }
    }
    record_slow(at, slot, block, part, chunk);
  }
  LedgerReport report() const;

 private:
  /// Counts saturate here; later arrivals of that piece go to overflow_, so counts stay exact.
  static constexpr std::uint8_t kSaturated = 0xff;
  /// The piece is one of the ledger's and landed where it belongs.
  bool expected(Rank at, Rank slot, BlockId block, std::uint16_t part, std::uint32_t chunk) const {
    return block.src >= 0 && block.src < ranks_ && block.dst >= 0 && block.dst < ranks_ && block.src != block.dst &&
           part < parts_ && chunk < chunks_ && at == block.dst && slot == block.src;
  }
  std::size_t index(BlockId block, std::uint16_t part, std::uint32_t chunk) const {
    return static_cast<std::size_t>(block.src) * row_stride_ +
           (static_cast<std::size_t>(block.dst) * parts_ + part) * chunks_ + chunk;
  }
  void record_slow(Rank at, Rank slot, BlockId block, std::uint16_t part, std::uint32_t chunk);
  /// Adds counts [begin, end) of the flat array to `rep` (called with misplaced_mutex_ held).
  void report_pieces(LedgerReport& rep, std::size_t begin, std::size_t end) const;
  void note_piece(LedgerReport& rep, std::size_t i, std::uint64_t n) const;
  bool increment(std::size_t i);
  std::uint64_t count(std::size_t i) const;
  std::int32_t ranks_;
  std::uint32_t parts_;
  std::uint32_t chunks_;
  /// Bytes from one source's row of counts to the next: a row plus one cache line, so that rows
  /// N = 4096 bytes long do not all fall into the same few cache sets (a round touches every row).
  std::size_t row_stride_ = 0;
  LedgerThreads threads_;
  /// One byte per piece: at N = 4096 the 16.7 M pieces of one-chunk blocks take 17 MB, which
  /// stays in the last-level cache while arrivals land in any order (4-byte counts: 67 MB).
  std::unique_ptr<std::uint8_t[]> counts_;
  std::size_t size_ = 0;
  mutable std::mutex misplaced_mutex_;  // guards overflow_ and misplaced_
  std::unordered_map<std::size_t, std::uint64_t> overflow_;  // arrivals past kSaturated
  std::uint64_t misplaced_count_ = 0;
  std::vector<Arrival> misplaced_;
};

}  // namespace ua2a
