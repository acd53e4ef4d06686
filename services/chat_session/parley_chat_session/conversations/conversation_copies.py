"""Per-replica copies of the conversations being written in, valid while their change token is.

A message needs its conversation (members, status, operator, response clock) before it is
stored; reading it from MongoDB was one database command of every message. Instead each replica
keeps a copy, and every change that matters to posting (members, status, operator, controller,
the response clock) replaces the conversation's **change token** in Redis after its write. A copy
is used only while the token it was read under is still the current one: a change made on any
replica (a removal, a close, a transfer) is seen by the very next message, as if it had read
MongoDB, one Redis round trip instead of a database command.

Why it is safe:

- The token is read *before* MongoDB, so a copy is never older than its token: a change written
  between the two reads makes a newer copy under an older token, which the next message replaces.
- A change replaces the token after its write; a message whose token read falls between that
  write and the replacement uses the copy from before the change, the same race as reading
  MongoDB just before the write.
- A replica's own change of the response clock (every other message in a visitor/operator
  exchange) replaces the token only if it is still the one its copy holds, then updates its copy
  in place; otherwise the copy is dropped. Other replicas' copies are invalidated either way.
- Should Redis lose the token (a restart without persistence) or a writer die between its write
  and the replacement, a copy is still never older than ``MAX_COPY_AGE_SECONDS``.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as redis

from parley.contracts.base import new_id
from parley.stores import as_text
from parley_chat_session.conversations.conversation import Conversation

# Conversations a replica keeps a copy of: the ones written in lately; a forgotten one costs one
# read. A conversation document is a few KiB (its members and log), so this is tens of MiB at most.
MAX_COPIES = 5_000
# The bound on a copy's age for the cases the token cannot see (Redis lost it, a writer died
# between its write and the token): long enough that a conversation chatting every few seconds is
# read once in a while, short enough that such a miss heals within one conversational turn.
MAX_COPY_AGE_SECONDS = 30.0
# A token outlives any copy of it; a quiet conversation's token expires and is made anew.
TOKEN_TTL_SECONDS = 24 * 3600

# The current token, made if there is none. KEYS: the token. ARGV: a new token, its TTL.
_CURRENT = """
local token = redis.call('GET', KEYS[1])
if token then return token end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return ARGV[1]
"""
# Replace the token; 1 if it was still ``ARGV[1]`` (no change by anyone else since that copy).
# KEYS: the token. ARGV: the expected token, the new one, its TTL.
_REPLACE_IF = """
local token = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
if token == ARGV[1] then return 1 end
return 0
"""


@dataclass(slots=True)
class _Copy:
    token: str
    doc: Conversation
    read_at: float


class ConversationCopies:
    """Copies of conversation documents for posting, checked against a change token per conversation."""

    def __init__(self, client: redis.Redis, key_prefix: str) -> None:
        self._redis = client
        self._prefix = f"{key_prefix}chat:conversation-token:"
        self._copies: OrderedDict[str, _Copy] = OrderedDict()
        self._current = client.register_script(_CURRENT)
        self._replace_if = client.register_script(_REPLACE_IF)

    async def read(
        self, conversation_id: str, load: Callable[[str], Awaitable[Conversation | None]]
    ) -> Conversation | None:
        """The conversation as of its current token: the copy, or ``load`` (MongoDB) when the copy
        is missing, stale or too old. The document returned is shared (and frozen)."""
        token = as_text(await self._current(keys=[self._key(conversation_id)], args=[new_id(), TOKEN_TTL_SECONDS]))
        copy = self._copies.get(conversation_id)
        if copy is not None and copy.token == token and time.monotonic() - copy.read_at < MAX_COPY_AGE_SECONDS:
            self._copies.move_to_end(conversation_id)
            return copy.doc
        doc = await load(conversation_id)
        if doc is None:
            self._copies.pop(conversation_id, None)
            return None
        self._copies[conversation_id] = _Copy(token, doc, time.monotonic())
        self._copies.move_to_end(conversation_id)
        if len(self._copies) > MAX_COPIES:
            self._copies.popitem(last=False)
        return doc

    async def changed(self, conversation_id: str) -> None:
        """A write changed the conversation: every replica's copy is stale from now on."""
        self._copies.pop(conversation_id, None)
        await self._redis.set(self._key(conversation_id), new_id(), ex=TOKEN_TTL_SECONDS)

    async def changed_here(self, conversation_id: str, changes: dict[str, Any]) -> None:
        """This replica wrote ``changes`` (top-level fields): other replicas' copies are stale, and
        this one's is brought up to date if nobody changed the conversation since it was read."""
        copy = self._copies.get(conversation_id)
        token = new_id()
        expected = copy.token if copy is not None else ""
        still = await self._replace_if(keys=[self._key(conversation_id)], args=[expected, token, TOKEN_TTL_SECONDS])
        current = self._copies.get(conversation_id)
        if copy is None or current is not copy:
            return  # dropped or replaced by a read meanwhile: that read decides
        if int(still) == 1:
            copy.doc = copy.doc.model_copy(update=changes)
            copy.token = token
        else:
            self._copies.pop(conversation_id, None)

    def _key(self, conversation_id: str) -> str:
        return f"{self._prefix}{conversation_id}"
