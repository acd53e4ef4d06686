"""``chat_session.history``: a page of a conversation's messages by seq, for members only.

The gateway serves ``history.get`` frames with it, and replays ``resume`` (and fills a gap in
live delivery) with ``after_seq`` pages. ``last_seq`` is the newest seq stored when the page
was read, so a reader can tell "caught up" from "more arrived since".
"""

from __future__ import annotations

from parley.contracts.base import Envelope
from parley.contracts.commands import GetHistory, History
from parley.contracts.errors import ErrorCode, ParleyError
from parley.logs import get_logger
from parley.runtime import Service
from parley_chat_session.access import is_member, require_member
from parley_chat_session.agents.drafts import DraftStore
from parley_chat_session.conversations.conversation_store import ConversationStore
from parley_chat_session.conversations.message_store import MessageStore

log = get_logger("parley.chat_session")


class HistoryReader:
    def __init__(self, conversations: ConversationStore, messages: MessageStore, drafts: DraftStore) -> None:
        self._conversations = conversations
        self._messages = messages
        self._drafts = drafts

    async def read(self, command: GetHistory) -> History:
        """The page ``command`` asks for; NOT_A_MEMBER / UNKNOWN_CONVERSATION refusals are logged."""
        caller, conversation_id = command.caller, command.conversation_id
        conversation = await self._conversations.find(conversation_id)
        if conversation is None:
            log.warning(
                "chat_session.history_refused",
                user_id=caller.user_id,
                conversation_id=conversation_id,
                reason="unknown",
            )
            raise ParleyError(
                ErrorCode.UNKNOWN_CONVERSATION,
                f"no conversation {conversation_id!r} (a session without messages has no history)",
            )
        if not is_member(conversation, caller.user_id):
            log.warning(
                "chat_session.history_refused",
                user_id=caller.user_id,
                conversation_id=conversation_id,
                reason="not a member",
            )
        require_member(conversation, caller.user_id)
        if (
            command.before_seq is not None
            and command.after_seq is not None
            and command.before_seq <= command.after_seq + 1
        ):
            raise ParleyError(
                ErrorCode.BAD_ARGUMENT, "before_seq must be above after_seq + 1 (the range would be empty)"
            )
        messages, has_more = await self._messages.page(
            conversation_id, before_seq=command.before_seq, after_seq=command.after_seq, limit=command.limit
        )
        # The conversation's counter is raised just after each insert: the stored newest may be ahead.
        last_seq = max(conversation.last_seq, await self._messages.newest_seq(conversation_id))
        # A bot's replies still streaming, read after the page: one finished meanwhile is in a
        # later page as its message, never lost between the two reads.
        drafts = await self._drafts.open_of(conversation_id) if conversation.agent_id else []
        return History(
            conversation_id=conversation_id, messages=messages, has_more=has_more, last_seq=last_seq, drafts=drafts
        )


def register_history(service: Service, drafts: DraftStore) -> HistoryReader:
    """Serve ``chat_session.history`` on the service's bus."""
    conversations = ConversationStore(service.db)
    reader = HistoryReader(conversations, MessageStore(service.db, conversations), drafts)

    async def on_history(command: GetHistory, _envelope: Envelope) -> History:
        return await reader.read(command)

    service.bus.on_command(GetHistory, on_history)
    return reader
