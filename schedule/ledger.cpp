#include "schedule/ledger.h"

#include <sstream>
#include <stdexcept>

namespace ua2a {

DeliveryLedger::DeliveryLedger(std::int32_t ranks, const Payload& payload)
    : ranks_(ranks), parts_(static_cast<std::uint32_t>(payload.parts.size())), chunks_(payload.chunks) {
  if (ranks <= 0) throw std::invalid_argument("ledger needs at least one rank");
  size_ = static_cast<std::size_t>(ranks) * ranks * parts_ * chunks_;
  counts_ = std::make_unique<std::atomic<std::uint32_t>[]>(size_);
  for (std::size_t i = 0; i < size_; ++i) counts_[i].store(0, std::memory_order_relaxed);
}

std::size_t DeliveryLedger::index(BlockId block, std::uint16_t part, std::uint32_t chunk) const {
  return ((static_cast<std::size_t>(block.src) * ranks_ + block.dst) * parts_ + part) * chunks_ + chunk;
}

void DeliveryLedger::record(Rank at, Rank slot, BlockId block, std::uint16_t part, std::uint32_t chunk) {
  const bool known = block.src >= 0 && block.src < ranks_ && block.dst >= 0 && block.dst < ranks_ &&
                     block.src != block.dst && part < parts_ && chunk < chunks_;
  if (known && at == block.dst && slot == block.src) {
    counts_[index(block, part, chunk)].fetch_add(1, std::memory_order_relaxed);
    return;
  }
  std::lock_guard lock(misplaced_mutex_);
  ++misplaced_count_;
  if (misplaced_.size() < LedgerReport::kMaxListed) misplaced_.push_back({at, slot, block, part, chunk});
}

LedgerReport DeliveryLedger::report() const {
  LedgerReport rep;
  for (Rank src = 0; src < ranks_; ++src)
    for (Rank dst = 0; dst < ranks_; ++dst) {
      if (src == dst) continue;
      for (std::uint32_t part = 0; part < parts_; ++part)
        for (std::uint32_t chunk = 0; chunk < chunks_; ++chunk) {
          const std::uint32_t n = counts_[index({src, dst}, part, chunk)].load(std::memory_order_relaxed);
          ++rep.expected;
          rep.arrived += n;
          if (n == 1) continue;
          const Piece piece{{src, dst}, static_cast<std::uint16_t>(part), chunk, n};
          auto& list = n == 0 ? rep.missing : rep.duplicated;
          ++(n == 0 ? rep.missing_count : rep.duplicated_count);
          if (list.size() < LedgerReport::kMaxListed) list.push_back(piece);
        }
    }
  std::lock_guard lock(misplaced_mutex_);
  rep.misplaced_count = misplaced_count_;
  rep.arrived += misplaced_count_;
  rep.misplaced = misplaced_;
  return rep;
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
