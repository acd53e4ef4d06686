"""Per-channel allowed origins on the WebSocket (docs/security.md): a browser page may open a
channel's sessions only from an origin the channel lists; the gateway's global list still governs
the upgrade, staff consoles and channels that list none; an edit counts at the next open."""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp

from parley_fleet import Fleet
from tests.e2e.accounts.conftest import new_channel, new_staff
from tests.e2e.gateway_fleet import bearer, closed, login, ws_url
from tests.kit.client import WsClient

SHOP = "https://shop.example"
ELSEWHERE = "https://elsewhere.example"


async def _socket(session: aiohttp.ClientSession, fleet: Fleet, token: str, origin: str | None) -> WsClient:
    ws = await session.ws_connect(ws_url(fleet.url("gateway")), origin=origin)
    client = WsClient(ws)
    assert (await client.request("auth", {"token": token}))["type"] == "auth.ok"
    return client


async def _open(client: WsClient, channel_id: str) -> dict[str, Any]:
    return await client.request("session.open", {"channel_id": channel_id})


async def test_a_page_opens_a_channel_only_from_an_origin_the_channel_lists(
    session: aiohttp.ClientSession, fleet: Fleet, admin: str
) -> None:
    listed = await new_channel(session, fleet, admin, allowed_origins=[SHOP])
    unlisted = await new_channel(session, fleet, admin)
    visitor = (await login(session, fleet, device_id=f"device-{uuid.uuid4().hex}"))["token"]

    elsewhere = await _socket(session, fleet, visitor, ELSEWHERE)
    assert (await _open(elsewhere, unlisted))["type"] == "session.opened"  # no list: the global one ("*")
    refused = await _open(elsewhere, listed)
    assert refused["type"] == "error" and refused["data"]["code"] == 9114, refused
    assert await closed(elsewhere, timeout=5) == 4011

    for origin in (SHOP, None):  # the listed page, and an app (no Origin)
        client = await _socket(session, fleet, visitor, origin)
        assert (await _open(client, listed))["type"] == "session.opened"
        await client.close()

    # An edit counts from the next open: nothing stale is kept anywhere.
    async with session.patch(
        f"{fleet.url('chat_session')}/channels/{listed}",
        json={"allowed_origins": [SHOP, ELSEWHERE]},
        headers=bearer(admin),
    ) as response:
        assert response.status == 200
    again = await _socket(session, fleet, visitor, ELSEWHERE)
    assert (await _open(again, listed))["type"] == "session.opened"
    await again.close()


async def test_staff_consoles_are_held_to_the_global_list_only(
    session: aiohttp.ClientSession, fleet: Fleet, admin: str
) -> None:
    uid, username, password = await new_staff(session, fleet, admin)
    await new_channel(session, fleet, admin, allowed_origins=[SHOP], operator_ids=[uid])
    operator = await login(session, fleet, username=username, password=password)
    console = await _socket(session, fleet, operator["token"], ELSEWHERE)
    assert (await console.request("ping", {}))["type"] == "pong"
    await console.close()
