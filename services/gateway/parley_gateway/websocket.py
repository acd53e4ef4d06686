"""The ``/ws`` endpoint: admit, authenticate, register with presence, read frames until the end.

Admission in order: the socket's own limits, for every HTTP request of every service
(``parley.connection_limits``: the request head within the header timeout, else dropped; the
client address under its socket cap, else HTTP 429 before the upgrade), the browser origin
(HTTP 403 before the upgrade), draining (HTTP 503), maintenance (1002, close 1013), the token
(7001, close 4001), the session's revocation (7001, close 4001), the user's connection cap
(9003, close 1008), the node's subscription to the user's delivery channel (9503, close 1013).
Then presence is told, ``auth.ok`` goes out, resume positions given with the
auth frame are replayed, and frames are read.
"""

from __future__ import annotations

import asyncio
import sys
import time

from aiohttp import WSMsgType, web
from pydantic import ValidationError

from parley.contracts.errors import CloseCode, ErrorCode, ParleyError
from parley.contracts.frames import SUPPORTED_PROTOCOLS, AuthFrame, ErrorData, ErrorFrame, ResumeData, encode
from parley.deliveries import DeliverySubscriber
from parley.http import json_response, origin_allowed
from parley.logs import get_logger
from parley.tokens import Claims
from parley_gateway import metrics
from parley_gateway.admission import ConnectionCaps
from parley_gateway.authentication import Authenticator
from parley_gateway.connection_events import ConnectionEvents
from parley_gateway.connections import Connection, Connections
from parley_gateway.limits import frame_id_of
from parley_gateway.protocol import Protocol
from parley_gateway.settings import GatewaySettings

log = get_logger("parley.gateway")
# aiohttp drops (close 1009) frames over this many times the limit without reading them whole;
# frames between the limit and this get error 9002 and the connection lives on.
HARD_FRAME_LIMIT_FACTOR = 4


class Refusal(Exception):
    """A connection attempt turned away before auth.ok: an error frame, then a close."""

    def __init__(
        self, reason: str, code: ErrorCode, message: str, close_code: int, frame_id: str | None = None
    ) -> None:
        super().__init__(message)
        self.reason = reason  # the label of parley_gateway_connections_refused_total
        self.code = code
        self.message = message
        self.close_code = close_code
        self.frame_id = frame_id


def _check_protocol(asked: int | str | None, frame_id: str | None) -> None:
    """A client that names a protocol version must get one this gateway speaks (auth.ok says which
    it got; with one version, every connection speaks it)."""
    if asked is None or str(asked) in {str(version) for version in SUPPORTED_PROTOCOLS}:
        return
    spoken = ", ".join(str(version) for version in SUPPORTED_PROTOCOLS)
    raise Refusal(
        "protocol",
        ErrorCode.BAD_ARGUMENT,
        f"protocol version {str(asked)[:16]!r} is not spoken here; this gateway speaks {spoken}",
        CloseCode.UNSUPPORTED_PROTOCOL,
        frame_id,
    )


class WebSocketEndpoint:
    def __init__(
        self,
        settings: GatewaySettings,
        authenticator: Authenticator,
        caps: ConnectionCaps,
        connections: Connections,
        protocol: Protocol,
        subscriber: DeliverySubscriber,
        events: ConnectionEvents,
        stopping: asyncio.Event,
    ) -> None:
        self.settings = settings
        self.authenticator = authenticator
        self.caps = caps
        self.connections = connections
        self.protocol = protocol
        self.subscriber = subscriber
        self.events = events
        self.stopping = stopping

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin is not None and not origin_allowed(origin, self.settings.gateway_allowed_origins):
            metrics.REFUSED.labels("origin").inc()
            log.warning("gateway.origin_refused", origin=origin[:200])
            error = {"code": int(ErrorCode.NOT_AUTHENTICATED), "message": f"origin {origin[:200]!r} may not connect"}
            return json_response({"error": error}, status=403)
        if self.stopping.is_set():
            metrics.REFUSED.labels("draining").inc()
            # Draining: a new connection belongs on another node.
            raise web.HTTPServiceUnavailable(text="gateway restarting, reconnect elsewhere")
        # compress=False declines permessage-deflate, which browsers offer and aiohttp would
        # accept: each socket would then keep a compressor and a decompressor (measured on bare
        # aiohttp, clients offering deflate: 103 KiB of RSS per idle socket accepted, 12 KiB
        # declined), and every frame would be compressed once per socket, for chat frames of a
        # few hundred bytes that deflate barely shrinks.
        ws = web.WebSocketResponse(
            max_msg_size=self.settings.gateway_max_frame_bytes * HARD_FRAME_LIMIT_FACTOR, autoping=True, compress=False
        )
        await ws.prepare(request)
        try:
            claims, positions, auth_frame_id = await self._authenticate(ws, request)
        except Refusal as refusal:
            await _refuse(ws, refusal)
            return ws
        except TimeoutError:
            metrics.REFUSED.labels("token").inc()
            log.info(
                "gateway.connection_refused",
                reason="token",
                close_code=CloseCode.UNAUTHENTICATED,
                message="no auth frame in time",
            )
            await ws.close(code=CloseCode.UNAUTHENTICATED, message=b"no auth frame in time")
            return ws
        connection = Connection(
            ws=ws,
            claims=claims,
            client_kind=claims.kind,
            max_queued=self.settings.gateway_send_queue_frames,
            transport=request.transport,
            write_buffer_mark=self.settings.gateway_write_buffer_mark_bytes,
            origin=sys.intern(origin) if origin is not None else None,
        )
        await self._serve(connection, positions, auth_frame_id)
        return ws

    async def _authenticate(
        self, ws: web.WebSocketResponse, request: web.Request
    ) -> tuple[Claims, list[ResumeData], str | None]:
        """The token from the query string, or else from the first frame (which must be ``auth``)."""
        token, client_kind = request.query.get("token"), request.query.get("client_kind")
        protocol: int | str | None = request.query.get("protocol")
        positions: list[ResumeData] = []
        frame_id = None
        if token is None:
            message = await ws.receive(timeout=self.settings.gateway_auth_timeout_seconds)
            if message.type != WSMsgType.TEXT:
                raise Refusal(
                    "token", ErrorCode.NOT_AUTHENTICATED, "the first frame must be auth", CloseCode.UNAUTHENTICATED
                )
            try:
                frame = AuthFrame.model_validate_json(message.data)
            except ValidationError:
                raise Refusal(
                    "token",
                    ErrorCode.NOT_AUTHENTICATED,
                    "the first frame must be a valid auth frame",
                    CloseCode.UNAUTHENTICATED,
                    frame_id_of(message.data),
                ) from None
            token, frame_id, positions, protocol = frame.data.token, frame.id, frame.data.resume, frame.data.protocol
            client_kind = frame.data.client_kind if "client_kind" in frame.data.model_fields_set else None
        _check_protocol(protocol, frame_id)
        if self.protocol.maintenance.message is not None:
            notice = self.protocol.maintenance.message
            raise Refusal("maintenance", ErrorCode.MAINTENANCE, notice, CloseCode.TRY_AGAIN_LATER, frame_id)
        try:
            return await self.authenticator.verify(token, client_kind), positions, frame_id
        except ParleyError as error:
            if error.code == ErrorCode.UNAVAILABLE:  # auth's keys could not be fetched: not the client's fault
                raise Refusal("unavailable", error.code, error.message, CloseCode.TRY_AGAIN_LATER, frame_id) from None
            raise Refusal("token", error.code, error.message, CloseCode.UNAUTHENTICATED, frame_id) from None

    async def _serve(self, connection: Connection, positions: list[ResumeData], auth_frame_id: str | None) -> None:
        for position in positions:  # live messages of these wait until their replay is done
            self.protocol.delivery.prepare(connection, position.conversation_id, position.after_seq)
        # Registered before the revocation check: a revocation published meanwhile finds it.
        self.connections.add(connection)
        admitted = held = False
        try:
            await self._admit(connection)
            admitted = True
            held = await self._hold(connection)
            await self._open(connection, auth_frame_id)
            resumed = [
                position.conversation_id
                for position in positions
                if await self._resume_at_auth(connection, position, auth_frame_id)
            ]
            await self.protocol.positions.tell_current(connection, resumed)
            await self._read(connection)
        except Refusal as refusal:
            _count_refusal(refusal, connection.user_id)
            connection.send_error(refusal.code, refusal.message, auth_frame_id)
            connection.close(refusal.close_code, refusal.message)
        finally:
            if held:
                self.subscriber.release(connection.user_id)
            await self._closed(connection, admitted)

    async def _hold(self, connection: Connection) -> bool:
        """Subscribe the node to the user's delivery channel before auth.ok and before any resume
        read: whatever is published from here on reaches this socket (docs/delivery.md)."""
        try:
            await self.subscriber.hold(connection.user_id)
        except ParleyError as error:
            raise Refusal("unavailable", error.code, error.message, CloseCode.TRY_AGAIN_LATER) from None
        return True

    async def _admit(self, connection: Connection) -> None:
        try:
            # One Redis call: the session's revocation entry, then the user's connection cap.
            revocation_key = self.authenticator.verifier.revocations.key(connection.claims.sid)
            await self.caps.admit(connection.user_id, connection.id, revocation_key)
        except ParleyError as error:
            close_code = {
                ErrorCode.TOKEN_INVALID: CloseCode.UNAUTHENTICATED,
                ErrorCode.RATE_LIMITED: CloseCode.POLICY,
            }.get(error.code, CloseCode.TRY_AGAIN_LATER)
            reason = {ErrorCode.TOKEN_INVALID: "token", ErrorCode.RATE_LIMITED: "limit"}.get(error.code, "unavailable")
            raise Refusal(reason, error.code, error.message, close_code) from None

    async def _open(self, connection: Connection, auth_frame_id: str | None) -> None:
        try:
            await self.events.opened(connection)
        except ParleyError as error:
            # Presence must know of it (its status, and web push going to users no node holds).
            raise Refusal("unavailable", error.code, error.message, CloseCode.TRY_AGAIN_LATER) from None
        metrics.CONNECTS.inc()
        self.protocol.authenticated(connection, auth_frame_id)

    async def _resume_at_auth(self, connection: Connection, position: ResumeData, auth_frame_id: str | None) -> bool:
        """Whether the resume went through (a refused one is told, and the client asks again)."""
        try:
            await self.protocol.resume(connection, position.conversation_id, position.after_seq, auth_frame_id)
        except ParleyError as error:
            connection.send_error(error.code, f"resume of {position.conversation_id}: {error.message}", auth_frame_id)
            return False
        return True

    async def _read(self, connection: Connection) -> None:
        ws = connection.ws
        while not ws.closed and not connection.closing:
            # No timeout here: Connections.sweep closes a connection silent for too long.
            message = await ws.receive()
            now = time.monotonic()
            quiet_seconds, connection.heard_at = now - connection.heard_at, now
            if message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                await self.protocol.handle(connection, message.data, quiet_seconds)
            elif message.type == WSMsgType.ERROR:
                # aiohttp reports a frame over the hard limit this way and has already closed (1009).
                log.info("gateway.socket_error", error=str(ws.exception()))
                return
            else:  # CLOSE, CLOSING, CLOSED
                return

    async def _closed(self, connection: Connection, admitted: bool) -> None:
        self.connections.remove(connection)
        await connection.finish()
        if not admitted:
            return
        code = connection.ws.close_code or 1006
        metrics.DISCONNECTS.labels(str(code)).inc()
        await self.caps.release(connection.user_id, connection.id)
        try:
            await self.events.closed(connection, code)
        except ParleyError:
            # The broker is away: presence expires the connection when its heartbeats stop.
            log.warning("gateway.close_not_reported", connection_id=connection.id)


def _count_refusal(refusal: Refusal, user_id: str | None = None) -> None:
    """Counted by reason, and logged: a platform team asking why a user cannot connect finds the
    code they were given (info, not warning: a refusal is the gateway working)."""
    metrics.REFUSED.labels(refusal.reason).inc()
    log.info(
        "gateway.connection_refused",
        reason=refusal.reason,
        code=int(refusal.code),
        close_code=refusal.close_code,
        user_id=user_id,
        message=refusal.message[:200],
    )


async def _refuse(ws: web.WebSocketResponse, refusal: Refusal) -> None:
    _count_refusal(refusal)
    metrics.ERRORS.labels(str(int(refusal.code))).inc()
    error = ErrorData(code=int(refusal.code), message=refusal.message)
    payload = encode(ErrorFrame(data=error, id=refusal.frame_id))
    try:
        await ws.send_str(payload)
        await ws.close(code=refusal.close_code, message=refusal.message.encode()[:120])
    except (ConnectionError, RuntimeError):
        pass  # the client left first
