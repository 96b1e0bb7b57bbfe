#pragma once
/// The `threads` transport: host buffers, one worker thread per rank, zero-buffer rendezvous.
/// The calling thread runs the schedule's Matcher; for every match the receiving rank's thread
/// copies the piece out of the sender's send buffer and reports back, and only then does the
/// matcher complete both operations (a send completes when its data has moved).
#include <memory>

#include "backend/transport.h"

namespace ua2a {

std::unique_ptr<Transport> make_cpu_threads_transport(const TransportOptions& options);

}  // namespace ua2a
