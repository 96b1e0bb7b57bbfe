// The planner's outputs: the ranked table with a recommendation, the JSON document and the
// stacked-bar picture of the stages.
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "plan/plan.h"

namespace ua2a::plan {

namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

/// Steps read in seconds, attentions and blocks in milliseconds.
double unit_scale(const PlanResult& r) { return r.options.scope == Scope::step ? 1.0 : 1e3; }
const char* unit_name(const PlanResult& r) { return r.options.scope == Scope::step ? "s" : "ms"; }

std::string schedule_label(const Candidate& k) {
  if (k.algo == "-") return "-";
  return k.algo + " " + k.discipline + (k.unmerged ? " (unm)" : "");
}

std::string row(const PlanResult& r, const std::string& rank, const Candidate& k) {
  const double u = unit_scale(r);
  std::string s;
  char buf[512];
  std::snprintf(buf, sizeof buf, "%-4s %-17s %-30s %-11s %-4s %-5s %9.4f", rank.c_str(), to_string(k.layout).c_str(),
                schedule_label(k).c_str(), k.transport.c_str(), to_string(k.dtype).c_str(), to_string(k.overlap).c_str(),
                k.time_s * u);
  s = buf;
  for (double v : stage_values(k.stages)) s += fmt(" %8.4f", v * u);
  std::snprintf(buf, sizeof buf, "  %-15s %6.1f%s %7.2fx %7s", k.bottleneck.c_str(), k.memory_bytes / 1e9,
                !k.fits ? "!" : k.offload ? "o" : " ", k.speedup_one_gpu,
                k.speedup_reference > 0 ? fmt("%.2fx", k.speedup_reference).c_str() : "-");
  return s + buf + "  " + to_string(k.mapping) + (k.needs.empty() ? "" : " *") + "\n";
}

nlohmann::json candidate_json(const Candidate& k) {
  nlohmann::json stages = nlohmann::json::object();
  const auto names = stage_names();
  const auto values = stage_values(k.stages);
  for (std::size_t i = 0; i < names.size(); ++i) stages[names[i]] = values[i];
  return {{"cfg", k.layout.cfg},
          {"ulysses", k.layout.ulysses},
          {"ring", k.layout.ring},
          {"algo", k.algo},
          {"discipline", k.discipline},
          {"unmerged", k.unmerged},
          {"transport", k.transport},
          {"dtype", to_string(k.dtype)},
          {"overlap", to_string(k.overlap)},
          {"time_s", k.time_s},
          {"stages", stages},
          {"bottleneck", k.bottleneck},
          {"memory_bytes", k.memory_bytes},
          {"fits", k.fits},
          {"offload", k.offload},
          {"offload_block_s", k.offload_block_s},
          {"speedup_one_gpu", k.speedup_one_gpu},
          {"speedup_reference", k.speedup_reference},
          {"simulated", {{"a2a_fwd_s", k.a2a_fwd_sim_s}, {"a2a_rev_s", k.a2a_rev_sim_s}, {"ring_pass_s", k.ring_pass_sim_s}}},
          {"gpus", to_string(k.mapping)},
          {"groups", k.mapping.groups},
          {"needs", k.needs}};
}

/// The best candidate that fits in memory, else the best.
const Candidate& recommended(const PlanResult& r) { return r.candidates.at(r.recommended_index); }

std::string describe(const Candidate& k) {
  std::string s = to_string(k.layout);
  if (k.algo != "-") s += ", " + schedule_label(k);
  if (k.transport != "-") s += " over " + k.transport + ", " + to_string(k.dtype) + " on the wire";
  if (k.overlap != Overlap::none) s += ", exchanges overlapped per " + to_string(k.overlap);
  return s + ", on GPUs " + to_string(k.mapping);
}

/// The picture's bar label: the table's columns in one line.
std::string short_label(const Candidate& k) {
  std::string s = to_string(k.layout);
  if (k.algo != "-") s += " | " + schedule_label(k);
  if (k.transport != "-") s += " | " + k.transport + " | " + to_string(k.dtype);
  if (k.overlap != Overlap::none) s += " | per " + to_string(k.overlap);
  return s + " | gpus " + to_string(k.mapping);
}

}  // namespace

std::string plan_table(const PlanResult& r, std::size_t top) {
  std::ostringstream o;
  const Workload& w = r.workload;
  o << "plan: " << w.name << " (S = " << w.tokens << ", H = " << w.heads << ", D = " << w.head_dim;
  if (w.batch > 1) o << ", B = " << w.batch;
  if (w.layers > 0 && r.options.scope != Scope::attention)
    o << ", " << w.layers << " layers, d = " << w.hidden << ", ffn = " << w.ffn << ", context " << w.context_tokens;
  o << ") on " << r.topology << ", " << r.gpus << " x " << r.gpu << "; scope " << to_string(r.options.scope);
  if (r.options.scope == Scope::step) o << (w.cfg ? " (CFG: 2 forwards)" : " (no CFG)");
  o << "; attention " << to_string(r.options.attention) << ", weights " << to_string(r.options.weights) << ", "
    << to_string(r.options.sim_model) << " model\n";
  o << r.candidates.size() << " candidates; times in " << unit_name(r) << "\n";
  char head[512];
  std::snprintf(head, sizeof head, "%-4s %-17s %-30s %-11s %-4s %-5s %9s", "#", "layout", "exchange schedule", "transport",
                "wire", "ovl", "time");
  std::string h = head;
  for (const char* n : {"pack", "a2a_fwd", "attn", "ring", "a2a_rev", "unpack", "linear", "xattn", "other", "host", "offload"}) {
    char b[16];
    std::snprintf(b, sizeof b, " %8s", n);
    h += b;
  }
  std::snprintf(head, sizeof head, "  %-15s %7s %8s %7s  %s", "bottleneck", "mem_GB", "vs_1gpu", "vs_ref", "gpus");
  o << h << head << "\n";
  for (std::size_t i = 0; i < std::min(top, r.candidates.size()); ++i) o << row(r, std::to_string(i + 1), r.candidates[i]);
  if (r.reference) o << row(r, "ref", *r.reference);
  o << row(r, "1gpu", r.one_gpu);
  const Candidate& best = recommended(r);
  o << "\nrecommendation: " << describe(best) << ": " << fmt("%.4g", best.time_s * unit_scale(r)) << " " << unit_name(r)
    << fmt(", %.2fx one GPU", best.speedup_one_gpu);
  if (r.reference)
    o << fmt(", %.2fx the reference", best.speedup_reference) << " (Ulysses-" << r.gpus << " round-robin paired-half bf16, "
      << r.reference->transport << ")";
  o << "; bottleneck " << best.bottleneck << "\n";
  for (const std::string& n : best.needs) o << "  runs with: " << n << "\n";
  if (!best.fits) o << "  (no candidate fits in the card's memory, even with CPU offload: this one does not either)\n";
  else if (best.offload) o << "  (runs with CPU offload: the weights stream from host memory block by block)\n";
  for (const std::string& n : r.notes) o << "note: " << n << "\n";
  for (const std::string& s : r.skipped) o << "skipped: " << s << "\n";
  o << "gpus: the box's GPUs of each group (CFG branches split by '|', ring stops by '>', a Ulysses group's GPUs by ',' "
       "with ranges)\n";
  std::vector<const Candidate*> shown;
  for (std::size_t i = 0; i < std::min(top, r.candidates.size()); ++i) shown.push_back(&r.candidates[i]);
  if (r.reference) shown.push_back(&*r.reference);
  std::vector<std::string> said;
  for (const Candidate* k : shown)
    for (const std::string& n : k->needs)
      if (std::find(said.begin(), said.end(), k->transport + ": " + n) == said.end()) said.push_back(k->transport + ": " + n);
  if (!said.empty()) o << "'*' after gpus: the row's transport runs only with a setting there:\n";
  for (const std::string& n : said) o << "  " << n << "\n";
  o << "'o' after mem_GB: runs with CPU offload (two blocks of weights resident); '!': over the card's memory even so. "
       "Where each stage comes from:\n";
  // The sources need the GPU row; the result carries its name.
  for (const auto& [stage, src] : stage_sources(r.gpu_info, r.options)) o << "  " << stage << ": " << src << "\n";
  return o.str();
}

std::string plan_json(const PlanResult& r, int indent) {
  nlohmann::json doc;
  doc["format"] = "ulysses-a2a/plan";
  doc["version"] = 1;
  doc["topology"] = r.topology;
  doc["gpu"] = r.gpu;
  doc["gpus"] = r.gpus;
  doc["scope"] = to_string(r.options.scope);
  const Workload& w = r.workload;
  doc["workload"] = {{"name", w.name},     {"tokens", w.tokens}, {"heads", w.heads},   {"head_dim", w.head_dim},
                     {"batch", w.batch},   {"layers", w.layers}, {"hidden", w.hidden}, {"ffn", w.ffn},
                     {"context_tokens", w.context_tokens},       {"cfg", w.cfg},
                     {"parameters", w.parameters},             {"ffn_matrices", w.ffn_matrices}};
  doc["options"] = {{"attention", to_string(r.options.attention)},
                    {"weights", to_string(r.options.weights)},
                    {"sim_model", to_string(r.options.sim_model)},
                    {"gemm_efficiency", r.options.gemm_efficiency > 0 ? r.options.gemm_efficiency : kGemmEfficiency},
                    {"host_overhead_s", r.options.host_overhead_s >= 0 ? r.options.host_overhead_s : kHostOverheadS}};
  doc["candidates"] = nlohmann::json::array();
  for (const Candidate& k : r.candidates) doc["candidates"].push_back(candidate_json(k));
  doc["recommended"] = candidate_json(recommended(r));
  doc["reference"] = r.reference ? candidate_json(*r.reference) : nlohmann::json(nullptr);
  doc["one_gpu"] = candidate_json(r.one_gpu);
  nlohmann::json sources = nlohmann::json::object();
  for (const auto& [stage, src] : stage_sources(r.gpu_info, r.options)) sources[stage] = src;
  doc["sources"] = sources;
  doc["skipped"] = r.skipped;
  doc["notes"] = r.notes;
  return doc.dump(indent) + "\n";
}

std::string plan_svg(const PlanResult& r, std::size_t top) {
  // One horizontal bar per candidate, its stages stacked left to right in stage_names() order.
  static const char* colors[] = {"#8dd3c7", "#fb8072", "#80b1d3", "#fdb462", "#bc80bd",
                                 "#b3de69", "#bebada", "#fccde5", "#d9d9d9", "#ccebc5", "#ffed6f"};
  static_assert(sizeof colors / sizeof *colors == 11, "one colour per stage of stage_names()");
  std::vector<std::pair<std::string, const Candidate*>> bars;
  for (std::size_t i = 0; i < std::min(top, r.candidates.size()); ++i)
    bars.emplace_back(std::to_string(i + 1) + ". " + short_label(r.candidates[i]), &r.candidates[i]);
  if (r.reference) bars.emplace_back("ref. " + short_label(*r.reference), &*r.reference);
  bars.emplace_back("one GPU", &r.one_gpu);
  double longest = 0;
  for (const auto& b : bars) longest = std::max(longest, b.second->time_s);
  constexpr double kLabel = 450, kBar = 520, kRowH = 22, kTop = 40;
  const double width = kLabel + kBar + 90;
  const double height = kTop + kRowH * static_cast<double>(bars.size()) + 60;
  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
    << "\" font-family=\"sans-serif\" font-size=\"11\">\n";
  s << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  s << "<text x=\"8\" y=\"18\" font-size=\"13\">plan: " << r.workload.name << " on " << r.topology << ", " << r.gpus
    << " x " << r.gpu << ", one " << to_string(r.options.scope) << " (" << unit_name(r) << ")</text>\n";
  const double scale = longest > 0 ? kBar / longest : 0;
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const double y = kTop + kRowH * static_cast<double>(i);
    s << "<text x=\"8\" y=\"" << y + 14 << "\">" << bars[i].first << "</text>\n";
    double x = kLabel;
    const auto values = stage_values(bars[i].second->stages);
    for (std::size_t j = 0; j < values.size(); ++j) {
      const double wdt = values[j] * scale;
      if (wdt <= 0) continue;
      s << "<rect x=\"" << x << "\" y=\"" << y + 3 << "\" width=\"" << wdt << "\" height=\"" << kRowH - 6 << "\" fill=\""
        << colors[j] << "\"><title>" << stage_names()[j] << " " << fmt("%.4g", values[j] * unit_scale(r)) << " "
        << unit_name(r) << "</title></rect>\n";
      x += wdt;
    }
    s << "<text x=\"" << x + 4 << "\" y=\"" << y + 14 << "\">" << fmt("%.4g", bars[i].second->time_s * unit_scale(r))
      << "</text>\n";
  }
  const double ly = kTop + kRowH * static_cast<double>(bars.size()) + 20;
  for (std::size_t j = 0; j < stage_names().size(); ++j) {
    const double x = 8 + 110 * static_cast<double>(j);
    s << "<rect x=\"" << x << "\" y=\"" << ly << "\" width=\"12\" height=\"12\" fill=\"" << colors[j] << "\"/>"
      << "<text x=\"" << x + 16 << "\" y=\"" << ly + 10 << "\">" << stage_names()[j] << "</text>\n";
  }
  s << "</svg>\n";
  return s.str();
}

}  // namespace ua2a::plan
