#include "schedule/lower.h"

#include "schedule/named.h"
#include "schedule/payload.h"

#include <stdexcept>
#include <string>

namespace ua2a {

const std::vector<DisciplineInfo>& disciplines() {
  static const std::vector<DisciplineInfo> table = {
      {Discipline::paired_half, "paired-half",
       "per round the lower rank sends then receives, the higher receives then sends (the reference)"},
      {Discipline::paired_full, "paired-full", "per round one step {sends, receives}: both directions at once"},
      {Discipline::grouped, "grouped", "every operation in one step (NCCL all-to-all)"},
      {Discipline::naive, "naive", "every operation its own step, sends first (deadlocks under zero-buffer)"},
  };
  return table;
}

Discipline parse_discipline(const std::string& name) {
  if (const auto* d = find_named(disciplines(), name)) return d->discipline;
  throw std::invalid_argument("unknown discipline '" + name + "': use one of " + joined_names(disciplines()));
}

std::string to_string(Discipline d) {
  for (const auto& info : disciplines())
    if (info.discipline == d) return info.name;
  return "?";
}

namespace {

Op send_op(const Transfer& t) { return {OpKind::send, t.part, t.dst, t.block(), t.chunk, t.bytes}; }
Op recv_op(const Transfer& t) { return {OpKind::recv, t.part, t.src, t.block(), t.chunk, t.bytes}; }

/// The ops of one round (or one exchange) seen from `rank`: its sends and its receives, in order.
struct Slot {
  std::vector<Op> sends;
  std::vector<Op> recvs;
  bool empty() const { return sends.empty() && recvs.empty(); }
};

Slot slot_of(const Round& round, Rank rank) {
  Slot slot;
  for (const Transfer& t : round.transfers) {
    if (t.src == rank) slot.sends.push_back(send_op(t));
    if (t.dst == rank) slot.recvs.push_back(recv_op(t));
  }
  return slot;
}

/// The single partner of `rank` in a slot; throws when paired-half does not apply.
Rank single_partner(const Slot& slot, Rank rank, std::size_t position) {
  Rank partner = -1;
  auto note = [&](Rank peer) {
    if (partner != -1 && partner != peer)
      throw std::invalid_argument("discipline paired-half needs one partner per round, but rank " +
                                  std::to_string(rank) + " exchanges with " + std::to_string(partner) + " and " +
                                  std::to_string(peer) + " in round " + std::to_string(position) +
                                  ": use paired-full or grouped for this schedule");
    partner = peer;
  };
  for (const Op& op : slot.sends) note(op.peer);
  for (const Op& op : slot.recvs) note(op.peer);
  return partner;
}

void append(Program& program, const std::vector<Op>& ops) {
  program.ops.insert(program.ops.end(), ops.begin(), ops.end());
}

void lower_slot(Program& program, const Slot& slot, Discipline discipline, std::size_t position) {
  switch (discipline) {
    case Discipline::paired_half: {
      const bool lower = program.rank < single_partner(slot, program.rank, position);
      append(program, lower ? slot.sends : slot.recvs);
      program.end_step();
      append(program, lower ? slot.recvs : slot.sends);
      program.end_step();
      break;
    }
    case Discipline::paired_full:
      append(program, slot.sends);
      append(program, slot.recvs);
      program.end_step();
      break;
    case Discipline::grouped:
      append(program, slot.sends);
      append(program, slot.recvs);
      break;
    case Discipline::naive:
      for (const auto* ops : {&slot.sends, &slot.recvs})
        for (const Op& op : *ops) {
          program.ops.push_back(op);
          program.end_step();
        }
      break;
  }
}

void add_local_copy(Program& program, const Payload& payload) {
  if (payload.block_bytes() == 0) return;
  program.ops.push_back({OpKind::copy, 0, program.rank, {program.rank, program.rank}, 0, payload.block_bytes()});
}

}  // namespace

ProgramSet lower(const Schedule& schedule, Discipline discipline) {
  if (schedule.ranks <= 0) throw std::invalid_argument("cannot lower a schedule with " + std::to_string(schedule.ranks) + " ranks");
  ProgramSet set;
  set.ranks = schedule.ranks;
  set.algo = schedule.algo;
  set.discipline = to_string(discipline);
  set.payload = schedule.payload;
  set.programs.resize(schedule.ranks);

  // Global rounds are walked once per round and distributed, so lowering stays linear.
  std::vector<Slot> slots(schedule.ranks);
  const bool per_rank = schedule.kind == ScheduleKind::per_rank;
  for (Rank r = 0; r < schedule.ranks; ++r) {
    set.programs[r].rank = r;
    add_local_copy(set.programs[r], schedule.payload);
    if (discipline == Discipline::naive) set.programs[r].end_step();  // every op its own step
  }
  auto flush = [&](Rank r, std::size_t position) {
    if (!slots[r].empty()) lower_slot(set.programs[r], slots[r], discipline, position);
    slots[r] = {};
  };
  if (per_rank) {
    for (Rank r = 0; r < schedule.ranks; ++r)
      for (std::size_t i = 0; i < schedule.rank_orders.at(r).size(); ++i) {
        slots[r] = slot_of(schedule.rank_orders[r][i], r);
        flush(r, i);
      }
  } else {
    for (std::size_t i = 0; i < schedule.rounds.size(); ++i) {
      std::vector<Rank> touched;
      for (const Transfer& t : schedule.rounds[i].transfers) {
        if (t.src < 0 || t.src >= schedule.ranks || t.dst < 0 || t.dst >= schedule.ranks)
          throw std::invalid_argument("round " + std::to_string(i) + " has a transfer " + std::to_string(t.src) +
                                      "->" + std::to_string(t.dst) + " outside ranks 0.." +
                                      std::to_string(schedule.ranks - 1));
        for (Rank r : {t.src, t.dst})
          if (slots[r].empty()) touched.push_back(r);
        slots[t.src].sends.push_back(send_op(t));
        slots[t.dst].recvs.push_back(recv_op(t));
      }
      for (Rank r : touched) flush(r, i);
    }
  }
  for (Program& p : set.programs) p.end_step();
  return set;
}

ProgramSet lower_concurrent(std::int32_t ranks, const std::vector<std::pair<Rank, Rank>>& pairs, std::uint64_t bytes,
                            bool merged) {
  Schedule s;
  s.ranks = ranks;
  s.algo = "pattern";
  s.kind = ScheduleKind::grouped;
  s.payload = uniform_payload(bytes, merged, 1);
  Round round;
  for (auto [src, dst] : pairs) add_block(round, src, dst, s.payload);
  s.rounds = {round};
  return without_local_copies(lower(s, Discipline::grouped));  // only the listed transfers
}

ProgramSet without_local_copies(ProgramSet programs) {
  for (Program& prog : programs.programs) {
    Program bare;
    bare.rank = prog.rank;
    for (std::size_t step = 0; step + 1 < prog.step_begin.size(); ++step) {
      for (std::uint32_t i = prog.step_begin[step]; i < prog.step_begin[step + 1]; ++i)
        if (prog.ops[i].kind != OpKind::copy) bare.ops.push_back(prog.ops[i]);
      bare.end_step();  // a step that held the copy alone goes (end_step drops empty steps)
    }
    prog = std::move(bare);
  }
  return programs;
}

}  // namespace ua2a
