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
    f.uses.push_back({u.weight, u.link, static_cast<std::uint32_t>(l.members.size())});
    l.members.push_back({id, static_cast<std::uint32_t>(f.uses.size() - 1)});
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
    const Member moved = l.members.back();
    l.members[u.slot] = moved;
    flows_[moved.flow].uses[moved.use].slot = u.slot;
    l.members.pop_back();
    // Recomputed from zero when the link empties, so rounding never leaves a phantom weight.
    l.total_weight = l.members.empty() ? 0.0 : l.total_weight - u.weight;
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

/// Finds the component of `seed` (links joined by active flows) breadth-first and readies it for
/// fill(): links reset to their capacity, shared links queued, each flow's tightest bound listed.
void FlowModel::collect_component(LinkId seed) {
  ++epoch_;
  comp_links_.clear();
  comp_flows_.clear();
  shared_links_.clear();
  shared_links_.reserve_ids(links_.size());
  bounds_.clear();
  enter_link(seed);
  // comp_links_ doubles as the BFS queue.
  for (std::size_t head = 0; head < comp_links_.size(); ++head) {
    Link& l = links_[comp_links_[head]];
    l.dirty = false;
    for (const Member& m : l.members) {
      Flow& f = flows_[m.flow];
      if (f.mark == epoch_) continue;
      f.mark = epoch_;
      f.fixed = false;
      comp_flows_.push_back(m.flow);
      for (const FlowUse& u : f.uses)
        if (links_[u.link].mark != epoch_) enter_link(u.link);
      const Bound b = tightest_bound(m.flow);
      if (std::isfinite(b.level)) bounds_.push_back(b);
    }
  }
  shared_links_.heapify();
  std::sort(bounds_.begin(), bounds_.end(), [](const Bound& a, const Bound& b) {
    return a.level != b.level ? a.level < b.level : a.order < b.order;
  });
}

void FlowModel::enter_link(LinkId id) {
  Link& l = links_[id];
  l.mark = epoch_;
  comp_links_.push_back(id);
  l.remaining = l.capacity;
  l.weight = l.total_weight;
  l.load = 0;  // fix() adds each flow's share
  if (l.members.size() > 1) shared_links_.append_unordered(id, l.remaining / l.weight);
}

void FlowModel::fill_component() {
  fill(comp_flows_.size());
  updated_links_.insert(updated_links_.end(), comp_links_.begin(), comp_links_.end());
  updated_flows_.insert(updated_flows_.end(), comp_flows_.begin(), comp_flows_.end());
}

/// The first of the flow's own cap and its single-flow links to bind; only that one can fix it.
FlowModel::Bound FlowModel::tightest_bound(FlowId id) const {
  const Flow& f = flows_[id];
  Bound best{f.cap, id, id};
  for (const FlowUse& u : f.uses) {
    const Link& l = links_[u.link];
    if (l.members.size() != 1) continue;
    const Bound b{l.capacity / l.total_weight, kLinkBound + u.link, id};
    if (b.level < best.level || (b.level == best.level && b.order < best.order)) best = b;
  }
  return best;
}

bool FlowModel::bound_first(const Bound& b, const IndexedMinHeap::Entry& link) {
  if (b.level != link.key) return b.level < link.key;
  return b.order < kLinkBound + link.id;
}

/// Progressive filling: fix flows constraint by constraint in increasing level order.
void FlowModel::fill(std::size_t unfixed) {
  std::size_t next = 0;
  ++epoch_;
  touched_.clear();
  while (unfixed > 0) {
    while (next < bounds_.size() && flows_[bounds_[next].flow].fixed) ++next;
    if (next < bounds_.size() && (shared_links_.empty() || bound_first(bounds_[next], shared_links_.top()))) {
      fix(bounds_[next].flow, bounds_[next].level);
      --unfixed;
      requeue_touched();
      continue;
    }
    if (shared_links_.empty()) break;  // only flows without links or caps remain (cannot happen: they start fixed)
    const IndexedMinHeap::Entry tightest = shared_links_.top();
    shared_links_.pop();
    for (const Member& m : links_[tightest.id].members)
      if (!flows_[m.flow].fixed) {
        fix(m.flow, tightest.key);
        --unfixed;
      }
    requeue_touched();
  }
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
    if (l.mark != epoch_) {
      l.mark = epoch_;
      touched_.push_back(u.link);
    }
  }
}

/// New levels of the shared links that the last fixes changed: re-keyed once per step.
void FlowModel::requeue_touched() {
  for (LinkId id : touched_) {
    Link& l = links_[id];
    l.mark = 0;
    if (!shared_links_.contains(id)) continue;
    if (l.weight > 0) shared_links_.set(id, std::max(0.0, l.remaining) / l.weight);
    else shared_links_.erase(id);
  }
  touched_.clear();
  ++epoch_;
}

}  // namespace ua2a
