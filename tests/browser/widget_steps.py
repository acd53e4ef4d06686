"""Steps the widget's browser tests share: open the widget, talk, read what it shows."""

from __future__ import annotations

from playwright.async_api import Page, expect

WAIT_MS = 20_000  # generous: the fleet shares a 2-core machine with other test runs
BOT_QUESTION = "What is your question about?"  # the example support_triage script's first question
# Browser contexts as a visitor meets the widget: a laptop, and a phone as Chromium emulates one
# (is_mobile: a page wider than the screen stretches the layout viewport, as on a real phone).
DESKTOP: dict[str, object] = {"viewport": {"width": 1280, "height": 800}}
PHONE: dict[str, object] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 3,
}


async def open_widget(page: Page, url: str) -> None:
    await page.goto(url)
    launcher = page.locator(".launcher")
    await expect(launcher).to_be_visible(timeout=WAIT_MS)
    await launcher.click()
    await expect(page.locator(".panel")).to_be_visible()
    await expect(page.locator(".msg.welcome")).to_be_visible(timeout=WAIT_MS)


async def say(page: Page, text: str) -> None:
    box = page.locator(".compose textarea")
    await box.fill(text)
    await box.press("Enter")


async def seqs(page: Page) -> list[int]:
    """The seqs of the messages on screen, in screen order."""
    values = await page.locator(".log [data-seq]").evaluate_all("items => items.map(i => Number(i.dataset.seq))")
    return [int(value) for value in values]


async def start_bot(page: Page, url: str) -> None:
    """Open the widget and write once: the example bot greets and asks its first question."""
    await open_widget(page, url)
    await say(page, "hi")
    await expect(page.locator(".msg.bot", has_text=BOT_QUESTION)).to_be_visible(timeout=WAIT_MS)
    await expect(page.locator(".answer")).to_have_count(3, timeout=WAIT_MS)


async def create_channel(
    fleet_auth_url: str, chat_url: str, username: str, password: str, spec: dict[str, object]
) -> str:
    """A channel created by the admin over chat_session's HTTP API; returns its id."""
    import aiohttp

    async with aiohttp.ClientSession() as session:
        body = {"username": username, "password": password, "client_kind": "api"}
        async with session.post(f"{fleet_auth_url}/auth/login", json=body) as response:
            token = (await response.json())["token"]
        async with session.post(
            f"{chat_url}/channels", json=spec, headers={"Authorization": f"Bearer {token}"}
        ) as response:
            assert response.status == 201, await response.text()
            return str((await response.json())["id"])
