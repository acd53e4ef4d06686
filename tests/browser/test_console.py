"""The operator console in headless Chromium against the real fleet (through the local edge):
sign-in errors, the queue and Accept, replies both ways with typing and seen ticks, canned
responses on ":", commands, history paging, and two consoles of one operator in sync."""

from __future__ import annotations

import asyncio
import time

from playwright.async_api import Page, expect

from tests.browser.conftest import NewPage, RunningDemo, Shot
from tests.browser.console_steps import UI_TIMEOUT_MS, ConsoleWorld, Staff, message_bodies, set_available, sign_in
from tests.e2e.chat_harness import of_type


async def wait_busy(world: ConsoleWorld, channel_id: str, staff: Staff) -> None:
    """Until chat_session sees the operator as not available (the toggle travels through presence)."""
    deadline = time.monotonic() + 15
    while True:
        listed = await world.call("GET", f"/channels/{channel_id}/operators")
        if not any(op["user_id"] == staff.uid and op["available"] for op in listed["operators"]):
            return
        assert time.monotonic() < deadline, listed
        await asyncio.sleep(0.2)


def contains(data: dict, wanted: dict) -> bool:
    """Every key of ``wanted`` has its value in ``data`` (nested dicts compared the same way)."""
    return all(contains(data.get(k) or {}, v) if isinstance(v, dict) else data.get(k) == v for k, v in wanted.items())


async def open_conversation(page: Page, conversation_id: str) -> None:
    await page.click(f"#conversation-list li[data-conversation-id='{conversation_id}'] button")
    await expect(page.locator("#conversation-pane")).to_be_visible()


async def test_wrong_password_is_said_in_plain_words(demo: RunningDemo, new_page: NewPage, world: ConsoleWorld) -> None:
    staff = await world.operator("Wendy")
    page = await new_page("console")
    await page.goto(demo.console_url)
    await page.fill("#login-username", staff.username)
    await page.fill("#login-password", "not-the-password")
    await page.press("#login-password", "Enter")
    await expect(page.locator("#login-error")).to_have_text("Wrong username or password.", timeout=UI_TIMEOUT_MS)
    await expect(page.locator("#app-view")).to_be_hidden()


async def test_queue_accept_reply_typing_seen_and_canned(
    demo: RunningDemo, new_page: NewPage, shot: Shot, world: ConsoleWorld
) -> None:
    olivia = await world.operator("Olivia")
    channel_id = await world.channel([olivia])
    await world.canned(channel_id, "greet", "Hello! How can I help you today?")
    page = await new_page("console")
    await sign_in(page, demo.console_url, olivia)
    await set_available(page, False)
    await wait_busy(world, channel_id, olivia)

    visitor = await world.visitor()
    conversation_id = await world.start_conversation(visitor, channel_id, "My plant is wilting")
    waiting = page.locator(f"#queues li.waiting[data-conversation-id='{conversation_id}']")
    await expect(waiting).to_be_visible(timeout=UI_TIMEOUT_MS)  # pushed: queue.changed, no reload
    await expect(page.locator("#queue-count")).to_have_text("1")
    # The visitor's words under their name (read again after a reload: the queue push may
    # come before the preview is stored).
    await page.reload()
    await expect(waiting.locator(".preview")).to_have_text("My plant is wilting", timeout=UI_TIMEOUT_MS)
    await shot(page, "queue")

    await waiting.get_by_role("button", name="Accept").click()
    await expect(waiting).to_be_hidden(timeout=UI_TIMEOUT_MS)
    await expect(page.locator("#conversation-title")).to_be_visible()
    await expect(message_bodies(page).first).to_have_text("My plant is wilting", timeout=UI_TIMEOUT_MS)
    await visitor.ws.wait_for(of_type("notice", text="Olivia joined the conversation"), timeout=15)
    # Opened while the page is read: the visitor's message is marked seen.
    row = page.locator(f"#conversation-list li[data-conversation-id='{conversation_id}']")
    await expect(row).to_have_attribute("data-unread", "0", timeout=UI_TIMEOUT_MS)

    # Typing shows on the visitor's side; the visitor's typing shows in the console.
    await page.locator("#composer-input").press_sequentially("Let me ")
    await visitor.ws.wait_for(of_type("typing", conversation_id=conversation_id, active=True), timeout=15)
    await visitor.ws.send("typing", {"conversation_id": conversation_id, "active": True})
    await expect(page.locator("#typing-indicator")).to_contain_text("is typing", timeout=UI_TIMEOUT_MS)
    await page.fill("#composer-input", "")

    # ":" suggests canned responses; Enter picks one, Enter again sends it.
    await page.locator("#composer-input").press_sequentially(":gr")
    suggestion = page.locator("#suggestions [role=option][data-shortcut='greet']")
    await expect(suggestion).to_be_visible(timeout=UI_TIMEOUT_MS)
    await shot(page, "canned")
    await page.press("#composer-input", "Enter")
    await expect(page.locator("#composer-input")).to_have_value("Hello! How can I help you today?")
    await page.press("#composer-input", "Enter")
    greeting = {"conversation_id": conversation_id, "message": {"body": "Hello! How can I help you today?"}}
    reply = await visitor.ws.wait_for(
        lambda f: f["type"] == "message.new" and contains(f["data"], greeting), timeout=15
    )
    assert reply["data"]["message"]["author_id"] == olivia.uid
    await expect(page.locator("#typing-indicator")).to_have_text("", timeout=UI_TIMEOUT_MS)  # their message came

    # The visitor reads it: the reply's tick turns to "seen".
    seq = reply["data"]["seq"]
    await visitor.ws.request("seen", {"conversation_id": conversation_id, "seq": seq})
    await expect(page.locator(f"#message-list li[data-seq='{seq}'] .tick")).to_have_attribute(
        "aria-label", "seen", timeout=UI_TIMEOUT_MS
    )
    await world.say(visitor, conversation_id, "It has yellow leaves")
    await expect(message_bodies(page)).to_have_text(
        ["My plant is wilting", "Hello! How can I help you today?", "It has yellow leaves"], timeout=UI_TIMEOUT_MS
    )
    await shot(page, "conversation")

    # A command's answer is shown to the operator only.
    await page.fill("#composer-input", "/help")
    await page.press("#composer-input", "Enter")
    await expect(page.locator("#message-list li.note").last).to_contain_text("/transfer", timeout=UI_TIMEOUT_MS)


async def test_two_consoles_of_one_operator_stay_in_sync_and_page_back(
    demo: RunningDemo, new_page: NewPage, shot: Shot, world: ConsoleWorld
) -> None:
    olivia = await world.operator("Olivia")
    channel_id = await world.channel([olivia])
    first, second = await new_page("console-1"), await new_page("console-2")
    await sign_in(first, demo.console_url, olivia)
    await sign_in(second, demo.console_url, olivia)
    await asyncio.sleep(1)  # presence learns of the connections from bus events

    # Available: the conversation is given to Olivia at once, and both consoles list it, unread.
    visitor = await world.visitor()
    conversation_id = await world.start_conversation(visitor, channel_id, "m01")
    for n in range(2, 36):
        await world.say(visitor, conversation_id, f"m{n:02d}")
    rows = [
        page.locator(f"#conversation-list li[data-conversation-id='{conversation_id}']") for page in (first, second)
    ]
    for row in rows:
        await expect(row).to_have_attribute("data-unread", "35", timeout=UI_TIMEOUT_MS)

    # Reading it in one console clears the unread count in the other.
    await open_conversation(first, conversation_id)
    await expect(rows[0]).to_have_attribute("data-unread", "0", timeout=UI_TIMEOUT_MS)
    await expect(rows[1]).to_have_attribute("data-unread", "0", timeout=UI_TIMEOUT_MS)

    # A reply sent in one console shows in the other, once.
    await first.fill("#composer-input", "Answered from console one")
    await first.press("#composer-input", "Enter")
    await open_conversation(second, conversation_id)
    await expect(second.locator("#message-list [data-seq]", has_text="Answered from console one")).to_have_count(
        1, timeout=UI_TIMEOUT_MS
    )

    # History paging: a console opened later (a reload: the stored session, no sign-in) shows the
    # newest page first; scrolling to the top loads the older messages.
    await second.reload()
    await expect(second.locator("#connection")).to_have_attribute("data-status", "online", timeout=UI_TIMEOUT_MS)
    await open_conversation(second, conversation_id)
    await expect(second.locator("#message-list [data-seq]", has_text="Answered from console one")).to_have_count(
        1, timeout=UI_TIMEOUT_MS
    )
    await expect(second.locator("#message-list [data-seq]", has_text="m01")).to_have_count(0)
    await expect(second.locator("#load-older")).to_be_visible()
    await second.locator("#messages").evaluate("scroller => { scroller.scrollTop = 0; }")
    await expect(second.locator("#message-list [data-seq]", has_text="m01")).to_have_count(1, timeout=UI_TIMEOUT_MS)
    shown = await second.locator("#message-list [data-seq]").evaluate_all(
        "items => items.map(item => Number(item.dataset.seq))"
    )
    assert shown == list(range(1, len(shown) + 1)) and len(shown) >= 36, shown
    await expect(second.locator("#load-older")).to_be_hidden()
    await shot(second, "second-console-paged")
