#pragma once
/// The IR every consumer executes: per-rank programs of steps of operations.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "schedule/block.h"

namespace ua2a {

enum class OpKind : std::uint8_t { send, recv, copy };

/// One operation. A send of piece (part, chunk) of `block` to `peer`, a receive of it from `peer`,
/// or the local copy of the diagonal block (peer = own rank).
struct Op {
  OpKind kind = OpKind::send;
  std::uint16_t part = 0;
  Rank peer = 0;
  BlockId block;
  std::uint32_t chunk = 0;
  std::uint64_t bytes = 0;
  friend bool operator==(const Op&, const Op&) = default;
};

/// One rank's program: steps stored flat (ops) with offsets, because programs for N = 4096 hold
/// millions of steps. A rank starts step i+1 only when every op of step i has completed.
struct Program {
  Rank rank = 0;
  std::vector<Op> ops;
  /// step i is ops[step_begin[i] .. step_begin[i+1]); size = steps + 1, starts with 0.
  std::vector<std::uint32_t> step_begin{0};

  std::size_t step_count() const { return step_begin.size() - 1; }
  std::span<const Op> step(std::size_t i) const {
    return {ops.data() + step_begin[i], ops.data() + step_begin[i + 1]};
  }
  /// Closes the current step; empty steps are dropped.
  void end_step();
  friend bool operator==(const Program&, const Program&) = default;
};

/// The programs of all ranks plus what they were made from.
struct ProgramSet {
  std::int32_t ranks = 0;
  std::string algo;
  std::string discipline;
  Payload payload;
  std::vector<Program> programs;

  std::size_t op_count() const;
  friend bool operator==(const ProgramSet&, const ProgramSet&) = default;
};

std::string to_string(OpKind kind);
OpKind parse_op_kind(const std::string& name);
/// "send(3, block 0->3, part 0, chunk 1, 4096 B)": for counterexamples and the text form.
std::string describe(const Op& op);

}  // namespace ua2a
