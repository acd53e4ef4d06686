"""Steps the console's browser tests share: staff accounts and channels of their own (so tests
never share an operator's conversations), visitors over a plain WebSocket, and signing in."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

import aiohttp
from playwright.async_api import Page, expect

from parley.contracts.errors import ErrorCode
from tests.kit.client import WsClient, login
from tests.kit.seeding import Seeder, Staff

# Generous: the fleet shares a 2-core machine with other test runs.
UI_TIMEOUT_MS = 20_000
# A send refused for rate is sent again after this pause, this many times at most (the
# connection's bucket refills 10 frames a second).
RATE_LIMITED_PAUSE_SECONDS = 0.2
RATE_LIMITED_ATTEMPTS = 20


@dataclass
class Visitor:
    uid: str
    ws: WsClient


class ConsoleWorld:
    """HTTP and WebSocket calls on the demo's edge (one origin, like the Ingress), as its admin."""

    def __init__(self, edge_url: str, session: aiohttp.ClientSession, admin_token: str) -> None:
        self.edge_url = edge_url
        self.session = session
        self.admin_token = admin_token
        self.seed = Seeder(session, edge_url, admin_token)
        self.sockets: list[WsClient] = []

    async def call(self, method: str, path: str, *, token: str | None = None, status: int = 200, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {token or self.admin_token}"}
        async with self.session.request(method, self.edge_url + path, headers=headers, **kwargs) as response:
            body = await response.text()
            assert response.status == status, f"{method} {path}: {response.status} {body}"
            return await response.json() if response.content_type == "application/json" else body

    async def operator(self, name: str) -> Staff:
        return await self.seed.staff(name=name)

    async def channel(self, operators: list[Staff], *, like: str | None = None, **fields: Any) -> str:
        """A channel of these operators; ``like``: copy that channel's bot and allowed origins."""
        body: dict[str, Any] = {"name": f"Desk {uuid.uuid4().hex[:4]}", "welcome": "Hello!", **fields}
        body["operator_ids"] = [op.uid for op in operators]
        if like is not None:
            model = await self.call("GET", f"/channels/{like}")
            body |= {"chatbot_script_id": model["chatbot_script_id"], "allowed_origins": model["allowed_origins"]}
        channel_id = await self.seed.channel(**body)
        for op in operators:  # display names, for notices and /transfer
            await self.call("PUT", f"/channels/{channel_id}/operators/{op.uid}", json={"name": op.name})
        return channel_id

    async def canned(self, channel_id: str, shortcut: str, text: str) -> None:
        await self.call("PUT", f"/channels/{channel_id}/canned-responses/{shortcut}", json={"text": text})

    async def visitor(self) -> Visitor:
        signed_in = await login(self.session, self.edge_url, device_id=f"device-{uuid.uuid4().hex}")
        ws, _ = await WsClient.connect(
            self.session, self.edge_url.replace("http://", "ws://") + "/ws", signed_in["token"]
        )
        self.sockets.append(ws)
        return Visitor(signed_in["uid"], ws)

    async def start_conversation(self, visitor: Visitor, channel_id: str, text: str) -> str:
        opened = await visitor.ws.request("session.open", {"channel_id": channel_id})
        assert opened["type"] == "session.opened", opened
        conversation_id = opened["data"]["conversation_id"]
        await self.say(visitor, conversation_id, text)
        return conversation_id

    async def say(self, visitor: Visitor, conversation_id: str, text: str) -> dict[str, Any]:
        """Send as a client should: refused for rate (9003), wait and send the same message again
        (a test that posts dozens of messages in a row can outrun the connection's 10 frames a
        second once the fleet answers fast)."""
        data = {"conversation_id": conversation_id, "client_msg_id": uuid.uuid4().hex, "kind": "text", "body": text}
        for _attempt in range(RATE_LIMITED_ATTEMPTS):
            sent = await visitor.ws.request("message.send", data, timeout=15)
            if sent["type"] != "error" or sent["data"].get("code") != int(ErrorCode.RATE_LIMITED):
                break
            await asyncio.sleep(RATE_LIMITED_PAUSE_SECONDS)
        assert sent["type"] == "message.accepted", sent
        return sent["data"]["message"]

    async def close(self) -> None:
        for ws in self.sockets:
            await ws.close()


async def wait_busy(world: ConsoleWorld, channel_id: str, staff: Staff) -> None:
    """Until chat_session sees the operator as not available (the toggle travels through presence)."""
    deadline = asyncio.get_running_loop().time() + 15
    while True:
        listed = await world.call("GET", f"/channels/{channel_id}/operators")
        if not any(op["user_id"] == staff.uid and op["available"] for op in listed["operators"]):
            return
        assert asyncio.get_running_loop().time() < deadline, listed
        await asyncio.sleep(0.2)


async def sign_in(page: Page, console_url: str, staff: Staff) -> None:
    """Open the console, sign in, and wait until it is online."""
    await page.goto(console_url)
    await page.fill("#login-username", staff.username)
    await page.fill("#login-password", staff.password)
    await page.click("#login-submit")
    await expect(page.locator("#connection")).to_have_attribute("data-status", "online", timeout=UI_TIMEOUT_MS)
    await expect(page.locator("#me-name")).to_have_text(staff.name, timeout=UI_TIMEOUT_MS)


async def set_available(page: Page, available: bool) -> None:
    toggle = page.locator("#availability")
    if await toggle.is_checked() != available:
        await toggle.click()
    await expect(page.locator("#availability-label")).to_have_text("Available" if available else "Busy")


def message_bodies(page: Page):
    """The bodies of the stored messages shown (pending ones excluded), in order."""
    return page.locator("#message-list li.message[data-seq] .body")
