// piece_checksum on the GPU: the same sum of per-byte terms as the CPU (../piece_check.h), each
// thread summing a grid-strided share, a warp sum, one atomicAdd per warp. Byte loads: pieces
// start and end anywhere (chunks cut at any byte); the checksum runs on checked runs only.
#include <algorithm>

#include "backend/cuda/check.h"
#include "backend/cuda/kernels.h"
#include "backend/piece_check.h"

namespace ua2a {

namespace {

constexpr int kThreads = 256;

__global__ void __launch_bounds__(kThreads) checksum_kernel(const unsigned char* data, std::uint64_t bytes,
                                                            unsigned long long* out) {
  std::uint64_t sum = 0;
  const std::uint64_t stride = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  for (std::uint64_t i = static_cast<std::uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < bytes; i += stride)
    sum += checksum_term(i, data[i]);
  if (blockIdx.x == 0 && threadIdx.x == 0) sum += checksum_length_term(bytes);
  for (int off = 16; off > 0; off /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, off);
  if (threadIdx.x % 32 == 0) atomicAdd(out, static_cast<unsigned long long>(sum));
}

}  // namespace

void piece_checksum_gpu(const std::byte* data, std::uint64_t bytes, std::uint64_t* out, cudaStream_t stream) {
  constexpr std::uint64_t kBytesPerThread = 16, kMaxBlocks = 1024;
  const std::uint64_t blocks = std::clamp<std::uint64_t>((bytes + kThreads * kBytesPerThread - 1) / (kThreads * kBytesPerThread),
                                                         1, kMaxBlocks);
  UA2A_CUDA_CHECK(cudaMemsetAsync(out, 0, sizeof *out, stream));
  checksum_kernel<<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(reinterpret_cast<const unsigned char*>(data), bytes,
                                                                            reinterpret_cast<unsigned long long*>(out));
  UA2A_CUDA_CHECK(cudaGetLastError());
}

}  // namespace ua2a
