"""Client protocol frames: ``{"type": ..., "id": ..., "data": {...}}`` over the WebSocket.

Client frames are one discriminated union on ``type``; :data:`CLIENT_FRAME` validates a raw
frame into its model. Server frames are built with :func:`server_frame` from the data models
in :data:`SERVER_FRAME_DATA`, so what the gateway sends is exactly what docs/protocol.md
documents (its examples are validated against these models by the tests).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from pydantic import Field, StringConstraints, TypeAdapter, model_validator

from parley.contracts.agents import Controller, ProgramResultData, VisitorLocation
from parley.contracts.base import ClientKind, Model
from parley.contracts.bot import RobotStatus
from parley.contracts.bounded import MessageSeq, Seq
from parley.contracts.commands import History, MessageAccepted, SessionOpened, VisitorPage
from parley.contracts.messages import (
    ClientMsgId,
    ConversationId,
    Message,
    Role,
    SentActionBody,
    SentFileBody,
    TextBody,
    check_body_fits_kind,
)

FrameId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
ShortId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
# Paging size of history and resume: enough to fill a chat window, small enough for one frame.
MAX_PAGE = 200
# Conversations one auth frame may resume: an operator's console holds a few dozen at most.
MAX_RESUME_AT_AUTH = 100
# A rating's comment: a few sentences of feedback.
MAX_COMMENT_LENGTH = 2000
# The client protocol's version (docs/protocol.md). A change a client written for an older version
# would misread (a frame renamed, a field's meaning changed) makes a new version; adding frames
# or optional fields does not. A gateway speaks every version in SUPPORTED_PROTOCOLS, so clients
# of the previous version keep working through a rolling upgrade.
PROTOCOL_VERSION = 1
SUPPORTED_PROTOCOLS = (1,)


class Empty(Model):
    pass


class _ClientFrame(Model):
    id: FrameId | None = None


class AuthData(Model):
    token: Annotated[str, StringConstraints(min_length=1, max_length=4096)]
    client_kind: ClientKind = "web"
    # Resume positions given with the auth frame are replayed before any live message of those
    # conversations reaches the new connection (a later `resume` frame cannot promise that).
    resume: list[ResumeData] = Field(default_factory=list, max_length=MAX_RESUME_AT_AUTH)
    # The protocol version the client speaks; omitted: the newest the gateway speaks.
    protocol: int | None = Field(None, ge=1, le=1000)


class AuthFrame(_ClientFrame):
    type: Literal["auth"]
    data: AuthData


class PingFrame(_ClientFrame):
    type: Literal["ping"]
    data: Empty = Field(default_factory=Empty)


class SessionOpenData(VisitorPage):
    """The channel to chat on; beside it (VisitorPage's fields, flat), where the visitor chats
    from, recorded on the conversation it starts and shown to its operators."""

    channel_id: ShortId
    persist: bool = False

    def page(self) -> VisitorPage:
        return VisitorPage.model_validate(self.model_dump(include=set(VisitorPage.model_fields)))


class SessionOpenFrame(_ClientFrame):
    type: Literal["session.open"]
    data: SessionOpenData


class MessageSendData(Model):
    conversation_id: ConversationId
    client_msg_id: ClientMsgId
    kind: Literal["text", "action", "file"] = "text"
    body: TextBody | SentActionBody | SentFileBody

    @model_validator(mode="after")
    def _body_fits_kind(self) -> MessageSendData:
        check_body_fits_kind(self.kind, self.body)
        return self


class MessageSendFrame(_ClientFrame):
    type: Literal["message.send"]
    data: MessageSendData


class ConversationSeq(Model):
    conversation_id: ConversationId
    seq: Seq


class AckFrame(_ClientFrame):
    """bm-aichat ack: the client has received (not necessarily read) everything up to ``seq``."""

    type: Literal["ack"]
    data: ConversationSeq


class SeenFrame(_ClientFrame):
    """The member has read everything up to ``seq``; other members get ``member.seen``."""

    type: Literal["seen"]
    data: ConversationSeq


class TypingData(Model):
    conversation_id: ConversationId
    active: bool = True


class TypingFrame(_ClientFrame):
    type: Literal["typing"]
    data: TypingData


class StatusData(Model):
    """bm-aichat client status: ``online`` is "user online" (the bot greets when it is not online)."""

    status: Literal["online", "visible", "hidden"]
    conversation_id: ConversationId | None = None


class StatusFrame(_ClientFrame):
    type: Literal["status"]
    data: StatusData


class ResumeData(Model):
    """Every message of the conversation after ``after_seq``, in order, then live traffic."""

    conversation_id: ConversationId
    after_seq: Seq


class ResumeFrame(_ClientFrame):
    type: Literal["resume"]
    data: ResumeData


class HistoryData(Model):
    conversation_id: ConversationId
    before_seq: MessageSeq | None = None
    after_seq: Seq | None = None
    limit: int = Field(50, ge=1, le=MAX_PAGE)


class HistoryFrame(_ClientFrame):
    type: Literal["history.get"]
    data: HistoryData


class ChatbotAnswerData(Model):
    conversation_id: ConversationId
    step_id: ShortId
    answer_id: ShortId


class ChatbotAnswerFrame(_ClientFrame):
    type: Literal["chatbot.answer"]
    data: ChatbotAnswerData


class TimersData(Model):
    conversation_id: ConversationId
    action: Literal["pause", "resume", "stop"]


class TimersFrame(_ClientFrame):
    """Pause, resume or stop the bot's traffic-light idle timers of a conversation."""

    type: Literal["timers"]
    data: TimersData


class CloseData(Model):
    conversation_id: ConversationId


class CloseFrame(_ClientFrame):
    type: Literal["conversation.close"]
    data: CloseData


class RateData(Model):
    conversation_id: ConversationId
    rating: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=MAX_COMMENT_LENGTH)


class RateFrame(_ClientFrame):
    type: Literal["conversation.rate"]
    data: RateData


class AvailabilityData(Model):
    """An operator's manual toggle: available for new conversations, or busy."""

    available: bool


class AvailabilityFrame(_ClientFrame):
    type: Literal["operator.availability"]
    data: AvailabilityData


class ProgramResultFrame(_ClientFrame):
    """The answer to a bot's program action (the ``action`` message at ``seq``)."""

    type: Literal["program.result"]
    data: ProgramResultData


class ExpressionNoticeData(Model):
    """bm-aichat expression notice: the client rendered the expression at ``seq`` (``status`` 1)."""

    conversation_id: ConversationId
    seq: MessageSeq
    status: Literal[1] = 1


class ExpressionNoticeFrame(_ClientFrame):
    type: Literal["expression.notice"]
    data: ExpressionNoticeData


class LocationData(Model):
    conversation_id: ConversationId
    location: VisitorLocation


class LocationFrame(_ClientFrame):
    """bm-aichat ``getLocation``: where the visitor is, for the operators and the bot."""

    type: Literal["location"]
    data: LocationData


ClientFrame = Annotated[
    AuthFrame
    | PingFrame
    | SessionOpenFrame
    | MessageSendFrame
    | AckFrame
    | SeenFrame
    | TypingFrame
    | StatusFrame
    | ResumeFrame
    | HistoryFrame
    | ChatbotAnswerFrame
    | TimersFrame
    | CloseFrame
    | RateFrame
    | AvailabilityFrame
    | ProgramResultFrame
    | ExpressionNoticeFrame
    | LocationFrame,
    Field(discriminator="type"),
]
CLIENT_FRAME: TypeAdapter[ClientFrame] = TypeAdapter(ClientFrame)


# ---- server -> client ----------------------------------------------------------------------


class AuthOk(Model):
    uid: str
    uname: str
    role: Role
    connection_id: str
    heartbeat_timeout_seconds: float
    protocol: int = PROTOCOL_VERSION  # the version this connection speaks


class Pong(Model):
    pass


class ErrorData(Model):
    code: int
    message: str


class MessageNew(Model):
    conversation_id: str
    seq: int
    message: Message


class ConversationUpdated(Model):
    conversation_id: str
    channel_id: str
    member_ids: list[str]
    status: Literal["open", "queued", "closed"] = "open"
    operator_id: str | None = None
    reason: str = ""
    controller: Controller | None = Field(
        None, description="Who answers the visitor, for a conversation a bot serves (None: no bot, or not said)."
    )


class MemberSeen(Model):
    conversation_id: str
    user_id: str
    seq: int


class Typing(Model):
    conversation_id: str
    user_id: str
    name: str = ""
    active: bool
    ttl_seconds: int | None = Field(
        None, ge=1, description="A bot's typing: stop showing it after this long unless renewed."
    )


class MessageDelta(Model):
    """A piece of a bot's streamed reply (a draft). ``offset`` is how many characters of the draft
    precede ``text``: a client that has fewer has missed a piece and asks history (which gives
    open drafts) instead of showing a gap; one that has more ignores what it has already. The
    finished reply arrives as ``message.new`` whose ``client_msg_id`` is the ``draft_id``."""

    conversation_id: str
    draft_id: str
    author_id: str
    author_name: str = ""
    offset: int = Field(ge=0)
    text: str


class ResumeDone(Model):
    """Sent after the replayed messages of a ``resume``: everything up to ``last_seq`` was sent."""

    conversation_id: str
    last_seq: int


class QueuePosition(Model):
    conversation_id: str
    position: int = Field(ge=0, description="0: an operator has been assigned")
    estimated_wait_seconds: int = Field(ge=0)


class QueueChanged(Model):
    """A conversation joined or left the queue of one of the operator's channels (read it again:
    ``GET /channels/{channel_id}/queue``)."""

    channel_id: str
    waiting: int = Field(ge=0, description="Conversations now waiting in the channel's queue.")


class BotAnswer(Model):
    id: ShortId
    label: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class BotStep(Model):
    """The chatbot step now waiting for the visitor (answers are buttons; quick replies are chips)."""

    conversation_id: str
    step_id: str
    step_type: str
    text: str = ""
    answers: list[BotAnswer] = Field(default_factory=list)
    quick_replies: list[str] | None = Field(None, description="None: leave as they are; []: hide them")


class Kickoff(Model):
    """This connection was replaced by a newer login of the same user and client kind."""

    reason: str
    client_kind: ClientKind


class Notice(Model):
    level: Literal["info", "warning"]
    code: int | None = None
    text: str


class PresenceUpdate(Model):
    """A conversation partner came online, went away or offline (operators: or toggled available/busy)."""

    user_id: str
    status: Literal["online", "away", "offline"]
    available: bool | None = None


SERVER_FRAME_DATA: dict[str, type[Model]] = {
    "auth.ok": AuthOk,
    "pong": Pong,
    "error": ErrorData,
    "session.opened": SessionOpened,
    "message.accepted": MessageAccepted,
    "message.new": MessageNew,
    "conversation.updated": ConversationUpdated,
    "member.seen": MemberSeen,
    "typing": Typing,
    "history": History,
    "resume.done": ResumeDone,
    "message.delta": MessageDelta,
    "queue.position": QueuePosition,
    "queue.changed": QueueChanged,
    "robot.status": RobotStatus,
    "bot.step": BotStep,
    "kickoff": Kickoff,
    "notice": Notice,
    "presence": PresenceUpdate,
    "ok": Empty,
}


def server_frame(type_: str, data: Model | dict[str, Any], frame_id: str | None = None) -> bytes:
    """Serialise one server frame; ``frame_id`` echoes the id of the request it answers."""
    if type_ not in SERVER_FRAME_DATA:
        raise ValueError(f"undeclared server frame type {type_!r}")
    payload = data.model_dump(mode="json") if isinstance(data, Model) else data
    frame: dict[str, Any] = {"type": type_, "data": payload}
    if frame_id is not None:
        frame["id"] = frame_id
    return orjson.dumps(frame)
