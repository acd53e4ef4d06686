"""The agents commands (docs/bots.md): what an external bot does in a conversation it serves.

Every command first checks the bot is the conversation's (9201: an unknown conversation too, so
a bot learns nothing of conversations that are not its own), then its idempotency key
(:class:`IdempotencyKeys`), then, except for a retry of what was done already, that the bot
controls the conversation (controller.py). Messages take the idempotency key as their
``client_msg_id``, so the message store's unique index makes a retried post return the stored
message and announce it again, with the same event ids.
"""

from __future__ import annotations

from typing import Any

from parley.contracts.agents import (
    AgentAppendDraft,
    AgentFinishDraft,
    AgentOpenDraft,
    AgentPosted,
    AgentPostMessage,
    AgentProgramAction,
    AgentTyping,
    DraftState,
    agent_user_id,
)
from parley.contracts.bot import RichTextContent, TextContent
from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.messages import Message
from parley_chat_session.agents.controller import require_bot_member, require_control
from parley_chat_session.agents.draft_stream import DeltaStream
from parley_chat_session.agents.drafts import DraftStore
from parley_chat_session.agents.idempotency import IdempotencyKeys
from parley_chat_session.agents.rich_text import sanitised_html
from parley_chat_session.conversations.announcements import Announcer
from parley_chat_session.conversations.conversation import Conversation
from parley_chat_session.conversations.conversation_store import ConversationStore
from parley_chat_session.conversations.message_store import MessageStore
from parley_chat_session.metrics import DELTAS_APPENDED


def author_name(doc: Conversation, bot_id: str) -> str:
    member = doc.members.get(agent_user_id(bot_id))
    return member.name if member is not None else ""


class AgentCommands:
    def __init__(
        self,
        store: ConversationStore,
        messages: MessageStore,
        announcer: Announcer,
        drafts: DraftStore,
        stream: DeltaStream,
        keys: IdempotencyKeys,
    ) -> None:
        self._store = store
        self._messages = messages
        self._announce = announcer
        self._drafts = drafts
        self._stream = stream
        self._keys = keys

    async def conversation_of(self, bot_id: str, conversation_id: str) -> Conversation:
        doc = await self._store.find(conversation_id)
        if doc is None:
            raise ParleyError(ErrorCode.BOT_NOT_A_MEMBER, "this bot is not a member of the conversation")
        require_bot_member(doc, bot_id)
        return doc

    async def post(self, command: AgentPostMessage, trace_id: str | None) -> AgentPosted:
        doc = await self.conversation_of(command.bot_id, command.conversation_id)
        content = command.content
        if isinstance(content, RichTextContent):
            html = sanitised_html(content.html)
            if not html:
                raise ParleyError(ErrorCode.BAD_ARGUMENT, "content.html: nothing is left once sanitised")
            content = content.model_copy(update={"html": html})
        body = content.model_dump(mode="json", by_alias=True)
        return await self._post(doc, command.bot_id, command.idempotency_key, command.TYPE, "bot", body, trace_id)

    async def program_action(self, command: AgentProgramAction, trace_id: str | None) -> AgentPosted:
        doc = await self.conversation_of(command.bot_id, command.conversation_id)
        body = {"meaning": command.meaning, "params": command.params}
        return await self._post(doc, command.bot_id, command.idempotency_key, command.TYPE, "action", body, trace_id)

    async def open_draft(self, command: AgentOpenDraft) -> DraftState:
        doc = await self.conversation_of(command.bot_id, command.conversation_id)
        earlier = await self._keys.claim(command.bot_id, command.idempotency_key, command.TYPE, doc.id) or {}
        if earlier.get("draft_id"):
            return await self._draft_state(str(earlier["draft_id"]), doc.id, duplicate=True)
        require_control(doc, command.bot_id)
        name = author_name(doc, command.bot_id)
        draft_id = await self._drafts.open(doc.id, command.bot_id, name, command.message_class, command.text)
        await self._keys.done(command.bot_id, command.idempotency_key, draft_id=draft_id)
        if command.text:
            await self._stream.add(doc, draft_id, agent_user_id(command.bot_id), name, 0, command.text)
        return DraftState(draft_id=draft_id, conversation_id=doc.id, length=len(command.text), next_index=0)

    async def append(self, command: AgentAppendDraft) -> DraftState:
        doc = await self.conversation_of(command.bot_id, command.conversation_id)
        await self._keys.claim(command.bot_id, command.idempotency_key, command.TYPE, doc.id)
        require_control(doc, command.bot_id)
        appended = await self._drafts.append(command.draft_id, command.bot_id, doc.id, command.index, command.delta)
        if not appended.duplicate:
            DELTAS_APPENDED.inc()
            name = author_name(doc, command.bot_id)
            author = agent_user_id(command.bot_id)
            await self._stream.add(doc, command.draft_id, author, name, appended.offset, command.delta)
        return DraftState(
            draft_id=command.draft_id,
            conversation_id=doc.id,
            length=appended.length,
            next_index=appended.next_index,
            duplicate=appended.duplicate,
        )

    async def finish(self, command: AgentFinishDraft, trace_id: str | None) -> AgentPosted:
        """The draft becomes one text message whose client_msg_id is the draft id (one message
        however often the finish is retried), then the stream ends."""
        doc = await self.conversation_of(command.bot_id, command.conversation_id)
        await self._keys.claim(command.bot_id, command.idempotency_key, command.TYPE, doc.id)
        author = agent_user_id(command.bot_id)
        stored = await self._messages.by_client_id(doc.id, author, command.draft_id)
        if stored is not None:
            await self._announce.message(stored, doc.member_ids, trace_id, doc=doc)
            return AgentPosted(message=stored, duplicate=True)
        require_control(doc, command.bot_id)
        text = await self._drafts.finish(command.draft_id, command.bot_id, doc.id)
        state = await self._drafts.state(command.draft_id)
        await self._stream.end(command.draft_id)
        if not text:
            await self._drafts.forget(doc.id, command.draft_id)
            raise ParleyError(ErrorCode.BAD_ARGUMENT, "the draft is empty: nothing to store")
        content = TextContent(kind="text", message_class=state.get("class", "answer"), text=text)  # type: ignore[arg-type]
        body = content.model_dump(mode="json", by_alias=True)
        message, duplicate = await self._store_message(doc, command.bot_id, command.draft_id, "bot", body, trace_id)
        await self._drafts.forget(doc.id, command.draft_id)
        return AgentPosted(message=message, duplicate=duplicate)

    async def typing(self, command: AgentTyping) -> None:
        doc = await self.conversation_of(command.bot_id, command.conversation_id)
        require_control(doc, command.bot_id)
        name = author_name(doc, command.bot_id)
        await self._announce.typing(
            doc, agent_user_id(command.bot_id), name, command.active, ttl_seconds=command.ttl_seconds
        )

    async def _post(
        self,
        doc: Conversation,
        bot_id: str,
        key: str,
        command_type: str,
        kind: str,
        body: dict[str, Any],
        trace_id: str | None,
    ) -> AgentPosted:
        await self._keys.claim(bot_id, key, command_type, doc.id)
        stored = await self._messages.by_client_id(doc.id, agent_user_id(bot_id), key)
        if stored is not None:  # a retry: announced again (the first may have died before its events)
            await self._announce.message(stored, doc.member_ids, trace_id, doc=doc)
            return AgentPosted(message=stored, duplicate=True)
        require_control(doc, bot_id)
        message, duplicate = await self._store_message(doc, bot_id, key, kind, body, trace_id)
        return AgentPosted(message=message, duplicate=duplicate)

    async def _store_message(
        self, doc: Conversation, bot_id: str, client_msg_id: str, kind: str, body: Any, trace_id: str | None
    ) -> tuple[Message, bool]:
        fields = {
            "author_id": agent_user_id(bot_id),
            "author_role": "bot",
            "author_name": author_name(doc, bot_id),
            "kind": kind,
            "body": body,
            "client_msg_id": client_msg_id,
        }
        return await self._messages.append(
            doc.id,
            fields,
            lambda stored: self._announce.message(stored, doc.member_ids, trace_id, doc=doc),
            known_last_seq=doc.last_seq,
        )

    async def _draft_state(self, draft_id: str, conversation_id: str, *, duplicate: bool) -> DraftState:
        fields = await self._drafts.state(draft_id)
        return DraftState(
            draft_id=draft_id,
            conversation_id=conversation_id,
            length=int(fields.get("length", 0)),
            next_index=int(fields.get("next_index", 0)),
            duplicate=duplicate,
        )
