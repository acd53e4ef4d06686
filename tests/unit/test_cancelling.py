"""raise_if_cancelled: a loop whose library swallowed the cancel still ends."""

from __future__ import annotations

import asyncio

import pytest

from parley.cancelling import raise_if_cancelled


async def _retrying_loop(swallowed: asyncio.Event, check: bool) -> None:
    """Retries after every error, as the Redis loops do; the first attempt's cancel is swallowed
    the way a library that turns it into its own error would."""
    while True:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            if swallowed.is_set():
                raise
            swallowed.set()  # a library's "connection error" instead of the cancel
        if check:
            raise_if_cancelled()
        await asyncio.sleep(0.05)  # the loop's pause before the next attempt


async def test_a_swallowed_cancel_still_ends_the_loop() -> None:
    swallowed = asyncio.Event()
    task = asyncio.create_task(_retrying_loop(swallowed, check=True))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=2)
    assert swallowed.is_set() and task.cancelled()


async def test_without_the_check_the_loop_sleeps_on() -> None:
    swallowed = asyncio.Event()
    task = asyncio.create_task(_retrying_loop(swallowed, check=False))
    await asyncio.sleep(0.01)
    task.cancel()
    await swallowed.wait()
    await asyncio.sleep(0.2)
    assert not task.done()  # what raise_if_cancelled is for
    task.cancel()  # the next attempt's cancel is not swallowed
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_outside_a_cancelled_task_it_does_nothing() -> None:
    raise_if_cancelled()
