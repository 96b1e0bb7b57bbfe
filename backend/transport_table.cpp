#include <stdexcept>

#include "backend/cpu_threads.h"
#include "backend/transport.h"
#include "schedule/named.h"
#if UA2A_HAVE_CUDA
#include "backend/cuda/cuda_peer.h"
#endif
#if UA2A_HAVE_NCCL
#include "backend/cuda/nccl_transport.h"
#endif

namespace ua2a {

namespace {

[[maybe_unused]] std::function<std::unique_ptr<Transport>(const TransportOptions&)> missing(const char* what) {
  return [what](const TransportOptions&) -> std::unique_ptr<Transport> {
    throw std::invalid_argument(std::string("this build has no ") + what);
  };
}

}  // namespace

const std::vector<TransportInfo>& transports() {
  static const std::vector<TransportInfo> table = {
      {"threads", "CPU: one thread per rank, zero-buffer rendezvous over host memory", true, true,
       make_cpu_threads_transport},
#if UA2A_HAVE_CUDA
      {"cuda-peer", "one process, ranks on the visible GPUs (several per GPU allowed), cudaMemcpyPeerAsync", true,
       false, make_cuda_peer_transport},
#else
      {"cuda-peer", "one process, ranks on the visible GPUs (several per GPU allowed), cudaMemcpyPeerAsync", false,
       false, missing("CUDA (transport cuda-peer): reconfigure with a CUDA toolkit and -DUA2A_CUDA=ON")},
#endif
#if UA2A_HAVE_NCCL
      {"nccl", "one rank per GPU, ncclSend/ncclRecv, one group per step", true, false, make_nccl_transport},
#else
      {"nccl", "one rank per GPU, ncclSend/ncclRecv, one group per step", false, false,
       missing("NCCL (transport nccl): install NCCL (nccl.h, libnccl) next to the CUDA toolkit and reconfigure")},
#endif
  };
  return table;
}

const TransportInfo& find_transport(const std::string& name) {
  if (const TransportInfo* t = find_named(transports(), name)) return *t;
  throw std::invalid_argument("unknown transport '" + name + "': use one of " + joined_names(transports()));
}

std::unique_ptr<Transport> make_transport(const std::string& name, const TransportOptions& options) {
  const TransportInfo& t = find_transport(name);
  if (!t.available) t.make(options);  // throws, naming what the build lacks
  return t.make(options);
}

}  // namespace ua2a
