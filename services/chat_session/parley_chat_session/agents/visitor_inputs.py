"""What a visitor's client sends for the conversation's external bot: a program action's result
and the visitor's location (bm-aichat ``M`` answers and ``getLocation``)."""

from __future__ import annotations

import hashlib

import orjson
import redis.asyncio as redis

from parley.contracts.agents import agent_bot_id
from parley.contracts.commands import AttachLocation, Caller, SubmitProgramResult
from parley.contracts.errors import ErrorCode, ParleyError
from parley_chat_session.access import require_member
from parley_chat_session.agents.controller import bot_controlling
from parley_chat_session.conversations import outbound
from parley_chat_session.conversations.announcements import Announcer
from parley_chat_session.conversations.conversation import Conversation
from parley_chat_session.conversations.conversation_store import ConversationStore
from parley_chat_session.conversations.message_store import MessageStore

# A program action is answered once; the mark outlives any retry of the answer.
ANSWERED_TTL_SECONDS = 7 * 24 * 3600


class VisitorInputs:
    def __init__(
        self, store: ConversationStore, messages: MessageStore, announcer: Announcer, cache: redis.Redis, prefix: str
    ) -> None:
        self._store = store
        self._messages = messages
        self._announce = announcer
        self._cache = cache
        self._prefix = prefix

    async def _visitors_conversation(self, caller: Caller, conversation_id: str) -> Conversation:
        doc = await self._store.get(conversation_id)
        require_member(doc, caller.user_id)
        if caller.user_id != doc.visitor_id:
            raise ParleyError(ErrorCode.BAD_ARGUMENT, "only the conversation's visitor sends this")
        if doc.status == "closed":
            raise ParleyError(ErrorCode.CONVERSATION_CLOSED, "this conversation is closed")
        return doc

    async def program_result(self, command: SubmitProgramResult, trace_id: str | None) -> None:
        """Published before the answered mark is set: a failure in between makes a retry publish
        again under the same event id, never lose it."""
        answer = command.result
        doc = await self._visitors_conversation(command.caller, answer.conversation_id)
        page, _ = await self._messages.page(doc.id, before_seq=None, after_seq=answer.seq - 1, limit=1)
        action = page[0] if page and page[0].seq == answer.seq else None
        if action is None or action.kind != "action" or agent_bot_id(action.author_id) is None:
            raise ParleyError(ErrorCode.UNKNOWN_ACTION, f"no program action of a bot at seq {answer.seq}")
        mark = f"{self._prefix}chat:program-answered:{doc.id}:{answer.seq}"
        if await self._cache.exists(mark):
            raise ParleyError(ErrorCode.UNKNOWN_ACTION, f"the program action at seq {answer.seq} was answered")
        bot_id = bot_controlling(doc)
        if bot_id is not None and bot_id == agent_bot_id(action.author_id):
            data = {"seq": answer.seq, "status": answer.status, "result": answer.result}
            await self._announce.outbound(
                outbound.event(doc, "program.result", str(answer.seq), data, bot_id=bot_id), trace_id
            )
        await self._cache.set(mark, "1", ex=ANSWERED_TTL_SECONDS)

    async def location(self, command: AttachLocation, trace_id: str | None) -> None:
        doc = await self._visitors_conversation(command.caller, command.conversation_id)
        location = command.location.model_dump(mode="json")
        updated = await self._store.set_visitor_location(doc.id, location) or doc
        await self._announce.updated(updated, "visitor_location", trace_id=trace_id)
        bot_id = bot_controlling(updated)
        if bot_id is not None:
            digest = hashlib.sha256(orjson.dumps(location, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]
            data = {"status": "location", "location": location}
            event = outbound.event(updated, "visitor.status", f"location_{digest}", data, bot_id=bot_id)
            await self._announce.outbound(event, trace_id)
