// libFuzzer target for `plan --gpus` (a count or a list of the box's GPUs): any text either gives
// a count in 1.. and, for a list, distinct ascending GPUs of the box that map onto a layout, or
// throws std::invalid_argument. Anything else is a bug.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "plan/mapping.h"

using namespace ua2a;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 4096) return 0;
  static const Topology box = make_preset("4090x8-sw2");
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    std::int32_t count = 0;
    const auto list = plan::parse_gpu_selection(text, 8, count);
    if (count < 1) __builtin_trap();
    if (list.empty()) return 0;
    if (static_cast<std::int32_t>(list.size()) != count) __builtin_trap();
    for (std::size_t i = 0; i < list.size(); ++i)
      if (list[i] < 0 || list[i] >= 8 || (i > 0 && list[i] <= list[i - 1])) __builtin_trap();
    const plan::Mapping m = plan::map_layout(box, 1, 1, count, list);
    if (m.gpus() != list) __builtin_trap();
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
