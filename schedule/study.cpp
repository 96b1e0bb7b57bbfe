#include "schedule/study.h"

#include <sstream>
#include <stdexcept>

#include "schedule/generators.h"
#include "schedule/lower.h"

namespace ua2a {

std::string Combo::label() const { return algo + " " + discipline + (unmerged ? " (unmerged)" : ""); }

const std::vector<Combo>& study_schedules() {
  static const std::vector<Combo> study = {{"round-robin", "paired-half"}, {"round-robin", "paired-full"},
                                           {"staircase", "paired-half", true}, {"grouped", "grouped"},
                                           {"shift", "paired-full"},         {"xor", "paired-full"}};
  return study;
}

Combo reference_schedule() { return {"round-robin", "paired-half", false}; }

std::vector<std::string> split_list(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream s(list);
  for (std::string item; std::getline(s, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

std::vector<Combo> comparison(const std::string& algos, const std::string& disciplines_list, bool unmerged) {
  if (algos.empty() && disciplines_list.empty()) return study_schedules();
  std::vector<std::string> names = algos == "all" ? std::vector<std::string>{} : split_list(algos);
  if (names.empty())
    for (const auto& g : generators()) names.push_back(g.name);
  std::vector<Combo> out;
  for (const std::string& algo : names) {
    std::vector<std::string> ds;
    if (disciplines_list == "all") {
      for (const auto& d : disciplines())
        if (d.discipline != Discipline::naive) ds.push_back(d.name);
    } else if (disciplines_list.empty()) {
      ds = {algo == "grouped" ? "grouped" : "paired-full"};
    } else {
      ds = split_list(disciplines_list);
    }
    for (const std::string& d : ds) out.push_back({algo, d, unmerged});
  }
  return out;
}

std::string skip_reason(const Combo& combo, std::int32_t ranks) {
  const GeneratorInfo& g = find_generator(combo.algo);
  return g.cannot_run ? g.cannot_run(ranks) : "";
}

void choose_schedules(StudySchedules& request, const std::string& algos, const std::string& disciplines,
                      bool unmerged) {
  request.combos = comparison(algos, disciplines, unmerged);
  request.by_name = (!algos.empty() || !disciplines.empty()) && algos != "all" && disciplines != "all";
}

StudyCases expand(const StudySchedules& request) {
  StudyCases out;
  for (const std::string& exchange : request.exchanges)
    for (const Combo& c : request.combos) {
      find_generator(c.algo);  // a misspelt name is an error even in a comparison
      const Discipline discipline = parse_discipline(c.discipline);
      // A comparison skips what cannot run here and says why; a request by name is refused.
      auto skip = [&](const std::string& why) {
        if (request.by_name) throw std::invalid_argument(why);
        out.skipped.push_back({c.algo + " / " + c.discipline, why});
      };
      if (const std::string why = skip_reason(c, request.ranks); !why.empty()) {
        skip(why);
        continue;
      }
      if (request.real_transports && discipline == Discipline::naive) {
        skip("naive deadlocks by design (every rank posts all its sends before any receive): it runs in the "
             "verifier and the simulator only");
        continue;
      }
      StudyCase k{c, exchange, {}, {}};
      try {
        k.schedule = generate(c.algo, request.ranks, request.payload(c, exchange));
        k.programs = lower(k.schedule, discipline);  // paired-half needs one partner per round
      } catch (const std::invalid_argument& e) {
        skip(e.what());
        continue;
      }
      if (c.unmerged) k.programs.algo += " (unmerged)";
      out.cases.push_back(std::move(k));
    }
  return out;
}

}  // namespace ua2a
