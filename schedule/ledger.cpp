#include "schedule/ledger.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "schedule/huge_pages.h"

namespace ua2a {

namespace {
constexpr std::size_t kCacheLine = 64;
}  // namespace

DeliveryLedger::DeliveryLedger(std::int32_t ranks, const Payload& payload, LedgerThreads threads)
    : ranks_(ranks), parts_(static_cast<std::uint32_t>(payload.parts.size())), chunks_(payload.chunks),
      threads_(threads) {
  if (ranks <= 0) throw std::invalid_argument("ledger needs at least one rank");
  row_stride_ = static_cast<std::size_t>(ranks) * parts_ * chunks_ + kCacheLine;
  size_ = static_cast<std::size_t>(ranks) * row_stride_;
  counts_.reset(new std::uint8_t[size_]);
  advise_huge_pages(counts_.get(), size_);
  std::fill_n(counts_.get(), size_, 0);
}

void DeliveryLedger::record_slow(Rank at, Rank slot, BlockId block, std::uint16_t part, std::uint32_t chunk) {
  if (expected(at, slot, block, part, chunk)) {
    const std::size_t i = index(block, part, chunk);
    if (increment(i)) return;
    std::lock_guard lock(misplaced_mutex_);
    ++overflow_[i];
    return;
  }
  std::lock_guard lock(misplaced_mutex_);
  ++misplaced_count_;
  if (misplaced_.size() < LedgerReport::kMaxListed) misplaced_.push_back({at, slot, block, part, chunk});
}

/// Adds one arrival to piece i's byte; false when it is saturated (the caller counts it aside).
bool DeliveryLedger::increment(std::size_t i) {
  if (threads_ == LedgerThreads::one) {
    if (counts_[i] == kSaturated) return false;
    ++counts_[i];
    return true;
  }
  std::atomic_ref<std::uint8_t> c(counts_[i]);
  std::uint8_t seen = c.load(std::memory_order_relaxed);
  while (seen != kSaturated)
    if (c.compare_exchange_weak(seen, static_cast<std::uint8_t>(seen + 1), std::memory_order_relaxed)) return true;
  return false;
}

/// Called with misplaced_mutex_ held.
std::uint64_t DeliveryLedger::count(std::size_t i) const {
  const std::uint8_t n = std::atomic_ref<std::uint8_t>(counts_[i]).load(std::memory_order_relaxed);
  if (n != kSaturated) return n;
  const auto extra = overflow_.find(i);
  return n + (extra == overflow_.end() ? 0 : extra->second);
}

LedgerReport DeliveryLedger::report() const {
  std::lock_guard lock(misplaced_mutex_);
  LedgerReport rep;
  const std::size_t per_block = static_cast<std::size_t>(parts_) * chunks_;
  for (Rank src = 0; src < ranks_; ++src) {
    // Blocks src -> dst sit side by side in src's row; the diagonal block is not expected.
    const std::size_t row = static_cast<std::size_t>(src) * row_stride_, diagonal = src * per_block;
    report_pieces(rep, row, row + diagonal);
    report_pieces(rep, row + diagonal + per_block, row + ranks_ * per_block);
  }
  rep.misplaced_count = misplaced_count_;
  rep.arrived += misplaced_count_;
  rep.misplaced = misplaced_;
  return rep;
}

void DeliveryLedger::report_pieces(LedgerReport& rep, std::size_t begin, std::size_t end) const {
  constexpr std::uint64_t kAllOnce = 0x0101010101010101ull;  // eight counts of 1
  rep.expected += end - begin;
  std::size_t i = begin;
  while (i < end) {
    // Eight pieces at a time while they all arrived once: the common case, and a byte compare
    // per piece made the report a tenth of a 4096-rank verification.
    std::uint64_t word = 0;
    if (end - i >= 8) std::memcpy(&word, counts_.get() + i, 8);
    if (word == kAllOnce) {
      rep.arrived += 8;
      i += 8;
      continue;
    }
    const std::uint64_t n = count(i);
    rep.arrived += n;
    if (n != 1) note_piece(rep, i, n);
    ++i;
  }
}

void DeliveryLedger::note_piece(LedgerReport& rep, std::size_t i, std::uint64_t n) const {
  const std::size_t per_block = static_cast<std::size_t>(parts_) * chunks_;
  const auto src = static_cast<Rank>(i / row_stride_);
  const std::size_t in_row = i % row_stride_;
  const Piece piece{{src, static_cast<Rank>(in_row / per_block)},
                    static_cast<std::uint16_t>(in_row % per_block / chunks_),
                    static_cast<std::uint32_t>(in_row % chunks_), n};
  auto& list = n == 0 ? rep.missing : rep.duplicated;
  ++(n == 0 ? rep.missing_count : rep.duplicated_count);
  if (list.size() < LedgerReport::kMaxListed) list.push_back(piece);
}

namespace {

std::string piece_text(const Piece& p) {
  std::ostringstream s;
  s << "block " << p.block.src << "->" << p.block.dst << " part " << p.part << " chunk " << p.chunk;
  return s.str();
}

}  // namespace

std::string LedgerReport::summary() const {
  std::ostringstream s;
  if (ok()) {
    s << "exactly once: all " << expected << " pieces arrived once, each at its destination and slot\n";
    return s.str();
  }
  auto list = [&](const char* what, std::uint64_t count, const std::vector<Piece>& pieces) {
    if (count == 0) return;
    s << what << ": " << count << " piece(s)";
    for (std::size_t i = 0; i < pieces.size() && i < 8; ++i)
      s << (i ? "; " : " (") << piece_text(pieces[i]) << (pieces[i].count > 1 ? " x" + std::to_string(pieces[i].count) : "");
    s << (count > 8 ? "; ...)" : ")") << "\n";
  };
  list("missing", missing_count, missing);
  list("duplicated", duplicated_count, duplicated);
  if (misplaced_count > 0) {
    s << "misplaced: " << misplaced_count << " arrival(s)";
    for (std::size_t i = 0; i < misplaced.size() && i < 8; ++i) {
      const Arrival& a = misplaced[i];
      s << (i ? "; " : " (") << "block " << a.block.src << "->" << a.block.dst << " part " << a.part << " chunk "
        << a.chunk << " landed at rank " << a.at << " in the slot for " << a.slot;
    }
    s << (misplaced_count > 8 ? "; ...)" : ")") << "\n";
  }
  return s.str();
}

}  // namespace ua2a
