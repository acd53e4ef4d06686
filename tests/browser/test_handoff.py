"""The bot's hand-off says one coherent thing (issue 22 item 3).

The team at work (an operator online, even toggled busy): the visitor who asks for a person is
told the queue position, and the bot stops there: none of the script's words for when nobody
answers ("… within one business day", "Have a good day!"), so the operator who accepts a moment
later contradicts nothing. The team away (nobody online): no queue position, which nobody would
keep; the script goes on with its own words for that case. While the bot answers, the widget
says so under its title (robot.status); handed over, it does not."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.browser.conftest import NewPage, RunningDemo, Shot
from tests.browser.console_steps import UI_TIMEOUT_MS, ConsoleWorld, set_available, sign_in, wait_busy
from tests.browser.widget_steps import BOT_QUESTION, DESKTOP, PHONE, open_widget, say

QUEUE_POSITION = re.compile(r"You are number 1 in the queue")
# What the demo script (support_triage) says when nobody can answer, and its goodbye.
NOBODY_WORDS = re.compile(r"business day|Have a good day|Everyone is busy|Please describe")


async def ask_for_a_person(visitor: Page, site_url: str) -> None:
    await open_widget(visitor, site_url)
    await say(visitor, "Hello")
    talk = visitor.locator(".answers button[data-answer='human']")
    await expect(visitor.locator(".log", has_text=BOT_QUESTION)).to_be_visible(timeout=UI_TIMEOUT_MS)
    # robot.status (issue 22 item 13): the bot answering is said under the chat's title.
    await expect(visitor.locator("header .robot")).to_have_text("Assistant online", timeout=UI_TIMEOUT_MS)
    await expect(talk).to_be_visible(timeout=UI_TIMEOUT_MS)
    await talk.click()


async def test_a_busy_team_gives_the_queue_position_and_the_bot_says_nothing_against_it(
    demo: RunningDemo, new_page: NewPage, shot: Shot, world: ConsoleWorld
) -> None:
    olivia = await world.operator("Olivia")
    channel_id = await world.channel([olivia], like=demo.channel_id)
    console = await new_page("console", **DESKTOP)
    await sign_in(console, demo.console_url, olivia)
    await set_available(console, False)  # at work, busy: nothing is given to her by itself
    await wait_busy(world, channel_id, olivia)

    visitor = await new_page("visitor", **PHONE)
    await ask_for_a_person(visitor, demo.site_for(channel_id))
    await expect(visitor.locator(".status")).to_have_text(QUEUE_POSITION, timeout=UI_TIMEOUT_MS)
    waiting = console.locator("#queues li.waiting")
    await expect(waiting).to_have_count(1, timeout=UI_TIMEOUT_MS)
    await shot(visitor, "1-phone-queued")
    await expect(visitor.locator(".log")).not_to_contain_text(NOBODY_WORDS)
    # Handed over: the bot went quiet, and no longer says it is there.
    await expect(visitor.locator("header .robot")).to_be_hidden(timeout=UI_TIMEOUT_MS)

    await waiting.get_by_role("button", name="Accept").click()
    await expect(visitor.locator(".log", has_text="Olivia joined the conversation")).to_be_visible(
        timeout=UI_TIMEOUT_MS
    )
    await expect(visitor.locator(".status")).not_to_have_text(QUEUE_POSITION)
    await expect(visitor.locator(".log")).not_to_contain_text(NOBODY_WORDS)
    await shot(visitor, "2-phone-operator-joined")


async def test_an_absent_team_gives_no_queue_position_and_the_script_goes_on(
    demo: RunningDemo, new_page: NewPage, shot: Shot, world: ConsoleWorld
) -> None:
    absent = await world.operator("Absent")  # never signs in
    channel_id = await world.channel([absent], like=demo.channel_id)
    visitor = await new_page("visitor", **DESKTOP)
    await ask_for_a_person(visitor, demo.site_for(channel_id))
    # The script's path for nobody: it asks what happened, to pass on by e-mail.
    await expect(visitor.locator(".log", has_text="Please describe what happened")).to_be_visible(timeout=UI_TIMEOUT_MS)
    await expect(visitor.locator(".status")).not_to_have_text(QUEUE_POSITION)
    await shot(visitor, "1-desktop-nobody-online")
