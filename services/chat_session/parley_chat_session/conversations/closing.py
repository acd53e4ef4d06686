"""Ending a conversation (by a member, or by the inactivity timeout) and rating it."""

from __future__ import annotations

from typing import Any

from parley.contracts.commands import Caller
from parley.contracts.errors import ErrorCode, ParleyError
from parley.stores import MongoDatabase
from parley_chat_session.access import require_member
from parley_chat_session.clocks.conversation_clocks import ConversationClocks
from parley_chat_session.conversations.announcements import Announcer
from parley_chat_session.conversations.conversation_store import ConversationStore, now
from parley_chat_session.conversations.notices import Notices
from parley_chat_session.routing.operator_queue import OperatorQueue


class Closing:
    def __init__(
        self,
        db: MongoDatabase,
        store: ConversationStore,
        clocks: ConversationClocks,
        announcer: Announcer,
        notices: Notices,
        queue: OperatorQueue,
    ) -> None:
        self._ratings = db["ratings"]
        self._notices = notices
        self._store = store
        self._clocks = clocks
        self._announce = announcer
        self._queue = queue

    async def close_by_member(
        self, caller: Caller, conversation_id: str, reason: str, trace_id: str | None = None
    ) -> None:
        """A member closes the conversation; closing a closed one again changes nothing."""
        doc = await self._store.get(conversation_id)
        require_member(doc, caller.user_id)
        await self.close(conversation_id, caller.user_id, reason, trace_id)

    async def close(self, conversation_id: str, closed_by: str, reason: str, trace_id: str | None = None) -> bool:
        """Close a live conversation; False if it was closed already."""
        closed = await self._store.close(conversation_id, closed_by, reason)
        if closed is None:
            return False
        await self._clocks.stop(conversation_id)
        closer = closed["members"].get(closed_by)
        if closer is not None:  # a member, not the inactivity timeout
            name = closer.get("name") or closer["role"].capitalize()
            await self._notices.post(
                closed, closed_by, closer["role"], name, f"{name} closed the conversation", trace_id
            )
        await self._announce.closed(closed, trace_id)
        # Its operator has a free slot now, and the visitors queued behind it moved up.
        await self._queue.drain(closed["channel_id"], trace_id)
        if closed.get("operator_id"):
            await self._queue.drain_for_operator(closed["operator_id"], trace_id)
        else:  # it may have been waiting: the operators' queue lists change
            await self._queue.tell_operators(closed["channel_id"], trace_id)
        return True

    async def rate(self, caller: Caller, conversation_id: str, rating: int, comment: str) -> None:
        """The visitor rates the conversation (1-5 and a comment); rating again replaces it."""
        doc = await self._store.get(conversation_id)
        require_member(doc, caller.user_id)
        if caller.user_id != doc["visitor_id"]:
            raise ParleyError(ErrorCode.BAD_ARGUMENT, "only the visitor rates a conversation")
        await self._ratings.replace_one(
            {"_id": conversation_id},
            {
                "channel_id": doc["channel_id"],
                "visitor_id": doc["visitor_id"],
                "operator_ids": doc.get("past_operator_ids", []),
                "rating": rating,
                "comment": comment,
                "rated_at": now(),
            },
            upsert=True,
        )
        await self._announce.rated(doc, rating, comment)

    async def rating_of(self, conversation_id: str) -> dict[str, Any] | None:
        return await self._ratings.find_one({"_id": conversation_id})

    async def forget(self, conversation_ids: list[str]) -> None:
        await self._ratings.delete_many({"_id": {"$in": conversation_ids}})
