"""Token buckets in Redis, taken atomically by a Lua script so replicas cannot race past a limit.

A bucket holds up to ``capacity`` tokens and gains ``per_second`` tokens a second; an action
costs one token. :meth:`RateLimiter.take` takes from several buckets at once (e.g. this
connection's and this user's), all or nothing: a refused action costs nothing, and the answer
says how long until it would pass. The clock is Redis's own (``TIME``), so every replica sees
the same time.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as redis
from redis.exceptions import RedisError

from parley.contracts.errors import ErrorCode, ParleyError
from parley.stores import timed

# KEYS: the buckets. ARGV: cost, then capacity and refill rate (tokens/s) of each bucket.
# State per bucket: a hash {tokens, ts}; it expires once it would be full again, so idle
# buckets cost no memory. Floats travel as strings: Lua numbers returned to Redis are truncated.
_TAKE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local cost = tonumber(ARGV[1])
local levels = {}
local wait = 0
local blocking = 0
for i, key in ipairs(KEYS) do
  local capacity = tonumber(ARGV[2 * i])
  local rate = tonumber(ARGV[2 * i + 1])
  local state = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens = tonumber(state[1]) or capacity
  local ts = tonumber(state[2]) or now
  tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
  levels[i] = tokens
  if tokens < cost and (cost - tokens) / rate > wait then
    wait = (cost - tokens) / rate
    blocking = i
  end
end
if wait > 0 then
  return {0, tostring(wait), blocking}
end
local lowest = -1
for i, key in ipairs(KEYS) do
  local capacity = tonumber(ARGV[2 * i])
  local rate = tonumber(ARGV[2 * i + 1])
  local left = levels[i] - cost
  redis.call('HSET', key, 'tokens', tostring(left), 'ts', tostring(now))
  redis.call('PEXPIRE', key, math.ceil((capacity - left) / rate * 1000) + 1000)
  if lowest < 0 or left < lowest then lowest = left end
end
return {1, tostring(lowest), 0}
"""


@dataclass(frozen=True)
class Bucket:
    """One limit: ``capacity`` actions at once (the burst), refilled at ``per_second``.

    ``group``: the Redis Cluster hash tag of the bucket's key. Buckets taken together must share
    it (one script touches them all, and a script's keys must live on one slot); it is the
    narrowest thing they have in common (a connection's bucket and its user's: the user).
    Without one, the bucket is its own group and is taken alone."""

    key: str
    capacity: float
    per_second: float
    group: str = ""

    def __post_init__(self) -> None:
        if self.capacity < 1 or self.per_second <= 0:
            raise ValueError(f"bucket {self.key!r} needs capacity >= 1 and a positive rate")


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_seconds: float = 0.0
    tokens_left: float = 0.0
    blocked_by: Bucket | None = None  # the refusing bucket that takes longest to refill


class RateLimiter:
    """Takes tokens from buckets kept in Redis under ``<prefix>ratelimit:{<group>}:<bucket key>``."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._redis = client
        self._prefix = f"{prefix}ratelimit:"
        self._script = client.register_script(_TAKE)

    async def take(self, *buckets: Bucket, cost: float = 1.0) -> Verdict:
        """Take ``cost`` from every bucket, or from none; raises ParleyError(UNAVAILABLE) when
        Redis does not answer (each caller decides whether to fail open or closed)."""
        if not buckets:
            return Verdict(True)
        keys = self.keys(buckets)
        args: list[float] = [cost]
        for bucket in buckets:
            args += [bucket.capacity, bucket.per_second]
        try:
            with timed("redis", "ratelimit_take"):
                allowed, amount, blocking = await self._script(keys=keys, args=args)
        except RedisError as error:
            raise ParleyError(ErrorCode.UNAVAILABLE, f"rate limiter unavailable: {error}") from error
        if int(allowed) == 1:
            return Verdict(True, tokens_left=float(amount))
        return Verdict(False, retry_after_seconds=float(amount), blocked_by=buckets[int(blocking) - 1])

    def keys(self, buckets: tuple[Bucket, ...]) -> list[str]:
        """The Redis keys of buckets taken together: ``<prefix>ratelimit:{<group>}:<key>``, one hash
        tag, so the script that takes them runs on one Redis Cluster slot."""
        groups = {bucket.group or bucket.key for bucket in buckets}
        if len(groups) > 1:
            raise ValueError(f"buckets taken together need one group, not {sorted(groups)}")
        return [f"{self._prefix}{{{bucket.group or bucket.key}}}:{bucket.key}" for bucket in buckets]

    async def reset(self, *buckets: Bucket) -> None:
        """Forget the state of these buckets (they are full again)."""
        for key in (self.keys((bucket,))[0] for bucket in buckets):  # one DEL per key: any slot
            await self._redis.delete(key)
