"""Waiting for something to become true, the one way the suites do it."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any

# Long enough for a service on a loaded 2-core machine to catch up (a bus round trip behind a
# backlog, a presence batch); a wait that holds returns as soon as it does, so only a failing
# test pays it.
WAIT_SECONDS = 30.0
POLL_SECONDS = 0.05


async def eventually(
    condition: Callable[[], Any | Awaitable[Any]],
    *,
    timeout: float = WAIT_SECONDS,
    what: str = "the condition",
    interval: float = POLL_SECONDS,
) -> Any:
    """Poll ``condition`` (a plain or a coroutine function) until it returns something truthy,
    and return that; AssertionError naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"still waiting for {what} after {timeout:g}s")
        await asyncio.sleep(interval)
