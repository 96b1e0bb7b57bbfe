#include "sim/flow_model.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

namespace ua2a {

FlowModel::LinkId FlowModel::add_link(double bytes_per_s) {
  if (!(bytes_per_s > 0) || !std::isfinite(bytes_per_s))
    throw std::invalid_argument("flow model: link capacity must be a positive finite bytes/s, got " +
                                std::to_string(bytes_per_s));
  Link l;
  l.capacity = bytes_per_s;
  links_.push_back(std::move(l));
  return static_cast<LinkId>(links_.size() - 1);
}

FlowModel::FlowId FlowModel::add_flow(std::span<const Use> uses, double cap) {
  if (!(cap > 0)) throw std::invalid_argument("flow model: a flow cap must be > 0");
  FlowId id;
  if (!free_flows_.empty()) {
    id = free_flows_.back();
    free_flows_.pop_back();
  } else {
    id = static_cast<FlowId>(flows_.size());
    flows_.emplace_back();
  }
  Flow& f = flows_[id];
  f.uses.clear();
  f.cap = cap;
  f.rate = 0;
  f.active = true;
  for (const Use& u : uses) {
    if (u.link >= links_.size()) throw std::invalid_argument("flow model: unknown link " + std::to_string(u.link));
    if (!(u.weight >= 1e-6) || !std::isfinite(u.weight))
      throw std::invalid_argument("flow model: a link weight must be a finite number >= 1e-6");
    Link& l = links_[u.link];
    f.uses.push_back({u.link, u.weight, static_cast<std::uint32_t>(l.flows.size())});
    l.flows.push_back(id);
    l.which.push_back(static_cast<std::uint32_t>(f.uses.size() - 1));
    l.total_weight += u.weight;
    if (!l.dirty) {
      l.dirty = true;
      dirty_.push_back(u.link);
    }
  }
  if (f.uses.empty()) f.rate = cap;  // nothing to share: infinite unless capped
  ++active_;
  return id;
}

void FlowModel::remove_flow(FlowId id) {
  Flow& f = flows_.at(id);
  if (!f.active) throw std::logic_error("flow model: remove_flow on an inactive flow");
  for (const FlowUse& u : f.uses) {
    Link& l = links_[u.link];
    // Swap-remove, and tell the flow that moved into the hole where it now sits.
    const std::uint32_t last = static_cast<std::uint32_t>(l.flows.size() - 1);
    l.flows[u.slot] = l.flows[last];
    l.which[u.slot] = l.which[last];
    flows_[l.flows[u.slot]].uses[l.which[u.slot]].slot = u.slot;
    l.flows.pop_back();
    l.which.pop_back();
    // Recomputed from zero when the link empties, so rounding never leaves a phantom weight.
    l.total_weight = l.flows.empty() ? 0.0 : l.total_weight - u.weight;
    if (!l.dirty) {
      l.dirty = true;
      dirty_.push_back(u.link);
    }
  }
  f.active = false;
  f.rate = 0;
  free_flows_.push_back(id);
  --active_;
}

void FlowModel::solve() {
  updated_flows_.clear();
  updated_links_.clear();
  for (std::size_t i = 0; i < dirty_.size(); ++i) {
    if (!links_[dirty_[i]].dirty) continue;  // already solved as part of an earlier component
    collect_component(dirty_[i]);
    fill_component();
  }
  dirty_.clear();
}

void FlowModel::collect_component(LinkId seed) {
  ++epoch_;
  comp_links_.clear();
  comp_flows_.clear();
  links_[seed].mark = epoch_;
  comp_links_.push_back(seed);
  // comp_links_ doubles as the BFS queue.
  for (std::size_t head = 0; head < comp_links_.size(); ++head) {
    Link& l = links_[comp_links_[head]];
    l.dirty = false;
    for (FlowId fid : l.flows) {
      Flow& f = flows_[fid];
      if (f.mark == epoch_) continue;
      f.mark = epoch_;
      comp_flows_.push_back(fid);
      for (const FlowUse& u : f.uses)
        if (links_[u.link].mark != epoch_) {
          links_[u.link].mark = epoch_;
          comp_links_.push_back(u.link);
        }
    }
  }
}

void FlowModel::fill_component() {
  // A min-heap in a member vector: components are many and small, so no allocation per solve.
  auto& heap = heap_;
  heap.clear();
  const auto later = [](const Level& a, const Level& b) { return a > b; };
  auto heap_push = [&](Level v) {
    heap.push_back(v);
    std::push_heap(heap.begin(), heap.end(), later);
  };
  auto heap_pop = [&] {
    std::pop_heap(heap.begin(), heap.end(), later);
    heap.pop_back();
  };
  for (LinkId id : comp_links_) {
    Link& l = links_[id];
    l.remaining = l.capacity;
    l.weight = l.total_weight;
    l.load = 0;  // fix() adds each flow's share
    if (!l.flows.empty()) heap.push_back({l.remaining / l.weight, id});
  }
  std::make_heap(heap.begin(), heap.end(), later);  // O(links), not O(links log links)
  auto& caps = caps_;
  caps.clear();
  for (FlowId id : comp_flows_) {
    flows_[id].fixed = false;
    if (std::isfinite(flows_[id].cap)) caps.push_back({flows_[id].cap, id});
  }
  std::sort(caps.begin(), caps.end());
  std::size_t next_cap = 0;
  std::size_t unfixed = comp_flows_.size();
  // Links whose level changed since the last push: pushed once each, not once per flow fixed.
  ++epoch_;
  touched_.clear();
  auto touch_links_of = [&](FlowId f) {
    for (const FlowUse& u : flows_[f].uses)
      if (links_[u.link].mark != epoch_) {
        links_[u.link].mark = epoch_;
        touched_.push_back(u.link);
      }
  };
  auto push_touched = [&] {
    for (LinkId id : touched_) {
      Link& l = links_[id];
      l.mark = 0;
      if (l.weight > 0) heap_push({std::max(0.0, l.remaining) / l.weight, id});
    }
    touched_.clear();
    ++epoch_;
  };
  while (unfixed > 0) {
    while (next_cap < caps.size() && flows_[caps[next_cap].second].fixed) ++next_cap;
    // Drop heap entries made stale by later updates of the same link.
    while (!heap.empty()) {
      const Link& l = links_[heap.front().second];
      if (l.weight > 0 && std::max(0.0, l.remaining) / l.weight == heap.front().first) break;
      heap_pop();
    }
    const double link_level = heap.empty() ? kUncapped : heap.front().first;
    if (next_cap < caps.size() && caps[next_cap].first <= link_level) {
      fix(caps[next_cap].second, caps[next_cap].first);
      touch_links_of(caps[next_cap].second);
      push_touched();
      --unfixed;
      continue;
    }
    if (heap.empty()) break;  // only flows without links or caps remain (cannot happen: they start fixed)
    const LinkId id = heap.front().second;
    heap_pop();
    const double level = std::max(0.0, link_level);
    Link& l = links_[id];
    for (FlowId f : l.flows)
      if (!flows_[f].fixed) {
        fix(f, level);
        --unfixed;
        touch_links_of(f);
      }
    push_touched();
  }
  updated_links_.insert(updated_links_.end(), comp_links_.begin(), comp_links_.end());
  updated_flows_.insert(updated_flows_.end(), comp_flows_.begin(), comp_flows_.end());
}

void FlowModel::fix(FlowId id, double rate) {
  Flow& f = flows_[id];
  f.fixed = true;
  f.rate = rate;
  for (const FlowUse& u : f.uses) {
    Link& l = links_[u.link];
    l.remaining -= u.weight * rate;
    l.load += u.weight * rate;
    l.weight -= u.weight;
    if (l.weight < 1e-12) l.weight = 0;
  }
}

}  // namespace ua2a
