#pragma once
// A tiny XML well-formedness check for the SVG the tests produce: tags nest and close, attribute
// values are quoted, text holds no raw '<' and only known entities. Not a full XML parser (no
// CDATA, no internal DTD subset): enough for Graphviz's and the timeline's output.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ua2a::viz::test {

/// Empty when `xml` is well-formed, else what is wrong and where.
inline std::string xml_problem(std::string_view xml) {
  std::vector<std::string> open;
  std::size_t i = 0, roots = 0;
  auto at = [&](std::size_t p) { return " at offset " + std::to_string(p); };
  auto check_text = [&](std::size_t from, std::size_t to) -> std::string {
    for (std::size_t p = from; p < to; ++p) {
      if (xml[p] != '&') continue;
      const std::size_t semi = xml.find(';', p);
      if (semi == std::string_view::npos || semi > to) return "unterminated entity" + at(p);
      const std::string_view e = xml.substr(p + 1, semi - p - 1);
      if (e != "amp" && e != "lt" && e != "gt" && e != "quot" && e != "apos" && (e.empty() || e[0] != '#'))
        return "unknown entity &" + std::string(e) + ";" + at(p);
    }
    return "";
  };
  while (i < xml.size()) {
    const std::size_t lt = xml.find('<', i);
    if (lt == std::string_view::npos) {
      if (auto p = check_text(i, xml.size()); !p.empty()) return p;
      break;
    }
    if (!open.empty())
      if (auto p = check_text(i, lt); !p.empty()) return p;
    if (xml.substr(lt, 4) == "<!--") {
      const std::size_t end = xml.find("-->", lt);
      if (end == std::string_view::npos) return "unterminated comment" + at(lt);
      i = end + 3;
      continue;
    }
    if (xml.substr(lt, 2) == "<?" || xml.substr(lt, 2) == "<!") {
      const std::size_t end = xml.find('>', lt);
      if (end == std::string_view::npos) return "unterminated declaration" + at(lt);
      i = end + 1;
      continue;
    }
    // A tag: scan to its '>' outside quoted attribute values.
    std::size_t p = lt + 1;
    char quote = 0;
    for (; p < xml.size(); ++p) {
      if (quote) {
        if (xml[p] == quote) quote = 0;
        else if (xml[p] == '<') return "'<' inside an attribute value" + at(p);
      } else if (xml[p] == '"' || xml[p] == '\'') {
        quote = xml[p];
      } else if (xml[p] == '>') {
        break;
      }
    }
    if (p >= xml.size()) return "unterminated tag" + at(lt);
    std::string_view tag = xml.substr(lt + 1, p - lt - 1);
    const bool closing = !tag.empty() && tag[0] == '/';
    const bool self_closing = !tag.empty() && tag.back() == '/';
    if (closing) tag.remove_prefix(1);
    const std::size_t name_end = tag.find_first_of(" \t\r\n/");
    const std::string name(tag.substr(0, name_end));
    if (name.empty()) return "tag without a name" + at(lt);
    if (closing) {
      if (open.empty() || open.back() != name) return "</" + name + "> closes nothing open" + at(lt);
      open.pop_back();
    } else if (!self_closing) {
      if (open.empty()) ++roots;
      open.push_back(name);
    } else if (open.empty()) {
      ++roots;
    }
    i = p + 1;
  }
  if (!open.empty()) return "<" + open.back() + "> never closed";
  if (roots != 1) return std::to_string(roots) + " root elements";
  return "";
}

/// Occurrences of `needle` in `haystack`.
inline std::size_t count(std::string_view haystack, std::string_view needle) {
  std::size_t n = 0;
  for (std::size_t p = haystack.find(needle); p != std::string_view::npos; p = haystack.find(needle, p + 1)) ++n;
  return n;
}

/// True when `data` starts with the 8-byte PNG signature.
inline bool is_png(std::string_view data) {
  return data.size() > 8 && data.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8);
}

}  // namespace ua2a::viz::test
