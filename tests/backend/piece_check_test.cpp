// The ledger of a transport that never sees the match (NCCL): arrivals identified by the sender's
// checksum of each piece, checked where the piece lands. A piece paired with the wrong receive is
// planted and must be seen; recording from the receive op alone (what nccl did) cannot see it.
#include <gtest/gtest.h>

#include <cstring>

#include "backend/piece_check.h"
#include "backend/transport.h"
#include "schedule/generators.h"
#include "schedule/lower.h"
#include "schedule/payload.h"

using namespace ua2a;

TEST(PieceChecksum, ChangesWithAByteAPositionOrTheLength) {
  std::vector<std::byte> a(1000);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<std::byte>(i * 7 + 3);
  const std::uint64_t base = piece_checksum(a.data(), a.size());
  auto b = a;
  b[517] ^= std::byte{1};
  EXPECT_NE(piece_checksum(b.data(), b.size()), base) << "one bit flipped";
  b = a;
  std::swap(b[10], b[11]);
  EXPECT_NE(piece_checksum(b.data(), b.size()), base) << "two bytes swapped";
  EXPECT_NE(piece_checksum(a.data(), a.size() - 1), base) << "one byte shorter";
  EXPECT_NE(piece_checksum(a.data() + 1, a.size() - 1), piece_checksum(a.data(), a.size() - 1)) << "shifted by one";
  // Zeros of different lengths differ too (the length's term).
  const std::vector<std::byte> zeros(64);
  EXPECT_NE(piece_checksum(zeros.data(), 32), piece_checksum(zeros.data(), 64));
  // The sum is over bytes: splitting a piece and adding the parts' terms gives the whole.
  EXPECT_EQ(piece_checksum(a.data(), a.size()) - checksum_length_term(a.size()),
            piece_checksum(a.data(), 400) - checksum_length_term(400) + [&] {
              std::uint64_t s = 0;
              for (std::size_t i = 400; i < a.size(); ++i) s += checksum_term(i, static_cast<std::uint8_t>(a[i]));
              return s;
            }());
}

namespace {

/// N ranks' send and receive buffers; every send byte distinct per (src, dst, position).
struct Buffers {
  std::uint64_t stride;
  std::vector<std::vector<std::byte>> send, recv;
  Buffers(std::int32_t n, std::uint64_t stride_bytes) : stride(stride_bytes) {
    send.assign(n, std::vector<std::byte>(n * stride));
    recv.assign(n, std::vector<std::byte>(n * stride, std::byte{0xFF}));
    for (Rank s = 0; s < n; ++s)
      for (std::uint64_t i = 0; i < n * stride; ++i)
        send[s][i] = static_cast<std::byte>(checksum_term(static_cast<std::uint64_t>(s) << 32 | i, 0) & 0xFF);
  }
};

/// What NCCL does with each (send, receive) pair, optionally wrong: the data of `swap_with`'s send
/// goes to the receive of `planted` instead of its own sender's. Returns, per rank, the checksum
/// of what each receive found (program order), as the GPU computes it after the step.
std::vector<std::vector<std::uint64_t>> deliver(const ProgramSet& p, Buffers& b, int planted = -1, int swap_with = -1) {
  std::vector<std::pair<Op, Rank>> sends;  // in match order
  std::vector<std::pair<Op, Rank>> recvs;
  drive_serially(p, [&](const Op& send, Rank from, const Op& recv, Rank to) {
    sends.push_back({send, from});
    recvs.push_back({recv, to});
  });
  for (std::size_t m = 0; m < recvs.size(); ++m) {
    const auto& [send, from] = sends[static_cast<int>(m) == planted ? swap_with : m];
    const auto& [recv, to] = recvs[m];
    std::memcpy(b.recv[to].data() + recv_offset(p.payload, b.stride, recv),
                b.send[from].data() + send_offset(p.payload, b.stride, send), recv.bytes);
  }
  std::vector<std::vector<std::uint64_t>> landed(p.ranks);
  for (Rank r = 0; r < p.ranks; ++r)
    for (const Op& op : p.programs[r].ops)
      if (op.kind == OpKind::recv)
        landed[r].push_back(piece_checksum(b.recv[r].data() + recv_offset(p.payload, b.stride, op), op.bytes));
  return landed;
}

/// The ledger from the content: the senders' checksums, then every receive identified.
LedgerReport by_content(const ProgramSet& p, const Buffers& b, const std::vector<std::vector<std::uint64_t>>& landed) {
  SentChecksums sent(p.ranks, p.payload);
  for (Rank r = 0; r < p.ranks; ++r) sent.compute(p, r, b.send[r].data(), b.stride);
  DeliveryLedger ledger(p.ranks, p.payload);
  for (Rank r = 0; r < p.ranks; ++r) sent.record_receives(ledger, p, r, b.stride, landed[r]);
  return ledger.report();
}

ProgramSet programs() {
  // Unmerged with 2 chunks: 12 pieces per block, equal sizes within a part, so a wrong pairing
  // of two same-sized pieces moves the right number of bytes to the wrong place, as NCCL would.
  return lower(generate("round-robin", 4, uniform_payload(3 * 2 * 64, false, 2)), Discipline::paired_full);
}

}  // namespace

TEST(LedgerByContent, ExactDeliveryIsExactlyOnce) {
  const ProgramSet p = programs();
  Buffers b(4, 512);
  const LedgerReport r = by_content(p, b, deliver(p, b));
  EXPECT_TRUE(r.ok()) << r.summary();
  EXPECT_EQ(r.arrived, 4u * 3 * p.payload.pieces_per_block());
}

TEST(LedgerByContent, APiecePairedWithTheWrongReceiveIsMisplaced) {
  const ProgramSet p = programs();
  Buffers b(4, 512);
  // Match 5's receive gets match 9's piece: same size, another source or part.
  const auto landed = deliver(p, b, 5, 9);
  const LedgerReport r = by_content(p, b, landed);
  EXPECT_EQ(r.misplaced_count, 1u) << r.summary();
  EXPECT_EQ(r.missing_count, 1u) << r.summary();  // the piece match 5 should have brought
  EXPECT_EQ(r.duplicated_count, 0u) << r.summary();
  ASSERT_EQ(r.misplaced.size(), 1u);
  EXPECT_GE(r.misplaced[0].block.src, 0) << "identified as a known piece: " << r.summary();

  // What the nccl transport recorded before: each receive's own op. Blind to the same fault.
  DeliveryLedger blind(p.ranks, p.payload);
  for (Rank r2 = 0; r2 < p.ranks; ++r2)
    for (const Op& op : p.programs[r2].ops)
      if (op.kind == OpKind::recv) record_landed(blind, p.payload, r2, recv_offset(p.payload, b.stride, op), b.stride, op);
  EXPECT_TRUE(blind.report().ok());
}

TEST(LedgerByContent, BytesNoSenderSentAreAnUnknownArrival) {
  const ProgramSet p = programs();
  Buffers b(4, 512);
  deliver(p, b);
  // One receive of rank 2 found corrupted bytes: its checksum matches no sender's piece.
  const Op* recv = nullptr;
  for (const Op& op : p.programs[2].ops)
    if (op.kind == OpKind::recv && !recv) recv = &op;
  ASSERT_NE(recv, nullptr);
  b.recv[2][recv_offset(p.payload, b.stride, *recv) + 3] ^= std::byte{0x40};
  const auto landed = [&] {
    std::vector<std::vector<std::uint64_t>> l(p.ranks);
    for (Rank r = 0; r < p.ranks; ++r)
      for (const Op& op : p.programs[r].ops)
        if (op.kind == OpKind::recv)
          l[r].push_back(piece_checksum(b.recv[r].data() + recv_offset(p.payload, b.stride, op), op.bytes));
    return l;
  }();
  const LedgerReport r = by_content(p, b, landed);
  EXPECT_EQ(r.misplaced_count, 1u) << r.summary();
  ASSERT_EQ(r.misplaced.size(), 1u);
  EXPECT_EQ(r.misplaced[0].block.src, -1);
  EXPECT_EQ(r.missing_count, 1u);
}

TEST(LedgerByContent, ACountMismatchIsRefused) {
  const ProgramSet p = programs();
  SentChecksums sent(p.ranks, p.payload);
  DeliveryLedger ledger(p.ranks, p.payload);
  const std::vector<std::uint64_t> none;
  EXPECT_THROW(sent.record_receives(ledger, p, 0, 512, none), std::invalid_argument);
}
