"""The local edge routes like the Ingress and proxies HTTP and WebSockets with their close codes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from parley_fleet.edge import Edge
from parley_fleet.ingress_routes import Route, load_routes, pick_route

CLOSED_WITH = web.AppKey("closed_with", asyncio.Queue)
# A handshake to /ws?slow=1 waits for this before the backend answers it.
HANDSHAKE_GATE = web.AppKey("handshake_gate", asyncio.Event)


def test_routes_come_from_the_ingress_manifest() -> None:
    routes = {(route.path, route.path_type): route.service for route in load_routes()}
    assert routes[("/ws", "Exact")] == "gateway"
    assert routes[("/widget.js", "Exact")] == "gateway"
    assert routes[("/console", "Prefix")] == "gateway"
    assert routes[("/auth", "Prefix")] == "auth"
    assert routes[("/channels", "Prefix")] == "chat_session"  # chat-session in Kubernetes
    assert routes[("/push", "Prefix")] == "notification"
    assert routes[("/files", "Prefix")] == "chat_session"
    limits = {route.path: route.max_body_bytes for route in load_routes()}
    assert limits["/files"] == 100 * 1024**2  # uploads: their own Ingress and body limit
    assert limits["/channels"] == 64 * 1024


@pytest.mark.parametrize(
    ("path", "service"),
    [
        ("/ws", "gateway"),
        ("/ws/x", None),
        ("/widget.js", "gateway"),
        ("/widget", "gateway"),
        ("/widget/a.css", "gateway"),
        ("/widgets", None),
        ("/auth/login", "auth"),
        ("/authx", None),
        ("/channels/ch_1/availability", "chat_session"),
        ("/metrics", None),
        ("/", None),
    ],
)
def test_prefix_matches_whole_path_elements(path: str, service: str | None) -> None:
    route = pick_route(load_routes(), path)
    assert (route.service if route else None) == service


def test_longest_path_wins_and_exact_before_prefix() -> None:
    routes = [Route("/a", "Prefix", "one"), Route("/a/b", "Prefix", "two"), Route("/a/b", "Exact", "three")]
    assert pick_route(routes, "/a/b/c").service == "two"  # type: ignore[union-attr]
    assert pick_route(routes, "/a/b").service == "three"  # type: ignore[union-attr]
    assert pick_route(routes, "/a/x").service == "one"  # type: ignore[union-attr]


async def _backend() -> web.Application:
    app = web.Application()
    app[CLOSED_WITH] = asyncio.Queue()
    app[HANDSHAKE_GATE] = asyncio.Event()

    async def echo(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "method": request.method,
                "path": request.path_qs,
                "body": await request.text(),
                "forwarded_for": request.headers.get("X-Forwarded-For"),
                "proto": request.headers.get("X-Forwarded-Proto"),
            },
            status=201,
            headers={"X-Backend": "yes"},
        )

    async def ws(request: web.Request) -> web.StreamResponse:
        if request.headers.get("Origin") == "https://evil.example":
            return web.Response(status=403, text="origin not allowed")
        if request.query.get("slow"):
            await app[HANDSHAKE_GATE].wait()
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        async for message in socket:
            if message.data.startswith("close "):
                await socket.close(code=int(message.data.split()[1]), message=b"asked to")
            else:
                await socket.send_str("echo " + message.data)
        await app[CLOSED_WITH].put(socket.close_code)
        return socket

    app.router.add_route("*", "/auth/{tail:.*}", echo)
    app.router.add_get("/ws", ws)
    return app


@pytest.fixture
async def edge() -> AsyncIterator[tuple[Edge, web.Application]]:
    backend = await _backend()
    runner = web.AppRunner(backend)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    proxy = Edge({"auth": url, "gateway": url})
    await proxy.start()
    yield proxy, backend
    await proxy.stop()
    await runner.cleanup()


async def test_http_is_forwarded_with_forwarded_headers(edge: tuple[Edge, web.Application]) -> None:
    proxy, _ = edge
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{proxy.url}/auth/login?x=1", data="hello") as response:
            assert response.status == 201 and response.headers["X-Backend"] == "yes"
            seen = await response.json()
        async with session.get(f"{proxy.url}/metrics") as unrouted:
            assert unrouted.status == 404
    assert seen == {
        "method": "POST",
        "path": "/auth/login?x=1",
        "body": "hello",
        "forwarded_for": "127.0.0.1",
        "proto": "http",
    }


async def test_a_body_over_the_routes_limit_is_refused(edge: tuple[Edge, web.Application]) -> None:
    proxy, _ = edge
    too_much = b"x" * (65 * 1024)  # /auth's Ingress: proxy-body-size 64k

    async def streamed() -> AsyncIterator[bytes]:  # no Content-Length: cut as it passes the limit
        for start in range(0, len(too_much), 4096):
            yield too_much[start : start + 4096]

    async with aiohttp.ClientSession() as session:
        async with session.post(f"{proxy.url}/auth/login", data=too_much) as declared:
            assert declared.status == 413
        async with session.post(f"{proxy.url}/auth/login", data=streamed()) as chunked:
            assert chunked.status == 413, await chunked.text()
        async with session.post(f"{proxy.url}/auth/login", data=b"y" * (60 * 1024)) as fits:
            assert fits.status == 201


async def test_websocket_frames_and_close_codes_pass_both_ways(edge: tuple[Edge, web.Application]) -> None:
    proxy, backend = edge
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"{proxy.url}/ws") as ws:
            await ws.send_str("hi")
            assert (await ws.receive()).data == "echo hi"
            await ws.send_str("close 4003")
            closing = await ws.receive()
            assert closing.type == aiohttp.WSMsgType.CLOSE and closing.data == 4003 and closing.extra == "asked to"
        async with session.ws_connect(f"{proxy.url}/ws") as ws:
            await ws.close(code=4000, message=b"bye")
        await asyncio.wait_for(backend[CLOSED_WITH].get(), 5)  # the backend's own close, answered
        assert await asyncio.wait_for(backend[CLOSED_WITH].get(), 5) == 4000


async def test_a_refused_handshake_keeps_its_status(edge: tuple[Edge, web.Application]) -> None:
    proxy, _ = edge
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(f"{proxy.url}/ws", headers={"Origin": "https://evil.example"})
    assert refused.value.status == 403


async def test_cut_websockets_drops_every_socket_without_a_close_frame(edge: tuple[Edge, web.Application]) -> None:
    proxy, backend = edge
    async with aiohttp.ClientSession() as session:
        first = await session.ws_connect(f"{proxy.url}/ws")
        second = await session.ws_connect(f"{proxy.url}/ws")
        await first.send_str("x")
        await first.receive()
        assert await proxy.cut_websockets() == 2
        for ws in (first, second):
            message = await asyncio.wait_for(ws.receive(), 5)
            assert message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)  # no CLOSE frame: a drop
            assert ws.close_code != 1000
        assert await asyncio.wait_for(backend[CLOSED_WITH].get(), 5) == 1001
    assert not proxy.sockets


async def test_cut_websockets_drops_a_socket_still_in_its_handshake(edge: tuple[Edge, web.Application]) -> None:
    """A client reconnecting at the moment of the cut loses that attempt too, as on a real drop.
    The handshake is written by hand: aiohttp's client would silently retry a dropped GET."""
    proxy, backend = edge
    reader, writer = await asyncio.open_connection(proxy.host, proxy.port)
    writer.write(
        b"GET /ws?slow=1 HTTP/1.1\r\nHost: edge\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    while not proxy.opening:
        await asyncio.sleep(0.01)
    assert await proxy.cut_websockets() == 1
    assert await asyncio.wait_for(reader.read(), 5) == b""  # dropped, no answer
    writer.close()
    backend[HANDSHAKE_GATE].set()  # the backend answers late: the edge closes that socket at once
    assert await asyncio.wait_for(backend[CLOSED_WITH].get(), 5) == 1001
    assert not proxy.sockets and not proxy.opening
