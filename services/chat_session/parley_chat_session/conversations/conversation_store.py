"""The ``conversations`` collection: one document per conversation, changed by atomic updates.

FerretDB v1 has no transactions, so every state change is one conditional single-document
update (``find_one_and_update`` whose filter states the expected current state): of two racing
changes one wins and the other sees ``None``. Members are a map by user id (``members.<uid>``),
so per-member fields (last seen seq) are plain dotted-path updates.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, Literal

from pymongo import ASCENDING, DESCENDING, ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError

from parley.batching import Batcher
from parley.contracts.errors import ErrorCode, ParleyError
from parley.stores import MongoDatabase, each_write_outcome
from parley_chat_session.conversations.conversation import Conversation
from parley_chat_session.conversations.conversation_copies import ConversationCopies

LIVE = ["open", "queued"]
# What a stored message does to the operator's response clock (``awaiting_reply_since``): the
# visitor spoke and nobody is answering yet ("start"), the operator answered ("stop"), or nothing.
ReplyClock = Literal["start", "stop"] | None
# Closed conversations sampled for the queue's wait estimate: recent enough to follow the
# day's pace, enough of them to smooth one very long chat.
HANDLE_TIME_SAMPLE = 20
# Open conversations whose deadlines are rebuilt per Redis round trip: a page of clock fields is
# a few hundred kilobytes at most, and a large backlog is restored in a few dozen writes.
CLOCKS_PAGE = 1000


def now() -> datetime:
    """The current time at MongoDB's precision (ms), so what we answer equals what we stored."""
    stamp = datetime.now(UTC)
    return stamp.replace(microsecond=stamp.microsecond // 1000 * 1000)


def member_entry(role: str, name: str) -> dict[str, Any]:
    return {
        "role": role,
        "name": name,
        "joined_at": now(),
        "last_seen_seq": 0,
        "last_delivered_seq": 0,
        "left_at": None,
    }


def history_entry(event: str, user_id: str, name: str = "", detail: str = "") -> dict[str, Any]:
    """One line of the conversation's log (joined, left, transferred, queued, closed...)."""
    return {"at": now(), "event": event, "user_id": user_id, "name": name, "detail": detail}


class ConversationStore:
    """``copies``: the replica's copies for posting (``for_message``); every store that changes
    conversations in a service that posts must have them, so its changes replace the token."""

    def __init__(self, db: MongoDatabase, copies: ConversationCopies | None = None) -> None:
        self._collection = db["conversations"]
        self._copies = copies
        # The per-message updates of every conversation made during one write share the next.
        self._bookkeeping = Batcher(self._update_many)

    async def create_indexes(self) -> None:
        for name, keys in {
            "visitor_channel_status": [("visitor_id", ASCENDING), ("channel_id", ASCENDING), ("status", ASCENDING)],
            "member_status": [("member_ids", ASCENDING), ("status", ASCENDING)],
            "operator_status": [("operator_id", ASCENDING), ("status", ASCENDING)],
            "channel_queue": [("channel_id", ASCENDING), ("status", ASCENDING), ("queued_at", ASCENDING)],
            "channel_created": [("channel_id", ASCENDING), ("created_at", DESCENDING)],
            "past_operators": [("past_operator_ids", ASCENDING), ("created_at", DESCENDING)],
            "last_activity": [("last_activity_at", ASCENDING)],
        }.items():
            await self._collection.create_index(keys, name=name)

    # ---- reading --------------------------------------------------------------------------

    async def find(self, conversation_id: str) -> Conversation | None:
        doc = await self._collection.find_one({"_id": conversation_id})
        return Conversation.from_document(doc) if doc is not None else None

    async def get(self, conversation_id: str) -> Conversation:
        doc = await self.find(conversation_id)
        if doc is None:
            raise ParleyError(ErrorCode.UNKNOWN_CONVERSATION, f"no conversation {conversation_id!r}")
        return doc

    async def for_message(self, conversation_id: str) -> Conversation | None:
        """The conversation as posting needs it: the replica's copy while no change was made since
        (conversation_copies.py), else read. Shared: never change the document returned."""
        if self._copies is None:
            return await self.find(conversation_id)
        return await self._copies.read(conversation_id, self.find)

    async def live_of_visitor(self, visitor_id: str, channel_id: str) -> Conversation | None:
        doc = await self._collection.find_one(
            {"visitor_id": visitor_id, "channel_id": channel_id, "status": {"$in": LIVE}}
        )
        return Conversation.from_document(doc) if doc is not None else None

    async def queued(self, channel_id: str) -> list[Conversation]:
        """The channel's waiting conversations, oldest first."""
        cursor = self._collection.find({"channel_id": channel_id, "status": "queued"})
        return [
            Conversation.from_document(doc) async for doc in cursor.sort([("queued_at", ASCENDING), ("_id", ASCENDING)])
        ]

    async def queued_channel_ids(self) -> list[str]:
        return sorted(await self._collection.distinct("channel_id", {"status": "queued"}))

    async def loads(self, operator_ids: list[str]) -> dict[str, int]:
        """Open conversations per operator (every channel counts: an operator's attention is one)."""
        pipeline = [
            {"$match": {"operator_id": {"$in": operator_ids}, "status": "open"}},
            {"$group": {"_id": "$operator_id", "count": {"$sum": 1}}},
        ]
        counted = {row["_id"]: row["count"] async for row in await self._collection.aggregate(pipeline)}
        return {operator: counted.get(operator, 0) for operator in operator_ids}

    async def recent_handle_seconds(self, channel_id: str) -> list[float]:
        """How long an operator spent on each of the channel's latest closed conversations."""
        cursor = self._collection.find({"channel_id": channel_id, "status": "closed", "assigned_at": {"$ne": None}})
        docs = await cursor.sort("closed_at", DESCENDING).limit(HANDLE_TIME_SAMPLE).to_list()
        return [(doc["closed_at"] - doc["assigned_at"]).total_seconds() for doc in docs if doc.get("closed_at")]

    async def open_clocks(self) -> AsyncIterator[list[dict[str, Any]]]:
        """Every open conversation's clock fields (channel, operator, awaiting_reply_since,
        last_activity_at), a page at a time: what its deadlines are rebuilt from."""
        fields = {"channel_id": 1, "operator_id": 1, "awaiting_reply_since": 1, "last_activity_at": 1}
        page: list[dict[str, Any]] = []
        async for doc in self._collection.find({"status": "open"}, fields):
            page.append(doc)
            if len(page) == CLOCKS_PAGE:
                yield page
                page = []
        if page:
            yield page

    async def of_member(self, user_id: str, statuses: list[str], limit: int) -> list[Conversation]:
        cursor = self._collection.find({"member_ids": user_id, "status": {"$in": statuses}})
        return [
            Conversation.from_document(doc) async for doc in cursor.sort("last_activity_at", DESCENDING).limit(limit)
        ]

    # ---- writing --------------------------------------------------------------------------

    async def insert(self, doc: dict[str, Any]) -> bool:
        """Store a new conversation; False when one with this id exists already."""
        try:
            await self._collection.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    async def _change(self, query: dict[str, Any], update: dict[str, Any]) -> Conversation | None:
        changed = await self._collection.find_one_and_update(query, update, return_document=ReturnDocument.AFTER)
        if changed is None:
            return None
        await self._changed(changed["_id"])
        return Conversation.from_document(changed)

    async def _changed(self, conversation_id: str) -> None:
        """Copies of the conversation (posting's, on every replica) are stale from now on."""
        if self._copies is not None:
            await self._copies.changed(conversation_id)

    async def add_member(self, conversation_id: str, user_id: str, role: str, name: str) -> Conversation | None:
        """Add a member (a bot joining its channel's conversation); None if already one."""
        return await self._change(
            {"_id": conversation_id, "member_ids": {"$ne": user_id}},
            {"$addToSet": {"member_ids": user_id}, "$set": {f"members.{user_id}": member_entry(role, name)}},
        )

    async def hand_off(self, conversation_id: str, agent_id: str, reason: str, summary: str) -> Conversation | None:
        """The external bot gives the conversation up (docs/bots.md); None if it did not hold it."""
        handoff = {"reason": reason, "summary": summary, "at": now().isoformat()}
        return await self._change(
            {"_id": conversation_id, "agent_id": agent_id, "bot_in_control": True, "status": {"$in": LIVE}},
            {
                "$set": {"bot_in_control": False, "handoff": handoff},
                "$push": {"history": history_entry("handed_off", agent_id, detail=reason)},
            },
        )

    async def take_back(self, conversation_id: str, agent_id: str) -> Conversation | None:
        """The external bot controls the conversation again, out of the queue; None while an
        operator holds it (or it is closed, or the bot holds it already)."""
        return await self._change(
            {
                "_id": conversation_id,
                "agent_id": agent_id,
                "bot_in_control": False,
                "operator_id": None,
                "status": {"$in": LIVE},
            },
            {
                "$set": {"bot_in_control": True, "status": "open", "queued_at": None, "queue_position": None},
                "$push": {"history": history_entry("taken_back", agent_id)},
            },
        )

    async def set_visitor_location(self, conversation_id: str, location: dict[str, Any]) -> Conversation | None:
        return await self._change({"_id": conversation_id}, {"$set": {"visitor_location": location}})

    async def enqueue(self, conversation_id: str, since: datetime) -> Conversation | None:
        """Put a conversation without operator in its channel's queue; None if it has one or is closed."""
        return await self._change(
            {"_id": conversation_id, "status": {"$in": LIVE}, "operator_id": None, "queued_at": None},
            {"$set": {"status": "queued", "queued_at": since, "queue_position": None}},
        )

    async def assign(self, conversation_id: str, operator_id: str, name: str) -> Conversation | None:
        """Give a queued conversation to an operator; None if someone else took it first."""
        stamp = now()
        return await self._change(
            {"_id": conversation_id, "status": "queued", "operator_id": None},
            {
                "$set": {
                    "status": "open",
                    "operator_id": operator_id,
                    "assigned_at": stamp,
                    "awaiting_reply_since": stamp,
                    "queued_at": None,
                    "queue_position": 0,
                    f"members.{operator_id}": member_entry("operator", name),
                },
                "$addToSet": {"member_ids": operator_id, "past_operator_ids": operator_id},
                "$push": {"history": history_entry("joined", operator_id, name)},
            },
        )

    async def replace_operator(
        self, conversation_id: str, old: str, new: str, name: str, event: str, detail: str
    ) -> Conversation | None:
        """Hand the conversation from ``old`` to ``new`` (transfer, or reassignment after no answer)."""
        stamp = now()
        await self._collection.update_one(
            {"_id": conversation_id, "operator_id": old, "status": "open"},
            {"$pull": {"member_ids": old}, "$set": {f"members.{old}.left_at": stamp}},
        )
        await self._changed(conversation_id)  # ``old`` is out even if the hand-over below loses its race
        return await self._change(
            {"_id": conversation_id, "operator_id": old, "status": "open"},
            {
                "$set": {
                    "operator_id": new,
                    "assigned_at": stamp,
                    "awaiting_reply_since": stamp,
                    f"members.{new}": member_entry("operator", name),
                },
                "$addToSet": {"member_ids": new, "past_operator_ids": new},
                "$push": {"history": history_entry(event, new, name, detail)},
            },
        )

    async def unassign(
        self, conversation_id: str, operator_id: str, name: str, since: datetime, *, event: str = "left"
    ) -> Conversation | None:
        """The operator leaves (or, ``event`` removed, was taken off the channel): the conversation
        waits for another one (not them) from ``since``."""
        return await self._change(
            {"_id": conversation_id, "operator_id": operator_id, "status": "open"},
            {
                "$set": {
                    "operator_id": None,
                    "status": "queued",
                    "queued_at": since,
                    "queue_position": None,
                    "awaiting_reply_since": None,
                    f"members.{operator_id}.left_at": now(),
                },
                "$pull": {"member_ids": operator_id},
                "$addToSet": {"declined_by": operator_id},
                "$push": {"history": history_entry(event, operator_id, name)},
            },
        )

    async def held_by(self, channel_id: str, operator_id: str) -> list[Conversation]:
        """The channel's open conversations this operator is assigned."""
        cursor = self._collection.find({"channel_id": channel_id, "operator_id": operator_id, "status": "open"})
        return [Conversation.from_document(doc) async for doc in cursor]

    async def drop_member_of_channel(self, channel_id: str, user_id: str) -> int:
        """``user_id`` stops being a member of every conversation of the channel; how many changed."""
        query = {"channel_id": channel_id, "member_ids": user_id}
        # Read first (a removal from a channel is rare): each conversation's copies go stale.
        affected = [doc["_id"] for doc in await self._collection.find(query, {"_id": 1}).to_list()]
        result = await self._collection.update_many(
            query, {"$pull": {"member_ids": user_id}, "$set": {f"members.{user_id}.left_at": now()}}
        )
        for conversation_id in affected:
            await self._changed(conversation_id)
        return result.modified_count

    async def close(self, conversation_id: str, closed_by: str, reason: str) -> Conversation | None:
        """Close a live conversation, marked ``close_pending`` until :meth:`close_told`
        (conversations/pending_closes.py); None if it was closed already."""
        stamp = now()
        return await self._change(
            {"_id": conversation_id, "status": {"$in": LIVE}},
            {
                "$set": {
                    "status": "closed",
                    "close_pending": True,
                    "closed_at": stamp,
                    "closed_by": closed_by,
                    "close_reason": reason,
                    "queued_at": None,
                    "queue_position": None,
                    "awaiting_reply_since": None,
                },
                "$push": {"history": history_entry("closed", closed_by, detail=reason)},
            },
        )

    async def close_told(self, conversation_id: str) -> None:
        """Every consequence of the conversation's close is done: the mark goes."""
        await self._collection.update_one({"_id": conversation_id}, {"$unset": {"close_pending": ""}})

    async def after_message(
        self,
        conversation_id: str,
        author_id: str,
        seq: int,
        at: datetime,
        *,
        reply_clock: ReplyClock = None,
        visitor_preview: str | None = None,
    ) -> None:
        """A message was stored at ``at``: newest seq, activity time, and the author has seen their
        own message; ``reply_clock`` starts or stops the operator's response clock in the same
        write (a separate conditional write per visitor message cost FerretDB ~50 ms under load).
        ``visitor_preview``: the start of the visitor's text, shown in the operators' queue and
        lists (a repair never passes it, so an older text never replaces a newer one).
        Without a reply clock it can be repeated (a retried send repairs a write its first
        attempt lost): nothing moves backwards."""
        changes: dict[str, Any] = {}
        if visitor_preview is not None:
            changes["visitor_preview"] = visitor_preview
        if reply_clock == "stop":
            changes["awaiting_reply_since"] = None
        elif reply_clock == "start":
            changes["awaiting_reply_since"] = at
        update: dict[str, Any] = {
            "$max": {"last_seq": seq, "last_activity_at": at, f"members.{author_id}.last_seen_seq": seq}
        }
        if changes:
            update["$set"] = changes
        await self._bookkeeping(UpdateOne({"_id": conversation_id}, update))
        if reply_clock is not None and self._copies is not None:
            # Posting reads the clock from its copy: every replica's copy must see this.
            await self._copies.changed_here(conversation_id, {"awaiting_reply_since": changes["awaiting_reply_since"]})

    async def _update_many(self, updates: list[UpdateOne]) -> list[Exception | None]:
        return await each_write_outcome(self._collection.bulk_write(updates, ordered=False), len(updates))

    async def mark_seen(self, conversation_id: str, user_id: str, seq: int, field: str) -> Conversation | None:
        """Raise a member's ``field`` (last_seen_seq or last_delivered_seq) to ``seq``; None if not higher."""
        path = f"members.{user_id}.{field}"
        # Not ``_change``: nothing posting reads moves, so copies stay valid (it runs per read receipt).
        changed = await self._collection.find_one_and_update(
            {"_id": conversation_id, "member_ids": user_id, path: {"$lt": seq}},
            {"$set": {path: seq}},
            return_document=ReturnDocument.AFTER,
        )
        return Conversation.from_document(changed) if changed is not None else None

    async def set_queue_position(self, conversation_id: str, position: int, *, told: bool = True) -> None:
        """``told``: the visitor was told it (false while the team is away)."""
        await self._collection.update_one(
            {"_id": conversation_id, "status": "queued"}, {"$set": {"queue_position": position, "queue_told": told}}
        )

    async def set_visitor_email(self, conversation_id: str, email: str) -> None:
        await self._collection.update_one({"_id": conversation_id}, {"$set": {"visitor_email": email}})

    async def mark_emailed(self, conversation_id: str) -> bool:
        """Record that the transcript e-mail went out; False if it had already."""
        result = await self._collection.update_one(
            {"_id": conversation_id, "transcript_emailed_at": None}, {"$set": {"transcript_emailed_at": now()}}
        )
        return result.modified_count == 1
