#include "backend/transport.h"

#include <sstream>

#include "backend/layout.h"
#include "schedule/matcher.h"

namespace ua2a {

std::uint64_t send_offset(const Payload& payload, std::uint64_t stride, const Op& op) {
  return static_cast<std::uint64_t>(op.block.dst) * stride + piece_offset(payload, op.part, op.chunk);
}

std::uint64_t recv_offset(const Payload& payload, std::uint64_t stride, const Op& op) {
  return static_cast<std::uint64_t>(op.block.src) * stride + piece_offset(payload, op.part, op.chunk);
}

void record_landed(DeliveryLedger& ledger, const Payload& payload, Rank at, std::uint64_t dst_offset,
                   std::uint64_t stride, const Op& send) {
  const bool at_its_offset = dst_offset % stride == piece_offset(payload, send.part, send.chunk);
  const Rank slot = at_its_offset ? static_cast<Rank>(dst_offset / stride) : -1;
  ledger.record(at, slot, send.block, send.part, send.chunk);
}

std::string describe_stuck(const Matcher& matcher) {
  std::ostringstream s;
  const ProgramSet& p = matcher.programs();
  int listed = 0;
  for (Rank r = 0; r < p.ranks && listed < 8; ++r) {
    if (matcher.rank_done(r)) continue;
    ++listed;
    s << "\n  rank " << r << " at step " << matcher.current_step(r) << " waits on";
    for (const OpRef& o : matcher.pending(r)) s << " " << describe(matcher.op(o));
  }
  return s.str();
}

namespace {

void throw_mismatch(const Matcher& m) {
  const Mismatch& x = m.mismatches().front();
  throw TransportError("program mismatch: rank " + std::to_string(x.send.rank) + " " + describe(m.op(x.send)) +
                       " matched rank " + std::to_string(x.recv.rank) + " " + describe(m.op(x.recv)) + " (" + x.what +
                       "): the programs do not belong together");
}

}  // namespace

void drive_serially(const ProgramSet& programs,
                    const std::function<void(const Op& send, Rank from, const Op& recv, Rank to)>& move) {
  Matcher m(programs);
  m.start();
  Match match;
  while (m.pop_match(match)) {
    if (!m.mismatches().empty()) throw_mismatch(m);
    move(m.op(match.send), match.send.rank, m.op(match.recv), match.recv.rank);
    m.complete(match);
  }
  if (!m.mismatches().empty()) throw_mismatch(m);
  if (!m.finished())
    throw TransportError("the programs deadlock under zero-buffer rendezvous (discipline '" + programs.discipline +
                         "'); use paired-half, paired-full or grouped:" + describe_stuck(m));
}

void check_programs(const ProgramSet& programs) {
  drive_serially(programs, [](const Op&, Rank, const Op&, Rank) {});
}

}  // namespace ua2a
