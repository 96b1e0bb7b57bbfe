#pragma once
/// CPU versions of the layer's kernels over exactly the kernels' byte layouts (layout.h). They
/// are the reference the CUDA kernels are tested against and what the `threads` transport runs.
#include <cstddef>
#include <cstdint>

#include "backend/layout.h"

namespace ua2a {

/// Gathers the rows of `map` from the strided tensors src[0 .. map.tensors) into `packed`
/// (map.blocks blocks at map.block_stride), quantising to e4m3 with one float32 scale per row
/// (absmax / 448, appended after the block's payload) when map.fp8.
void pack_cpu(const RowMap& map, ElemType elem, const std::uint16_t* const* src, std::byte* packed);
/// The inverse: scatters the rows of `packed` into the strided tensors dst[0 .. map.tensors),
/// dequantising (e4m3 value times its row scale, rounded to `elem`) when map.fp8.
void unpack_cpu(const RowMap& map, ElemType elem, const std::byte* packed, std::uint16_t* const* dst);

/// Copies heads first_head .. first_head + heads - 1 of `text` [tokens, heads_total, D] into
/// rows row0 .. row0 + tokens - 1 of `dst` [*, heads, D] (the text tokens after the image).
void append_text_cpu(const std::uint16_t* text, std::uint64_t tokens, std::uint64_t heads_total,
                     std::uint64_t first_head, std::uint64_t heads, std::uint64_t head_dim, std::uint16_t* dst,
                     std::uint64_t row0);

/// One e4m3 row: writes `n` codes and returns the row scale (absmax / 448 over the finite
/// elements; 0 for an all-zero row). Non-finite elements get kFp8NaN: they decode to NaN alone.
float quantize_row_fp8(const std::uint16_t* row, std::uint64_t n, ElemType elem, std::uint8_t* codes);

}  // namespace ua2a
