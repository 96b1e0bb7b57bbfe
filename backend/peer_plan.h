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
#include <cstdint>
#include <vector>

#include "schedule/program.h"

namespace ua2a {

struct StreamCommand {
  enum class Kind : std::uint8_t { wait, record, copy };
  Kind kind = Kind::copy;
  Rank stream = 0;          ///< the rank whose stream runs it
  std::uint32_t event = 0;  ///< wait / record: the event (each recorded exactly once per plan)
  // copy:
  Rank from = 0;                 ///< rank whose send buffer is read
  std::uint64_t src_offset = 0;  ///< in `from`'s send buffer
  std::uint64_t dst_offset = 0;  ///< in `stream`'s receive buffer
  std::uint64_t bytes = 0;
  std::uint32_t from_step = 0;   ///< the steps of the send and the receive (for tests)
  std::uint32_t to_step = 0;
  Op send;                       ///< the sender's op (the diagonal copy op for local copies)
};

struct StreamPlan {
  std::vector<StreamCommand> commands;  ///< in enqueue order
  std::uint32_t events = 0;             ///< event ids are 0 .. events-1
};

/// Plans `programs` over buffers of `block_stride` bytes per block. Throws TransportError for a
/// mismatched or deadlocking program (nothing is planned then).
StreamPlan plan_peer_copies(const ProgramSet& programs, std::uint64_t block_stride);

}  // namespace ua2a
