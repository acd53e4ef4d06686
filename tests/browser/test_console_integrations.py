"""The console's "Bots and webhooks" screen in headless Chromium against the real fleet (issues 20
and 22): an admin subscribes a webhook to a channel and is shown its secret once; a message in
that channel reaches a receiver that refuses it for good, so it is listed under dead letters;
the admin sends it again and the receiver, now up, verifies it with the secret the screen
showed. Then a bot is registered, its secret rotated, and it is removed. axe-core checks the
screen on desktop and phone; screenshots land in test-artifacts/browser/<test>/."""

from __future__ import annotations

import re
import uuid

from playwright.async_api import Dialog, expect

from tests.browser.conftest import NewPage, RunningDemo, Shot
from tests.browser.console_steps import UI_TIMEOUT_MS, ConsoleWorld
from tests.browser.test_accessibility import blocking_violations
from tests.browser.test_console_admin import open_tab, sign_in_admin
from tests.browser.widget_steps import DESKTOP, PHONE
from tests.e2e.webhook_receiver import Receiver
from tests.kit.waiting import eventually

# A signing secret as the integrations service makes them (Standard Webhooks' whsec_ prefix).
SECRET = re.compile(r"^whsec_\S+$")


async def test_an_admin_subscribes_a_webhook_redelivers_its_dead_letter_and_manages_a_bot(
    demo: RunningDemo, new_page: NewPage, shot: Shot, world: ConsoleWorld
) -> None:
    olivia = await world.operator("Olivia")
    channel_id = await world.channel([olivia])
    channel_name = (await world.call("GET", f"/channels/{channel_id}"))["name"]
    receiver = await Receiver(always=410).start()  # gone: refused for good, dead-lettered at once
    try:
        admin = await new_page("admin", **DESKTOP)
        await sign_in_admin(admin, demo)
        await open_tab(admin, "Bots and webhooks")
        panel = admin.locator("#admin-panel")
        await expect(panel.get_by_text("No webhook subscription yet.")).to_be_visible(timeout=UI_TIMEOUT_MS)

        # A subscription to message.created in the new channel; its secret is shown once.
        form = admin.get_by_role("form", name="Subscribe a webhook")
        await form.get_by_label("URL", exact=True).fill(receiver.url)
        await form.get_by_label("message.created").check()
        await form.get_by_label(channel_name).check()
        await form.get_by_role("button", name="Subscribe").click()
        secret = panel.locator(".secret-note code")
        await expect(secret).to_have_text(SECRET, timeout=UI_TIMEOUT_MS)
        receiver.secrets.append(await secret.inner_text())
        await expect(panel.get_by_role("cell", name=receiver.url, exact=True)).to_be_visible()
        await shot(admin, "1-subscribed")
        assert await blocking_violations(admin, "#admin-panel") == []

        # A visitor writes: the receiver refuses the event (410), so it is a dead letter at once.
        visitor = await world.visitor()
        conversation_id = await world.start_conversation(visitor, channel_id, "Is the shop open on Sunday?")
        await eventually(lambda: receiver.attempts, what="the refused attempt")
        await open_tab(admin, "Staff")  # each opening reads the screen afresh
        await open_tab(admin, "Bots and webhooks")
        dead_letters = panel.get_by_role("table", name="Dead letters (every attempt failed)")
        dead = dead_letters.get_by_role("row").filter(has_text="message.created")
        await expect(dead).to_have_count(1, timeout=UI_TIMEOUT_MS)
        await expect(dead).to_contain_text("answered 410")
        await shot(admin, "2-dead-letter")

        # The receiver is back: the admin sends it again, same webhook-id, signed with that secret.
        receiver.always = None
        await dead.get_by_role("button", name="Send again").click()
        await expect(panel.locator(".outcome")).to_have_text("1 sent again, same webhook-id.", timeout=UI_TIMEOUT_MS)
        processed = await eventually(lambda: receiver.processed, what="the redelivered event")
        [(webhook_id, entries)] = processed.items()
        assert entries[0].body["data"]["conversation_id"] == conversation_id
        assert receiver.attempts[webhook_id] == 2 and receiver.problems == []  # every request verified
        await expect(panel.get_by_text("No dead letter: every delivery arrived.")).to_be_visible(timeout=UI_TIMEOUT_MS)

        # A bot: registered (its secret shown), rotated (a new one), removed (after a confirmation).
        bot_name = f"Helper {uuid.uuid4().hex[:4]}"
        bot_form = admin.get_by_role("form", name="Register a bot")
        await bot_form.get_by_label("Name").fill(bot_name)
        await bot_form.get_by_label("Webhook URL").fill(f"http://127.0.0.1:{receiver.port}/bot")
        await bot_form.get_by_label("If the bot cannot be reached").select_option("apologise")
        await bot_form.get_by_role("button", name="Register").click()
        await expect(panel.locator(".outcome")).to_have_text(f"Bot {bot_name} registered.", timeout=UI_TIMEOUT_MS)
        first_secret = await secret.inner_text()
        row = panel.get_by_role("row").filter(has_text=bot_name)
        await expect(row).to_contain_text("Apologise to the visitor")
        await row.get_by_role("button", name=f"Rotate secret of {bot_name}").click()
        await expect(secret).not_to_have_text(first_secret, timeout=UI_TIMEOUT_MS)

        async def accept(dialog: Dialog) -> None:
            await dialog.accept()

        admin.once("dialog", accept)
        await row.get_by_role("button", name=f"Remove {bot_name}").click()
        await expect(panel.locator(".outcome")).to_have_text(f"{bot_name} removed.", timeout=UI_TIMEOUT_MS)
        await expect(panel.get_by_role("row").filter(has_text=bot_name)).to_have_count(0)
        bots = (await world.call("GET", "/integrations/bots"))["bots"]
        assert bot_name not in [bot["name"] for bot in bots]

        # On a phone the screen fits and reads the same.
        phone = await new_page("admin-phone", **PHONE)
        await sign_in_admin(phone, demo)
        await open_tab(phone, "Bots and webhooks")
        await expect(phone.locator("#admin-panel").get_by_role("cell", name=receiver.url, exact=True)).to_be_visible(
            timeout=UI_TIMEOUT_MS
        )
        width = await phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width} px wide on a 390 px phone"
        await shot(phone, "3-phone")
        assert await blocking_violations(phone, "#admin-panel") == []
    finally:
        await receiver.stop()
