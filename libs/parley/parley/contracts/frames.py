"""Client protocol frames: ``{"type": ..., "id": ..., "data": {...}}`` over the WebSocket.

Client frames are one discriminated union on ``type``; :data:`CLIENT_FRAME` validates a raw
frame into its model. Server frames are another, :data:`ServerFrame`: every service that sends
one builds its model and writes :func:`encode`'s text, so what a client receives is exactly what
docs/protocol.md documents (its examples are validated against these models by the tests).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

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


class _ServerFrame(Model):
    """A frame the server sends; ``id`` echoes the id of the client frame it answers."""

    id: FrameId | None = None


class AuthOkFrame(_ServerFrame):
    type: Literal["auth.ok"] = "auth.ok"
    data: AuthOk


class PongFrame(_ServerFrame):
    type: Literal["pong"] = "pong"
    data: Pong = Pong()


class ErrorFrame(_ServerFrame):
    type: Literal["error"] = "error"
    data: ErrorData


class SessionOpenedFrame(_ServerFrame):
    type: Literal["session.opened"] = "session.opened"
    data: SessionOpened


class MessageAcceptedFrame(_ServerFrame):
    type: Literal["message.accepted"] = "message.accepted"
    data: MessageAccepted


class MessageNewFrame(_ServerFrame):
    type: Literal["message.new"] = "message.new"
    data: MessageNew


class ConversationUpdatedFrame(_ServerFrame):
    type: Literal["conversation.updated"] = "conversation.updated"
    data: ConversationUpdated


class MemberSeenFrame(_ServerFrame):
    type: Literal["member.seen"] = "member.seen"
    data: MemberSeen


class OthersTypingFrame(_ServerFrame):
    """``typing`` relayed to the other members (the client's own is :class:`TypingFrame`)."""

    type: Literal["typing"] = "typing"
    data: Typing


class HistoryPageFrame(_ServerFrame):
    """``history``: the page answering a client's :class:`HistoryFrame`."""

    type: Literal["history"] = "history"
    data: History


class ResumeDoneFrame(_ServerFrame):
    type: Literal["resume.done"] = "resume.done"
    data: ResumeDone


class MessageDeltaFrame(_ServerFrame):
    type: Literal["message.delta"] = "message.delta"
    data: MessageDelta


class QueuePositionFrame(_ServerFrame):
    type: Literal["queue.position"] = "queue.position"
    data: QueuePosition


class QueueChangedFrame(_ServerFrame):
    type: Literal["queue.changed"] = "queue.changed"
    data: QueueChanged


class RobotStatusFrame(_ServerFrame):
    type: Literal["robot.status"] = "robot.status"
    data: RobotStatus


class BotStepFrame(_ServerFrame):
    type: Literal["bot.step"] = "bot.step"
    data: BotStep


class KickoffFrame(_ServerFrame):
    type: Literal["kickoff"] = "kickoff"
    data: Kickoff


class NoticeFrame(_ServerFrame):
    type: Literal["notice"] = "notice"
    data: Notice


class PresenceFrame(_ServerFrame):
    type: Literal["presence"] = "presence"
    data: PresenceUpdate


class OkFrame(_ServerFrame):
    type: Literal["ok"] = "ok"
    data: Empty = Empty()


ServerFrame = Annotated[
    AuthOkFrame
    | PongFrame
    | ErrorFrame
    | SessionOpenedFrame
    | MessageAcceptedFrame
    | MessageNewFrame
    | ConversationUpdatedFrame
    | MemberSeenFrame
    | OthersTypingFrame
    | HistoryPageFrame
    | ResumeDoneFrame
    | MessageDeltaFrame
    | QueuePositionFrame
    | QueueChangedFrame
    | RobotStatusFrame
    | BotStepFrame
    | KickoffFrame
    | NoticeFrame
    | PresenceFrame
    | OkFrame,
    Field(discriminator="type"),
]
SERVER_FRAME: TypeAdapter[ServerFrame] = TypeAdapter(ServerFrame)
# Each server frame type's model and its data's, for the docs' tests and generated tables.
SERVER_FRAMES: dict[str, type[_ServerFrame]] = {
    frame.model_fields["type"].default: frame for frame in get_args(get_args(ServerFrame)[0])
}
SERVER_FRAME_DATA: dict[str, type[Model]] = {
    frame_type: frame.model_fields["data"].annotation  # type: ignore[misc]
    for frame_type, frame in SERVER_FRAMES.items()
}


def encode(frame: ServerFrame) -> str:
    """A server frame's JSON text as written to a socket: ``id`` only when it answers a client frame."""
    payload: dict[str, Any] = {"type": frame.type, "data": frame.data.model_dump(mode="json")}
    if frame.id is not None:
        payload["id"] = frame.id
    return orjson.dumps(payload).decode()


def conversation_of(frame: ServerFrame) -> str | None:
    """The conversation a frame is about (None: a frame about no one conversation)."""
    conversation_id = getattr(frame.data, "conversation_id", None)
    return conversation_id if isinstance(conversation_id, str) else None
