"""The operator console on a phone (390x844, issue 22): the lists first, a chat opened takes the
screen with its composer in view and a way back to the lists; nothing wider than the screen,
and axe clean."""

from __future__ import annotations

import json

from playwright.async_api import expect

from tests.browser.conftest import NewPage, RunningDemo, Shot
from tests.browser.console_steps import UI_TIMEOUT_MS, ConsoleWorld, message_bodies, set_available, sign_in, wait_busy
from tests.browser.test_accessibility import blocking_violations
from tests.browser.widget_steps import PHONE

PHONE_HEIGHT = 844


async def in_view(page, selector: str) -> None:
    box = await page.locator(selector).bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE_HEIGHT, (selector, box)


async def test_an_operator_answers_from_a_phone(
    demo: RunningDemo, new_page: NewPage, shot: Shot, world: ConsoleWorld
) -> None:
    paula = await world.operator("Paula")
    channel_id = await world.channel([paula])
    page = await new_page("console-phone", **PHONE)
    await sign_in(page, demo.console_url, paula)
    await expect(page.locator(".keyboard-hint")).to_be_hidden()  # no Alt key on a phone
    await set_available(page, False)
    await wait_busy(world, channel_id, paula)

    visitor = await world.visitor()
    conversation_id = await world.start_conversation(visitor, channel_id, "Is the fern pet-safe?")
    waiting = page.locator(f"#queues li.waiting[data-conversation-id='{conversation_id}']")
    await expect(waiting).to_be_visible(timeout=UI_TIMEOUT_MS)
    await expect(page.locator("#conversation-view")).to_be_hidden()  # the lists come first
    await in_view(page, f"#queues li.waiting[data-conversation-id='{conversation_id}'] button")
    await shot(page, "1-queue")

    await waiting.get_by_role("button", name="Accept").click()
    await expect(message_bodies(page).first).to_have_text("Is the fern pet-safe?", timeout=UI_TIMEOUT_MS)
    await expect(page.locator("#sidebar")).to_be_hidden()  # the chat takes the screen
    await in_view(page, "#composer-input")
    await in_view(page, "#conversation-title")
    await page.fill("#composer-input", "Yes, ferns are safe for cats and dogs.")
    await page.press("#composer-input", "Enter")
    await visitor.ws.wait_for(
        lambda f: (
            f["type"] == "message.new" and f["data"]["message"]["body"] == "Yes, ferns are safe for cats and dogs."
        ),
        timeout=15,
    )
    await expect(message_bodies(page).last).to_have_text("Yes, ferns are safe for cats and dogs.")
    await shot(page, "2-conversation")
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]  # type: ignore[index]
    await shot(page, "2-conversation")
    violations = await blocking_violations(page, "#app-view")
    assert not violations, json.dumps(violations, indent=1)

    await page.get_by_role("button", name="Conversations").click()
    row = page.locator(f"#conversation-list li[data-conversation-id='{conversation_id}']")
    await expect(row).to_be_visible()
    await expect(page.locator("#conversation-view")).to_be_hidden()
    await shot(page, "3-back-to-lists")
    await row.locator("button").first.click()
    await expect(page.locator("#composer-input")).to_be_visible()
