// Padding (issue 24): when S is not divisible by N the model pads the sequence to N*s, and the
// padding tokens must not be attended as keys. The expectations here are float64 attention over
// the unpadded sequence, assembled by the test itself (never the layer's reference).
#include <gtest/gtest.h>

#include <algorithm>

#include "backend/attention.h"
#include "backend/layer.h"
#include "backend/runner.h"
#include "tests/backend/attention_checks.h"

using namespace ua2a;
using test::Qkv;

namespace {

/// `x` with `pad` tokens of other random values inserted before token `at` (as the layer's
/// padding sits between the real image tokens and the text tokens).
Qkv with_padding(const Qkv& x, std::uint64_t at, std::uint64_t pad) {
  const Qkv junk = test::random_qkv(pad, x.heads, x.dim, x.elem, 977);
  Qkv p = x;
  p.seq = x.seq + pad;
  const std::uint64_t row = x.heads * x.dim;
  for (int t = 0; t < 3; ++t) {
    auto& dst = t == 0 ? p.q : t == 1 ? p.k : p.v;
    const auto& src = t == 0 ? junk.q : t == 1 ? junk.k : junk.v;
    dst.insert(dst.begin() + static_cast<std::ptrdiff_t>(at * row), src.begin(), src.end());
  }
  return p;
}

/// The rows of a padded output that are not padding, in order: the unpadded output's rows.
std::vector<std::uint16_t> drop_rows(const std::vector<std::uint16_t>& out, std::uint64_t row, std::uint64_t at,
                                     std::uint64_t pad) {
  std::vector<std::uint16_t> kept(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(at * row));
  kept.insert(kept.end(), out.begin() + static_cast<std::ptrdiff_t>((at + pad) * row), out.end());
  return kept;
}

}  // namespace

class PaddedAttention : public ::testing::TestWithParam<std::tuple<int, ElemType>> {};

TEST_P(PaddedAttention, PaddingKeysAreMaskedInEveryCpuAttention) {
  const auto [block_n, elem] = GetParam();  // 0: attention_cpu; 32, 64: the tiled mirror
  // 66 real tokens with padding inserted at `image`: 3 tokens after 61 (the layer's case: 61
  // image tokens = 8 x 8 - 3, then 5 text tokens); 40 after 32, which fill a whole 32-key tile;
  // 40 before everything, so the first tiles have no real key at all.
  for (const auto& [image, pad] : {std::pair<std::uint64_t, std::uint64_t>{61, 3}, {32, 40}, {0, 40}}) {
    SCOPED_TRACE("padding " + std::to_string(pad) + " at " + std::to_string(image));
    const Qkv x = test::random_qkv(66, 2, 64, elem, 41, 1.0f);
    const Qkv p = with_padding(x, image, pad);
    std::vector<std::uint16_t> out(p.q.size(), 0xFFFF);
    AttentionParams a = p.params(out.data());
    a.pad_begin = image, a.pad_end = image + pad;
    if (block_n == 0) attention_cpu(a);
    else attention_tiled_cpu(a, static_cast<std::uint32_t>(block_n));
    const test::RmsError e = test::error_vs(drop_rows(out, 2 * 64, image, pad), elem, test::attention_f64(x));
    EXPECT_TRUE(test::near_reference(e)) << "max " << e.max_ulps() << " ulps at RMS, rms " << e.rms_ulps();
    // The padding rows are computed too (over the real keys): finite, never left unwritten.
    for (std::uint64_t i = image * 2 * 64; i < (image + pad) * 2 * 64; ++i)
      ASSERT_TRUE(std::isfinite(elem_to_float(out[i], elem))) << "padding element " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(CpuVersions, PaddedAttention,
                         ::testing::Combine(::testing::Values(0, 32, 64), ::testing::Values(ElemType::bf16, ElemType::fp16)));

TEST(PaddingRange, PaddingThatLeavesNoKeyOrLeavesTheSequenceIsRefused) {
  const Qkv x = test::random_qkv(8, 1, 64, ElemType::bf16, 42);
  std::vector<std::uint16_t> out(x.q.size());
  AttentionParams a = x.params(out.data());
  a.pad_begin = 0, a.pad_end = 8;
  EXPECT_THROW(attention_cpu(a), std::invalid_argument);
  a.pad_begin = 4, a.pad_end = 9;
  EXPECT_THROW(attention_tiled_cpu(a), std::invalid_argument);
  a.pad_begin = 5, a.pad_end = 4;
  EXPECT_THROW(attention_rows_f64(a, {0}), std::invalid_argument);
  a.pad_begin = 0, a.pad_end = 7;  // padding first, one real key last: still defined
  EXPECT_NO_THROW(attention_tiled_cpu(a, 64));
  for (std::uint16_t o : out) EXPECT_TRUE(std::isfinite(bf16_to_float(o)));
}

TEST(AttentionRowsF64, EqualsTheFloat64OracleOnTheListedRows) {
  // The sampled float64 oracle of the GPU checks at real shapes, against the tests' own.
  const Qkv x = test::random_qkv(130, 3, 128, ElemType::bf16, 43);
  const std::vector<double> all = test::attention_f64(x);
  const std::vector<std::uint64_t> rows = {0, 64, 127, 129};
  const std::vector<double> got = attention_rows_f64(x.params(nullptr), rows);
  ASSERT_EQ(got.size(), rows.size() * 3 * 128);
  for (std::size_t n = 0; n < rows.size(); ++n)
    for (std::uint64_t i = 0; i < 3 * 128; ++i)
      // 1e-6: the params carry the scale as a float32, the test oracle 1/sqrt(D) in double.
      ASSERT_NEAR(got[n * 3 * 128 + i], all[rows[n] * 3 * 128 + i], 1e-6) << "row " << rows[n] << " element " << i;
  EXPECT_THROW(attention_rows_f64(x.params(nullptr), {130}), std::invalid_argument);
}

namespace {

/// A layer whose S = 61 image tokens are not divisible by N = 8: s = 8, 3 padding tokens on the
/// last rank, then 5 text tokens.
LayerShape padded_shape(bool fp8) {
  LayerShape s;
  s.ranks = 8, s.seq_per_rank = 8, s.heads = 16, s.head_dim = 64, s.text_tokens = 5, s.fp8 = fp8;
  s.image_tokens = 61;
  return s;
}

/// float64 attention over the unpadded global sequence (real image tokens in rank order, then
/// text), assembled here from the layer's inputs.
std::vector<double> unpadded_f64(const LayerShape& s, const LayerInputs& in) {
  const std::uint64_t real = s.real_image_tokens(), row = s.heads * s.head_dim;
  Qkv x{real + s.text_tokens, s.heads, s.head_dim, s.elem, {}, {}, {}};
  for (int t = 0; t < 3; ++t) {
    auto& dst = t == 0 ? x.q : t == 1 ? x.k : x.v;
    for (std::uint64_t g = 0; g < real; ++g) {
      const auto& src = in.qkv[g / s.seq_per_rank][t];
      const auto at = src.begin() + static_cast<std::ptrdiff_t>(g % s.seq_per_rank * row);
      dst.insert(dst.end(), at, at + static_cast<std::ptrdiff_t>(row));
    }
    dst.insert(dst.end(), in.text[t].begin(), in.text[t].end());
  }
  return test::attention_f64(x);
}

}  // namespace

TEST(PaddedLayer, RealTokensMatchAttentionOverTheUnpaddedSequence) {
  // hunyuanvideo-1.5 at 480p on 16 ranks in miniature: before the mask every softmax took the
  // padding keys as real ones, and --check agreed with itself because its reference did too.
  for (bool fp8 : {false, true}) {
    SCOPED_TRACE(fp8 ? "fp8" : "bf16");
    const LayerShape s = padded_shape(fp8);
    const LayerInputs in = make_inputs(s, 5);
    CpuLayer layer(make_plan(s));
    auto threads = make_transport("threads");
    LayerOutputs out;
    layer.poison();
    layer.run(in, make_layer_programs(s, "round-robin", Discipline::paired_half), *threads, {}, out);
    const std::vector<double> want = unpadded_f64(s, in);
    const std::uint64_t s_tok = s.seq_per_rank, H = s.heads, h = s.heads_per_rank(), D = s.head_dim;
    const Tolerance tol = tolerance_for(s);
    std::uint64_t failed = 0, compared = 0;
    for (std::int32_t r = 0; r < s.ranks; ++r) {
      for (std::uint64_t i = 0; i < s_tok * H * D; ++i) {
        const std::uint64_t g = r * s_tok + i / (H * D);
        const double got = elem_to_float(out.out[r][i], s.elem);
        if (g >= s.real_image_tokens()) {
          failed += !std::isfinite(got);  // a padding token's output: written, not judged
          continue;
        }
        const double w = want[g * H * D + i % (H * D)];
        failed += !(std::fabs(got - w) <= tol.atol + tol.rtol * std::fabs(w)), ++compared;
      }
      for (std::uint64_t l = 0; l < s.text_tokens; ++l)
        for (std::uint64_t hd = 0; hd < h * D; ++hd) {
          const double got = elem_to_float(out.text_out[r][l * h * D + hd], s.elem);
          const double w = want[(s.real_image_tokens() + l) * H * D + r * h * D + hd];
          failed += !(std::fabs(got - w) <= tol.atol + tol.rtol * std::fabs(w)), ++compared;
        }
    }
    EXPECT_EQ(compared, (61 + 5) * H * D);  // every real token, all heads (text: h heads on each rank)
    EXPECT_EQ(failed, 0u);
    if (!fp8) {
      // bf16 against float64: the float32 softmax and one rounding, far inside the tolerance.
      double worst = 0;
      for (std::uint64_t i = 0; i < 61 * H * D; ++i) {
        const std::uint64_t g = i / (H * D);
        worst = std::max(worst, std::fabs(elem_to_float(out.out[g / s_tok][g % s_tok * H * D + i % (H * D)], s.elem) -
                                          want[i]));
      }
      EXPECT_LT(worst, 4e-3);
    }
  }
}

TEST(PaddedLayer, TheCheckedRunPassesAndItsReferenceLeavesThePaddingOut) {
  const LayerShape s = padded_shape(false);
  const LayerInputs in = make_inputs(s, 6);
  EXPECT_EQ(reference_layer(s, in).size(), (61 + 5) * s.heads * s.head_dim);
  RunConfig c;
  c.shape = s;
  c.check = true;
  c.iterations = 2;
  const RunReport r = run_layer(c, make_layer_programs(s, "round-robin", Discipline::paired_full, 2));
  EXPECT_TRUE(r.ok());
  for (const RankError& e : r.errors) EXPECT_EQ(e.max_abs, 0.0);  // the same float32 arithmetic, padding aside
}

TEST(PaddedLayer, MoreRealTokensThanNTimesSAreRefused) {
  LayerShape s = padded_shape(false);
  s.image_tokens = 65;
  try {
    make_plan(s);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--image-tokens 65 exceeds N x s = 64"), std::string::npos) << e.what();
  }
}
