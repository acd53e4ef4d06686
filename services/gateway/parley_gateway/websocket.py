"""The ``/ws`` endpoint: authenticate, register with presence, read frames until the end."""

from __future__ import annotations

import asyncio

from aiohttp import WSMsgType, web
from pydantic import ValidationError

from parley.bus import Bus
from parley.contracts.errors import CloseCode, ErrorCode, ParleyError
from parley.contracts.events import ConnectionClosed, ConnectionOpened
from parley.contracts.frames import AuthFrame, AuthOk, server_frame
from parley.logs import get_logger
from parley.tokens import Claims, JwksVerifier
from parley_gateway import metrics
from parley_gateway.connections import Connection, Connections
from parley_gateway.protocol import Protocol
from parley_gateway.settings import GatewaySettings

log = get_logger("parley.gateway")


class WebSocketEndpoint:
    def __init__(
        self,
        settings: GatewaySettings,
        bus: Bus,
        verifier: JwksVerifier,
        connections: Connections,
        stopping: asyncio.Event,
    ) -> None:
        self.settings = settings
        self.bus = bus
        self.verifier = verifier
        self.connections = connections
        self.protocol = Protocol(bus)
        self.stopping = stopping

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        if self.stopping.is_set():
            # Draining: a new connection belongs on another node.
            raise web.HTTPServiceUnavailable(text="gateway restarting, reconnect elsewhere")
        ws = web.WebSocketResponse(max_msg_size=self.settings.gateway_max_frame_bytes, autoping=True)
        await ws.prepare(request)
        authenticated = await self._authenticate(ws, request)
        if authenticated is None:
            return ws
        claims, client_kind, auth_frame_id = authenticated
        connection = Connection(ws=ws, claims=claims, client_kind=client_kind)
        await self._open(connection, auth_frame_id)
        try:
            await self._read(connection)
        finally:
            await self._closed(connection)
        return ws

    async def _authenticate(
        self, ws: web.WebSocketResponse, request: web.Request
    ) -> tuple[Claims, str, str | None] | None:
        """The token from the query string, or else from the first frame (which must be ``auth``)."""
        token = request.query.get("token")
        client_kind = request.query.get("client_kind", "web")
        frame_id = None
        if token is None:
            try:
                message = await ws.receive(timeout=self.settings.gateway_auth_timeout_seconds)
            except TimeoutError:
                await ws.close(code=CloseCode.UNAUTHENTICATED, message=b"no auth frame in time")
                return None
            if message.type != WSMsgType.TEXT:
                await ws.close(code=CloseCode.UNAUTHENTICATED, message=b"first frame must be auth")
                return None
            try:
                frame = AuthFrame.model_validate_json(message.data)
            except ValidationError:
                await _refuse(ws, ErrorCode.NOT_AUTHENTICATED, "first frame must be a valid auth frame", None)
                return None
            token, client_kind, frame_id = frame.data.token, frame.data.client_kind, frame.id
        try:
            claims = await self.verifier.verify(token)
        except ParleyError as error:
            await _refuse(ws, error.code, error.message, frame_id)
            return None
        return claims, client_kind, frame_id

    async def _open(self, connection: Connection, auth_frame_id: str | None) -> None:
        self.connections.add(connection)
        metrics.CONNECTS.inc()
        await self.bus.publish_event(
            ConnectionOpened(
                connection_id=connection.id,
                node=self.settings.node_id,
                user_id=connection.user_id,
                role=connection.claims.role,
                client_kind=connection.client_kind,  # type: ignore[arg-type]
            )
        )
        ok = AuthOk(
            uid=connection.user_id,
            uname=connection.claims.name,
            role=connection.claims.role,
            connection_id=connection.id,
            heartbeat_timeout_seconds=self.settings.gateway_heartbeat_timeout_seconds,
        )
        await connection.send("auth.ok", server_frame("auth.ok", ok, auth_frame_id).decode())

    async def _read(self, connection: Connection) -> None:
        ws = connection.ws
        while not ws.closed:
            try:
                message = await ws.receive(timeout=self.settings.gateway_heartbeat_timeout_seconds)
            except TimeoutError:
                await ws.close(code=CloseCode.HEARTBEAT_TIMEOUT, message=b"heartbeat timeout")
                return
            if message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                await self.protocol.handle(connection, message.data)
            elif message.type == WSMsgType.ERROR:
                # aiohttp reports an oversized frame this way and has already closed with 1009.
                log.info("gateway.socket_error", error=str(ws.exception()))
                return
            else:  # CLOSE, CLOSING, CLOSED
                return

    async def _closed(self, connection: Connection) -> None:
        self.connections.remove(connection)
        code = connection.ws.close_code or 1006
        metrics.DISCONNECTS.labels(str(code)).inc()
        try:
            await self.bus.publish_event(
                ConnectionClosed(
                    connection_id=connection.id, node=self.settings.node_id, user_id=connection.user_id, close_code=code
                )
            )
        except ParleyError:
            # The broker is away: presence expires the connection when its heartbeats stop.
            log.warning("gateway.close_not_reported", connection_id=connection.id)


async def _refuse(ws: web.WebSocketResponse, code: ErrorCode, message: str, frame_id: str | None) -> None:
    await ws.send_str(server_frame("error", {"code": int(code), "message": message}, frame_id).decode())
    metrics.ERRORS.labels(str(int(code))).inc()
    await ws.close(code=CloseCode.UNAUTHENTICATED, message=message.encode()[:120])


