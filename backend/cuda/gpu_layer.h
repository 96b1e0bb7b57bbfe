#pragma once
/// The layer on GPUs: the kernels of kernels.h over device workspaces (layout.h regions A, B, O
/// per rank, allocated once), a stream per rank, the exchanges by a GPU transport. Plain C++
/// header (no CUDA types) so the runner and the tests include it from .cpp files.
#include <memory>
#include <string>
#include <vector>

#include "backend/layer.h"

namespace ua2a {

class GpuLayer {
 public:
  /// Maps rank r to GPU r % gpu_count() and allocates every local rank's workspace there.
  /// Throws TransportError when no GPU is visible.
  GpuLayer(const LayerPlan& plan, std::vector<Rank> local_ranks);
  ~GpuLayer();
  GpuLayer(const GpuLayer&) = delete;
  GpuLayer& operator=(const GpuLayer&) = delete;

  /// Copies the local ranks' inputs (and the text) to their devices, ordered on the rank streams;
  /// returns when the copies are done.
  void upload(const LayerInputs& inputs);
  /// Fills every workspace and output with 0xFF bytes (NaN in bf16 and fp16), so an element the
  /// next run does not write fails the check instead of passing with an earlier run's value.
  void poison();
  /// Runs the layer once on every local rank and waits for it; adds stage times (GPU events,
  /// max over ranks; each stage between its own start and end events, then a barrier the times
  /// exclude) to `times` if given.
  void run(const LayerPrograms& programs, Transport& transport, LayerLedgers ledgers, StageTimes* times = nullptr);
  /// Copies the local ranks' outputs back; other ranks' entries stay empty.
  void download(LayerOutputs& outputs);
  /// Waits for every rank stream, reporting errors on stderr only: for unwinding, so that the
  /// ledgers' host functions still queued on the streams have run before the ledgers go.
  void synchronize() noexcept;

  /// Device bytes the layer allocated per rank beyond the user's tensors (inputs, text, output):
  /// the workspace regions A + B + O.
  std::uint64_t workspace_bytes_per_rank() const;
  /// Measured: device memory in use on the first GPU after a run minus just before the
  /// workspaces were allocated (cudaMemGetInfo; nothing is allocated per call, so that is the
  /// peak), per rank on that GPU. Includes allocation granularity and what the transport
  /// allocates (NCCL buffers); excludes the user's tensors.
  std::uint64_t measured_bytes_per_rank() const;
  std::string device_description() const;
  /// Most local ranks mapped to one GPU.
  std::uint32_t ranks_per_device() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ua2a
