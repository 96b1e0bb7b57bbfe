#pragma once
/// Which GPUs of the box form each group of a layout, chosen from the topology: CFG branches
/// spread over the box's widest split (sockets, boxes), each branch packed where it fits (one
/// socket, then one switch); Ulysses groups packed inside a switch or a socket where they fit;
/// the ring's stops in locality order, so neighbours are the nearest GPUs. And what a transport
/// needs on those GPUs to run as modelled (a driver, an NCCL setting). docs/plan.md, "Which GPUs".
#include <cstdint>
#include <string>
#include <vector>

#include "sim/topology.h"

namespace ua2a::plan {

/// The GPUs of a layout: groups[c][r] is the Ulysses group at ring stop r of CFG branch c, its
/// members in Ulysses rank order; the values are the box's GPU indices (its ranks: gpu<i>).
struct Mapping {
  std::vector<std::vector<std::vector<std::int32_t>>> groups;
  std::int32_t gpu(std::int32_t cfg, std::int32_t ring, std::int32_t ulysses) const {
    return groups.at(static_cast<std::size_t>(cfg)).at(static_cast<std::size_t>(ring)).at(static_cast<std::size_t>(ulysses));
  }
  /// Every GPU used, ascending.
  std::vector<std::int32_t> gpus() const;
  /// One past the highest GPU index used: the ranks a simulation of the mapping needs.
  std::int32_t span() const;
  friend bool operator==(const Mapping&, const Mapping&) = default;
};

/// Compact text: CFG branches split by '|', ring stops by '>', a Ulysses group's GPUs by ','
/// with runs as ranges: cfg2 x u2 x r2 on 8 GPUs is "0-1>2-3|4-5>6-7".
std::string to_string(const Mapping& m);

/// The GPUs `text` selects on a box of `box_gpus`: a count G ("6": the planner picks which) gives
/// {} and sets `count`; a list ("0,1,4,5") gives those GPUs, ascending, and its size in `count`.
/// Throws std::invalid_argument naming --gpus: not a number or list, 0, a GPU past the box, a
/// repeat, more GPUs than the box has.
std::vector<std::int32_t> parse_gpu_selection(const std::string& text, std::int32_t box_gpus, std::int32_t& count);

/// Maps a layout of cfg x ring x ulysses GPUs onto `available` (the box's GPU indices to choose
/// from; empty: all of the box), choosing cfg x ring x ulysses of them by locality. Throws
/// std::invalid_argument when fewer are available than the layout needs or one is not a GPU of
/// the box.
Mapping map_layout(const Topology& topology, std::int32_t cfg, std::int32_t ring, std::int32_t ulysses,
                   const std::vector<std::int32_t>& available = {});

/// What `transport` needs to run as modelled on the mapped GPUs (each Ulysses group's pairs and
/// each ring's neighbours communicate), one line each: the P2P-patched driver for P2P on GeForce;
/// NCCL_P2P_LEVEL=SYS for NCCL's P2P across a host bridge or the socket link (NCCL keeps P2P to
/// PCIe switches by default since 2.23.4); NCCL_P2P_DISABLE=1 for NCCL's SHM
/// where P2P is on and two GPUs of a group share a switch (NCCL would take P2P there). Empty: the
/// defaults run it.
std::vector<std::string> transport_needs(const Topology& topology, const std::string& transport, const Mapping& m);

/// The same for an all-to-all of the box's GPUs 0..ranks-1 (simulate's and report's study, which
/// run rank i on GPU i).
std::vector<std::string> all_to_all_needs(const Topology& topology, const std::string& transport, std::int32_t ranks);

}  // namespace ua2a::plan
