"""The ctypes package without torch: programs read through the C ABI against the reference's
published circle-method rounds, piece offsets and sizes against their definitions, and the layer's
message sizes against docs/reference/ulysses-4090.md's formulas."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ulysses_a2a  # noqa: E402
from ulysses_a2a import COPY, RECV, SEND  # noqa: E402

# docs/reference/ulysses-4090.md, "The schedule": the rounds for N = 8.
REFERENCE_ROUNDS_8 = [
    [(0, 7), (1, 6), (2, 5), (3, 4)], [(0, 6), (1, 4), (2, 3), (5, 7)], [(0, 5), (1, 2), (3, 7), (4, 6)],
    [(0, 4), (1, 7), (2, 6), (3, 5)], [(0, 3), (1, 5), (2, 4), (6, 7)], [(0, 2), (1, 3), (4, 7), (5, 6)],
    [(0, 1), (2, 7), (3, 6), (4, 5)]]


def partner_in(round_pairs, rank):
    return next(b if a == rank else a for a, b in round_pairs if rank in (a, b))


class ProgramsThroughTheAbi(unittest.TestCase):
    def test_round_robin_8_follows_the_reference_rounds(self):
        p = ulysses_a2a.programs(8, "round-robin", "paired-full", 1, (100,))
        for rank in range(8):
            steps = p.steps(rank)
            self.assertEqual(len(steps), 7)
            for i, step in enumerate(steps):
                partner = partner_in(REFERENCE_ROUNDS_8[i], rank)
                peers = {op.peer for op in step if op.kind != COPY}
                self.assertEqual(peers, {partner}, f"rank {rank} round {i}")
                sends = [op for op in step if op.kind == SEND]
                recvs = [op for op in step if op.kind == RECV]
                self.assertEqual([(op.src, op.dst, op.offset, op.bytes) for op in sends], [(rank, partner, 0, 100)])
                self.assertEqual([(op.src, op.dst, op.offset, op.bytes) for op in recvs], [(partner, rank, 0, 100)])
            copies = [op for op in steps[0] if op.kind == COPY]
            self.assertEqual([(op.src, op.dst, op.bytes) for op in copies], [(rank, rank, 100)])

    def test_paired_half_lower_rank_sends_first(self):
        p = ulysses_a2a.programs(8, "round-robin", "paired-half", 1, (10,))
        for rank in range(8):
            steps = [s for s in p.steps(rank) if any(op.kind != COPY for op in s)]
            for i in range(7):
                partner = partner_in(REFERENCE_ROUNDS_8[i], rank)
                first, second = steps[2 * i], steps[2 * i + 1]
                kinds = ({op.kind for op in first if op.kind != COPY}, {op.kind for op in second})
                self.assertEqual(kinds, ({SEND}, {RECV}) if rank < partner else ({RECV}, {SEND}))

    def test_pieces_tile_each_part(self):
        """Chunks of every part are contiguous, in order, the remainder on the first chunks, and
        the parts lie back to back: together they cover the block exactly once."""
        parts, chunks = (10, 7, 1), 3
        p = ulysses_a2a.programs(5, "round-robin", "grouped", chunks, parts)
        self.assertEqual(p.block_bytes, 18)
        for rank in range(5):
            for peer in range(5):
                if peer == rank:
                    continue
                sends = sorted((op.offset, op.bytes, op.part, op.chunk) for s in p.steps(rank) for op in s
                               if op.kind == SEND and op.dst == peer)
                covered = 0
                for offset, size, part, chunk in sends:
                    self.assertEqual(offset, covered)
                    base, extra = divmod(parts[part], chunks)
                    self.assertEqual(size, base + (1 if chunk < extra else 0))
                    covered += size
                self.assertEqual(covered, sum(parts))

    def test_odd_ranks_have_a_bye(self):
        p = ulysses_a2a.programs(7)
        for rank in range(7):
            peers = [op.peer for s in p.steps(rank) for op in s if op.kind == SEND]
            self.assertEqual(sorted(peers), [r for r in range(7) if r != rank])

    def test_programs_are_cached(self):
        self.assertIs(ulysses_a2a.programs(4), ulysses_a2a.programs(4))

    def test_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "rank 9 is outside 0..3"):
            ulysses_a2a.programs(4).steps(9)
        with self.assertRaisesRegex(ValueError, "ranks must be at least 1"):
            ulysses_a2a.programs(0)
        with self.assertRaisesRegex(ValueError, "4097 ranks|at most 4096|4096"):
            ulysses_a2a.programs(4097)


class LayerMessages(unittest.TestCase):
    def test_sizes_follow_the_reference(self):
        s, H, D, n = 4095, 40, 128, 8  # Wan2.1-14B 480p on 8 ranks
        h = H // n
        (bf16,), stride = ulysses_a2a.layer_parts(0, n, s, H, D, 2, 0, True)
        self.assertEqual(bf16, 3 * s * h * D * 2)  # 15.7 MB per peer
        self.assertEqual(stride % 256, 0)
        self.assertTrue(bf16 <= stride < bf16 + 256)
        (fp8,), _ = ulysses_a2a.layer_parts(0, n, s, H, D, 2, 1, True)
        self.assertEqual(fp8, 3 * s * h * D + 3 * s * h * 4)  # payload then scales: 8.1 MB
        (out,), _ = ulysses_a2a.layer_parts(1, n, s, H, D, 2, 0, True)
        self.assertEqual(out, s * h * D * 2)  # reverse: 5.2 MB
        unmerged, _ = ulysses_a2a.layer_parts(0, n, s, H, D, 2, 1, False)
        self.assertEqual(unmerged, (s * h * D,) * 3 + (s * h * 4,) * 3)

    def test_bad_layer_arguments(self):
        with self.assertRaisesRegex(ValueError, "heads 6 is not a positive multiple of ranks 4"):
            ulysses_a2a.layer_parts(0, 4, 8, 6, 64, 2, 0, True)
        with self.assertRaisesRegex(ValueError, "FP8 wire quantises 2-byte"):
            ulysses_a2a.layer_parts(0, 4, 8, 8, 64, 4, 1, True)
        with self.assertRaisesRegex(ValueError, "exchange 5 is unknown"):
            ulysses_a2a.layer_parts(5, 4, 8, 8, 64, 2, 0, True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
