"""What the gateway and auth end-to-end tests share: a fleet with their own settings, an extra
gateway process, logins and the steps to get a conversation between a visitor and an operator."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass
from typing import Any

import aiohttp

from parley_fleet import Fleet
from tests.kit.client import WsClient
from tests.kit.seeding import Seeder


def ws_url(http_url: str) -> str:
    return http_url.replace("http://", "ws://") + "/ws"


async def post(
    session: aiohttp.ClientSession, url: str, body: dict[str, Any], **headers: str
) -> tuple[int, dict[str, Any]]:
    async with session.post(url, json=body, headers=headers) as response:
        return response.status, (await response.json() if response.content_type == "application/json" else {})


async def login(session: aiohttp.ClientSession, fleet: Fleet, **body: str) -> dict[str, Any]:
    status, answer = await post(session, f"{fleet.url('auth')}/auth/login", body)
    assert status == 200, answer
    return answer


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def connect(session: aiohttp.ClientSession, url: str, token: str, **auth: Any) -> tuple[WsClient, dict[str, Any]]:
    """A WebSocket to the gateway at ``url`` (http or ws), authenticated with ``token``."""
    ws = await session.ws_connect(ws_url(url) if url.startswith("http") else url)
    client = WsClient(ws)
    answer = await client.request("auth", {"token": token, **auth})
    return client, answer


async def closed(client: WsClient, timeout: float = 15.0) -> int | None:
    """Wait for the server to close the socket; its close code."""
    with contextlib.suppress(ConnectionError):
        await client.wait_for(lambda _frame: False, timeout)
    return client.ws.close_code


@dataclass
class Chat:
    """A visitor and an operator in one persisted conversation."""

    conversation_id: str
    visitor: dict[str, Any]
    operator: dict[str, Any]
    channel_id: str


async def start_chat(session: aiohttp.ClientSession, fleet: Fleet, admin_token: str) -> Chat:
    """An operator (online on the fleet's gateway while the first message is posted), a channel,
    a visitor and the conversation their first message creates."""
    seed = Seeder(session, fleet, admin_token)
    staff = await seed.staff(name="Olivia")
    channel_id = await seed.channel([staff.uid])
    operator = await login(session, fleet, username=staff.username, password=staff.password)
    console, _ = await connect(session, fleet.url("gateway"), operator["token"])
    visitor = await login(session, fleet, device_id=f"device-{uuid.uuid4().hex}")
    widget, _ = await connect(session, fleet.url("gateway"), visitor["token"])
    try:
        opened = await widget.request("session.open", {"channel_id": channel_id})
        conversation_id = opened["data"]["conversation_id"]
        await asyncio.sleep(0.5)  # presence learns of the console from a bus event
        sent = await widget.request(
            "message.send",
            {"conversation_id": conversation_id, "client_msg_id": "hello", "kind": "text", "body": "Hello"},
        )
        assert sent["type"] == "message.accepted", sent
        # The operator was assigned (a member) when the console gets the first message.
        await console.wait_for(lambda f: f["type"] == "message.new" and f["data"]["conversation_id"] == conversation_id)
    finally:
        await widget.close()
        await console.close()
    return Chat(conversation_id, visitor, operator, channel_id)
