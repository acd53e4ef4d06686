"""The demo make up serves: the edge routes like the Ingress, the sample site embeds the widget
with one tag from another origin, the cross-origin settings hold, and the seed is idempotent.
Also what Chromium's offline emulation does to an open WebSocket (nothing), which is why the
tests drop sockets with Edge.cut_websockets."""

from __future__ import annotations

import asyncio
import re

import aiohttp
import pytest
from playwright.async_api import expect

from parley_fleet.demo import DemoSeed
from tests.browser.conftest import NewPage, RunningDemo, Shot
from tests.browser.widget_steps import PHONE, WAIT_MS, open_widget, say


async def test_the_sample_site_embeds_the_widget_with_one_script_tag(demo: RunningDemo) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(demo.site_url) as response:
            page = await response.text()
        tags = re.findall(r"<script[^>]*>", page)
        assert tags == [
            f'<script src="{demo.edge_url}/widget.js" data-channel="{demo.channel_id}"'
            ' data-push-worker="/parley-push-worker.js" async>'
        ]
        # The push worker the tag names, served from the site's own origin (a service worker must be).
        async with session.get(f"{demo.site_url}/parley-push-worker.js") as worker:
            assert worker.status == 200 and worker.content_type == "text/javascript"
            assert "showNotification" in await worker.text()
        async with session.get(f"{demo.edge_url}/widget.js") as widget:
            assert widget.status == 200 and widget.headers["Cache-Control"] == "public, max-age=300"
            etag = widget.headers["ETag"]
        async with session.get(f"{demo.edge_url}/widget.js", headers={"If-None-Match": etag}) as again:
            assert again.status == 304


async def test_the_demo_page_on_a_phone_keeps_the_launcher_and_the_open_chat_on_screen(
    demo: RunningDemo, new_page: NewPage, shot: Shot
) -> None:
    page = await new_page("phone", **PHONE)
    await page.goto(demo.site_url)
    launcher = page.locator(".launcher")
    await expect(launcher).to_be_visible(timeout=WAIT_MS)
    # Nothing on the page is wider than the screen, so the phone does not zoom out or stretch.
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    box = await launcher.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["y"] + box["height"] <= 844
    await shot(page, "phone-page")
    await open_widget(page, demo.site_url)
    panel = await page.locator(".panel").bounding_box()
    assert panel is not None and (panel["x"], panel["y"], panel["width"], panel["height"]) == (0, 0, 390, 844)
    # The panel is the chat, not a blank sheet: the welcome and the reply box are on screen.
    for part in (".msg.welcome", ".compose textarea", ".compose .send"):
        part_box = await page.locator(part).bounding_box()
        assert (
            part_box is not None
            and part_box["x"] + part_box["width"] <= 390
            and part_box["y"] + part_box["height"] <= 844
        ), part
    await say(page, "hi")
    await expect(page.locator(".msg.mine", has_text="hi")).to_be_visible(timeout=WAIT_MS)
    await shot(page, "phone-chat")


async def test_cross_origin_settings_allow_the_site_and_refuse_others(demo: RunningDemo) -> None:
    preflight = {
        "Origin": demo.site_url,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    async with aiohttp.ClientSession() as session:
        async with session.options(f"{demo.edge_url}/auth/login", headers=preflight) as response:
            assert response.status == 204 and response.headers["Access-Control-Allow-Origin"] == demo.site_url
        async with session.get(
            f"{demo.edge_url}/channels/{demo.channel_id}/availability", headers={"Origin": demo.site_url}
        ) as response:
            assert response.headers["Access-Control-Allow-Origin"] == demo.site_url
        ws = await session.ws_connect(f"{demo.edge_url.replace('http', 'ws')}/ws", headers={"Origin": demo.site_url})
        await ws.close()
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(
                f"{demo.edge_url.replace('http', 'ws')}/ws", headers={"Origin": "https://elsewhere.example"}
            )
        assert refused.value.status == 403


async def test_the_seed_is_idempotent(demo: RunningDemo) -> None:
    async with aiohttp.ClientSession() as session:
        again = await DemoSeed(demo.fleet, session, demo.site_url).run()
    assert again.channel_id == demo.channel_id


async def test_offline_emulation_leaves_an_open_websocket_alive(demo: RunningDemo, new_page: NewPage) -> None:
    page = await new_page("visitor")
    await open_widget(page, demo.site_url)
    open_sockets = set(demo.edge.sockets)
    assert open_sockets
    await page.context.set_offline(True)
    await asyncio.sleep(3)
    assert open_sockets <= demo.edge.sockets  # Chromium did not cut it: a drop needs Edge.cut_websockets
    await expect(page.locator(".status")).to_have_text("")
    await demo.edge.cut_websockets()
    await expect(page.locator(".status")).to_have_text("Connection lost. Reconnecting…", timeout=WAIT_MS)
    await page.context.set_offline(False)
    await expect(page.locator(".status")).to_have_text("", timeout=WAIT_MS)
