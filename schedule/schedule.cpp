#include "schedule/schedule.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "schedule/program.h"

namespace ua2a {

std::size_t Schedule::transfer_count() const {
  std::size_t n = 0;
  for (const Round& r : rounds) n += r.transfers.size();
  // In a per-rank order every exchange is listed at both ends; count each transfer once, at its sender.
  for (std::size_t rank = 0; rank < rank_orders.size(); ++rank)
    for (const Round& r : rank_orders[rank])
      for (const Transfer& t : r.transfers) n += t.src == static_cast<Rank>(rank) ? 1 : 0;
  return n;
}

std::string to_string(ScheduleKind kind) {
  switch (kind) {
    case ScheduleKind::pairing: return "pairing";
    case ScheduleKind::directed: return "directed";
    case ScheduleKind::grouped: return "grouped";
    case ScheduleKind::per_rank: return "per-rank";
  }
  return "?";
}

ScheduleKind parse_schedule_kind(const std::string& name) {
  if (name == "pairing") return ScheduleKind::pairing;
  if (name == "directed") return ScheduleKind::directed;
  if (name == "grouped") return ScheduleKind::grouped;
  if (name == "per-rank") return ScheduleKind::per_rank;
  throw std::invalid_argument("unknown schedule kind '" + name + "': use pairing, directed, grouped or per-rank");
}

void add_block(Round& round, Rank src, Rank dst, const Payload& payload) {
  for (std::uint32_t part = 0; part < payload.parts.size(); ++part)
    for (std::uint32_t chunk = 0; chunk < payload.chunks; ++chunk)
      round.transfers.push_back({src, dst, static_cast<std::uint16_t>(part), chunk, payload.chunk_bytes(part, chunk)});
}

namespace {

Round rebuilt(const Round& round, const Payload& payload) {
  std::vector<BlockId> blocks;
  for (const Transfer& t : round.transfers)
    if (std::find(blocks.begin(), blocks.end(), t.block()) == blocks.end()) blocks.push_back(t.block());
  Round out;
  for (const BlockId& b : blocks) add_block(out, b.src, b.dst, payload);
  return out;
}

}  // namespace

Schedule with_payload(const Schedule& schedule, const Payload& payload) {
  Schedule out = schedule;
  out.payload = payload;
  for (Round& r : out.rounds) r = rebuilt(r, payload);
  for (auto& order : out.rank_orders)
    for (Round& r : order) r = rebuilt(r, payload);
  return out;
}

std::vector<std::pair<Rank, Rank>> round_pairs(const Round& round) {
  std::vector<std::pair<Rank, Rank>> pairs;
  for (const Transfer& t : round.transfers) pairs.emplace_back(std::min(t.src, t.dst), std::max(t.src, t.dst));
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  return pairs;
}

void Program::end_step() {
  if (ops.size() != step_begin.back()) step_begin.push_back(static_cast<std::uint32_t>(ops.size()));
}

std::size_t ProgramSet::op_count() const {
  std::size_t n = 0;
  for (const Program& p : programs) n += p.ops.size();
  return n;
}

std::string to_string(OpKind kind) {
  switch (kind) {
    case OpKind::send: return "send";
    case OpKind::recv: return "recv";
    case OpKind::copy: return "copy";
  }
  return "?";
}

OpKind parse_op_kind(const std::string& name) {
  if (name == "send") return OpKind::send;
  if (name == "recv") return OpKind::recv;
  if (name == "copy") return OpKind::copy;
  throw std::invalid_argument("unknown op kind '" + name + "': use send, recv or copy");
}

std::string describe(const Op& op) {
  std::ostringstream s;
  s << to_string(op.kind) << "(";
  if (op.kind != OpKind::copy) s << (op.kind == OpKind::send ? "to " : "from ") << op.peer << ", ";
  s << "block " << op.block.src << "->" << op.block.dst << ", part " << op.part << ", chunk " << op.chunk << ", "
    << op.bytes << " B)";
  return s.str();
}

}  // namespace ua2a
