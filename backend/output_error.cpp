#include "backend/output_error.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace ua2a {

namespace {

template <class Want>
OutputError measure(std::span<const std::uint16_t> got, ElemType elem, std::size_t n, Want&& want_at) {
  if (got.size() != n)
    throw std::invalid_argument("output of " + std::to_string(got.size()) + " elements against a reference of " +
                                std::to_string(n));
  OutputError e;
  e.compared = n;
  double ss = 0, sd = 0, max_abs = 0;
  std::uint64_t finite = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double g = elem_to_float(got[i], elem), w = want_at(i);
    if (!std::isfinite(g) || !std::isfinite(w)) {
      ++e.nonfinite;
      continue;
    }
    const double d = std::fabs(g - w);
    ss += w * w, sd += d * d, ++finite;
    if (d > max_abs) max_abs = d, e.worst = i;
  }
  if (finite == 0) return e;
  e.rms = std::sqrt(ss / finite);
  const double ulp = e.rms * 0x1p-8;
  e.max_ulps = ulp > 0 ? max_abs / ulp : (max_abs > 0 ? INFINITY : 0);
  e.rms_ulps = ulp > 0 ? std::sqrt(sd / finite) / ulp : (sd > 0 ? INFINITY : 0);
  return e;
}

}  // namespace

bool within(const OutputError& e, const ErrorBound& b) {
  return e.compared > 0 && e.nonfinite == 0 && e.max_ulps <= b.max_ulps && e.rms_ulps <= b.rms_ulps;
}

OutputError output_error(std::span<const std::uint16_t> got, ElemType elem, std::span<const double> want) {
  return measure(got, elem, want.size(), [&](std::size_t i) { return want[i]; });
}

OutputError output_error(std::span<const std::uint16_t> got, ElemType elem, std::span<const std::uint16_t> want) {
  return measure(got, elem, want.size(), [&](std::size_t i) { return static_cast<double>(elem_to_float(want[i], elem)); });
}

}  // namespace ua2a
