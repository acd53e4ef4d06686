"""Natural batching: calls made while a batch is on its way wait and go out together in the next.

The first call of a quiet moment goes at once (no timer, no added latency); under load, every
call that arrives during one round trip shares the next, so a store does one command for many
callers instead of one each. One batch is in flight at a time, so batches keep their order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# What a flush returns for each item, in order: its result, or the exception that item raises.
Flush = Callable[[list[Item]], Awaitable[Sequence[Result | BaseException]]]


class Batcher(Generic[Item, Result]):
    def __init__(self, flush: Flush[Item, Result], *, max_batch: int = 64) -> None:
        self._flush = flush
        self._max_batch = max_batch
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._sender: asyncio.Task[None] | None = None

    async def __call__(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._sender is None:
            self._sender = asyncio.create_task(self._send())
        return await future

    async def _send(self) -> None:
        batch: list[tuple[Item, asyncio.Future[Result]]] = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[: self._max_batch], self._waiting[self._max_batch :]
                try:
                    results = list(await self._flush([item for item, _ in batch]))
                except Exception as error:  # noqa: BLE001 - the whole batch failed: each caller gets the error
                    results = [error] * len(batch)
                if len(results) != len(batch):
                    results = [RuntimeError(f"a flush gave {len(results)} results for {len(batch)} items")] * len(batch)
                for (_, future), result in zip(batch, results, strict=True):
                    if future.done():  # its caller was cancelled meanwhile
                        continue
                    if isinstance(result, BaseException):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
                batch = []
        finally:
            # Only when this task is cancelled (shutdown) is anybody still waiting: let them go.
            for _, future in [*batch, *self._waiting]:
                future.cancel()
            self._waiting = []
            self._sender = None
