#pragma once
/// Error messages quote what a file held (a DOT value, a line of nvidia-smi output, a JSON field)
/// and the file's name. A NUL byte there cut the message where std::exception::what() ends, and
/// other control bytes (ESC, CR) garble a terminal; so every reader's error type passes its
/// message through printable(), which writes such a byte as \xNN. Newlines and tabs stay: messages
/// span lines on purpose. Idempotent: the backslash itself is left alone, so a message that wraps
/// another is escaped once.
#include <string>
#include <string_view>

namespace ua2a {

inline std::string printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\n' && c != '\t') || byte == 0x7f) {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace ua2a
