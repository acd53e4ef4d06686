"""The HTTP layer every service's API goes through (parley.http_api), on a real aiohttp server,
with tokens checked against a real JWKS endpoint and the revocation list in the real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import aiohttp
import pytest
from aiohttp import web
from pydantic import Field

from parley.contracts.base import Model
from parley.contracts.errors import ErrorCode, ParleyError
from parley.http import MAX_BODY_BYTES, observe
from parley.http_api import PUBLIC, Call, Endpoint, HttpApi, roles
from parley.revocations import RevocationList
from parley.tokens import JwksVerifier
from parley_fleet import free_port
from tests.integration.key_service import KeyService


class Page(Model):
    after_seq: Annotated[int, Field(ge=0, le=2**53 - 1)] = 0


class Note(Model):
    text: Annotated[str, Field(min_length=1, max_length=10)]


class Echo(Model):
    who: str | None
    after_seq: int | None = None
    text: str | None = None


class Owner:
    """Serves the table below; only user "u-member" is a member of conversation "c1"."""

    def __init__(self) -> None:
        self.handled: list[str] = []

    async def member_of_conversation(self, call: Call) -> None:
        if call.param("conversation_id") != "c1" or call.user.sub != "u-member":
            raise ParleyError(ErrorCode.NOT_A_MEMBER, "not a member of this conversation")

    async def hello(self, call: Call) -> Echo:
        self.handled.append("hello")
        return Echo(who=None)

    async def page(self, call: Call) -> Echo:
        self.handled.append("page")
        return Echo(who=call.user.sub, after_seq=call.query.after_seq)

    async def note(self, call: Call) -> Echo:
        self.handled.append("note")
        return Echo(who=call.user.sub, text=call.body.text)


ENDPOINTS = [
    Endpoint("GET", "/hello", "hello", "Public", PUBLIC, response=Echo),
    Endpoint(
        "GET",
        "/conversations/{conversation_id}",
        "page",
        "A member's page",
        roles(rule="the conversation's members", check="member_of_conversation"),
        query=Page,
        response=Echo,
    ),
    Endpoint("POST", "/notes", "note", "Staff only", roles("admin", "operator"), body=Note, response=Echo, status=201),
]


@pytest.fixture
async def api(
    keys: tuple[KeyService, str], revocations: RevocationList
) -> AsyncIterator[tuple[str, KeyService, Owner, RevocationList]]:
    service, url = keys
    service.add_key("k1")
    verifier = JwksVerifier(url, revocations)
    owner = Owner()
    app = web.Application(middlewares=[observe], client_max_size=MAX_BODY_BYTES)
    app.add_routes(HttpApi(ENDPOINTS, verifier, owner).routes())
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}", service, owner, revocations
    await runner.cleanup()
    await verifier.close()


async def _call(method: str, url: str, token: str | None = None, **kwargs: object) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as session, session.request(method, url, headers=headers, **kwargs) as response:
        return response.status, await response.json()


async def test_a_public_endpoint_needs_no_token(api: tuple[str, KeyService, Owner, RevocationList]) -> None:
    base, _, _, _ = api
    assert await _call("GET", f"{base}/hello") == (200, {"who": None, "after_seq": None, "text": None})


@pytest.mark.parametrize(
    ("token_of", "status", "code"),
    [
        (None, 401, ErrorCode.NOT_AUTHENTICATED),
        ("garbage", 401, ErrorCode.TOKEN_INVALID),
        ("visitor", 403, ErrorCode.NOT_A_MEMBER),
        ("revoked-admin", 401, ErrorCode.TOKEN_INVALID),
    ],
)
async def test_the_role_rule_refuses_before_the_handler_runs(
    api: tuple[str, KeyService, Owner, RevocationList], token_of: str | None, status: int, code: int
) -> None:
    base, keys_, owner, revoked = api
    token = {
        None: None,
        "garbage": "not-a-token",
        "visitor": keys_.token("k1", role="visitor", sub="u-visitor"),
        "revoked-admin": keys_.token("k1", role="admin", session="s-gone"),
    }[token_of]
    await revoked.revoke("s-gone", 60, "logout")
    answer = await _call("POST", f"{base}/notes", token, json={"text": "hi"})
    assert answer[0] == status and answer[1]["error"]["code"] == code, answer
    assert owner.handled == []


async def test_the_resource_rule_refuses_a_non_member(api: tuple[str, KeyService, Owner, RevocationList]) -> None:
    base, keys_, owner, _ = api
    stranger = keys_.token("k1", role="operator", sub="u-stranger")
    status, body = await _call("GET", f"{base}/conversations/c1", stranger)
    assert (status, body["error"]["code"]) == (403, ErrorCode.NOT_A_MEMBER)
    member = keys_.token("k1", role="visitor", sub="u-member")
    assert await _call("GET", f"{base}/conversations/c1?after_seq=7", member) == (
        200,
        {"who": "u-member", "after_seq": 7, "text": None},
    )
    assert owner.handled == ["page"]


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ("after_seq=9223372036854775808", "after_seq"),
        ("after_seq=-1", "after_seq"),
        ("after_seq=x", "after_seq"),
        ("other=1", "other"),
    ],
)
async def test_a_query_out_of_its_bounds_is_a_bad_argument(
    api: tuple[str, KeyService, Owner, RevocationList], query: str, needle: str
) -> None:
    base, keys_, owner, _ = api
    member = keys_.token("k1", role="visitor", sub="u-member")
    status, body = await _call("GET", f"{base}/conversations/c1?{query}", member)
    assert (status, body["error"]["code"]) == (400, ErrorCode.BAD_ARGUMENT), body
    assert needle in body["error"]["message"]
    assert owner.handled == []


async def test_a_body_out_of_its_bounds_and_an_oversized_path_are_bad_arguments(
    api: tuple[str, KeyService, Owner, RevocationList],
) -> None:
    base, keys_, owner, _ = api
    admin = keys_.token("k1", role="admin")
    for body in ({"text": "x" * 11}, {"text": {"$gt": ""}}, {"text": "ok", "extra": 1}, [1, 2]):
        status, answer = await _call("POST", f"{base}/notes", admin, json=body)
        assert (status, answer["error"]["code"]) == (400, ErrorCode.BAD_ARGUMENT), (body, answer)
    status, answer = await _call("GET", f"{base}/conversations/{'c' * 500}", admin)
    assert (status, answer["error"]["code"]) == (400, ErrorCode.BAD_ARGUMENT), answer
    assert owner.handled == []
    assert await _call("POST", f"{base}/notes", admin, json={"text": "ok"}) == (
        201,
        {"who": "u1", "after_seq": None, "text": "ok"},
    )


async def test_the_routers_own_refusals_have_the_documented_body(
    api: tuple[str, KeyService, Owner, RevocationList],
) -> None:
    base, _, _, _ = api
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/no/such/route") as response:
            assert response.status == 404 and response.content_type == "application/json"
            assert (await response.json())["error"]["code"] == ErrorCode.BAD_ARGUMENT
        async with session.delete(f"{base}/hello") as response:
            assert response.status == 405 and "GET" in response.headers["Allow"]
            assert (await response.json())["error"]["code"] == ErrorCode.BAD_ARGUMENT


async def test_a_body_over_the_limit_is_refused_with_the_documented_code(
    api: tuple[str, KeyService, Owner, RevocationList],
) -> None:
    base, keys_, owner, _ = api
    status, answer = await _call(
        "POST", f"{base}/notes", keys_.token("k1", role="admin"), json={"text": "x" * MAX_BODY_BYTES}
    )
    assert (status, answer["error"]["code"]) == (413, ErrorCode.FRAME_TOO_LARGE), answer
    assert f"larger than {MAX_BODY_BYTES} bytes" in answer["error"]["message"]
    assert owner.handled == []
