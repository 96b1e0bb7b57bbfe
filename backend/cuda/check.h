#pragma once
/// Check macros as in nccl-tests (every CUDA call wrapped, with file, line and call text), except
/// that they throw TransportError, as design.md asks, instead of returning codes.
#include <cuda_runtime.h>

#include <string>

#include "backend/transport.h"

namespace ua2a {

[[noreturn]] inline void throw_cuda(cudaError_t e, const char* call, const char* file, int line) {
  throw TransportError(std::string("CUDA error ") + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ") in " + call +
                       " at " + file + ":" + std::to_string(line));
}

}  // namespace ua2a

#define UA2A_CUDA_CHECK(call)                                                    \
  do {                                                                           \
    const cudaError_t ua2a_err_ = (call);                                        \
    if (ua2a_err_ != cudaSuccess) ::ua2a::throw_cuda(ua2a_err_, #call, __FILE__, __LINE__); \
  } while (0)
