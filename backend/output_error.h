#pragma once
/// Judging a GPU output against a reference, for the checks at real shapes (bench): the error in
/// units of one bf16 ulp at the reference's RMS, the non-finite elements counted apart (a kernel
/// that writes NaN or leaves the poison must fail however small the rest is), and a stated bound.
#include <cstdint>
#include <span>

#include "backend/numeric.h"

namespace ua2a {

struct OutputError {
  std::uint64_t compared = 0;   ///< elements compared
  std::uint64_t nonfinite = 0;  ///< NaN or Inf in the output (or the reference): each one fails
  double rms = 0;               ///< RMS of the reference over the finite pairs
  double max_ulps = 0;          ///< max |got - want| / (rms * 2^-8) over the finite pairs
  double rms_ulps = 0;          ///< RMS of got - want, same unit
  std::uint64_t worst = 0;      ///< index of the largest difference
};

struct ErrorBound {
  double max_ulps = 0;
  double rms_ulps = 0;
};

/// A GPU attention kernel against the simple kernel, the plain reference or float64: the rounding
/// of P in the tiled algorithm (tests/backend/attention_checks.h, near_reference; the CPU tests
/// measure about a third of it on the tiled mirror).
inline constexpr ErrorBound kAttentionBound{16, 2};

/// Passes when something was compared, nothing was non-finite and both figures are within `b`.
bool within(const OutputError& e, const ErrorBound& b);

OutputError output_error(std::span<const std::uint16_t> got, ElemType elem, std::span<const double> want);
OutputError output_error(std::span<const std::uint16_t> got, ElemType elem, std::span<const std::uint16_t> want);

}  // namespace ua2a
