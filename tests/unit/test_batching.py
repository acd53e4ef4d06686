from __future__ import annotations

import asyncio

import pytest

from parley.batching import Batcher


class Store:
    """A flush that takes a while and records each batch it was given."""

    def __init__(self, seconds: float = 0.01) -> None:
        self.batches: list[list[int]] = []
        self.seconds = seconds

    async def flush(self, items: list[int]) -> list[int | BaseException]:
        self.batches.append(list(items))
        await asyncio.sleep(self.seconds)
        return [ValueError(f"odd {item}") if item % 2 else item * 10 for item in items]


async def test_a_lone_call_goes_at_once_alone() -> None:
    store = Store()
    batcher = Batcher(store.flush)
    assert await batcher(2) == 20
    assert store.batches == [[2]]


async def test_calls_made_during_a_flush_share_the_next_one_in_order() -> None:
    store = Store()
    batcher = Batcher(store.flush)
    first = asyncio.create_task(batcher(0))
    await asyncio.sleep(0)  # the first flush is on its way
    rest = [asyncio.create_task(batcher(n)) for n in (2, 4, 6)]
    assert await asyncio.gather(first, *rest) == [0, 20, 40, 60]
    assert store.batches == [[0], [2, 4, 6]]


async def test_an_item_s_error_reaches_only_its_caller() -> None:
    store = Store()
    batcher = Batcher(store.flush)
    results = await asyncio.gather(batcher(2), batcher(3), batcher(4), return_exceptions=True)
    assert results[0] == 20 and results[2] == 40
    assert isinstance(results[1], ValueError) and str(results[1]) == "odd 3"


async def test_a_failed_flush_fails_its_batch_and_the_next_batch_still_goes() -> None:
    calls = 0

    async def flaky(items: list[int]) -> list[int]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        if calls == 1:
            raise ConnectionError("store away")
        return items

    batcher = Batcher(flaky)
    first = asyncio.create_task(batcher(1))
    await asyncio.sleep(0)
    second = asyncio.create_task(batcher(2))
    with pytest.raises(ConnectionError):
        await first
    assert await second == 2


async def test_batches_are_at_most_max_batch() -> None:
    store = Store()
    batcher = Batcher(store.flush, max_batch=2)
    first = asyncio.create_task(batcher(0))
    await asyncio.sleep(0)
    await asyncio.gather(first, *(batcher(n) for n in (2, 4, 6, 8, 10)))
    assert store.batches == [[0], [2, 4], [6, 8], [10]]


async def test_a_cancelled_caller_does_not_disturb_the_others() -> None:
    store = Store(seconds=0.05)
    batcher = Batcher(store.flush)
    first = asyncio.create_task(batcher(0))
    await asyncio.sleep(0)
    leaving, staying = asyncio.create_task(batcher(2)), asyncio.create_task(batcher(4))
    await asyncio.sleep(0)
    leaving.cancel()
    assert await first == 0 and await staying == 40
    assert leaving.cancelled()


async def test_a_flush_with_the_wrong_number_of_results_fails_its_callers() -> None:
    async def short(items: list[int]) -> list[int]:
        return items[:-1]

    batcher = Batcher(short)
    with pytest.raises(RuntimeError, match="1 items"):
        await batcher(1)
