#pragma once
/// Transports execute the per-rank programs of schedule/ on real buffers. One interface, one file
/// per transport (cpu_threads, cuda_peer, nccl), a factory by name; the tests use a fake.
///
/// Every transport drives the semantics of schedule/matcher.h (FIFO per ordered pair, zero-buffer
/// rendezvous, step completion) instead of re-deriving them, and records each piece it delivers
/// in the schedule's DeliveryLedger. A piece (part, chunk) of block (src, dst) lives at
///   src's send buffer + dst * stride + piece_offset(payload, part, chunk)
/// and lands at
///   dst's recv buffer + src * stride + piece_offset(payload, part, chunk),
/// both sides computing the same function, so a misrouted piece shows in the data.
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "schedule/ledger.h"
#include "schedule/program.h"

namespace ua2a {

/// A run-time failure of a transport (deadlocked program, timeout, CUDA or NCCL error).
class TransportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One rank's exchange buffers: N blocks (send) and N slots (recv) of `block_stride` bytes.
struct RankBuffers {
  Rank rank = 0;
  std::byte* send = nullptr;
  std::byte* recv = nullptr;
  int device = -1;          ///< CUDA device of both buffers; -1 for host memory
  void* stream = nullptr;   ///< the rank's cudaStream_t (GPU transports)
};

/// The buffers of the ranks this process holds (all ranks, except with one process per GPU).
struct ExchangeBuffers {
  std::uint64_t block_stride = 0;
  std::vector<RankBuffers> ranks;
};

/// Byte offsets of a send or receive op's piece in its rank's buffer (see the header comment).
std::uint64_t send_offset(const Payload& payload, std::uint64_t stride, const Op& op);
std::uint64_t recv_offset(const Payload& payload, std::uint64_t stride, const Op& op);

/// Records in `ledger` where the piece of `send` actually landed: at rank `at`, `dst_offset`
/// bytes into its receive buffer. The slot comes from the offset (dst_offset / stride), not from
/// the op, so a copy to the wrong place is reported misplaced; a piece at the wrong offset inside
/// a slot is recorded in slot -1 (misplaced too). Every transport calls it once the copy has
/// completed (cuda-peer from a host function on the receiving stream; nccl, which never sees the
/// match, from the checksum of the landed bytes: piece_check.h).
void record_landed(DeliveryLedger& ledger, const Payload& payload, Rank at, std::uint64_t dst_offset,
                   std::uint64_t stride, const Op& send);

class Transport {
 public:
  virtual ~Transport() = default;
  virtual std::string name() const = 0;
  /// Executes `programs` over `buffers`: every piece is moved from its sender's send buffer to
  /// its receiver's receive buffer, each diagonal block is copied send -> recv, and every
  /// delivered piece is recorded in `ledger` (when not null) with record_landed, after its copy. Host transports return when the
  /// data has moved; GPU transports return with the work ordered on each rank's stream (the
  /// caller synchronises). Throws TransportError on a deadlocked program or a timeout.
  virtual void execute(const ProgramSet& programs, const ExchangeBuffers& buffers, DeliveryLedger* ledger) = 0;
};

/// Options every transport understands; each uses what applies to it.
struct TransportOptions {
  double timeout_s = 60.0;     ///< abort a run that makes no progress for this long
  std::string nccl_id_file;    ///< nccl, one process per GPU: where rank 0 writes the unique id
  std::int32_t process_rank = -1;  ///< nccl, one process per GPU: this process's rank (-1: all local)
  bool mpi = false;            ///< nccl, one process per GPU: broadcast the unique id with MPI
  /// cuda-peer: the sender's stream issues each copy (the source GPU writes to the destination);
  /// by default the receiver's does (the destination reads from the source). Same bytes either
  /// way; which GPU's copy engine moves them is what differs (backend/peer_plan.h).
  bool peer_writes = false;
  /// cuda-peer: each copy on a stream of its own per (issuing rank, peer), so a rank's copies of
  /// one step run at once, as the flows of a `probe` pattern must; by default one stream per rank
  /// runs them one after another.
  bool peer_streams = false;
};

struct TransportInfo {
  const char* name;
  const char* description;
  bool available;       ///< built into this binary (CUDA / NCCL found at build time)
  bool host_memory;     ///< works on host buffers (the CPU layer) rather than device buffers
  std::function<std::unique_ptr<Transport>(const TransportOptions&)> make;
};

/// The one table of transports: threads, cuda-peer, nccl.
const std::vector<TransportInfo>& transports();
/// Finds a transport by name; throws std::invalid_argument listing the names, or naming the
/// missing build dependency when it is not built in.
const TransportInfo& find_transport(const std::string& name);
std::unique_ptr<Transport> make_transport(const std::string& name, const TransportOptions& options = {});

/// Runs the matcher over `programs` without data. Throws TransportError describing the first
/// mismatch or, for a deadlock, what every stuck rank waits on. Transports call it first, so a
/// bad program is refused instead of hanging a GPU.
void check_programs(const ProgramSet& programs);

/// Drives the matcher in one thread: calls `move(send_op, send_rank, recv_op, recv_rank)` for
/// every match in matcher order, completing it right after. For transports that only enqueue.
void drive_serially(const ProgramSet& programs,
                    const std::function<void(const Op& send, Rank from, const Op& recv, Rank to)>& move);

/// The text of a deadlock: each unfinished rank, its step and the operations it waits on.
std::string describe_stuck(const class Matcher& matcher);

}  // namespace ua2a
