#include "backend/id_file.h"

#include <fstream>
#include <string>
#include <thread>

#include "backend/transport.h"

namespace ua2a {

IdFile::~IdFile() { remove(); }

void IdFile::publish(const char* bytes, std::size_t size) {
  std::error_code ignored;
  std::filesystem::remove(path_, ignored);  // a stale id from an earlier job
  const std::filesystem::path tmp = path_.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out.write(bytes, static_cast<std::streamsize>(size)))
      throw TransportError("nccl: cannot write the unique id to '" + tmp.string() + "'");
  }
  std::filesystem::rename(tmp, path_);  // readers never see a partial id
  owner_ = true;
}

void IdFile::read(char* bytes, std::size_t size, std::chrono::steady_clock::time_point deadline, int rank) const {
  constexpr auto kPoll = std::chrono::milliseconds(50);
  while (!std::filesystem::exists(path_)) {
    if (std::chrono::steady_clock::now() > deadline)
      throw TransportError("nccl: rank " + std::to_string(rank) + " timed out waiting for rank 0 to write '" +
                           path_.string() + "': start rank 0 with the same --nccl-id-file");
    std::this_thread::sleep_for(kPoll);
  }
  std::ifstream in(path_, std::ios::binary);
  if (!in.read(bytes, static_cast<std::streamsize>(size)))
    throw TransportError("nccl: cannot read the unique id in '" + path_.string() + "'");
}

void IdFile::remove() noexcept {
  if (!owner_) return;
  std::error_code ignored;
  std::filesystem::remove(path_, ignored);
  owner_ = false;
}

}  // namespace ua2a
