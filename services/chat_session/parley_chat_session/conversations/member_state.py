"""Per-member state: how far each member has read (``seen``) and received (``ack``), typing
indicators (relayed, never stored), and unread counts."""

from __future__ import annotations

from parley.contracts.commands import Caller, MarkSeen, SetTyping
from parley.contracts.errors import ErrorCode, ParleyError
from parley_chat_session.access import require_member
from parley_chat_session.conversations.announcements import Announcer
from parley_chat_session.conversations.conversation_store import LIVE, ConversationStore
from parley_chat_session.conversations.conversation_views import ConversationSummary, summary

# Conversations listed for one member: an operator's open chats plus a screenful of recent ones.
MAX_LISTED = 200


class MemberState:
    def __init__(self, store: ConversationStore, announcer: Announcer) -> None:
        self._store = store
        self._announce = announcer

    async def mark_seen(self, command: MarkSeen, trace_id: str | None = None) -> None:
        """Raise the member's seen (or, for an ack, delivered) seq; other members learn of a seen."""
        doc = await self._store.get(command.conversation_id)
        require_member(doc, command.caller.user_id)
        if command.seq > doc.last_seq:
            raise ParleyError(
                ErrorCode.BAD_ARGUMENT,
                f"seq {command.seq} is beyond the conversation's last message ({doc.last_seq})",
            )
        field = "last_delivered_seq" if command.delivered_only else "last_seen_seq"
        changed = await self._store.mark_seen(doc.id, command.caller.user_id, command.seq, field)
        if changed is not None and not command.delivered_only:
            await self._announce.seen(changed, command.caller.user_id, command.seq, trace_id)

    async def typing(self, command: SetTyping, trace_id: str | None = None) -> None:
        doc = await self._store.get(command.conversation_id)
        require_member(doc, command.caller.user_id)
        if doc.status == "closed":
            raise ParleyError(ErrorCode.CONVERSATION_CLOSED, "this conversation is closed")
        await self._announce.typing(doc, command.caller.user_id, command.caller.name, command.active, trace_id)

    async def conversations_of(self, caller: Caller, include_closed: bool) -> list[ConversationSummary]:
        """The caller's conversations, most recently active first, each with its unread count."""
        statuses = [*LIVE, "closed"] if include_closed else LIVE
        docs = await self._store.of_member(caller.user_id, statuses, MAX_LISTED)
        return [summary(doc, for_user=caller.user_id) for doc in docs]
