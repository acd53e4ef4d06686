"""The widget's offline form (issue 22): a channel with nobody at work shows a form (name, e-mail
checked at once, message) instead of a chat; what is sent lands in the console of the channel's
operators, with a reply link by e-mail. On a desktop and on a phone, with axe clean on both.
The endpoint's refusals (no token, another channel, a bad origin, oversized or operator-laden
input, a flood) are tests/security/test_chat_session_attacks.py's."""

from __future__ import annotations

import json

from playwright.async_api import expect

from tests.browser.conftest import NewPage, RunningDemo, Shot
from tests.browser.console_steps import UI_TIMEOUT_MS, ConsoleWorld, sign_in
from tests.browser.test_accessibility import blocking_violations
from tests.browser.widget_steps import DESKTOP, PHONE

NEVER_OPEN = {"timezone": "UTC", "weekly": {}}


async def test_a_visitor_leaves_a_message_and_the_team_sees_it(
    demo: RunningDemo, new_page: NewPage, shot: Shot, world: ConsoleWorld
) -> None:
    operator = await world.operator("Nora")
    demo_channel = await world.call("GET", f"/channels/{demo.channel_id}")
    channel_id = await world.channel(
        [operator], allowed_origins=demo_channel["allowed_origins"], business_hours=NEVER_OPEN
    )
    for device, context in (("desktop", DESKTOP), ("phone", PHONE)):
        visitor = await new_page(f"visitor-{device}", **context)
        await visitor.goto(demo.site_for(channel_id))
        launcher = visitor.locator(".launcher")
        await expect(launcher).to_have_text("Leave a message", timeout=UI_TIMEOUT_MS)
        await launcher.click()
        form = visitor.locator(".offline-form")
        await expect(form).to_be_visible()
        await expect(visitor.locator(".compose")).to_be_hidden()  # no chat box nobody would read
        await expect(form.get_by_label("Your name")).to_be_focused()

        await form.get_by_label("Your name").fill(f"Ada on a {device}")
        email = form.get_by_label("Your e-mail")
        await email.fill("ada@nowhere")
        await form.get_by_label("Your message").fill("Please call me back about my order.\nThanks!")
        await form.get_by_role("button", name="Send message").click()
        await expect(visitor.locator(".field-error")).to_contain_text("valid e-mail address")
        await expect(email).to_have_attribute("aria-invalid", "true")
        await expect(email).to_be_focused()
        await shot(visitor, f"1-{device}-email-refused")

        await email.fill(f"ada.{device}@example.com")
        await form.get_by_role("button", name="Send message").click()
        thanks, refused = visitor.locator(".offline-thanks"), visitor.locator(".form-error")
        await expect(visitor.locator(".offline-thanks:visible, .form-error:visible")).to_be_visible(
            timeout=UI_TIMEOUT_MS
        )
        assert await refused.is_hidden(), await refused.text_content()
        await expect(thanks).to_contain_text(f"ada.{device}@example.com", timeout=UI_TIMEOUT_MS)
        await expect(form).to_be_hidden()
        await shot(visitor, f"2-{device}-sent")
        violations = await blocking_violations(visitor, "#parley-widget")
        assert not violations, json.dumps(violations, indent=1)

    sent = await world.call("GET", f"/channels/{channel_id}/offline-requests")
    assert sorted(r["email"] for r in sent["offline_requests"]) == [
        "ada.desktop@example.com",
        "ada.phone@example.com",
    ]
    assert all(r["page_url"].startswith(demo.site_url) for r in sent["offline_requests"]), sent

    for device, context in (("desktop", DESKTOP), ("phone", PHONE)):
        console = await new_page(f"console-{device}", **context)
        await sign_in(console, demo.console_url, operator)
        await expect(console.locator("#offline-count")).to_have_text("2", timeout=UI_TIMEOUT_MS)
        await console.locator("#offline-section summary").click()
        requests = console.locator(".offline-request")
        await expect(requests).to_have_count(2, timeout=UI_TIMEOUT_MS)
        newest = requests.first
        await expect(newest).to_contain_text("Ada on a phone")
        await expect(newest).to_contain_text("Please call me back about my order.")
        reply = newest.get_by_role("link", name="Reply by e-mail")
        assert (await reply.get_attribute("href") or "").startswith("mailto:ada.phone%40example.com?subject=")
        await newest.scroll_into_view_if_needed()
        await shot(console, f"3-{device}-console")
        violations = await blocking_violations(console, "#offline-section")
        assert not violations, json.dumps(violations, indent=1)
