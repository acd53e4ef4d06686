"""The web widget in headless Chromium, embedded on the sample site (another origin) through the edge."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import NewPage, RunningDemo, Shot

pytestmark = pytest.mark.browser
WAIT_MS = 15_000


async def open_widget(page: Page, url: str) -> None:
    await page.goto(url)
    launcher = page.locator(".launcher")
    await expect(launcher).to_be_visible(timeout=WAIT_MS)
    await launcher.click()
    await expect(page.locator(".panel")).to_be_visible()


async def test_launcher_opens_the_chat_with_the_welcome(demo: RunningDemo, new_page: NewPage, shot: Shot) -> None:
    page = await new_page("visitor")
    await page.goto(demo.site_url)
    launcher = page.locator(".launcher")
    await expect(launcher).to_have_text("Chat with us", timeout=WAIT_MS)
    await expect(launcher).to_have_attribute("data-availability", "chatbot")
    await shot(page, "1-launcher")
    await launcher.click()
    await expect(page.locator(".msg.welcome")).to_have_text("Hi! Welcome to Acme Plants. Ask us anything.", timeout=WAIT_MS)
    await shot(page, "2-open")
