// Buffer plans, piece offsets, shape errors, and the CPU pack / unpack over the kernels' layouts.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "backend/cpu_kernels.h"
#include "backend/layout.h"
#include "backend/reference.h"
#include "schedule/payload.h"

using namespace ua2a;

namespace {

LayerShape shape(std::int32_t n, std::uint64_t s, std::uint64_t heads, std::uint64_t d, bool fp8,
                 std::uint64_t text = 0) {
  LayerShape x;
  x.ranks = n, x.seq_per_rank = s, x.heads = heads, x.head_dim = d, x.fp8 = fp8, x.text_tokens = text;
  return x;
}

std::string error_of(const LayerShape& s) {
  try {
    make_plan(s);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Plan, BlockBytesAreTheSchedulesPayload) {
  // Wan2.1-14B 480p: s = 4095, H = 40, D = 128, N = 8 (reference: 15.7 MB bf16, 8.1 MB FP8).
  const LayerPlan bf16 = make_plan(shape(8, 4095, 40, 128, false));
  EXPECT_EQ(bf16.fwd_block_bytes, 3ull * 4095 * 5 * 128 * 2);
  EXPECT_EQ(bf16.rev_block_bytes, 4095ull * 5 * 128 * 2);
  const LayerPlan fp8 = make_plan(shape(8, 4095, 40, 128, true));
  EXPECT_EQ(fp8.fwd_block_bytes, 3ull * 4095 * 5 * (128 + 4));
  EXPECT_EQ(fp8.fwd_block_stride % kBlockAlign, 0u);
  EXPECT_GE(fp8.fwd_block_stride, fp8.fwd_block_bytes);
  // Region A holds the attention q|k|v (bf16) which is larger than the FP8 send buffer.
  EXPECT_EQ(fp8.region_a_bytes, 3 * fp8.attn_tensor_bytes);
}

TEST(Plan, ShapeErrorsNameTheInputAndTheFix) {
  EXPECT_NE(error_of(shape(8, 16, 12, 64, false)).find("--heads 12 is not a positive multiple of --ranks 8"),
            std::string::npos);
  EXPECT_NE(error_of(shape(2, 16, 4, 96, false)).find("--head-dim 96 is not supported"), std::string::npos);
  EXPECT_NE(error_of(shape(2, 0, 4, 64, false)).find("--seq"), std::string::npos);
  EXPECT_EQ(error_of(shape(7, 3, 7, 128, true)), "");
}

TEST(PieceOffset, PartsBackToBackChunksLikeChunkBytes) {
  Payload p{{{"q", 10}, {"k", 10}, {"v", 10}}, 3};  // chunks of 4, 3, 3 bytes
  EXPECT_EQ(piece_offset(p, 0, 0), 0u);
  EXPECT_EQ(piece_offset(p, 0, 1), 4u);
  EXPECT_EQ(piece_offset(p, 0, 2), 7u);
  EXPECT_EQ(piece_offset(p, 1, 0), 10u);
  EXPECT_EQ(piece_offset(p, 2, 2), 27u);
  // Consecutive pieces tile the block exactly.
  std::uint64_t end = 0;
  for (std::uint32_t part = 0; part < 3; ++part)
    for (std::uint32_t c = 0; c < 3; ++c) {
      EXPECT_EQ(piece_offset(p, part, c), end);
      end += p.chunk_bytes(part, c);
    }
  EXPECT_EQ(end, p.block_bytes());
  EXPECT_THROW(piece_offset(p, 3, 0), std::out_of_range);
}

TEST(PieceOffset, UnmergedPartsCoverTheMergedBytes) {
  // Merged and unmerged FP8 payloads put q|k|v|scales at the same bytes.
  const UlyssesShape u{5, 2, 64, DType::fp8, Exchange::qkv};
  const Payload merged = ulysses_payload(u, true, 1), split = ulysses_payload(u, false, 2);
  EXPECT_EQ(merged.block_bytes(), split.block_bytes());
  EXPECT_EQ(piece_offset(split, 3, 0), 3u * 5 * 2 * 64);  // q_scale right after the payloads
}

// Pack on every rank, move block r of rank j into slot j of rank r (what any transport does),
// unpack: every element must be input_value() of its own coordinates.
class PackUnpack : public ::testing::TestWithParam<std::tuple<int, bool, int>> {};

TEST_P(PackUnpack, EveryRowLandsInItsSlot) {
  const auto [n, fp8, d] = GetParam();
  const LayerShape s = shape(n, 3, 2 * n, d, fp8);
  const LayerPlan plan = make_plan(s);
  const LayerInputs in = make_inputs(s, 7);
  const std::uint64_t stride = plan.fwd_block_stride, h = s.heads_per_rank(), S = s.attn_tokens();
  std::vector<std::vector<std::byte>> send(n, std::vector<std::byte>(plan.fwd_buffer_bytes()));
  std::vector<std::vector<std::byte>> recv = send;
  for (int r = 0; r < n; ++r) {
    const std::uint16_t* src[3] = {in.qkv[r][0].data(), in.qkv[r][1].data(), in.qkv[r][2].data()};
    pack_cpu(pack_map(plan, Exchange::qkv), s.elem, src, send[r].data());
  }
  for (int r = 0; r < n; ++r)
    for (int j = 0; j < n; ++j) std::memcpy(recv[r].data() + j * stride, send[j].data() + r * stride, stride);
  for (int r = 0; r < n; ++r) {
    std::vector<std::uint16_t> attn[3];
    std::uint16_t* dst[3];
    for (int t = 0; t < 3; ++t) attn[t].assign(S * h * d, 0), dst[t] = attn[t].data();
    unpack_cpu(unpack_map(plan, Exchange::qkv), s.elem, recv[r].data(), dst);
    for (int t = 0; t < 3; ++t)
      for (std::uint64_t g = 0; g < S; ++g)
        for (std::uint64_t hh = 0; hh < h; ++hh)
          for (int k = 0; k < d; ++k) {
            const float want = bf16_to_float(float_to_bf16(input_value(t, g, r * h + hh, k, 7)));
            const float got = bf16_to_float(attn[t][(g * h + hh) * d + k]);
            // bf16: bit-exact. FP8: e4m3 relative step 1/16 (half of it after rounding) on a row
            // scaled to its absmax, plus the bf16 rounding of the dequantised value.
            const float bound = fp8 ? std::fabs(want) / 16 + 2.0f / 448 / 8 + std::fabs(want) / 256 : 0.0f;
            ASSERT_LE(std::fabs(got - want), bound) << "rank " << r << " tensor " << t << " token " << g;
          }
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, PackUnpack,
                         ::testing::Combine(::testing::Values(1, 2, 3, 8), ::testing::Bool(),
                                            ::testing::Values(64, 128)));

TEST(Fp8Row, RoundTripErrorIsBoundedByTheRowScale) {
  // A row with one large value: small entries fall into e4m3 subnormals relative to the scale.
  std::vector<std::uint16_t> row(128);
  for (int i = 0; i < 128; ++i) row[i] = float_to_bf16(i == 5 ? 300.0f : std::sin(i * 0.7f) * (i % 7));
  std::vector<std::uint8_t> codes(128);
  const float scale = quantize_row_fp8(row.data(), 128, ElemType::bf16, codes.data());
  EXPECT_FLOAT_EQ(scale, 300.0f / 448.0f);
  EXPECT_EQ(codes[5], 0x7E);  // the absmax maps to the largest code exactly
  for (int i = 0; i < 128; ++i) {
    const float x = bf16_to_float(row[i]);
    const float back = fp8_e4m3_to_float(codes[i]) * scale;
    // Normal codes: half a step of 2^-3 relative; subnormals: half of 2^-9 times the scale.
    EXPECT_LE(std::fabs(back - x), std::fmax(std::fabs(x) / 16, scale * std::ldexp(1.0f, -10)) * 1.0001f) << i;
  }
  std::vector<std::uint16_t> zeros(64, 0);
  EXPECT_EQ(quantize_row_fp8(zeros.data(), 64, ElemType::bf16, codes.data()), 0.0f);
  EXPECT_EQ(codes[0], 0);
}

TEST(VectorAlignment, EveryTensorAndThePackedBufferMustStartOn16Bytes) {
  // The GPU pack and unpack move 16-byte vectors; a tensor 8 bytes off used to be read anyway
  // (a misaligned-address fault on the device, or silently wrong bytes). Refused up front now.
  LayerShape s;
  s.ranks = 2, s.seq_per_rank = 4, s.heads = 4, s.head_dim = 64;
  const RowMap m = pack_map(make_plan(s), Exchange::qkv);
  alignas(16) static std::byte memory[256];
  const void* aligned[3] = {memory, memory + 16, memory + 32};
  EXPECT_NO_THROW(check_vector_alignment(m, aligned, memory + 64));
  for (int t = 0; t < 3; ++t) {
    const void* off[3] = {memory, memory + 16, memory + 32};
    off[t] = memory + 16 * t + 8;
    try {
      check_vector_alignment(m, off, memory + 64);
      FAIL() << "tensor " << t << " 8 bytes off was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("tensor " + std::to_string(t) + " does not start on a 16-byte boundary"),
                std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(check_vector_alignment(m, aligned, memory + 72), std::invalid_argument);
  // The reverse exchange has one tensor: the other pointers are not looked at.
  const RowMap one = pack_map(make_plan(s), Exchange::out);
  const void* single[3] = {memory, memory + 4, memory + 8};
  EXPECT_NO_THROW(check_vector_alignment(one, single, memory + 64));
}
