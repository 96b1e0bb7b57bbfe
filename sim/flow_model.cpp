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
  links_.emplace_back();
  shares_.push_back({bytes_per_s, 0.0, 0, 0});
  local_link_.push_back(0);
  if (!loss_.empty()) loss_.push_back({bytes_per_s, 0, 0});
  return static_cast<LinkId>(links_.size() - 1);
}

void FlowModel::set_interleave(LinkId link, double alpha) {
  if (link >= links_.size()) throw std::invalid_argument("flow model: unknown link " + std::to_string(link));
  if (!(alpha >= 0) || !std::isfinite(alpha))
    throw std::invalid_argument("flow model: an interleaving loss must be a finite number >= 0");
  if (!links_[link].members.empty()) throw std::logic_error("flow model: set_interleave on a link in use");
  if (loss_.empty()) {
    loss_.resize(links_.size());
    for (std::size_t l = 0; l < links_.size(); ++l) loss_[l].base = shares_[l].capacity;
  }
  loss_[link].alpha = alpha;
}

/// Adds `delta` to the stream count of every link with a loss that flow `id` uses.
void FlowModel::count_streams(FlowId id, int delta) {
  if (loss_.empty()) return;
  const FlowUse* mine = uses_of(id);
  for (std::uint32_t k = 0; k < flows_[id].use_count; ++k) {
    const LinkId link = mine[k].link;
    if (loss_[link].alpha == 0) continue;
    loss_[link].streams = static_cast<std::uint32_t>(static_cast<int>(loss_[link].streams) + delta);
    if (!shares_[link].dirty) {
      shares_[link].dirty = true;
      dirty_.push_back(link);
    }
  }
}

void FlowModel::set_stream(FlowId id, bool stream) {
  Flow& f = flows_.at(id);
  if (!f.active) throw std::logic_error("flow model: set_stream on an inactive flow");
  if (f.stream == stream) return;
  f.stream = stream;
  count_streams(id, stream ? 1 : -1);
}

/// Brings the capacity of every changed link with a loss up to its stream count; true when one
/// moved (the refill's frozen levels then no longer hold).
bool FlowModel::update_lossy_capacities() {
  if (loss_.empty()) return false;
  bool moved = false;
  for (LinkId d : dirty_) {
    const Loss& l = loss_[d];
    if (l.alpha == 0) continue;
    const double extra = l.streams > 1 ? static_cast<double>(l.streams - 1) : 0.0;
    const double capacity = l.base / (1 + l.alpha * extra);
    moved |= capacity != shares_[d].capacity;
    shares_[d].capacity = capacity;
  }
  return moved;
}

FlowModel::FlowId FlowModel::add_flow(std::span<const Use> uses, double cap, bool stream) {
  if (!(cap > 0)) throw std::invalid_argument("flow model: a flow cap must be > 0");
  for (const Use& u : uses) {
    if (u.link >= links_.size()) throw std::invalid_argument("flow model: unknown link " + std::to_string(u.link));
    if (!(u.weight >= 1e-6) || !std::isfinite(u.weight))
      throw std::invalid_argument("flow model: a link weight must be a finite number >= 1e-6");
  }
  if (uses.size() > use_stride_) widen_use_pool(static_cast<std::uint32_t>(uses.size()));
  FlowId id;
  if (!free_flows_.empty()) {
    id = free_flows_.back();
    free_flows_.pop_back();
  } else {
    id = static_cast<FlowId>(flows_.size());
    flows_.emplace_back();
    flow_marks_.push_back(0);
    local_flow_.push_back(0);
    use_pool_.resize(use_pool_.size() + use_stride_);
  }
  Flow& f = flows_[id];
  f.cap = cap;
  f.rate = 0;
  f.active = true;
  f.use_count = static_cast<std::uint32_t>(uses.size());
  FlowUse* mine = uses_of(id);
  for (std::uint32_t k = 0; k < f.use_count; ++k) {
    const Use& u = uses[k];
    Link& l = links_[u.link];
    mine[k] = {u.weight, u.link, static_cast<std::uint32_t>(l.members.size())};
    l.members.push_back({id, k});
    LinkShare& share = shares_[u.link];
    share.total_weight += u.weight;
    ++share.members;
    if (!share.dirty) {
      share.dirty = true;
      dirty_.push_back(u.link);
    }
  }
  f.stream = stream;
  if (stream) count_streams(id, 1);
  if (f.use_count == 0) f.rate = cap;  // nothing to share: infinite unless capped
  else added_.push_back(id);
  ++active_;
  active_uses_ += f.use_count;
  return id;
}

/// Re-lays the pool out with `stride` slots per flow (routes only ever get so long: rare).
void FlowModel::widen_use_pool(std::uint32_t stride) {
  std::vector<FlowUse> wider(flows_.size() * stride);
  for (std::size_t f = 0; f < flows_.size(); ++f)
    std::copy_n(use_pool_.data() + f * use_stride_, flows_[f].use_count, wider.data() + f * stride);
  use_pool_ = std::move(wider);
  use_stride_ = stride;
}

void FlowModel::remove_flow(FlowId id) {
  Flow& f = flows_.at(id);
  if (!f.active) throw std::logic_error("flow model: remove_flow on an inactive flow");
  min_removed_rate_ = std::min(min_removed_rate_, f.rate);
  if (f.stream) count_streams(id, -1);
  const FlowUse* mine = uses_of(id);
  for (std::uint32_t k = 0; k < f.use_count; ++k) {
    const FlowUse& u = mine[k];
    Link& l = links_[u.link];
    // Swap-remove, and tell the flow that moved into the hole where it now sits.
    const Member moved = l.members.back();
    l.members[u.slot] = moved;
    uses_of(moved.flow)[moved.use].slot = u.slot;
    l.members.pop_back();
    // Recomputed from zero when the link empties, so rounding never leaves a phantom weight.
    LinkShare& share = shares_[u.link];
    share.total_weight = l.members.empty() ? 0.0 : share.total_weight - u.weight;
    --share.members;
    if (!share.dirty) {
      share.dirty = true;
      dirty_.push_back(u.link);
    }
  }
  f.active = false;
  f.rate = 0;
  free_flows_.push_back(id);
  --active_;
  active_uses_ -= f.use_count;
}

void FlowModel::solve() {
  changed_flows_.clear();
  changed_links_.clear();
  reserve_scratch();
  const bool capacity_moved = update_lossy_capacities();
  const bool refilled = !dirty_.empty() && !capacity_moved && try_refill_above(freeze_level());
  added_.clear();
  min_removed_rate_ = kUncapped;
  if (refilled) {
    dirty_.clear();
    return;
  }
  for (std::size_t i = 0; i < dirty_.size(); ++i) {
    if (!shares_[dirty_[i]].dirty) continue;  // already solved as part of an earlier component
    if (shares_[dirty_[i]].members == 0) {
      empty_link(dirty_[i]);
      continue;
    }
    collect_component(dirty_[i]);
    fill_component();
  }
  dirty_.clear();
}

/// Room in the scratch arrays for a component of every active flow (and a sentinel flow).
void FlowModel::reserve_scratch() {
  comp_links_.reserve(links_.size());
  local_links_.reserve(links_.size());
  shared_local_links_.reserve(links_.size());
  local_flows_.reserve(active_ + 1);
  bounds_.reserve(active_);
  local_uses_.reserve(active_uses_);
  solo_uses_.reserve(active_uses_);
}

/// A link whose last flow left: a component of its own with nothing to share, and the most
/// common one (every finish empties the links only that flow used, 17 per solve at N = 256).
void FlowModel::empty_link(LinkId id) {
  Link& l = links_[id];
  shares_[id].dirty = false;
  if (l.load != 0) changed_links_.push_back(id);
  l.load = 0;
}

/// Finds the component of `seed` (links joined by active flows) breadth-first and copies it into
/// the local arrays, ready for fill(): links at their capacity, shared links queued, each flow's
/// tightest bound listed.
void FlowModel::collect_component(LinkId seed) {
  ++epoch_;
  clear_component();
  // A link only one flow uses is not a link of the component (enter_flow: a bound of its flow).
  if (shares_[seed].members > 1) enter_link(seed);
  else shares_[seed].dirty = false;
  expand(seed);
  // The shared links double as the BFS queue: a link only one flow uses leads nowhere new (and
  // two thirds of a component's links are such).
  for (std::size_t head = 0; head < shared_local_links_.size(); ++head) {
    const LinkId id = comp_links_[shared_local_links_[head]];
    if (id != seed) expand(id);
  }
  const auto flows = static_cast<std::uint32_t>(local_flows_.size());
  local_flows_.push_back({0, 0, static_cast<std::uint32_t>(local_uses_.size()),
                          static_cast<std::uint32_t>(solo_uses_.size()), false});
  queue_constraints(flows);
}

/// Queues the shared links (ids: local link index) and the flows' bounds (ids: local link count
/// + local flow index).
void FlowModel::queue_constraints(std::uint32_t flows) {
  const auto links = static_cast<std::uint32_t>(comp_links_.size());
  constraints_.reserve_ids(links + flows);
  for (std::uint32_t l : shared_local_links_) {
    const LinkShare& share = shares_[comp_links_[l]];
    constraints_.add(l, share.capacity / share.total_weight, kLinkBound + comp_links_[l]);
  }
  for (const Bound& b : bounds_) constraints_.add(links + b.flow, b.level, b.order);
}

void FlowModel::clear_component() {
  comp_links_.clear();
  local_flows_.clear();
  local_links_.clear();
  local_uses_.clear();
  solo_uses_.clear();
  constraints_.clear();
  shared_local_links_.clear();
  bounds_.clear();
}

/// Enters the flows on a link that the BFS has not reached yet.
void FlowModel::expand(LinkId id) {
  for (const Member& m : links_[id].members)
    if (flow_marks_[m.flow] != epoch_) enter_flow<false>(m.flow);
}

/// Gives a link its local index; returns it.
[[gnu::always_inline]] inline std::uint32_t FlowModel::enter_link(LinkId id) {
  LinkShare& share = shares_[id];
  share.mark = epoch_;
  share.dirty = false;
  const auto local = static_cast<std::uint32_t>(comp_links_.size());
  local_link_[id] = local;
  comp_links_.push_back(id);
  local_links_.push_back({share.capacity, share.total_weight, 0.0});
  if (share.members > 1) shared_local_links_.push_back(local);
  return local;
}

/// Copies a flow's uses (entering its links) and lists the first of its own cap and its
/// single-flow links to bind: only that one can fix it. kRefill: the flow is re-solved by a
/// refill, whose links are entered to be scanned (and whose changed links are entered already,
/// even when only this flow uses them).
template <bool kRefill>
void FlowModel::enter_flow(FlowId id) {
  const Flow& f = flows_[id];
  // A local, not the member: the loop stores 32-bit indices, which may alias epoch_.
  const std::uint32_t epoch = epoch_;
  flow_marks_[id] = epoch;
  const auto local = static_cast<std::uint32_t>(local_flows_.size());
  local_flow_[id] = local;
  local_flows_.push_back({0, id, static_cast<std::uint32_t>(local_uses_.size()),
                          static_cast<std::uint32_t>(solo_uses_.size()), false});
  Bound best{f.cap, id, local};
  const FlowUse* const end = uses_of(id) + f.use_count;
  for (const FlowUse* u = uses_of(id); u != end; ++u) {
    LinkShare& share = shares_[u->link];
    if (share.members != 1 || share.mark == epoch) {
      if (share.mark != epoch) {
        if constexpr (kRefill) enter_refill_link(u->link);
        else enter_link(u->link);
      }
      local_uses_.push_back({u->weight, local_link_[u->link]});
      continue;
    }
    // A link only this flow uses stays out of the component's links (a third of the uses): it
    // can only bound this flow, and its load is this flow's rate, written back by store.
    share.dirty = false;
    solo_uses_.push_back({u->weight, u->link});
    const Bound b{share.capacity / share.total_weight, kLinkBound + u->link, local};
    if (b.level < best.level || (b.level == best.level && b.order < best.order)) best = b;
  }
  if (std::isfinite(best.level)) bounds_.push_back(best);
}

void FlowModel::fill_component() {
  fill(local_flows_.size() - 1);
  store_component();
}

/// Progressive filling: fix flows constraint by constraint in increasing level order.
void FlowModel::fill(std::size_t unfixed) {
  const auto links = static_cast<std::uint32_t>(comp_links_.size());
  while (unfixed > 0 && !constraints_.empty()) {
    const LevelQueue::Tightest next = constraints_.tightest();
    constraints_.remove(next.id);
    if (next.id >= links) {  // a flow's own bound
      fix(next.id - links, next.level);
      --unfixed;
      continue;
    }
    for (const Member& m : links_[comp_links_[next.id]].members) {
      if (flow_marks_[m.flow] != epoch_) continue;  // frozen by a refill: not in the local problem
      const std::uint32_t f = local_flow_[m.flow];
      if (local_flows_[f].fixed) continue;
      fix(f, next.level);
      --unfixed;
    }
  }
}

/// Fixes a flow's rate and charges it to its links; a shared link's level is updated at once, or
/// the link leaves the shared set when its last unfixed flow is fixed.
void FlowModel::fix(std::uint32_t flow, double rate) {
  LocalFlow* const flows = local_flows_.begin();
  flows[flow].fixed = true;
  flows[flow].rate = rate;
  const auto bound = static_cast<std::uint32_t>(comp_links_.size()) + flow;
  if (constraints_.contains(bound)) constraints_.remove(bound);
  // Locals, not members, in the loop: the queue's byte stores may alias any member, and the
  // compiler would reload them all for every use.
  const LocalUse* const end = local_uses_.begin() + flows[flow + 1].use_begin;
  LocalLink* const links = local_links_.begin();
  for (const LocalUse* u = local_uses_.begin() + flows[flow].use_begin; u != end; ++u) {
    LocalLink& l = links[u->link];
    l.remaining -= u->weight * rate;
    l.load += u->weight * rate;
    l.weight -= u->weight;
    if (l.weight < 1e-12) l.weight = 0;
    if (!constraints_.contains(u->link)) continue;  // it has bound, or all its flows are fixed
    if (l.weight > 0) constraints_.set_level(u->link, std::max(0.0, l.remaining) / l.weight);
    else constraints_.remove(u->link);
  }
}

/// Writes the fill's rates and loads back to the model and lists what changed: most flows of a
/// re-solved component keep their rate (N = 256: all but 1 in 200), and the caller need not look.
void FlowModel::store_component() {
  for (std::size_t f = 0; f + 1 < local_flows_.size(); ++f) {
    const LocalFlow& local = local_flows_[f];
    Flow& flow = flows_[local.id];
    if (local.fixed) {
      if (local.rate != flow.rate || flow.rate == 0) changed_flows_.push_back(local.id);
      flow.rate = local.rate;
    }
    for (std::uint32_t i = local.solo_begin; i < local_flows_[f + 1].solo_begin; ++i) {
      const LocalUse& solo = solo_uses_[i];
      const double load = local.fixed ? solo.weight * flow.rate : 0.0;
      Link& link = links_[solo.link];
      if (load != link.load) changed_links_.push_back(solo.link);
      link.load = load;
    }
  }
  for (std::size_t l = 0; l < comp_links_.size(); ++l) {
    Link& link = links_[comp_links_[l]];
    if (local_links_[l].load != link.load) changed_links_.push_back(comp_links_[l]);
    link.load = local_links_[l].load;
  }
}

// ---- Refill above a level: re-solve only the flows a change can reach --------------------------
//
// Progressive filling fixes flows in increasing order of rate. A removed flow f changes nothing
// below its old rate r_f, and an added flow g nothing below the level where it is fixed, which is
// at least g's equal share of one of its links, capacity / total weight (g is fixed on a saturated
// link where no flow gets more than g), or its cap. So the flows whose old rate lies below theta,
// the lowest of these over the batch of changes, keep their rates: they are frozen, their charges
// come off the links' capacities, and only the rest (and the new flows) are filled. Rounding can
// blur the added flows' part of that argument, so the result is checked: given theta below every
// removed rate, it is the max-min fair allocation when every re-solved flow ends at or above the
// highest frozen rate on the links it shares (then each keeps a bottleneck on which no frozen flow
// gets more; and each frozen flow keeps its old bottleneck, which held no removed flow, whose
// flows all kept their rates, and which an added flow could share only at a rate near 0, failing
// the check). When the check fails the caller solves the components whole. Max-min fair rates
// are unique, so both ways agree up to rounding.

/// The freeze level theta: the lowest of the removed flows' old rates and, for each added flow,
/// its cap and its equal share of each link it uses. 0 where nothing can be frozen.
double FlowModel::freeze_level() const {
  double added = kUncapped;
  for (FlowId id : added_) {
    const Flow& f = flows_[id];
    if (!f.active || f.rate != 0) continue;  // removed again, or an id reused and solved
    added = std::min(added, f.cap);
    const FlowUse* uses = uses_of(id);
    for (std::uint32_t k = 0; k < f.use_count; ++k)
      added = std::min(added, shares_[uses[k].link].capacity / shares_[uses[k].link].total_weight);
  }
  // The removed flows' part is exact and must hold: the check below relies on it.
  const double theta = std::min(min_removed_rate_, added * added_level_scale_);
  return std::isfinite(theta) ? theta : 0.0;
}

/// Re-solves the flows at or above `theta` reachable from the changed links; false (and nothing
/// stored) when the check fails or a previous failure says to wait.
bool FlowModel::try_refill_above(double theta) {
  if (!refill_ || theta <= 0) return false;
  // Strictly below, with room for rounding: flows at the level of a removed one may differ from it
  // in the last bits, and one that computes a hair lower must not count as below it.
  theta *= 1 - kFreezeMargin;
  if (refill_backoff_ > 0) {
    --refill_backoff_;
    return false;
  }
  ++epoch_;
  clear_component();
  double frozen_max = 0;
  for (LinkId d : dirty_)
    if (shares_[d].mark != epoch_) enter_refill_link(d);
  for (std::size_t head = 0; head < comp_links_.size(); ++head) frozen_max = std::max(frozen_max, scan_refill_link(head, theta));
  local_flows_.push_back({0, 0, static_cast<std::uint32_t>(local_uses_.size()),
                          static_cast<std::uint32_t>(solo_uses_.size()), false});
  const auto links = static_cast<std::uint32_t>(comp_links_.size());
  const auto flows = static_cast<std::uint32_t>(local_flows_.size() - 1);
  constraints_.reserve_ids(links + flows);
  for (std::uint32_t l = 0; l < links; ++l)
    if (local_links_[l].weight > 0)
      constraints_.add(l, std::max(0.0, local_links_[l].remaining) / local_links_[l].weight, kLinkBound + comp_links_[l]);
  for (const Bound& b : bounds_) constraints_.add(links + b.flow, b.level, b.order);
  fill(flows);
  for (std::uint32_t f = 0; f < flows; ++f)
    if (!local_flows_[f].fixed || local_flows_[f].rate < frozen_max) {
      for (LinkId d : dirty_) shares_[d].dirty = true;  // for the whole solve that follows
      refill_backoff_ = std::min<std::uint32_t>(2 * refill_failures_ + 1, 64);
      ++refill_failures_;
      ++refill_fallbacks_;
      return false;
    }
  refill_failures_ = 0;
  ++refills_;
  store_component();  // the re-solved flows' rates and the loads of the links they use
  return true;
}

/// Gives a link of the refill its local index; its flows are scanned when the BFS reaches it.
void FlowModel::enter_refill_link(LinkId id) {
  shares_[id].mark = epoch_;
  shares_[id].dirty = false;
  local_link_[id] = static_cast<std::uint32_t>(comp_links_.size());
  comp_links_.push_back(id);
  local_links_.push_back({0, 0, 0});
}

/// Splits a link's flows into frozen ones (their charge is taken off the capacity) and re-solved
/// ones (entered, with their links); returns the highest frozen rate on it.
double FlowModel::scan_refill_link(std::size_t local, double theta) {
  const LinkId id = comp_links_[local];
  double frozen_load = 0, weight = 0, frozen_max = 0;
  for (const Member& m : links_[id].members) {
    const double rate = flows_[m.flow].rate;
    const double w = uses_of(m.flow)[m.use].weight;
    if (rate != 0 && rate < theta) {
      frozen_load += w * rate;
      frozen_max = std::max(frozen_max, rate);
      continue;
    }
    weight += w;
    if (flow_marks_[m.flow] != epoch_) enter_flow<true>(m.flow);
  }
  local_links_[local] = {shares_[id].capacity - frozen_load, weight, frozen_load};
  return frozen_max;
}

}  // namespace ua2a
