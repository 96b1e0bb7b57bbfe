#include "backend/piece_check.h"

#include <stdexcept>
#include <string>

#include "backend/transport.h"

namespace ua2a {

std::uint64_t piece_checksum(const std::byte* data, std::uint64_t bytes) {
  std::uint64_t sum = checksum_length_term(bytes);
  for (std::uint64_t i = 0; i < bytes; ++i) sum += checksum_term(i, static_cast<std::uint8_t>(data[i]));
  return sum;
}

SentChecksums::SentChecksums(std::int32_t ranks, const Payload& payload)
    : ranks_(ranks), parts_(static_cast<std::uint32_t>(payload.parts.size())), chunks_(payload.chunks),
      row_(static_cast<std::size_t>(ranks) * parts_ * chunks_), values_(row_ * ranks, 0) {}

std::size_t SentChecksums::index(BlockId block, std::uint32_t part, std::uint32_t chunk) const {
  if (block.src < 0 || block.src >= ranks_ || block.dst < 0 || block.dst >= ranks_ || part >= parts_ || chunk >= chunks_)
    throw std::out_of_range("piece " + std::to_string(block.src) + "->" + std::to_string(block.dst) + " part " +
                            std::to_string(part) + " chunk " + std::to_string(chunk) + " is outside the checksums");
  return static_cast<std::size_t>(block.src) * row_ + (static_cast<std::size_t>(block.dst) * parts_ + part) * chunks_ + chunk;
}

void SentChecksums::compute(const ProgramSet& programs, Rank src, const std::byte* send, std::uint64_t stride) {
  for (const Op& op : programs.programs.at(src).ops)
    if (op.kind == OpKind::send)
      values_[index(op.block, op.part, op.chunk)] = piece_checksum(send + send_offset(programs.payload, stride, op), op.bytes);
}

void SentChecksums::record(DeliveryLedger& ledger, const Payload& payload, Rank at, std::uint64_t dst_offset,
                           std::uint64_t stride, const Op& recv, std::uint64_t landed) const {
  Op arrived = recv;  // the piece the bytes are; the receive's own when they match its sender's
  if (values_[index(recv.block, recv.part, recv.chunk)] != landed) {
    arrived.block = {-1, -1};  // unknown unless some sender sent exactly these bytes
    for (std::size_t i = 0; i < values_.size(); ++i) {
      const auto src = static_cast<Rank>(i / row_), dst = static_cast<Rank>(i % row_ / (parts_ * chunks_));
      if (src == dst || values_[i] != landed) continue;  // diagonal blocks are copied, never sent
      arrived.block = {src, dst};
      arrived.part = static_cast<std::uint16_t>(i % (parts_ * chunks_) / chunks_);
      arrived.chunk = static_cast<std::uint32_t>(i % chunks_);
      break;
    }
  }
  record_landed(ledger, payload, at, dst_offset, stride, arrived);
}

std::size_t receive_count(const Program& program) {
  std::size_t n = 0;
  for (const Op& op : program.ops) n += op.kind == OpKind::recv;
  return n;
}

void SentChecksums::record_receives(DeliveryLedger& ledger, const ProgramSet& programs, Rank at, std::uint64_t stride,
                                    std::span<const std::uint64_t> landed) const {
  const Program& p = programs.programs.at(at);
  if (landed.size() != receive_count(p))
    throw std::invalid_argument("rank " + std::to_string(at) + " has " + std::to_string(receive_count(p)) +
                                " receives but " + std::to_string(landed.size()) + " landed checksums");
  std::size_t k = 0;
  for (const Op& op : p.ops)
    if (op.kind == OpKind::recv) record(ledger, programs.payload, at, recv_offset(programs.payload, stride, op), stride, op, landed[k++]);
}

}  // namespace ua2a
