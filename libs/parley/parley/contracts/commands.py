"""Bus commands (exchange ``parley.commands``, routing key = type) and their replies."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from parley.contracts.agents import DraftSnapshot, ProgramResultData, VisitorLocation
from parley.contracts.base import Command, Contract, Model, contract
from parley.contracts.bot import BotContent
from parley.contracts.bounded import MessageSeq, Seq
from parley.contracts.messages import (
    ClientMsgId,
    ConversationId,
    Message,
    Role,
    SentActionBody,
    SentFileBody,
    TextBody,
    UserId,
    check_body_fits_kind,
)


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

    user_id: UserId
    role: Role
    name: str = Field("", max_length=200)
    verified_channel: str = Field(
        "", max_length=64, description="The channel whose site signed this visitor's identity; empty: not verified."
    )


class SessionOpened(Model):
    """A temporary session: the conversation id is reserved, persisted on the first message."""

    conversation_id: str
    channel_id: str
    channel_name: str
    temporary: bool
    welcome: str = ""
    last_seq: int = 0
    availability: Literal["operators", "chatbot", "offline_form"] = Field(
        "operators",
        description="Who answers now: an operator, the channel's chatbot, or nobody (offline form: messages wait "
        "in the operators' queue).",
    )


# A page's address as a browser gives it (location.href, document.referrer): http or https only.
PageUrl = Annotated[str, StringConstraints(max_length=2000, pattern=r"^https?://[^\s]+$")]


class VisitorPage(Model):
    """Where the visitor is chatting from, as their client says (shown to the channel's operators
    beside the conversation; informational: a visitor can say anything here)."""

    page_url: PageUrl | None = Field(None, description="The page the chat is open on (http or https).")
    referrer: PageUrl | None = Field(None, description="The page that led the visitor there, if the browser says.")
    user_agent: str | None = Field(None, max_length=512, description="The browser's User-Agent (navigator.userAgent).")


@contract("chat_session.open_session")
class OpenSession(Command[SessionOpened]):
    caller: Caller
    channel_id: str = Field(min_length=1, max_length=64)
    origin: str | None = Field(
        None,
        max_length=200,
        description="The browser page's Origin the socket was opened from (none for apps): the channel's "
        "allowed_origins must list it when they list any (error 9114).",
    )
    page: VisitorPage | None = Field(None, description="Recorded on the conversation it starts.")


class CannedSuggestion(Model):
    shortcut: str
    text: str


class CommandResult(Model):
    """What a slash command (``/help``) or an operator's canned-response lookup (``:gre``) did.

    Shown to its sender only and never stored; what the command changed (a close, a transfer)
    reaches every member through the usual events.
    """

    command: str = Field(description="help, leave, transfer, close, or canned (a lookup)")
    text: str = ""
    suggestions: list[CannedSuggestion] = Field(default_factory=list)


class MessageAccepted(Model):
    """The answer to a send: the stored message, or (for a command) ``command`` and no message."""

    message: Message | None = None
    duplicate: bool = Field(
        False, description="True when this client_msg_id was already stored: the original is returned."
    )
    command: CommandResult | None = None


@contract("chat_session.send_message")
class SendMessage(Command[MessageAccepted]):
    caller: Caller
    conversation_id: ConversationId
    client_msg_id: ClientMsgId
    kind: Literal["text", "action", "file", "bot"] = Field(description="bot: a chatbot's post (caller.role bot)")
    body: TextBody | SentActionBody | SentFileBody | BotContent

    @model_validator(mode="after")
    def _body_fits_kind(self) -> SendMessage:
        check_body_fits_kind(self.kind, self.body)
        return self


class NodesOfUsers(Model):
    """node id -> the users (of those asked) that have a live connection on it."""

    nodes: dict[str, list[str]]


# ---- chat_session: reading and member state -----------------------------------------------


@contract("presence.lookup_nodes")
class LookupNodes(Command[NodesOfUsers]):
    user_ids: list[str] = Field(max_length=10_000)


class History(Model):
    conversation_id: str
    messages: list[Message]
    has_more: bool
    last_seq: int = Field(description="The conversation's newest seq when the page was read.")
    drafts: list[DraftSnapshot] = Field(
        default_factory=list, description="A bot's streamed replies not finished yet (their text so far)."
    )


@contract("chat_session.history")
class GetHistory(Command[History]):
    """A page of a conversation's messages, by seq; with ``after_seq`` it serves ``resume``."""

    caller: Caller
    conversation_id: ConversationId
    before_seq: MessageSeq | None = None
    after_seq: Seq | None = None
    limit: int = Field(50, ge=1, le=200)


@contract("chat_session.mark_seen")
class MarkSeen(Command[None]):
    caller: Caller
    conversation_id: ConversationId
    seq: Seq
    delivered_only: bool = Field(False, description="True for a client ack (received), False for seen (read).")


@contract("chat_session.typing")
class SetTyping(Command[None]):
    caller: Caller
    conversation_id: ConversationId
    active: bool


@contract("chat_session.close")
class CloseConversation(Command[None]):
    caller: Caller
    conversation_id: ConversationId
    reason: str = Field("closed", max_length=200)


@contract("chat_session.rate")
class RateConversation(Command[None]):
    caller: Caller
    conversation_id: ConversationId
    rating: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=2000)


class OperatorRequestResult(Model):
    """assigned: an operator has it. queued: it waits in the queue while the team is at work
    (someone online within business hours); the visitor is told the position. unavailable:
    nobody can answer now (no operators, nobody online, or outside business hours); when the
    channel has operators it still waits in the queue for their return."""

    status: Literal["assigned", "queued", "unavailable"]
    operator_id: str | None = None
    queue_position: int | None = None


@contract("chat_session.request_operator")
class RequestOperator(Command[OperatorRequestResult]):
    """A conversation needs a human (the visitor asked, or a bot's forward_operator step)."""

    conversation_id: ConversationId
    requested_by: UserId = Field(description="user id of the visitor, or the bot's id")


class ConversationAccess(Model):
    conversation_id: str
    channel_id: str
    channel_operator: bool = Field(description="user_id is one of the conversation's channel's operators now")


# Conversations one newest-seq request may name: its answer stays near 200 KiB (one bus message);
# a gateway serving more asks in several requests.


@contract("chat_session.conversation_access")
class GetConversationAccess(Command[ConversationAccess]):
    """May ``user_id`` see what another service keeps about a conversation (its chatbot state)?
    chat_session owns channels and their operators, so it answers; UNKNOWN_CONVERSATION when the
    conversation does not exist."""

    conversation_id: ConversationId
    user_id: str = Field(min_length=1, max_length=64)


MAX_NEWEST_SEQS_BATCH = 1000


class ConversationPosition(Model):
    """A conversation's newest stored seq, and what a ``conversation.updated`` frame says of it now."""

    newest_seq: int = Field(ge=0)
    channel_id: str
    member_ids: list[str]
    status: Literal["open", "queued", "closed"]
    operator_id: str | None = None


class NewestSeqs(Model):
    conversations: dict[str, ConversationPosition] = Field(description="By conversation id; unknown ids are left out.")


# ---- presence ----------------------------------------------------------------------------


@contract("chat_session.newest_seqs")
class GetNewestSeqs(Command[NewestSeqs]):
    """The newest seq and current state of each of these conversations, for a gateway that checks
    what it delivered to its live sockets against what is stored (docs/delivery.md): when its bus
    link came back, and every few seconds. Internal: it is never asked on behalf of a client."""

    conversation_ids: list[ConversationId] = Field(max_length=MAX_NEWEST_SEQS_BATCH)


class UserStatuses(Model):
    statuses: dict[str, Literal["online", "away", "offline"]]


@contract("presence.user_status")
class GetUserStatus(Command[UserStatuses]):
    user_ids: list[str] = Field(max_length=10_000)


class OperatorState(Model):
    user_id: str
    status: Literal["online", "away", "offline"]
    available: bool
    # Not counted any more (chat_session alone owns an operator's load); kept, always 0, so a
    # reply between this release and the one before validates either way in a rolling upgrade.
    # Remove in the release after.
    load: int = Field(0, ge=0, description="Always 0: chat_session counts an operator's load.")


class AvailableOperators(Model):
    operators: list[OperatorState]


@contract("presence.available_operators")
class GetAvailableOperators(Command[AvailableOperators]):
    """Of these operators (a channel's), the ones online and toggled available, with their load."""

    operator_ids: list[str] = Field(max_length=1000)


@contract("presence.set_availability")
class SetAvailability(Command[OperatorState]):
    caller: Caller
    available: bool


# ---- chatbot_engine ------------------------------------------------------------------------


@contract("chatbot_engine.answer")
class ChatbotAnswer(Command[None]):
    """A button click on a bot step (a typed answer arrives as an ordinary message instead)."""

    caller: Caller
    conversation_id: ConversationId
    step_id: str = Field(min_length=1, max_length=64)
    answer_id: str = Field(min_length=1, max_length=64)


@contract("chatbot_engine.timers")
class ControlTimers(Command[None]):
    caller: Caller
    conversation_id: ConversationId
    action: Literal["pause", "resume", "stop"]


# ---- what a visitor's client sends back to an external bot (docs/bots.md) -------------------


@contract("chat_session.program_result")
class SubmitProgramResult(Command[None]):
    """The visitor's client answers a program action (bm-aichat ``M``); the bot gets a
    ``program.result`` event. Refused (9210) when ``seq`` is no bot's program action, or was answered."""

    caller: Caller
    result: ProgramResultData


@contract("chat_session.location")
class AttachLocation(Command[None]):
    """bm-aichat ``getLocation``: the visitor's client attaches where the visitor is; operators see
    it on the conversation and the conversation's external bot gets it (a ``visitor.status`` event)."""

    caller: Caller
    conversation_id: ConversationId
    location: VisitorLocation
