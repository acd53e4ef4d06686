"""The web widget in headless Chromium, embedded on the sample site (another origin) through the
edge: availability, the bot's first step, answer buttons, errors in plain words, isolation."""

from __future__ import annotations

import aiohttp
from playwright.async_api import expect

from parley_fleet.demo import DEMO_SENSITIVE_WORD, DEMO_WELCOME
from tests.browser.conftest import NewPage, RunningDemo, Shot
from tests.browser.widget_steps import BOT_QUESTION, PHONE, WAIT_MS, create_channel, open_widget, say, start_bot


async def test_launcher_shows_availability_and_opens_with_the_welcome(
    demo: RunningDemo, new_page: NewPage, shot: Shot
) -> None:
    page = await new_page("visitor")
    await page.goto(demo.site_url)
    launcher = page.locator(".launcher")
    await expect(launcher).to_have_text("Chat with us", timeout=WAIT_MS)
    await expect(launcher).to_have_attribute("data-availability", "chatbot")
    await shot(page, "1-launcher")
    await launcher.click()
    await expect(page.locator(".msg.welcome")).to_have_text(DEMO_WELCOME, timeout=WAIT_MS)
    await expect(page.locator(".panel .title")).to_have_text("Acme Plants support")
    await expect(page.locator(".compose textarea")).to_be_focused()
    await shot(page, "2-open")


async def test_a_channel_nobody_serves_offers_to_leave_a_message(
    demo: RunningDemo, new_page: NewPage, shot: Shot
) -> None:
    spec = {
        "name": "After hours",
        "allowed_origins": [demo.site_url],
        "offline_message": "We are away. Leave a message!",
    }
    channel_id = await create_channel(
        demo.fleet.url("auth"), demo.fleet.url("chat_session"), demo.admin.username, demo.admin.password, spec
    )
    page = await new_page("visitor")
    await page.goto(demo.site_for(channel_id))
    launcher = page.locator(".launcher")
    await expect(launcher).to_have_text("Leave a message", timeout=WAIT_MS)
    await expect(launcher).to_have_attribute("data-availability", "offline_form")
    await launcher.click()
    # The form, not a chat nobody would answer (tests/browser/test_offline_form.py sends it).
    await expect(page.locator(".offline-form .offline-intro")).to_have_text(
        "We are away. Leave a message!", timeout=WAIT_MS
    )
    await expect(page.locator(".compose")).to_be_hidden()
    await shot(page, "offline-form")


async def test_an_unknown_channel_shows_no_launcher(demo: RunningDemo, new_page: NewPage) -> None:
    page = await new_page("visitor")
    await page.goto(demo.site_for("ch_doesnotexist"))
    await page.wait_for_load_state("networkidle")
    await expect(page.locator(".launcher")).to_be_hidden()


async def test_the_bot_greets_asks_and_its_answer_buttons_work(
    demo: RunningDemo, new_page: NewPage, shot: Shot
) -> None:
    page = await new_page("visitor")
    await open_widget(page, demo.site_url)
    await expect(page.locator(".end")).to_be_hidden()  # nothing to end before the first message
    await say(page, "hi")
    await expect(page.locator(".msg.bot", has_text=BOT_QUESTION)).to_be_visible(timeout=WAIT_MS)
    await expect(page.locator(".answer")).to_have_count(3, timeout=WAIT_MS)
    await expect(page.locator(".end")).to_be_visible()
    await expect(page.locator(".msg.bot", has_text="I'm Sam, the support bot")).to_be_visible()
    await expect(page.locator(".answer")).to_have_text(["Billing", "Something is broken", "Talk to a person"])
    await expect(page.locator(".chip")).to_have_count(0)  # the step's quick replies repeat the answers: shown once
    # The bot answered after it: it read it (as the server counts an author), so ✓✓, as after a reload.
    await expect(page.locator(".msg.mine .tick")).to_have_text("✓✓")
    await shot(page, "1-first-step")
    await page.locator(".answer", has_text="Billing").click()
    await expect(page.locator(".msg.mine[data-seq]", has_text="Billing")).to_be_visible(timeout=WAIT_MS)  # the pick
    await expect(page.locator(".msg.bot a.article", has_text="Where to find your invoices")).to_be_visible(
        timeout=WAIT_MS
    )
    await expect(page.locator(".answer")).to_have_text(["Yes, thanks", "No"], timeout=WAIT_MS)
    await shot(page, "2-after-billing")


async def test_a_picked_answer_is_sent_as_the_visitors_message(demo: RunningDemo, new_page: NewPage) -> None:
    page = await new_page("visitor")
    await start_bot(page, demo.site_url)
    await page.locator(".answer", has_text="Something is broken").click()
    await expect(page.locator(".msg.mine", has_text="Something is broken")).to_be_visible(timeout=WAIT_MS)
    await expect(page.locator(".msg.bot", has_text="Please describe what happened")).to_be_visible(timeout=WAIT_MS)
    await expect(page.locator(".chip")).to_have_count(0)
    await expect(page.locator(".answer")).to_have_count(0)


async def test_a_refused_word_is_explained_in_plain_words(demo: RunningDemo, new_page: NewPage, shot: Shot) -> None:
    page = await new_page("visitor")
    await start_bot(page, demo.site_url)
    await say(page, f"this is a {DEMO_SENSITIVE_WORD}")
    banner = page.locator(".banner")
    await expect(banner).to_have_text(
        "Your message contains a word that is not allowed, so it was not sent.", timeout=WAIT_MS
    )
    await expect(page.locator(".msg.failed")).to_have_count(1)
    await shot(page, "refused")


async def test_the_host_page_styles_do_not_reach_the_widget_and_phones_get_full_screen(
    demo: RunningDemo, new_page: NewPage, shot: Shot
) -> None:
    page = await new_page("phone", viewport={"width": 375, "height": 700})
    await open_widget(page, demo.site_url)
    assert (
        await page.locator(".compose .send").evaluate("b => getComputedStyle(b).fontSize") != "30px"
    )  # the host says 30px
    box = await page.locator(".panel").bounding_box()
    assert box is not None and box["width"] == 375 and box["height"] == 700
    assert await page.evaluate("Object.keys(window).filter(k => k.toLowerCase().includes('parley'))") == ["Parley"]
    await page.keyboard.press("Escape")
    await expect(page.locator(".panel")).to_be_hidden()
    await expect(page.locator(".launcher")).to_be_focused()
    await shot(page, "phone")


async def test_maintenance_is_announced_in_plain_words(demo: RunningDemo, new_page: NewPage, shot: Shot) -> None:
    page = await new_page("visitor")
    await start_bot(page, demo.site_url)
    try:
        await set_maintenance(demo, True)
        banner = page.locator(".banner")
        await expect(banner).to_contain_text("The chat is down for maintenance", timeout=WAIT_MS)
        await expect(banner).to_contain_text("Back in five minutes")
        await shot(page, "maintenance")
    finally:
        await set_maintenance(demo, False)
    await expect(page.locator(".banner")).to_be_hidden(timeout=WAIT_MS)
    await expect(page.locator(".msg.system", has_text="Maintenance is over.")).to_be_visible()


async def set_maintenance(demo: RunningDemo, enabled: bool) -> None:
    """Switched by the admin on the gateway's admin API (cluster-internal: not on the edge)."""
    async with aiohttp.ClientSession() as session:
        body = {"username": demo.admin.username, "password": demo.admin.password, "client_kind": "api"}
        async with session.post(f"{demo.fleet.url('auth')}/auth/login", json=body) as response:
            token = (await response.json())["token"]
        spec = {"enabled": enabled, "message": "Back in five minutes"}
        headers = {"Authorization": f"Bearer {token}"}
        async with session.put(
            f"{demo.fleet.url('gateway')}/admin/maintenance", json=spec, headers=headers
        ) as response:
            assert response.status == 200, await response.text()


async def test_the_widget_speaks_chinese_to_a_chinese_browser(demo: RunningDemo, new_page: NewPage, shot: Shot) -> None:
    page = await new_page("visitor", **PHONE, locale="zh-CN")
    await page.goto(demo.site_url)
    launcher = page.locator(".launcher")
    await expect(launcher).to_have_text("在线咨询", timeout=WAIT_MS)
    await launcher.click()
    await expect(page.locator(".compose textarea")).to_have_attribute("placeholder", "输入消息…")
    await expect(page.locator(".compose .send")).to_have_text("发送")
    await expect(page.locator(".parley")).to_have_attribute("lang", "zh-CN")
    await say(page, "你好")
    await expect(page.locator(".end")).to_have_text("结束对话", timeout=WAIT_MS)
    await expect(page.locator(".msg.bot .author").first).to_contain_text("机器人", timeout=WAIT_MS)
    await shot(page, "zh-CN-phone")
