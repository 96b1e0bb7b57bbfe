// The CPU mirror of the flash kernel's arithmetic (64-key tiles, exp2 online softmax, P rounded
// to bf16/fp16 before P V) stays within the layer's attention tolerance of the plain reference.
// It checks the algorithm and its rounding on every CI run; the GPU test checks the kernel.
#include <gtest/gtest.h>

#include <cmath>
#include <tuple>
#include <vector>

#include "backend/attention.h"
#include "backend/reference.h"

using namespace ua2a;

namespace {

struct Tensors {
  std::vector<std::uint16_t> q, k, v;
};

Tensors inputs(std::uint64_t seq, std::uint64_t heads, std::uint64_t d, ElemType elem, std::uint32_t seed) {
  Tensors t;
  for (auto* x : {&t.q, &t.k, &t.v}) x->resize(seq * heads * d);
  for (std::uint32_t n = 0; n < 3; ++n) {
    auto& x = n == 0 ? t.q : n == 1 ? t.k : t.v;
    for (std::size_t i = 0; i < x.size(); ++i)
      x[i] = float_to_elem(input_value(n, i / (heads * d), (i / d) % heads, i % d, seed), elem);
  }
  return t;
}

}  // namespace

class TiledAttention : public ::testing::TestWithParam<std::tuple<int, int, ElemType>> {};

TEST_P(TiledAttention, MatchesThePlainReferenceWithinTheLayerTolerance) {
  const auto [seq, d, elem] = GetParam();
  constexpr std::uint64_t kHeads = 2;
  const Tensors t = inputs(seq, kHeads, d, elem, 11);
  std::vector<std::uint16_t> want(t.q.size()), got(t.q.size());
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const std::uint64_t s = static_cast<std::uint64_t>(seq), dim = static_cast<std::uint64_t>(d);
  attention_cpu({t.q.data(), t.k.data(), t.v.data(), want.data(), s, kHeads, dim, scale, elem});
  attention_tiled_cpu({t.q.data(), t.k.data(), t.v.data(), got.data(), s, kHeads, dim, scale, elem});
  double worst = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const float a = elem_to_float(got[i], elem), b = elem_to_float(want[i], elem);
    ASSERT_LE(std::fabs(a - b), 1e-2 + 1e-2 * std::fabs(b)) << "element " << i;
    worst = std::max(worst, static_cast<double>(std::fabs(a - b)));
  }
  RecordProperty("max_abs_error", std::to_string(worst));
}

// Lengths around the 64-key tile (a tile of one key, partial tails, several tiles).
INSTANTIATE_TEST_SUITE_P(Shapes, TiledAttention,
                         ::testing::Combine(::testing::Values(1, 63, 65, 200), ::testing::Values(64, 128),
                                            ::testing::Values(ElemType::bf16, ElemType::fp16)));

TEST(TiledAttention, TileSizeOnlyChangesRounding) {
  // One tile of all keys versus 64-key tiles: the same softmax up to the rounding of P.
  const Tensors t = inputs(130, 1, 64, ElemType::bf16, 3);
  std::vector<std::uint16_t> one(t.q.size()), tiled(t.q.size());
  const AttentionParams a{t.q.data(), t.k.data(), t.v.data(), one.data(), 130, 1, 64, 0.125f, ElemType::bf16};
  attention_tiled_cpu(a, 130);
  AttentionParams b = a;
  b.out = tiled.data();
  attention_tiled_cpu(b, 64);
  for (std::size_t i = 0; i < one.size(); ++i)
    ASSERT_NEAR(bf16_to_float(one[i]), bf16_to_float(tiled[i]), 1e-2) << i;
}
