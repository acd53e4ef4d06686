"""Deadlines that survive a restart: one Redis sorted set per kind, scored by unix time.

A due deadline is *claimed* before it is handled: its score moves to ``now + lease`` in one
atomic script, so of several replicas only one handles it, and if that one dies mid-way the
deadline comes due again when the lease runs out. After handling, it is removed only if nobody
re-armed it meanwhile.
"""

from __future__ import annotations

import time
from typing import cast

import redis.asyncio as redis
from redis.asyncio.client import Pipeline

# Claims a due member: moves its score to the lease's end only if nobody changed it since we read it.
_CLAIM = """
local score = redis.call('zscore', KEYS[1], ARGV[1])
if score and tonumber(score) == tonumber(ARGV[2]) then
  redis.call('zadd', KEYS[1], ARGV[3], ARGV[1])
  return 1
end
return 0
"""
# Removes a handled member unless it was re-armed (its score is no longer the lease's).
_RELEASE = """
local score = redis.call('zscore', KEYS[1], ARGV[1])
if score and tonumber(score) == tonumber(ARGV[2]) then return redis.call('zrem', KEYS[1], ARGV[1]) end
return 0
"""
# A handler gets this long before its claim lapses and another replica may try: far longer than
# a handler takes (a few store round trips), short enough that a crash delays a timer by seconds.
LEASE_SECONDS = 30.0
# Deadlines handled per poll: bounds one pass; the rest are picked up by the next poll.
MAX_DUE_PER_POLL = 100


class DeadlineSet:
    """The deadlines of one kind (e.g. response targets), by member (a conversation id)."""

    def __init__(self, client: redis.Redis, key: str) -> None:
        self._redis = client
        self.key = key
        self._claim = client.register_script(_CLAIM)
        self._release = client.register_script(_RELEASE)

    async def arm(self, member: str, at: float, *, keep_earlier: bool = False) -> None:
        """Set ``member``'s deadline to ``at``; with ``keep_earlier`` an earlier one stays."""
        await self._redis.zadd(self.key, {member: at}, lt=keep_earlier)

    def arm_in(self, pipe: Pipeline, member: str, at: float, *, keep_earlier: bool = False) -> None:
        """``arm``, queued in a pipeline that goes out with other clocks' commands."""
        pipe.zadd(self.key, {member: at}, lt=keep_earlier)

    def disarm_in(self, pipe: Pipeline, member: str) -> None:
        pipe.zrem(self.key, member)

    async def restore(self, deadlines: dict[str, float]) -> None:
        """Arm these deadlines (member -> when) where none is armed: one armed since the source was
        read is newer and stays."""
        if deadlines:
            await self._redis.zadd(self.key, deadlines, nx=True)

    async def disarm(self, member: str) -> None:
        await self._redis.zrem(self.key, member)

    async def deadline(self, member: str) -> float | None:
        return await self._redis.zscore(self.key, member)

    async def claim_due(self, now: float | None = None) -> list[tuple[str, float]]:
        """Claim the members whose deadline has passed; returns (member, lease score) pairs."""
        now = time.time() if now is None else now
        # withscores: (member, score) pairs, decoded (redis-py types the reply as every shape it can take).
        due = cast(
            "list[tuple[str, float]]",
            await self._redis.zrangebyscore(self.key, "-inf", now, start=0, num=MAX_DUE_PER_POLL, withscores=True),
        )
        claimed: list[tuple[str, float]] = []
        for member, score in due:
            lease = now + LEASE_SECONDS
            if await self._claim(keys=[self.key], args=[member, repr(score), repr(lease)]):
                claimed.append((member, lease))
        return claimed

    async def release(self, member: str, lease: float) -> None:
        """Forget a handled deadline, unless it was armed again while it was being handled."""
        await self._release(keys=[self.key], args=[member, repr(lease)])
