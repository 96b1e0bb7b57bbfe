#pragma once
/// The `cuda-peer` transport's schedule as plain data, so the CPU can test it: the matcher's
/// zero-buffer rendezvous turned into stream commands (copy, record event, wait event), in one
/// global order in which the host must enqueue them (every record before the waits on it, as
/// cudaStreamWaitEvent waits for the latest record enqueued before it).
///
/// Per rank x entering step k: wait for the "done" events of copies that read x's send buffer in
/// steps before k, then record "ready(x, k)". A match (a's send at step ka, b's receive at step
/// kb) is, on b's stream: wait ready(a, ka), copy, record done; a's stream waits on done before
/// its step ka + 1, and at the end of the exchange (so later work may reuse the send buffer).
///
/// PeerPlanOptions change who issues the copy and on which stream, for measurements:
///  - sender_issues: the copy runs on a's stream after ready(b, kb) (the source writes to the
///    destination) and b waits on its done event before step kb + 1; by default b issues it (the
///    destination reads from the source).
///  - lane_per_peer: the copy runs on a side stream of the issuing rank, one per peer (a lane),
///    which first waits for the issuer's own ready event; the issuer's stream then waits on the
///    copy's done event too. A rank's copies of one step then run at once instead of one after
///    another on its one stream, as flows "started together" do.
#include <cstdint>
#include <vector>

#include "schedule/program.h"

namespace ua2a {

struct StreamCommand {
  enum class Kind : std::uint8_t { wait, record, copy };
  Kind kind = Kind::copy;
  Rank stream = 0;          ///< the rank whose stream runs it
  std::int32_t lane = -1;   ///< -1: the rank's own stream; p >= 0: its side stream for peer p
  std::uint32_t event = 0;  ///< wait / record: the event (each recorded exactly once per plan)
  // copy:
  Rank from = 0;                 ///< rank whose send buffer is read
  std::uint64_t src_offset = 0;  ///< in `from`'s send buffer
  Rank to = 0;                   ///< rank whose receive buffer is written (= stream by default)
  std::uint64_t dst_offset = 0;  ///< in `to`'s receive buffer
  std::uint64_t bytes = 0;
  std::uint32_t from_step = 0;   ///< the steps of the send and the receive (for tests)
  std::uint32_t to_step = 0;
  Op send;                       ///< the sender's op (the diagonal copy op for local copies)
};

struct StreamPlan {
  std::vector<StreamCommand> commands;  ///< in enqueue order
  std::uint32_t events = 0;             ///< event ids are 0 .. events-1
};

struct PeerPlanOptions {
  bool sender_issues = false;  ///< the source's stream issues each copy (it writes); else the destination's
  bool lane_per_peer = false;  ///< each copy on the issuer's side stream for its peer (see above)
};

/// Plans `programs` over buffers of `block_stride` bytes per block. Throws TransportError for a
/// mismatched or deadlocking program (nothing is planned then).
StreamPlan plan_peer_copies(const ProgramSet& programs, std::uint64_t block_stride, const PeerPlanOptions& options = {});

}  // namespace ua2a
