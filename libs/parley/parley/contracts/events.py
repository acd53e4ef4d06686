"""Bus events (exchange ``parley.events``, routing key = type), published after the write they report."""

from __future__ import annotations

from typing import Literal

from parley.contracts.base import Contract, contract
from parley.contracts.messages import Message, Role

ClientKind = Literal["web", "mobile", "console", "api"]


@contract("gateway.connection_opened")
class ConnectionOpened(Contract):
    connection_id: str
    node: str
    user_id: str
    role: Role
    client_kind: ClientKind


@contract("gateway.connection_closed")
class ConnectionClosed(Contract):
    connection_id: str
    node: str
    user_id: str
    close_code: int


@contract("gateway.heartbeats")
class Heartbeats(Contract):
    """One message per gateway node per interval listing its live connections."""

    node: str
    connection_ids: list[str]


@contract("conversation.created")
class ConversationCreated(Contract):
    conversation_id: str
    channel_id: str
    member_ids: list[str]


@contract("message.created")
class MessageCreated(Contract):
    message: Message
    member_ids: list[str]


@contract("presence.changed")
class PresenceChanged(Contract):
    user_id: str
    status: Literal["online", "away", "offline"]
