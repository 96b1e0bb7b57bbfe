#include "backend/cpu_threads.h"

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include "schedule/matcher.h"

namespace ua2a {

namespace {

/// One piece to move, as the receiving rank's thread sees it.
struct Work {
  Match match;
  const std::byte* from = nullptr;
  std::uint64_t to = 0;  ///< offset in the receiver's buffer: where the ledger says it landed
  std::uint64_t bytes = 0;
  Op send;  ///< the sender's op, recorded in the ledger as what arrived
};

/// Work queues of the rank threads and the completions they hand back, under one mutex (the
/// copies run outside it; with one piece per rank in flight contention is negligible).
class Mailboxes {
 public:
  explicit Mailboxes(std::size_t ranks) : work_(ranks), wake_(ranks) {}

  void post(Rank r, Work w) {
    std::lock_guard lock(mu_);
    work_[r].push_back(w);
    wake_[r].notify_one();
  }
  /// Blocks until rank r has work; false once stopped.
  bool take(Rank r, Work& out) {
    std::unique_lock lock(mu_);
    wake_[r].wait(lock, [&] { return stop_ || !work_[r].empty(); });
    if (stop_) return false;
    out = work_[r].front();
    work_[r].pop_front();
    return true;
  }
  void done(const Match& m) {
    std::lock_guard lock(mu_);
    done_.push_back(m);
    done_cv_.notify_one();
  }
  /// Waits up to `timeout` for completions; returns them (empty on timeout).
  std::deque<Match> wait_done(std::chrono::duration<double> timeout) {
    std::unique_lock lock(mu_);
    done_cv_.wait_for(lock, timeout, [&] { return !done_.empty(); });
    return std::exchange(done_, {});
  }
  void stop() {
    std::lock_guard lock(mu_);
    stop_ = true;
    for (auto& cv : wake_) cv.notify_all();
  }

 private:
  std::mutex mu_;
  std::vector<std::deque<Work>> work_;
  std::vector<std::condition_variable> wake_;
  std::deque<Match> done_;
  std::condition_variable done_cv_;
  bool stop_ = false;
};

class CpuThreadsTransport : public Transport {
 public:
  explicit CpuThreadsTransport(const TransportOptions& o) : options_(o) {}
  std::string name() const override { return "threads"; }
  void execute(const ProgramSet& programs, const ExchangeBuffers& buffers, DeliveryLedger* ledger) override;

 private:
  TransportOptions options_;
};

void check_buffers(const ProgramSet& programs, const ExchangeBuffers& buffers) {
  if (buffers.ranks.size() != static_cast<std::size_t>(programs.ranks))
    throw std::invalid_argument("threads transport runs all ranks in one process: got buffers for " +
                                std::to_string(buffers.ranks.size()) + " of " + std::to_string(programs.ranks) +
                                " ranks");
  for (std::size_t r = 0; r < buffers.ranks.size(); ++r)
    if (buffers.ranks[r].rank != static_cast<Rank>(r) || buffers.ranks[r].device != -1)
      throw std::invalid_argument("threads transport needs host buffers for ranks 0..N-1 in order");
}

/// The diagonal copies: step 0 of each rank, independent of every other op.
void copy_local(const ProgramSet& programs, const ExchangeBuffers& buffers, Rank r) {
  const RankBuffers& b = buffers.ranks[r];
  for (const Op& op : programs.programs[r].ops)
    if (op.kind == OpKind::copy)
      std::memcpy(b.recv + r * buffers.block_stride, b.send + r * buffers.block_stride, op.bytes);
}

void CpuThreadsTransport::execute(const ProgramSet& programs, const ExchangeBuffers& buffers, DeliveryLedger* ledger) {
  check_buffers(programs, buffers);
  check_programs(programs);  // a mismatched or deadlocking program is refused before any thread waits
  const Payload& payload = programs.payload;
  Mailboxes box(programs.programs.size());
  std::vector<std::jthread> threads;
  for (Rank r = 0; r < programs.ranks; ++r)
    threads.emplace_back([&, r] {
      copy_local(programs, buffers, r);
      Work w;
      while (box.take(r, w)) {
        std::memcpy(buffers.ranks[r].recv + w.to, w.from, w.bytes);
        if (ledger) record_landed(*ledger, payload, r, w.to, buffers.block_stride, w.send);
        box.done(w.match);
      }
    });
  struct StopOnExit {
    Mailboxes& box;
    ~StopOnExit() { box.stop(); }
  } stop_on_exit{box};

  Matcher m(programs);
  m.start();
  std::size_t in_flight = 0;
  for (;;) {
    Match match;
    while (m.pop_match(match)) {
      const Op& send = m.op(match.send);
      const Op& recv = m.op(match.recv);
      const RankBuffers& from = buffers.ranks[match.send.rank];
      box.post(match.recv.rank, {match, from.send + send_offset(payload, buffers.block_stride, send),
                                 recv_offset(payload, buffers.block_stride, recv), recv.bytes, send});
      ++in_flight;
    }
    if (in_flight == 0) break;
    std::deque<Match> done = box.wait_done(std::chrono::duration<double>(options_.timeout_s));
    if (done.empty())
      throw TransportError("threads transport: no piece moved for " + std::to_string(options_.timeout_s) +
                           " s; stuck ranks:" + describe_stuck(m));
    for (const Match& d : done) m.complete(d);
    in_flight -= done.size();
  }
  if (!m.finished())
    throw TransportError("the programs deadlock under zero-buffer rendezvous (discipline '" + programs.discipline +
                         "'); use paired-half, paired-full or grouped:" + describe_stuck(m));
}

}  // namespace

std::unique_ptr<Transport> make_cpu_threads_transport(const TransportOptions& options) {
  return std::make_unique<CpuThreadsTransport>(options);
}

}  // namespace ua2a
