#pragma once
/// Portable element conversions: bf16, fp16 and FP8 e4m3, bit-exact with the CUDA intrinsics the
/// kernels use (__float2bfloat16_rn, __float2half_rn, __nv_fp8_e4m3 with saturation), so CPU and
/// GPU paths produce the same bytes.
#include <cstdint>
#include <string>

namespace ua2a {

/// Element type of q, k, v and the output (the wire may be FP8 on top of it).
enum class ElemType : std::uint8_t { bf16, fp16 };

std::string to_string(ElemType type);
/// Parses "bf16" | "fp16"; throws std::invalid_argument naming the value otherwise.
ElemType parse_elem_type(const std::string& name);

/// float -> bf16 bits, round to nearest even; NaN stays a (quiet) NaN.
std::uint16_t float_to_bf16(float x);
float bf16_to_float(std::uint16_t bits);
/// float -> IEEE binary16 bits, round to nearest even, overflow to infinity.
std::uint16_t float_to_fp16(float x);
float fp16_to_float(std::uint16_t bits);

/// The element type's conversions, chosen at run time.
std::uint16_t float_to_elem(float x, ElemType type);
float elem_to_float(std::uint16_t bits, ElemType type);

/// Largest finite e4m3 value (0x7E); the per-row scale is absmax / kFp8Max.
inline constexpr float kFp8Max = 448.0f;
/// Rows whose absmax is below this quantise to zeros (codes 0, scale 0) on CPU and GPU: the
/// inverse scale kFp8Max / absmax overflows float32 below about 1.3e-36, and 0 * inf would turn
/// the row's zeros into NaN. 2^-119 is the smallest power of two whose inverse scale is finite
/// (448 * 2^119 < FLT_MAX); it also covers every subnormal absmax.
inline constexpr float kFp8MinAbsmax = 0x1p-119f;
/// The e4m3 NaN code (e4m3 has no infinities). Row quantisation gives it to every non-finite
/// element, whatever its sign, so that element decodes to NaN and the rest of its row is kept.
inline constexpr std::uint8_t kFp8NaN = 0x7f;
/// float -> e4m3 (OCP FP8, bias 7, no infinities): round to nearest even, saturate to +-448,
/// NaN -> 0x7F. Matches __nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E4M3).
std::uint8_t float_to_fp8_e4m3(float x);
float fp8_e4m3_to_float(std::uint8_t bits);

}  // namespace ua2a
