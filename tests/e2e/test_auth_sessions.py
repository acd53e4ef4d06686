"""Auth over real HTTP and WebSocket: logins of each role, refresh rotation and reuse, logout on a
live connection, kickoff, signing key rotation, login rate limits, profile, CORS, OpenAPI."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import jwt
import pytest
import yaml

from parley.tokens import JWKS_REFRESH_MIN_INTERVAL_SECONDS
from parley_fleet import Fleet
from tests.conftest import Infra
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USERNAME
from tests.e2e.gateway_fleet import bearer, closed, connect, post
from tests.kit.fleet import fleet_for

ROOT = Path(__file__).resolve().parents[2]
ALLOWED_ORIGIN = "https://shop.example"
# Each test's logins come from an address of its own: drawn at random, two tests of the module
# shared one now and then, and the address limit (5 in a row) refused the second one's logins.
CLIENT_ADDRESSES = (f"198.51.100.{host}" for host in itertools.count(1))


@pytest.fixture(scope="module")
async def fleet(infra: Infra) -> AsyncIterator[Fleet]:
    async with fleet_for(
        infra,
        "auth",
        PARLEY_AUTH_KEY_PUBLISH_SECONDS="1",
        PARLEY_AUTH_LOGIN_ACCOUNT_BURST="3",
        PARLEY_AUTH_LOGIN_ACCOUNT_PER_MINUTE="1",
        PARLEY_AUTH_LOGIN_ADDRESS_BURST="5",
        PARLEY_AUTH_LOGIN_ADDRESS_PER_MINUTE="1",
        # Each test logs in from an address of its own (X-Forwarded-For), so the address limit of
        # one test never refuses another's logins.
        PARLEY_AUTH_TRUSTED_PROXY_HOPS="1",
        PARLEY_HTTP_CORS_ORIGINS=f'["{ALLOWED_ORIGIN}"]',
    ) as running:
        yield running


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers={"X-Forwarded-For": next(CLIENT_ADDRESSES)}) as client:
        yield client


@pytest.fixture(scope="module")
async def admin(fleet: Fleet) -> str:
    """One admin login for the module (the account limit allows only three in a row)."""
    async with aiohttp.ClientSession(headers={"X-Forwarded-For": "192.0.2.1"}) as client:
        status, answer = await post(
            client, f"{fleet.url('auth')}/auth/login", {"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}
        )
    assert status == 200, answer
    return answer["token"]


async def _login(session: aiohttp.ClientSession, fleet: Fleet, **body: str) -> tuple[int, dict]:
    return await post(session, f"{fleet.url('auth')}/auth/login", body)


async def _operator(session: aiohttp.ClientSession, fleet: Fleet, admin: str, role: str = "operator") -> str:
    username = f"{role}-{uuid.uuid4().hex[:8]}"
    body = {"username": username, "password": "a-good-password", "role": role, "name": "Olivia"}
    status, answer = await post(session, f"{fleet.url('auth')}/auth/users", body, **bearer(admin))
    assert status == 201, answer
    return username


async def test_each_role_logs_in_and_gets_a_verifiable_session(
    session: aiohttp.ClientSession, fleet: Fleet, admin: str
) -> None:
    status, visitor = await _login(session, fleet, device_id=f"device-{uuid.uuid4().hex}")
    assert status == 200 and visitor["role"] == "visitor"
    assert {"uid", "uname", "token", "refresh_token", "sessionCode", "expires_in"} <= visitor.keys()
    for role in ("operator", "admin"):
        username = await _operator(session, fleet, admin, role)
        status, staff = await _login(session, fleet, username=username, password="a-good-password")
        assert status == 200 and staff["role"] == role
        claims = jwt.decode(staff["token"], options={"verify_signature": False})
        assert claims["sub"] == staff["uid"] and claims["sid"] == staff["sessionCode"]
        client, ok = await connect(session, fleet.url("gateway"), staff["token"])
        assert ok["type"] == "auth.ok" and ok["data"]["role"] == role
        await client.close()
    status, wrong = await _login(session, fleet, username=username, password="not-the-password")
    assert status == 401 and wrong["error"]["code"] == 7001
    status, bad = await _login(session, fleet, device_id="short")
    assert status == 400 and "device_id" in bad["error"]["message"]


async def test_refresh_rotates_and_a_reused_token_revokes_the_session(
    session: aiohttp.ClientSession, fleet: Fleet
) -> None:
    refresh = f"{fleet.url('auth')}/auth/refresh"
    _, first = await _login(session, fleet, device_id=f"device-{uuid.uuid4().hex}")
    live, _ = await connect(session, fleet.url("gateway"), first["token"])
    status, second = await post(session, refresh, {"refresh_token": first["refresh_token"]})
    assert status == 200 and second["sessionCode"] == first["sessionCode"]
    assert second["refresh_token"] != first["refresh_token"] and second["token"] != first["token"]
    assert (await live.request("ping", {}))["type"] == "pong"  # a refresh ends nothing

    # The same token again at once (a second tab refreshing too): the same successor, no revocation.
    status, twin = await post(session, refresh, {"refresh_token": first["refresh_token"]})
    assert status == 200 and twin["refresh_token"] == second["refresh_token"]
    status, third = await post(session, refresh, {"refresh_token": second["refresh_token"]})
    assert status == 200 and third["refresh_token"] not in (first["refresh_token"], second["refresh_token"])

    # A token two generations old comes back (it was copied): the whole session is revoked.
    status, reused = await post(session, refresh, {"refresh_token": first["refresh_token"]})
    assert status == 401 and "already used" in reused["error"]["message"]
    error = await live.wait_for(lambda f: f["type"] == "error")
    assert error["data"]["code"] == 7001
    assert await closed(live) == 4001
    status, _ = await post(session, refresh, {"refresh_token": third["refresh_token"]})
    assert status == 401
    again, refused = await connect(session, fleet.url("gateway"), third["token"])
    assert refused["data"]["code"] == 7001 and await closed(again) == 4001


async def test_logout_closes_live_connections_and_refuses_the_token(
    session: aiohttp.ClientSession, fleet: Fleet
) -> None:
    _, visitor = await _login(session, fleet, device_id=f"device-{uuid.uuid4().hex}")
    first, _ = await connect(session, fleet.url("gateway"), visitor["token"])
    second, _ = await connect(session, fleet.url("gateway"), visitor["token"])
    async with session.post(f"{fleet.url('auth')}/auth/logout", headers=bearer(visitor["token"])) as response:
        assert response.status == 204
    for client in (first, second):
        error = await client.wait_for(lambda f: f["type"] == "error")
        assert error["data"]["code"] == 7001 and "revoked" in error["data"]["message"]
        assert await closed(client) == 4001
    again, refused = await connect(session, fleet.url("gateway"), visitor["token"])
    assert refused["data"]["code"] == 7001 and await closed(again) == 4001
    # Logging out again, by refresh token this time, is fine and changes nothing.
    status, _ = await post(session, f"{fleet.url('auth')}/auth/logout", {"refresh_token": visitor["refresh_token"]})
    assert status == 204
    async with session.get(f"{fleet.url('auth')}/auth/me", headers=bearer(visitor["token"])) as response:
        assert response.status == 401


async def test_a_new_login_of_the_same_kind_kicks_the_old_connection_off(
    session: aiohttp.ClientSession, fleet: Fleet, admin: str
) -> None:
    device = f"device-{uuid.uuid4().hex}"
    _, web_login = await _login(session, fleet, device_id=device)
    _, mobile_login = await _login(session, fleet, device_id=device, client_kind="mobile")
    on_web, _ = await connect(session, fleet.url("gateway"), web_login["token"])
    on_mobile, _ = await connect(session, fleet.url("gateway"), mobile_login["token"], client_kind="mobile")

    _, newer = await _login(session, fleet, device_id=device)  # web again
    kickoff = await on_web.wait_for(lambda f: f["type"] == "kickoff")
    assert kickoff["data"]["client_kind"] == "web"
    assert await closed(on_web) == 4003
    assert (await on_mobile.request("ping", {}))["type"] == "pong"  # another kind stays
    again, refused = await connect(session, fleet.url("gateway"), web_login["token"])
    assert refused["data"]["code"] == 7001 and await closed(again) == 4001
    fresh, ok = await connect(session, fleet.url("gateway"), newer["token"])
    assert ok["type"] == "auth.ok"
    await fresh.close()
    await on_mobile.close()

    # Operators may keep several consoles: a second login replaces nothing.
    username = await _operator(session, fleet, admin)
    _, one = await _login(session, fleet, username=username, password="a-good-password", client_kind="console")
    console, _ = await connect(session, fleet.url("gateway"), one["token"])
    await _login(session, fleet, username=username, password="a-good-password", client_kind="console")
    await asyncio.sleep(0.5)
    assert (await console.request("ping", {}))["type"] == "pong"
    await console.close()


async def test_signing_keys_rotate_without_logging_anyone_out(
    session: aiohttp.ClientSession, fleet: Fleet, admin: str
) -> None:
    _, before = await _login(session, fleet, device_id=f"device-{uuid.uuid4().hex}")
    old_kid = jwt.get_unverified_header(before["token"])["kid"]
    live, _ = await connect(session, fleet.url("gateway"), before["token"])
    fetched_at = time.monotonic()

    status, rotated = await post(session, f"{fleet.url('auth')}/auth/keys/rotate", {}, **bearer(admin))
    assert status == 201 and rotated["kid"] != old_kid
    async with session.get(f"{fleet.url('auth')}/auth/jwks.json") as response:
        kids = {key["kid"] for key in (await response.json())["keys"]}
    assert {old_kid, rotated["kid"]} <= kids
    _, visitor = await _login(session, fleet, device_id=f"device-{uuid.uuid4().hex}")
    status, refused = await post(session, f"{fleet.url('auth')}/auth/keys/rotate", {}, **bearer(visitor["token"]))
    assert status == 403 and refused["error"]["code"] == 9101

    # Once active (1 s here) the new key signs; the gateway learns it from the JWKS by itself
    # (its refetch on an unknown kid is throttled, so let that interval pass first).
    await asyncio.sleep(max(1.5, JWKS_REFRESH_MIN_INTERVAL_SECONDS + 0.5 - (time.monotonic() - fetched_at)))
    _, after = await _login(session, fleet, device_id=f"device-{uuid.uuid4().hex}")
    assert jwt.get_unverified_header(after["token"])["kid"] == rotated["kid"]
    fresh, ok = await connect(session, fleet.url("gateway"), after["token"])
    assert ok["type"] == "auth.ok", ok
    old, ok = await connect(session, fleet.url("gateway"), before["token"])
    assert ok["type"] == "auth.ok", ok  # tokens of the old key still work
    assert (await live.request("ping", {}))["type"] == "pong"
    for client in (fresh, old, live):
        await client.close()


async def test_login_attempts_are_limited_per_account_and_per_address(fleet: Fleet) -> None:
    async with aiohttp.ClientSession(headers={"X-Forwarded-For": "203.0.113.7"}) as session:
        answers = [await _login(session, fleet, username="nobody-here", password="guess") for _ in range(4)]
        assert [status for status, _ in answers] == [401, 401, 401, 429]
        async with session.post(
            f"{fleet.url('auth')}/auth/login", json={"username": "nobody-here", "password": "x"}
        ) as response:
            assert response.status == 429 and int(response.headers["Retry-After"]) >= 1
            body = await response.json()
        assert body["error"]["code"] == 9003 and "this account" in body["error"]["message"]
    async with aiohttp.ClientSession(headers={"X-Forwarded-For": "203.0.113.8"}) as session:
        answers = [await _login(session, fleet, device_id=f"device-{uuid.uuid4().hex}") for _ in range(6)]
    assert [status for status, _ in answers] == [200] * 5 + [429]
    assert "this address" in answers[-1][1]["error"]["message"]


async def test_a_visitor_gives_a_name_and_email(session: aiohttp.ClientSession, fleet: Fleet) -> None:
    _, visitor = await _login(session, fleet, device_id=f"device-{uuid.uuid4().hex}")
    url = f"{fleet.url('auth')}/auth/me"
    async with session.patch(
        url, json={"name": "Vera", "email": "vera@example.com"}, headers=bearer(visitor["token"])
    ) as response:
        assert response.status == 200 and (await response.json())["email"] == "vera@example.com"
    async with session.patch(url, json={"email": "not-an-address"}, headers=bearer(visitor["token"])) as response:
        assert response.status == 400
    status, refreshed = await post(
        session, f"{fleet.url('auth')}/auth/refresh", {"refresh_token": visitor["refresh_token"]}
    )
    assert status == 200 and refreshed["uname"] == "Vera"


async def test_cors_lets_the_configured_origin_in_only(session: aiohttp.ClientSession, fleet: Fleet) -> None:
    url = f"{fleet.url('auth')}/auth/login"
    preflight = {
        "Origin": ALLOWED_ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    async with session.options(url, headers=preflight) as response:
        assert response.status == 204
        assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
        assert "POST" in response.headers["Access-Control-Allow-Methods"]
    async with session.post(url, json={"device_id": "x"}, headers={"Origin": ALLOWED_ORIGIN}) as response:
        assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN  # errors carry it too
    async with session.post(url, json={"device_id": "x"}, headers={"Origin": "https://evil.example"}) as response:
        assert "Access-Control-Allow-Origin" not in response.headers


async def test_the_served_openapi_document_is_the_one_in_docs(session: aiohttp.ClientSession, fleet: Fleet) -> None:
    on_disk = (ROOT / "docs" / "auth-openapi.yaml").read_text()
    async with session.get(f"{fleet.url('auth')}/auth/openapi.yaml") as response:
        assert response.status == 200 and await response.text() == on_disk
    async with session.get(f"{fleet.url('auth')}/auth/openapi.json") as response:
        assert await response.json() == yaml.safe_load(on_disk)
