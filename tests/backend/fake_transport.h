#pragma once
// A serial transport for tests: drives the matcher in one thread and copies each piece, like the
// real ones. `misroute` writes every piece from `misroute_src` into the slot of the next source
// and records it there, to prove that the checks catch a routing bug.
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
      std::memcpy(buffers.ranks[to].recv + slot * stride + within,
                  buffers.ranks[from].send + send_offset(programs.payload, stride, send), recv.bytes);
      if (ledger) ledger->record(to, slot, send.block, send.part, send.chunk);
    });
  }
  int calls = 0;
  Rank misroute_src = -1;
};

}  // namespace ua2a::test
