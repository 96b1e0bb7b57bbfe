#pragma once
/// Event timing shared by the GPU benchmarks.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "backend/cuda/check.h"

namespace ua2a {

/// Times `f` on `stream` with events: mean seconds over `iterations` after one warm-up call.
template <class F>
double time_on(cudaStream_t stream, std::uint32_t iterations, F&& f) {
  cudaEvent_t a, b;
  UA2A_CUDA_CHECK(cudaEventCreate(&a));
  UA2A_CUDA_CHECK(cudaEventCreate(&b));
  f();
  UA2A_CUDA_CHECK(cudaEventRecord(a, stream));
  for (std::uint32_t i = 0; i < iterations; ++i) f();
  UA2A_CUDA_CHECK(cudaEventRecord(b, stream));
  UA2A_CUDA_CHECK(cudaEventSynchronize(b));
  float ms = 0;
  UA2A_CUDA_CHECK(cudaEventElapsedTime(&ms, a, b));
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  return ms * 1e-3 / std::max(1u, iterations);
}

}  // namespace ua2a
