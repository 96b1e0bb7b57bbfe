#pragma once
/// Promela export of per-rank programs for an independent check by the SPIN model checker.
///
/// Encoding (zero-buffer semantics only): one rendezvous channel `chan c_A_B = [0] of {int, int}`
/// per ordered pair that exchanges data; a message is (k, tag) where k numbers the messages of
/// that pair (the k-th send A->B carries k and the k-th receive at B from A accepts only k, which
/// is FIFO non-overtaking matching) and tag names the piece (block, part, chunk, bytes); the
/// receiver asserts the tag it expects, so a mismatched match is an assertion violation. One
/// process per rank runs its steps in order. A step of one operation is a plain send or receive.
/// A step of several posts them all at once: a do-loop with one option per operation whose guard
/// is the channel operation itself, so any operation whose partner is ready may fire; a fired
/// operation turns its k into a value no partner ever offers (30000 for sends, 30001 for
/// receives), so it cannot fire twice, and the loop leaves when every operation is done. Local
/// copies are omitted. A rank blocked forever is a process stuck before its end: SPIN reports it
/// as an invalid end state.
#include <string>

#include "schedule/program.h"

namespace ua2a {

/// The Promela model of `programs`. Throws std::invalid_argument when the model would exceed
/// SPIN's practical limits (more than 255 processes).
std::string to_promela(const ProgramSet& programs);

}  // namespace ua2a
