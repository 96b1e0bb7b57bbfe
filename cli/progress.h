#pragma once
/// Long work shows progress (issue 21, class 6): on a terminal, a line on stderr at most once a
/// second ("simulate: 3 of 24, round-robin / paired-full over shm"), after the size was stated
/// when the work began; nothing when stderr is a file or a pipe, so scripts and the tests' outputs
/// stay as they were.
#include <chrono>
#include <cstddef>
#include <string>

namespace ua2a::cli {

class Progress {
 public:
  /// States the size of the work ("simulate: 24 runs of 8 ranks") and starts the clock.
  Progress(std::string what, std::size_t total, const std::string& size);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  /// Item `done` + 1 of the total begins; prints when a second passed since the last line.
  void step(std::size_t done, const std::string& label);

 private:
  std::string what_;
  std::size_t total_;
  bool on_terminal_;
  bool printed_ = false;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace ua2a::cli
