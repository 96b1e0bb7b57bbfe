#pragma once
/// Output formats of pictures, chosen by --format or by the output file's extension.
#include <string>

namespace ua2a::viz {

enum class ImageFormat { svg, png, pdf, dot };

/// Parses "svg" | "png" | "pdf" | "dot" (case-insensitive); throws std::invalid_argument naming
/// the value and the choices otherwise.
ImageFormat parse_image_format(const std::string& name);
std::string to_string(ImageFormat format);
/// The format named by `path`'s extension ("x.svg" -> svg, "x.gv" -> dot); throws
/// std::invalid_argument naming the path when the extension is missing or unknown.
ImageFormat format_from_path(const std::string& path);
/// `format` when given (non-empty), else the format of `path`'s extension.
ImageFormat choose_format(const std::string& format, const std::string& path);

}  // namespace ua2a::viz
