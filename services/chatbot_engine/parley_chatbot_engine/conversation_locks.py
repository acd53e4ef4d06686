"""One conversation's triggers are handled one at a time, across every engine replica.

Within a process an :class:`asyncio.Lock` per conversation keeps the triggers in arrival order;
across replicas a Redis lock (``SET NX PX`` with a random token, released only by its holder)
does. MongoDB-wire servers differ in how atomic a conditional update is under concurrency
(FerretDB v1's are not), so the state's version check alone is not relied upon.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from weakref import WeakValueDictionary

import redis.asyncio as redis

from parley.contracts.base import new_id
from parley.stores import timed

# A held lock is renewed every third of this, so a live holder keeps it however long its
# trigger takes, and a crashed replica's conversations are free again within this long.
LOCK_TTL_SECONDS = 5.0
# How long a trigger waits for another replica to finish the same conversation before it fails
# (and the bus retries it): several TTLs, so a crashed holder's lock expires well within it.
LOCK_WAIT_SECONDS = 20.0
# Between attempts: far below a human's reaction time, far above Redis' round trip.
LOCK_RETRY_SECONDS = 0.02


class ConversationBusy(Exception):
    """Not a ParleyError on purpose: the bus retries the trigger instead of answering a refusal."""


# Only the holder (the token's owner) may release or renew the lock.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


class ConversationLocks:
    def __init__(self, client: redis.Redis, key_prefix: str) -> None:
        self._redis = client
        self._prefix = f"{key_prefix}chatbot:lock:"
        self._local: WeakValueDictionary[str, asyncio.Lock] = WeakValueDictionary()
        self._release = client.register_script(_RELEASE)
        self._renew = client.register_script(_RENEW)

    @asynccontextmanager
    async def hold(self, conversation_id: str) -> AsyncIterator[None]:
        local = self._local.get(conversation_id)
        if local is None:
            local = asyncio.Lock()
            self._local[conversation_id] = local
        async with local:
            key = self._prefix + conversation_id
            token = await self._acquire(key)
            renewing = asyncio.create_task(self._keep(key, token))
            try:
                yield
            finally:
                renewing.cancel()
                await self._release(keys=[key], args=[token])

    async def _keep(self, key: str, token: str) -> None:
        while True:
            await asyncio.sleep(LOCK_TTL_SECONDS / 3)
            await self._renew(keys=[key], args=[token, int(LOCK_TTL_SECONDS * 1000)])

    async def _acquire(self, key: str) -> str:
        token = new_id()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LOCK_WAIT_SECONDS
        while True:
            with timed("redis", "conversation_lock"):
                if await self._redis.set(key, token, nx=True, px=int(LOCK_TTL_SECONDS * 1000)):
                    return token
            if loop.time() > deadline:
                raise ConversationBusy(f"{key} is held by another engine")
            await asyncio.sleep(LOCK_RETRY_SECONDS)
