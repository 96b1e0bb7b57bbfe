// The Promela export, checked by SPIN: for N = 2..6 SPIN and the verifier must agree on
// deadlock-free and deadlocking programs. Skips when spin or cc is missing.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "schedule/generators.h"
#include "schedule/lower.h"
#include "tests/verify/edit.h"
#include "verify/execute.h"
#include "tests/support.h"
#include "verify/promela.h"

using namespace ua2a;
using namespace ua2a::test;

namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

bool have_tools() { return std::system("command -v spin >/dev/null 2>&1 && command -v cc >/dev/null 2>&1") == 0; }

/// Skips a SPIN test where spin or cc is missing, except under scripts/test.sh, which installs
/// them (scripts/install-deps.sh) and sets UA2A_REQUIRE_TOOLS=1: there a missing tool fails.
#define REQUIRE_SPIN()                                                                                   \
  do {                                                                                                   \
    if (have_tools()) break;                                                                             \
    if (ua2a::testing::tools_required()) FAIL() << "spin or cc is missing: run scripts/install-deps.sh"; \
    GTEST_SKIP() << "spin or cc not installed (scripts/install-deps.sh installs spin)";                  \
  } while (false)

struct SpinResult {
  bool ran = false;
  int errors = -1;
  bool invalid_end_state = false;  ///< a deadlock
  bool assertion = false;          ///< a mismatched match
  std::string output;
};

/// spin -a, compile pan with -DSAFETY (invalid end states and assertions), run it.
SpinResult run_spin(const ProgramSet& p, const std::string& name) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("ua2a_spin_" + std::to_string(::getpid()) + "_" + name);
  fs::create_directories(dir);
  std::ofstream(dir / "model.pml") << to_promela(p);
  const std::string cmd = "cd '" + dir.string() +
                          "' && spin -a model.pml >spin.log 2>&1 && cc -O1 -DSAFETY -o pan pan.c >cc.log 2>&1 && "
                          "./pan -m1000000 >pan.log 2>&1";
  SpinResult r;
  r.ran = std::system(cmd.c_str()) == 0;
  r.output = ua2a::testing::read_text(dir / "pan.log");
  const auto at = r.output.find("errors: ");
  if (at != std::string::npos) r.errors = std::atoi(r.output.c_str() + at + 8);
  r.invalid_end_state = has(r.output, "invalid end state (");
  r.assertion = has(r.output, "assertion violated");
  fs::remove_all(dir);
  return r;
}

ProgramSet generated(const char* algo, std::int32_t n, Discipline d) {
  return lower(generate(algo, n, uniform_payload(4096, true, 1)), d);
}

}  // namespace

TEST(Promela, ModelUsesRendezvousChannelsPerOrderedPair) {
  const std::string m = to_promela(generated("round-robin", 2, Discipline::paired_full));
  EXPECT_TRUE(has(m, "chan c_0_1 = [0] of { int, int };")) << m;
  EXPECT_TRUE(has(m, "chan c_1_0 = [0] of { int, int };")) << m;
  EXPECT_TRUE(has(m, "active proctype rank0()")) << m;
  EXPECT_TRUE(has(m, "active proctype rank1()")) << m;
  // paired-full: one step {send, recv}, posted at once as a do-loop with one option per op.
  EXPECT_TRUE(has(m, ":: c_0_1 ! (done[1] -> 30000 : 0), 0 -> done[1] = 1")) << m;
  EXPECT_TRUE(has(m, ":: c_1_0 ? eval((done[2] -> 30001 : 0)), v -> assert(v == 1); done[2] = 1")) << m;
  EXPECT_TRUE(has(m, ":: done[1] && done[2] -> break")) << m;
  // paired-half: single-op steps are plain statements.
  const std::string half = to_promela(generated("round-robin", 2, Discipline::paired_half));
  EXPECT_TRUE(has(half, "  c_0_1 ! 0, 0;\n")) << half;
  EXPECT_TRUE(has(half, "  c_0_1 ? eval(0), v; assert(v == 0);\n")) << half;
}

TEST(Promela, TooManyRanksForSpinIsBadInput) {
  EXPECT_THROW(to_promela(generated("round-robin", 256, Discipline::paired_full)), std::invalid_argument);
}

TEST(Promela, SpinAndTheVerifierAgree) {
  REQUIRE_SPIN();
  struct Case {
    const char* algo;
    Discipline discipline;
    bool deadlock_free;  ///< what both must find
  };
  const Case cases[] = {
      {"round-robin", Discipline::paired_half, true},
      {"round-robin", Discipline::paired_full, true},
      {"shift", Discipline::naive, false},        // rotation with blocking sends: a cycle of N
      {"round-robin", Discipline::naive, false},  // both ranks of every pair send first
  };
  for (std::int32_t n = 2; n <= 6; ++n)
    for (const Case& c : cases) {
      const std::string name = std::string(c.algo) + "-" + to_string(c.discipline) + "-" + std::to_string(n);
      SCOPED_TRACE(name);
      const ProgramSet p = generated(c.algo, n, c.discipline);
      const ExecutionReport mine = execute(p);
      const SpinResult spin = run_spin(p, name);
      ASSERT_GE(spin.errors, 0) << "SPIN did not run:\n" << spin.output;
      EXPECT_EQ(mine.deadlock_free(), c.deadlock_free);
      EXPECT_EQ(!spin.invalid_end_state, c.deadlock_free) << spin.output;
      EXPECT_EQ(spin.errors == 0, mine.ok()) << spin.output;
      EXPECT_FALSE(spin.assertion) << spin.output;
    }
}

TEST(Promela, SpinFindsTheMismatchTheVerifierReports) {
  REQUIRE_SPIN();
  const ProgramSet p = programs({{{send(0, 1, 0)}}, {{recv(1, 0, 1597440)}}}, 1597440);
  const SpinResult spin = run_spin(p, "mismatch");
  EXPECT_TRUE(spin.assertion) << spin.output;
  EXPECT_FALSE(spin.invalid_end_state) << spin.output;
  EXPECT_EQ(execute(p).mismatch_count, 1u);
  EXPECT_TRUE(execute(p).deadlock_free());
}

TEST(Promela, SpinAgreesOnAStepThatPostsSeveralChunksToOnePeer) {
  REQUIRE_SPIN();
  // Three chunks each way in one step: FIFO numbering keeps the k-th send with the k-th receive.
  const ProgramSet p = lower(round_robin(3, uniform_payload(300, true, 3)), Discipline::paired_full);
  const SpinResult spin = run_spin(p, "chunks");
  EXPECT_EQ(spin.errors, 0) << spin.output;
  EXPECT_TRUE(execute(p).ok());
}
