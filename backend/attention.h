#pragma once
/// The attention interface: plain CPU version here, the CUDA one in cuda/kernels.h. A later fast
/// (flash) kernel implements the same AttentionParams.
#include <cstdint>
#include <vector>

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
  /// Keys [pad_begin, pad_end) are padding and take no part in any softmax: the image tokens past
  /// the real sequence length S, which sit between the real image tokens and the text tokens of
  /// the layer's attention layout (layout.h). Empty (0, 0) by default. Their query rows are still
  /// computed (over the real keys); the layer drops those outputs.
  std::uint64_t pad_begin = 0;
  std::uint64_t pad_end = 0;

  bool is_padding_key(std::uint64_t key) const { return key >= pad_begin && key < pad_end; }
};

/// Throws std::invalid_argument unless [pad_begin, pad_end) lies inside the sequence and leaves
/// at least one key to attend to. Every attention (CPU and GPU) checks it.
void check_padding(const AttentionParams& p);

/// The CPU reference: scores and softmax in float32, output rounded once to `elem`.
void attention_cpu(const AttentionParams& p);

/// The CPU mirror of the GPU flash kernel's arithmetic (backend/cuda/flash/): keys in tiles of
/// `block_n`, online softmax with exp2 and the scale folded into log2 e, the probabilities
/// rounded to `elem` before they multiply V (the kernel feeds them to the tensor cores in
/// bf16/fp16), sums and accumulators in float32. Tests bound its distance to attention_cpu, so
/// the tolerance the GPU test applies is known to hold for the algorithm itself.
void attention_tiled_cpu(const AttentionParams& p, std::uint32_t block_n = 64);

/// float64 softmax attention of the query rows `rows` only, every head, from the stored inputs:
/// out[(i * heads + head) * head_dim + d] for the i-th listed row, unrounded. The independent
/// oracle the GPU checks at real shapes sample (a full float64 pass there would take hours).
std::vector<double> attention_rows_f64(const AttentionParams& p, const std::vector<std::uint64_t>& rows);

}  // namespace ua2a
