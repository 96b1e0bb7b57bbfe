#pragma once
/// Recording an arrival once the stream has done the copy that made it: a host function queued
/// behind the copy, so the ledger sees where the bytes landed, after they landed. Shared by the
/// CUDA peer-copy and NCCL transports.
#include <cuda_runtime.h>

#include <memory>

#include "backend/cuda/check.h"
#include "backend/transport.h"

namespace ua2a {

namespace landed_detail {

struct Landed {
  DeliveryLedger* ledger;
  const Payload* payload;
  Rank at;
  std::uint64_t dst_offset, stride;
  Op op;
};

inline void CUDART_CB record(void* data) {
  const std::unique_ptr<Landed> l(static_cast<Landed*>(data));
  record_landed(*l->ledger, *l->payload, l->at, l->dst_offset, l->stride, l->op);
}

}  // namespace landed_detail

/// Queues on `stream` the recording of `op`'s piece at rank `at`, `dst_offset` into its receive
/// buffer (record_landed). The ledger and payload must outlive the stream's work: callers
/// synchronise the streams before they read the ledger or release the programs.
inline void record_landed_on(cudaStream_t stream, DeliveryLedger& ledger, const Payload& payload, Rank at,
                             std::uint64_t dst_offset, std::uint64_t stride, const Op& op) {
  auto landed = std::make_unique<landed_detail::Landed>(landed_detail::Landed{&ledger, &payload, at, dst_offset, stride, op});
  UA2A_CUDA_CHECK(cudaLaunchHostFunc(stream, landed_detail::record, landed.get()));
  landed.release();  // the host function owns it now
}

}  // namespace ua2a
