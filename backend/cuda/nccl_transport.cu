#include "backend/cuda/nccl_transport.h"

#include <nccl.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <thread>

#include "backend/cuda/check.h"
#include "backend/cuda/record_landed.h"
#include "backend/id_file.h"
#include "backend/mpi_world.h"

namespace ua2a {

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void throw_nccl(ncclResult_t r, const char* call, const char* file, int line) {
  throw TransportError(std::string("NCCL error ") + ncclGetErrorString(r) + " in " + call + " at " + file + ":" +
                       std::to_string(line));
}

#define UA2A_NCCL_CHECK(call)                                                         \
  do {                                                                                \
    const ncclResult_t ua2a_r_ = (call);                                              \
    if (ua2a_r_ != ncclSuccess && ua2a_r_ != ncclInProgress) throw_nccl(ua2a_r_, #call, __FILE__, __LINE__); \
  } while (0)

class NcclTransport : public Transport {
 public:
  explicit NcclTransport(const TransportOptions& o) : options_(o) {}
  ~NcclTransport() override { destroy(); }
  std::string name() const override { return "nccl"; }
  void execute(const ProgramSet& programs, const ExchangeBuffers& buffers, DeliveryLedger* ledger) override;

 private:
  void init(std::int32_t ranks, const ExchangeBuffers& buffers);
  ncclUniqueId unique_id(Clock::time_point deadline, IdFile* file) const;
  /// Polls a non-blocking communicator until its last call finished; throws on error, timeout or
  /// when another rank's thread failed (`stop`).
  void wait_ready(ncclComm_t comm, Clock::time_point deadline, const std::atomic<bool>* stop = nullptr) const;
  void run_rank(const ProgramSet& programs, const ExchangeBuffers& buffers, std::size_t i, DeliveryLedger* ledger,
                Clock::time_point deadline, const std::atomic<bool>& stop);
  void abort_all();
  void destroy();
  Clock::time_point deadline() const {
    return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options_.timeout_s));
  }

  TransportOptions options_;
  std::int32_t ranks_ = 0;
  std::vector<ncclComm_t> comms_;  ///< one per local rank, in buffers order
};

void check_one_rank_per_gpu(std::int32_t ranks, const ExchangeBuffers& buffers) {
  std::set<int> seen;
  for (const RankBuffers& b : buffers.ranks) {
    if (b.device < 0 || !b.stream) throw std::invalid_argument("nccl needs device buffers and a stream per rank");
    if (!seen.insert(b.device).second)
      throw std::invalid_argument("NCCL refuses two ranks on one GPU: " + std::to_string(ranks) + " ranks but GPU " +
                                  std::to_string(b.device) + " would hold more than one (" +
                                  std::to_string(buffers.ranks.size()) + " local ranks). Use --transport cuda-peer "
                                  "for several ranks per GPU, or at most one rank per visible GPU");
  }
}

ncclUniqueId NcclTransport::unique_id(Clock::time_point deadline, IdFile* file) const {
  ncclUniqueId id;
  if (options_.process_rank < 0) {
    UA2A_NCCL_CHECK(ncclGetUniqueId(&id));
    return id;
  }
  if (options_.mpi) {  // rank 0 makes the id, MPI hands it to everyone
    if (options_.process_rank == 0) UA2A_NCCL_CHECK(ncclGetUniqueId(&id));
    mpi_broadcast(id.internal, sizeof id.internal, 0);
    return id;
  }
  if (!file)
    throw std::invalid_argument("nccl with one process per GPU (--rank) needs --nccl-id-file PATH on a shared file "
                                "system, or --mpi under mpirun");
  if (options_.process_rank == 0) {
    UA2A_NCCL_CHECK(ncclGetUniqueId(&id));
    file->publish(id.internal, sizeof id.internal);
  } else {
    file->read(id.internal, sizeof id.internal, deadline, options_.process_rank);
  }
  return id;
}

void NcclTransport::wait_ready(ncclComm_t comm, Clock::time_point deadline, const std::atomic<bool>* stop) const {
  for (;;) {
    ncclResult_t state = ncclSuccess;
    UA2A_NCCL_CHECK(ncclCommGetAsyncError(comm, &state));
    if (state == ncclSuccess) return;
    if (state != ncclInProgress) throw_nccl(state, "ncclCommGetAsyncError", __FILE__, __LINE__);
    if (stop && stop->load()) throw TransportError("nccl: stopped because another rank failed");
    if (Clock::now() > deadline)
      throw TransportError("nccl: no progress for " + std::to_string(options_.timeout_s) +
                           " s (a peer never posted its matching operation, or a process died); communicators aborted");
    std::this_thread::yield();
  }
}

void NcclTransport::init(std::int32_t ranks, const ExchangeBuffers& buffers) {
  destroy();
  check_one_rank_per_gpu(ranks, buffers);
  const auto until = deadline();
  // Rank 0 removes the id file once every rank has joined, or on the way out of a failed join.
  std::optional<IdFile> file;
  if (options_.process_rank >= 0 && !options_.mpi && !options_.nccl_id_file.empty()) file.emplace(options_.nccl_id_file);
  const ncclUniqueId id = unique_id(until, file ? &*file : nullptr);
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = 0;  // every call returns; we poll with a deadline instead of hanging
  comms_.assign(buffers.ranks.size(), nullptr);
  UA2A_NCCL_CHECK(ncclGroupStart());
  for (std::size_t i = 0; i < buffers.ranks.size(); ++i) {
    UA2A_CUDA_CHECK(cudaSetDevice(buffers.ranks[i].device));
    UA2A_NCCL_CHECK(ncclCommInitRankConfig(&comms_[i], ranks, id, buffers.ranks[i].rank, &config));
  }
  UA2A_NCCL_CHECK(ncclGroupEnd());
  try {
    for (ncclComm_t c : comms_) wait_ready(c, until);
  } catch (...) {
    abort_all();
    throw;
  }
  if (file) file->remove();  // the join is collective: every rank has read the id by now
  ranks_ = ranks;
}

void NcclTransport::run_rank(const ProgramSet& programs, const ExchangeBuffers& buffers, std::size_t i,
                             DeliveryLedger* ledger, Clock::time_point until, const std::atomic<bool>& stop) {
  const RankBuffers& b = buffers.ranks[i];
  const Program& p = programs.programs[b.rank];
  const auto stream = static_cast<cudaStream_t>(b.stream);
  const std::uint64_t stride = buffers.block_stride;
  UA2A_CUDA_CHECK(cudaSetDevice(b.device));
  for (std::size_t k = 0; k < p.step_count(); ++k) {
    UA2A_NCCL_CHECK(ncclGroupStart());
    for (const Op& op : p.step(k)) {
      switch (op.kind) {
        case OpKind::send:
          UA2A_NCCL_CHECK(ncclSend(b.send + send_offset(programs.payload, stride, op), op.bytes, ncclUint8, op.peer,
                                   comms_[i], stream));
          break;
        case OpKind::recv:
          UA2A_NCCL_CHECK(ncclRecv(b.recv + recv_offset(programs.payload, stride, op), op.bytes, ncclUint8, op.peer,
                                   comms_[i], stream));
          break;
        case OpKind::copy:
          UA2A_CUDA_CHECK(cudaMemcpyAsync(b.recv + b.rank * stride, b.send + b.rank * stride, op.bytes,
                                          cudaMemcpyDeviceToDevice, stream));
          break;
      }
    }
    UA2A_NCCL_CHECK(ncclGroupEnd());
    wait_ready(comms_[i], until, &stop);  // from here the group's kernels are on `stream`
    if (!ledger) continue;
    // Each receive is recorded where it landed once the group has completed on the stream. NCCL
    // delivers what the sender posted to the receive's buffer, so the receive op names the piece.
    for (const Op& op : p.step(k))
      if (op.kind == OpKind::recv)
        record_landed_on(stream, *ledger, programs.payload, b.rank, recv_offset(programs.payload, stride, op), stride, op);
  }
}

void NcclTransport::execute(const ProgramSet& programs, const ExchangeBuffers& buffers, DeliveryLedger* ledger) {
  check_programs(programs);  // a deadlocking program is refused, never handed to NCCL
  const bool one_process = options_.process_rank < 0;
  if (one_process && buffers.ranks.size() != static_cast<std::size_t>(programs.ranks))
    throw std::invalid_argument("nccl in one process needs every rank's buffers");
  if (comms_.empty() || ranks_ != programs.ranks) init(programs.ranks, buffers);
  const auto until = deadline();
  std::atomic<bool> stop{false};
  std::vector<std::exception_ptr> errors(buffers.ranks.size());
  {
    std::vector<std::jthread> threads;
    for (std::size_t i = 0; i < buffers.ranks.size(); ++i)
      threads.emplace_back([&, i] {
        try {
          run_rank(programs, buffers, i, ledger, until, stop);
        } catch (...) {
          errors[i] = std::current_exception();
          stop = true;
        }
      });
  }
  for (const auto& e : errors)
    if (e) {
      abort_all();
      std::rethrow_exception(e);
    }
  // Wait for the streams with the same deadline, watching for asynchronous NCCL errors.
  for (;;) {
    bool done = true;
    for (std::size_t i = 0; i < buffers.ranks.size(); ++i) {
      UA2A_CUDA_CHECK(cudaSetDevice(buffers.ranks[i].device));
      const cudaError_t q = cudaStreamQuery(static_cast<cudaStream_t>(buffers.ranks[i].stream));
      if (q == cudaErrorNotReady) done = false;
      else if (q != cudaSuccess) UA2A_CUDA_CHECK(q);
      ncclResult_t state = ncclSuccess;
      UA2A_NCCL_CHECK(ncclCommGetAsyncError(comms_[i], &state));
      if (state != ncclSuccess && state != ncclInProgress) {
        abort_all();
        throw_nccl(state, "ncclCommGetAsyncError", __FILE__, __LINE__);
      }
    }
    if (done) return;
    if (Clock::now() > until) {
      abort_all();
      throw TransportError("nccl: the exchange did not finish within " + std::to_string(options_.timeout_s) +
                           " s; communicators aborted (raise --timeout for very large shapes)");
    }
    std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
}

void NcclTransport::abort_all() {
  for (ncclComm_t c : comms_)
    if (c) ncclCommAbort(c);
  comms_.clear();
  ranks_ = 0;
}

void NcclTransport::destroy() {
  // Finalize is asynchronous on non-blocking communicators: wait for it (bounded), then free.
  try {
    for (ncclComm_t c : comms_) {
      UA2A_NCCL_CHECK(ncclCommFinalize(c));
      wait_ready(c, deadline());
    }
    for (ncclComm_t c : comms_) ncclCommDestroy(c);
    comms_.clear();
  } catch (const std::exception&) {
    abort_all();  // a destructor must not throw; a stuck finalize is aborted instead
  }
  comms_.clear();
  ranks_ = 0;
}

}  // namespace

std::unique_ptr<Transport> make_nccl_transport(const TransportOptions& options) {
  return std::make_unique<NcclTransport>(options);
}

}  // namespace ua2a
