"""The gateway's guards over real sockets: auth failures, heartbeat timeout, token expiry mid-
connection, maintenance mode, frame size / nesting / rate limits, flooding, the per-user
connection cap and the browser origin check. Short limits are configured so each shows fast."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator

import aiohttp
import pytest
import redis.asyncio as redis

from parley_fleet import Fleet
from tests.conftest import REDIS_URL, Infra
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USERNAME
from tests.e2e.gateway_fleet import bearer, closed, connect, login, post, ws_url
from tests.kit.client import WsClient
from tests.kit.fleet import fleet_for
from tests.kit.waiting import eventually

ORIGIN = "https://shop.example"
TOKEN_TTL = 8
HEARTBEAT = 4.0


@pytest.fixture(scope="module")
async def fleet(infra: Infra) -> AsyncIterator[Fleet]:
    async with fleet_for(
        infra,
        "limits",
        PARLEY_AUTH_ACCESS_TOKEN_TTL_SECONDS=str(TOKEN_TTL),
        PARLEY_GATEWAY_HEARTBEAT_TIMEOUT_SECONDS=str(HEARTBEAT),
        PARLEY_GATEWAY_AUTH_TIMEOUT_SECONDS="2",
        PARLEY_GATEWAY_MAX_FRAME_BYTES="2048",
        PARLEY_GATEWAY_MAX_JSON_DEPTH="8",
        PARLEY_GATEWAY_FRAMES_PER_SECOND="5",
        PARLEY_GATEWAY_FRAME_BURST="5",
        PARLEY_GATEWAY_USER_FRAMES_PER_SECOND="5",
        PARLEY_GATEWAY_USER_FRAME_BURST="8",
        PARLEY_GATEWAY_FLOOD_REFUSALS="10",
        PARLEY_GATEWAY_MAX_CONNECTIONS_PER_USER="3",
        PARLEY_GATEWAY_ALLOWED_ORIGINS=f'["{ORIGIN}"]',
        PARLEY_GATEWAY_MAINTENANCE_POLL_SECONDS="0.2",
    ) as running:
        yield running


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def _visitor(session: aiohttp.ClientSession, fleet: Fleet) -> dict:
    return await login(session, fleet, device_id=f"device-{uuid.uuid4().hex}")


async def _raw(session: aiohttp.ClientSession, fleet: Fleet) -> WsClient:
    return WsClient(await session.ws_connect(ws_url(fleet.url("gateway"))))


async def test_bad_or_missing_authentication_closes_with_4001(session: aiohttp.ClientSession, fleet: Fleet) -> None:
    forged, refused = await connect(session, fleet.url("gateway"), "not.a.token")
    assert refused["type"] == "error" and refused["data"]["code"] == 7001
    assert await closed(forged) == 4001

    wrong_first = await _raw(session, fleet)
    answer = await wrong_first.request("ping", {})
    assert answer["data"]["code"] == 9004 and await closed(wrong_first) == 4001

    silent = await _raw(session, fleet)
    assert await closed(silent, timeout=10) == 4001  # no auth frame within 2 s

    visitor = await _visitor(session, fleet)
    mismatch, refused = await connect(session, fleet.url("gateway"), visitor["token"], client_kind="mobile")
    assert refused["data"]["code"] == 9105 and "client_kind" in refused["data"]["message"]
    assert await closed(mismatch) == 4001

    def refusals_logged() -> set[tuple[object, object]]:
        lines = (fleet.log_dir / "gateway.log").read_text().splitlines()
        events = [json.loads(line) for line in lines if '"gateway.connection_refused"' in line]
        return {(event.get("code"), event.get("user_id")) for event in events}

    # Each refusal is logged with its code (and the user, once the token was read).
    await eventually(lambda: {(7001, None), (9105, None)} <= refusals_logged(), what="the refusals in the gateway log")

    by_query = WsClient(await session.ws_connect(ws_url(fleet.url("gateway")) + f"?token={visitor['token']}"))
    ok = await by_query.wait_for(lambda f: f["type"] == "auth.ok")
    assert ok["data"]["uid"] == visitor["uid"]
    await by_query.close()


async def test_a_client_gets_the_protocol_version_it_asks_for_or_a_clear_refusal(
    session: aiohttp.ClientSession, fleet: Fleet
) -> None:
    visitor = await _visitor(session, fleet)
    unnamed, ok = await connect(session, fleet.url("gateway"), visitor["token"])
    assert ok["type"] == "auth.ok" and ok["data"]["protocol"] == 1  # the newest, when none is asked for
    named, ok = await connect(session, fleet.url("gateway"), visitor["token"], protocol=1)
    assert ok["type"] == "auth.ok" and ok["data"]["protocol"] == 1

    future, refused = await connect(session, fleet.url("gateway"), visitor["token"], protocol=2)
    assert refused["type"] == "error" and refused["data"]["code"] == 9105
    assert "this gateway speaks 1" in refused["data"]["message"]
    assert await closed(future) == 4010

    url = ws_url(fleet.url("gateway")) + f"?token={visitor['token']}&protocol=" + "9" * 300
    by_query = WsClient(await session.ws_connect(url))
    refused = await by_query.wait_for(lambda f: f["type"] == "error")
    assert refused["data"]["code"] == 9105 and len(refused["data"]["message"]) < 120  # the junk is not echoed whole
    assert await closed(by_query) == 4010
    for client in (unnamed, named):
        await client.close()


async def test_permessage_deflate_offered_by_a_client_is_declined(session: aiohttp.ClientSession, fleet: Fleet) -> None:
    visitor = await _visitor(session, fleet)
    ws = await session.ws_connect(ws_url(fleet.url("gateway")), compress=15)  # as browsers offer it
    assert "Sec-WebSocket-Extensions" not in ws._response.headers and ws.compress == 0
    client = WsClient(ws)
    assert (await client.request("auth", {"token": visitor["token"]}))["type"] == "auth.ok"
    await client.close()


async def test_a_silent_connection_is_closed_with_4008(session: aiohttp.ClientSession, fleet: Fleet) -> None:
    visitor = await _visitor(session, fleet)
    pinging, _ = await connect(session, fleet.url("gateway"), visitor["token"])
    silent, ok = await connect(session, fleet.url("gateway"), visitor["token"])
    assert ok["data"]["heartbeat_timeout_seconds"] == HEARTBEAT
    for _ in range(5):  # 5 s: longer than the timeout, with a ping a second
        await asyncio.sleep(1.0)
        assert (await pinging.request("ping", {}))["type"] == "pong"
    assert await closed(silent, timeout=5) == 4008
    assert not pinging.ws.closed
    await pinging.close()


async def test_an_expiring_token_closes_its_connection_with_7001_and_4002(
    session: aiohttp.ClientSession, fleet: Fleet
) -> None:
    visitor = await _visitor(session, fleet)
    stale, _ = await connect(session, fleet.url("gateway"), visitor["token"])
    renewed, _ = await connect(session, fleet.url("gateway"), visitor["token"])

    async def keep_alive() -> None:  # both stay well inside the heartbeat timeout
        while not stale.ws.closed:
            await stale.send("ping", {})
            await renewed.send("ping", {})
            await asyncio.sleep(0.5)

    pinger = asyncio.create_task(keep_alive())
    await asyncio.sleep(3.0)  # the renewed token outlives the first by these 3 s
    status, refreshed = await post(
        session, f"{fleet.url('auth')}/auth/refresh", {"refresh_token": visitor["refresh_token"]}
    )
    assert status == 200
    again = await renewed.request("auth", {"token": refreshed["token"]})  # a fresh token on the live connection
    assert again["type"] == "auth.ok"
    expired = await stale.wait_for(lambda f: f["type"] == "error", timeout=TOKEN_TTL + 5)
    assert expired["data"]["code"] == 7001 and "expired" in expired["data"]["message"]
    assert await closed(stale) == 4002
    pinger.cancel()
    assert (await renewed.request("ping", {}))["type"] == "pong"  # its expiry moved with the new token
    await renewed.close()


async def test_maintenance_mode_refuses_new_connections_and_frames(
    session: aiohttp.ClientSession, fleet: Fleet, infra: Infra
) -> None:
    admin = await login(session, fleet, username=ADMIN_USERNAME, password=ADMIN_PASSWORD)
    visitor = await _visitor(session, fleet)
    live, _ = await connect(session, fleet.url("gateway"), visitor["token"])
    flag = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    url = f"{fleet.url('gateway')}/admin/maintenance"
    try:
        # Switched on from outside this node (another node's admin call, or an operator's redis-cli).
        await flag.set(f"{infra.redis_prefix}gateway:maintenance", "Upgrading, back at 10:00")
        notice = await live.wait_for(lambda f: f["type"] == "notice", timeout=5)
        assert notice["data"]["code"] == 1002 and "10:00" in notice["data"]["text"]
        refused = await live.request("session.open", {"channel_id": "ch_x"})
        assert refused["type"] == "error" and refused["data"]["code"] == 1002
        assert (await live.request("ping", {}))["type"] == "pong"  # heartbeats go on
        newcomer, answer = await connect(session, fleet.url("gateway"), visitor["token"])
        assert answer["data"]["code"] == 1002 and await closed(newcomer) == 1013
        async with session.get(url, headers=bearer(admin["token"])) as response:
            assert (await response.json())["enabled"] is True
        async with session.put(url, json={"enabled": False}, headers=bearer(visitor["token"])) as response:
            assert response.status == 403  # visitors do not switch it
        async with session.put(url, json={"enabled": False}, headers=bearer(admin["token"])) as response:
            assert response.status == 200
        over = await live.wait_for(lambda f: f["type"] == "notice" and f["data"]["code"] is None, timeout=5)
        assert over["data"]["level"] == "info"
        opened = await live.request("session.open", {"channel_id": "ch_x"})
        assert opened["data"]["code"] == 9103  # served again (that channel does not exist)
    finally:
        await flag.delete(f"{infra.redis_prefix}gateway:maintenance")
        await flag.aclose()
        await live.close()


async def test_oversized_deep_and_malformed_frames_get_clear_errors(
    session: aiohttp.ClientSession, fleet: Fleet
) -> None:
    visitor = await _visitor(session, fleet)
    client, _ = await connect(session, fleet.url("gateway"), visitor["token"])
    big = {
        "type": "message.send",
        "id": "big",
        "data": {"conversation_id": "c_1", "client_msg_id": "b", "body": "x" * 3000},
    }
    await client.ws.send_str(json.dumps(big))
    too_big = await client.wait_for(lambda f: f.get("id") == "big")
    assert too_big["data"]["code"] == 9002 and "2048" in too_big["data"]["message"]
    deep: dict = {}
    for _ in range(20):
        deep = {"x": deep}
    await client.ws.send_str(json.dumps({"type": "ping", "id": "deep", "data": deep}))
    assert (await client.wait_for(lambda f: f.get("id") == "deep"))["data"]["code"] == 9001
    await client.ws.send_str("{not json")
    not_json = await client.wait_for(lambda f: f["type"] == "error" and "not JSON" in f["data"]["message"])
    await client.ws.send_bytes(b'{"type": "ping"}')
    binary = await client.wait_for(lambda f: f["type"] == "error" and "binary" in f["data"]["message"])
    assert not_json["data"]["code"] == binary["data"]["code"] == 9001
    unknown = await client.request("launch.rockets", {})
    assert unknown["data"]["code"] == 9001
    assert (await client.request("ping", {}))["type"] == "pong"  # the connection lives on
    await client.ws.send_str("x" * 9000)  # over 4 times the limit: not even read
    assert await closed(client) == 1009


async def test_frame_rates_are_limited_per_connection_and_per_user(
    session: aiohttp.ClientSession, fleet: Fleet
) -> None:
    visitor = await _visitor(session, fleet)
    first, _ = await connect(session, fleet.url("gateway"), visitor["token"])
    second, _ = await connect(session, fleet.url("gateway"), visitor["token"])
    await asyncio.sleep(1.0)  # every bucket is full
    by_connection = [await _burst(first, 12), await _burst(second, 6)]
    for answers in by_connection:
        assert all(answer["data"]["code"] == 9003 for answer in answers if answer["type"] == "error")
    first_refused, second_refused = (
        [a["data"]["message"] for a in answers if a["type"] == "error"] for answers in by_connection
    )
    # 12 frames at once overflow the connection's burst of 5; then the user's burst of 8 is
    # spent, so the other connection, its own bucket still full, is refused for the user.
    assert first_refused and all("this connection" in message for message in first_refused)
    assert second_refused and all("user (all connections)" in message for message in second_refused)
    await asyncio.sleep(1.0)
    assert (await first.request("ping", {}))["type"] == "pong"  # tokens came back
    await first.close()
    await second.close()


async def _burst(client: WsClient, count: int) -> list[dict]:
    ids = [await client.send("ping", {}) for _ in range(count)]
    return [await client.wait_for(lambda f, i=i: f.get("id") == i) for i in ids]


async def test_a_client_that_keeps_flooding_is_closed_with_1008(session: aiohttp.ClientSession, fleet: Fleet) -> None:
    visitor = await _visitor(session, fleet)
    client, _ = await connect(session, fleet.url("gateway"), visitor["token"])
    for _ in range(40):
        if client.ws.closed:
            break
        await client.send("ping", {})
    assert await closed(client) == 1008
    assert any(f["type"] == "error" and "closing" in f["data"]["message"] for f in client.frames)


async def test_a_user_holds_at_most_three_connections(session: aiohttp.ClientSession, fleet: Fleet) -> None:
    visitor = await _visitor(session, fleet)
    held = [(await connect(session, fleet.url("gateway"), visitor["token"]))[0] for _ in range(3)]
    extra, refused = await connect(session, fleet.url("gateway"), visitor["token"])
    assert refused["data"]["code"] == 9003 and "at most 3" in refused["data"]["message"]
    assert await closed(extra) == 1008
    await held.pop().close()
    for _ in range(50):  # the closed one is counted out once its handler has finished
        again, answer = await connect(session, fleet.url("gateway"), visitor["token"])
        if answer["type"] == "auth.ok":
            break
        await asyncio.sleep(0.1)
    assert answer["type"] == "auth.ok"
    for client in (*held, again):
        await client.close()


async def test_browsers_connect_only_from_allowed_origins(session: aiohttp.ClientSession, fleet: Fleet) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await session.ws_connect(ws_url(fleet.url("gateway")), headers={"Origin": "https://evil.example"})
    assert refused.value.status == 403
    visitor = await _visitor(session, fleet)
    client = WsClient(await session.ws_connect(ws_url(fleet.url("gateway")), headers={"Origin": ORIGIN}))
    assert (await client.request("auth", {"token": visitor["token"]}))["type"] == "auth.ok"
    await client.close()
    async with session.get(f"{fleet.url('gateway')}/metrics") as response:
        assert 'parley_gateway_connections_refused_total{reason="origin"}' in await response.text()
