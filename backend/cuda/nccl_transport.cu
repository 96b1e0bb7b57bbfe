#include "backend/cuda/nccl_transport.h"

#include <nccl.h>

#include <algorithm>
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
#include <vector>

#include "backend/cuda/check.h"
#include "backend/cuda/kernels.h"
#include "backend/id_file.h"
#include "backend/mpi_world.h"
#include "backend/piece_check.h"

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

/// Device memory of one rank's checksums in a checked exchange (backend/piece_check.h).
class RankChecksums {
 public:
  RankChecksums(int device, std::size_t per_rank, std::int32_t ranks, std::size_t receives)
      : device_(device), per_rank_(per_rank), ranks_(ranks), receives_(receives) {
    UA2A_CUDA_CHECK(cudaSetDevice(device));
    UA2A_CUDA_CHECK(cudaMalloc(&sent_, per_rank * sizeof(std::uint64_t)));
    UA2A_CUDA_CHECK(cudaMalloc(&gathered_, per_rank * ranks * sizeof(std::uint64_t)));
    UA2A_CUDA_CHECK(cudaMalloc(&landed_, std::max<std::size_t>(receives, 1) * sizeof(std::uint64_t)));
  }
  ~RankChecksums() {
    if (!UA2A_CUDA_WARN(cudaSetDevice(device_))) return;
    for (void* p : {static_cast<void*>(sent_), static_cast<void*>(gathered_), static_cast<void*>(landed_)})
      if (p) UA2A_CUDA_WARN(cudaFree(p));
  }
  RankChecksums(const RankChecksums&) = delete;
  RankChecksums& operator=(const RankChecksums&) = delete;
  std::uint64_t* sent() const { return sent_; }          ///< [N][parts][chunks]: this rank's sends
  std::uint64_t* gathered() const { return gathered_; }  ///< [N][N][parts][chunks]: every rank's
  std::uint64_t* landed() const { return landed_; }      ///< [receives]: what each receive found
  std::size_t per_rank() const { return per_rank_; }
  /// The all-gathered sender checksums and the landed ones, on the host (the stream is done).
  void download(std::vector<std::uint64_t>& gathered, std::vector<std::uint64_t>& landed) const {
    UA2A_CUDA_CHECK(cudaSetDevice(device_));
    gathered.resize(per_rank_ * ranks_);
    landed.resize(receives_);
    UA2A_CUDA_CHECK(cudaMemcpy(gathered.data(), gathered_, gathered.size() * sizeof(std::uint64_t), cudaMemcpyDeviceToHost));
    if (receives_)
      UA2A_CUDA_CHECK(cudaMemcpy(landed.data(), landed_, landed.size() * sizeof(std::uint64_t), cudaMemcpyDeviceToHost));
  }

 private:
  int device_;
  std::size_t per_rank_;
  std::int32_t ranks_;
  std::size_t receives_;
  std::uint64_t* sent_ = nullptr;
  std::uint64_t* gathered_ = nullptr;
  std::uint64_t* landed_ = nullptr;
};

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
  void run_rank(const ProgramSet& programs, const ExchangeBuffers& buffers, std::size_t i, RankChecksums* sums,
                Clock::time_point deadline, const std::atomic<bool>& stop);
  /// Waits for every rank stream (deadline, asynchronous NCCL errors), aborting on failure.
  void wait_streams(const ExchangeBuffers& buffers, Clock::time_point until);
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
                             RankChecksums* sums, Clock::time_point until, const std::atomic<bool>& stop) {
  const RankBuffers& b = buffers.ranks[i];
  const Program& p = programs.programs[b.rank];
  const auto stream = static_cast<cudaStream_t>(b.stream);
  const std::uint64_t stride = buffers.block_stride;
  UA2A_CUDA_CHECK(cudaSetDevice(b.device));
  if (sums) {
    // The sender's checksum of every piece, over its send buffer before anything moves.
    const SentChecksums layout(programs.ranks, programs.payload);
    UA2A_CUDA_CHECK(cudaMemsetAsync(sums->sent(), 0, sums->per_rank() * sizeof(std::uint64_t), stream));
    for (const Op& op : p.ops)
      if (op.kind == OpKind::send)
        piece_checksum_gpu(b.send + send_offset(programs.payload, stride, op), op.bytes,
                           sums->sent() + layout.index(op.block, op.part, op.chunk) - b.rank * layout.per_rank(), stream);
  }
  std::size_t received = 0;
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
    if (!sums) continue;
    // What each receive found, checksummed behind the group on the stream. NCCL pairs sends and
    // receives inside the library: only the bytes can say which piece arrived (piece_check.h).
    for (const Op& op : p.step(k))
      if (op.kind == OpKind::recv)
        piece_checksum_gpu(b.recv + recv_offset(programs.payload, stride, op), op.bytes, sums->landed() + received++, stream);
  }
  if (sums) {  // every rank's sender checksums to every rank (processes too)
    UA2A_NCCL_CHECK(ncclAllGather(sums->sent(), sums->gathered(), sums->per_rank(), ncclUint64, comms_[i], stream));
    wait_ready(comms_[i], until, &stop);
  }
}

void NcclTransport::execute(const ProgramSet& programs, const ExchangeBuffers& buffers, DeliveryLedger* ledger) {
  check_programs(programs);  // a deadlocking program is refused, never handed to NCCL
  const bool one_process = options_.process_rank < 0;
  if (one_process && buffers.ranks.size() != static_cast<std::size_t>(programs.ranks))
    throw std::invalid_argument("nccl in one process needs every rank's buffers");
  if (comms_.empty() || ranks_ != programs.ranks) init(programs.ranks, buffers);
  const auto until = deadline();
  std::vector<std::unique_ptr<RankChecksums>> sums(buffers.ranks.size());
  if (ledger) {
    const SentChecksums layout(programs.ranks, programs.payload);
    for (std::size_t i = 0; i < sums.size(); ++i)
      sums[i] = std::make_unique<RankChecksums>(buffers.ranks[i].device, layout.per_rank(), programs.ranks,
                                                receive_count(programs.programs[buffers.ranks[i].rank]));
  }
  std::atomic<bool> stop{false};
  std::vector<std::exception_ptr> errors(buffers.ranks.size());
  {
    std::vector<std::jthread> threads;
    for (std::size_t i = 0; i < buffers.ranks.size(); ++i)
      threads.emplace_back([&, i] {
        try {
          run_rank(programs, buffers, i, sums[i].get(), until, stop);
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
  wait_streams(buffers, until);
  if (!ledger) return;
  // Every arrival identified by its bytes (piece_check.h), now that the streams are done.
  std::vector<std::uint64_t> gathered, landed;
  for (std::size_t i = 0; i < sums.size(); ++i) {
    sums[i]->download(gathered, landed);
    SentChecksums sent(programs.ranks, programs.payload);
    sent.values() = gathered;
    sent.record_receives(*ledger, programs, buffers.ranks[i].rank, buffers.block_stride, landed);
  }
}

void NcclTransport::wait_streams(const ExchangeBuffers& buffers, Clock::time_point until) {
  // The same deadline as the groups, watching for asynchronous NCCL errors.
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

/// Polls a non-blocking communicator until its last call finished or `until` passed.
void wait_comm(ncclComm_t comm, Clock::time_point until, const char* stage) {
  for (;;) {
    ncclResult_t state = ncclSuccess;
    UA2A_NCCL_CHECK(ncclCommGetAsyncError(comm, &state));
    if (state == ncclSuccess) return;
    if (state != ncclInProgress) throw_nccl(state, stage, __FILE__, __LINE__);
    if (Clock::now() > until) throw TransportError(std::string("nccl one-rank check: ") + stage + " did not finish in time");
    std::this_thread::yield();
  }
}

/// One self exchange on a fresh one-rank communicator: the sent bytes must come back unchanged.
ncclComm_t self_exchange(cudaStream_t stream, const std::byte* send, std::byte* recv, std::uint64_t bytes,
                         Clock::time_point until, const char* which) {
  ncclUniqueId id;
  UA2A_NCCL_CHECK(ncclGetUniqueId(&id));
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = 0;
  ncclComm_t comm = nullptr;
  UA2A_NCCL_CHECK(ncclCommInitRankConfig(&comm, 1, id, 0, &config));
  try {
    wait_comm(comm, until, "ncclCommInitRankConfig");
    UA2A_CUDA_CHECK(cudaMemsetAsync(recv, 0, bytes, stream));
    UA2A_NCCL_CHECK(ncclGroupStart());
    UA2A_NCCL_CHECK(ncclSend(send, bytes, ncclUint8, 0, comm, stream));
    UA2A_NCCL_CHECK(ncclRecv(recv, bytes, ncclUint8, 0, comm, stream));
    UA2A_NCCL_CHECK(ncclGroupEnd());
    wait_comm(comm, until, "the self send/receive group");
    UA2A_CUDA_CHECK(cudaStreamSynchronize(stream));
    std::vector<std::byte> a(bytes), b(bytes);
    UA2A_CUDA_CHECK(cudaMemcpy(a.data(), send, bytes, cudaMemcpyDeviceToHost));
    UA2A_CUDA_CHECK(cudaMemcpy(b.data(), recv, bytes, cudaMemcpyDeviceToHost));
    if (a != b)
      throw TransportError(std::string("nccl one-rank check: the bytes a ") + which +
                           " communicator sent to itself came back changed");
  } catch (...) {
    ncclCommAbort(comm);
    throw;
  }
  return comm;
}

}  // namespace

std::unique_ptr<Transport> make_nccl_transport(const TransportOptions& options) {
  return std::make_unique<NcclTransport>(options);
}

int nccl_one_rank_check(int device, std::uint64_t bytes, double timeout_s) {
  if (bytes == 0) throw std::invalid_argument("the nccl one-rank check needs at least one byte");
  const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_s));
  UA2A_CUDA_CHECK(cudaSetDevice(device));
  struct Resources {
    cudaStream_t stream = nullptr;
    std::byte* send = nullptr;
    std::byte* recv = nullptr;
    ~Resources() {
      if (stream && UA2A_CUDA_WARN(cudaStreamSynchronize(stream))) UA2A_CUDA_WARN(cudaStreamDestroy(stream));
      if (send) UA2A_CUDA_WARN(cudaFree(send));
      if (recv) UA2A_CUDA_WARN(cudaFree(recv));
    }
  } r;
  UA2A_CUDA_CHECK(cudaStreamCreateWithFlags(&r.stream, cudaStreamNonBlocking));
  UA2A_CUDA_CHECK(cudaMalloc(&r.send, bytes));
  UA2A_CUDA_CHECK(cudaMalloc(&r.recv, bytes));
  std::vector<std::byte> pattern(bytes);
  for (std::uint64_t i = 0; i < bytes; ++i) pattern[i] = static_cast<std::byte>(checksum_term(i, 0x5a) & 0xFF);
  UA2A_CUDA_CHECK(cudaMemcpy(r.send, pattern.data(), bytes, cudaMemcpyHostToDevice));
  // Finalize path: what NcclTransport::destroy does.
  ncclComm_t comm = self_exchange(r.stream, r.send, r.recv, bytes, until, "first");
  UA2A_NCCL_CHECK(ncclCommFinalize(comm));
  wait_comm(comm, until, "ncclCommFinalize");
  UA2A_NCCL_CHECK(ncclCommDestroy(comm));
  // Abort path: what NcclTransport::abort_all does on an error; NCCL must stay usable after it.
  comm = self_exchange(r.stream, r.send, r.recv, bytes, until, "second");
  UA2A_NCCL_CHECK(ncclCommAbort(comm));
  comm = self_exchange(r.stream, r.send, r.recv, bytes, until, "third (after an abort)");
  UA2A_NCCL_CHECK(ncclCommFinalize(comm));
  wait_comm(comm, until, "ncclCommFinalize");
  UA2A_NCCL_CHECK(ncclCommDestroy(comm));
  int version = 0;
  UA2A_NCCL_CHECK(ncclGetVersion(&version));
  return version;
}

}  // namespace ua2a
