#include "cli/progress.h"

#include <unistd.h>

#include <iostream>

namespace ua2a::cli {

Progress::Progress(std::string what, std::size_t total, const std::string& size)
    : what_(std::move(what)), total_(total), on_terminal_(::isatty(STDERR_FILENO) == 1),
      last_(std::chrono::steady_clock::now()) {
  if (on_terminal_) std::cerr << what_ << ": " << size << "\n";
}

Progress::~Progress() {
  if (printed_) std::cerr << "\r\033[K" << std::flush;  // the terminal's line cleared for the results
}

void Progress::step(std::size_t done, const std::string& label) {
  if (!on_terminal_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::seconds(1)) return;
  last_ = now;
  printed_ = true;
  std::cerr << "\r\033[K" << what_ << ": " << done + 1 << " of " << total_ << ", " << label << std::flush;
}

}  // namespace ua2a::cli
