#pragma once
/// Check macros as in nccl-tests (every CUDA call wrapped, with file, line and call text), except
/// that they throw TransportError, as design.md asks, instead of returning codes.
#include <cuda_runtime.h>

#include <cstdio>
#include <string>

#include "backend/transport.h"

namespace ua2a {

[[noreturn]] inline void throw_cuda(cudaError_t e, const char* call, const char* file, int line) {
  throw TransportError(std::string("CUDA error ") + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ") in " + call +
                       " at " + file + ":" + std::to_string(line));
}

/// For destructors, which must not throw: reports a failed call on stderr and returns false.
inline bool warn_cuda(cudaError_t e, const char* call, const char* file, int line) noexcept {
  if (e == cudaSuccess) return true;
  std::fprintf(stderr, "ulysses-a2a: warning: CUDA error %s in %s at %s:%d\n", cudaGetErrorName(e), call, file, line);
  return false;
}

}  // namespace ua2a

/// True when the call succeeded; otherwise warns on stderr (destructors and cleanup paths).
#define UA2A_CUDA_WARN(call) ::ua2a::warn_cuda((call), #call, __FILE__, __LINE__)

#define UA2A_CUDA_CHECK(call)                                                    \
  do {                                                                           \
    const cudaError_t ua2a_err_ = (call);                                        \
    if (ua2a_err_ != cudaSuccess) ::ua2a::throw_cuda(ua2a_err_, #call, __FILE__, __LINE__); \
  } while (0)
