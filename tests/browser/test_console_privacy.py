"""Issue 18 in the operator console: a visitor whose identity the site signed (docs/client.md) is
shown Verified (an anonymous visitor is not: tests/browser/test_attachments_browser.py)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
from playwright.async_api import expect

from tests.browser.conftest import NewPage, RunningDemo
from tests.browser.console_steps import UI_TIMEOUT_MS, ConsoleWorld, sign_in
from tests.browser.test_attachments_browser import wait_available
from tests.e2e.gateway_fleet import bearer, connect, post


def identity(secret: dict[str, Any], customer: str) -> str:
    now = int(time.time())
    claims = {"sub": customer, "name": "Ada Lovelace", "email": f"{customer}@example.com", "iat": now, "exp": now + 300}
    return jwt.encode(
        {**claims, "jti": uuid.uuid4().hex}, secret["secret"], algorithm="HS256", headers={"kid": secret["id"]}
    )


async def test_a_verified_visitor_is_badged_in_the_console(
    demo: RunningDemo, new_page: NewPage, world: ConsoleWorld
) -> None:
    auth_url = demo.fleet.url("auth")
    olivia = await world.operator("Olivia")
    channel_id = await world.channel([olivia])
    status, secret = await post(
        world.session, f"{auth_url}/auth/channels/{channel_id}/identity-secrets", {}, **bearer(world.admin_token)
    )
    assert status == 201, secret
    console = await new_page("console")
    await sign_in(console, demo.console_url, olivia)
    await wait_available(world, channel_id, olivia)

    status, visitor = await post(
        world.session,
        f"{auth_url}/auth/login",
        {
            "device_id": f"device-{uuid.uuid4().hex}",
            "channel_id": channel_id,
            "identity": identity(secret, f"cust-{uuid.uuid4().hex[:8]}"),
        },
    )
    assert status == 200, visitor
    widget, _ = await connect(world.session, demo.fleet.url("gateway"), visitor["token"])
    opened = await widget.request("session.open", {"channel_id": channel_id})
    conversation_id = opened["data"]["conversation_id"]
    body = {"conversation_id": conversation_id, "client_msg_id": "m1", "kind": "text", "body": "my order is late"}
    assert (await widget.request("message.send", body))["type"] == "message.accepted"
    await widget.close()

    row = console.locator("#conversation-list li.conversation button").first
    await expect(row).to_contain_text("Ada Lovelace", timeout=UI_TIMEOUT_MS)
    await row.click()
    await expect(console.locator("#conversation-verified")).to_be_visible(timeout=UI_TIMEOUT_MS)
    await expect(console.locator("#message-list li.message[data-seq]", has_text="order is late")).to_have_count(1)
