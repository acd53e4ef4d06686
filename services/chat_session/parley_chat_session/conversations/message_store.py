"""Messages and their per-conversation ``seq``: strictly increasing, no gap, no duplicate.

A seq is never *reserved* ahead of the write that uses it, so a send that loses a race burns
nothing: the message is inserted with ``seq = last + 1`` and the unique ``(conversation_id,
seq)`` index decides. If the insert collides, either the same ``(author_id, client_msg_id)``
was stored first in this conversation (a retried send: the stored one is returned) or another
replica took that seq (read the newest seq again and retry). Inside one process the sends of a conversation take
turns on a lock and the process remembers the newest seq it stored, so collisions only happen
between replicas, and a stale guess costs one failed insert, never a gap.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError, OperationFailure

from parley.batching import Batcher
from parley.contracts.base import new_id
from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.messages import Message
from parley.stores import MongoDatabase, each_write_outcome, timed
from parley_chat_session.conversations.conversation_store import ConversationStore, ReplyClock, now
from parley_chat_session.locks import KeyedLocks
from parley_chat_session.metrics import MESSAGES_STORED

# Attempts at a free seq when other replicas keep winning it: each retry re-reads the newest
# seq, so only a conversation written by this many replicas in the same instant exhausts them.
MAX_SEQ_ATTEMPTS = 20
# Conversations whose newest seq this process remembers (saving a read per message): the busy
# ones of a replica; a forgotten one costs one read.
MAX_REMEMBERED_SEQS = 10_000
# The visitor's words an operator sees of a conversation in the queue and lists: about two lines
# of the sidebar, enough to tell one question from another.
PREVIEW_CHARS = 140

# The idempotency index of old versions: unique per author over every conversation, so the same
# client_msg_id in a second conversation collided with the first one's message. Dropped at start.
GLOBAL_CLIENT_MSG_INDEX = "author_client_msg_unique"

# Publishes a stored message (``message.created``); see ``MessageStore.append``.
Announce = Callable[[Message], Awaitable[None]]


def to_message(doc: dict[str, Any]) -> Message:
    return Message(
        id=doc["_id"],
        conversation_id=doc["conversation_id"],
        seq=doc["seq"],
        author_id=doc["author_id"],
        author_role=doc["author_role"],
        author_name=doc.get("author_name", ""),
        kind=doc["kind"],
        body=doc["body"],
        client_msg_id=doc.get("client_msg_id"),
        created_at=doc["created_at"],
    )


def visitor_preview(fields: dict[str, Any]) -> str | None:
    """The start of a visitor's text message (what the operators' queue shows of a conversation);
    None for anything else (the preview stays the visitor's last words)."""
    if fields.get("author_role") != "visitor" or fields.get("kind") != "text" or not isinstance(fields["body"], str):
        return None
    text = " ".join(fields["body"].split())
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


class MessageStore:
    def __init__(self, db: MongoDatabase, conversations: ConversationStore) -> None:
        self._messages = db["messages"]
        self._conversations = conversations
        self._turns = KeyedLocks()
        self._newest: OrderedDict[str, int] = OrderedDict()  # conversation -> the last seq this process stored
        # The messages of every conversation posted during one insert share the next one.
        self._insert = Batcher(self._insert_many)

    async def create_indexes(self) -> None:
        await self._messages.create_index(
            [("conversation_id", ASCENDING), ("seq", ASCENDING)], unique=True, name="conversation_seq_unique"
        )
        # Idempotency keys are the sender's within one conversation: the same key elsewhere is
        # another message, never the retry of this one.
        await self._messages.create_index(
            [("conversation_id", ASCENDING), ("author_id", ASCENDING), ("client_msg_id", ASCENDING)],
            unique=True,
            name="conversation_author_client_msg_unique",
        )
        # A database created by this version never had it.
        with contextlib.suppress(OperationFailure):
            await self._messages.drop_index(GLOBAL_CLIENT_MSG_INDEX)

    async def by_client_id(self, conversation_id: str, author_id: str, client_msg_id: str) -> Message | None:
        """The sender's message of this conversation sent with ``client_msg_id``, if any."""
        query = {"conversation_id": conversation_id, "author_id": author_id, "client_msg_id": client_msg_id}
        doc = await self._messages.find_one(query)
        return to_message(doc) if doc is not None else None

    async def append(
        self,
        conversation_id: str,
        fields: dict[str, Any],
        announce: Announce,
        known_last_seq: int | None = None,
        *,
        reply_clock: ReplyClock = None,
    ) -> tuple[Message, bool]:
        """Store a message with the conversation's next seq and announce it; returns it and
        whether it was a duplicate (stored before: announced again, its first announcement may
        have been lost with the process that made it).

        ``fields`` holds author_id, author_role, author_name, kind, body and client_msg_id
        (always set: it is the idempotency key, for system messages too). ``known_last_seq`` is
        the caller's idea of the newest seq (from the conversation it just read), saving a read.
        ``reply_clock``: the operator's response clock starts or stops, with the same write.

        The insert decides the seq, so ``announce`` runs as soon as it succeeded, alongside the
        conversation's bookkeeping write (newest seq, activity, reply clock): delivery waits for
        one database write, not two. The next message of the conversation still waits for both,
        so the bookkeeping writes of a conversation land in seq order.
        """
        async with self._turns.hold(conversation_id):
            last = self._newest.get(conversation_id, known_last_seq)
            if last is None:
                last = (await self._conversations.get(conversation_id)).last_seq
            for _attempt in range(MAX_SEQ_ATTEMPTS):
                doc = {"_id": f"m_{new_id()[:24]}", "conversation_id": conversation_id, "seq": last + 1, **fields}
                doc["created_at"] = now()
                try:
                    with timed("mongodb", "insert_message"):
                        await self._insert(doc)
                except DuplicateKeyError:
                    winner = await self.by_client_id(conversation_id, fields["author_id"], fields["client_msg_id"])
                    if winner is not None:
                        # The first attempt may have died after its insert: its bookkeeping
                        # and its announcement are done again (both are idempotent).
                        await self._conversations.after_message(
                            winner.conversation_id, winner.author_id, winner.seq, winner.created_at
                        )
                        await announce(winner)
                        return winner, True
                    last = await self.newest_seq(conversation_id)
                    continue
                self._remember(conversation_id, doc["seq"])
                MESSAGES_STORED.labels(fields["kind"]).inc()
                message = to_message(doc)
                bookkeeping = self._conversations.after_message(
                    conversation_id,
                    fields["author_id"],
                    doc["seq"],
                    doc["created_at"],
                    reply_clock=reply_clock,
                    visitor_preview=visitor_preview(fields),
                )
                # Both run to their end before the turn passes on, even when one fails.
                outcomes = await asyncio.gather(bookkeeping, announce(message), return_exceptions=True)
                for outcome in outcomes:
                    if isinstance(outcome, BaseException):
                        raise outcome
                return message, False
        raise ParleyError(ErrorCode.UNAVAILABLE, "the conversation is too busy right now, retry")

    async def _insert_many(self, docs: list[dict[str, Any]]) -> list[Exception | None]:
        """One unordered insert for a batch: each document stands or fails (a taken seq, a
        retried client_msg_id) on its own."""
        return await each_write_outcome(self._messages.insert_many(docs, ordered=False), len(docs))

    def _remember(self, conversation_id: str, seq: int) -> None:
        self._newest[conversation_id] = seq
        self._newest.move_to_end(conversation_id)
        if len(self._newest) > MAX_REMEMBERED_SEQS:
            self._newest.popitem(last=False)

    async def newest_seq(self, conversation_id: str) -> int:
        newest = await self._messages.find_one({"conversation_id": conversation_id}, sort=[("seq", DESCENDING)])
        return int(newest["seq"]) if newest is not None else 0

    async def page(
        self, conversation_id: str, *, before_seq: int | None, after_seq: int | None, limit: int
    ) -> tuple[list[Message], bool]:
        """Up to ``limit`` messages in seq order: the newest before ``before_seq``, else the oldest
        after ``after_seq`` (default: the newest page); and whether more lie beyond the page."""
        query: dict[str, Any] = {"conversation_id": conversation_id}
        if after_seq is not None:
            query["seq"] = {"$gt": after_seq}
            if before_seq is not None:
                query["seq"]["$lt"] = before_seq
            docs = await self._messages.find(query).sort("seq", ASCENDING).limit(limit + 1).to_list()
            return [to_message(doc) for doc in docs[:limit]], len(docs) > limit
        if before_seq is not None:
            query["seq"] = {"$lt": before_seq}
        docs = await self._messages.find(query).sort("seq", DESCENDING).limit(limit + 1).to_list()
        return [to_message(doc) for doc in reversed(docs[:limit])], len(docs) > limit

    async def all_of(self, conversation_id: str) -> list[Message]:
        docs = await self._messages.find({"conversation_id": conversation_id}).sort("seq", ASCENDING).to_list()
        return [to_message(doc) for doc in docs]

    async def delete_of(self, conversation_ids: list[str]) -> int:
        result = await self._messages.delete_many({"conversation_id": {"$in": conversation_ids}})
        return result.deleted_count
