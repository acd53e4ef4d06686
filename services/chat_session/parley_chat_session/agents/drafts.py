"""A bot's streamed replies while they are written: drafts in Redis, one hash each.

A draft lives in ``chat:draft:<draft id>`` (its conversation, bot, class, text so far, the next
delta index, whether it is finished) and in the conversation's set of drafts (history lists the
open ones). Appends run in one Redis script, so the index check and the append cannot be split
by another replica: a delta is applied once, in its place, or refused. A draft not touched for
``DRAFT_IDLE_SECONDS`` expires (its bot is gone); a finished one stays that long too, so a
finish retried after a lost answer finds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as redis

from parley.contracts.agents import MAX_DRAFT_LENGTH, DraftSnapshot
from parley.contracts.base import new_id
from parley.contracts.errors import ErrorCode, ParleyError
from parley.stores import as_text, as_text_map

# A bot that sent nothing for a minute mid-reply has died or lost the draft: it expires.
DRAFT_IDLE_SECONDS = 60
# Streams open at once in one conversation: one reply, and a couple more a bot may interleave.
MAX_OPEN_DRAFTS = 3

# KEYS: the draft. ARGV: bot id, conversation id, index, delta, delta length in characters,
# the longest draft, idle seconds. Answers {outcome, next index, length before the delta}.
_APPEND = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {'unknown', 0, 0} end
local d = redis.call('HMGET', KEYS[1], 'bot_id', 'conversation_id', 'next_index', 'finished', 'length')
if d[1] ~= ARGV[1] or d[2] ~= ARGV[2] then return {'unknown', 0, 0} end
local nxt, len = tonumber(d[3]), tonumber(d[5])
if d[4] == '1' then return {'finished', nxt, len} end
local index = tonumber(ARGV[3])
if index < nxt then return {'duplicate', nxt, len} end
if index > nxt then return {'gap', nxt, len} end
if len + tonumber(ARGV[5]) > tonumber(ARGV[6]) then return {'too_long', nxt, len} end
redis.call('HSET', KEYS[1], 'text', (redis.call('HGET', KEYS[1], 'text') or '') .. ARGV[4])
redis.call('HINCRBY', KEYS[1], 'next_index', 1)
redis.call('HINCRBY', KEYS[1], 'length', tonumber(ARGV[5]))
redis.call('EXPIRE', KEYS[1], ARGV[7])
return {'ok', nxt + 1, len}
"""
# KEYS: the draft. ARGV: bot id, conversation id, idle seconds. Marks it finished (no delta is
# taken after) and answers {outcome, text}; a finished draft answers its text again.
_FINISH = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {'unknown', ''} end
local d = redis.call('HMGET', KEYS[1], 'bot_id', 'conversation_id', 'text')
if d[1] ~= ARGV[1] or d[2] ~= ARGV[2] then return {'unknown', ''} end
redis.call('HSET', KEYS[1], 'finished', '1')
redis.call('EXPIRE', KEYS[1], ARGV[3])
return {'ok', d[3] or ''}
"""

APPEND_REFUSALS = {
    "unknown": (ErrorCode.UNKNOWN_DRAFT, "no such draft of this bot in this conversation (or it expired)"),
    "finished": (ErrorCode.DRAFT_FINISHED, "the draft is finished"),
    "gap": (ErrorCode.DRAFT_OUT_OF_ORDER, "an earlier delta is missing: send index {next} first"),
    "too_long": (ErrorCode.DRAFT_TOO_LONG, f"a draft holds at most {MAX_DRAFT_LENGTH} characters"),
}


@dataclass(frozen=True)
class Appended:
    next_index: int
    offset: int  # characters of the draft before this delta
    length: int
    duplicate: bool


class DraftStore:
    def __init__(self, cache: redis.Redis, key_prefix: str) -> None:
        self._cache = cache
        self._prefix = key_prefix
        self._append = cache.register_script(_APPEND)
        self._finish = cache.register_script(_FINISH)

    def _key(self, draft_id: str) -> str:
        return f"{self._prefix}chat:draft:{draft_id}"

    def _of_conversation(self, conversation_id: str) -> str:
        return f"{self._prefix}chat:drafts-of:{conversation_id}"

    async def open(self, conversation_id: str, bot_id: str, author_name: str, message_class: str, text: str) -> str:
        """A new draft's id; refused (9207) when the conversation has too many open."""
        if len(await self.open_of(conversation_id)) >= MAX_OPEN_DRAFTS:
            raise ParleyError(
                ErrorCode.TOO_MANY_DRAFTS, f"at most {MAX_OPEN_DRAFTS} drafts are open at once: finish one"
            )
        draft_id = f"draft:{new_id()[:20]}"
        fields: dict[str, str] = {
            "conversation_id": conversation_id,
            "bot_id": bot_id,
            "author_name": author_name,
            "class": message_class,
            "text": text,
            "length": str(len(text)),
            "next_index": "0",
            "finished": "0",
            "opened_at": datetime.now(UTC).isoformat(),
        }
        async with self._cache.pipeline(transaction=True) as pipe:
            pipe.hset(self._key(draft_id), items=[part for pair in fields.items() for part in pair])
            pipe.expire(self._key(draft_id), DRAFT_IDLE_SECONDS)
            pipe.sadd(self._of_conversation(conversation_id), draft_id)
            pipe.expire(self._of_conversation(conversation_id), DRAFT_IDLE_SECONDS * 10)
            await pipe.execute()
        return draft_id

    async def append(self, draft_id: str, bot_id: str, conversation_id: str, index: int, delta: str) -> Appended:
        args: list[Any] = [bot_id, conversation_id, index, delta, len(delta), MAX_DRAFT_LENGTH, DRAFT_IDLE_SECONDS]
        answer, next_index, length = await self._append(keys=[self._key(draft_id)], args=args)
        outcome = as_text(answer)
        if outcome in APPEND_REFUSALS:
            code, message = APPEND_REFUSALS[outcome]
            raise ParleyError(code, message.format(next=next_index))
        if outcome == "duplicate":
            return Appended(int(next_index), int(length), int(length), duplicate=True)
        return Appended(int(next_index), int(length), int(length) + len(delta), duplicate=False)

    async def finish(self, draft_id: str, bot_id: str, conversation_id: str) -> str:
        """Close the draft to deltas; its text (refused 9203 when there is no such draft)."""
        outcome, text = await self._finish(
            keys=[self._key(draft_id)], args=[bot_id, conversation_id, DRAFT_IDLE_SECONDS]
        )
        if as_text(outcome) != "ok":
            code, message = APPEND_REFUSALS["unknown"]
            raise ParleyError(code, message)
        return as_text(text)

    async def forget(self, conversation_id: str, draft_id: str) -> None:
        """The draft is a stored message now: history stops listing it."""
        await self._cache.srem(self._of_conversation(conversation_id), draft_id)

    async def state(self, draft_id: str) -> dict[str, str]:
        return as_text_map(await self._cache.hgetall(self._key(draft_id)))

    async def open_of(self, conversation_id: str) -> list[DraftSnapshot]:
        """The conversation's drafts still being written, oldest first."""
        ids = sorted(as_text(member) for member in await self._cache.smembers(self._of_conversation(conversation_id)))
        drafts = []
        for draft_id in ids:
            fields = await self.state(draft_id)
            if not fields:  # expired: its bot went quiet
                await self._cache.srem(self._of_conversation(conversation_id), draft_id)
                continue
            if fields.get("finished") == "1":
                continue
            drafts.append(
                DraftSnapshot(
                    draft_id=draft_id,
                    conversation_id=conversation_id,
                    author_id=f"agent_{fields['bot_id']}",
                    author_name=fields.get("author_name", ""),
                    message_class=fields.get("class", "answer"),  # type: ignore[arg-type]
                    text=fields.get("text", ""),
                    next_index=int(fields.get("next_index", 0)),
                    opened_at=datetime.fromisoformat(fields["opened_at"]),
                )
            )
        return sorted(drafts, key=lambda draft: draft.opened_at)
