"""Client frames in, server frames out: one answer per frame.

A request (a frame with an ``id``) is answered with a frame carrying that id: its result, ``ok``,
or an ``error``. A frame without an id gets an ``error`` when refused and nothing otherwise
(``ping`` still gets its ``pong``). Nothing a client sends can crash the connection's handler:
an unexpected failure is logged and answered with 9500.
"""

from __future__ import annotations

import time
from typing import Any

from parley.bus import Bus
from parley.command_streams import StreamRequests
from parley.contracts.base import Command, new_id
from parley.contracts.commands import (
    AttachLocation,
    Caller,
    ChatbotAnswer,
    CloseConversation,
    ControlTimers,
    GetHistory,
    MarkSeen,
    OpenSession,
    RateConversation,
    SendMessage,
    SessionOpened,
    SetAvailability,
    SetTyping,
    SubmitProgramResult,
)
from parley.contracts.errors import CloseCode, ErrorCode, ParleyError
from parley.contracts.events import ClientStatusChanged, Heartbeats
from parley.contracts.frames import (
    AckFrame,
    AuthFrame,
    AuthOk,
    AuthOkFrame,
    AvailabilityFrame,
    ChatbotAnswerFrame,
    CloseFrame,
    ExpressionNoticeFrame,
    HistoryFrame,
    HistoryPageFrame,
    LocationFrame,
    MessageAcceptedFrame,
    MessageSendFrame,
    OkFrame,
    PingFrame,
    PongFrame,
    ProgramResultFrame,
    RateFrame,
    ResumeDone,
    ResumeDoneFrame,
    ResumeFrame,
    SeenFrame,
    ServerFrame,
    SessionOpenedFrame,
    SessionOpenFrame,
    StatusFrame,
    TimersFrame,
    TypingFrame,
    encode,
)
from parley.logs import bind_context, get_logger
from parley.tokens import caller_of
from parley_gateway import metrics
from parley_gateway.activity import ActivityReports
from parley_gateway.authentication import Authenticator
from parley_gateway.connections import Connection
from parley_gateway.limits import Flooding, FrameLimits, FrameRefused
from parley_gateway.maintenance import Maintenance
from parley_gateway.positions import PositionCheck
from parley_gateway.settings import GatewaySettings
from parley_gateway.streams import OrderedDelivery

log = get_logger("parley.gateway")
# Refusals worth a log line: someone reaching for a conversation that is not theirs.
ACCESS_REFUSALS = (ErrorCode.NOT_A_MEMBER, ErrorCode.UNKNOWN_CONVERSATION)


def reply(connection: Connection, frame: ServerFrame) -> None:
    connection.send(frame.type, encode(frame))


def forwarded_command(frame: Any, caller: Caller) -> Command[Any] | None:
    """The bus command a fire-and-answer-ok frame becomes (None: not one of those)."""
    match frame:
        case AckFrame() | SeenFrame():
            data = frame.data
            return MarkSeen(
                caller=caller,
                conversation_id=data.conversation_id,
                seq=data.seq,
                delivered_only=isinstance(frame, AckFrame),
            )
        case TypingFrame():
            return SetTyping(caller=caller, conversation_id=frame.data.conversation_id, active=frame.data.active)
        case CloseFrame():
            return CloseConversation(caller=caller, conversation_id=frame.data.conversation_id)
        case RateFrame():
            return RateConversation(caller=caller, **frame.data.model_dump())
        case AvailabilityFrame():
            if caller.role not in ("operator", "admin"):
                raise ParleyError(ErrorCode.BAD_ARGUMENT, "only operators have an availability")
            return SetAvailability(caller=caller, available=frame.data.available)
        case ChatbotAnswerFrame():
            return ChatbotAnswer(caller=caller, **frame.data.model_dump())
        case TimersFrame():
            return ControlTimers(caller=caller, **frame.data.model_dump())
        case ExpressionNoticeFrame():
            # bm-aichat's expression notice says the client rendered the expression: a delivery ack.
            notice = frame.data
            return MarkSeen(caller=caller, conversation_id=notice.conversation_id, seq=notice.seq, delivered_only=True)
        case ProgramResultFrame():
            return SubmitProgramResult(caller=caller, result=frame.data)
        case LocationFrame():
            return AttachLocation(caller=caller, **frame.data.model_dump())
    return None


def is_activity(frame: Any) -> bool:
    """Whether the frame is the user doing something (presence's away clock): a message, a
    read receipt, typing. A delivery ack is the client's, not the user's."""
    match frame:
        case MessageSendFrame() | SeenFrame():
            return True
        case TypingFrame():
            return frame.data.active
    return False


class Protocol:
    def __init__(
        self,
        settings: GatewaySettings,
        bus: Bus,
        limits: FrameLimits,
        authenticator: Authenticator,
        delivery: OrderedDelivery,
        positions: PositionCheck,
        maintenance: Maintenance,
        activity: ActivityReports,
        sends: StreamRequests,
    ) -> None:
        self.settings = settings
        self.bus = bus
        # message.send goes to chat_session over its Redis command stream, not the bus: the one
        # command of every chat message (parley.command_streams, docs/delivery.md).
        self.sends = sends
        self.limits = limits
        self.authenticator = authenticator
        self.delivery = delivery
        self.positions = positions
        self.maintenance = maintenance
        self.activity = activity

    async def handle(self, connection: Connection, raw: str | bytes, quiet_seconds: float = 0.0) -> None:
        """Answer one client frame (``quiet_seconds``: how long the client was silent before it)."""
        try:
            frame = await self.limits.read(connection, raw, quiet_seconds)
        except Flooding:
            log.warning("gateway.flooding", connection_id=connection.id, user_id=connection.user_id)
            connection.send_error(ErrorCode.RATE_LIMITED, "rate limits ignored for too long: closing")
            connection.close(CloseCode.POLICY, "flooding")
            return
        except FrameRefused as refused:
            metrics.FRAMES_IN.labels("invalid" if refused.code == ErrorCode.INVALID_FRAME else "refused").inc()
            connection.send_error(refused.code, refused.message, refused.frame_id)
            return
        except Exception:
            log.exception("gateway.frame_failed", stage="read")
            connection.send_error(ErrorCode.INTERNAL, "internal error")
            return
        metrics.FRAMES_IN.labels(frame.type).inc()
        if isinstance(frame, PingFrame):  # the most frequent frame: answered without the rest
            reply(connection, PongFrame(id=frame.id))
            return
        if self.maintenance.message is not None:
            connection.send_error(ErrorCode.MAINTENANCE, self.maintenance.message, frame.id)
            return
        trace_id = new_id()
        with bind_context(trace_id=trace_id, user_id=connection.user_id, frame_type=frame.type):
            try:
                await self._dispatch(connection, frame, trace_id)
                if is_activity(frame):
                    await self._report_activity(connection, trace_id)
            except ParleyError as error:
                if error.code in ACCESS_REFUSALS:
                    conversation_id = getattr(frame.data, "conversation_id", None)
                    log.warning(
                        "gateway.access_refused",
                        code=int(error.code),
                        reason=error.message,
                        conversation_id=conversation_id,
                    )
                connection.send_error(error.code, error.message, frame.id)
            except Exception:
                log.exception("gateway.frame_failed")
                connection.send_error(ErrorCode.INTERNAL, "internal error", frame.id)

    async def _open_session(
        self, connection: Connection, caller: Caller, frame: SessionOpenFrame, trace_id: str
    ) -> SessionOpened | None:
        """The session, or None when the page's origin is not one the channel allows: a page that
        embeds another site's channel is told (9114) and its socket closed (4011), not served.
        Counted as error 9114 and close 4011 (not a refusal before auth.ok)."""
        data = frame.data
        command = OpenSession(caller=caller, channel_id=data.channel_id, origin=connection.origin, page=data.page())
        try:
            return await self.bus.request(command, trace_id=trace_id)
        except ParleyError as error:
            if error.code != ErrorCode.ORIGIN_NOT_ALLOWED:
                raise
            log.warning("gateway.channel_origin_refused", channel_id=frame.data.channel_id, origin=connection.origin)
            connection.send_error(error.code, error.message, frame.id)
            connection.close(CloseCode.ORIGIN_NOT_ALLOWED, "origin not allowed for this channel")
            return None

    async def _dispatch(self, connection: Connection, frame: Any, trace_id: str) -> None:
        claims = connection.claims
        caller = caller_of(claims)
        command = forwarded_command(frame, caller)
        if command is not None:
            await self.bus.request(command, trace_id=trace_id)
            if frame.id is not None:
                reply(connection, OkFrame(id=frame.id))
            return
        match frame:
            case AuthFrame():
                await self._reauthenticate(connection, frame)
            case SessionOpenFrame():
                session = await self._open_session(connection, caller, frame, trace_id)
                if session is None:
                    return
                # Followed from here, so even its first message.new is caught up if lost.
                self.delivery.track(connection, session.conversation_id, session.last_seq)
                reply(connection, SessionOpenedFrame(data=session, id=frame.id))
            case MessageSendFrame():
                accepted = await self.sends.request(
                    SendMessage(caller=caller, **frame.data.model_dump()), trace_id=trace_id
                )
                if accepted.message is not None:  # its own message.new comes back too: followed like any
                    self.delivery.track(connection, accepted.message.conversation_id, accepted.message.seq - 1)
                reply(connection, MessageAcceptedFrame(data=accepted, id=frame.id))
            case ResumeFrame():
                await self.resume(connection, frame.data.conversation_id, frame.data.after_seq, frame.id)
                await self.positions.tell_current(connection, [frame.data.conversation_id])
            case HistoryFrame():
                page = await self.bus.request(GetHistory(caller=caller, **frame.data.model_dump()), trace_id=trace_id)
                reply(connection, HistoryPageFrame(data=page, id=frame.id))
            case StatusFrame():
                await self.bus.publish_event(
                    ClientStatusChanged(
                        connection_id=connection.id,
                        node=self.settings.node_id,
                        user_id=connection.user_id,
                        status=frame.data.status,
                        conversation_id=frame.data.conversation_id,
                    ),
                    trace_id=trace_id,
                )
                if frame.id is not None:
                    reply(connection, OkFrame(id=frame.id))

    async def _report_activity(self, connection: Connection, trace_id: str) -> None:
        """Tell presence at once when this is the user's first activity in a while (ActivityReports)."""
        if not self.activity.note(connection.user_id, time.monotonic()):
            return
        report = Heartbeats(
            node=self.settings.node_id, connection_ids=[connection.id], active_user_ids=[connection.user_id]
        )
        try:
            await self.bus.publish_event(report, trace_id=trace_id)
        except ParleyError as error:  # the frame was answered already; the next batch reports the user
            self.activity.note_unreported(connection.user_id)
            log.warning("gateway.activity_not_reported", error=error.message)

    async def resume(self, connection: Connection, conversation_id: str, after_seq: int, frame_id: str | None) -> None:
        """Replay a conversation after ``after_seq`` (in order, once each), then ``resume.done``.
        The caller then tells the conversation's current state (``PositionCheck.tell_current``)."""
        last_seq = await self.delivery.resume(connection, conversation_id, after_seq)
        done = ResumeDone(conversation_id=conversation_id, last_seq=last_seq)
        reply(connection, ResumeDoneFrame(data=done, id=frame_id))

    def authenticated(self, connection: Connection, frame_id: str | None) -> None:
        """Answer an accepted ``auth`` frame (or query-string token) with ``auth.ok``."""
        claims = connection.claims
        ok = AuthOk(
            uid=claims.sub,
            uname=claims.name,
            role=claims.role,
            connection_id=connection.id,
            heartbeat_timeout_seconds=self.settings.gateway_heartbeat_timeout_seconds,
        )
        reply(connection, AuthOkFrame(data=ok, id=frame_id))

    async def _reauthenticate(self, connection: Connection, frame: AuthFrame) -> None:
        """A fresh token on a live connection (after a refresh) pushes its expiry back."""
        explicit_kind = frame.data.client_kind if "client_kind" in frame.data.model_fields_set else None
        claims = await self.authenticator.verify(frame.data.token, explicit_kind)
        if claims.sub != connection.user_id:
            raise ParleyError(ErrorCode.BAD_ARGUMENT, "a connection belongs to one user; reconnect to change user")
        await self.authenticator.check_revoked(claims)
        connection.reauthenticated(claims)
        self.authenticated(connection, frame.id)
        for position in frame.data.resume:
            await self.resume(connection, position.conversation_id, position.after_seq, frame.id)
