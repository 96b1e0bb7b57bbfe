#pragma once
/// The box as a picture: a top-down tree (host memory and sockets on top, then PCIe switches, then
/// GPUs and NICs) whose edges are the physical links labelled with their bandwidth. Given the load
/// of a simulated run, every link is coloured by its utilisation on a sequential colour-blind-safe
/// scale (with a legend), its label gains the utilisation of each direction, and the bottleneck
/// is drawn bold and labelled.
///
/// The picture has its own small model so that it can be built either from a sim Topology
/// (viz/topology_from_sim.h) or from the links of a simulation document alone.
#include <optional>
#include <cstdint>
#include <string>
#include <vector>

#include "viz/simulation.h"

namespace ua2a::viz {

/// Level of a node in the tree: its row from the top. Host memory sits above its socket so the
/// memory link is vertical and the socket-to-socket link the only horizontal one.
enum class Tier { memory, host, pcie_switch, device, network };

/// How busy one direction of a link (or a resource inside a node) was in a simulated run.
struct DirectionLoad {
  double mean_util = 0;
  double peak_util = 0;
  double bytes = 0;
  std::uint32_t peak_streams = 0;  ///< contention model: most streams at once (0: no loss modelled)
  double min_capacity_gbps = 0;    ///< and the capacity the resource had then
};

struct PictureNode {
  std::string name;
  std::string kind;  ///< "gpu", "switch", "cpu", "memory", "nic" or "network"
  Tier tier = Tier::device;
  std::string resource;              ///< a resource inside the node, e.g. "cpu0/p2p-forward"
  std::optional<DirectionLoad> load; ///< its load, when a run used it
};

/// One physical (full-duplex) link, drawn once. "down" is upper -> lower in the tree.
struct PictureLink {
  std::string upper;
  std::string lower;
  double down_gbps = 0;
  double up_gbps = 0;
  std::string kind;  ///< "pcie", "socket", "memory", "nvlink", "network", or empty when unknown
  std::optional<DirectionLoad> down;  ///< set once a load is applied
  std::optional<DirectionLoad> up;
};

struct TopologyPicture {
  std::string name;
  std::vector<PictureNode> nodes;
  std::vector<PictureLink> links;
  std::string caption;     ///< a line under the title, e.g. the run's figures
  std::string bottleneck;  ///< the bottleneck's link name "<from>-><to>", when a load is applied
  bool loaded = false;

  /// The node called `name`, or nullptr.
  const PictureNode* find(const std::string& name) const;
};

/// Tier and kind from a node name's prefix: gpu*, sw*, cpu*, mem*, nic*, net*; unknown prefixes
/// count as devices.
PictureNode node_from_name(const std::string& name);

/// Adds a direction a->b of capacity `gbps` (GB/s): a new link, or the other direction of an
/// existing one. Nodes must exist already.
void add_direction(TopologyPicture& picture, const std::string& from, const std::string& to, double gbps,
                   const std::string& kind);

/// The picture of the links a simulated run lists (nodes taken from their names), load applied.
TopologyPicture picture_from_run(const std::string& topology_name, const SimulationRun& run);

/// Colours `picture` by the load of `run`: links by their directions' utilisation, nodes by the
/// utilisation of a resource inside them (entries with from == to, such as a CPU forwarding P2P
/// traffic). Throws std::invalid_argument naming a link or node of the run that the picture lacks
/// (the simulation used another topology).
void apply_load(TopologyPicture& picture, const SimulationRun& run);

/// DOT for the dot engine. Elements: one node per device, one edge per physical link, plus with a
/// load one legend node (an HTML table).
std::string topology_dot(const TopologyPicture& picture);

}  // namespace ua2a::viz
