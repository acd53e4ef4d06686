"""The push sender's HTTP client against a real local server (issue 16, finding 8): a push
endpoint that answers with a redirect inwards does not get notification to follow it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from parley.outbound_urls import EndpointRefused, EndpointRule, guarded_session


@pytest.fixture
async def redirecting() -> AsyncIterator[tuple[str, list[str]]]:
    """A push endpoint on 127.0.0.1 (the allowed test host) that redirects to 127.0.0.2."""
    hits: list[str] = []
    app = web.Application()

    async def redirect(_request: web.Request) -> web.Response:
        hits.append("push")
        raise web.HTTPTemporaryRedirect(f"http://127.0.0.2:{port}/inner")

    async def inner(_request: web.Request) -> web.Response:
        hits.append("inner")
        return web.Response(status=201)

    app.router.add_post("/push", redirect)
    app.router.add_post("/inner", inner)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "0.0.0.0", 0).start()  # both loopback addresses must answer
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/push", hits
    await runner.cleanup()


async def test_a_redirect_to_an_address_the_rule_refuses_is_not_followed(redirecting: tuple[str, list[str]]) -> None:
    url, hits = redirecting
    rule = EndpointRule.of(["127.0.0.1"], allow_insecure=True)
    async with guarded_session(rule) as session:  # the push sender's client
        with pytest.raises(EndpointRefused):
            await session.post(url, data=b"notice")
    assert hits == ["push"]
