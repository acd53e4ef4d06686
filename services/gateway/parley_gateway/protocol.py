"""Client frames in, server frames out: one handler per frame type.

Every frame gets an answer: the reply to a request carries the request's ``id``, and a frame
that cannot be read or is refused gets an ``error`` frame with a code. Nothing a client sends
can crash the connection's handler.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import ValidationError

from parley.bus import Bus
from parley.contracts.base import new_id
from parley.contracts.commands import Caller, MessageAccepted, OpenSession, SendMessage, SessionOpened
from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.frames import (
    CLIENT_FRAME,
    AuthFrame,
    ErrorData,
    MessageSendFrame,
    PingFrame,
    Pong,
    SessionOpenFrame,
    server_frame,
)
from parley.logs import bind_context, get_logger
from parley_gateway import metrics
from parley_gateway.connections import Connection

log = get_logger("parley.gateway")


class Protocol:
    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    async def handle(self, connection: Connection, raw: str | bytes) -> None:
        """Answer one client frame."""
        frame_id = _frame_id(raw)
        try:
            frame = CLIENT_FRAME.validate_json(raw)
        except ValidationError as error:
            metrics.FRAMES_IN.labels("invalid").inc()
            await send_error(connection, ErrorCode.INVALID_FRAME, _describe(error), frame_id)
            return
        metrics.FRAMES_IN.labels(frame.type).inc()
        trace_id = new_id()
        with bind_context(trace_id=trace_id, user_id=connection.user_id, frame_type=frame.type):
            try:
                await self._dispatch(connection, frame, trace_id)
            except ParleyError as error:
                if error.code in (ErrorCode.NOT_A_MEMBER, ErrorCode.UNKNOWN_CONVERSATION):
                    log.warning("gateway.access_refused", code=int(error.code), reason=error.message)
                await send_error(connection, error.code, error.message, frame.id)
            except Exception:
                log.exception("gateway.frame_failed")
                await send_error(connection, ErrorCode.INTERNAL, "internal error", frame.id)

    async def _dispatch(self, connection: Connection, frame: Any, trace_id: str) -> None:
        caller = Caller(user_id=connection.user_id, role=connection.claims.role, name=connection.claims.name)
        match frame:
            case PingFrame():
                await connection.send("pong", server_frame("pong", Pong(), frame.id).decode())
            case AuthFrame():
                raise ParleyError(ErrorCode.BAD_ARGUMENT, "this connection is already authenticated")
            case SessionOpenFrame():
                reply = await self.bus.request(
                    OpenSession(caller=caller, channel_id=frame.data.channel_id), trace_id=trace_id
                )
                opened = SessionOpened.model_validate(reply)
                await connection.send("session.opened", server_frame("session.opened", opened, frame.id).decode())
            case MessageSendFrame():
                data = frame.data
                reply = await self.bus.request(
                    SendMessage(
                        caller=caller,
                        conversation_id=data.conversation_id,
                        client_msg_id=data.client_msg_id,
                        kind=data.kind,
                        body=data.body,
                    ),
                    trace_id=trace_id,
                )
                accepted = MessageAccepted.model_validate(reply)
                await connection.send("message.accepted", server_frame("message.accepted", accepted, frame.id).decode())
            case _:
                # Declared in the contracts (docs/protocol.md) but not served by this gateway yet.
                raise ParleyError(ErrorCode.BAD_ARGUMENT, f"{frame.type} is not supported yet")


async def send_error(connection: Connection, code: ErrorCode, message: str, frame_id: str | None) -> None:
    metrics.ERRORS.labels(str(int(code))).inc()
    payload = server_frame("error", ErrorData(code=int(code), message=message), frame_id).decode()
    await connection.send("error", payload)


def _frame_id(raw: str | bytes) -> str | None:
    """The request id of a frame, if one can be read, so even a refused frame's error is matched."""
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    frame_id = parsed.get("id") if isinstance(parsed, dict) else None
    return frame_id if isinstance(frame_id, str) and len(frame_id) <= 64 else None


def _describe(error: ValidationError) -> str:
    problems = [f"{'.'.join(map(str, e['loc'])) or 'frame'}: {e['msg']}" for e in error.errors()[:5]]
    return "invalid frame: " + "; ".join(problems)
