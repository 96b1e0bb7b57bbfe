#pragma once
/// The byte layouts of one merged-QKV Ulysses attention layer, shared by the CPU and CUDA paths.
///
/// Per rank r (N ranks, H heads, h = H / N, D head dim, s image tokens per rank, L text tokens):
///   inputs   q, k, v       [s, H, D]  (own image tokens, all heads)
///            text q, k, v  [L, H, D]  (replicated on every rank)
///   send     N blocks, block j at j * stride: q-block | k-block | v-block, each [s, h, D] of heads
///            j*h .. j*h+h-1, token-major; with FP8: the three e4m3 payloads [s, h, D] (1 byte) then
///            3*s*h float32 scales (row = token, head, in q, k, v order). Bytes per block equal
///            ulysses_payload(merged); stride rounds it up to kBlockAlign.
///   recv     the same N slots; slot j holds the block from source j.
///   attn     q, k, v [N*s + L, h, D]: source j's tokens at rows j*s .., text last.
///   out      attention output [N*s + L, h, D]; the reverse exchange sends rows j*s .. j*s+s-1 to
///            rank j ([s, h, D], FP8 likewise with s*h scales) and the receiver writes them to
///            heads j*h .. of the layer output [s, H, D]. Text output stays [L, h, D] per rank.
#include <cstdint>
#include <string>

#include "backend/numeric.h"
#include "schedule/block.h"
#include "schedule/payload.h"

// RowMap's index helpers run in the CUDA kernels too.
#if defined(__CUDACC__)
#define UA2A_HOST_DEVICE __host__ __device__
#else
#define UA2A_HOST_DEVICE
#endif

namespace ua2a {

/// The global shape of one layer.
struct LayerShape {
  std::int32_t ranks = 8;         ///< N
  std::uint64_t seq_per_rank = 64; ///< s
  std::uint64_t heads = 16;       ///< H (all heads)
  std::uint64_t head_dim = 64;    ///< D
  std::uint64_t text_tokens = 0;  ///< L
  ElemType elem = ElemType::bf16;
  bool fp8 = false;  ///< FP8 e4m3 on the wire, float32 scale per (token, head, tensor) row
  /// S, the real image tokens when the sequence was padded up to N*s (S not divisible by N, as a
  /// model pads it); 0: no padding (S = N*s). The padding tokens are the last N*s - S image
  /// tokens (the last ranks' tails): exchanged like the others, masked as keys in attention, and
  /// their outputs are not part of the result.
  std::uint64_t image_tokens = 0;

  std::uint64_t heads_per_rank() const { return heads / static_cast<std::uint64_t>(ranks); }
  std::uint64_t attn_tokens() const { return ranks * seq_per_rank + text_tokens; }  ///< N*s + L
  std::uint64_t padded_image_tokens() const { return ranks * seq_per_rank; }         ///< N*s
  std::uint64_t real_image_tokens() const { return image_tokens ? image_tokens : padded_image_tokens(); }  ///< S
  /// Whether global image token g (rank * s + local token) is padding.
  bool is_padding(std::uint64_t g) const { return g >= real_image_tokens() && g < padded_image_tokens(); }
};

/// Throws std::invalid_argument naming the input and the fix: H % N, head dims other than 64 and
/// 128, empty shapes, more real image tokens than N*s.
void validate(const LayerShape& shape);

/// Blocks start at multiples of this in the send and receive buffers (vector loads, DMA).
inline constexpr std::uint64_t kBlockAlign = 256;

/// Sizes and offsets in bytes of one rank's buffers.
struct LayerPlan {
  LayerShape shape;
  std::uint64_t fwd_block_bytes = 0;   ///< = ulysses_payload(qkv, merged).block_bytes()
  std::uint64_t fwd_block_stride = 0;
  std::uint64_t rev_block_bytes = 0;   ///< = ulysses_payload(out, merged).block_bytes()
  std::uint64_t rev_block_stride = 0;
  std::uint64_t input_bytes = 0;       ///< one of q, k, v: s*H*D elements
  std::uint64_t text_bytes = 0;        ///< one of the text q, k, v: L*H*D elements
  std::uint64_t attn_tensor_bytes = 0; ///< one of q, k, v, out in attention layout
  /// Workspace regions. A = forward send, then attention q|k|v, then reverse receive;
  /// B = forward receive, then reverse send; O = attention output. Each phase's data is dead
  /// before the next reuses its region, so peak memory is A + B + O.
  std::uint64_t region_a_bytes = 0;
  std::uint64_t region_b_bytes = 0;
  std::uint64_t region_o_bytes = 0;
  std::uint64_t workspace_bytes() const { return region_a_bytes + region_b_bytes + region_o_bytes; }
  std::uint64_t fwd_buffer_bytes() const { return fwd_block_stride * shape.ranks; }
  std::uint64_t rev_buffer_bytes() const { return rev_block_stride * shape.ranks; }
};

/// Validates `shape` and lays out its buffers.
LayerPlan make_plan(const LayerShape& shape);

/// Byte offset of piece (part, chunk) inside a block: parts back to back in payload order, each
/// cut into chunks as Payload::chunk_bytes does. Merged and unmerged payloads of the same shape
/// therefore put every byte at the same place. Sender and receiver both use this.
std::uint64_t piece_offset(const Payload& payload, std::uint32_t part, std::uint32_t chunk);

/// Which rows a pack or unpack moves. A "row" is D contiguous elements: (token, head) of one
/// tensor. Block j, tensor t, row (tok, hh) sits at the far side ("strided") at
///   ((j * tok_per_block + tok) * heads_total + j * head_per_block + hh) * D elements
/// of tensor t. The [s, H, D] side (forward pack, reverse unpack): tok_per_block = 0,
/// heads_total = H, head_per_block = h. The [N*s + L, h, D] side (forward unpack, reverse pack):
/// tok_per_block = s, heads_total = h, head_per_block = 0.
struct RowMap {
  std::uint32_t blocks = 0;         ///< N
  std::uint32_t tensors = 3;        ///< 3 (q, k, v) or 1 (out)
  std::uint64_t seq = 0;            ///< s: tokens per block
  std::uint64_t heads = 0;          ///< h: heads per block
  std::uint64_t head_dim = 0;       ///< D
  std::uint64_t tok_per_block = 0;
  std::uint64_t heads_total = 0;
  std::uint64_t head_per_block = 0;
  std::uint64_t block_stride = 0;   ///< bytes between blocks in the packed buffer
  bool fp8 = false;

  UA2A_HOST_DEVICE std::uint64_t rows_per_block() const { return tensors * seq * heads; }
  /// Element offset of row (block j, tensor t, tok, hh) inside strided tensor t.
  UA2A_HOST_DEVICE std::uint64_t strided_row(std::uint64_t j, std::uint64_t tok, std::uint64_t hh) const {
    return ((j * tok_per_block + tok) * heads_total + j * head_per_block + hh) * head_dim;
  }
};

/// Throws std::invalid_argument, naming the pointer, unless the map.tensors strided tensors and
/// the packed buffer start on 16-byte boundaries: the GPU pack and unpack move every row as
/// 16-byte vectors (rows are D = 64 or 128 elements, blocks kBlockAlign apart, so the starts
/// decide). pack_gpu and unpack_gpu check it before every launch.
void check_vector_alignment(const RowMap& map, const void* const* tensors, const void* packed);

/// The row map of packing for exchange `e` (qkv: from the inputs [s, H, D]; out: from the
/// attention output [N*s + L, h, D]) and of unpacking (qkv: into the attention layout; out: into
/// the layer output [s, H, D]).
RowMap pack_map(const LayerPlan& plan, Exchange e);
RowMap unpack_map(const LayerPlan& plan, Exchange e);

}  // namespace ua2a
