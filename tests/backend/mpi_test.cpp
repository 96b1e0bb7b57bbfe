// The optional MPI bootstrap: a singleton job (no mpirun) is rank 0 of 1 and broadcasts to itself.
#include <gtest/gtest.h>

#include <cstring>

#include "backend/mpi_world.h"

using namespace ua2a;

TEST(MpiWorld, SingletonJobIsRankZeroOfOne) {
  if (!mpi_available()) {
    EXPECT_THROW(mpi_world(), std::invalid_argument);  // names the fix instead of failing later
    GTEST_SKIP() << "built without MPI";
  }
  const MpiWorld w = mpi_world();
  EXPECT_EQ(w.rank, 0);
  EXPECT_EQ(w.size, 1);
  EXPECT_EQ(mpi_world().size, 1);  // initialises once
  char id[128];
  std::memset(id, 7, sizeof id);
  mpi_broadcast(id, sizeof id, 0);
  EXPECT_EQ(id[127], 7);
}
