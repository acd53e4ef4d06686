"""The bot's "use several messages; I'll wait until you're done" waits while the visitor types
(issue 22 item 2): the widget's typing frames reach the bot through chat_session, so a visitor
who takes longer than the quiet spell to type the second line is not asked for an e-mail with it."""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser.conftest import NewPage, RunningDemo, Shot
from tests.browser.console_steps import UI_TIMEOUT_MS
from tests.browser.widget_steps import PHONE, open_widget, say

DESCRIBE = "Please describe what happened"
ASK_EMAIL = "What email address can we reach you at?"


async def test_the_bot_waits_while_the_visitor_types_the_next_line(
    demo: RunningDemo, new_page: NewPage, shot: Shot
) -> None:
    visitor = await new_page("visitor", **PHONE)
    await open_widget(visitor, demo.site_url)
    await say(visitor, "Hi")
    broken = visitor.locator(".answers button[data-answer='broken']")
    await expect(broken).to_be_visible(timeout=UI_TIMEOUT_MS)
    await broken.click()
    await expect(visitor.locator(".log", has_text=DESCRIBE)).to_be_visible(timeout=UI_TIMEOUT_MS)

    await say(visitor, "The app crashes when I pay.")
    # The second line typed at a slow visitor's pace: 7.5 s, past the 3 s quiet spell the bot
    # waits after a message; the typing frames (one per 3 s) hold it.
    box = visitor.locator(".compose textarea")
    await box.press_sequentially("It started after the update.", delay=270)
    await expect(visitor.locator(".log", has_text=ASK_EMAIL)).to_have_count(0)
    await box.press("Enter")
    await expect(visitor.locator(".log", has_text=ASK_EMAIL)).to_be_visible(timeout=UI_TIMEOUT_MS)
    await expect(visitor.locator(".log")).not_to_contain_text("look like an email")
    await shot(visitor, "1-phone-both-lines-one-answer")
