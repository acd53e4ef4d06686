"""``chat_session.conversation_access``: whether a user is an operator of a conversation's
channel, for services that keep data about conversations but not about who serves them.

chatbot_engine asks it before showing a conversation's bot state (the visitor's answers, their
e-mail) to an operator: chat_session owns channels and their operators, and no other service
reads its database. The channel is read fresh, not from the message path's copy of a few
seconds, so an operator removed from a channel loses access at once.
"""

from __future__ import annotations

from parley.contracts.base import Envelope
from parley.contracts.commands import ConversationAccess, GetConversationAccess
from parley.runtime import Service
from parley_chat_session.access import is_channel_operator
from parley_chat_session.channels.store import Channels
from parley_chat_session.conversations.conversation_store import ConversationStore


class AccessReader:
    def __init__(self, conversations: ConversationStore, channels: Channels) -> None:
        self._conversations = conversations
        self._channels = channels

    async def read(self, command: GetConversationAccess) -> ConversationAccess:
        """The answer; UNKNOWN_CONVERSATION when there is no such conversation."""
        conversation = await self._conversations.get(command.conversation_id)
        channel = await self._channels.get(conversation.channel_id, archived_too=True)
        return ConversationAccess(
            conversation_id=conversation.id,
            channel_id=channel.id,
            channel_operator=is_channel_operator(channel, command.user_id),
        )


def register_conversation_access(service: Service) -> AccessReader:
    """Serve ``chat_session.conversation_access`` on the service's bus."""
    reader = AccessReader(ConversationStore(service.db), Channels(service.db))

    async def on_access(command: GetConversationAccess, _envelope: Envelope) -> ConversationAccess:
        return await reader.read(command)

    service.bus.on_command(GetConversationAccess, on_access)
    return reader
