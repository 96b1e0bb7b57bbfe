#pragma once
/// The rendezvous file of the nccl transport with one process per GPU (--nccl-id-file): rank 0
/// publishes the NCCL unique id in it, the other ranks wait for it and read it. Plain C++ (no NCCL)
/// so the CPU tests cover it.
///
/// Rank 0 owns the file: publishing removes a stale one first, and the file is removed again once
/// every rank has joined the communicator (remove()), or when the owner goes out of scope after a
/// failed join. A rerun with the same path therefore never reads an earlier job's id, which would
/// only fail after the whole --timeout.
#include <chrono>
#include <cstddef>
#include <filesystem>

namespace ua2a {

class IdFile {
 public:
  explicit IdFile(std::filesystem::path path) : path_(std::move(path)) {}
  ~IdFile();
  IdFile(const IdFile&) = delete;
  IdFile& operator=(const IdFile&) = delete;

  /// Rank 0: writes `bytes` atomically (a temporary file renamed into place, so readers never
  /// see part of it) and becomes the file's owner.
  void publish(const char* bytes, std::size_t size);
  /// Other ranks: waits until the file exists, then reads `size` bytes. Throws TransportError
  /// naming the path after `deadline`, or when the file is shorter.
  void read(char* bytes, std::size_t size, std::chrono::steady_clock::time_point deadline, int rank) const;
  /// Rank 0, once every rank has read the id: removes the file. Idempotent.
  void remove() noexcept;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  bool owner_ = false;
};

}  // namespace ua2a
