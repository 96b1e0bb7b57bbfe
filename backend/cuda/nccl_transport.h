#pragma once
/// The `nccl` transport: one rank per GPU, ncclSend / ncclRecv, one ncclGroupStart/End per step
/// of the rank's program (stream order then gives "step i+1 after step i").
///
/// Modes: one process driving every local GPU (communicators created together in one group,
/// as ncclCommInitAll does, and one host thread per rank so no rank's group blocks another's),
/// or one process per GPU (TransportOptions::process_rank), the unique id passed through a file
/// (rank 0 writes TransportOptions::nccl_id_file, the others wait for it) or through MPI
/// (TransportOptions::mpi: MPI_Bcast from rank 0, under mpirun), across machines too.
/// Communicators are non-blocking; every wait polls ncclCommGetAsyncError against a deadline and
/// aborts all communicators (ncclCommAbort) with a clear error instead of hanging. Two ranks on
/// one GPU are refused up front: NCCL does not support them.
#include <memory>

#include "backend/transport.h"

namespace ua2a {

std::unique_ptr<Transport> make_nccl_transport(const TransportOptions& options);

/// What one GPU can exercise of NCCL, where no second rank exists to exchange with: a one-rank
/// communicator on `device` (non-blocking, as the transport makes them) sends `bytes` bytes to
/// itself in one group (ncclSend + ncclRecv to peer 0), the received bytes are compared with the
/// sent ones, and the communicator is finalized and destroyed; a second one does the same and is
/// aborted (ncclCommAbort, the transport's error path); a third, made after the abort, exchanges
/// once more. Returns NCCL's version; throws TransportError naming the stage that failed.
int nccl_one_rank_check(int device, std::uint64_t bytes, double timeout_s);

}  // namespace ua2a
