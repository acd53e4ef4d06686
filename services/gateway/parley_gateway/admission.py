"""How many live connections a user holds on all gateway nodes together, and the cap on it.

A sorted set per user in Redis: member = connection id, score = when it expires unless its
node refreshes it (every presence batch). Admission prunes the expired entries (connections of
a node that died without saying goodbye), counts, and adds in one Lua step, so two nodes
admitting the same user at once cannot both slip under the cap. The same step first reads the
session's revocation entry: a connect costs the gateway one Redis round trip, not two. On a Redis
Cluster the entry and the set live on different slots: the entry is read alongside the step, at
the same time, and a revoked session's place is given back.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import redis.asyncio as redis
from redis.exceptions import NoScriptError, RedisError

from parley.batching import Batcher
from parley.contracts.errors import ErrorCode, ParleyError
from parley.revocations import revoked
from parley.stores import is_cluster, timed

# KEYS[1]: the user's set; KEYS[2], on one server: the session's revocation entry, read in the
# same step. On a Redis Cluster the two live on different slots: the entry is read beside the
# script, which is given KEYS[1] alone. ARGV: now, expiry of the new entry, cap, connection id, key
# ttl. Returns {"revoked", why}, {"full"} or {"admitted"}.
_ADMIT = """
if KEYS[2] then
  local why = redis.call('GET', KEYS[2])
  if why then
    return {'revoked', why}
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return {'full'}
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return {'admitted'}
"""


# Admissions per pipeline: a reconnect storm's concurrent connects share round trips to Redis.
MAX_ADMISSIONS_PER_ROUND_TRIP = 256


class ConnectionCaps:
    def __init__(self, client: redis.Redis, prefix: str, *, limit: int, ttl_seconds: float) -> None:
        self._redis = client
        self._prefix = f"{prefix}gw:conns:"
        self._limit = limit
        self._ttl = ttl_seconds
        self._admit = client.register_script(_ADMIT)
        self._cluster = is_cluster(client)
        # One server: the connects that arrive while an admission is on its way to Redis go out
        # together in the next one, a pipeline of the same script (natural batching: a lone
        # connect waits for nothing). Each keeps its own verdict.
        self._admissions: Batcher[tuple[list[str], list[Any]], list[Any]] = Batcher(
            self._admit_together, max_batch=MAX_ADMISSIONS_PER_ROUND_TRIP
        )
        # Closes batch the same way: a node dropping its sockets at once (a drain, a network cut)
        # gives their places back in a few round trips, not one per socket.
        self._releases: Batcher[tuple[str, str], None] = Batcher(
            self._release_together, max_batch=MAX_ADMISSIONS_PER_ROUND_TRIP
        )

    async def admit(self, user_id: str, connection_id: str, revocation_key: str) -> None:
        """Count the connection in unless its session is revoked (``revocation_key``: the session's
        entry, RevocationList.key); ParleyError TOKEN_INVALID when revoked, RATE_LIMITED over the
        cap, UNAVAILABLE without Redis."""
        now = time.time()
        args: list[Any] = [now, now + self._ttl, self._limit, connection_id, int(self._ttl) + 1]
        try:
            with timed("redis", "connection_admit"):
                if self._cluster:
                    verdict = await self._admit_on_cluster(user_id, connection_id, revocation_key, args)
                else:
                    verdict = await self._admissions(([self._prefix + user_id, revocation_key], args))
        except RedisError as error:
            raise ParleyError(
                ErrorCode.UNAVAILABLE, "cannot check your session and connections right now; retry"
            ) from error
        outcome = verdict[0].decode() if isinstance(verdict[0], bytes) else verdict[0]
        if outcome == "revoked":
            why = verdict[1].decode() if isinstance(verdict[1], bytes) else verdict[1]
            raise revoked(why)
        if outcome == "full":
            raise ParleyError(
                ErrorCode.RATE_LIMITED, f"too many connections: at most {self._limit} at once; close one first"
            )

    async def _admit_together(self, admissions: list[tuple[list[str], list[Any]]]) -> list[list[Any] | BaseException]:
        # EVALSHA straight into the pipeline: a pipeline told of the script would first ask Redis
        # whether it knows it, a second round trip for every batch.
        async with self._redis.pipeline(transaction=False) as pipe:
            for keys, args in admissions:
                pipe.evalsha(self._admit.sha, len(keys), *keys, *args)
            verdicts: list[list[Any] | BaseException] = await pipe.execute(raise_on_error=False)
        # A Redis that lost its scripts (a restart): those admissions again, one by one, loading it.
        return [
            await self._admit(keys=keys, args=args) if isinstance(verdict, NoScriptError) else verdict
            for (keys, args), verdict in zip(admissions, verdicts, strict=True)
        ]

    async def _admit_on_cluster(
        self, user_id: str, connection_id: str, revocation_key: str, args: list[Any]
    ) -> list[Any]:
        """The entry and the set live on different slots (auth writes the entry by session alone):
        both asked at once, one round trip's wait; a revoked session's place is given back."""
        why, verdict = await asyncio.gather(
            self._redis.get(revocation_key), self._admit(keys=[self._prefix + user_id], args=args)
        )
        if why is None:
            return list(verdict)
        if (verdict[0].decode() if isinstance(verdict[0], bytes) else verdict[0]) == "admitted":
            await self.release(user_id, connection_id)
        return ["revoked", why]

    async def release(self, user_id: str, connection_id: str) -> None:
        # On a Redis error the entry expires by itself when its node stops refreshing it.
        with contextlib.suppress(RedisError):
            await self._releases((user_id, connection_id))

    async def _release_together(self, releases: list[tuple[str, str]]) -> list[None]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for user_id, connection_id in releases:
                pipe.zrem(self._prefix + user_id, connection_id)
            await pipe.execute()
        return [None] * len(releases)

    async def refresh(self, connections: list[tuple[str, str]]) -> None:
        """Keep this node's (user, connection) entries alive for another TTL (one round trip)."""
        if not connections:
            return
        expires = time.time() + self._ttl
        async with self._redis.pipeline(transaction=False) as pipe:
            for user_id, connection_id in connections:
                pipe.zadd(self._prefix + user_id, {connection_id: expires}, xx=True)
                pipe.expire(self._prefix + user_id, int(self._ttl) + 1)
            await pipe.execute()
