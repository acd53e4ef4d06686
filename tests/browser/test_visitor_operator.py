"""Issue 7's main scenario in two browser contexts: a visitor on the sample site walks the bot
and is forwarded; the operator accepts in the console and replies; each side's network is cut
mid-conversation and restored, and no message is missing or doubled on either screen; the
visitor ends the chat and rates it. Screenshots of both screens at each step land in
test-artifacts/browser/test_visitor_and_operator_through_bot_network_cuts_and_rating/.

The network cut: Chromium's offline emulation (``context.set_offline``) fails new requests and
WebSocket handshakes but leaves an open WebSocket alive (measured: still online 20 s later), so
a cut is offline emulation of the side that loses the network *plus* the edge dropping every
proxied WebSocket without a close frame (``Edge.cut_websockets``: the browser sees 1006, as when
a network goes away). The side still online reconnects at once; the cut side cannot until its
network is restored.
"""

from __future__ import annotations

import asyncio
import time

from playwright.async_api import Locator, Page, expect

from tests.browser.conftest import NewPage, RunningDemo, Shot
from tests.browser.console_steps import UI_TIMEOUT_MS, ConsoleWorld, Staff, set_available, sign_in


async def both(shot: Shot, visitor: Page, console: Page, step: str) -> None:
    await shot(visitor, f"{step}-visitor")
    await shot(console, f"{step}-console")


async def wait_busy(world: ConsoleWorld, channel_id: str, staff: Staff) -> None:
    deadline = time.monotonic() + 15
    while True:
        listed = await world.call("GET", f"/channels/{channel_id}/operators")
        if not any(op["user_id"] == staff.uid and op["available"] for op in listed["operators"]):
            return
        assert time.monotonic() < deadline, listed
        await asyncio.sleep(0.2)


async def rated(world: ConsoleWorld, conversation_id: str) -> dict:
    """The conversation once its rating is stored (the widget sends it when a star is clicked)."""
    deadline = time.monotonic() + 15
    while True:
        detail = await world.call("GET", f"/conversations/{conversation_id}")
        if detail["rating"] is not None:
            return detail
        assert time.monotonic() < deadline, f"no rating stored: {detail}"
        await asyncio.sleep(0.2)


async def seqs(items: Locator) -> list[int]:
    return [int(seq) for seq in await items.evaluate_all("items => items.map(item => item.dataset.seq)")]


def quick_replies(message: dict) -> bool:
    return message["kind"] == "bot" and isinstance(message["body"], dict) and message["body"]["kind"] == "quick_replies"


async def cut(page: Page, demo: RunningDemo, status: Locator, offline_value: str) -> None:
    """Take this page's network away and drop every live WebSocket; wait until the page notices."""
    await page.context.set_offline(True)
    await demo.edge.cut_websockets()
    await expect(status).to_contain_text(offline_value, timeout=UI_TIMEOUT_MS)


async def visitor_writes(visitor: Page, text: str) -> None:
    await visitor.locator(".compose textarea").fill(text)
    await visitor.locator(".compose textarea").press("Enter")


async def console_writes(console: Page, text: str) -> None:
    await console.fill("#composer-input", text)
    await console.press("#composer-input", "Enter")


async def assert_each_once(visitor: Page, console: Page, texts: list[str]) -> None:
    """Every text is on both screens exactly once, as a stored message (a seq), none left pending."""
    for text in texts:
        await expect(visitor.locator(".log .msg[data-seq]", has_text=text)).to_have_count(1, timeout=UI_TIMEOUT_MS)
        await expect(console.locator("#message-list [data-seq]", has_text=text)).to_have_count(1, timeout=UI_TIMEOUT_MS)
    await expect(visitor.locator(".log .pending")).to_have_count(0, timeout=UI_TIMEOUT_MS)
    await expect(console.locator("#message-list .pending")).to_have_count(0, timeout=UI_TIMEOUT_MS)


async def test_visitor_and_operator_through_bot_network_cuts_and_rating(
    demo: RunningDemo, new_page: NewPage, shot: Shot, world: ConsoleWorld
) -> None:
    olivia = await world.operator("Olivia")
    channel_id = await world.channel([olivia], like=demo.channel_id)  # the demo's bot and site origins
    console = await new_page("console")
    await sign_in(console, demo.console_url, olivia)
    await set_available(console, False)  # busy: the forwarded visitor waits in the queue for Accept
    await wait_busy(world, channel_id, olivia)

    # The visitor walks the bot to "Talk to a person".
    visitor = await new_page("visitor")
    await visitor.goto(demo.site_for(channel_id))
    await visitor.locator(".launcher").click()
    await visitor_writes(visitor, "Hello")
    talk = visitor.locator(".answers button[data-answer='human']")
    await expect(talk).to_be_visible(timeout=UI_TIMEOUT_MS)
    await both(shot, visitor, console, "1-bot-walked")
    await talk.click()

    # Forwarded: the conversation waits in the operator's queue; the operator accepts it.
    waiting = console.locator("#queues li.waiting")
    await expect(waiting).to_have_count(1, timeout=UI_TIMEOUT_MS)
    conversation_id = await waiting.get_attribute("data-conversation-id")
    await both(shot, visitor, console, "2-forwarded")
    await waiting.get_by_role("button", name="Accept").click()
    await expect(visitor.locator(".log", has_text="Olivia joined the conversation")).to_be_visible(
        timeout=UI_TIMEOUT_MS
    )
    # The console shows what came before the operator: the visitor's first words and the bot's questions.
    await expect(console.locator("#message-list .from-visitor[data-seq]", has_text="Hello")).to_have_count(
        1, timeout=UI_TIMEOUT_MS
    )
    await expect(console.locator("#message-list .from-bot[data-seq]").first).to_be_visible()
    await console_writes(console, "Hi, I'm Olivia. How can I help?")
    await assert_each_once(visitor, console, ["Hi, I'm Olivia. How can I help?"])
    await both(shot, visitor, console, "3-operator-replied")

    # The visitor's network goes away mid-conversation: the operator keeps writing, so does the visitor.
    await cut(visitor, demo, visitor.locator(".status"), "Reconnecting")
    await expect(console.locator("#connection")).to_have_attribute("data-status", "online", timeout=UI_TIMEOUT_MS)
    await console_writes(console, "Are you still there?")
    await console_writes(console, "I'll wait for you.")
    await visitor_writes(visitor, "Sorry, my wifi is flaky")
    await both(shot, visitor, console, "4-visitor-offline")
    await visitor.context.set_offline(False)
    await assert_each_once(visitor, console, ["Are you still there?", "I'll wait for you.", "Sorry, my wifi is flaky"])
    await both(shot, visitor, console, "5-visitor-restored")

    # Now the operator's network goes away: the visitor writes twice, the operator once.
    await cut(console, demo, console.locator("#connection"), "reconnecting")
    await visitor_writes(visitor, "My order number is A-1001")
    await visitor_writes(visitor, "It never arrived")
    await console_writes(console, "Let me check that order.")
    await expect(console.locator("#message-list .pending")).to_have_count(1)
    await both(shot, visitor, console, "6-operator-offline")
    await console.context.set_offline(False)
    await expect(console.locator("#connection")).to_have_attribute("data-status", "online", timeout=UI_TIMEOUT_MS)
    await assert_each_once(
        visitor, console, ["My order number is A-1001", "It never arrived", "Let me check that order."]
    )
    await both(shot, visitor, console, "7-operator-restored")

    # Nothing missing or doubled: the console shows every stored message once, in seq order.
    transcript = await world.call("GET", f"/conversations/{conversation_id}/transcript.json")
    # (the bot's quick-reply chips are the visitor's buttons, not a line of the operator's log)
    stored = [message["seq"] for message in transcript["messages"] if not quick_replies(message)]
    assert await seqs(console.locator("#message-list [data-seq]")) == stored
    shown = await seqs(visitor.locator(".log [data-seq]"))
    assert shown == sorted(set(shown)), f"the visitor's screen repeats or reorders: {shown}"
    texts = [m["seq"] for m in transcript["messages"] if m["kind"] == "text"]
    assert set(texts) <= set(shown), f"the visitor misses {set(texts) - set(shown)}"

    # The visitor ends the chat and rates it; the console sees it closed.
    await visitor.locator(".end").click()
    await visitor.locator(".stars button[data-rating='5']").click()
    await visitor.locator(".rate-send").click()
    await expect(console.locator("#conversation-status")).to_have_text("Closed", timeout=UI_TIMEOUT_MS)
    detail = await rated(world, conversation_id)
    await both(shot, visitor, console, "8-rated")
    assert (detail["status"], detail["rating"]["rating"]) == ("closed", 5)
    transcript_html = await world.call("GET", f"/conversations/{conversation_id}/transcript.html")
    assert "Let me check that order." in transcript_html
