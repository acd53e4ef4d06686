"""Bus commands (exchange ``parley.commands``, routing key = type) and their replies."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from parley.contracts.base import Contract, Model, contract
from parley.contracts.messages import ActionBody, ClientMsgId, ConversationId, Message, Role, TextBody


class ReplyError(Model):
    code: int
    message: str


@contract("reply")
class Reply(Contract):
    """The answer to a request: ``result`` when ok, ``error`` otherwise."""

    ok: bool
    result: dict[str, Any] | None = None
    error: ReplyError | None = None


class Caller(Model):
    """Who a gateway command is on behalf of (taken from the verified token, never the frame)."""

    user_id: str
    role: Role
    name: str = ""


@contract("chat_session.open_session")
class OpenSession(Contract):
    caller: Caller
    channel_id: str = Field(min_length=1, max_length=64)


class SessionOpened(Model):
    """A temporary session: the conversation id is reserved, persisted on the first message."""

    conversation_id: str
    channel_id: str
    channel_name: str
    temporary: bool
    welcome: str = ""
    last_seq: int = 0


@contract("chat_session.send_message")
class SendMessage(Contract):
    caller: Caller
    conversation_id: ConversationId
    client_msg_id: ClientMsgId
    kind: Literal["text", "action"]
    body: TextBody | ActionBody


class MessageAccepted(Model):
    message: Message
    duplicate: bool = Field(False, description="True when this client_msg_id was already stored: the original is returned.")


@contract("presence.lookup_nodes")
class LookupNodes(Contract):
    user_ids: list[str] = Field(max_length=10_000)


class NodesOfUsers(Model):
    """node id -> the users (of those asked) that have a live connection on it."""

    nodes: dict[str, list[str]]
