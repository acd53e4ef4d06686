"""Mutual exclusion: per key inside this process, and across the service's replicas through Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as redis

from parley.contracts.base import new_id
from parley.contracts.errors import ErrorCode, ParleyError

# Deletes the lock only if it still holds our token: a holder whose lease ran out must not
# release the lock another replica has taken since.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
# Pause between attempts at a lock another replica holds: holders keep it for milliseconds.
_RETRY_SECONDS = 0.02


class KeyedLocks:
    """An asyncio lock per key, dropped once nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class RedisMutex:
    """A lease lock shared by every replica (``SET NX PX`` with a token)."""

    def __init__(self, client: redis.Redis, key: str, lease_seconds: float) -> None:
        self._redis = client
        self._key = key
        self._lease_ms = int(lease_seconds * 1000)
        self._release = client.register_script(_RELEASE)
        self._local = asyncio.Lock()  # tasks of this process queue here instead of polling Redis

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        async with self._local:
            token = new_id()
            deadline = time.monotonic() + 2 * self._lease_ms / 1000
            while not await self._redis.set(self._key, token, nx=True, px=self._lease_ms):
                if time.monotonic() > deadline:
                    raise ParleyError(ErrorCode.UNAVAILABLE, "operator assignment is busy, retry")
                await asyncio.sleep(_RETRY_SECONDS)
            try:
                yield
            finally:
                await self._release(keys=[self._key], args=[token])
