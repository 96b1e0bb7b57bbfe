// Device discovery: a missing driver or no GPU is "0 devices", never an error.
#include <cuda_runtime.h>

#include "backend/runner.h"

namespace ua2a {

int gpu_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no device" / "no driver" error
    return 0;
  }
  return n;
}

}  // namespace ua2a
