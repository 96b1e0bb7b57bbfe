#include "backend/numeric.h"

#include <bit>
#include <cmath>
#include <stdexcept>

namespace ua2a {

std::string to_string(ElemType type) { return type == ElemType::bf16 ? "bf16" : "fp16"; }

ElemType parse_elem_type(const std::string& name) {
  if (name == "bf16") return ElemType::bf16;
  if (name == "fp16") return ElemType::fp16;
  throw std::invalid_argument("unknown element type '" + name + "': use bf16 or fp16");
}

std::uint16_t float_to_bf16(float x) {
  const std::uint32_t u = std::bit_cast<std::uint32_t>(x);
  if (std::isnan(x)) return static_cast<std::uint16_t>((u >> 16) | 0x40);  // keep sign, force quiet
  // Round to nearest even: add 0x7fff plus the lowest kept bit, then truncate.
  const std::uint32_t rounded = u + 0x7fffu + ((u >> 16) & 1u);
  return static_cast<std::uint16_t>(rounded >> 16);
}

float bf16_to_float(std::uint16_t bits) { return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16); }

std::uint16_t float_to_fp16(float x) {
  const std::uint32_t u = std::bit_cast<std::uint32_t>(x);
  const std::uint16_t sign = static_cast<std::uint16_t>((u >> 16) & 0x8000u);
  const std::uint32_t abs = u & 0x7fffffffu;
  if (abs >= 0x7f800000u) return sign | (abs > 0x7f800000u ? 0x7e00 : 0x7c00);  // NaN or inf
  if (abs >= 0x477ff000u) return sign | 0x7c00;  // rounds to >= 65520: overflow to infinity
  if (abs < 0x38800000u) {
    // Subnormal half (or zero): value = m * 2^-24. Let the FPU round: adding 0.5 (2^-1) puts the
    // 2^-24 unit at the last mantissa bit of a float in [0.5, 1), which rounds to nearest even.
    const float f = std::bit_cast<float>(abs) + 0.5f;
    return sign | static_cast<std::uint16_t>(std::bit_cast<std::uint32_t>(f) - 0x3f000000u);
  }
  // Normal: rebias the exponent (127 -> 15) and round the 13 dropped mantissa bits to even.
  const std::uint32_t rebased = abs - ((127u - 15u) << 23);
  const std::uint32_t rounded = rebased + 0xfffu + ((rebased >> 13) & 1u);
  return sign | static_cast<std::uint16_t>(rounded >> 13);
}

float fp16_to_float(std::uint16_t bits) {
  const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000u) << 16;
  const std::uint32_t exp = (bits >> 10) & 0x1fu;
  const std::uint32_t mant = bits & 0x3ffu;
  if (exp == 0) {
    const float v = std::ldexp(static_cast<float>(mant), -24);
    return sign ? -v : v;
  }
  if (exp == 31) return std::bit_cast<float>(sign | 0x7f800000u | (mant << 13));
  return std::bit_cast<float>(sign | ((exp + 112u) << 23) | (mant << 13));
}

std::uint16_t float_to_elem(float x, ElemType type) {
  return type == ElemType::bf16 ? float_to_bf16(x) : float_to_fp16(x);
}

float elem_to_float(std::uint16_t bits, ElemType type) {
  return type == ElemType::bf16 ? bf16_to_float(bits) : fp16_to_float(bits);
}

std::uint8_t float_to_fp8_e4m3(float x) {
  if (std::isnan(x)) return 0x7f;
  const std::uint32_t u = std::bit_cast<std::uint32_t>(x);
  const std::uint8_t sign = static_cast<std::uint8_t>((u >> 24) & 0x80);
  const std::uint32_t abs = u & 0x7fffffffu;
  if (abs >= 0x43e00000u) return sign | 0x7e;  // >= 448: saturate (also infinities)
  if (abs < 0x3c800000u) {
    // Below the smallest normal 2^-6 the grid is uniform, step 2^-9: scale by 2^9 (exact) and
    // round to an integer with the magic-number trick, which rounds half to even.
    const float scaled = std::bit_cast<float>(abs) * 512.0f;
    const float q = (scaled + 8388608.0f) - 8388608.0f;  // 0 .. 8; 8 is the smallest normal, 0x08
    return sign | static_cast<std::uint8_t>(q);
  }
  // Normal: keep 3 of the 23 mantissa bits, rounding the 20 dropped ones to nearest even; a carry
  // moves into the exponent, as it should. Then rebias the exponent from 127 to 7.
  const std::uint32_t rounded = abs + 0x7ffffu + ((abs >> 20) & 1u);
  const std::uint32_t code = (((rounded >> 23) - 120u) << 3) | ((rounded >> 20) & 7u);
  return sign | static_cast<std::uint8_t>(code > 0x7e ? 0x7e : code);
}

namespace {

/// All 256 decodings, computed once: decoding is on the unpack path of the CPU layer.
struct Fp8Table {
  float value[256];
  Fp8Table() {
    for (int c = 0; c < 256; ++c) {
      const int exp = (c >> 3) & 0xf, mant = c & 0x7;
      const float v = exp == 0xf && mant == 0x7 ? std::nanf("")
                      : exp == 0                 ? std::ldexp(static_cast<float>(mant), -9)
                                                 : std::ldexp(1.0f + mant / 8.0f, exp - 7);
      value[c] = (c & 0x80) ? -v : v;
    }
  }
};

}  // namespace

float fp8_e4m3_to_float(std::uint8_t bits) {
  static const Fp8Table table;
  return table.value[bits];
}

}  // namespace ua2a
