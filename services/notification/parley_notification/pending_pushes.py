"""Unread messages waiting to become one web push per user and conversation (Redis).

A message for a member with no live connection is counted as unread for that user and
conversation and, if nothing is scheduled yet, schedules a push at the end of the merge window
in ``due``. Messages arriving in the window merge into that push. A
``member.seen`` past the newest message (read on another device) drops it; a seen below it
lowers the count. The unread record expires with the push TTL, so a device that stays offline
does not collect a backlog. Each step is one atomic script: two notification replicas never
schedule, claim or count the same message twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import redis.asyncio as redis

from parley.stores import get_many, timed

# KEYS[1]: the root of the pending pushes' key names (``pushes_root``, never a key itself); every
# key a script touches is built on it and shares its hash tag (one slot of a Redis Cluster). ARGV
# below. Per user and conversation: ``unread:<u>:<c>`` (newest seq, its author, preview and arrival
# time) and ``unread:<u>:<c>:seqs`` (the unread seqs: handlers run concurrently, so messages
# may arrive out of order, and a redelivered one must count once).
_ADD = """
local P, conv, seq, author, preview = KEYS[1], ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local merge_ms, ttl_ms, most = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local added = 0
for i = 8, #ARGV do
  local uid = ARGV[i]
  local info = P .. 'unread:' .. uid .. ':' .. conv
  local seqs = info .. ':seqs'
  local seen = tonumber(redis.call('GET', P .. 'seen:' .. uid .. ':' .. conv) or 0)
  if seq > seen and redis.call('ZADD', seqs, 'NX', seq, seq) == 1 then
    redis.call('ZREMRANGEBYRANK', seqs, 0, -most - 1)
    redis.call('PEXPIRE', seqs, ttl_ms)
    if seq >= tonumber(redis.call('HGET', info, 'seq') or 0) then
      redis.call('HSET', info, 'seq', seq, 'author', author, 'preview', preview, 'at', now)
    end
    redis.call('PEXPIRE', info, ttl_ms)
    redis.call('ZADD', P .. 'due', 'NX', now + merge_ms, uid .. '\\t' .. conv)
    added = added + 1
  end
end
return added
"""
_SEEN = """
local P, uid, conv, seq, ttl_ms = KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local seen = P .. 'seen:' .. uid .. ':' .. conv
if seq > tonumber(redis.call('GET', seen) or 0) then redis.call('SET', seen, seq, 'PX', ttl_ms) end
local info = P .. 'unread:' .. uid .. ':' .. conv
if redis.call('EXISTS', info) == 0 then return 0 end
redis.call('ZREMRANGEBYSCORE', info .. ':seqs', '-inf', seq)
if redis.call('ZCARD', info .. ':seqs') > 0 then return 0 end
redis.call('DEL', info, info .. ':seqs')
redis.call('ZREM', P .. 'due', uid .. '\\t' .. conv)
return 1
"""
_CLAIM = """
local P, limit = KEYS[1], tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for _, member in ipairs(redis.call('ZRANGEBYSCORE', P .. 'due', '-inf', now, 'LIMIT', 0, limit)) do
  redis.call('ZREM', P .. 'due', member)
  local tab = string.find(member, '\\t', 1, true)
  local uid, conv = string.sub(member, 1, tab - 1), string.sub(member, tab + 1)
  local info = P .. 'unread:' .. uid .. ':' .. conv
  local count = redis.call('ZCARD', info .. ':seqs')
  local u = redis.call('HMGET', info, 'seq', 'author', 'preview', 'at')
  if count > 0 and u[1] then
    for _, value in ipairs({uid, conv, count, u[1], u[2], u[3], u[4]}) do out[#out + 1] = value end
  end
end
return out
"""
# Unread messages counted per user and conversation at most ("999 new messages" is plenty).
MAX_COUNTED = 999


@dataclass(frozen=True)
class Unread:
    """A user's unread messages of one conversation, due to be pushed."""

    user_id: str
    conversation_id: str
    count: int
    seq: int
    author_name: str
    preview: str
    at_ms: int


def pushes_root(prefix: str) -> str:
    """The root of every pending push's key names. Its hash tag keeps them on one slot of a Redis
    Cluster: a message adds to every offline member's record and to the one schedule (``due``)
    in one script, and the claim finds users and conversations in that schedule while it runs."""
    return f"{prefix}notification:{{pushes}}:"


class PendingPushes:
    def __init__(self, client: redis.Redis, prefix: str, *, merge_seconds: float, ttl_seconds: int) -> None:
        self.redis = client
        self.prefix = pushes_root(prefix)
        self.merge_ms = int(merge_seconds * 1000)
        self.ttl_ms = ttl_seconds * 1000
        self._add = client.register_script(_ADD)
        self._seen = client.register_script(_SEEN)
        self._claim = client.register_script(_CLAIM)

    async def add(self, user_ids: list[str], conversation_id: str, seq: int, author_name: str, preview: str) -> int:
        """Count one message for each user; returns for how many it was new."""
        args: list[str | int] = [
            conversation_id,
            seq,
            author_name,
            preview,
            self.merge_ms,
            self.ttl_ms,
            MAX_COUNTED,
            *user_ids,
        ]
        with timed("redis", "push_pending_add"):
            return int(await self._add(keys=[self.prefix], args=args))

    async def seen(self, user_id: str, conversation_id: str, seq: int) -> bool:
        """The user read up to ``seq``; True when that made a pending push pointless."""
        with timed("redis", "push_pending_seen"):
            return bool(await self._seen(keys=[self.prefix], args=[user_id, conversation_id, seq, self.ttl_ms]))

    async def claim_due(self, limit: int) -> list[Unread]:
        """Take the pushes whose merge window has ended (each is taken by one replica only)."""
        with timed("redis", "push_pending_claim"):
            flat = cast(list[str], await self._claim(keys=[self.prefix], args=[limit]))
        return [
            Unread(flat[i], flat[i + 1], int(flat[i + 2]), int(flat[i + 3]), flat[i + 4], flat[i + 5], int(flat[i + 6]))
            for i in range(0, len(flat), 7)
        ]

    async def read_past(self, keys: list[tuple[str, str, int]]) -> list[bool]:
        """For each (user, conversation, seq): has the user read it since (on any device)?"""
        if not keys:
            return []
        names = [f"{self.prefix}seen:{user}:{conversation}" for user, conversation, _ in keys]
        seen = await get_many(self.redis, names)
        return [int(value or 0) >= seq for value, (_, _, seq) in zip(seen, keys, strict=True)]
