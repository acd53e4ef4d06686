"""A channel's theme in the widget (issue 22): its accent, launcher words, corner and avatar, from
the channel's settings (served with its availability), with axe still clean on the themed widget.
An accent white text is unreadable on is refused by chat_session (tests/security, tests/unit)."""

from __future__ import annotations

import json

from playwright.async_api import expect

from tests.browser.conftest import NewPage, RunningDemo, Shot
from tests.browser.console_steps import UI_TIMEOUT_MS, ConsoleWorld
from tests.browser.test_accessibility import blocking_violations
from tests.browser.widget_steps import DESKTOP, PHONE, say

THEME = {
    "accent": "#6a1b9a",
    "launcher_text": "Ask Flora",
    "position": "left",
    "avatar_url": "https://127.0.0.1:9/flora.png",  # nothing answers there: the image stays blank
}
PURPLE = "rgb(106, 27, 154)"


async def test_the_channels_theme_colours_words_and_corner(
    demo: RunningDemo, new_page: NewPage, shot: Shot, world: ConsoleWorld
) -> None:
    channel_id = await world.channel([], like=demo.channel_id, theme=THEME)
    for device, context in (("desktop", DESKTOP), ("phone", PHONE)):
        visitor = await new_page(f"visitor-{device}", **context)
        await visitor.goto(demo.site_for(channel_id))
        launcher = visitor.locator(".launcher")
        await expect(launcher).to_have_text("Ask Flora", timeout=UI_TIMEOUT_MS)
        assert await launcher.evaluate("e => getComputedStyle(e).backgroundColor") == PURPLE
        box = await launcher.bounding_box()
        assert box is not None and box["x"] < 40, box  # the bottom left corner
        await shot(visitor, f"1-{device}-launcher")
        await launcher.click()
        await say(visitor, "Hello")
        header = visitor.locator(".panel header")
        assert await header.evaluate("e => getComputedStyle(e).backgroundColor") == PURPLE
        await expect(header.locator("img.avatar-image")).to_have_attribute("src", THEME["avatar_url"])
        mine = visitor.locator(".log .msg.mine[data-seq]", has_text="Hello")
        await expect(mine).to_be_visible(timeout=UI_TIMEOUT_MS)
        assert await mine.evaluate("e => getComputedStyle(e).backgroundColor") == PURPLE
        await expect(visitor.locator(".answer").first).to_be_visible(timeout=UI_TIMEOUT_MS)
        await shot(visitor, f"2-{device}-open")
        violations = await blocking_violations(visitor, "#parley-widget")
        assert not violations, json.dumps(violations, indent=1)
