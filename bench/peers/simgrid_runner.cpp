#include "bench/peers/simgrid_runner.h"

#include <simgrid/s4u.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace sg4 = simgrid::s4u;

namespace ua2a::peers {

namespace {

/// Plain max-min: CM02 has unit latency and bandwidth factors; TCP-gamma caps each flow at
/// gamma / (2 latency), so it is set huge (not 0: with a latency, SimGrid 3.32 then takes
/// min(rate, 0) = 0 as the flow's bound, which means *no* bound, and Comm::set_rate is lost);
/// cross-traffic would load the reverse direction with acknowledgements, and weight-S would
/// weight flows by their round-trip time.
void configure_plain_maxmin() {
  sg4::Engine::set_config("network/model:CM02");
  sg4::Engine::set_config("network/TCP-gamma:1e30");
  sg4::Engine::set_config("network/crosstraffic:0");
  sg4::Engine::set_config("network/weight-S:0");
}

std::string mailbox_name(Rank src, Rank dst) { return std::to_string(src) + ">" + std::to_string(dst); }

struct Context {
  const Platform* platform;
  std::vector<std::vector<double>> caps;  // [src][dst] per-flow cap, 0 = none
  std::uint64_t comms = 0;
};

std::vector<sg4::Host*> build_platform(Context& ctx, std::int32_t ranks) {
  auto* zone = sg4::create_full_zone("box");
  std::vector<sg4::Host*> hosts;
  for (Rank r = 0; r < ranks; ++r) hosts.push_back(zone->create_host("rank" + std::to_string(r), 1e9));
  std::vector<sg4::Link*> links;
  for (const Resource& res : ctx.platform->resources)
    links.push_back(zone->create_link(res.name, res.bytes_per_s)->set_latency(res.latency_s)->seal());
  ctx.caps.assign(ranks, std::vector<double>(ranks, 0.0));
  for (Rank s = 0; s < ranks; ++s)
    for (Rank d = 0; d < ranks; ++d) {
      if (s == d) continue;
      const Route route = ctx.platform->route(s, d);
      ctx.caps[s][d] = route.cap_bytes_per_s;
      std::vector<sg4::LinkInRoute> path;
      for (std::int32_t id : route.resources) path.emplace_back(links.at(id));
      zone->add_route(hosts[s]->get_netpoint(), hosts[d]->get_netpoint(), nullptr, nullptr, path, false);
    }
  zone->seal();
  return hosts;
}

void rank_actor(const Program* program, Context* ctx) {
  static char token;
  static char* sink;  // SimGrid needs a destination for the payload pointer; the data is not used
  for (std::size_t i = 0; i < program->step_count(); ++i) {
    std::vector<sg4::CommPtr> pending;
    for (const Op& op : program->step(i)) {
      if (op.kind == OpKind::send) {
        auto comm = sg4::Mailbox::by_name(mailbox_name(program->rank, op.peer))->put_init(&token, static_cast<double>(op.bytes));
        if (const double cap = ctx->caps[program->rank][op.peer]; cap > 0) comm->set_rate(cap);
        pending.push_back(comm->start());
      } else if (op.kind == OpKind::recv) {
        // The rate goes on both sides: when the receive is posted first, SimGrid runs the
        // receiver's comm object and the sender's rate would be lost.
        auto comm = sg4::Mailbox::by_name(mailbox_name(op.peer, program->rank))->get_init()->set_dst_data(reinterpret_cast<void**>(&sink));
        if (const double cap = ctx->caps[op.peer][program->rank]; cap > 0) comm->set_rate(cap);
        pending.push_back(comm->start());
      }
    }
    for (auto& c : pending) c->wait();
    ctx->comms += pending.size();
    if (std::getenv("UA2A_SIMGRID_TRACE"))
      std::fprintf(stderr, "simgrid: rank %d step %zu done at %.9f\n", program->rank, i, sg4::Engine::get_clock());
  }
}

SimGridResult simulate_in_this_process(const Platform& platform, const ProgramSet& programs) {
  int argc = 1;
  char arg0[] = "ulysses-a2a-simgrid";
  char log[] = "--log=root.thres:critical";
  char* argv[] = {arg0, log, nullptr};
  argc = 2;
  const auto setup = std::chrono::steady_clock::now();
  sg4::Engine engine(&argc, argv);
  configure_plain_maxmin();
  Context ctx{&platform, {}, 0};
  const auto hosts = build_platform(ctx, programs.ranks);
  for (const Program& p : programs.programs)
    sg4::Actor::create("rank" + std::to_string(p.rank), hosts[p.rank], rank_actor, &p, &ctx);
  const auto start = std::chrono::steady_clock::now();
  engine.run();
  const auto end = std::chrono::steady_clock::now();
  return {sg4::Engine::get_clock(), std::chrono::duration<double>(end - setup).count(),
          std::chrono::duration<double>(end - start).count(), ctx.comms / 2};
}

}  // namespace

SimGridResult run_simgrid(const Platform& platform, const ProgramSet& programs) {
  std::fflush(nullptr);  // or the child would print the parent's buffered output again
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe() failed");
  const pid_t child = fork();
  if (child < 0) throw std::runtime_error("fork() failed");
  if (child == 0) {
    close(fds[0]);
    const SimGridResult r = simulate_in_this_process(platform, programs);
    const bool ok = write(fds[1], &r, sizeof r) == static_cast<ssize_t>(sizeof r);
    _exit(ok ? 0 : 1);
  }
  close(fds[1]);
  SimGridResult r;
  const bool got = read(fds[0], &r, sizeof r) == static_cast<ssize_t>(sizeof r);
  close(fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  if (!got || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("the SimGrid run failed (see its messages above)");
  return r;
}

}  // namespace ua2a::peers
