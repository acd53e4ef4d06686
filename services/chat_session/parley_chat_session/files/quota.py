"""Per-user upload limits: a rate (uploads per minute, a token bucket) and a daily byte quota,
both in Redis so every replica counts the same."""

from __future__ import annotations

from datetime import UTC, datetime

import redis.asyncio as redis

from parley.contracts.errors import ErrorCode, ParleyError
from parley.ratelimit import Bucket, RateLimiter

# A day's counter outlives its day by this much, then Redis forgets it.
QUOTA_KEY_TTL_SECONDS = 2 * 24 * 3600


class UploadQuota:
    def __init__(self, cache: redis.Redis, prefix: str, *, uploads_per_minute: int, daily_bytes: int) -> None:
        self._cache = cache
        self._prefix = prefix
        self._limiter = RateLimiter(cache, prefix)
        self._per_minute = uploads_per_minute
        self._daily = daily_bytes

    def _bucket(self, user_id: str) -> Bucket:
        return Bucket(f"files:{user_id}", capacity=self._per_minute, per_second=self._per_minute / 60)

    def _key(self, user_id: str) -> str:
        return f"{self._prefix}files:quota:{user_id}:{datetime.now(UTC):%Y%m%d}"

    async def admit(self, user_id: str) -> int:
        """Take one upload from the user's rate; the bytes left in today's quota (refused when none)."""
        verdict = await self._limiter.take(self._bucket(user_id))
        if not verdict.allowed:
            raise ParleyError(ErrorCode.RATE_LIMITED, f"too many uploads: retry in {verdict.retry_after_seconds:.0f} s")
        used = int(await self._cache.get(self._key(user_id)) or 0)
        if used >= self._daily:
            raise ParleyError(ErrorCode.FILE_QUOTA_EXCEEDED, "you have used your upload quota for today")
        return self._daily - used

    async def spend(self, user_id: str, size: int) -> None:
        key = self._key(user_id)
        async with self._cache.pipeline(transaction=True) as pipe:
            pipe.incrby(key, size)
            pipe.expire(key, QUOTA_KEY_TTL_SECONDS)
            await pipe.execute()
