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
  int pad_begin;       // keys [pad_begin, pad_end) are padding, masked like keys past the end
  int pad_end;
};

/// Tile sizes per configuration. 4 warps, each owning 16 query rows; K and V double-buffered.
///
/// Shared memory is the two K/V stages only: Q is read once, into registers, so it is loaded into
/// stage 1 before the first prefetch needs that stage. At D = 128 that is 68 KiB with 64-key tiles
/// (85 KiB when Q had its own region): 3 blocks per SM fit an H200's 228 KiB instead of 2, and
/// kMinBlocks = 3 holds ptxas to the 168 registers that 3 blocks allow. A GPU with 100 KiB per SM
/// (RTX 4090) fits only one such block, so there the launch takes 32-key tiles (34 KiB): 2 blocks.
/// Figures: ptxas -v for sm_89 and sm_90, docs/backend.md "The flash kernel".
template <int kHeadDim_, int kBlockN_ = 64>
struct Traits {
  static constexpr int kHeadDim = kHeadDim_;
  static constexpr int kWarps = 4;
  static constexpr int kThreads = kWarps * 32;
  static constexpr int kBlockM = 16 * kWarps;   // query rows per block
  static constexpr int kBlockN = kBlockN_;      // keys per iteration
  static constexpr int kPad = 8;                // smem row padding (elements): breaks bank conflicts
  static constexpr int kPitch = kHeadDim + kPad;
  static constexpr int kStages = 2;             // K/V buffers: load tile j+1 while computing tile j
  static constexpr int kStageElems = 2 * kBlockN * kPitch;  // one stage: K then V
  static constexpr int kSmemElems = kStages * kStageElems;
  static constexpr int kSmemBytes = kSmemElems * 2;
  /// Blocks per SM the register budget must allow (__launch_bounds__): 3 where shared memory
  /// allows 3 on an H200 (D = 128, 64 keys), else what the registers give anyway.
  static constexpr int kMinBlocks = kHeadDim == 128 ? (kBlockN == 64 ? 3 : 2) : 4;
  static constexpr int kNTilesS = kBlockN / 8;   // n-tiles of the score tile
  static constexpr int kKSteps = kHeadDim / 16;  // k-steps of Q K^T
  static constexpr int kNTilesO = kHeadDim / 8;  // n-tiles of the output tile
  static_assert(kHeadDim % 16 == 0 && kBlockN % 16 == 0);
  static_assert(kBlockM * kPitch <= kStageElems, "Q is staged in K/V stage 1");
};

}  // namespace ua2a::flash
