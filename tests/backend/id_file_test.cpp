// The nccl transport's unique-id file (--nccl-id-file): rank 0 publishes, the others wait and
// read, and rank 0 removes the file once everyone joined, so a rerun cannot read a stale id.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <fstream>
#include <thread>

#include "backend/id_file.h"
#include "backend/transport.h"

using namespace ua2a;

namespace {

std::filesystem::path fresh_path(const char* name) {
  const auto p = std::filesystem::temp_directory_path() / (std::string("ua2a-") + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove(p);
  return p;
}

auto in(double seconds) {
  return std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int>(seconds * 1000));
}

}  // namespace

TEST(IdFile, ARankStartedBeforeRankZeroWaitsAndReadsTheId) {
  const auto path = fresh_path("wait");
  std::array<char, 8> got{};
  std::thread reader([&] { IdFile(path).read(got.data(), got.size(), in(10), 1); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  IdFile owner(path);
  owner.publish("abcdefgh", 8);
  reader.join();
  EXPECT_EQ(std::string(got.data(), got.size()), "abcdefgh");
}

TEST(IdFile, RankZeroRemovesTheFileOnceEveryoneJoinedOrWhenItGivesUp) {
  const auto path = fresh_path("remove");
  {
    IdFile owner(path);
    owner.publish("12345678", 8);
    ASSERT_TRUE(std::filesystem::exists(path));
    owner.remove();  // what init() does after the communicators are ready
    EXPECT_FALSE(std::filesystem::exists(path));
  }
  {
    IdFile owner(path);
    owner.publish("12345678", 8);
  }  // a failed join unwinds through the owner
  EXPECT_FALSE(std::filesystem::exists(path));
  // A reader never owns the file: its scope leaves rank 0's file alone.
  IdFile owner(path);
  owner.publish("12345678", 8);
  { std::array<char, 8> got{}; IdFile(path).read(got.data(), got.size(), in(1), 1); }
  EXPECT_TRUE(std::filesystem::exists(path));
}

TEST(IdFile, AStaleFileIsReplacedAndAMissingOneTimesOutNamingThePath) {
  const auto path = fresh_path("stale");
  std::ofstream(path) << "old-id!!";
  IdFile owner(path);
  owner.publish("new-id!!", 8);
  std::array<char, 8> got{};
  IdFile(path).read(got.data(), got.size(), in(1), 2);
  EXPECT_EQ(std::string(got.data(), got.size()), "new-id!!");
  owner.remove();
  try {
    IdFile(path).read(got.data(), got.size(), in(0.2), 3);
    FAIL() << "expected a timeout";
  } catch (const TransportError& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("rank 3"), std::string::npos) << e.what();
  }
}
