#pragma once
/// The delivery ledger: records arrivals of (src, dst, part, chunk) pieces and reports what is
/// missing, duplicated or misplaced. Thread-safe record(), so real transports can use it.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "schedule/block.h"

namespace ua2a {

/// A piece of an off-diagonal block and how often it arrived.
struct Piece {
  BlockId block;
  std::uint16_t part = 0;
  std::uint32_t chunk = 0;
  std::uint32_t count = 0;
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

class DeliveryLedger {
 public:
  DeliveryLedger(std::int32_t ranks, const Payload& payload);
  /// Data of piece (block, part, chunk) was written at rank `at` into the slot for `slot`.
  void record(Rank at, Rank slot, BlockId block, std::uint16_t part, std::uint32_t chunk);
  LedgerReport report() const;

 private:
  std::size_t index(BlockId block, std::uint16_t part, std::uint32_t chunk) const;
  std::int32_t ranks_;
  std::uint32_t parts_;
  std::uint32_t chunks_;
  std::unique_ptr<std::atomic<std::uint32_t>[]> counts_;
  std::size_t size_ = 0;
  mutable std::mutex misplaced_mutex_;
  std::uint64_t misplaced_count_ = 0;
  std::vector<Arrival> misplaced_;
};

}  // namespace ua2a
