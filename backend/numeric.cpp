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
  const std::uint8_t sign = std::signbit(x) ? 0x80 : 0x00;
  const float a = std::fabs(x);
  if (a >= kFp8Max) return sign | 0x7e;  // saturate (also infinities)
  if (a == 0.0f) return sign;
  // Smallest normal is 2^-6; below it the grid is uniform with step 2^-9 (subnormals).
  int exp = 0;
  std::frexp(a, &exp);  // a = f * 2^exp, f in [0.5, 1)
  const int e = exp - 1 < -6 ? -6 : exp - 1;  // unbiased exponent of the grid cell
  const float step = std::ldexp(1.0f, e - 3);  // 3 mantissa bits
  // nearbyint rounds half to even under the default rounding mode: exact, since a/step is exact.
  const float q = std::nearbyint(a / step);
  // q in [0, 16]; q == 16 carries into the next binade.
  std::uint32_t code = 0;
  if (e == -6 && q < 8) {
    code = static_cast<std::uint32_t>(q);  // subnormal: exponent field 0
  } else {
    int biased = e + 7;
    std::uint32_t mant = static_cast<std::uint32_t>(q) - 8;
    if (q >= 16) ++biased, mant = 0;
    code = static_cast<std::uint32_t>(biased) << 3 | mant;
  }
  if (code > 0x7e) code = 0x7e;
  return sign | static_cast<std::uint8_t>(code);
}

float fp8_e4m3_to_float(std::uint8_t bits) {
  const bool neg = bits & 0x80;
  const int exp = (bits >> 3) & 0xf;
  const int mant = bits & 0x7;
  if (exp == 0xf && mant == 0x7) return std::nanf("");
  const float v = exp == 0 ? std::ldexp(static_cast<float>(mant), -9) : std::ldexp(1.0f + mant / 8.0f, exp - 7);
  return neg ? -v : v;
}

}  // namespace ua2a
