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

}  // namespace ua2a
