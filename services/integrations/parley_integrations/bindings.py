"""Whether the integrations service takes the stream of every chat message (issue 17).

chat_session publishes an ``OutboundEvent`` for every stored message; the ones no bot is to get
go out as ``integrations.outbound.messages`` (``OutboundEvent.routing_key``). Taking them cost
every message a broker delivery, a handler run and its validation here, only to find that no
webhook wanted it. The events queue therefore takes that stream only while an active webhook
subscribes to ``message.created``; every other event (and a bot's messages) is always taken.

Why no subscribed message is missed: every decision to bind or unbind is made under one Redis
lock shared by every replica, from the registry as MongoDB has it then, and every change of the
webhooks registry is made under the same lock, the binding brought into line before the lock is
released (so before the API answers). A change made meanwhile on another replica waits for the
lock and decides again after it. Should the lock or the broker fail after a registry write, the
API answers 503 and the periodic ``reconcile`` (each replica, every minute and at start) brings
the binding into line.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as redis
from redis.exceptions import LockError, RedisError

from parley.bus import Bus
from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.integrations import MESSAGES_STREAM, OutboundEvent
from parley.logs import get_logger
from parley_integrations import metrics
from parley_integrations.registry import Registry

log = get_logger("parley.integrations")

# Longer than a registry write and a bind take together; a holder that dies frees it after this.
LOCK_SECONDS = 30.0
LOCK_WAIT_SECONDS = 10.0


class MessagesBinding:
    def __init__(self, bus: Bus, webhooks: Registry, client: redis.Redis, key_prefix: str) -> None:
        self._bus = bus
        self._webhooks = webhooks
        self._redis = client
        self._lock_key = f"{key_prefix}integrations:messages-binding:lock"

    @asynccontextmanager
    async def changing(self) -> AsyncIterator[None]:
        """Around a change of the webhooks registry: the change, then the binding in line with it,
        under the lock every replica takes for either."""
        async with self._locked():
            yield
            await self._bring_in_line()

    async def reconcile(self) -> None:
        async with self._locked():
            await self._bring_in_line()

    async def _bring_in_line(self) -> None:
        query = {"active": True, "event_types": "message.created"}
        wanted = await self._webhooks.collection.find_one(query, {"_id": 1}) is not None
        await self._bus.bind_events(OutboundEvent, MESSAGES_STREAM, bound=wanted)
        metrics.MESSAGES_BOUND.set(1 if wanted else 0)

    @asynccontextmanager
    async def _locked(self) -> AsyncIterator[None]:
        lock = self._redis.lock(self._lock_key, timeout=LOCK_SECONDS, blocking_timeout=LOCK_WAIT_SECONDS)
        try:
            acquired = await lock.acquire()
        except RedisError as error:
            raise ParleyError(ErrorCode.UNAVAILABLE, f"redis unavailable: {error}") from error
        if not acquired:
            raise ParleyError(ErrorCode.UNAVAILABLE, "another change of the webhooks is taking long: try again")
        try:
            yield
        finally:
            try:
                await lock.release()
            except (LockError, RedisError):  # expired (a very slow holder) or Redis away: it frees itself
                log.warning("integrations.binding_lock_not_released")
