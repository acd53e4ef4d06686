"""Presence lookups of concurrent fan-outs, merged into one request.

Every message's fan-out asks presence which gateway nodes hold its members: a request/reply
over RabbitMQ per message, which costs presence, notification and the broker more CPU than the
fan-out itself. Lookups asked for in the same event-loop turn, or while ``max_in_flight``
lookups are already out, go together in the next request and each caller gets its own users'
share of the answer. An idle service asks at once, as before; a busy one asks less often.
A merged request carries the trace id of its first caller.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

Lookup = Callable[[list[str], str | None], Awaitable[dict[str, list[str]]]]
Waiter = tuple[list[str], str | None, "asyncio.Future[dict[str, list[str]]]"]


def share_of(user_ids: list[str], nodes_of_user: dict[str, list[str]]) -> dict[str, list[str]]:
    """node -> the users (of ``user_ids``) on it, from the merged answer."""
    nodes: dict[str, list[str]] = {}
    for user_id in dict.fromkeys(user_ids):
        for node in nodes_of_user.get(user_id, ()):
            nodes.setdefault(node, []).append(user_id)
    return nodes


class MergedLookups:
    def __init__(self, lookup: Lookup, *, max_in_flight: int = 2, max_users: int = 10_000) -> None:
        self._lookup = lookup
        self._max_in_flight = max_in_flight
        self._max_users = max_users  # per merged request (the command's own limit)
        self._waiting: list[Waiter] = []
        self._in_flight = 0
        self._scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()  # referenced until done

    async def nodes_of(self, user_ids: list[str], trace_id: str | None = None) -> dict[str, list[str]]:
        """node -> the users (of these) with a live connection on it."""
        future: asyncio.Future[dict[str, list[str]]] = asyncio.get_running_loop().create_future()
        self._waiting.append((user_ids, trace_id, future))
        self._schedule()
        return await future

    def _schedule(self) -> None:
        # call_soon, not now: the lookups of every handler running in this loop turn join in.
        if self._waiting and not self._scheduled and self._in_flight < self._max_in_flight:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._send_next)

    def _send_next(self) -> None:
        self._scheduled = False
        batch, users = self._take_batch()
        if batch:
            self._in_flight += 1
            task = asyncio.create_task(self._ask(batch, users))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        self._schedule()

    def _take_batch(self) -> tuple[list[Waiter], list[str]]:
        """The waiters whose users, together, fit one request (always at least one waiter)."""
        users: dict[str, None] = {}
        taken = 0
        for user_ids, _trace_id, _future in self._waiting:
            if taken and len(users) + len(user_ids) > self._max_users:
                break
            users.update(dict.fromkeys(user_ids))
            taken += 1
        batch, self._waiting = self._waiting[:taken], self._waiting[taken:]
        return batch, list(users)

    async def _ask(self, batch: list[Waiter], users: list[str]) -> None:
        try:
            nodes = await self._lookup(users, batch[0][1])
        except asyncio.CancelledError:
            for _, _, future in batch:
                future.cancel()
            raise
        except Exception as error:  # noqa: BLE001 - every caller of the batch gets the failure (and retries)
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        finally:
            self._in_flight -= 1
            self._schedule()
        nodes_of_user: dict[str, list[str]] = {}
        for node, on_node in nodes.items():
            for user_id in on_node:
                nodes_of_user.setdefault(user_id, []).append(node)
        for user_ids, _, future in batch:
            if not future.done():
                future.set_result(share_of(user_ids, nodes_of_user))
