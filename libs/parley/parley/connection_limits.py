"""Header, body and idle timeouts and a cap on connections per client address, for every
aiohttp server of the fleet (each service's, and the local edge's).

Why a protocol in front of aiohttp's: aiohttp's server has an idle timeout (``keepalive_timeout``)
but no bound on how long a request head or body may take to arrive, so a client that sends one
header line every few seconds, or nothing at all, keeps its socket forever (slowloris), and it
counts nobody's sockets. :class:`GuardedConnection` is an ``asyncio.Protocol`` that the listening
socket creates through the server's public protocol factory (``web.Server()``) and that passes
every event on to aiohttp's ``RequestHandler`` unchanged. It watches the only two moments aiohttp
exposes without private state: bytes arriving (``data_received``) and a request reaching the
application (a middleware, :meth:`ConnectionGuard.middleware`). No aiohttp internals are
subclassed or patched, so an aiohttp upgrade cannot silently disable the timeouts.

- The **head** of a request (request line and headers) must arrive whole within
  ``header_timeout_seconds`` of the connection opening, or of the first byte of a later request
  on a kept-alive connection; else the socket is dropped without an answer.
- A request **body** must arrive whole within ``body_timeout_seconds`` of its head; else the
  socket is dropped (the handler sees 408, which is what the metrics count).
- A kept-alive connection **idle** between requests is closed after ``idle_timeout_seconds``
  (aiohttp's own ``keepalive_timeout``, set from the same limits).
- At most ``max_per_address`` sockets per **client address**; the next one is answered HTTP 429
  (error 9003) on its first request and closed. A WebSocket is one such socket for its life.

Client address: the socket's peer, unless the peer is in ``trusted_proxies`` (the edge, the
Ingress controller): then the rightmost ``X-Forwarded-For`` entry that is not itself a trusted
proxy, read from each request (a proxy reuses one upstream connection for many clients). Behind
a proxy every socket comes from the proxy's address, so without this the cap would either cap
the proxy (everyone) or, with the proxy exempt, nobody; the header is believed only from the
addresses configured, because any client can write one.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from aiohttp import web

from parley.contracts.errors import ErrorCode
from parley.http import error_response
from parley.logs import get_logger
from parley.settings import ServiceSettings

log = get_logger("parley.connections")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class ConnectionLimits:
    """The bounds of one server; the defaults are ServiceSettings' (where each is explained)."""

    header_timeout_seconds: float = 10.0
    body_timeout_seconds: float = 30.0
    idle_timeout_seconds: float = 75.0
    max_per_address: int = 256
    trusted_proxies: tuple[Network, ...] = ()
    listen_backlog: int = 4096

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> ConnectionLimits:
        return cls(
            header_timeout_seconds=settings.http_header_timeout_seconds,
            body_timeout_seconds=settings.http_body_timeout_seconds,
            idle_timeout_seconds=settings.http_idle_timeout_seconds,
            max_per_address=settings.http_max_connections_per_address,
            trusted_proxies=parse_networks(settings.http_trusted_proxies),
            listen_backlog=settings.http_listen_backlog,
        )

    def trusts(self, address: str) -> bool:
        if not self.trusted_proxies:  # the usual case: no address to parse per socket
            return False
        ip = _ip(address)
        return ip is not None and any(ip in network for network in self.trusted_proxies)


def parse_networks(entries: Sequence[str]) -> tuple[Network, ...]:
    """``["10.0.0.0/8", "127.0.0.1"]`` as networks (a bare address is a network of one)."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


def client_address(peer: str, forwarded_for: str | None, limits: ConnectionLimits) -> str:
    """Who a request comes from: the peer, or, from a trusted proxy, the rightmost address of
    ``X-Forwarded-For`` that is not a trusted proxy (entries left of it were written by the
    client and prove nothing). An entry that is not an address stops the walk at the hop that
    passed it on."""
    if not limits.trusts(peer) or not forwarded_for:
        return peer
    nearest = peer
    for entry in reversed(forwarded_for.split(",")):
        ip = _ip(entry.strip())
        if ip is None:
            return nearest
        nearest = str(ip)
        if not limits.trusts(nearest):
            return nearest
    return nearest  # every hop was a trusted proxy: the first of them is the client


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


class AddressCounts:
    """Live sockets per client address, within one process."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._counts: dict[str, int] = {}

    def admit(self, address: str) -> bool:
        count = self._counts.get(address, 0)
        if count >= self.limit:
            return False
        self._counts[address] = count + 1
        return True

    def release(self, address: str) -> None:
        count = self._counts.get(address, 0) - 1
        if count > 0:
            self._counts[address] = count
        else:
            self._counts.pop(address, None)

    def of(self, address: str) -> int:
        return self._counts.get(address, 0)


class GuardedConnection(asyncio.Protocol):
    """One accepted socket: passes every event to aiohttp's handler and enforces the limits."""

    __slots__ = (
        "_address",
        "_body_timer",
        "_guard",
        "_head_timer",
        "_in_request",
        "_peer",
        "_transport",
        "body_timed_out",
        "handler",
        "over_cap",
    )

    def __init__(self, guard: ConnectionGuard, handler: asyncio.Protocol) -> None:
        self._guard = guard
        self.handler = handler
        self._transport: asyncio.Transport | None = None
        self._peer = ""
        self._address: str | None = None  # the address this socket is counted under, if any
        self.over_cap = False
        self.body_timed_out = False
        self._in_request = False
        self._head_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None

    # ---- asyncio.Protocol: observe, then pass on ------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream server's transport: abort() is what this class calls on it.
        self._transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        self._peer = str(peer[0]) if isinstance(peer, tuple) and peer else ""
        if not self._guard.limits.trusts(self._peer):  # a trusted proxy's sockets are counted per request
            self._count_under(self._peer)
        self._arm_head_timer()
        self.handler.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if data and not self._in_request and self._head_timer is None:
            self._arm_head_timer()  # the first byte of a kept-alive connection's next request
        self.handler.data_received(data)

    def eof_received(self) -> bool | None:
        return self.handler.eof_received()

    def pause_writing(self) -> None:
        self.handler.pause_writing()

    def resume_writing(self) -> None:
        self.handler.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timers()
        if self._address is not None:
            self._guard.counts.release(self._address)
            self._address = None
        self.handler.connection_lost(exc)

    # ---- the request life cycle, told by the middleware ----------------------------------------

    def request_started(self, request: web.Request) -> None:
        """The head arrived whole: stop its clock, start the body's, and count the socket under the
        client a trusted proxy forwards for."""
        self._in_request = True
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        if self._guard.limits.trusts(self._peer):
            client = client_address(self._peer, request.headers.get("X-Forwarded-For"), self._guard.limits)
            if client != self._address:
                self._uncount()
                self._count_under(client)
        if request.body_exists and not request.content.is_eof():
            loop = asyncio.get_running_loop()
            self._body_timer = loop.call_later(self._guard.limits.body_timeout_seconds, self._body_timed_out)
            request.content.on_eof(self._cancel_body_timer)

    def request_finished(self) -> None:
        self._in_request = False
        self._cancel_body_timer()

    # ---- internals -------------------------------------------------------------------------------

    def _count_under(self, address: str) -> None:
        self.over_cap = not self._guard.counts.admit(address)
        self._address = None if self.over_cap else address

    def _uncount(self) -> None:
        if self._address is not None:
            self._guard.counts.release(self._address)
            self._address = None

    def _arm_head_timer(self) -> None:
        loop = asyncio.get_running_loop()
        self._head_timer = loop.call_later(self._guard.limits.header_timeout_seconds, self._head_timed_out)

    def _head_timed_out(self) -> None:
        self._head_timer = None
        log.info("http.header_timeout", peer=self._peer, seconds=self._guard.limits.header_timeout_seconds)
        self._drop()

    def _body_timed_out(self) -> None:
        self._body_timer = None
        self.body_timed_out = True
        log.info("http.body_timeout", peer=self._peer, seconds=self._guard.limits.body_timeout_seconds)
        self._drop()

    def _drop(self) -> None:
        # abort, not close: a client this slow may not read either, and close() would keep the
        # socket until its unread bytes drain.
        if self._transport is not None:
            self._transport.abort()

    def _cancel_body_timer(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def _cancel_timers(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        self._cancel_body_timer()


class ConnectionGuard:
    """The limits of one server: its protocol factory (through :class:`GuardedSite`) and its
    middleware, which must both be installed (see :func:`guard_app`)."""

    def __init__(self, limits: ConnectionLimits) -> None:
        self.limits = limits
        self.counts = AddressCounts(limits.max_per_address)

    def protocol_factory(self, server: web.Server) -> Callable[[], GuardedConnection]:
        return lambda: GuardedConnection(self, server())

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Tell the connection its request started and ended; refuse a socket over the cap (429);
        turn the failure of a body that timed out into the 408 it is."""
        transport = request.transport
        connection = transport.get_protocol() if transport is not None else None
        if not isinstance(connection, GuardedConnection):
            return await handler(request)
        connection.request_started(request)
        try:
            if connection.over_cap:
                limit = self.limits.max_per_address
                log.warning("http.address_over_cap", peer=connection._peer, limit=limit)
                response = error_response(
                    ErrorCode.RATE_LIMITED,
                    f"too many connections from your address: at most {limit} at once; close one first",
                )
                response.force_close()
                return response
            return await handler(request)
        except Exception:
            if connection.body_timed_out:
                raise web.HTTPRequestTimeout(text="request body not received in time\n") from None
            raise
        finally:
            connection.request_finished()


def guard_app(app: web.Application, limits: ConnectionLimits) -> ConnectionGuard:
    """Install the guard's middleware, innermost (so the outer ones, metrics and CORS, see its
    429 and 408 like any answer); before the app is frozen by its runner's setup."""
    guard = ConnectionGuard(limits)
    app.middlewares.append(guard.middleware)
    return guard


def runner_options(limits: ConnectionLimits) -> dict[str, Any]:
    """AppRunner keyword arguments for the limits aiohttp enforces itself: the idle timeout."""
    return {"keepalive_timeout": limits.idle_timeout_seconds}


class GuardedSite(web.BaseSite):
    """A TCP site whose sockets go through ``guard`` (``web.TCPSite`` hands them to aiohttp's
    handler directly, with no way to put a protocol in between)."""

    def __init__(
        self, runner: web.AppRunner, guard: ConnectionGuard, host: str, port: int, *, reuse_address: bool | None = None
    ) -> None:
        # The listen backlog (ServiceSettings.http_listen_backlog): aiohttp's 128 drops a storm's SYNs.
        super().__init__(runner, backlog=guard.limits.listen_backlog)
        self._guard = guard
        self._host = host
        self._requested_port = port
        self._reuse_address = reuse_address

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def port(self) -> int:
        """The bound port (the one picked for port 0, once started)."""
        if self._server is not None and self._server.sockets:  # type: ignore[attr-defined]
            return int(self._server.sockets[0].getsockname()[1])  # type: ignore[attr-defined]
        return self._requested_port

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None, "the runner must be set up first"
        self._server = await asyncio.get_running_loop().create_server(
            self._guard.protocol_factory(server),
            self._host,
            self._requested_port,
            backlog=self._backlog,
            reuse_address=self._reuse_address,
        )
