"""Loops that catch a library's errors and go on must still end when their task is cancelled."""

from __future__ import annotations

import asyncio


def raise_if_cancelled() -> None:
    """Carry on a cancellation that a library swallowed or turned into another error: a loop that
    catches Redis's errors and retries would otherwise sleep on after a stop cancelled it (seen in
    tests: a command-stream sweep cancelled inside a redis-py call slept on as if nothing happened)."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
