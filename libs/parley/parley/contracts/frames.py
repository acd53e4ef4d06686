"""Client protocol frames: ``{"type": ..., "id": ..., "data": {...}}`` over the WebSocket.

Client frames are one discriminated union on ``type``; :data:`CLIENT_FRAME` validates a raw
frame into its model. Server frames are built with :func:`server_frame` from the data models
below, so what the gateway sends is exactly what docs/protocol.md documents.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from pydantic import Field, StringConstraints, TypeAdapter

from parley.contracts.base import Model
from parley.contracts.commands import MessageAccepted, SessionOpened
from parley.contracts.messages import ActionBody, ClientMsgId, ConversationId, Message, Role, TextBody

FrameId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class Empty(Model):
    pass


class _ClientFrame(Model):
    id: FrameId | None = None


class AuthData(Model):
    token: Annotated[str, StringConstraints(min_length=1, max_length=4096)]
    client_kind: Literal["web", "mobile", "console", "api"] = "web"


class AuthFrame(_ClientFrame):
    type: Literal["auth"]
    data: AuthData


class PingFrame(_ClientFrame):
    type: Literal["ping"]
    data: Empty = Field(default_factory=Empty)


class SessionOpenData(Model):
    channel_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    persist: bool = False


class SessionOpenFrame(_ClientFrame):
    type: Literal["session.open"]
    data: SessionOpenData


class MessageSendData(Model):
    conversation_id: ConversationId
    client_msg_id: ClientMsgId
    kind: Literal["text", "action"] = "text"
    body: TextBody | ActionBody


class MessageSendFrame(_ClientFrame):
    type: Literal["message.send"]
    data: MessageSendData


ClientFrame = Annotated[
    AuthFrame | PingFrame | SessionOpenFrame | MessageSendFrame,
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
    status: Literal["open", "closed"] = "open"


SERVER_FRAME_DATA: dict[str, type[Model]] = {
    "conversation.updated": ConversationUpdated,
    "auth.ok": AuthOk,
    "pong": Pong,
    "error": ErrorData,
    "session.opened": SessionOpened,
    "message.accepted": MessageAccepted,
    "message.new": MessageNew,
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
