#pragma once
/// Transparent huge pages for the big per-op and per-piece arrays of the matcher and the ledger.
/// They are touched at thousands of places at once (one per rank), a page apart each: with 4 KiB
/// pages nearly every access misses the TLB at N = 4096; with 2 MiB pages the TLB covers them.
#include <cstddef>
#include <vector>

namespace ua2a {

/// Asks Linux to back the whole 2 MiB pages inside [data, data + bytes) with huge pages. Call it
/// before the memory is first written. A hint: a no-op elsewhere, and failure is harmless.
void advise_huge_pages(void* data, std::size_t bytes);

/// Sizes `v` to `n` copies of `value`, on huge pages where Linux gives them.
template <class T>
void assign_huge(std::vector<T>& v, std::size_t n, T value) {
  v.reserve(n);
  advise_huge_pages(v.data(), n * sizeof(T));
  v.assign(n, value);
}

}  // namespace ua2a
