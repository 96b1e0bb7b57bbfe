#pragma once
/// The fields of a JSON document that viz/ reads (simulation and calibration documents): every
/// read checks the field's type and range, and a failure throws `Error` naming the document and the
/// field's path, so a damaged file is refused with the place to fix, never drawn half right.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

namespace ua2a::viz {

template <class Error>
class JsonFields {
 public:
  using json = nlohmann::json;

  /// `document` starts every message (a file name or the document's kind); `path` is this
  /// object's place in it ("" at the top); `missing_hint` says where the fields are listed.
  JsonFields(const json& j, std::string document, std::string path, std::string missing_hint,
             std::size_t max_text = 4096)
      : j_(j), document_(std::move(document)), path_(std::move(path)), hint_(std::move(missing_hint)),
        max_text_(max_text) {
    if (!j_.is_object()) fail("", "must be a JSON object");
  }

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw Error(document_ + ": " + name(key) + ": " + what);
  }
  std::string name(const std::string& key) const {
    if (key.empty()) return path_.empty() ? "top level" : path_;
    return path_.empty() ? key : path_ + "." + key;
  }
  const std::string& document() const { return document_; }
  bool has(const std::string& key) const { return j_.contains(key); }
  const json& at(const std::string& key) const {
    const auto it = j_.find(key);
    if (it == j_.end()) fail(key, "missing (" + hint_ + ")");
    return *it;
  }

  /// A string of printable characters: names end up in XML, where control characters are illegal.
  std::string text(const std::string& key) const {
    const json& v = at(key);
    if (!v.is_string()) fail(key, "must be a string");
    const auto& s = v.get_ref<const std::string&>();
    if (s.size() > max_text_)
      fail(key, "is " + std::to_string(s.size()) + " characters long; at most " + std::to_string(max_text_));
    if (std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; }))
      fail(key, "contains a control character");
    return s;
  }
  std::string optional_text(const std::string& key) const { return has(key) ? text(key) : ""; }
  /// A string of any content and length, such as an embedded DOT file (parsed by its own reader).
  std::string raw_text(const std::string& key) const {
    const json& v = at(key);
    if (!v.is_string()) fail(key, "must be a string");
    return v.get<std::string>();
  }

  double number(const std::string& key, double min = 0, double max = std::numeric_limits<double>::max()) const {
    return checked_number(at(key), key, min, max);
  }
  /// `v` read as a finite number in min .. max (an element of an array has no key of its own).
  double checked_number(const json& v, const std::string& key, double min, double max) const {
    if (!v.is_number()) fail(key, "must be a number");
    const double x = v.get<double>();
    if (!std::isfinite(x) || x < min || x > max) fail(key, "is " + v.dump() + ", outside " + g(min) + " .. " + g(max));
    return x;
  }
  std::int64_t integer(const std::string& key, std::int64_t min, std::int64_t max) const {
    const json& v = at(key);
    if (!v.is_number_integer()) fail(key, "must be an integer");
    const auto x = v.get<std::int64_t>();
    if (x < min || x > max)
      fail(key, "is " + std::to_string(x) + ", outside " + std::to_string(min) + " .. " + std::to_string(max));
    return x;
  }
  bool boolean(const std::string& key) const {
    const json& v = at(key);
    if (!v.is_boolean()) fail(key, "must be true or false");
    return v.get<bool>();
  }
  const json& array(const std::string& key, std::size_t max_items = std::numeric_limits<std::size_t>::max()) const {
    const json& v = at(key);
    if (!v.is_array()) fail(key, "must be an array");
    if (v.size() > max_items)
      fail(key, "has " + std::to_string(v.size()) + " entries; at most " + std::to_string(max_items));
    return v;
  }

 private:
  /// A bound as a person reads it: 1e+06, 1.79769e+308, not 300 digits.
  static std::string g(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", x);
    return buf;
  }

  const json& j_;
  std::string document_;
  std::string path_;
  std::string hint_;
  std::size_t max_text_;
};

}  // namespace ua2a::viz
