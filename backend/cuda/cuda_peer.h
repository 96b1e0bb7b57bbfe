#pragma once
/// The `cuda-peer` transport: one process, every rank's buffers on some visible GPU (several
/// ranks may share one: on a one-GPU machine 8 virtual ranks do), a stream per rank.
///
/// The schedule's Matcher is turned into stream work by plan_peer_copies (../peer_plan.h, tested
/// on the CPU): per-rank "ready" events at step starts, a copy on the receiver's stream after the
/// sender's ready event, a "done" event the sender waits on before its next step. That is exactly
/// zero-buffer rendezvous in the program's step order; the two directions of one step stay
/// concurrent. This file only enqueues the plan (cudaMemcpyPeerAsync, cudaEventRecord,
/// cudaStreamWaitEvent). Each arrival is recorded in the ledger by a host function queued behind
/// its copy on the same stream (record_landed.h): where the bytes landed, once they have landed;
/// the copy here is made from the matched send, so the sender's op names the piece (nccl, which
/// never sees the match, identifies pieces by their checksums instead: piece_check.h). The data
/// itself is also checked after the run. TransportOptions::peer_writes has the sender's stream issue
/// each copy instead, and peer_streams gives each (issuing rank, peer) a side stream of its own.
#include <memory>

#include "backend/transport.h"

namespace ua2a {

std::unique_ptr<Transport> make_cuda_peer_transport(const TransportOptions& options);

}  // namespace ua2a
