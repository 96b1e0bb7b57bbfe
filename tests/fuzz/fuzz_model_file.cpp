// libFuzzer target for the model readers (a model document or a diffusers config.json): any
// input either reads (and then writes back as a document that reads again to the same text) or
// throws ModelFileError. Anything else (a crash, another exception, a sanitizer report) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "plan/models.h"

using namespace ua2a;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  VideoModel m;
  try {
    m = plan::read_model_file(text, "fuzz.json");
  } catch (const plan::ModelFileError&) {
    return 0;
  }
  const std::string written = plan::model_json(m);
  if (plan::model_json(plan::read_model_file(written, "fuzz.json")) != written) __builtin_trap();
  return 0;
}
