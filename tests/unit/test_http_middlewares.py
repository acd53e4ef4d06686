"""The CORS middleware: headers for an allowed origin, and nothing of its own held while a
WebSocket's handler runs (that handler lives as long as the socket)."""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from parley.http import cors

ALLOWED = "https://shop.example"


async def _answer(_request: web.Request) -> web.StreamResponse:
    return web.Response(text="ok")


def test_a_websocket_upgrade_is_handed_on_as_the_handlers_own_coroutine() -> None:
    middleware = cors([ALLOWED])
    request = make_mocked_request(
        "GET", "/ws", headers={"Origin": ALLOWED, "Upgrade": "websocket", "Connection": "Upgrade"}
    )
    handed_on = _answer(request)
    try:
        assert middleware(request, lambda _request: handed_on) is handed_on
    finally:
        handed_on.close()


def test_an_allowed_origin_gets_its_headers_and_a_stranger_none() -> None:
    middleware = cors([ALLOWED])
    allowed = asyncio.run(middleware(make_mocked_request("GET", "/x", headers={"Origin": ALLOWED}), _answer))
    assert allowed.headers["Access-Control-Allow-Origin"] == ALLOWED and allowed.headers["Vary"] == "Origin"
    stranger = asyncio.run(
        middleware(make_mocked_request("GET", "/x", headers={"Origin": "https://evil.example"}), _answer)
    )
    assert "Access-Control-Allow-Origin" not in stranger.headers


def test_a_preflight_is_answered_without_the_handler() -> None:
    middleware = cors([ALLOWED])
    request = make_mocked_request("OPTIONS", "/x", headers={"Origin": ALLOWED, "Access-Control-Request-Method": "POST"})

    async def never(_request: web.Request) -> web.StreamResponse:
        raise AssertionError("a preflight reached the handler")

    answer = asyncio.run(middleware(request, never))
    assert answer.status == 204 and "POST" in answer.headers["Access-Control-Allow-Methods"]
