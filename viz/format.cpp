#include "viz/format.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace ua2a::viz {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

ImageFormat parse_image_format(const std::string& name) {
  const std::string n = lower(name);
  if (n == "svg") return ImageFormat::svg;
  if (n == "png") return ImageFormat::png;
  if (n == "pdf") return ImageFormat::pdf;
  if (n == "dot" || n == "gv") return ImageFormat::dot;
  throw std::invalid_argument("unknown picture format '" + name + "': use svg, png, pdf or dot");
}

std::string to_string(ImageFormat format) {
  switch (format) {
    case ImageFormat::png: return "png";
    case ImageFormat::pdf: return "pdf";
    case ImageFormat::dot: return "dot";
    case ImageFormat::svg: break;
  }
  return "svg";
}

ImageFormat format_from_path(const std::string& path) {
  const auto slash = path.find_last_of('/');
  const auto dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
    throw std::invalid_argument("cannot tell the picture format of '" + path +
                                "': end the file name in .svg, .png, .pdf or .dot, or pass --format");
  try {
    return parse_image_format(path.substr(dot + 1));
  } catch (const std::invalid_argument&) {
    throw std::invalid_argument("unknown picture extension in '" + path +
                                "': end the file name in .svg, .png, .pdf or .dot, or pass --format");
  }
}

ImageFormat choose_format(const std::string& format, const std::string& path) {
  return format.empty() ? format_from_path(path) : parse_image_format(format);
}

}  // namespace ua2a::viz
