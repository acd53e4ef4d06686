"""The suites' one protocol client (tests/kit/client.py) against a small in-process server: answers
by id, pushes, frames kept for waiting, newline-batched messages, a hello refused, a socket that
closes or is dropped mid-request, and the bench's Centrifugo dialect answering server pings."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import orjson
import pytest
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer

from bench.load.dialects import CentrifugoDialect
from tests.kit.client import Frame, HelloRefused, WsClient


async def parley_like(request: web.Request) -> web.WebSocketResponse:
    """``auth`` (token "good" only), ``ping``, ``echo`` (a push, then the answer), ``batch`` (two
    frames in one message), ``close`` (code 4001), ``silence`` (no answer ever)."""
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for message in ws:
        if message.type != WSMsgType.TEXT:
            continue
        frame = orjson.loads(message.data)
        kind, frame_id, data = frame["type"], frame.get("id"), frame["data"]
        if kind == "auth" and data["token"] == "good":
            await ws.send_json({"type": "auth.ok", "id": frame_id, "data": {"uid": "u1"}})
        elif kind == "auth":
            await ws.send_json({"type": "error", "id": frame_id, "data": {"code": 7001}})
        elif kind == "ping":
            await ws.send_json({"type": "pong", "id": frame_id, "data": {}})
        elif kind == "echo":
            await ws.send_json({"type": "pushed", "data": data})
            await ws.send_json({"type": "echoed", "id": frame_id, "data": data})
        elif kind == "batch":
            first, second = ({"type": "pushed", "data": {"n": n}} for n in (1, 2))
            await ws.send_str(orjson.dumps(first).decode() + "\n" + orjson.dumps(second).decode())
        elif kind == "close":
            await ws.close(code=4001)
    return ws


async def centrifugo_like(request: web.Request) -> web.WebSocketResponse:
    """Answers ``connect``, then pings (``{}``) and pushes the pong it gets back as a publication."""
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for message in ws:
        frame = orjson.loads(message.data)
        if "connect" in frame:
            await ws.send_json({"id": frame["id"], "connect": {"client": "c1"}})
            await ws.send_str("{}")
        elif frame == {}:
            await ws.send_json({"push": {"pub": {"data": {"body": "ponged"}}}})
    return ws


@pytest.fixture
async def urls() -> AsyncIterator[dict[str, str]]:
    app = web.Application()
    app.router.add_get("/parley", parley_like)
    app.router.add_get("/centrifugo", centrifugo_like)
    async with TestServer(app) as server:
        yield {path: str(server.make_url(f"/{path}")) for path in ("parley", "centrifugo")}


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def test_answers_by_id_pushes_aside_and_every_frame_kept(
    urls: dict[str, str], session: aiohttp.ClientSession
) -> None:
    pushes: list[Frame] = []
    client = WsClient(credential="good", on_push=lambda _client, frame: pushes.append(frame))
    await client.open(session, urls["parley"])
    assert (await client.hello())["type"] == "auth.ok" and client.uid == "u1"
    answer = await client.request("echo", {"x": 1})
    assert answer == {"type": "echoed", "id": answer["id"], "data": {"x": 1}}
    assert pushes == [{"type": "pushed", "data": {"x": 1}}]
    assert [frame["type"] for frame in client.frames] == ["auth.ok", "pushed", "echoed"]
    await client.send("batch", {})
    assert (await client.wait_for(lambda frame: frame["data"].get("n") == 2))["type"] == "pushed"
    assert [frame["data"] for frame in client.of_type("pushed")] == [{"x": 1}, {"n": 1}, {"n": 2}]
    await client.close()


async def test_a_lean_client_keeps_nothing_and_counts_pongs(
    urls: dict[str, str], session: aiohttp.ClientSession
) -> None:
    client = WsClient(credential="good", keep_frames=False)
    await client.open(session, urls["parley"])
    await client.hello()
    await client.ping()
    await client.wait_for(lambda frame: frame["type"] == "pong")
    assert client.frames == [] and client.pongs == 1
    await client.close()


async def test_a_refused_hello_closes_the_socket(urls: dict[str, str], session: aiohttp.ClientSession) -> None:
    with pytest.raises(HelloRefused, match="7001"):
        await WsClient.connect(session, urls["parley"], "bad")


async def test_a_socket_closing_fails_what_waits_on_it(urls: dict[str, str], session: aiohttp.ClientSession) -> None:
    client, _ = await WsClient.connect(session, urls["parley"], "good")
    with pytest.raises(ConnectionError, match="4001"):
        await client.request("close", {})
    with pytest.raises(ConnectionError):
        await client.wait_for(lambda _frame: False)
    assert client.ws is not None and client.ws.close_code == 4001 and await client.wait_closed() == 4001
    with pytest.raises(ConnectionError):
        await client.send("ping", {})


async def test_an_error_in_the_predicate_is_the_waiter_s(urls: dict[str, str], session: aiohttp.ClientSession) -> None:
    client, _ = await WsClient.connect(session, urls["parley"], "good")
    await client.send("batch", {})
    with pytest.raises(KeyError):
        await client.wait_for(lambda frame: frame["data"]["missing"])
    assert (await client.request("ping", {}))["type"] == "pong"  # the reader goes on
    await client.close()


async def test_a_dropped_link_fails_its_request_and_opens_again(
    urls: dict[str, str], session: aiohttp.ClientSession
) -> None:
    client = WsClient(credential="good", keep_frames=False)
    await client.open(session, urls["parley"])
    await client.hello()
    client.drop()
    with pytest.raises(ConnectionError):
        await client.request("silence", {}, timeout=5)
    await client.wait_closed()
    assert not client.is_open and client.close_code is not None
    await client.open(session, urls["parley"])
    await client.hello()
    assert (await client.request("ping", {}))["type"] == "pong"
    await client.close()


async def test_the_centrifugo_dialect_answers_the_server_s_pings(
    urls: dict[str, str], session: aiohttp.ClientSession
) -> None:
    bodies: list[str | None] = []
    dialect = CentrifugoDialect()
    client = WsClient(
        dialect=dialect, credential="jwt", on_push=lambda _c, frame: bodies.append(dialect.body_of(frame))
    )
    await client.open(session, urls["centrifugo"])
    assert (await client.hello())["connect"] == {"client": "c1"}
    await client.wait_for(lambda frame: "push" in frame)
    assert client.pongs == 1 and bodies == ["ponged"]
    await client.close()
