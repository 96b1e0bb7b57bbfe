#pragma once
// A serial transport for tests: drives the matcher in one thread and copies each piece, like the
// real ones. `misroute_src` writes every piece from that source into another source's slot; the
// ledger entry comes from record_landed with the offset actually written (as in the real
// transports), so the fake does not choose what the ledger sees.
#include <cstring>

#include "backend/transport.h"

namespace ua2a::test {

class FakeTransport : public Transport {
 public:
  std::string name() const override { return "fake"; }
  void execute(const ProgramSet& programs, const ExchangeBuffers& buffers, DeliveryLedger* ledger) override {
    ++calls;
    const std::uint64_t stride = buffers.block_stride;
    for (Rank r = 0; r < programs.ranks; ++r)
      std::memcpy(buffers.ranks[r].recv + r * stride, buffers.ranks[r].send + r * stride,
                  programs.payload.block_bytes());
    drive_serially(programs, [&](const Op& send, Rank from, const Op& recv, Rank to) {
      Rank slot = recv.block.src;
      if (misroute_src == from && programs.ranks > 2) slot = (from + 1) % programs.ranks == to ? (from + 2) % programs.ranks : (from + 1) % programs.ranks;
      const std::uint64_t within = recv_offset(programs.payload, stride, recv) - recv.block.src * stride;
      const std::uint64_t dst = slot * stride + within;
      std::memcpy(buffers.ranks[to].recv + dst, buffers.ranks[from].send + send_offset(programs.payload, stride, send),
                  recv.bytes);
      if (ledger) record_landed(*ledger, programs.payload, to, dst, stride, send);
    });
  }
  int calls = 0;
  Rank misroute_src = -1;
};

}  // namespace ua2a::test
