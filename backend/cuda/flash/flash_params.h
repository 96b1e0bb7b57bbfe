#pragma once
// Flash attention, layer 1 and 2 (FlashAttention's layering): the POD params of one launch and
// the traits of each configuration. Layer 3 is flash_launch.cu, layer 4 flash_kernel.cuh.
#include <cstdint>

namespace ua2a::flash {

/// POD parameters of one launch. Tensors are [seq, heads, head_dim] row-major (the layout the
/// Ulysses unpack writes), so token t of head h starts at (t * heads + h) * head_dim.
struct Params {
  const void* q;
  const void* k;
  const void* v;
  void* out;
  int seq;
  int heads;
  int row_stride;      // heads * head_dim: elements between consecutive tokens
  float scale_log2;    // softmax scale * log2(e): exp(x * scale) = exp2(x * scale_log2)
};

/// Tile sizes per configuration. 4 warps, each owning 16 query rows; K and V double-buffered.
template <int kHeadDim_>
struct Traits {
  static constexpr int kHeadDim = kHeadDim_;
  static constexpr int kWarps = 4;
  static constexpr int kThreads = kWarps * 32;
  static constexpr int kBlockM = 16 * kWarps;   // query rows per block
  static constexpr int kBlockN = 64;            // keys per iteration
  static constexpr int kPad = 8;                // smem row padding (elements): breaks bank conflicts
  static constexpr int kPitch = kHeadDim + kPad;
  static constexpr int kStages = 2;             // K/V buffers: load tile j+1 while computing tile j
  static constexpr int kSmemElems = kBlockM * kPitch + 2 * kStages * kBlockN * kPitch;
  static constexpr int kSmemBytes = kSmemElems * 2;
  static constexpr int kNTilesS = kBlockN / 8;   // n-tiles of the score tile
  static constexpr int kKSteps = kHeadDim / 16;  // k-steps of Q K^T
  static constexpr int kNTilesO = kHeadDim / 8;  // n-tiles of the output tile
  static_assert(kHeadDim % 16 == 0 && kBlockN % 16 == 0);
};

}  // namespace ua2a::flash
