"""The local edge: one port that routes like the Kubernetes Ingress, so browsers see one origin
locally as they do in a cluster (the widget, /ws, /auth, /channels... on the same host).

HTTP is forwarded as it comes (bodies streamed both ways, never read whole, each bounded by its
Ingress's proxy-body-size; compressed bodies untouched); WebSockets are
proxied frame by frame both ways and a close code on one side is passed to the other.
``cut_websockets`` drops every proxied WebSocket at once without a close frame, as a network
drop would (the browser sees 1006), for the tests.

Like the Ingress controller it stands for, the edge bounds what a client may hold: header, body
and idle timeouts and a cap on sockets per client address (``parley.connection_limits``, the
services' own mechanism; the edge sees the browsers' real addresses). It routes by the
normalised path (``request_paths``) and forwards that path, so a backend serves exactly what was
routed, and it refuses a browser's WebSocket message that inflates beyond the gateway's own hard
frame limit before inflating the rest of it (close 1009).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from parley.connection_limits import ConnectionLimits, GuardedSite, guard_app, runner_options
from parley.http import is_websocket_upgrade
from parley_fleet.ingress_routes import Route, load_routes, pick_route
from parley_fleet.request_paths import AmbiguousPath, forwardable, normalise_path

log = logging.getLogger("parley.edge")

# Headers about one hop only (RFC 9110 7.6.1): never forwarded by a proxy.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
    }
)
# Headers a WebSocket handshake passes upstream (the rest belong to the handshake itself).
WS_FORWARDED = ("Origin", "User-Agent", "Cookie", "Authorization", "Accept-Language")
CHUNK_BYTES = 64 * 1024
# Close codes a close frame may carry (RFC 6455 7.4); 1005/1006/1015 only describe a close.
SENDABLE_CLOSE = frozenset({1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014}) | frozenset(
    range(3000, 5000)
)
# Fail fast to a clear 502 when a backend is not listening.
CONNECT_TIMEOUT_SECONDS = 5.0
# The largest browser message the edge inflates and passes on: the gateway's own hard limit
# (PARLEY_GATEWAY_MAX_FRAME_BYTES, 64 KiB, times its HARD_FRAME_LIMIT_FACTOR, 4), which it closes
# with 1009 beyond. aiohttp stops inflating one byte past it, so a frame of a few KiB on the
# wire can no longer become megabytes in memory. Messages from the gateway are not bounded: it
# is the trusted side, and a history page has no small size bound.
GATEWAY_HARD_FRAME_BYTES = 64 * 1024 * 4


class BodyTooLarge(Exception):
    """A request body without a declared length went past its route's limit."""


@dataclass(eq=False)
class ProxiedSocket:
    request: web.Request
    downstream: web.WebSocketResponse
    upstream: aiohttp.ClientWebSocketResponse


class Edge:
    """An aiohttp reverse proxy on ``host:port`` in front of ``upstreams`` (fleet name -> base URL)."""

    def __init__(
        self,
        upstreams: dict[str, str],
        routes: list[Route] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        limits: ConnectionLimits | None = None,
        max_ws_message_bytes: int = GATEWAY_HARD_FRAME_BYTES,
    ) -> None:
        self.routes = routes if routes is not None else load_routes()
        self.upstreams = upstreams
        self.host, self.port = host, port
        self.limits = limits or ConnectionLimits()
        self.max_ws_message_bytes = max_ws_message_bytes
        self.sockets: set[ProxiedSocket] = set()
        # WebSocket requests still in their handshake (the backend not yet answered): a network
        # drop takes them too, or a client reconnecting at that moment would survive the cut.
        self.opening: dict[int, web.Request] = {}  # by id(request): a Request is not hashable
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=CONNECT_TIMEOUT_SECONDS),
        )
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        guard = guard_app(app, self.limits)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, **runner_options(self.limits))
        await self._runner.setup()
        site = GuardedSite(self._runner, guard, self.host, self.port)
        await site.start()
        self.port = site.port  # the one picked for port 0

    async def stop(self) -> None:
        for socket in list(self.sockets):
            await socket.downstream.close(code=1001, message=b"edge stopping")
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def cut_websockets(self) -> int:
        """Drop every proxied WebSocket as a network failure would: no close frame to the
        browser (it sees 1006); the backend gets 1001; a socket still in its handshake is dropped
        too. Returns how many were cut."""
        opening = list(self.opening.values())
        for request in opening:
            if request.transport is not None:
                request.transport.abort()
        cut = list(self.sockets)
        for socket in cut:
            if socket.request.transport is not None:
                socket.request.transport.abort()
            await socket.upstream.close(code=1001, message=b"network drop (test)")
        log.info("edge: cut %d websockets and %d handshakes", len(cut), len(opening))
        return len(cut) + len(opening)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw_path, question, query = request.raw_path.partition("?")
        try:
            path = normalise_path(raw_path)
        except AmbiguousPath as refused:
            return web.Response(status=400, text=f"refused path: {refused}\n")
        route = pick_route(self.routes, path)
        if route is None or route.service not in self.upstreams:
            return web.Response(status=404, text=f"no ingress route for {path}\n")
        target = self.upstreams[route.service].rstrip("/") + forwardable(path) + question + query
        if is_websocket_upgrade(request):
            return await self._websocket(request, target)
        return await self._http(request, target, route.max_body_bytes)

    def _forwarded(self, request: web.Request) -> dict[str, str]:
        earlier = request.headers.get("X-Forwarded-For")
        peer = request.remote or ""
        return {
            "X-Forwarded-For": f"{earlier}, {peer}" if earlier else peer,
            "X-Forwarded-Proto": request.scheme,
            "X-Forwarded-Host": request.host,
        }

    async def _http(self, request: web.Request, target: str, max_body_bytes: int) -> web.StreamResponse:
        assert self._session is not None
        if (request.content_length or 0) > max_body_bytes:
            return web.Response(status=413, text=f"request body larger than {max_body_bytes} bytes\n")
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        headers.update(self._forwarded(request))
        body = _bounded(request, max_body_bytes) if request.body_exists else None
        if request.content_length is not None:
            headers["Content-Length"] = str(request.content_length)
        try:
            async with self._session.request(
                request.method, target, headers=headers, data=body, allow_redirects=False
            ) as upstream:
                answer_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP}
                response = web.StreamResponse(status=upstream.status, reason=upstream.reason, headers=answer_headers)
                await response.prepare(request)
                async for chunk in upstream.content.iter_chunked(CHUNK_BYTES):
                    await response.write(chunk)
                await response.write_eof()
                return response
        except aiohttp.ClientConnectionError as error:
            # aiohttp reports a failing body as a failed send, the body's own error as its cause.
            if isinstance(error.__cause__, BodyTooLarge):
                return web.Response(status=413, text=f"{error.__cause__}\n")
            return web.Response(status=502, text=f"backend unreachable: {error}\n")

    async def _websocket(self, request: web.Request, target: str) -> web.StreamResponse:
        assert self._session is not None
        headers = {name: request.headers[name] for name in WS_FORWARDED if name in request.headers}
        headers.update(self._forwarded(request))
        protocols = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()]
        self.opening[id(request)] = request
        try:
            try:
                upstream = await self._session.ws_connect(
                    "ws" + target.removeprefix("http"), headers=headers, protocols=protocols, max_msg_size=0
                )
            except aiohttp.WSServerHandshakeError as refused:  # 403 origin, 503 draining: the browser sees it
                return web.Response(status=refused.status, text=f"{refused.message}\n")
            except aiohttp.ClientConnectionError as error:
                return web.Response(status=502, text=f"backend unreachable: {error}\n")
            downstream = web.WebSocketResponse(protocols=protocols, max_msg_size=self.max_ws_message_bytes)
            try:
                await downstream.prepare(request)
            except BaseException:
                await upstream.close(code=1001, message=b"network drop (test)")
                raise
        finally:
            self.opening.pop(id(request), None)
        if request.transport is None or request.transport.is_closing():  # cut during the handshake
            await upstream.close(code=1001, message=b"network drop (test)")
            return downstream
        socket = ProxiedSocket(request, downstream, upstream)
        self.sockets.add(socket)
        try:
            await self._pump_both(socket)
        finally:
            self.sockets.discard(socket)
        return downstream

    async def _pump_both(self, socket: ProxiedSocket) -> None:
        """Frames both ways until one side closes; its close code goes to the other side."""
        downstream, upstream = socket.downstream, socket.upstream
        to_browser = asyncio.create_task(_pump(upstream, downstream))
        to_backend = asyncio.create_task(_pump(downstream, upstream))
        done, _ = await asyncio.wait({to_browser, to_backend}, return_when=asyncio.FIRST_COMPLETED)
        code, reason = done.pop().result()
        if not to_browser.done():
            await _close(upstream, code, reason)
        elif code in SENDABLE_CLOSE:
            await _close(downstream, code, reason)
        elif socket.request.transport is not None:
            socket.request.transport.abort()  # the backend dropped: the browser sees a drop too
        for task in (to_browser, to_backend):
            task.cancel()
        await asyncio.gather(to_browser, to_backend, return_exceptions=True)


async def _bounded(request: web.Request, max_bytes: int) -> AsyncIterator[bytes]:
    """The request's body as it arrives; past ``max_bytes`` (a body without a length that keeps
    coming) the upload is cut, and the backend sees an incomplete body."""
    seen = 0
    async for chunk in request.content.iter_chunked(CHUNK_BYTES):
        seen += len(chunk)
        if seen > max_bytes:
            raise BodyTooLarge(f"request body larger than {max_bytes} bytes")
        yield chunk


async def _pump(
    source: web.WebSocketResponse | aiohttp.ClientWebSocketResponse,
    sink: web.WebSocketResponse | aiohttp.ClientWebSocketResponse,
) -> tuple[int | None, str]:
    while True:
        message = await source.receive()
        try:
            if message.type == aiohttp.WSMsgType.TEXT:
                await sink.send_str(message.data)
            elif message.type == aiohttp.WSMsgType.BINARY:
                await sink.send_bytes(message.data)
        except ConnectionResetError:  # the other side went away meanwhile: its own pump reports how
            return None, ""
        if message.type == aiohttp.WSMsgType.CLOSE:
            return int(message.data), message.extra or ""
        if message.type in (aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
            return source.close_code, ""


async def _close(side: web.WebSocketResponse | aiohttp.ClientWebSocketResponse, code: int | None, reason: str) -> None:
    """Close ``side`` with the other side's code; a close without a code (a drop) becomes 1001."""
    sendable = code if code in SENDABLE_CLOSE else 1001
    await side.close(code=sendable, message=reason.encode()[:123])
