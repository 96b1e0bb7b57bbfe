#include "backend/mpi_world.h"

#include "backend/transport.h"

#include <stdexcept>
#include <string>

#if UA2A_HAVE_MPI
#include <mpi.h>

#include <cstdlib>
#endif

namespace ua2a {

#if UA2A_HAVE_MPI

namespace {

void check(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  // A failure of the machine at run time (exit 3), not of the user's input.
  throw TransportError(std::string("MPI error in ") + call + ": " + std::string(text, len));
}

void finalize_at_exit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

}  // namespace

bool mpi_available() { return true; }

MpiWorld mpi_world() {
  int initialized = 0;
  check(MPI_Initialized(&initialized), "MPI_Initialized");
  if (!initialized) {
    // Only the calling thread talks to MPI (the id broadcast); NCCL's rank threads never do.
    int provided = 0;
    check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    std::atexit(finalize_at_exit);
  }
  MpiWorld w;
  check(MPI_Comm_rank(MPI_COMM_WORLD, &w.rank), "MPI_Comm_rank");
  check(MPI_Comm_size(MPI_COMM_WORLD, &w.size), "MPI_Comm_size");
  return w;
}

void mpi_broadcast(void* data, std::size_t bytes, int root) {
  check(MPI_Bcast(data, static_cast<int>(bytes), MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Bcast");
}

#else

namespace {

[[noreturn]] void no_mpi() {
  throw std::invalid_argument("this build has no MPI: install Open MPI (libopenmpi-dev) and reconfigure, or pass the "
                              "NCCL unique id through a file with --rank and --nccl-id-file");
}

}  // namespace

bool mpi_available() { return false; }
MpiWorld mpi_world() { no_mpi(); }
void mpi_broadcast(void*, std::size_t, int) { no_mpi(); }

#endif

}  // namespace ua2a
