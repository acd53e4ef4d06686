"""Bus events (exchange ``parley.events``, routing key = type), published after the write they report."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from parley.contracts.base import ClientKind, Contract, Model, contract
from parley.contracts.bot import script_id_of
from parley.contracts.frames import ServerFrame
from parley.contracts.messages import Message, Role


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


class OpenedConnection(Model):
    connection_id: str
    user_id: str
    role: Role
    client_kind: ClientKind


class ClosedConnection(Model):
    connection_id: str
    user_id: str
    close_code: int


@contract("gateway.connections_changed")
class ConnectionsChanged(Contract):
    """The connections one gateway node opened and closed since its previous batch: one message
    for a burst of connects (a reconnect storm) instead of one each (``connection_opened`` and
    ``connection_closed`` stay for nodes of earlier versions and for re-announcements). Apply the
    openings first: a connect waits for its batch to be confirmed before ``auth.ok``, so a
    connection closed in a batch was opened in an earlier one."""

    node: str
    opened: list[OpenedConnection] = Field(default_factory=list)
    closed: list[ClosedConnection] = Field(default_factory=list)


@contract("gateway.heartbeats")
class Heartbeats(Contract):
    """One message per gateway node per interval listing its live connections, and the users
    who sent, read or typed there since the previous one (presence's away clock). A user's first
    activity after a quiet interval comes at once, as a batch of their one connection."""

    node: str
    connection_ids: list[str]
    active_user_ids: list[str] = Field(default_factory=list)


@contract("conversation.created")
class ConversationCreated(Contract):
    conversation_id: str
    channel_id: str
    member_ids: list[str]


# Qualifier of the messages of conversations a bot is a member of: the only ones chatbot_engine
# takes (every other message would be a delivery it drops).
WITH_BOT = "with_bot"


@contract("message.created")
class MessageCreated(Contract):
    message: Message
    member_ids: list[str]
    # The members some gateway node held when the message was published to their delivery
    # channels (parley.deliveries); None from a publisher that did not say. Web push is for the rest.
    live_member_ids: list[str] | None = None

    def routing_key(self) -> str:
        with_bot = any(script_id_of(member) is not None for member in self.member_ids)
        return f"{self.TYPE}.{WITH_BOT}" if with_bot else self.TYPE


@contract("conversation.visitor_typing")
class VisitorTyping(Contract):
    """The visitor of a conversation with a bot is typing (clients repeat it every few seconds while
    the visitor types; ``active`` false when they stop): the bot waits for the lines still coming
    before it takes them as one answer. Published only for conversations a bot is a member of;
    other typing goes to the members' sockets only and never crosses the bus."""

    conversation_id: str
    user_id: str
    active: bool


@contract("presence.changed")
class PresenceChanged(Contract):
    """A user's status (or an operator's available/busy toggle) changed; published once per change."""

    user_id: str
    status: Literal["online", "away", "offline"]
    available: bool | None = Field(None, description="Operators and admins: their manual toggle; None for other roles.")


@contract("presence.connections_unknown")
class ConnectionsUnknown(Contract):
    """Connections a gateway node reported live in its heartbeat batch that presence has no record
    of (Redis lost its data, or the node's connection_opened was lost): that node announces each
    one it still holds again (gateway.connection_opened), and presence rebuilds them."""

    node: str
    connection_ids: list[str]


@contract("gateway.client_status")
class ClientStatusChanged(Contract):
    """bm-aichat client status from a connection (``online`` = "user online")."""

    connection_id: str
    node: str
    user_id: str
    status: Literal["online", "visible", "hidden"]
    conversation_id: str | None = None


@contract("conversation.updated")
class ConversationChanged(Contract):
    """Members, operator or status of a conversation changed (assigned, queued, transferred, left)."""

    conversation_id: str
    channel_id: str
    status: Literal["open", "queued", "closed"]
    member_ids: list[str]
    operator_id: str | None = None
    reason: str = ""


@contract("conversation.closed")
class ConversationClosed(Contract):
    conversation_id: str
    channel_id: str
    member_ids: list[str]
    closed_by: str
    reason: str


@contract("chat_session.offline_request_created")
class OfflineRequestCreated(Contract):
    """A visitor left a message with the offline form (stored): chat_session e-mails it to the
    channel's team from its own consumer, so a slow or failing SMTP server is retried, never the
    visitor's request."""

    request_id: str
    channel_id: str


@contract("conversations.expired")
class ConversationsExpired(Contract):
    """chat_session's retention is deleting these closed conversations (their channel's retention
    ran out): every service deletes what it keeps of them (docs/privacy.md). Published before the
    delete, so a retention pass that dies half-way announces them again."""

    conversation_ids: list[str] = Field(min_length=1, max_length=1000)
    visitor_ids: list[str] = Field(default_factory=list, max_length=1000)


@contract("member.seen")
class MemberSeenEvent(Contract):
    conversation_id: str
    user_id: str
    seq: int
    member_ids: list[str]


@contract("auth.session_replaced")
class SessionReplaced(Contract):
    """A new login of ``user_id`` with ``client_kind``: connections of other sessions of that kind close (4003)."""

    user_id: str
    client_kind: ClientKind
    session_code: str = Field(description="the new session, which stays")


@contract("auth.token_revoked")
class TokenRevoked(Contract):
    """Tokens of this session are no longer valid (logout, refresh-token reuse): live connections close."""

    user_id: str
    session_code: str
    expires_at: int = Field(description="unix time after which every token of the session has expired anyway")


@contract("auth.staff_withdrawn")
class StaffWithdrawn(Contract):
    """A staff account was disabled or deleted (its sessions are revoked already): chat_session
    hands its open conversations back to the queue and never assigns it again; a deleted one also
    leaves every channel."""

    user_id: str
    name: str = Field("", max_length=200, description="Kept in transcripts and notices.")
    deleted: bool = False


@contract("auth.staff_restored")
class StaffRestored(Contract):
    """A disabled staff account was enabled again: routing may assign it once it is online."""

    user_id: str


@contract("client.frame")
class ClientFrameEvent(Contract):
    """Any service asks notification to deliver one server frame to these users' live connections."""

    user_ids: list[str] = Field(min_length=1, max_length=10_000)
    frame: ServerFrame
