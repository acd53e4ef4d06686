"""What an external bot (an agent) asks of a conversation, as bus commands chat_session answers (issue 20).

The integrations service turns each call of the bot-facing REST API (docs/bots.md) into one of
these commands, after checking the bot's conversation-scoped token: ``bot_id`` is the bot the
token was issued to, never a value the bot chose. chat_session checks that the bot is a member of
the conversation (as ``agent_<bot_id>``) and, for everything but typing, that it controls it.

Every command carries an ``idempotency_key`` the bot chose: the same key sent again (a retry after
a timeout) answers what the first one did, with ``duplicate`` true, and re-publishes what the
first one published (docs/bots.md, "Idempotency"). A key is one command's: the same key on another
kind of command, or on another conversation, is refused (9208).

A conversation served by a bot has a **controller** apart from its status: ``bot`` (the bot
answers), ``queued`` (handed off, waiting for an operator), ``human`` (an operator holds it; the
bot gets none of the visitor's messages and may not post), ``closed``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from parley.contracts.base import Command, Contract, Model, contract
from parley.contracts.bot import BotClass, BotContent, ClassAliased
from parley.contracts.bounded import MessageSeq, StorableObject
from parley.contracts.messages import ConversationId, Message

Controller = Literal["bot", "queued", "human", "closed"]

# An external bot's member id is ``agent_<bot_id>`` (a scripted bot's is ``bot_<script_id>``):
# any service tells the two apart, and the id fits a UserId (64 characters, no '.' or '$').
AGENT_ID_PREFIX = "agent_"
BotId = Annotated[str, StringConstraints(min_length=1, max_length=58, pattern=r"^[A-Za-z0-9_-]+$")]
# Chosen by the bot, stored in a unique index beside the conversation: short and printable.
IdempotencyKey = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
# chat_session makes draft ids (``draft:`` and hex); the finished message's client_msg_id is its draft id.
DraftId = Annotated[str, StringConstraints(min_length=7, max_length=64, pattern=r"^draft:[0-9a-f]+$")]

# One delta: a fast model's token batch is a few dozen characters; 2000 holds a paragraph.
MAX_DELTA_LENGTH = 2000
# A draft becomes one text message: the same limit as a message's text (messages.MAX_TEXT_LENGTH).
MAX_DRAFT_LENGTH = 4000
# How long the visitor may see "typing" from one call: a slow bot renews it rather than hold it forever.
MAX_TYPING_TTL_SECONDS = 60


def agent_user_id(bot_id: str) -> str:
    """The member id an external bot posts under."""
    return f"{AGENT_ID_PREFIX}{bot_id}"


def agent_bot_id(user_id: str) -> str | None:
    """The bot id of an external bot's member id, or None for anyone else."""
    return user_id.removeprefix(AGENT_ID_PREFIX) if user_id.startswith(AGENT_ID_PREFIX) else None


class _AgentCommand(Model):
    """Fields every agents command carries (mixed into each ``Command[...]``)."""

    bot_id: BotId = Field(description="The bot the API token was issued to (set by the integrations service).")
    conversation_id: ConversationId
    idempotency_key: IdempotencyKey


# ---- results ----------------------------------------------------------------------------------


class AgentPosted(Model):
    """The stored message a post, a program action or a finished draft made."""

    message: Message
    duplicate: bool = Field(False, description="This idempotency key was used before: the original is returned.")


class DraftState(Model):
    draft_id: str
    conversation_id: str
    length: int = Field(ge=0, description="Characters in the draft so far.")
    next_index: int = Field(ge=0, description="The index the next delta must carry.")
    duplicate: bool = False


class ControlState(Model):
    """Who controls the conversation after a hand-off or a take-back."""

    conversation_id: str
    controller: Controller
    operator_id: str | None = None
    queue_position: int | None = Field(None, ge=0, description="When queued: place in the channel's queue.")
    duplicate: bool = False


# ---- commands -----------------------------------------------------------------------------------


@contract("agents.post_message")
class AgentPostMessage(_AgentCommand, Command[AgentPosted]):
    """Post one rich message (any :data:`BotContent` kind; ``rich_text`` is sanitised before it is stored)."""

    content: BotContent


@contract("agents.program_action")
class AgentProgramAction(_AgentCommand, Command[AgentPosted]):
    """bm-aichat ``M``: ask the visitor's client to do something. Stored as an ``action`` message;
    the client answers with a ``program.result`` frame naming its seq, which reaches the bot as a
    ``program.result`` event."""

    meaning: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    params: StorableObject = Field(default_factory=dict)


@contract("agents.draft_open")
class AgentOpenDraft(_AgentCommand, Command[DraftState]):
    """Start a streamed reply: members see ``message.delta`` frames until it is finished."""

    message_class: BotClass = Field("answer", description="The finished message's class.")
    text: Annotated[str, StringConstraints(max_length=MAX_DELTA_LENGTH)] = Field(
        "", description="The first delta, if the bot has one already."
    )


@contract("agents.draft_append")
class AgentAppendDraft(_AgentCommand, Command[DraftState]):
    """Append one delta. ``index`` is the delta's place among the appends (0, 1, 2, ...: the
    ``next_index`` of the previous answer): an index already applied is a duplicate, a later one
    is refused (9204), so deltas are never reordered or lost."""

    draft_id: DraftId
    index: int = Field(ge=0, le=100_000)
    delta: Annotated[str, StringConstraints(min_length=1, max_length=MAX_DELTA_LENGTH)]


@contract("agents.draft_finish")
class AgentFinishDraft(_AgentCommand, Command[AgentPosted]):
    """Store the draft as one text message (its ``client_msg_id`` is the draft id) and end the stream."""

    draft_id: DraftId


@contract("agents.typing")
class AgentTyping(_AgentCommand, Command[None]):
    """Show (or stop showing) the bot typing; it stops by itself after ``ttl_seconds``."""

    active: bool = True
    ttl_seconds: int = Field(15, ge=1, le=MAX_TYPING_TTL_SECONDS)


@contract("agents.handoff")
class AgentHandoff(_AgentCommand, Command[ControlState]):
    """Give the conversation to a human: an operator is assigned, or it waits in the channel's
    queue (the visitor is told the bot's hand-off text). The bot then gets none of the visitor's
    messages until it takes the conversation back."""

    reason: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    summary: Annotated[str, StringConstraints(max_length=2000)] = Field(
        "", description="Shown to the operator who picks the conversation up."
    )


@contract("agents.take_back")
class AgentTakeBack(_AgentCommand, Command[ControlState]):
    """Control the conversation again: allowed while it is queued (no operator took it yet) or
    after the operator released it; refused while an operator holds it (9209)."""


# ---- what the integrations service reports --------------------------------------------------


@contract("integrations.bot_failed")
class BotFailed(Contract):
    """The integrations service gave up delivering an event to a bot (its retries ran out, or its
    circuit is open): chat_session applies the bot's failure policy to the conversation."""

    bot_id: str = Field(max_length=200)
    conversation_id: str = Field(max_length=200)
    event_id: str = Field(max_length=200, description="The OutboundEvent whose delivery failed.")
    reason: Literal["unreachable", "timeout", "refused", "circuit_open"]
    detail: str = Field("", max_length=1000)
    occurred_at: datetime


# ---- what clients send and see -----------------------------------------------------------------


class VisitorLocation(Model):
    """bm-aichat ``getLocation``: the device's position and the address parts it resolved."""

    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    accuracy_m: float | None = Field(None, ge=0, le=1_000_000)
    country: Annotated[str, StringConstraints(max_length=100)] = ""
    province: Annotated[str, StringConstraints(max_length=100)] = ""
    city: Annotated[str, StringConstraints(max_length=100)] = ""
    district: Annotated[str, StringConstraints(max_length=100)] = ""
    street: Annotated[str, StringConstraints(max_length=200)] = ""
    name: Annotated[str, StringConstraints(max_length=200)] = Field("", description="A place name, if any.")


class DraftSnapshot(ClassAliased):
    """An open draft as history and resume give it: its text so far (then ``message.delta`` frames)."""

    draft_id: str
    conversation_id: str
    author_id: str
    author_name: str = ""
    message_class: BotClass = Field(alias="class")
    text: str
    next_index: int = Field(ge=0)
    opened_at: datetime


class ProgramResultData(Model):
    """The client's answer to a program action (the ``action`` message at ``seq``)."""

    conversation_id: ConversationId
    seq: MessageSeq
    status: Literal["done", "failed", "refused"] = "done"
    result: StorableObject = Field(default_factory=dict)
