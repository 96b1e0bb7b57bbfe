#pragma once
/// Optional MPI bootstrap for the nccl transport across machines (Open MPI from Debian): the
/// rank and size of the job, and a broadcast for NCCL's unique id. Built with MPI when CMake
/// finds it (UA2A_HAVE_MPI); otherwise every call throws, naming the fix.
#include <cstddef>

namespace ua2a {

struct MpiWorld {
  int rank = 0;
  int size = 1;
};

/// True when this binary was built with MPI.
bool mpi_available();
/// Initialises MPI once (finalised at exit) and returns this process's rank and the job size.
MpiWorld mpi_world();
/// Broadcasts `bytes` at `data` from rank `root` to every rank of the job.
void mpi_broadcast(void* data, std::size_t bytes, int root);

}  // namespace ua2a
