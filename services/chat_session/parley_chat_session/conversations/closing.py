"""Ending a conversation (by a member, or by the inactivity timeout) and rating it.

A close is stored first and its consequences follow; until they are all done the conversation
stays marked, and a retried close or the sweep does them again (conversations/pending_closes.py).
"""

from __future__ import annotations

from typing import Any

from parley.contracts.commands import Caller
from parley.contracts.errors import ErrorCode, ParleyError
from parley.logs import get_logger
from parley.stores import MongoDatabase
from parley_chat_session.access import require_member
from parley_chat_session.clocks.conversation_clocks import ConversationClocks
from parley_chat_session.conversations.announcements import Announcer
from parley_chat_session.conversations.conversation import Conversation
from parley_chat_session.conversations.conversation_store import ConversationStore, now
from parley_chat_session.conversations.notices import Notices
from parley_chat_session.conversations.pending_closes import PendingCloses
from parley_chat_session.routing.operator_queue import OperatorQueue

log = get_logger("parley.chat_session")


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
        self._pending = PendingCloses(db)
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
        """Close a live conversation and do what follows; False if it was closed already (what
        follows is done again if an earlier close of it did not finish: this may be its retry)."""
        await self._pending.note(conversation_id)
        closed = await self._store.close(conversation_id, closed_by, reason)
        if closed is None:
            earlier = await self._store.find(conversation_id)
            if earlier is not None and earlier.close_pending:
                await self._finish(earlier, trace_id)
            else:
                await self._pending.forget(conversation_id)
            return False
        await self._finish(closed, trace_id)
        return True

    async def finish_pending(self) -> int:
        """The sweep: finish the closes nobody finished (dependencies away, a process gone, a
        client that stopped retrying); returns how many. One that fails again waits for the next."""
        finished = 0
        for conversation_id in await self._pending.due():
            if not await self._pending.claim(conversation_id):
                continue  # another replica's sweep has it
            doc = await self._store.find(conversation_id)
            if doc is None or not doc.close_pending:
                await self._pending.forget(conversation_id)  # finished, or its close write never landed
                continue
            try:
                await self._finish(doc, trace_id=None)
            except Exception as error:  # noqa: BLE001 - whatever failed, the entry stays for the next sweep
                log.warning("chat_session.close_not_finished", conversation_id=conversation_id, error=str(error))
                continue
            finished += 1
        return finished

    async def _finish(self, closed: Conversation, trace_id: str | None) -> None:
        """Everything a close causes, each step safe to do again; then the mark goes."""
        conversation_id = closed.id
        closed_by = closed.closed_by or ""
        await self._clocks.stop(conversation_id)
        closer = closed.members.get(closed_by)
        if closer is not None:  # a member, not the inactivity timeout
            name = closer.name or closer.role.capitalize()
            await self._notices.post(closed, closed_by, closer.role, name, f"{name} closed the conversation", trace_id)
        await self._announce.closed(closed, trace_id)
        # Its operator has a free slot now, and the visitors queued behind it moved up.
        await self._queue.drain(closed.channel_id, trace_id)
        if closed.operator_id:
            await self._queue.drain_for_operator(closed.operator_id, trace_id)
        else:  # it may have been waiting: the operators' queue lists change
            await self._queue.tell_operators(closed.channel_id, trace_id)
        await self._store.close_told(conversation_id)
        await self._pending.forget(conversation_id)

    async def rate(self, caller: Caller, conversation_id: str, rating: int, comment: str) -> None:
        """The visitor rates the conversation (1-5 and a comment); rating again replaces it."""
        doc = await self._store.get(conversation_id)
        require_member(doc, caller.user_id)
        if caller.user_id != doc.visitor_id:
            raise ParleyError(ErrorCode.BAD_ARGUMENT, "only the visitor rates a conversation")
        await self._ratings.replace_one(
            {"_id": conversation_id},
            {
                "channel_id": doc.channel_id,
                "visitor_id": doc.visitor_id,
                "operator_ids": doc.past_operator_ids,
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
