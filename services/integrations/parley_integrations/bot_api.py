"""The bot-facing REST API (docs/bots.md, "The REST API"): what an external bot calls, with the
reply token of the conversation's newest webhook and an ``Idempotency-Key``. Each call becomes one
agents command (parley.contracts.agents) that chat_session answers; the answer is returned as is.

The bot is the token's: the path's conversation must be the token's, and the bot must still be
registered and active (refused 9101 otherwise). What chat_session refuses (not in control,
unknown draft, a reused key...) comes back with its code (9201-9210, docs/protocol.md).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from pydantic import Field, StringConstraints, ValidationError

from parley.bus import Bus
from parley.contracts.agents import (
    MAX_DELTA_LENGTH,
    MAX_TYPING_TTL_SECONDS,
    AgentAppendDraft,
    AgentFinishDraft,
    AgentHandoff,
    AgentOpenDraft,
    AgentPosted,
    AgentPostMessage,
    AgentProgramAction,
    AgentTakeBack,
    AgentTyping,
    ControlState,
    DraftState,
)
from parley.contracts.base import Model
from parley.contracts.bot import BotClass, BotContent
from parley.contracts.bounded import StorableObject
from parley.contracts.errors import ErrorCode, ParleyError
from parley.http import validation_problems
from parley.http_api import Call, Endpoint, roles
from parley_integrations.registry import Registry

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
BOT = roles("bot", rule="the bot of the reply token, for its conversation only", check="bot_of_conversation")
PREFIX = "/bot/v1/conversations/{conversation_id}"


class PostMessage(Model):
    content: BotContent = Field(description="Any bot content kind (docs/protocol.md, bot messages).")


class ProgramAction(Model):
    meaning: Annotated[str, StringConstraints(min_length=1, max_length=100)] = Field(
        description="What the client should do (bm-aichat `M`), e.g. getLocation."
    )
    params: StorableObject = Field(default_factory=dict)


class OpenDraft(Model):
    message_class: BotClass = Field("answer", description="The finished message's class.")
    text: Annotated[str, StringConstraints(max_length=MAX_DELTA_LENGTH)] = Field("", description="A first delta.")


class AppendDelta(Model):
    index: int = Field(ge=0, le=100_000, description="0 for the first append, then the answer's next_index.")
    delta: Annotated[str, StringConstraints(min_length=1, max_length=MAX_DELTA_LENGTH)]


class Typing(Model):
    active: bool = True
    ttl_seconds: int = Field(15, ge=1, le=MAX_TYPING_TTL_SECONDS)


class Handoff(Model):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    summary: Annotated[str, StringConstraints(max_length=2000)] = Field("", description="For the operator.")


IDEMPOTENCY = (
    "Needs an `Idempotency-Key` header (1-64 characters of `A-Z a-z 0-9 _ . : -`, else 400 code 9105): the same "
    "key again answers what the first call did (`duplicate: true`), never a second post."
)
REFUSALS = "chat_session's refusals come back with their code: 9201-9210 (docs/bots.md)."


def _bot_endpoint(
    path: str, handler: str, summary: str, body: type[Model] | None, response: type[Model] | None, status: int = 200
) -> Endpoint:
    return Endpoint(
        "POST",
        PREFIX + path,
        handler,
        summary,
        BOT,
        tag="bot api",
        body=body,
        response=response,
        status=status,
        extra_statuses=(409, 503),
        description=f"{IDEMPOTENCY} {REFUSALS}",
    )


BOT_ENDPOINTS = [
    _bot_endpoint("/messages", "bot_post", "Post a rich message", PostMessage, AgentPosted),
    _bot_endpoint("/actions", "bot_action", "Ask the visitor's client to do something", ProgramAction, AgentPosted),
    _bot_endpoint("/drafts", "bot_open_draft", "Open a streamed reply", OpenDraft, DraftState),
    _bot_endpoint("/drafts/{draft_id}/deltas", "bot_append", "Append a delta to a draft", AppendDelta, DraftState),
    _bot_endpoint("/drafts/{draft_id}/finish", "bot_finish", "Store the draft as one message", None, AgentPosted),
    _bot_endpoint("/typing", "bot_typing", "Show (or stop) the bot typing", Typing, None, status=204),
    _bot_endpoint("/handoff", "bot_handoff", "Hand the conversation to a person", Handoff, ControlState),
    _bot_endpoint("/take-back", "bot_take_back", "Control the conversation again", None, ControlState),
]


def _body_fields(body: Model | None) -> dict[str, Any]:
    return {} if body is None else {name: getattr(body, name) for name in type(body).model_fields}


class BotApi:
    def __init__(self, bots: Registry, bus: Bus) -> None:
        self.bots = bots
        self.bus = bus

    async def bot_of_conversation(self, call: Call) -> None:
        """The token's conversation is the path's, and its bot is still registered and active."""
        if call.param("conversation_id") != call.user.sid:
            raise ParleyError(ErrorCode.NOT_A_MEMBER, "this reply token is for another conversation")
        document = await self.bots.collection.find_one({"_id": call.user.sub}, {"active": 1})
        if document is None or not document.get("active"):
            raise ParleyError(ErrorCode.NOT_A_MEMBER, "this bot is no longer registered or active")

    def _fields(self, call: Call, *, key_required: bool = True, **extra: Any) -> dict[str, Any]:
        """The command's fields: the bot and conversation of the token, the key, the body."""
        key = call.request.headers.get(IDEMPOTENCY_HEADER)
        if key is None and not key_required:
            key = f"typing-{uuid.uuid4().hex}"
        if key is None or not IDEMPOTENCY_KEY.match(key):
            raise ParleyError(ErrorCode.BAD_ARGUMENT, f"{IDEMPOTENCY_HEADER}: 1-64 characters of A-Z a-z 0-9 _ . : -")
        common = {"bot_id": call.user.sub, "conversation_id": call.param("conversation_id"), "idempotency_key": key}
        return {**common, **_body_fields(call.body), **extra}

    async def bot_post(self, call: Call) -> AgentPosted:
        with _path_checked():
            command = AgentPostMessage(**self._fields(call))
        return await self.bus.request(command)

    async def bot_action(self, call: Call) -> AgentPosted:
        with _path_checked():
            command = AgentProgramAction(**self._fields(call))
        return await self.bus.request(command)

    async def bot_open_draft(self, call: Call) -> DraftState:
        with _path_checked():
            command = AgentOpenDraft(**self._fields(call))
        return await self.bus.request(command)

    async def bot_append(self, call: Call) -> DraftState:
        with _path_checked():
            command = AgentAppendDraft(**self._fields(call, draft_id=call.param("draft_id")))
        return await self.bus.request(command)

    async def bot_finish(self, call: Call) -> AgentPosted:
        with _path_checked():
            command = AgentFinishDraft(**self._fields(call, draft_id=call.param("draft_id")))
        return await self.bus.request(command)

    async def bot_typing(self, call: Call) -> None:
        with _path_checked():
            command = AgentTyping(**self._fields(call, key_required=False))
        await self.bus.request(command)

    async def bot_handoff(self, call: Call) -> ControlState:
        with _path_checked():
            command = AgentHandoff(**self._fields(call))
        return await self.bus.request(command)

    async def bot_take_back(self, call: Call) -> ControlState:
        with _path_checked():
            command = AgentTakeBack(**self._fields(call))
        return await self.bus.request(command)


@contextmanager
def _path_checked() -> Iterator[None]:
    """A path parameter the command refuses (a malformed draft id) is a bad argument, not a 500."""
    try:
        yield
    except ValidationError as error:
        raise ParleyError(ErrorCode.BAD_ARGUMENT, validation_problems(error)) from None
