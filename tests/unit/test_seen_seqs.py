from __future__ import annotations

from parley_gateway.connections import MAX_SEQS_ABOVE_FLOOR, SeenSeqs


def test_in_order_seqs_are_new_once() -> None:
    seen = SeenSeqs()
    assert [seen.add(seq) for seq in (1, 2, 3)] == [True, True, True]
    assert [seen.add(seq) for seq in (1, 2, 3)] == [False, False, False]
    assert seen.floor == 3 and not seen.above


def test_out_of_order_seqs_are_not_lost() -> None:
    seen = SeenSeqs()
    assert seen.add(2) and seen.add(1) and seen.add(3)
    assert not seen.add(2)
    assert seen.floor == 3


def test_a_gap_that_never_fills_does_not_grow_memory_forever() -> None:
    seen = SeenSeqs()
    for seq in range(2, MAX_SEQS_ABOVE_FLOOR + 10):
        seen.add(seq)
    assert len(seen.above) <= MAX_SEQS_ABOVE_FLOOR
