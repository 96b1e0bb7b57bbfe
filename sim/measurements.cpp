// The measurement document: reader, writer, merge, and the check against a box (measurements.h).
#include "sim/measurements.h"

#include "sim/route.h"

#include <cmath>
#include <map>
#include <memory>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

namespace ua2a {

namespace {

using json = nlohmann::json;

constexpr const char* kFormat = "ulysses-a2a/measurements";
constexpr const char* kOps[] = {"write", "read"};
constexpr const char* kMetrics[] = {"total", "flow_min", "rank_min", "busbw"};
const std::set<std::string> kDocumentKeys = {"format", "version", "box", "points"};
const std::set<std::string> kPointKeys = {"name", "transport", "op",     "bytes",      "flows",
                                          "metric", "gbps",    "source", "collective", "size_bytes"};

template <std::size_t N>
std::string names(const char* const (&table)[N]) {
  std::string all;
  for (const char* n : table) all += std::string(all.empty() ? "" : ", ") + n;
  return all;
}

/// Prefixes every message with the file (or "measurements") and the point.
class Where {
 public:
  explicit Where(const std::string& origin) : file_(origin.empty() ? "measurements" : origin) {}
  void point(std::size_t index, const std::string& name) {
    where_ = file_ + ": point " + std::to_string(index) + (name.empty() ? "" : " ('" + name + "')");
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw MeasurementError((where_.empty() ? file_ : where_) + ": " + what);
  }

 private:
  std::string file_;
  std::string where_;
};

void refuse_unknown_keys(const json& object, const std::set<std::string>& known, const Where& where) {
  for (const auto& [key, value] : object.items()) {
    if (known.count(key)) continue;
    std::string list;
    for (const std::string& k : known) list += std::string(list.empty() ? "" : ", ") + k;
    where.fail("unknown field '" + key + "': the fields are " + list + " (docs/formats.md)");
  }
}

std::string string_field(const json& object, const char* key, const Where& where, bool required) {
  if (!object.contains(key)) {
    if (required) where.fail(std::string("field '") + key + "' is missing");
    return "";
  }
  if (!object[key].is_string()) where.fail(std::string("field '") + key + "' must be a string");
  return object[key].get<std::string>();
}

/// A whole number in [min, max] (JSON integers, or reals that are whole).
std::uint64_t count_field(const json& value, const std::string& what, std::uint64_t min, std::uint64_t max,
                          const Where& where) {
  if (value.is_number_unsigned() || (value.is_number_integer() && value.get<std::int64_t>() >= 0)) {
    const auto v = value.get<std::uint64_t>();
    if (v >= min && v <= max) return v;
  } else if (value.is_number_float()) {
    const double d = value.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && d >= static_cast<double>(min) && d <= static_cast<double>(max))
      return static_cast<std::uint64_t>(d);
  }
  where.fail(what + " must be a whole number from " + std::to_string(min) + " to " + std::to_string(max) +
             ", not " + value.dump());
}

std::vector<Flow> read_flows(const json& value, const Where& where) {
  if (!value.is_array() || value.empty())
    where.fail("field 'flows' must be a non-empty list of [source GPU, destination GPU] pairs");
  if (value.size() > kMaxFlowsPerPoint)
    where.fail("has " + std::to_string(value.size()) + " flows; at most " + std::to_string(kMaxFlowsPerPoint));
  std::vector<Flow> flows;
  std::set<Flow> seen;
  for (const json& f : value) {
    if (!f.is_array() || f.size() != 2) where.fail("each flow must be a pair [source GPU, destination GPU], not " + f.dump());
    const auto src = static_cast<std::int32_t>(count_field(f[0], "a flow's source GPU", 0, kMaxMeasuredGpu, where));
    const auto dst = static_cast<std::int32_t>(count_field(f[1], "a flow's destination GPU", 0, kMaxMeasuredGpu, where));
    std::string text = "[";  // appended, not concatenated: GCC 12 warns falsely (-Wrestrict) on "[" + ...
    text.append(std::to_string(src)).append(", ").append(std::to_string(dst)).append("]");
    if (src == dst) where.fail("flow " + text + " goes from a GPU to itself: a measurement is between two GPUs");
    if (!seen.insert({src, dst}).second)
      where.fail("flow " + text + " is listed twice: list each flow once (its bytes are per flow)");
    flows.push_back({src, dst});
  }
  return flows;
}

MeasurementPoint read_point(const json& p, std::size_t index, Where& where) {
  where.point(index, p.is_object() && p.contains("name") && p["name"].is_string() ? p["name"].get<std::string>() : "");
  if (!p.is_object()) where.fail("a point must be an object with name, transport, op, bytes, flows, metric, gbps");
  refuse_unknown_keys(p, kPointKeys, where);
  MeasurementPoint m;
  m.name = string_field(p, "name", where, true);
  if (m.name.empty()) where.fail("field 'name' is empty: name the pattern");
  try {
    m.transport = parse_transport(string_field(p, "transport", where, true));
    m.op = parse_measure_op(p.contains("op") ? string_field(p, "op", where, true) : "write");
    m.metric = parse_measure_metric(string_field(p, "metric", where, true));
  } catch (const TopologyError& e) {
    where.fail(e.what());
  } catch (const MeasurementError& e) {
    where.fail(e.what());
  }
  if (m.op == MeasureOp::read && m.transport != TransportKind::cuda_p2p)
    where.fail("op 'read' applies to cuda-p2p only (copy engines pulling from the peer); NCCL's and staged "
               "transports write: use op 'write'");
  if (!p.contains("bytes")) where.fail("field 'bytes' is missing: the bytes each flow moved");
  m.bytes = count_field(p["bytes"], "field 'bytes'", 1, kMaxMeasuredBytes, where);
  if (!p.contains("flows")) where.fail("field 'flows' is missing");
  m.flows = read_flows(p["flows"], where);
  if (!p.contains("gbps")) where.fail("field 'gbps' is missing: the measured figure in GB/s");
  if (!p["gbps"].is_number()) where.fail("field 'gbps' must be a number (GB/s)");
  m.gbps = p["gbps"].get<double>();
  if (!std::isfinite(m.gbps) || m.gbps <= 0 || m.gbps > 1e6)
    where.fail("field 'gbps' = " + p["gbps"].dump() + " must be a positive figure in GB/s (at most 1e6)");
  m.source = string_field(p, "source", where, false);
  m.collective = string_field(p, "collective", where, false);
  if (p.contains("size_bytes")) m.size_bytes = count_field(p["size_bytes"], "field 'size_bytes'", 1, kMaxMeasuredBytes, where);
  return m;
}

/// A preset name stays as it is; a file is resolved against the document's folder.
std::string resolve_box(const std::string& box, const std::string& origin) {
  if (box.empty()) return "";
  for (const PresetInfo& p : presets())
    if (box == p.name) return box;
  const std::filesystem::path path(box);
  if (path.is_absolute() || origin.empty()) return box;
  return (std::filesystem::path(origin).parent_path() / path).lexically_normal().string();
}

}  // namespace

std::string to_string(MeasureOp op) { return kOps[static_cast<int>(op)]; }

MeasureOp parse_measure_op(const std::string& name) {
  for (std::size_t i = 0; i < std::size(kOps); ++i)
    if (name == kOps[i]) return static_cast<MeasureOp>(i);
  throw MeasurementError("unknown op '" + name + "': use one of " + names(kOps));
}

std::string to_string(MeasureMetric metric) { return kMetrics[static_cast<int>(metric)]; }

MeasureMetric parse_measure_metric(const std::string& name) {
  for (std::size_t i = 0; i < std::size(kMetrics); ++i)
    if (name == kMetrics[i]) return static_cast<MeasureMetric>(i);
  throw MeasurementError("unknown metric '" + name + "': use one of " + names(kMetrics));
}

Measurements read_measurements(const std::string& text, const std::string& origin) {
  Where where(origin);
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for a number past a double (1e44444)
    where.fail(std::string("not valid JSON (") + e.what() + ")");
  }
  if (!doc.is_object()) where.fail("a measurement document is a JSON object with format, version, box and points");
  refuse_unknown_keys(doc, kDocumentKeys, where);
  if (string_field(doc, "format", where, true) != kFormat)
    where.fail("field 'format' must be \"" + std::string(kFormat) + "\" (docs/formats.md)");
  if (!doc.contains("version") || !doc["version"].is_number_integer() || doc["version"].get<std::int64_t>() != 1)
    where.fail("field 'version' must be 1: this build reads version 1 only");
  Measurements m;
  m.origin = origin;
  m.box = string_field(doc, "box", where, false);
  m.box_resolved = resolve_box(m.box, origin);
  if (!doc.contains("points") || !doc["points"].is_array() || doc["points"].empty())
    where.fail("field 'points' must be a non-empty list of measurements");
  if (doc["points"].size() > kMaxMeasurementPoints)
    where.fail("has " + std::to_string(doc["points"].size()) + " points; at most " +
               std::to_string(kMaxMeasurementPoints) + " in one document");
  std::set<std::string> seen;
  for (std::size_t i = 0; i < doc["points"].size(); ++i) {
    m.points.push_back(read_point(doc["points"][i], i, where));
    if (!seen.insert(m.points.back().name).second)
      where.fail("the name '" + m.points.back().name + "' is used twice: give every point its own name");
  }
  return m;
}

std::string measurements_json(const Measurements& m) {
  nlohmann::ordered_json doc;
  doc["format"] = kFormat;
  doc["version"] = 1;
  if (!m.box.empty()) doc["box"] = m.box;
  doc["points"] = nlohmann::ordered_json::array();
  for (const MeasurementPoint& p : m.points) {
    nlohmann::ordered_json j;
    j["name"] = p.name;
    j["transport"] = to_string(p.transport);
    j["op"] = to_string(p.op);
    j["bytes"] = p.bytes;
    j["flows"] = nlohmann::ordered_json::array();
    for (const Flow& f : p.flows) j["flows"].push_back({f.first, f.second});
    j["metric"] = to_string(p.metric);
    j["gbps"] = p.gbps;
    if (!p.source.empty()) j["source"] = p.source;
    if (!p.collective.empty()) j["collective"] = p.collective;
    if (p.size_bytes > 0) j["size_bytes"] = p.size_bytes;
    doc["points"].push_back(std::move(j));
  }
  return doc.dump(1) + "\n";
}

Measurements merge_measurements(const std::vector<Measurements>& docs) {
  Measurements all;
  std::set<std::string> seen;
  const Measurements* box_from = nullptr;
  for (const Measurements& d : docs) {
    if (!d.box_resolved.empty()) {
      if (box_from && d.box_resolved != all.box_resolved)
        throw MeasurementError(d.origin + ": its box '" + d.box + "' differs from " + box_from->origin + "'s '" +
                               box_from->box + "': measurements of one box only (fit each box on its own)");
      if (!box_from) all.box = d.box, all.box_resolved = d.box_resolved, box_from = &d;
    }
    for (const MeasurementPoint& p : d.points) {
      if (!seen.insert(p.name).second)
        throw MeasurementError(d.origin + ": point '" + p.name + "' has the name of a point of an earlier file: "
                               "rename one of them");
      all.points.push_back(p);
    }
  }
  if (all.points.size() > kMaxMeasurementPoints)
    throw MeasurementError("the files hold " + std::to_string(all.points.size()) + " points together; at most " +
                           std::to_string(kMaxMeasurementPoints));
  all.origin = docs.size() == 1 ? docs.front().origin : "the measurement files";
  return all;
}

void check_measurements_fit(const Measurements& m, const Topology& topology) {
  const auto gpus = static_cast<std::int32_t>(topology.gpus().size());
  const std::string file = m.origin.empty() ? std::string("measurements") : m.origin;
  for (const MeasurementPoint& p : m.points)
    for (const Flow& f : p.flows)
      if (f.first >= gpus || f.second >= gpus)
        throw MeasurementError(file + ": point '" + p.name + "' uses GPU " + std::to_string(std::max(f.first, f.second)) +
                               " but box '" + topology.name + "' has GPUs 0 to " + std::to_string(gpus - 1) +
                               ": give the box the measurements were taken on (--topology or the document's box)");
  std::map<TransportKind, std::unique_ptr<Router>> routers;
  for (const MeasurementPoint& p : m.points) {
    try {
      auto& router = routers[p.transport];
      if (!router) router = std::make_unique<Router>(topology, p.transport, true);
      for (const Flow& f : p.flows) router->route(f.first, f.second);  // throws where no such path exists
    } catch (const std::invalid_argument& e) {
      throw MeasurementError(file + ": point '" + p.name + "' was measured over " + to_string(p.transport) +
                             ", which box '" + topology.name + "' cannot route (" + e.what() +
                             "): give the box the measurements were taken on");
    }
  }
}

}  // namespace ua2a
