#pragma once
/// The flow model: links with a capacity and flows that use some links, sharing them max-min
/// fairly. It knows nothing of ranks, schedules or programs (the executor maps transfers to flows,
/// as SimGrid's network model maps communications to LMM variables).
///
/// The maths. A flow f has a rate r_f (bytes/s) and uses link l with a weight w_fl (bytes charged
/// on l per byte of f, normally 1). A link's constraint is  sum_f w_fl * r_f <= C_l, a flow's own
/// cap is r_f <= cap_f. Max-min fairness: no rate can grow without shrinking a rate that is
/// already no larger. Progressive filling computes it: raise every unfixed rate together from 0;
/// the first constraint to become tight (the link l with the smallest remaining C_l / sum of w of
/// its unfixed flows, or the smallest cap) fixes the flows on it at that level; subtract their
/// usage from their other links and go on until every flow is fixed.
///
/// Worked example, three flows on two links: link A has 10 GB/s, link B has 4 GB/s; f1 uses A,
/// f2 uses A and B, f3 uses B.
///   - Levels at which each link fills: A at 10 / 2 = 5 (f1, f2), B at 4 / 2 = 2 (f2, f3).
///   - B fills first: f2 = f3 = 2 GB/s. A has 10 - 2 = 8 left for f1 alone: f1 = 8 GB/s.
///   - Result: f1 = 8, f2 = 2, f3 = 2. Both links are saturated; every flow crosses a saturated
///     link on which no other flow gets more (f2 and f3 on B; f1 on A), so none can grow.
/// With a cap of 1 GB/s on f3, f3 fixes first at 1; B then fills at 4 - 1 = 3 for f2, and f1 = 7.
///
/// Progressive filling takes constraints in increasing level order (sim/level_queue.h): the links
/// shared by several flows, and one bound per flow, the first to bind of its own cap and the links
/// only it uses (those bound one flow and never change during a fill). Ties go to own caps first,
/// then to the lower link id.
///
/// Incremental solving: adding or removing a flow marks its links; solve() recomputes only the
/// connected components (links joined by active flows) that hold a marked link, so a start or a
/// finish in one box never touches another. Callers batch all changes at one instant and solve
/// once. Ids of removed flows are reused.
///
/// The refill goes further (flow_model.cpp has the argument): progressive filling fixes flows in
/// increasing order of rate, so a change cannot move the flows below the level where it acts (a
/// removed flow's old rate, an added flow's new one, which is at least its equal share of one of
/// its links). solve() takes the lowest such level of the batch, keeps the rates below it,
/// re-fills only the flows above it (with the kept flows' charges taken off the links) and checks
/// the answer; when the check fails it solves the components whole. In the SimGrid comparison's
/// all-to-all this re-fills about half of the flows of the touched components (44-54 %).
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <vector>

#include "sim/level_queue.h"
#include "sim/scratch_array.h"

namespace ua2a {

class FlowModel {
  friend struct FlowModelTestAccess;  // tests/sim: makes a refill fail its check

 public:
  using LinkId = std::uint32_t;
  using FlowId = std::uint32_t;
  static constexpr double kUncapped = std::numeric_limits<double>::infinity();

  /// A flow's use of one link: `weight` bytes charged on the link per byte of the flow.
  struct Use {
    LinkId link = 0;
    double weight = 1.0;
  };

  /// A link of `bytes_per_s` > 0; throws std::invalid_argument otherwise.
  LinkId add_link(double bytes_per_s);
  /// A flow over `uses` (each link at most once), rate at most `cap` bytes/s. A flow with no
  /// links and no cap gets an infinite rate. `stream`: it counts as a stream on links with a loss.
  FlowId add_flow(std::span<const Use> uses, double cap = kUncapped, bool stream = true);
  /// Gives `link` the interleaving loss `alpha` >= 0 (0: none, the default); before any flow.
  void set_interleave(LinkId link, double alpha);
  /// Whether an active flow counts as a stream (e.g. the next of several to one peer takes over).
  void set_stream(FlowId flow, bool stream);
  /// Removes an active flow; its id may be handed out again by add_flow.
  void remove_flow(FlowId flow);
  /// Recomputes the rates of every component touched since the last solve.
  void solve();

  double rate(FlowId flow) const { return flows_[flow].rate; }
  /// sum of weight x rate over the link's flows, as of the last solve.
  double load(LinkId link) const { return links_[link].load; }
  /// The capacity as of the last solve (below its base while streams interleave on it).
  double capacity(LinkId link) const { return shares_[link].capacity; }
  double base_capacity(LinkId link) const { return loss_.empty() ? shares_[link].capacity : loss_[link].base; }
  /// Streams crossing a link with a loss, as of the last solve (0 for a link without one).
  std::uint32_t streams(LinkId link) const { return loss_.empty() ? 0 : loss_[link].streams; }
  std::size_t link_count() const { return links_.size(); }
  std::size_t active_flows() const { return active_; }
  /// Flows whose rate the last solve() changed or left at 0 (starved), in a deterministic order;
  /// every other flow kept its rate bit for bit.
  const std::vector<FlowId>& changed_flows() const { return changed_flows_; }
  /// Links whose load the last solve() changed.
  const std::vector<LinkId>& changed_links() const { return changed_links_; }

  /// Whether solve() may re-solve only the flows a change can reach (the refill, below; on by
  /// default) or always re-solves whole components. Both give the max-min fair rates; they can
  /// differ in the last bits, as the refill sums the same charges in another order.
  void set_refill(bool on) { refill_ = on; }
  /// Solves that a refill answered, and solves whose refill failed its check (whole components).
  std::uint64_t refills() const { return refills_; }
  std::uint64_t refill_fallbacks() const { return refill_fallbacks_; }

 private:
  struct FlowUse {
    double weight;
    LinkId link;
    std::uint32_t slot;  // position of this flow in the link's member list
  };
  /// A flow on a link, and which of the flow's uses that is.
  struct Member {
    FlowId flow;
    std::uint32_t use;
  };
  struct Flow {
    double cap = kUncapped;
    double rate = 0;
    std::uint32_t use_count = 0;
    bool active = false;
    bool stream = true;
  };
  /// A link's interleaving loss (all zero until set_interleave is called on some link).
  struct Loss {
    double base = 0;
    double alpha = 0;
    std::uint32_t streams = 0;
  };
  struct Link {
    double load = 0;
    std::vector<Member> members;
  };
  /// What a fill reads of a link for each flow that uses it (32 bytes, two links a cache line),
  /// kept apart from the member lists, which only the BFS's expansion and removals need.
  struct LinkShare {
    double capacity = 0;
    double total_weight = 0;  // sum of the weights of its flows, kept by add_flow/remove_flow
    std::uint32_t members = 0;
    std::uint32_t mark = 0;   // epoch_ when the BFS has entered it
    bool dirty = false;       // a flow came or left since the last solve
  };

  // The component being solved, copied into dense arrays indexed by position in comp_links_ and
  // local_flows_ ("local" indices): the fill then reads and writes a few kilobytes instead of
  // links and flows spread over the model, and the solo and shared uses come apart on the way.
  struct LocalLink {
    double remaining;
    double weight;  // sum of weights of unfixed flows
    double load;
  };
  struct LocalUse {
    double weight;
    std::uint32_t link;  // local index (a solo use: the model's link id)
  };
  /// A flow of the component: one record, not five parallel arrays (each its own push_back per
  /// flow entered). Its uses are [use_begin, next's use_begin), and likewise for solo uses.
  struct LocalFlow {
    double rate;
    FlowId id;
    std::uint32_t use_begin;
    std::uint32_t solo_begin;
    bool fixed;
  };
  /// A constraint on one flow: its own cap or a link no other flow of the component uses.
  struct Bound {
    double level;
    std::uint64_t order;  // ties: own caps (the flow id) before links (kLinkBound + link id)
    std::uint32_t flow;   // local index
  };
  static constexpr std::uint64_t kLinkBound = std::uint64_t{1} << 32;
  static constexpr double kFreezeMargin = 1e-9;  // relative; rounding noise is ~1e-15

  void reserve_scratch();
  bool update_lossy_capacities();
  void count_streams(FlowId id, int delta);
  double freeze_level() const;
  bool try_refill_above(double theta);
  void enter_refill_link(LinkId id);
  double scan_refill_link(std::size_t local, double theta);
  void empty_link(LinkId id);
  void collect_component(LinkId seed);
  void expand(LinkId id);
  void clear_component();
  std::uint32_t enter_link(LinkId id);
  template <bool kRefill>
  void enter_flow(FlowId id);
  void fill_component();
  void fill(std::size_t unfixed);
  void queue_constraints(std::uint32_t flows);
  void fix(std::uint32_t flow, double rate);
  void store_component();

  std::vector<Link> links_;
  std::vector<LinkShare> shares_;
  std::vector<Flow> flows_;
  std::vector<std::uint32_t> flow_marks_;  // epoch_ when the BFS has entered the flow
  // Every flow's uses in one array, use_stride_ slots per flow id: no pointer to chase when a
  // removal tells another flow where its member entry moved (perf: half of remove_flow).
  std::vector<FlowUse> use_pool_;
  std::uint32_t use_stride_ = 0;
  std::size_t active_uses_ = 0;  // uses of the active flows: no component has more
  FlowUse* uses_of(FlowId id) { return use_pool_.data() + static_cast<std::size_t>(id) * use_stride_; }
  const FlowUse* uses_of(FlowId id) const { return use_pool_.data() + static_cast<std::size_t>(id) * use_stride_; }
  void widen_use_pool(std::uint32_t stride);
  std::vector<Loss> loss_;  // per link, or empty: no link has a loss
  std::vector<FlowId> free_flows_;
  std::vector<FlowId> added_;            // since the last solve
  double min_removed_rate_ = kUncapped;  // lowest old rate of a flow removed since the last solve
  bool refill_ = true;
  double added_level_scale_ = 1;         // tests only: > 1 freezes too much, for the check to catch
  std::uint32_t refill_backoff_ = 0;     // solves to skip the refill after it failed its check
  std::uint32_t refill_failures_ = 0;    // failed refills in a row
  std::uint64_t refills_ = 0;
  std::uint64_t refill_fallbacks_ = 0;
  std::vector<LinkId> dirty_;
  std::vector<FlowId> changed_flows_;
  std::vector<LinkId> changed_links_;
  std::uint32_t epoch_ = 0;
  std::size_t active_ = 0;

  ScratchArray<LinkId> comp_links_;  // local index -> link id
  std::vector<std::uint32_t> local_link_;  // link id -> local index, while its mark is epoch_
  std::vector<std::uint32_t> local_flow_;  // flow id -> local index, while its mark is epoch_
  ScratchArray<LocalLink> local_links_;
  // A flow's uses of shared links, which a fill updates, and of links only it uses, whose load
  // is simply its rate (set once stored: 40 % of the uses out of the fill's loop).
  ScratchArray<LocalFlow> local_flows_;  // and one sentinel past the last, closing the use ranges
  ScratchArray<LocalUse> local_uses_;    // shared, grouped by flow
  ScratchArray<LocalUse> solo_uses_;     // solo, grouped by flow
  ScratchArray<std::uint32_t> shared_local_links_;  // local links of several flows
  ScratchArray<Bound> bounds_;                       // one per bounded flow
  LevelQueue constraints_;  // both, by level then order
};

}  // namespace ua2a
