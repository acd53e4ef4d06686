"""Timer deadlines in Redis, fired by whichever engine replica claims them first.

One sorted set holds every pending timer (member ``<conversation>|<kind>``, score = deadline in
unix seconds). A replica claims the due ones with a Lua script that, atomically, takes the
members whose score is due, removes them, and records them in a second sorted set of leases
(score = when the lease runs out). Redis runs a script as one operation, so a due timer is
claimed by exactly one replica, and a timer re-armed a moment before is not due any more.
The replica fires the timer, then releases the lease. If it dies in between, the lease runs out
and :meth:`TimerStore.claim_due` puts the timer back first, so it fires after all; firing is
idempotent (the conversation's state says whether that deadline is still pending).

The bot states in MongoDB are the authority on deadlines; this index can be rebuilt from them.
A marker key says the index is there: when Redis comes back without its data (restarted
without persistence, failed over to an empty replica), the marker is gone too, and the engine
re-indexes every pending deadline (:meth:`Engine.keep_timers_indexed`).
"""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as redis

from parley.stores import timed
from parley_chatbot_engine.timer_rules import TIMER_KINDS, TimerKind

# KEYS: pending, leases. ARGV: now, batch size, lease expiry.
# First expired leases (member "<conversation>|<kind>@<deadline>") go back to pending at their
# original deadline, unless the timer was re-armed meanwhile; then due members move from pending
# to leases. Returns [member, deadline, member, deadline, ...].
_CLAIM = """
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, lease in ipairs(expired) do
  redis.call('ZREM', KEYS[2], lease)
  local member, deadline = string.match(lease, '^(.*)@([^@]*)$')
  if member and not redis.call('ZSCORE', KEYS[1], member) then
    redis.call('ZADD', KEYS[1], deadline, member)
  end
end
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, ARGV[2])
for i = 1, #due, 2 do
  redis.call('ZREM', KEYS[1], due[i])
  redis.call('ZADD', KEYS[2], ARGV[3], due[i] .. '@' .. due[i + 1])
end
return due
"""


@dataclass(frozen=True)
class DueTimer:
    conversation_id: str
    kind: TimerKind
    deadline: float
    lease: str


class TimerStore:
    def __init__(self, client: redis.Redis, key_prefix: str) -> None:
        self._redis = client
        # One hash tag: the claim script and the indexing transaction touch all three, and on a
        # Redis Cluster a script's or a MULTI's keys must share a slot. (Renamed from the untagged
        # names of before issue 23: the marker is missing under its new name, so the first engine
        # to start re-indexes every pending deadline from MongoDB.)
        self._pending = f"{key_prefix}{{chatbot:timers}}:pending"
        self._leases = f"{key_prefix}{{chatbot:timers}}:leases"
        self._marker = f"{key_prefix}{{chatbot:timers}}:indexed"
        self._claim = client.register_script(_CLAIM)

    @property
    def keys(self) -> tuple[str, str, str]:
        """Every key of the store (pending, leases, marker)."""
        return self._pending, self._leases, self._marker

    async def apply(self, conversation_id: str, deadlines: dict[TimerKind, float], cleared: list[TimerKind]) -> None:
        """Set the deadlines of some timers of a conversation and remove others."""
        async with self._redis.pipeline(transaction=True) as pipe:
            if deadlines:
                pipe.zadd(self._pending, {_member(conversation_id, kind): at for kind, at in deadlines.items()})
            if cleared:
                pipe.zrem(self._pending, *(_member(conversation_id, kind) for kind in cleared))
            with timed("redis", "timers_apply"):
                await pipe.execute()

    async def claim_due(self, now: float, lease_seconds: float, batch: int = 100) -> list[DueTimer]:
        """Claim up to ``batch`` due timers for this replica (nobody else gets them)."""
        with timed("redis", "timers_claim"):
            raw = await self._claim(keys=[self._pending, self._leases], args=[now, batch, now + lease_seconds])
        claimed: list[DueTimer] = []
        for member, score in zip(raw[::2], raw[1::2], strict=True):
            conversation_id, _, kind = member.rpartition("|")
            if kind in TIMER_KINDS:
                claimed.append(DueTimer(conversation_id, kind, float(score), f"{member}@{score}"))
        return claimed

    async def release(self, timer: DueTimer) -> None:
        """The timer has been fired: drop its lease."""
        await self._redis.zrem(self._leases, timer.lease)

    async def indexed(self) -> bool:
        """Whether the index was built on this Redis (False after Redis lost its data)."""
        return bool(await self._redis.exists(self._marker))

    async def restore(self, deadlines: dict[str, dict[TimerKind, float]]) -> None:
        """Index these deadlines (conversation -> kind -> deadline); deadlines already indexed
        are left as they are (they may have been re-armed since the states were read)."""
        members = {_member(cid, kind): at for cid, kinds in deadlines.items() for kind, at in kinds.items()}
        if members:
            await self._redis.zadd(self._pending, members, nx=True)

    async def mark_indexed(self) -> None:
        await self._redis.set(self._marker, "1")

    async def deadlines(self, conversation_id: str) -> dict[TimerKind, float]:
        """The pending deadlines of a conversation (for tests and the admin view)."""
        members = [_member(conversation_id, kind) for kind in TIMER_KINDS]
        scores = await self._redis.zmscore(self._pending, members)
        return {kind: score for kind, score in zip(TIMER_KINDS, scores, strict=True) if score is not None}


def _member(conversation_id: str, kind: TimerKind) -> str:
    return f"{conversation_id}|{kind}"
