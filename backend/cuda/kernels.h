#pragma once
/// The CUDA kernels of the layer (launch functions). Shapes and byte layouts: ../layout.h; the
/// CPU versions with the same layouts: ../cpu_kernels.h and ../attention.h. Every launch is
/// asynchronous on `stream` and allocates nothing.
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "backend/attention.h"
#include "backend/layout.h"

namespace ua2a {

/// Gathers the rows of `map` from device tensors src[0 .. map.tensors) into `packed` (device),
/// with fused e4m3 quantisation and per-row float32 scales when map.fp8. Needs 16-byte aligned
/// tensors and packed buffer (check_vector_alignment throws std::invalid_argument otherwise) and
/// D in {64, 128}.
void pack_gpu(const RowMap& map, ElemType elem, const void* const* src, std::byte* packed, cudaStream_t stream);
/// Scatters `packed` into dst[0 .. map.tensors), dequantising when map.fp8.
void unpack_gpu(const RowMap& map, ElemType elem, const std::byte* packed, void* const* dst, cudaStream_t stream);
/// Copies heads first_head .. first_head+heads-1 of text [tokens, heads_total, D] into rows
/// row0 .. of dst [*, heads, D] (one strided 2-D copy).
void append_text_gpu(const void* text, std::uint64_t tokens, std::uint64_t heads_total, std::uint64_t first_head,
                     std::uint64_t heads, std::uint64_t head_dim, void* dst, std::uint64_t row0, cudaStream_t stream);
/// The layer's attention: the flash kernel (flash/): tensor cores through mma.sync (sm_80-class,
/// runs on sm_89 and sm_90), online softmax in float32, K/V double-buffered with cp.async.
/// Needs 16-byte aligned tensors; D in {64, 128}; any sequence length. `block_n` picks the key
/// tile: 0 lets the device decide (flash_block_n); D = 128 also takes 32 and 64 explicitly, so
/// one GPU can test the configuration another GPU would choose.
void attention_forward(const AttentionParams& params, cudaStream_t stream, std::uint32_t block_n = 0);
/// Keys per tile of the flash kernel at `head_dim` on the current device: what the CPU mirror
/// attention_tiled_cpu needs to do the same arithmetic.
std::uint32_t flash_block_n(std::uint64_t head_dim);
/// Resident blocks per SM of the flash kernel (bf16) at (head_dim, block_n) on the current device,
/// from cudaOccupancyMaxActiveBlocksPerMultiprocessor with its shared memory (opted in as a
/// launch does): what docs/backend.md claims per GPU, measured.
int flash_blocks_per_sm(std::uint64_t head_dim, std::uint32_t block_n);
/// piece_checksum (../piece_check.h) of `bytes` bytes of device memory, written to *out (device
/// memory, overwritten), ordered on `stream`.
void piece_checksum_gpu(const std::byte* data, std::uint64_t bytes, std::uint64_t* out, cudaStream_t stream);
/// Simple attention in plain float32: one thread block per (16 query rows, head), K/V tiles of
/// 32 keys in shared memory. Slow; kept as a second GPU kernel to check the flash kernel against.
void attention_forward_simple(const AttentionParams& params, cudaStream_t stream);

}  // namespace ua2a
