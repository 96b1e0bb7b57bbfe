// Portable bf16, fp16 and e4m3 conversions against known encodings and exhaustive round trips.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "backend/cpu_kernels.h"
#include "backend/numeric.h"

using namespace ua2a;

TEST(Fp8, KnownEncodings) {
  EXPECT_EQ(float_to_fp8_e4m3(448.0f), 0x7E);   // the largest finite value
  EXPECT_EQ(float_to_fp8_e4m3(-448.0f), 0xFE);
  EXPECT_EQ(float_to_fp8_e4m3(1000.0f), 0x7E);  // saturates instead of overflowing
  EXPECT_EQ(float_to_fp8_e4m3(INFINITY), 0x7E);
  EXPECT_EQ(float_to_fp8_e4m3(std::nanf("")), 0x7F);
  EXPECT_EQ(float_to_fp8_e4m3(1.0f), 0x38);     // exponent 7 (bias 7), mantissa 0
  EXPECT_EQ(float_to_fp8_e4m3(0.0f), 0x00);
  EXPECT_EQ(float_to_fp8_e4m3(std::ldexp(1.0f, -6)), 0x08);  // smallest normal
  EXPECT_EQ(float_to_fp8_e4m3(std::ldexp(1.0f, -9)), 0x01);  // smallest subnormal
  EXPECT_EQ(float_to_fp8_e4m3(std::ldexp(1.0f, -10)), 0x00); // half of it: ties to even (0)
  EXPECT_EQ(float_to_fp8_e4m3(1.0625f), 0x38);  // halfway 1 | 1.125: even mantissa 0
  EXPECT_EQ(float_to_fp8_e4m3(1.1875f), 0x3A);  // halfway 1.125 | 1.25: even mantissa 2
  EXPECT_EQ(float_to_fp8_e4m3(1.9999f), 0x40);  // rounds up into the next binade (2.0)
  EXPECT_EQ(float_to_fp8_e4m3(464.0f), 0x7E);   // between 448 and 480: saturates
  EXPECT_FLOAT_EQ(fp8_e4m3_to_float(0x7E), 448.0f);
  EXPECT_FLOAT_EQ(fp8_e4m3_to_float(0x01), std::ldexp(1.0f, -9));
  EXPECT_TRUE(std::isnan(fp8_e4m3_to_float(0x7F)));
  EXPECT_TRUE(std::isnan(fp8_e4m3_to_float(0xFF)));
}

TEST(Fp8, EveryCodeRoundTrips) {
  for (int c = 0; c < 256; ++c) {
    if ((c & 0x7F) == 0x7F) continue;  // NaN
    const float x = fp8_e4m3_to_float(static_cast<std::uint8_t>(c));
    EXPECT_EQ(float_to_fp8_e4m3(x), c == 0x80 ? 0x80 : c) << "code " << c << " value " << x;
  }
}

TEST(Fp8, RoundsToTheNearestCode) {
  // Brute force: the chosen code is never farther than any other finite code.
  for (float x = -470.0f; x <= 470.0f; x += 0.37f) {
    const float got = fp8_e4m3_to_float(float_to_fp8_e4m3(x));
    const float clamped = std::fmax(-448.0f, std::fmin(448.0f, x));
    for (int c = 0; c < 256; ++c) {
      if ((c & 0x7F) == 0x7F) continue;
      EXPECT_LE(std::fabs(got - clamped), std::fabs(fp8_e4m3_to_float(static_cast<std::uint8_t>(c)) - clamped))
          << "x " << x;
    }
  }
}

TEST(Bf16, KnownEncodingsAndTies) {
  EXPECT_EQ(float_to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(float_to_bf16(-2.0f), 0xC000);
  EXPECT_EQ(float_to_bf16(1.0f + std::ldexp(1.0f, -8)), 0x3F80);      // tie: even stays
  EXPECT_EQ(float_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3F82);  // tie: odd rounds up
  EXPECT_EQ(float_to_bf16(1.0f + std::ldexp(1.0f, -8) + std::ldexp(1.0f, -20)), 0x3F81);
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(std::nanf("")))));
  EXPECT_EQ(float_to_bf16(std::numeric_limits<float>::max()), 0x7F80);  // overflow to infinity
}

TEST(Bf16, EveryCodeRoundTrips) {
  for (std::uint32_t c = 0; c < 65536; ++c) {
    const float x = bf16_to_float(static_cast<std::uint16_t>(c));
    if (std::isnan(x)) continue;
    EXPECT_EQ(float_to_bf16(x), c);
  }
}

TEST(Fp16, KnownEncodingsAndTies) {
  EXPECT_EQ(float_to_fp16(1.0f), 0x3C00);
  EXPECT_EQ(float_to_fp16(65504.0f), 0x7BFF);  // largest finite
  EXPECT_EQ(float_to_fp16(65519.0f), 0x7BFF);  // just below the rounding boundary
  EXPECT_EQ(float_to_fp16(65520.0f), 0x7C00);  // rounds to infinity
  EXPECT_EQ(float_to_fp16(std::ldexp(1.0f, -24)), 0x0001);      // smallest subnormal
  EXPECT_EQ(float_to_fp16(std::ldexp(1.0f, -25)), 0x0000);      // tie to even: 0
  EXPECT_EQ(float_to_fp16(3 * std::ldexp(1.0f, -25)), 0x0002);  // tie to even: 2
  EXPECT_EQ(float_to_fp16(1.0f + std::ldexp(1.0f, -11)), 0x3C00);  // tie: even stays
  EXPECT_EQ(float_to_fp16(-0.0f), 0x8000);
}

TEST(Fp16, EveryCodeRoundTrips) {
  for (std::uint32_t c = 0; c < 65536; ++c) {
    const float x = fp16_to_float(static_cast<std::uint16_t>(c));
    if (std::isnan(x)) continue;
    EXPECT_EQ(float_to_fp16(x), c);
  }
}

TEST(ElemType, ParsesNamesAndRejectsOthers) {
  EXPECT_EQ(parse_elem_type("fp16"), ElemType::fp16);
  try {
    parse_elem_type("fp32");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'fp32'"), std::string::npos);
  }
}

TEST(Fp8Rows, ATinyAbsmaxGivesAZeroRowNotNaN) {
  // bf16 keeps float32's exponent range: an absmax of 1e-37 makes 448 / absmax overflow, and
  // 0 * inf would encode the row's zeros as NaN. Such rows (and every subnormal absmax) must come
  // out as zeros with scale 0; from kFp8MinAbsmax up the inverse scale is finite.
  for (float tiny : {1e-37f, 1e-38f, 1e-40f, std::numeric_limits<float>::denorm_min()}) {
    std::uint16_t row[8] = {};
    row[3] = float_to_bf16(tiny), row[5] = float_to_bf16(-tiny / 2);
    std::uint8_t codes[8];
    const float scale = quantize_row_fp8(row, 8, ElemType::bf16, codes);
    EXPECT_EQ(scale, 0.0f) << tiny;
    for (int i = 0; i < 8; ++i) {
      EXPECT_EQ(codes[i] & 0x7f, 0) << tiny << " element " << i;  // +0 or -0, never NaN
      EXPECT_FALSE(std::isnan(fp8_e4m3_to_float(codes[i]) * scale));
    }
  }
  EXPECT_TRUE(std::isfinite(kFp8Max / kFp8MinAbsmax));
  std::uint16_t row[2] = {float_to_bf16(kFp8MinAbsmax), 0};
  std::uint8_t codes[2];
  const float scale = quantize_row_fp8(row, 2, ElemType::bf16, codes);
  EXPECT_EQ(codes[0], 0x7E);  // the smallest row that still quantises: absmax maps to 448
  EXPECT_EQ(codes[1], 0x00);
  EXPECT_FLOAT_EQ(fp8_e4m3_to_float(codes[0]) * scale, kFp8MinAbsmax);
}

TEST(Fp8Rows, ANonFiniteElementLosesOnlyItself) {
  // One infinity used to make the scale inf: every code times inf decoded to NaN (0 * inf), the
  // whole row lost. Now the scale comes from the finite elements, the non-finite element gets the
  // NaN code, and the rest of the row decodes as usual.
  const float values[8] = {0.5f, -1.25f, 0.0f, 3.0f, -0.03125f, 2.5f, 0.75f, -2.0f};
  for (ElemType elem : {ElemType::bf16, ElemType::fp16})
    for (float bad : {INFINITY, -INFINITY, NAN})
      for (int at : {0, 3, 7}) {
        SCOPED_TRACE(to_string(elem) + " " + std::to_string(bad) + " at " + std::to_string(at));
        std::uint16_t row[8];
        float finite_absmax = 0.0f;
        for (int i = 0; i < 8; ++i) {
          row[i] = float_to_elem(i == at ? bad : values[i], elem);
          if (i != at) finite_absmax = std::max(finite_absmax, std::fabs(values[i]));
        }
        std::uint8_t codes[8];
        const float scale = quantize_row_fp8(row, 8, elem, codes);
        EXPECT_FLOAT_EQ(scale, finite_absmax / kFp8Max);
        for (int i = 0; i < 8; ++i) {
          const float decoded = fp8_e4m3_to_float(codes[i]) * scale;
          if (i == at) {
            EXPECT_EQ(codes[i], kFp8NaN);
            EXPECT_TRUE(std::isnan(decoded));
            continue;
          }
          // e4m3 keeps 3 mantissa bits: within half a step (1/16 relative) of the value, and
          // below 2^-6 of the row's range within half the subnormal step.
          ASSERT_TRUE(std::isfinite(decoded)) << "element " << i;
          EXPECT_LE(std::fabs(decoded - values[i]), std::fabs(values[i]) / 16 + finite_absmax * 0x1p-10f)
              << "element " << i;
        }
      }
}
