#pragma once
/// The `cuda-peer` transport: one process, every rank's buffers on some visible GPU (several
/// ranks may share one: on a one-GPU machine 8 virtual ranks do), a stream per rank.
///
/// One host thread drives the schedule's Matcher and turns it into stream work: when rank x
/// enters step k it waits for the copies that read its send buffer in earlier steps and records
/// a "ready" event; each match (a's send at step ka, b's receive at step kb) becomes, on b's
/// stream, wait(ready(a, ka)) + cudaMemcpyPeerAsync + a "done" event that a's stream waits on
/// before its step ka + 1. That is exactly zero-buffer rendezvous with the program's step order;
/// the two directions of one step stay concurrent. Arrivals are recorded in the ledger when the
/// copy is enqueued (the data itself is checked after the run).
#include <memory>

#include "backend/transport.h"

namespace ua2a {

std::unique_ptr<Transport> make_cuda_peer_transport(const TransportOptions& options);

}  // namespace ua2a
