"""HTTP handlers of the operators' queue: a channel's waiting conversations, and taking one.

Who may call them (admins and the channel's operators; the conversation channel's operators) is
checked before the handler runs, from the endpoint table (:mod:`parley_chat_session.http.endpoints`)."""

from __future__ import annotations

from parley.http_api import Call
from parley_chat_session.channels.store import Channels
from parley_chat_session.conversations.conversation_store import ConversationStore
from parley_chat_session.conversations.conversation_views import ConversationList, ConversationSummary, summary
from parley_chat_session.routing.operator_queue import OperatorQueue


class QueueApi:
    def __init__(self, queue: OperatorQueue, store: ConversationStore, channels: Channels) -> None:
        self.queue = queue
        self.store = store
        self.channels = channels

    async def waiting(self, call: Call) -> ConversationList:
        """The channel's waiting conversations, oldest (next served) first."""
        channel = await self.channels.get(call.param("channel_id"))
        docs = await self.store.queued(channel.id)
        return ConversationList(conversations=[summary(doc) for doc in docs])

    async def take(self, call: Call) -> ConversationSummary:
        taken = await self.queue.take(call.param("conversation_id"), call.user.sub)
        return summary(taken, for_user=call.user.sub)
