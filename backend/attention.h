#pragma once
/// The attention interface: plain CPU version here, the CUDA one in cuda/kernels.h. A later fast
/// (flash) kernel implements the same AttentionParams.
#include <cstdint>

#include "backend/numeric.h"

namespace ua2a {

/// Non-causal softmax(q k^T * scale) v over one sequence, every head independent.
/// All tensors [seq, heads, head_dim] row-major of `elem` (bf16 or fp16).
struct AttentionParams {
  const void* q = nullptr;  ///< [seq, heads, head_dim]
  const void* k = nullptr;  ///< [seq, heads, head_dim]
  const void* v = nullptr;  ///< [seq, heads, head_dim]
  void* out = nullptr;      ///< [seq, heads, head_dim]
  std::uint64_t seq = 0;
  std::uint64_t heads = 0;
  std::uint64_t head_dim = 0;  ///< 64 or 128
  float scale = 0.0f;          ///< usually 1 / sqrt(head_dim)
  ElemType elem = ElemType::bf16;
};

/// The CPU reference: scores and softmax in float32, output rounded once to `elem`.
void attention_cpu(const AttentionParams& p);

/// The CPU mirror of the GPU flash kernel's arithmetic (backend/cuda/flash/): keys in tiles of
/// `block_n`, online softmax with exp2 and the scale folded into log2 e, the probabilities
/// rounded to `elem` before they multiply V (the kernel feeds them to the tensor cores in
/// bf16/fp16), sums and accumulators in float32. Tests bound its distance to attention_cpu, so
/// the tolerance the GPU test applies is known to hold for the algorithm itself.
void attention_tiled_cpu(const AttentionParams& p, std::uint32_t block_n = 64);

}  // namespace ua2a
