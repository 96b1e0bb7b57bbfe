#pragma once
/// Test data, the CPU reference of the whole layer and the comparison with tolerances.
#include <array>
#include <cstdint>
#include <vector>

#include "backend/layout.h"

namespace ua2a {

/// Host tensors of one layer: per rank q, k, v [s, H, D] and the replicated text q, k, v [L, H, D].
struct LayerInputs {
  std::vector<std::array<std::vector<std::uint16_t>, 3>> qkv;  ///< [rank][q|k|v] -> [s, H, D]
  std::array<std::vector<std::uint16_t>, 3> text;              ///< [q|k|v] -> [L, H, D]
};

/// Per rank: the layer output [s, H, D] (own tokens, all heads) and the text output [L, h, D].
struct LayerOutputs {
  std::vector<std::vector<std::uint16_t>> out;
  std::vector<std::vector<std::uint16_t>> text_out;
};

/// The value of element (tensor, global token, head, dim): a hash of all four and the seed,
/// uniform in [-2, 2) for q and k and [-1, 1) for v. Global token g = rank * s + local token for
/// image tokens, N*s + l for text. Because every element names its own coordinates, a receiver
/// proves right-slot delivery by recomputing it (nccl-tests' verifiable data).
float input_value(std::uint32_t tensor, std::uint64_t token, std::uint64_t head, std::uint64_t dim, std::uint32_t seed);

LayerInputs make_inputs(const LayerShape& shape, std::uint32_t seed = 1);

/// The whole layer without any exchange: plain attention over all H heads of the global sequence
/// [S + L, H, D] (the S real image tokens in rank order, then text; the padding tokens past S are
/// left out, not masked). Returns the output [S + L, H, D].
std::vector<std::uint16_t> reference_layer(const LayerShape& shape, const LayerInputs& inputs);

/// An element passes when |out - ref| <= atol + rtol * |ref|.
struct Tolerance {
  double atol = 0;
  double rtol = 0;
};
/// bf16/fp16 wire: one rounding of the output plus float32 summation-order differences.
/// FP8 wire: e4m3 keeps 3 mantissa bits (relative step 1/16 around q, k, v), so larger.
Tolerance tolerance_for(const LayerShape& shape);

struct RankError {
  double max_abs = 0;   ///< max |out - ref| over the rank's outputs (image and text)
  double max_rel = 0;   ///< max |out - ref| / max |ref|: the error relative to the output's scale
  double max_ref = 0;   ///< max |ref| over the rank's outputs
  std::uint64_t failed = 0;  ///< elements outside the tolerance
  bool ok() const { return failed == 0; }
};

/// Compares every rank's outputs with the reference rows and heads it owns. A padding token's
/// outputs have no reference row: they only have to be finite (written).
std::vector<RankError> compare_with_reference(const LayerShape& shape, const LayerOutputs& outputs,
                                              const std::vector<std::uint16_t>& reference, Tolerance tol);

}  // namespace ua2a
