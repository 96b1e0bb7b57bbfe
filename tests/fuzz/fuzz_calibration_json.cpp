// libFuzzer target for viz's calibration-document reader (render calibration): any input either
// parses, and then draws as a well-formed SVG with one model marker per point, or throws
// CalibrationDocumentError. Anything else (a crash, another exception, a sanitizer report) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "tests/viz/svg_check.h"
#include "viz/calibration_picture.h"

using namespace ua2a;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  viz::CalibrationDocument doc;
  try {
    doc = viz::calibration_document_from_json(text, "fuzz.json");
  } catch (const viz::CalibrationDocumentError&) {
    return 0;
  }
  if (doc.points.empty()) __builtin_trap();  // the reader promises at least one point
  const std::string svg = viz::calibration_svg(doc);
  if (!viz::test::xml_problem(svg).empty()) __builtin_trap();
  const char* model = doc.kind == viz::CalibrationDocumentKind::box_calibration ? "<g class=\"fitted\""
                                                                                : "<g class=\"predicted\"";
  if (viz::test::count(svg, model) != doc.points.size()) __builtin_trap();
  return 0;
}
